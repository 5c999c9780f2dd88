"""Use cases of the points area: configuring the earning rules and adjusting balances by hand."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from tortoise.transactions import in_transaction

from domain.audit import SYSTEM, Actor, record_change, row_snapshot
from domain.errors import InputErrors, InsufficientPoints, InvalidInput, NotFound
from domain.events import record_event
from domain.members.models import Member
from domain.points import ledger
from domain.points.crediting import credit_earned
from domain.points.earning import category_key
from domain.points.events import PointsAdjusted
from domain.points.models import EarningRules, EntryKind
from domain.program import ProgramCache, program_now
from domain.versions import ConfigPart, bump_version

MAX_POINTS_PER_UNIT = Decimal(1000)
MAX_CATEGORY_MULTIPLIER = Decimal(100)
MAX_CATEGORIES = 200
RATE_PLACES = Decimal("0.0001")
MAX_AWARD = 1_000_000
MAX_ADJUSTMENT = 10_000_000


@dataclass(frozen=True)
class EarningRulesInput:
    """The contract's `EarningRulesInput`; `None` in the optional extras keeps what is set."""

    points_per_currency_unit: Decimal
    pending_days: int
    expiry_days: int | None
    tier_window_months: int
    referrer_points: int
    referee_points: int
    share_points: int
    review_points: int
    survey_points: int
    engagement_daily_cap: int
    category_multipliers: tuple[tuple[str, Decimal], ...] = field(default_factory=tuple)
    #: (channel, multiplier) pairs; None keeps those set before.
    channel_multipliers: tuple[tuple[str, Decimal], ...] | None = None
    referrer_monthly_cap: int | None = None
    refund_expired_coupons: bool | None = None


def _rate(value: Decimal, low_inclusive: bool, high: Decimal) -> Decimal | None:
    try:
        rate = Decimal(value)
        if not rate.is_finite():
            return None
    except (InvalidOperation, TypeError, ValueError):
        return None
    above_low = rate >= 0 if low_inclusive else rate > 0
    if not above_low or rate > high or rate != rate.quantize(RATE_PLACES):
        return None
    return rate


def _in_range(problems: InputErrors, value: int | None, low: int, high: int, name: str) -> None:
    if value is not None and not low <= value <= high:
        problems.add(InvalidInput(f"must be {low}-{high}", ["input", name]))


CHANNELS = ("APP", "WEB", "STORE")


def _channel_multipliers(
    problems: InputErrors, pairs: tuple[tuple[str, Decimal], ...] | None
) -> dict[str, str] | None:
    """The channels' multipliers as stored ({channel: "1.5"}), each problem added to `problems`."""
    if pairs is None:
        return None
    out: dict[str, str] = {}
    for i, (channel, multiplier) in enumerate(pairs):
        path = ["input", "channelMultipliers", str(i)]
        if channel not in CHANNELS:
            problems.add(InvalidInput(f"must be one of {', '.join(CHANNELS)}", [*path, "channel"]))
            continue
        if channel in out:
            problems.add(InvalidInput(f"channel {channel} appears twice", [*path, "channel"]))
            continue
        value = _rate(multiplier, True, MAX_CATEGORY_MULTIPLIER)
        if value is None:
            problems.add(
                InvalidInput(
                    f"must be 0-{MAX_CATEGORY_MULTIPLIER} with at most 4 decimals "
                    "(0: the channel earns nothing)",
                    [*path, "multiplier"],
                )
            )
            continue
        out[channel] = str(value.normalize())
    return out


def validate_earning_rules(rules: EarningRulesInput) -> dict[str, Any]:
    """The rules as model values. Raises `ValidationErrors` naming every field at fault."""
    problems = InputErrors()
    rate = _rate(rules.points_per_currency_unit, False, MAX_POINTS_PER_UNIT)
    if rate is None:
        problems.add(
            InvalidInput(
                f"must be above 0 and at most {MAX_POINTS_PER_UNIT}, with at most 4 decimals",
                ["input", "pointsPerCurrencyUnit"],
            )
        )
    multipliers: dict[str, str] = {}
    seen: set[str] = set()
    if len(rules.category_multipliers) > MAX_CATEGORIES:
        problems.add(
            InvalidInput(f"at most {MAX_CATEGORIES} categories", ["input", "categoryMultipliers"])
        )
    for i, (category, multiplier) in enumerate(rules.category_multipliers):
        path = ["input", "categoryMultipliers", str(i)]
        name = category.strip()
        if not 1 <= len(name) <= 64 or not name.isprintable():
            problems.add(InvalidInput("must be 1-64 printable characters", [*path, "category"]))
        elif category_key(name) in seen:
            problems.add(InvalidInput(f"category '{name}' appears twice", [*path, "category"]))
        seen.add(category_key(name))
        value = _rate(multiplier, True, MAX_CATEGORY_MULTIPLIER)
        if value is None:
            problems.add(
                InvalidInput(
                    f"must be 0-{MAX_CATEGORY_MULTIPLIER} with at most 4 decimals "
                    "(0: the category earns nothing)",
                    [*path, "multiplier"],
                )
            )
        else:
            multipliers[name] = str(value.normalize())
    channels = _channel_multipliers(problems, rules.channel_multipliers)
    _in_range(problems, rules.pending_days, 0, 365, "pendingDays")
    _in_range(problems, rules.expiry_days, 1, 3650, "expiryDays")
    _in_range(problems, rules.tier_window_months, 1, 60, "tierWindowMonths")
    for points, name in (
        (rules.referrer_points, "referrerPoints"),
        (rules.referee_points, "refereePoints"),
        (rules.share_points, "sharePoints"),
        (rules.review_points, "reviewPoints"),
        (rules.survey_points, "surveyPoints"),
    ):
        _in_range(problems, points, 0, MAX_AWARD, name)
    _in_range(problems, rules.engagement_daily_cap, 0, 1000, "engagementDailyCap")
    _in_range(problems, rules.referrer_monthly_cap, 0, 10_000, "referrerMonthlyCap")
    problems.raise_any()
    values: dict[str, Any] = {
        "points_per_currency_unit": rate,
        "category_multipliers": multipliers,
        "pending_days": rules.pending_days,
        "expiry_days": rules.expiry_days,
        "tier_window_months": rules.tier_window_months,
        "referrer_points": rules.referrer_points,
        "referee_points": rules.referee_points,
        "share_points": rules.share_points,
        "review_points": rules.review_points,
        "survey_points": rules.survey_points,
        "engagement_daily_cap": rules.engagement_daily_cap,
    }
    if channels is not None:
        values["channel_multipliers"] = channels
    if rules.referrer_monthly_cap is not None:
        values["referrer_monthly_cap"] = rules.referrer_monthly_cap
    if rules.refund_expired_coupons is not None:
        values["refund_expired_coupons"] = rules.refund_expired_coupons
    return values


