"""What recording a purchase would do, as a value: the points, when they become spendable,
the multipliers behind them and the tier they reach.

`plan_purchase` is pure: it takes the order (validated), the program's configuration and the
member's position before the order (the tier held, the standing, whether they bought before)
and returns a `PurchasePlan`. `record_purchase` writes what the plan says; `preview_purchase`
answers with it and writes nothing. Both read the same inputs, so the two cannot disagree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from functools import cached_property

from domain.activity import Activity
from domain.points.earning import category_key, category_weight, purchase_points
from domain.points.models import EarningRules
from domain.purchases.validation import ValidPurchase
from domain.tiers.ladder import Holder
from domain.tiers.models import Tier
from domain.tiers.qualification import Standing
from domain.tiers.services import tier_held, upgrade_target


def order_reference(order_id: str) -> str:
    """The ledger and engine reference of an order's points and activity."""
    return f"order:{order_id}"


@dataclass(frozen=True)
class CategoryShare:
    """A category of the order with a multiplier configured for it, and the share of the
    items' total that it weighs."""

    category: str
    multiplier: Decimal
    #: The category's lines' total over the items' total, from 0 to 1.
    share: Fraction


@dataclass(frozen=True)
class EarningBreakdown:
    """The factors of `domain.points.earning.purchase_points` for one order."""

    points_per_currency_unit: Decimal
    #: The order's category multiplier: each line's multiplier weighted by its share.
    category_weight: Fraction
    #: The order (validated) and the rules' category multipliers, which `categories` splits.
    purchase: ValidPurchase
    multipliers: Mapping[str, Decimal]
    #: The tier whose multiplier applied: the one held before the order.
    tier: Tier
    #: The multiplier of the order's channel (1 for a channel without one).
    channel_multiplier: Decimal = Decimal(1)

    @cached_property
    def categories(self) -> tuple[CategoryShare, ...]:
        """The categories of the order that carry a multiplier (none: weight 1): worked out
        when asked (a preview), not for every purchase."""
        return _category_shares(self.purchase, self.multipliers)

    @property
    def tier_multiplier(self) -> Decimal:
        return Decimal(self.tier.points_multiplier)


@dataclass(frozen=True)
class PurchasePlan:
    """What one order earns and where it leaves the member (before any achievement's bonus)."""

    purchase: ValidPurchase
    points: int
    breakdown: EarningBreakdown
    #: When the points become spendable: the end of the return window.
    available_at: datetime
    expires_at: datetime | None
    first_purchase: bool
    #: The tier held before the order, and the standing before and after its credit.
    held: Tier
    before: Standing
    after: Standing
    #: The tier the order's own points lift the member to (None: no change).
    new_tier: Tier | None
    ladder: tuple[Tier, ...]
    tier_window_months: int

    def activity(self, member_id: int) -> Activity:
        """The order as the achievement engine sees it."""
        valid = self.purchase
        return Activity(
            member_id=member_id,
            kind="PURCHASE",
            occurred_at=valid.occurred_at,
            reference=order_reference(valid.order_id),
            amount=valid.amount,
            points=self.points,
            categories=frozenset(valid.categories),
            channel=valid.channel.value,
            store_code=valid.store_code,
        )

    def pending_at(self, now: datetime) -> bool:
        """Whether the points wait for the return window to close (not spendable `now`)."""
        return self.points > 0 and self.available_at > now

    def with_bonus(
        self, bonus: int, now: datetime, bonus_expires_at: datetime | None
    ) -> tuple[Standing, Tier | None]:
        """The standing once achievements credit `bonus` points as well (spendable at once,
        expiring at `bonus_expires_at`), and the tier all the points reach (None: no change),
        as the credits' tier observer decides it (`upgrade_target`, the highest wins)."""
        if bonus <= 0:
            return self.after, self.new_tier
        after = self.after.after_credit(bonus, now, now, bonus_expires_at)
        return after, upgrade_target(self.ladder, self.held, after.qualifying_points)


def _category_shares(
    valid: ValidPurchase, multipliers: Mapping[str, Decimal]
) -> tuple[CategoryShare, ...]:
    keyed = {category_key(k): (k, v) for k, v in multipliers.items()}
    total = sum((Fraction(item.total) for item in valid.items), Fraction(0))
    if total <= 0:
        return ()
    by_key: dict[str, Fraction] = {}
    for item in valid.items:
        if item.category is not None and category_key(item.category) in keyed:
            key = category_key(item.category)
            by_key[key] = by_key.get(key, Fraction(0)) + Fraction(item.total)
    return tuple(
        CategoryShare(category=keyed[key][0], multiplier=keyed[key][1], share=amount / total)
        for key, amount in by_key.items()
    )


def plan_purchase(
    valid: ValidPurchase,
    rules: EarningRules,
    ladder: Sequence[Tier],
    holder: Holder,
    before: Standing,
    *,
    first_purchase: bool,
    now: datetime,
) -> PurchasePlan:
    """The plan of recording `valid` for a member (`holder`: their tier columns) whose
    standing is `before`: points by `domain.points.earning` with the tier held before the
    order and the multiplier of the order's channel, pending `pending_days` after the purchase happened and expiring `expiry_days`
    after that (if set); the tier the order's credit reaches by `upgrade_target`."""
    multipliers = {k: Decimal(str(v)) for k, v in (rules.category_multipliers or {}).items()}
    held = tier_held(holder, ladder)
    weight = category_weight(valid.items, multipliers)
    per_unit = Decimal(rules.points_per_currency_unit)
    by_channel = Decimal(str((rules.channel_multipliers or {}).get(valid.channel.value, 1)))
    points = purchase_points(
        valid.amount, per_unit, weight, Decimal(held.points_multiplier), by_channel
    )
    available_at = valid.occurred_at + timedelta(days=rules.pending_days)
    expires_at = (
        available_at + timedelta(days=rules.expiry_days) if rules.expiry_days is not None else None
    )
    after = before.after_credit(points, now, available_at, expires_at) if points else before
    return PurchasePlan(
        purchase=valid,
        points=points,
        breakdown=EarningBreakdown(
            points_per_currency_unit=per_unit,
            category_weight=weight,
            purchase=valid,
            multipliers=multipliers,
            tier=held,
            channel_multiplier=by_channel,
        ),
        available_at=available_at,
        expires_at=expires_at,
        first_purchase=first_purchase,
        held=held,
        before=before,
        after=after,
        new_tier=upgrade_target(ladder, held, after.qualifying_points) if points else None,
        ladder=tuple(ladder),
        tier_window_months=rules.tier_window_months,
    )
