"""Use cases of the tiers area: configuring the ladder, upgrades, the daily review, progress.

A member holds the highest tier whose qualifying points they earned in the rolling window of
`tier_window_months` (see `domain.tiers.qualification`). Upgrades happen at once, inside the
transaction that earned the points; downgrades only in the daily review, when the window no
longer supports the tier. Every change of a member's tier raises `TierChanged`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from tortoise.transactions import in_transaction

from domain.audit import SYSTEM, Actor, Snapshot, record_change, row_snapshot
from domain.events import DomainEvent, record_event, record_events
from domain.members.models import Member
from domain.points.ledger import lock_member
from domain.points.rules import earning_rules
from domain.sql import for_ids
from domain.tiers.events import TierChanged
from domain.tiers.ladder import Holder, TierSpec, next_rung, qualified_rung, validate_ladder
from domain.tiers.models import Tier
from domain.tiers.qualification import (
    HeldTier,
    held_and_qualifying,
    held_and_qualifying_of_many,
    qualifying_points,
)
from domain.versions import ConfigPart, bump_version

DEFAULT_BASE_CODE = "MEMBER"
REVIEW_BATCH = 500


def default_base_tier() -> Tier:
    """The tier every member holds while an admin has configured none (not stored)."""
    return Tier(
        code=DEFAULT_BASE_CODE,
        name="Member",
        level=0,
        qualifying_points=0,
        points_multiplier=Decimal(1),
        benefits=[],
    )


async def tier_ladder() -> list[Tier]:
    """The configured tiers by level, or the default base tier alone."""
    tiers = await Tier.all().order_by("level")
    return tiers or [default_base_tier()]


def tier_held(member: Holder, ladder: Sequence[Tier]) -> Tier:
    """The tier the member holds now, from their stored code (or level) on the ladder."""
    for tier in ladder:
        if member.tier_code is not None and tier.code == member.tier_code:
            return tier
    held = ladder[0]
    for tier in ladder:
        if tier.level <= member.tier_level:
            held = tier
    return held


def upgrade_target(ladder: Sequence[Tier], held: Tier, qualifying: int) -> Tier | None:
    """The tier `qualifying` points lift a member holding `held` to, or None when they
    qualify for no higher tier (upgrades only: the daily review moves members down). The one
    rule of immediate upgrades, for a credit written (`upgrade_on_credit`) or planned (a
    purchase's preview)."""
    target = qualified_rung(ladder, qualifying)
    return target if target.level > held.level else None


async def configure_tiers(
    specs: Sequence[TierSpec], now: datetime, actor: Actor = SYSTEM
) -> list[Tier]:
    """Replace the ladder with `specs`, upserting by code: running the same configuration twice
    changes nothing. Tiers left out are removed. Members keep the tier they hold (renumbered
    levels follow the code); members of a removed tier are placed again on their qualifying
    points. Upgrades that new thresholds allow happen in the daily review.

    Audited as `tiers.configure` by `actor`: the ladder's tiers by code, before and after.
    Raises `ValidationErrors` of `InvalidInput` (field paths like ["input", "1", "level"]).
    """
    ladder = validate_ladder(specs)
    async with in_transaction():
        existing = {tier.code: tier for tier in await Tier.all().select_for_update()}
        before = _ladder_snapshot(existing.values())
        wanted = {spec.code for spec in ladder}
        removed = [code for code in existing if code not in wanted]
        if removed:
            await Tier.filter(code__in=removed).delete()
        # Levels are unique: park the tiers that move on negative levels first, so that two
        # tiers can swap levels within one configuration.
        moving = [
            existing[spec.code]
            for spec in ladder
            if spec.code in existing and existing[spec.code].level != spec.level
        ]
        for parked, tier in enumerate(moving, start=1):
            await Tier.filter(id=tier.id).update(level=-parked)
        for spec in ladder:
            current = existing.get(spec.code)
            values: dict[str, Any] = {
                "name": spec.name,
                "level": spec.level,
                "qualifying_points": spec.qualifying_points,
                "points_multiplier": spec.points_multiplier,
                "benefits": list(spec.benefits),
            }
            translations = spec.stored_translations()
            if translations is not None:
                values["translations"] = translations
            if current is None:
                await Tier.create(code=spec.code, updated_at=now, **values)
            elif _differs(current, values):
                await Tier.filter(id=current.id).update(updated_at=now, **values)
        tiers = await Tier.all().order_by("level")
        for tier in tiers:
            await (
                Member.filter(tier_code=tier.code)
                .exclude(tier_level=tier.level)
                .update(tier_level=tier.level, inputs_changed_at=now)
            )
        await _replace_members_of_removed_tiers(tiers, now)
        await record_change(
            actor, "tiers.configure", "tiers", "ladder", before, _ladder_snapshot(tiers), now
        )
        await bump_version(ConfigPart.TIERS)
    return tiers


def _ladder_snapshot(tiers: Iterable[Tier]) -> Snapshot:
    """The ladder as the audit log keeps it: each tier's settings by its code."""
    return {tier.code: row_snapshot(tier, exclude=("code",)) for tier in tiers}


def _differs(tier: Tier, values: dict[str, object]) -> bool:
    for name, value in values.items():
        current = getattr(tier, name)
        if name == "points_multiplier":
            if Decimal(current) != value:
                return True
        elif current != value:
            return True
    return False


async def _replace_members_of_removed_tiers(ladder: list[Tier], now: datetime) -> None:
    codes = [tier.code for tier in ladder]
    stranded = Member.filter(tier_code__isnull=False).exclude(tier_code__in=codes)
    unplaced_above_base = Member.filter(tier_code__isnull=True, tier_level__gt=0)
    ids = [
        *await stranded.values_list("id", flat=True),
        *await unplaced_above_base.values_list("id", flat=True),
    ]
    if not ids:
        return
    rules = await earning_rules()
    for start in range(0, len(ids), REVIEW_BATCH):
        batch = ids[start : start + REVIEW_BATCH]
        points = await qualifying_points(batch, now, rules.tier_window_months)
        for member in await Member.filter(id__in=batch):
            await place_member(member, qualified_rung(ladder, points[member.id]), now)


@dataclass(frozen=True)
class Placement:
    """Putting a member on `tier`: the row's tier columns change, and `event` is the
    `TierChanged` to raise (None: a first placement on the tier the member already holds by
    level, or a renumbering, is bookkeeping, not a change)."""

    tier: Tier
    event: TierChanged | None
    #: Whether it is an upgrade a credit earned (`credit_placement`), not a first placement.
    upgrade: bool = False


def placement(member: Member | HeldTier, tier: Tier, *, upgrade: bool = False) -> Placement | None:
    """What putting `member` on `tier` writes (None: nothing, they are on it already)."""
    if member.tier_code == tier.code and member.tier_level == tier.level:
        return None
    old_code, old_level = member.tier_code, member.tier_level
    if old_level == tier.level and (old_code is None or old_code == tier.code):
        return Placement(tier, None, upgrade)
    return Placement(
        tier,
        TierChanged(
            member_id=member.id,
            old_code=old_code,
            new_code=tier.code,
            old_level=old_level,
            new_level=tier.level,
        ),
        upgrade,
    )


def hold(member: Member | HeldTier, placed: Placement, now: datetime) -> None:
    """Bring the caller's row up to `placed`, once it is written."""
    member.tier_code, member.tier_level = placed.tier.code, placed.tier.level
    if isinstance(member, Member):
        member.inputs_changed_at = now


async def place_member(member: Member | HeldTier, tier: Tier, now: datetime) -> bool:
    """Put the member on `tier` (the caller's transaction, the member locked); raises
    `TierChanged` and returns True when the tier really changed (a first placement on the
    base tier, or a renumbering, is bookkeeping, not a change). `member` is updated in place.
    """
    placed = placement(member, tier)
    if placed is None:
        return False
    return await write_placement(member, placed, now)


async def write_placement(member: Member | HeldTier, placed: Placement, now: datetime) -> bool:
    await Member.filter(id=member.id).update(
        tier_code=placed.tier.code, tier_level=placed.tier.level, inputs_changed_at=now
    )
    hold(member, placed, now)
    if placed.event is None:
        return False
    await record_event(placed.event, now)
    return True


def credit_placement(
    holder: Member | HeldTier, ladder: Sequence[Tier], qualifying: int
) -> Placement | None:
    """What `upgrade_on_credit` writes for a member whose row the caller holds (`holder`) and
    whose qualifying points, this credit included, are `qualifying`: an upgrade by
    `upgrade_target`, else their first placement on a configured ladder, else nothing."""
    held = tier_held(holder, ladder)
    if next_rung(ladder, held.level) is not None:
        target = upgrade_target(ladder, held, qualifying)
        if target is not None:
            return placement(holder, target, upgrade=True)
    if holder.tier_code is None and held.id is not None:
        # Never placed on the configured ladder: the caller's row (and the stored one, which
        # it mirrors) gets the code of the rung it holds, once in the member's life.
        return placement(holder, held)
    return None


async def upgrade_on_credit(
    member_id: int,
    now: datetime,
    *,
    window_months: int,
    ladder: Sequence[Tier],
    holder: Member | HeldTier | None = None,
    qualifying: int | None = None,
) -> Tier | None:
    """Tier qualification as an observer of every qualifying ledger credit
    (`domain.points.crediting` calls it right after writing one): the member moves up at once,
    in the credit's transaction, when the points earned in the window now reach a higher tier.
    Returns the new tier, or None. Never moves a member down (the daily review does), and
    writes nothing unless the member moves up (or, given `holder`, once in a member's life:
    their first placement on a configured ladder, so that the row the caller holds says it).

    `ladder` is the caller's (a process's `ProgramCache`). `holder`: the member's row, locked
    and kept up to date in place, when the caller has it: then nothing is read for a member
    already on the top rung, and only the qualifying points otherwise (none when the caller
    passes `qualifying`, their qualifying points including this credit, as a purchase does).
    Without `holder`, one query reads the tier and the qualifying points together.
    """
    if holder is not None:
        if qualifying is None and next_rung(ladder, tier_held(holder, ladder).level) is not None:
            qualifying = (await qualifying_points([member_id], now, window_months))[member_id]
        placed = credit_placement(holder, ladder, qualifying or 0)
        if placed is None:
            return None
        await write_placement(holder, placed, now)
        return placed.tier if placed.upgrade else None
    found = await held_and_qualifying(member_id, now, window_months)
    if found is None:
        return None
    member, points = found
    target = upgrade_target(ladder, tier_held(member, ladder), points)
    if target is None:
        return None
    await place_member(member, target, now)
    return target


#: Upgrades only: a member already at or above the tier (a concurrent credit) is left alone.
_MOVE_UP = """
    UPDATE member SET tier_code = $1, tier_level = $2, inputs_changed_at = $3
    WHERE id IN ({ids}) AND tier_level < $2
    RETURNING id
"""


async def upgrade_many_on_credit(
    member_ids: Sequence[int], now: datetime, *, window_months: int, ladder: Sequence[Tier]
) -> dict[int, Tier]:
    """`upgrade_on_credit` for a batch of members credited together (campaign, birthday and
    win-back bonuses), in the caller's transaction: one query reads their tiers and
    qualifying points, one guarded update per tier reached moves them up, and their
    `TierChanged` events go to the outbox in one insert. Returns the new tier by member.

    A member whom a concurrent credit already lifted to that tier or higher is not moved (the
    update's guard); nothing is read when the ladder has a single rung."""
    if len(ladder) < 2 or not member_ids:
        return {}
    moves: dict[str, tuple[Tier, list[HeldTier]]] = {}
    for held, points in await held_and_qualifying_of_many(member_ids, now, window_months):
        target = upgrade_target(ladder, tier_held(held, ladder), points)
        if target is not None:
            moves.setdefault(target.code, (target, []))[1].append(held)
    upgraded: dict[int, Tier] = {}
    events: list[DomainEvent] = []
    for target, members in moves.values():
        rows = await for_ids(_MOVE_UP, len(members)).rows(
            target.code, target.level, now, *(m.id for m in members)
        )
        moved = {int(row["id"]) for row in rows}
        for member in members:
            if member.id in moved:
                upgraded[member.id] = target
                events.append(
                    TierChanged(
                        member_id=member.id,
                        old_code=member.tier_code,
                        new_code=target.code,
                        old_level=member.tier_level,
                        new_level=target.level,
                    )
                )
    await record_events(events, now)
    return upgraded


async def review_tiers(now: datetime, *, batch_size: int = REVIEW_BATCH) -> int:
    """The daily review: place every member on the tier their window supports, moving down
    those whose earned points no longer hold their tier (and up any that a new configuration
    qualifies). Each change is its own transaction with the member locked. Returns how many
    members changed tier. Running it twice at the same `now` changes nothing more.
    """
    ladder = await tier_ladder()
    window_months = (await earning_rules()).tier_window_months
    changed = 0
    after = 0
    while True:
        batch = (
            await Member.filter(id__gt=after, erased_at__isnull=True)
            .order_by("id")
            .limit(batch_size)
        )
        if not batch:
            return changed
        after = batch[-1].id
        points = await qualifying_points([m.id for m in batch], now, window_months)
        for member in batch:
            target = qualified_rung(ladder, points[member.id])
            if member.tier_code == target.code and member.tier_level == target.level:
                continue
            async with in_transaction():
                locked = await lock_member(member.id)
                # Re-read under the lock: a purchase may have upgraded the member meanwhile.
                fresh = (await qualifying_points([member.id], now, window_months))[member.id]
                if await place_member(locked, qualified_rung(ladder, fresh), now):
                    changed += 1


@dataclass(frozen=True)
class TierProgress:
    """How far a member is from the next tier."""

    tier: Tier
    qualifying_points: int
    qualifying_points_needed: int


async def next_tier_progress(
    members: Sequence[Member],
    now: datetime,
    *,
    ladder: Sequence[Tier] | None = None,
    window_months: int | None = None,
) -> dict[int, TierProgress | None]:
    """For each member, the tier above theirs and the qualifying points still missing
    (None at the top tier). One query for the points of all members, plus one each for the
    ladder and the earning rules unless the caller holds them (a process's `Program`)."""
    if ladder is None:
        ladder = await tier_ladder()
    if window_months is None:
        window_months = (await earning_rules()).tier_window_months
    points = await qualifying_points([m.id for m in members], now, window_months)
    return {
        member.id: progress_to_next_tier(member, ladder, points[member.id]) for member in members
    }


def progress_to_next_tier(
    member: Holder, ladder: Sequence[Tier], qualifying: int
) -> TierProgress | None:
    """The tier above the member's and the qualifying points still missing, given their
    qualifying points (never below 0); None at the top tier."""
    upcoming = next_rung(ladder, tier_held(member, ladder).level)
    if upcoming is None:
        return None
    return TierProgress(
        tier=upcoming,
        qualifying_points=qualifying,
        qualifying_points_needed=max(0, upcoming.qualifying_points - qualifying),
    )
