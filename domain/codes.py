"""Codes people type at a checkout: unguessable, unambiguous, easy to read aloud."""

from __future__ import annotations

import math
import secrets

#: No 0/O, 1/I/L, no vowels U/A/E (avoid words): 28 symbols.
COUPON_ALPHABET = "23456789BCDFGHJKMNPQRSTVWXYZ"
#: 14 symbols of 28: 14 * log2(28) = 67.3 bits of randomness.
COUPON_LENGTH = 14
COUPON_BITS = COUPON_LENGTH * math.log2(len(COUPON_ALPHABET))
_SYMBOLS = frozenset(COUPON_ALPHABET)


def _grouped(prefix: str, symbols: str) -> str:
    groups = [symbols[i : i + 4] for i in range(0, len(symbols), 4)]
    return (prefix + "-" if prefix else "") + "-".join(groups)


def new_coupon_code(prefix: str = "") -> str:
    """A fresh coupon code such as `FD-7KQ2-XM9D-CT4B-HW`: grouped by four for reading."""
    return _grouped(prefix, "".join(secrets.choice(COUPON_ALPHABET) for _ in range(COUPON_LENGTH)))


def read_code(text: str, prefix: str, *, prefix_optional: bool = False) -> str | None:
    """The stored form of a code someone typed (any case, spaces and dashes anywhere), or None
    when the text cannot be one of our codes with this prefix. Refusing malformed text before
    any query gives every wrong code the same answer, whether or not a similar one exists."""
    if len(text) > 64:
        return None
    symbols = "".join(ch for ch in text.upper() if ch.isascii() and ch.isalnum())
    if symbols.startswith(prefix) and len(symbols) == COUPON_LENGTH + len(prefix):
        symbols = symbols[len(prefix) :]
    elif not prefix_optional:
        return None
    if len(symbols) != COUPON_LENGTH or not _SYMBOLS.issuperset(symbols):
        return None
    return _grouped(prefix, symbols)
