"""Redeeming a reward: points out of the ledger, a coupon into the member's hands."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from domain.activity import Activity, ActivityObserver, Awards
from domain.errors import (
    Duplicate,
    InsufficientPoints,
    InvalidInput,
    LimitReached,
    NotEligible,
    NotFound,
    OutOfStock,
)
from domain.events import record_event
from domain.members.models import Member
from domain.points import ledger
from domain.points.models import EntryKind
from domain.rewards import messages
from domain.rewards.catalogue import HELD_STATUSES
from domain.rewards.coupon_codes import draw_coupon_code
from domain.rewards.events import RewardGranted, RewardRedeemed
from domain.rewards.models import Redemption, Reward
from domain.versions import ConfigPart, bump_version

MAX_KEY_LENGTH = 128
#: Draws of a coupon code before giving up (a collision of 67-bit codes is already unheard of).
CODE_ATTEMPTS = 5


@dataclass(frozen=True)
class Redeemed:
    """The coupon, what the redemption unlocked and whether it replays an earlier call."""

    redemption: Redemption
    awards: Awards = field(default_factory=Awards)
    replayed: bool = False


class _KeyTaken(Exception):
    """Another call with the same idempotency key won: roll back and return its result."""


def _check_key(key: str | None, field: list[str], locale: str | None) -> str | None:
    if key is None:
        return None
    if not key or len(key) > MAX_KEY_LENGTH or key != key.strip():
        raise InvalidInput(
            messages.CATALOGUE.text(locale, "idempotency_key", limit=MAX_KEY_LENGTH), field
        )
    return key


def _replay(existing: Redemption, reward_id: int, member: Member) -> Redeemed:
    if existing.reward_id != reward_id:
        raise Duplicate(_text(member, "key_for_another_reward"), ["input", "idempotencyKey"])
    return Redeemed(redemption=existing, replayed=True)


async def redeem_reward(
    member: Member,
    reward_id: int,
    idempotency_key: str | None,
    now: datetime,
    observer: ActivityObserver,
) -> Redeemed:
    """Spend the reward's cost (oldest points first) and issue a coupon, in one transaction.

    A retry with the same `idempotency_key` returns the first redemption and spends nothing.
    Raises `NotFound` (no such reward on offer), `NotEligible` (tier below the reward's),
    `OutOfStock`, `LimitReached` (the member holds or used `per_member_limit` coupons of it),
    `InsufficientPoints`, `Duplicate` (the key was used for another reward) or `InvalidInput`.
    When it raises, nothing was debited and no stock was taken. Messages are in the member's
    language.
    """
    key = _check_key(idempotency_key, ["input", "idempotencyKey"], member.locale)
    if key is not None:
        existing = await Redemption.get_or_none(member_id=member.id, idempotency_key=key)
        if existing is not None:
            return _replay(existing, reward_id, member)
    try:
        async with in_transaction():
            locked = await ledger.lock_member(member.id)
            if key is not None:
                # Serialised by the member's lock: a concurrent retry committed before us.
                existing = await Redemption.get_or_none(member_id=member.id, idempotency_key=key)
                if existing is not None:
                    return _replay(existing, reward_id, member)
            reward = await Reward.get_or_none(id=reward_id, active=True)
            if reward is None:
                raise NotFound(_text(locked, "not_on_offer"), ["input", "rewardId"])
            redemption = await _redeem(locked, reward, key, now)
            awards = await observer.observe(
                Activity(
                    member_id=member.id,
                    kind="REDEMPTION",
                    occurred_at=now,
                    reference=f"redemption:{redemption.id}",
                    points=redemption.points_spent,
                ),
                now,
            )
            return Redeemed(redemption=redemption, awards=awards)
    except _KeyTaken:
        existing = await Redemption.get(member_id=member.id, idempotency_key=key)
        return _replay(existing, reward_id, member)


def _text(member: Member, key: str, **values: object) -> str:
    return messages.CATALOGUE.text(member.locale, key, **values)


async def _redeem(member: Member, reward: Reward, key: str | None, now: datetime) -> Redemption:
    if member.tier_level < reward.min_tier_level:
        raise NotEligible(
            _text(member, "min_tier", level=reward.min_tier_level), ["input", "rewardId"]
        )
    if reward.remaining_stock is not None and reward.remaining_stock <= 0:
        raise OutOfStock(_text(member, "out_of_stock"), ["input", "rewardId"])
    if reward.per_member_limit is not None:
        held = await Redemption.filter(
            member_id=member.id, reward_id=reward.id, status__in=HELD_STATUSES
        ).count()
        if held >= reward.per_member_limit:
            raise LimitReached(
                _text(member, "per_member_limit", limit=reward.per_member_limit),
                ["input", "rewardId"],
            )
    redemption = await _issue(member.id, reward, reward.cost_points, key, now)
    if reward.cost_points > 0:
        try:
            debit = await ledger.debit(
                member.id,
                reward.cost_points,
                EntryKind.REDEEM,
                f"Redeemed: {reward.name}",
                now,
                reference=f"redemption:{redemption.id}",
            )
        except InsufficientPoints:
            balance = (await ledger.summary(member.id, now)).balance
            raise InsufficientPoints(
                _text(member, "insufficient_points", price=reward.cost_points, balance=balance)
            ) from None
        await Redemption.filter(id=redemption.id).update(debit_entry_id=debit.id)
        redemption.debit_entry_id = debit.id
    await _take_stock(reward, member)
    await record_event(
        RewardRedeemed(
            member_id=member.id,
            redemption_id=redemption.id,
            reward_id=reward.id,
            reward_code=reward.code,
            points=redemption.points_spent,
            expires_at=redemption.expires_at,
        ),
        now,
    )
    return redemption


async def _take_stock(reward: Reward, member: Member) -> None:
    if reward.remaining_stock is None:
        return
    taken = await Reward.filter(id=reward.id, remaining_stock__gt=0).update(
        remaining_stock=F("remaining_stock") - 1
    )
    if taken != 1:
        raise OutOfStock(_text(member, "out_of_stock"), ["input", "rewardId"])
    # The catalogue shows the stock: every process reads it again.
    await bump_version(ConfigPart.REWARDS)


async def _issue(
    member_id: int,
    reward: Reward,
    points: int,
    key: str | None,
    now: datetime,
) -> Redemption:
    """Insert the coupon under a fresh code, in a savepoint so that a unique violation (a
    code collision, or the same key committed concurrently) leaves the transaction usable."""
    expires_at = (
        now + timedelta(days=reward.coupon_valid_days)
        if reward.coupon_valid_days is not None
        else None
    )
    for _ in range(CODE_ATTEMPTS):
        try:
            async with in_transaction():
                return await Redemption.create(
                    code=draw_coupon_code(),
                    member_id=member_id,
                    reward_id=reward.id,
                    points_spent=points,
                    created_at=now,
                    expires_at=expires_at,
                    idempotency_key=key,
                )
        except IntegrityError:
            if key is not None and await Redemption.exists(
                member_id=member_id, idempotency_key=key
            ):
                raise _KeyTaken from None
    raise RuntimeError("could not draw a unique coupon code")


async def grant_reward(
    member_id: int, reward_code: str, reference: str, now: datetime
) -> Redemption:
    """Issue a coupon of the reward without spending points (a promotion's gift), once per
    (member, `reference`): granting again returns the first coupon.

    The reward's stock applies, its price, tier and per-member limit do not. Raises `NotFound`
    (no such active reward) or `OutOfStock`.
    """
    key = _check_key(reference, ["reference"], None)  # read by the program, in English
    assert key is not None
    existing = await Redemption.get_or_none(member_id=member_id, idempotency_key=key)
    if existing is not None:
        return existing
    try:
        async with in_transaction():
            member = await ledger.lock_member(member_id)
            existing = await Redemption.get_or_none(member_id=member_id, idempotency_key=key)
            if existing is not None:
                return existing
            reward = await Reward.get_or_none(code=reward_code, active=True)
            if reward is None:
                raise NotFound(f"no reward '{reward_code}' on offer", ["rewardCode"])
            await _take_stock(reward, member)
            redemption = await _issue(member_id, reward, 0, key, now)
            await record_event(
                RewardGranted(
                    member_id=member_id,
                    redemption_id=redemption.id,
                    reward_id=reward.id,
                    reward_code=reward.code,
                    reference=key,
                    expires_at=redemption.expires_at,
                ),
                now,
            )
            return redemption
    except _KeyTaken:
        return await Redemption.get(member_id=member_id, idempotency_key=key)
