"""Admin use cases: badges and challenges, created or replaced by their code.

Every change bumps the catalogue version in the same transaction, so each process's engine
reloads its index of rules before the next activity it evaluates.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from domain.achievements.models import Badge, Challenge
from domain.audit import SYSTEM, Actor, Snapshot, record_change, row_snapshot
from domain.errors import InputErrors, InvalidInput, NotFound
from domain.segments.models import Segment
from domain.translations import TranslationDraft, validate_translations
from domain.versions import ConfigPart, bump_version
from gamification.rules import Recurrence, Rule, validate_rule

CODE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
MAX_REWARD_POINTS = 1_000_000
TITLE_MAX = 120
DESCRIPTION_MAX = 500
URL_MAX = 500

#: What `_upsert_by_code` writes.
M = TypeVar("M", Badge, Challenge)


@dataclass(frozen=True)
class BadgeDraft:
    """What an admin sends for a badge (the contract's BadgeInput)."""

    code: str
    name: str
    description: str
    rule: Rule
    icon_url: str | None = None
    secret: bool = False
    reward_points: int = 0
    #: Names and descriptions per locale; None keeps those entered before.
    translations: Sequence[TranslationDraft] | None = None


@dataclass(frozen=True)
class ChallengeDraft:
    """What an admin sends for a challenge (the contract's ChallengeInput)."""

    code: str
    title: str
    description: str
    starts_at: datetime
    ends_at: datetime
    goal: Rule
    recurrence: Recurrence = Recurrence.NONE
    reward_points: int = 0
    reward_badge_code: str | None = None
    segment_code: str | None = None
    #: Titles (as "name") and descriptions per locale; None keeps those entered before.
    translations: Sequence[TranslationDraft] | None = None


async def upsert_badge(draft: BadgeDraft, now: datetime, actor: Actor = SYSTEM) -> Badge:
    """Create the badge with `draft.code`, or replace its definition.

    Changing the rule restarts every member's progress towards it (progress is kept per rule
    fingerprint) and takes no badge away: holders keep it and its holder count.

    Raises:
        ValidationErrors: of InvalidInput, one per field at fault (code, name, description,
            iconUrl, rewardPoints, and the rule's fields under ["input", "rule", ...]).
    """
    problems = InputErrors()
    _check_code(draft.code, problems)
    _check_text(draft.name, "name", TITLE_MAX, problems)
    _check_text(draft.description, "description", DESCRIPTION_MAX, problems, blank_ok=True)
    _check_url(draft.icon_url, problems)
    _check_reward(draft.reward_points, problems)
    problems.check(validate_rule, draft.rule, ["input", "rule"])
    translations = _check_translations(draft.translations, problems)
    problems.raise_any()
    values = {
        "name": draft.name.strip(),
        "description": draft.description.strip(),
        "icon_url": draft.icon_url,
        "secret": draft.secret,
        "rule": draft.rule.to_json(),
        "reward_points": draft.reward_points,
        "updated_at": now,
    }
    if translations is not None:
        values["translations"] = translations
    async with in_transaction():
        badge, before = await _upsert_by_code(Badge, draft.code, values, now)
        await record_change(
            actor, "badge.upsert", "badge", draft.code, before, _snapshot(badge), now
        )
        # Every process's engine reloads its index at its next activity.
        await bump_version(ConfigPart.ACHIEVEMENTS)
    return badge


async def upsert_challenge(
    draft: ChallengeDraft, now: datetime, actor: Actor = SYSTEM
) -> Challenge:
    """Create the challenge with `draft.code`, or replace its definition.

    Changing the goal restarts the members' progress in the current period; completions
    already recorded stay. Audited as `challenge.upsert` by `actor`.

    Raises:
        ValidationErrors: of InvalidInput (code, title, description, startsAt, endsAt when
            not after startsAt, rewardPoints, and the goal under ["input", "goal", ...]) and
            NotFound (["input", "rewardBadgeCode"] naming no badge, ["input", "segmentCode"]
            naming no segment).
    """
    problems = InputErrors()
    _check_code(draft.code, problems)
    _check_text(draft.title, "title", TITLE_MAX, problems)
    _check_text(draft.description, "description", DESCRIPTION_MAX, problems, blank_ok=True)
    _check_reward(draft.reward_points, problems)
    for name, moment in (("startsAt", draft.starts_at), ("endsAt", draft.ends_at)):
        if moment.tzinfo is None or moment.utcoffset() is None:
            problems.add(InvalidInput("Give a time zone offset.", ["input", name]))
    if not any(e.field == ["input", "startsAt"] for e in problems.errors) and not any(
        e.field == ["input", "endsAt"] for e in problems.errors
    ):
        if draft.ends_at <= draft.starts_at:
            problems.add(InvalidInput("The end must be after the start.", ["input", "endsAt"]))
    if draft.segment_code is not None and not await Segment.exists(code=draft.segment_code):
        problems.add(
            NotFound(f"No segment has the code {draft.segment_code!r}.", ["input", "segmentCode"])
        )
    problems.check(validate_rule, draft.goal, ["input", "goal"])
    translations = _check_translations(draft.translations, problems)
    reward_badge: Badge | None = None
    if draft.reward_badge_code is not None:
        reward_badge = await Badge.get_or_none(code=draft.reward_badge_code)
        if reward_badge is None:
            problems.add(
                NotFound(
                    f"No badge has the code {draft.reward_badge_code!r}.",
                    ["input", "rewardBadgeCode"],
                )
            )
    problems.raise_any()
    values = {
        "title": draft.title.strip(),
        "description": draft.description.strip(),
        "starts_at": draft.starts_at,
        "ends_at": draft.ends_at,
        "recurrence": Recurrence(draft.recurrence).value,
        "goal": draft.goal.to_json(),
        "reward_points": draft.reward_points,
        "reward_badge_id": reward_badge.id if reward_badge is not None else None,
        "segment_code": draft.segment_code,
        "updated_at": now,
    }
    if translations is not None:
        values["translations"] = translations
    async with in_transaction():
        challenge, before = await _upsert_by_code(Challenge, draft.code, values, now)
        await record_change(
            actor, "challenge.upsert", "challenge", draft.code, before,
            _snapshot(challenge), now,
        )  # fmt: skip
        # Every process's engine reloads its index at its next activity.
        await bump_version(ConfigPart.ACHIEVEMENTS)
    return challenge


async def _upsert_by_code(
    model: type[M], code: str, values: dict[str, Any], now: datetime
) -> tuple[M, Snapshot | None]:
    """Update the row with `code` (locked), or create it; returns the row and its audit
    snapshot before the change (None: created). A concurrent creation of the same code turns
    into an update of the winner's row."""
    for _ in range(2):
        current = await model.filter(code=code).select_for_update().first()
        if current is not None:
            before = _snapshot(current)
            for name, value in values.items():
                setattr(current, name, value)
            await current.save(update_fields=list(values))
            return current, before
        try:
            async with in_transaction():
                return await model.create(code=code, created_at=now, **values), None
        except IntegrityError:
            continue
    raise RuntimeError(f"could not upsert {model.__name__} {code!r}")


def _snapshot(row: Badge | Challenge) -> Snapshot:
    """A badge or challenge as the audit log keeps it: its definition, not a badge's holder
    counter."""
    return row_snapshot(row, exclude=("holders_count",))


def _check_code(code: str, problems: InputErrors) -> None:
    if not CODE_PATTERN.fullmatch(code):
        problems.add(
            InvalidInput(
                "A code is 1 to 64 letters, digits, '_', '-' or '.', starting with a letter "
                "or digit.",
                ["input", "code"],
            )
        )


def _check_text(
    text: str, name: str, limit: int, problems: InputErrors, *, blank_ok: bool = False
) -> None:
    if not blank_ok and not text.strip():
        problems.add(InvalidInput(f"The {name} cannot be blank.", ["input", name]))
    elif len(text.strip()) > limit:
        problems.add(InvalidInput(f"At most {limit} characters.", ["input", name]))


def _check_url(url: str | None, problems: InputErrors) -> None:
    if url is None:
        return
    if len(url) > URL_MAX or not re.fullmatch(r"https?://\S+", url):
        problems.add(
            InvalidInput("An http(s) URL of at most 500 characters.", ["input", "iconUrl"])
        )


def _check_reward(points: int, problems: InputErrors) -> None:
    if not 0 <= points <= MAX_REWARD_POINTS:
        problems.add(
            InvalidInput(
                f"Reward points go from 0 to {MAX_REWARD_POINTS}.", ["input", "rewardPoints"]
            )
        )


def _check_translations(
    drafts: Sequence[TranslationDraft] | None, problems: InputErrors
) -> dict[str, dict[str, str]] | None:
    if drafts is None:
        return None
    return problems.check(
        validate_translations,
        drafts,
        ["input", "translations"],
        name_max=TITLE_MAX,
        description_max=DESCRIPTION_MAX,
    )
