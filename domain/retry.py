"""When to try a delivery again (push messages, webhooks, outbox events): exponential backoff,
with full jitter where clients fail together, and Retry-After parsing."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

# 2**64 times any sane base is far beyond any cap: stop growing there (and avoid OverflowError).
_MAX_EXPONENT = 64


def backoff_ceiling(attempt: int, base: float, cap: float) -> float:
    """The longest wait before retry number `attempt` (0 for the first retry): `base` doubled
    at each attempt, never more than `cap`. Used as is where the waits are spread out anyway
    (the outbox's events fail one by one), and as the bound of `backoff_delay`'s jitter."""
    return min(cap, base * 2.0 ** min(attempt, _MAX_EXPONENT))


def backoff_delay(
    attempt: int,
    retry_after: float | None,
    base: float,
    cap: float,
    rng: random.Random,
) -> float:
    """Seconds to wait before retry number `attempt` (0 for the first retry).

    Full jitter: a uniform draw in [0, min(cap, base * 2**attempt)], so clients that failed
    together do not retry together. When the receiving service asked for a delay (`retry_after`,
    seconds), the result is never less than that: the service's wish beats our `cap`, which
    only bounds our own backoff.

    Raises ValueError for a negative attempt, base, cap or retry_after, or a non-finite number.
    """
    if attempt < 0:
        raise ValueError("attempt must be >= 0")
    for name, value in (("base", base), ("cap", cap)):
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a finite number >= 0")
    if retry_after is not None and (not math.isfinite(retry_after) or retry_after < 0):
        raise ValueError("retry_after must be a finite number >= 0")
    delay = rng.uniform(0.0, backoff_ceiling(attempt, base, cap))
    if retry_after is not None:
        delay = max(delay, retry_after)
    return delay


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """The delay an HTTP `Retry-After` header asks for, in seconds, or None if absent or unusable.

    The header holds either seconds ("120") or an HTTP date ("Wed, 21 Oct 2026 07:28:00 GMT"),
    which is measured from `now` (default: the system clock). A date in the past means 0.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:  # "-0000" dates parse naive; HTTP dates are always GMT
        moment = moment.replace(tzinfo=UTC)
    reference = now if now is not None else datetime.now(UTC)
    return max(0.0, (moment - reference).total_seconds())
