"""The rewards catalogue: what the admin offers and what a member may redeem now."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol, TypeAlias

from tortoise.exceptions import IntegrityError
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from domain.audit import SYSTEM, Actor, record_change, row_snapshot
from domain.errors import InputErrors, InvalidInput
from domain.members.models import Member
from domain.members.validation import check_text
from domain.money import MAX_AMOUNT, is_amount
from domain.rewards.models import DISCOUNT_KINDS, CouponStatus, Redemption, Reward, RewardKind
from domain.sql import Statement, literals
from domain.translations import TranslationDraft, validate_translations
from domain.versions import ConfigPart, VersionedCache, Versions, bump_version

REWARD_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
MAX_COST_POINTS = 10_000_000
MAX_STOCK = 100_000_000
MAX_COUPON_VALID_DAYS = 3650
#: Coupons that count towards a member's limit: held or used (an expired or cancelled coupon
#: gave its stock back and, usually, its points).
HELD_STATUSES = (CouponStatus.ACTIVE, CouponStatus.USED)


@dataclass(frozen=True)
class RewardSpec:
    """What the admin configures for a reward (upsertReward's input)."""

    code: str
    name: str
    description: str
    kind: RewardKind
    cost_points: int
    value: Decimal | None = None
    min_tier_level: int = 0
    stock: int | None = None
    per_member_limit: int | None = None
    coupon_valid_days: int | None = 30
    active: bool = True
    #: Names and descriptions per locale; None keeps those entered before.
    translations: Sequence[TranslationDraft] | None = None


def _field(name: str) -> list[str]:
    return ["input", name]


def validate_reward_spec(spec: RewardSpec) -> dict[str, object]:
    """The reward's column values, or every problem of the input at once (`ValidationErrors`)."""
    problems = InputErrors()
    values: dict[str, object] = {
        "code": problems.check(_check_code, spec.code, _field("code")),
        "name": problems.check(check_text, spec.name, _field("name"), max_length=120, min_length=1),
        "description": problems.check(
            check_text, spec.description, _field("description"), max_length=1000
        ),
        "cost_points": problems.check(
            _check_int, spec.cost_points, _field("costPoints"), 0, MAX_COST_POINTS
        ),
        "value": problems.check(_check_value, spec.kind, spec.value, _field("value")),
        "min_tier_level": problems.check(
            _check_int, spec.min_tier_level, _field("minTierLevel"), 0, 1000
        ),
        "stock": problems.check(_check_optional_int, spec.stock, _field("stock"), 0, MAX_STOCK),
        "per_member_limit": problems.check(
            _check_optional_int, spec.per_member_limit, _field("perMemberLimit"), 1, MAX_STOCK
        ),
        "coupon_valid_days": problems.check(
            _check_optional_int,
            spec.coupon_valid_days,
            _field("couponValidDays"),
            1,
            MAX_COUPON_VALID_DAYS,
        ),
    }
    if spec.translations is not None:
        values["translations"] = problems.check(
            validate_translations,
            spec.translations,
            _field("translations"),
            name_max=120,
            description_max=1000,
        )
    problems.raise_any()
    values["kind"] = spec.kind
    values["active"] = spec.active
    return values


def _check_code(code: str, field: list[str]) -> str:
    if not REWARD_CODE.match(code):
        raise InvalidInput(
            "a reward code is 1-64 letters, digits, '.', '_' or '-', starting with a letter "
            "or digit",
            field,
        )
    return code


def _check_int(value: int, field: list[str], low: int, high: int) -> int:
    if not low <= value <= high:
        raise InvalidInput(f"must be between {low} and {high}", field)
    return value


def _check_optional_int(value: int | None, field: list[str], low: int, high: int) -> int | None:
    return None if value is None else _check_int(value, field, low, high)


def _check_value(kind: RewardKind, value: Decimal | None, field: list[str]) -> Decimal | None:
    if kind not in DISCOUNT_KINDS:
        if value is not None:
            raise InvalidInput(f"a {kind.value} reward has no value: leave it empty", field)
        return None
    if value is None:
        raise InvalidInput(f"a {kind.value} reward needs a value", field)
    if not is_amount(value):
        raise InvalidInput(
            f"the value is an amount from 0 to {MAX_AMOUNT} with at most two decimals", field
        )
    if kind == RewardKind.PERCENT_DISCOUNT and not Decimal(0) < value <= Decimal(100):
        raise InvalidInput("a percent discount is more than 0 and at most 100", field)
    if kind == RewardKind.FIXED_DISCOUNT and not Decimal(0) < value:
        raise InvalidInput("a fixed discount is a positive amount", field)
    return value


async def upsert_reward(
    spec: RewardSpec, now: datetime, actor: Actor = SYSTEM
) -> tuple[Reward, bool]:
    """Create the reward with this code or replace its settings; returns (reward, created).

    Changing `stock` keeps what was already issued: the remaining stock becomes the new total
    minus the coupons held or used (never below 0). Running the same input twice changes nothing.
    The change is audited as `reward.upsert` by `actor`.
    Raises `ValidationErrors` naming every invalid input field.
    """
    values = validate_reward_spec(spec)
    for attempt in range(2):
        try:
            return await _upsert(spec.code, values, now, actor)
        except IntegrityError:
            # Two admins created the same code at once: the second one updates it.
            if attempt:
                raise
    raise AssertionError("unreachable")


async def _upsert(
    code: str, values: dict[str, Any], now: datetime, actor: Actor
) -> tuple[Reward, bool]:
    async with in_transaction():
        # The row lock makes concurrent redemptions (conditional stock updates) wait for the
        # new stock figures.
        reward = await Reward.filter(code=code).select_for_update().first()
        if reward is None:
            created = await Reward.create(
                **values, remaining_stock=values["stock"], created_at=now, updated_at=now
            )
            await _audit(actor, code, None, created, now)
            await bump_version(ConfigPart.REWARDS)
            return created, True
        before = row_snapshot(reward)
        new_stock: int | None = values["stock"]
        if new_stock is None:
            remaining = None
        else:
            out = await Redemption.filter(reward_id=reward.id, status__in=HELD_STATUSES).count()
            remaining = max(0, new_stock - out)
        changed = {k: v for k, v in values.items() if getattr(reward, k) != v}
        if remaining != reward.remaining_stock:
            changed["remaining_stock"] = remaining
        if changed:
            changed["updated_at"] = now
            await Reward.filter(id=reward.id).update(**changed)
            await reward.refresh_from_db()
            await bump_version(ConfigPart.REWARDS)
        await _audit(actor, code, before, reward, now)
        return reward, False


async def _audit(
    actor: Actor, code: str, before: dict[str, object] | None, reward: Reward, now: datetime
) -> None:
    await record_change(actor, "reward.upsert", "reward", code, before, row_snapshot(reward), now)


async def active_rewards() -> list[Reward]:
    """The rewards on offer, cheapest first."""
    return await Reward.filter(active=True).order_by("cost_points", "id")


class RewardCatalogue:
    """The rewards on offer, kept per process and read again only when the catalogue's
    version moved (an admin's change, or a unit of limited stock taken or returned). What it
    returns is shared by concurrent requests: treat it as read-only."""

    def __init__(self) -> None:
        self._active = VersionedCache(ConfigPart.REWARDS, _active_tuple)

    async def active(self, versions: Versions) -> tuple[Reward, ...]:
        """`active_rewards()` as of `versions`."""
        return await self._active.get(versions)


async def _active_tuple() -> tuple[Reward, ...]:
    return tuple(await active_rewards())


async def all_rewards() -> list[Reward]:
    """Every reward, inactive ones included (for the admin)."""
    return await Reward.all().order_by("cost_points", "id")


async def held_counts(member_id: int, reward_ids: Sequence[int]) -> dict[int, int]:
    """How many coupons of each reward the member holds or used (one query)."""
    if not reward_ids:
        return {}
    rows = (
        await Redemption.filter(
            member_id=member_id, reward_id__in=list(reward_ids), status__in=HELD_STATUSES
        )
        .annotate(n=Count("id"))
        .group_by("reward_id")
        .values("reward_id", "n")
    )
    return {r["reward_id"]: r["n"] for r in rows}


class Holder(Protocol):
    """What redeeming needs to know of a member (a `Member` row, or its two columns)."""

    @property
    def id(self) -> int: ...

    @property
    def tier_level(self) -> int: ...


def eligible(reward: Reward, member: Holder, held: int) -> bool:
    """Whether the member may redeem the reward now, points aside: on offer, tier, stock,
    limit."""
    return (
        reward.active
        and member.tier_level >= reward.min_tier_level
        and (reward.remaining_stock is None or reward.remaining_stock > 0)
        and (reward.per_member_limit is None or held < reward.per_member_limit)
    )


def redeemable(reward: Reward, member: Holder, balance: int, held: int) -> bool:
    """Whether the member could redeem the reward now: on offer, tier, stock, limit, points."""
    return eligible(reward, member, held) and balance >= reward.cost_points


#: The member's balance (the row without a reward) and coupons held per reward, in one read
#: (`$1` now, `$2` the member).
BALANCE_AND_HELD = f"""
    SELECT CAST(NULL AS BIGINT) AS reward_id,
        SUM(CASE WHEN delta > 0 AND remaining > 0 AND (expires_at IS NULL OR expires_at > $1)
            AND available_at <= $1 THEN remaining ELSE 0 END) AS n
    FROM points_entry WHERE member_id = $2
    UNION ALL
    SELECT reward_id, COUNT(*) AS n FROM redemption
    WHERE member_id = $2 AND status IN ({literals(s.value for s in HELD_STATUSES)})
    GROUP BY reward_id
"""
BALANCE_AND_HELD_COLUMNS = ("reward_id", "n")
_BALANCE_AND_HELD = Statement(BALANCE_AND_HELD)
#: (spendable balance, {reward id: coupons held or used}) of a member.
Standing: TypeAlias = tuple[int, dict[int, int]]


async def can_redeem_all(
    member: Holder, rewards: Sequence[Reward], now: datetime, standing: Standing | None = None
) -> dict[int, bool]:
    """`redeemable` for many rewards in one query (the balance as `ledger.summary` counts
    it, and the coupons held), none when the member's `standing` was read already."""
    if not rewards:
        return {}
    balance, held = standing if standing is not None else await redeem_standing(member.id, now)
    return {r.id: redeemable(r, member, balance, held.get(r.id, 0)) for r in rewards}


async def redeem_standing(member_id: int, now: datetime) -> Standing:
    """(spendable balance, {reward id: coupons held or used}) of the member, in one query."""
    return standing_of_rows(await _BALANCE_AND_HELD.rows(now, member_id))


def standing_of_rows(rows: Iterable[Mapping[str, Any]]) -> Standing:
    """The standing from the rows of `BALANCE_AND_HELD`."""
    balance, held = 0, dict[int, int]()
    for row in rows:
        if row["reward_id"] is None:
            balance = int(row["n"] or 0)
        else:
            held[int(row["reward_id"])] = int(row["n"])
    return balance, held


async def can_redeem(member: Member, reward: Reward, now: datetime) -> bool:
    """Whether the member could redeem this reward now (the catalogue's `canRedeem`)."""
    return (await can_redeem_all(member, [reward], now))[reward.id]
