"""Typed business failures. Services raise them; `api.errors` turns them into `userErrors`.

Each error carries one of the contract's `ErrorCode` names, the path of the input field at
fault (when one is) and a message for people.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class DomainError(Exception):
    code: ClassVar[str] = "INVALID_INPUT"

    def __init__(self, message: str, field: Sequence[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field: list[str] | None = list(field) if field else None


class InvalidInput(DomainError):
    code = "INVALID_INPUT"


class NotFound(DomainError):
    code = "NOT_FOUND"


class Duplicate(DomainError):
    code = "DUPLICATE"


class NotEligible(DomainError):
    code = "NOT_ELIGIBLE"


class InsufficientPoints(DomainError):
    code = "INSUFFICIENT_POINTS"


class OutOfStock(DomainError):
    code = "OUT_OF_STOCK"


class LimitReached(DomainError):
    code = "LIMIT_REACHED"


class NotOpen(DomainError):
    code = "NOT_OPEN"


class Closed(DomainError):
    code = "CLOSED"


class AlreadyClaimed(DomainError):
    code = "ALREADY_CLAIMED"


class Cooldown(DomainError):
    code = "COOLDOWN"


class Expired(DomainError):
    code = "EXPIRED"


class InvalidCode(DomainError):
    code = "INVALID_CODE"


class AlreadyUsed(DomainError):
    """A coupon (or a drop's code) already used for another order."""

    code = "ALREADY_USED"


class SelfReferral(DomainError):
    code = "SELF_REFERRAL"


class RateLimited(DomainError):
    """Too many attempts; `retry_after`, when known, is the seconds until they are taken
    again (an HTTP answer's Retry-After)."""

    code = "RATE_LIMITED"

    def __init__(
        self, message: str, field: Sequence[str] | None = None, retry_after: int | None = None
    ) -> None:
        super().__init__(message, field)
        self.retry_after = retry_after


class ValidationErrors(DomainError):
    """Several input problems at once, reported together (one `userErrors` entry each)."""

    def __init__(self, errors: Sequence[DomainError]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = list(errors)


class InputErrors:
    """Every problem of one input, collected so that they are reported together: run each
    check through `check`, note the problems found by hand with `add`, then `raise_any`.

        problems = InputErrors()
        name = problems.check(check_text, data.name, ["input", "name"], max_length=120)
        if ends_at <= starts_at:
            problems.add(InvalidInput("must be after startsAt", ["input", "endsAt"]))
        problems.raise_any()
    """

    def __init__(self) -> None:
        self.errors: list[DomainError] = []

    def check(self, rule: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T | None:
        """`rule(*args, **kwargs)`; None when it raises a `DomainError`, which is kept (each
        error of a `ValidationErrors`)."""
        try:
            return rule(*args, **kwargs)
        except ValidationErrors as invalid:
            self.errors.extend(invalid.errors)
        except DomainError as error:
            self.errors.append(error)
        return None

    def add(self, error: DomainError) -> None:
        self.errors.append(error)

    def raise_any(self) -> None:
        """Raises `ValidationErrors` of every problem kept, in the order found (none: nothing)."""
        if self.errors:
            raise ValidationErrors(self.errors)
