"""Builders shared by the rules tests: events read like the sentences they stand for."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from itertools import count
from zoneinfo import ZoneInfo

from gamification.rules import EventKind, MemberEvent, ProgressState, Rule, apply_event

UTC = ZoneInfo("UTC")
MADRID = ZoneInfo("Europe/Madrid")
NEW_YORK = ZoneInfo("America/New_York")

_references = count(1)


def at(text: str, tz: ZoneInfo = UTC, fold: int = 0) -> datetime:
    """An aware datetime from "2026-03-29 23:30" read on a wall clock in `tz`."""
    return datetime.fromisoformat(text).replace(tzinfo=tz, fold=fold)


def event(
    kind: EventKind,
    occurred_at: datetime,
    reference: str | None = None,
    *,
    amount: str | Decimal | None = None,
    points: int = 0,
    categories: Iterable[str] = (),
    channel: str | None = None,
    store_code: str | None = None,
) -> MemberEvent:
    return MemberEvent(
        kind=kind,
        occurred_at=occurred_at,
        reference=reference if reference is not None else f"ref-{next(_references)}",
        amount=Decimal(amount) if amount is not None else None,
        points=points,
        categories=frozenset(categories),
        channel=channel,
        store_code=store_code,
    )


def purchase(
    occurred_at: datetime,
    reference: str | None = None,
    *,
    amount: str = "10.00",
    points: int = 10,
    categories: Iterable[str] = (),
    channel: str | None = "APP",
    store_code: str | None = None,
) -> MemberEvent:
    return event(
        EventKind.PURCHASE,
        occurred_at,
        reference,
        amount=amount,
        points=points,
        categories=categories,
        channel=channel,
        store_code=store_code,
    )


def apply_all(
    rule: Rule, events: Iterable[MemberEvent], tz: ZoneInfo, state: ProgressState | None = None
) -> ProgressState:
    state = state if state is not None else ProgressState()
    for member_event in events:
        state = apply_event(rule, state, member_event, tz)
    return state
