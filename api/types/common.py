"""Types shared by every area: errors, pages."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from enum import Enum
from typing import Protocol

import strawberry

from api.ids import id_value
from domain.errors import DomainError, InvalidInput, ValidationErrors

MAX_PAGE_SIZE = 100


@strawberry.enum(description="Why a business rule refused the operation.")
class ErrorCode(Enum):
    INVALID_INPUT = "INVALID_INPUT"
    NOT_FOUND = "NOT_FOUND"
    DUPLICATE = "DUPLICATE"
    NOT_ELIGIBLE = "NOT_ELIGIBLE"
    INSUFFICIENT_POINTS = "INSUFFICIENT_POINTS"
    OUT_OF_STOCK = "OUT_OF_STOCK"
    LIMIT_REACHED = "LIMIT_REACHED"
    NOT_OPEN = "NOT_OPEN"
    CLOSED = "CLOSED"
    ALREADY_CLAIMED = "ALREADY_CLAIMED"
    COOLDOWN = "COOLDOWN"
    EXPIRED = "EXPIRED"
    INVALID_CODE = "INVALID_CODE"
    SELF_REFERRAL = "SELF_REFERRAL"
    RATE_LIMITED = "RATE_LIMITED"
    UNKNOWN_PLACEHOLDER = strawberry.enum_value(
        "UNKNOWN_PLACEHOLDER",
        description="A text names a placeholder in braces that is not one the field allows.",
    )
    ALREADY_USED = strawberry.enum_value(
        "ALREADY_USED",
        description="The coupon was already used, for another order (the same order again "
        "is a retry and succeeds).",
    )


@strawberry.enum(description="Where a purchase was made.")
class Channel(Enum):
    APP = "APP"
    WEB = "WEB"
    STORE = "STORE"


@strawberry.type(description="A business-rule failure, returned as data in a mutation payload.")
class UserError:
    code: ErrorCode = strawberry.field(description="What kind of failure it is.")
    field: list[str] | None = strawberry.field(
        description='Path to the input field at fault, e.g. ["input", "amount"].'
    )
    message: str = strawberry.field(
        description="A sentence for people: in the member's language (their locale; English "
        "when it is not supported) for what a member is refused, in English otherwise."
    )


def user_errors(error: DomainError) -> list[UserError]:
    """The one translation of domain errors into `userErrors` entries."""
    errors = error.errors if isinstance(error, ValidationErrors) else [error]
    return [UserError(code=ErrorCode[e.code], field=e.field, message=e.message) for e in errors]


@strawberry.type(description="Where a page of a connection ends.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether more items follow.")
    end_cursor: str | None = strawberry.field(
        description="Pass as `after` to get the next page; null on an empty page."
    )


class _Edge(Protocol):
    @property
    def cursor(self) -> str: ...


def page_info_of(edges: Sequence[_Edge], has_next_page: bool) -> PageInfo:
    """A page's PageInfo: its last edge's cursor (none on an empty page)."""
    return PageInfo(has_next_page=has_next_page, end_cursor=edges[-1].cursor if edges else None)


def encode_cursor(kind: str, value: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{value}".encode()).decode().rstrip("=")


def decode_cursor(kind: str, cursor: str | None, field: list[str]) -> int | None:
    """The position a cursor stands for; INVALID_INPUT for a cursor that is not ours."""
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        prefix, _, value = base64.urlsafe_b64decode(padded).decode().partition(":")
        position = id_value(value)
        if prefix != kind or position is None:
            raise ValueError(prefix)
        return position
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("not a cursor of this list", field) from exc


def page_size(first: int | None, field: list[str], default: int = 20) -> int:
    """`first` checked against the cap of 100 items a page."""
    size = default if first is None else first
    if size < 0 or size > MAX_PAGE_SIZE:
        raise InvalidInput(f"first must be between 0 and {MAX_PAGE_SIZE}", field)
    return size
