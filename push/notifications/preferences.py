"""A member's notification preferences: reading them (with defaults) and changing them."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from domain.errors import InputErrors, InvalidInput
from domain.messages import CATALOGUE
from push.notifications.models import NotificationCategory, NotificationPreferences
from push.notifications.rules import (
    MAX_PUSHES_PER_DAY_LIMIT,
    PushPreferences,
    format_hhmm,
    parse_hhmm,
)

#: What a member reads when a change is refused, in their language: the `[preferences]` texts.
TEXTS = CATALOGUE.area("preferences")


class Keep(enum.Enum):
    """Leave the field as it is (where None would mean "clear it")."""

    KEEP = "KEEP"


KEEP = Keep.KEEP


@dataclass(frozen=True)
class PreferenceChanges:
    """Only the fields given change. Quiet hours take None to clear them (KEEP: unchanged)."""

    push_enabled: bool | None = None
    categories: Sequence[str] | None = None
    quiet_hours_start: str | Keep | None = KEEP
    quiet_hours_end: str | Keep | None = KEEP
    max_pushes_per_day: int | None = None


def from_row(row: NotificationPreferences | None) -> PushPreferences:
    if row is None:
        return PushPreferences()
    return from_columns(
        row.push_enabled,
        row.categories,
        row.quiet_hours_start,
        row.quiet_hours_end,
        row.max_pushes_per_day,
    )


def from_columns(
    push_enabled: bool,
    categories: Iterable[str],
    quiet_hours_start: str | None,
    quiet_hours_end: str | None,
    max_pushes_per_day: int,
) -> PushPreferences:
    """The preferences a stored row says (its columns, as read by a statement of their own)."""
    return PushPreferences(
        push_enabled=push_enabled,
        categories=frozenset(
            NotificationCategory(c) for c in categories if c in NotificationCategory.__members__
        ),
        quiet_hours_start=parse_hhmm(quiet_hours_start or ""),
        quiet_hours_end=parse_hhmm(quiet_hours_end or ""),
        max_pushes_per_day=max_pushes_per_day,
    )


async def preferences_of(member_id: int) -> PushPreferences:
    """The member's preferences, or the defaults (every category, no quiet hours)."""
    return from_row(await NotificationPreferences.get_or_none(member_id=member_id))


async def preferences_of_many(member_ids: Iterable[int]) -> dict[int, PushPreferences]:
    ids = list(set(member_ids))
    rows = {r.member_id: r for r in await NotificationPreferences.filter(member_id__in=ids)}
    return {member_id: from_row(rows.get(member_id)) for member_id in ids}


async def update_notification_preferences(
    member_id: int, changes: PreferenceChanges, now: datetime, *, locale: str | None = None
) -> PushPreferences:
    """Apply the given changes and return the preferences now in force.

    Quiet hours are local "HH:MM" times in the member's time zone, both set or both cleared,
    and not equal; a start after the end crosses midnight. At most 50 pushes a day (0: none).
    Raises `ValidationErrors` of `InvalidInput` naming each field at fault, in the language of
    `locale` (the member's); nothing changes then.
    """
    async with in_transaction():
        row = await NotificationPreferences.filter(member_id=member_id).select_for_update().first()
        current = from_row(row)
        problems = InputErrors()
        push_enabled = (
            current.push_enabled if changes.push_enabled is None else changes.push_enabled
        )
        categories: frozenset[NotificationCategory] | None = current.categories
        if changes.categories is not None:
            categories = problems.check(_categories, changes.categories, locale)
        start = _hhmm(
            changes.quiet_hours_start,
            current.quiet_hours_start,
            "quietHoursStart",
            problems,
            locale,
        )
        end = _hhmm(
            changes.quiet_hours_end, current.quiet_hours_end, "quietHoursEnd", problems, locale
        )
        if not problems.errors:
            if (start is None) != (end is None):
                missing = "quietHoursEnd" if end is None else "quietHoursStart"
                problems.add(
                    InvalidInput(TEXTS.text(locale, "quiet_hours_both"), ["input", missing])
                )
            elif start is not None and start == end:
                problems.add(
                    InvalidInput(
                        TEXTS.text(locale, "quiet_hours_differ"), ["input", "quietHoursEnd"]
                    )
                )
        cap = current.max_pushes_per_day
        if changes.max_pushes_per_day is not None:
            if not 0 <= changes.max_pushes_per_day <= MAX_PUSHES_PER_DAY_LIMIT:
                problems.add(
                    InvalidInput(
                        TEXTS.text(locale, "max_pushes", limit=MAX_PUSHES_PER_DAY_LIMIT),
                        ["input", "maxPushesPerDay"],
                    )
                )
            else:
                cap = changes.max_pushes_per_day
        problems.raise_any()
        assert categories is not None  # raise_any raised otherwise
        values: dict[str, Any] = {
            "push_enabled": push_enabled,
            "categories": sorted(c.value for c in categories),
            "quiet_hours_start": format_hhmm(start),
            "quiet_hours_end": format_hhmm(end),
            "max_pushes_per_day": cap,
            "updated_at": now,
        }
        if row is None:
            try:
                async with in_transaction():
                    row = await NotificationPreferences.create(member_id=member_id, **values)
            except IntegrityError:  # created concurrently: apply ours over it
                await NotificationPreferences.filter(member_id=member_id).update(**values)
        else:
            await NotificationPreferences.filter(id=row.id).update(**values)
    return PushPreferences(
        push_enabled=push_enabled,
        categories=categories,
        quiet_hours_start=start,
        quiet_hours_end=end,
        max_pushes_per_day=cap,
    )


def _categories(names: Sequence[str], locale: str | None) -> frozenset[NotificationCategory]:
    chosen: set[NotificationCategory] = set()
    for i, name in enumerate(names):
        try:
            chosen.add(NotificationCategory(name))
        except ValueError:
            raise InvalidInput(
                TEXTS.text(locale, "not_a_category", name=name), ["input", "categories", str(i)]
            ) from None
    return frozenset(chosen)


def _hhmm(
    given: str | Keep | None,
    current: time | None,
    field: str,
    problems: InputErrors,
    locale: str | None,
) -> time | None:
    if given is KEEP:
        return current
    if given is None or given == "":
        return None
    parsed = parse_hhmm(given.strip())
    if parsed is None:
        message = TEXTS.text(locale, "not_a_time", value=given)
        problems.add(InvalidInput(message, ["input", field]))
    return parsed
