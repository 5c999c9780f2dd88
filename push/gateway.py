"""The one way pushes leave Fidelio: a `PushGateway` takes messages and says what became of each.

Two implementations: `push.fcm.FcmGateway` (Firebase Cloud Messaging, production) and
`LogGateway` (the embedded default, which only logs and remembers what it would have sent).
Callers act on the outcome: delete the device on UNREGISTERED or INVALID, schedule another
attempt on RETRY (see `domain.retry.backoff_delay`), give up on FAILED.
"""

from __future__ import annotations

import enum
import itertools
import logging
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

logger = logging.getLogger("fidelio.push")


@dataclass(frozen=True)
class PushMessage:
    """One notification for one device token.

    `data` travels to the app untouched (deep link, notification id...): keys and values are
    strings, as FCM requires. Messages sharing a `collapse_key` replace each other on a device
    that was offline.
    """

    token: str
    title: str
    body: str
    data: dict[str, str] = field(default_factory=dict)
    collapse_key: str | None = None


class SendOutcome(enum.Enum):
    """What became of one message, and what the caller must do about it."""

    SENT = "sent"
    """Accepted by the push service."""
    UNREGISTERED = "unregistered"
    """The token is gone (app uninstalled, token rotated): delete the device."""
    INVALID = "invalid"
    """The token (or the request) is malformed or belongs to another sender: delete the device."""
    RETRY = "retry"
    """Transient (service unavailable, internal error, quota, network down): try again later,
    no sooner than `SendResult.retry_after` when it is set."""
    FAILED = "failed"
    """Permanent for any other reason (bad credentials, bad payload...): do not retry."""


@dataclass(frozen=True)
class SendResult:
    """The outcome of one message; `retry_after` (seconds) is the push service's own wish."""

    message: PushMessage
    outcome: SendOutcome
    retry_after: float | None = None
    error: str | None = None
    message_id: str | None = None


@runtime_checkable
class PushGateway(Protocol):
    """Delivers push messages.

    `send` returns exactly one result per message, in the same order, and never raises for a
    delivery problem: every failure (network included) is an outcome. `close` releases the
    gateway's resources; a closed gateway must not be used again.
    """

    async def send(self, messages: Sequence[PushMessage]) -> list[SendResult]: ...

    async def close(self) -> None: ...


class LogGateway:
    """The embedded default: logs each message (logger `fidelio.push`) and reports it SENT.

    The last `keep` messages stay in `sent`, oldest first, so tests and the demo can see what
    would have been pushed. Never fails.
    """

    def __init__(self, keep: int = 1000) -> None:
        if keep < 1:
            raise ValueError("keep must be at least 1")
        self._sent: deque[PushMessage] = deque(maxlen=keep)
        self._ids = itertools.count(1)

    @property
    def sent(self) -> list[PushMessage]:
        """The last messages sent, oldest first (a copy)."""
        return list(self._sent)

    def clear(self) -> None:
        self._sent.clear()

    async def send(self, messages: Sequence[PushMessage]) -> list[SendResult]:
        results: list[SendResult] = []
        for message in messages:
            message_id = f"log-{next(self._ids)}"
            logger.info(
                "push %s to %s: %r / %r data=%s",
                message_id,
                _short(message.token),
                message.title,
                message.body,
                message.data,
            )
            self._sent.append(message)
            results.append(SendResult(message, SendOutcome.SENT, message_id=message_id))
        return results

    async def close(self) -> None:
        return None


def _short(token: str) -> str:
    """Enough of a device token to recognise it in a log, not enough to use it."""
    return token if len(token) <= 12 else f"{token[:8]}…"
