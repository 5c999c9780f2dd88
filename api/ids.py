"""The one parser of `ID` arguments: ids are positive 64-bit integers (every table's key),
surrounding whitespace aside (as Python's `int` reads `" 7"`: it changes nothing about the
row named, and a refusal of `" 7"` when 7 exists read as if 7 did not).

Anything else (a word, a negative number, a number beyond 64 bits that SQLite cannot bind
and PostgreSQL refuses as out of range) names nothing: the caller's payload says so with its
contract's code, NOT_FOUND or INVALID_INPUT, instead of an error from the database driver.
"""

from __future__ import annotations

from domain.errors import DomainError, InvalidInput, NotFound

#: The largest key a BIGINT column (PostgreSQL) or an INTEGER one (SQLite) holds.
MAX_ID = 2**63 - 1
#: What may surround an id's digits.
ASCII_WHITESPACE = " \t\n\r\f\v"


def id_value(raw: object) -> int | None:
    """The id `raw` stands for, or None when it cannot name a row."""
    text = raw if isinstance(raw, str) else str(raw) if isinstance(raw, int) else ""
    text = text.strip(ASCII_WHITESPACE)
    # ASCII digits only: int() also reads "+7", "7_0" and other scripts' digits.
    if not text.isascii() or not text.isdigit() or len(text) > 19:
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None


def parse_id(raw: object, field: list[str], what: str) -> int:
    """An id that can only name an existing `what`: NOT_FOUND when it cannot."""
    return _parsed(raw, NotFound(f"no {what} with id {_shown(raw)}", field))


def parse_id_input(raw: object, field: list[str], what: str) -> int:
    """An id whose payload reports malformed input: INVALID_INPUT when it cannot be one."""
    return _parsed(raw, InvalidInput(f"not a {what} id", field))


def _parsed(raw: object, refusal: DomainError) -> int:
    value = id_value(raw)
    if value is None:
        raise refusal
    return value


def _shown(raw: object) -> str:
    text = str(raw)
    return repr(text if len(text) <= 40 else text[:40] + "...")