async def configure_earning_rules(
    rules: EarningRulesInput, now: datetime, actor: Actor = SYSTEM
) -> EarningRules:
    """Replace the program's earning rules (one row). They apply to purchases recorded from
    now on; points already credited keep their dates. Audited as `earning_rules.configure`
    by `actor`. Raises `ValidationErrors`."""
    values = validate_earning_rules(rules)
    async with in_transaction():
        row = await EarningRules.filter(id=1).select_for_update().first()
        before = row_snapshot(row) if row is not None else None
        if row is None:
            row = await EarningRules.create(id=1, updated_at=now, **values)
        else:
            await EarningRules.filter(id=1).update(updated_at=now, **values)
            row = await EarningRules.get(id=1)
        await record_change(
            actor, "earning_rules.configure", "earning_rules", "program", before,
            row_snapshot(row), now,
        )  # fmt: skip
        await bump_version(ConfigPart.EARNING_RULES)
    return row


async def adjust_points(
    customer_id: str,
    delta: int,
    reason: str,
    actor: Actor,
    now: datetime,
    program: ProgramCache | None = None,
) -> ledger.PointsSummary:
    """An admin's manual correction, recorded as an ADJUST entry with its reason and who made it,
    and audited as `points.adjust` on the member (their balance before and after, the entry).

    A positive delta is a credit, spendable at once and expiring like earned points; it counts
    as earned for tiers. A negative delta takes spendable points, oldest first, and can never
    take the balance below zero. Raises `ValidationErrors` (bad input), `NotFound` (unknown
    member) and `InsufficientPoints` (a debit beyond the balance).
    """
    problems = InputErrors()
    if delta == 0 or abs(delta) > MAX_ADJUSTMENT:
        problems.add(
            InvalidInput(
                f"must be non-zero and at most {MAX_ADJUSTMENT} either way", ["input", "delta"]
            )
        )
    text = reason.strip()
    if not 1 <= len(text) <= 200 or not text.isprintable():
        problems.add(InvalidInput("a reason of 1-200 characters is required", ["input", "reason"]))
    problems.raise_any()
    member = await Member.get_or_none(customer_id=customer_id)
    if member is None:
        raise NotFound(f"no member with customer id '{customer_id}'", ["input", "customerId"])
    async with in_transaction():
        member = await ledger.lock_member(member.id)
        description = f"Adjustment: {text}"
        if delta > 0:
            # Upgrades the member's tier at once when the correction qualifies them.
            credited = await credit_earned(
                member.id,
                delta,
                EntryKind.ADJUST,
                description,
                now,
                await program_now(program),
                reference=None,
                actor=actor.subject,
                holder=member,
            )
            entry = credited.entry
        else:
            try:
                entry = await ledger.debit(
                    member.id, -delta, EntryKind.ADJUST, description, now, actor=actor.subject
                )
            except InsufficientPoints as exc:
                raise InsufficientPoints(
                    f"cannot take {-delta} points: {exc.message}", ["input", "delta"]
                ) from exc
        await record_event(
            PointsAdjusted(
                member_id=member.id,
                entry_id=entry.id,
                delta=delta,
                reason=text,
                actor=actor.subject,
            ),
            now,
        )
        summary = await ledger.summary(member.id, now)
        # A credit is spendable at once and a debit takes spendable points: the balance
        # before is the balance now less the delta.
        await record_change(
            actor,
            "points.adjust",
            "member",
            customer_id,
            {"balance": summary.balance - delta},
            {
                "balance": summary.balance,
                "adjustment": {"entryId": entry.id, "delta": delta, "reason": text},
            },
            now,
        )
        return summary
