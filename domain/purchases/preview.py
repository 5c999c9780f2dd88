"""The cart preview: what recording an order would award, computed and not written.

A dry run of `record_purchase`: the same validation, the same plan (`domain.purchases.plan`)
from the same inputs (the member's tier, standing and purchase history, read in one statement
without a lock) and the same achievement engine (`ActivityObserver.preview`, which plans the
progress and answers the awards' unique keys by a read). Nothing is written: no member, no
ledger entry, no progress, no outbox event, nothing in Redis.

Two answers are a forecast rather than a promise. A challenge limited to a segment counts for
the segments the member is in before the order (recording evaluates them with the order
written), and an unknown customer (recording creates the member) has no progress and is in
no segment. And anything recorded between the preview and the purchase (another order, an
admin's change) moves the answer, as it would move the purchase's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.activity import ActivityObserver, Awards, NoAchievements
from domain.points.balances import PointsFigures
from domain.program import ProgramCache
from domain.purchases.plan import PurchasePlan, plan_purchase
from domain.purchases.services import RecordedPurchase, replayed_purchase
from domain.purchases.validation import PurchaseInput, validate_purchase
from domain.sql import Statement
from domain.tiers.models import Tier
from domain.tiers.qualification import STANDING_COLUMNS, HeldTier, standing_of_row, window_start
from domain.versions import Versions


@dataclass(frozen=True)
class PurchasePreview:
    """What `record_purchase` would answer for the order, had it been called now."""

    #: The order's plan (None when the order was recorded already).
    plan: PurchasePlan | None
    #: The awards as `record_purchase` would report them: the order's points plus the bonus
    #: of the badges and challenges it completes, and the tier it moves the member to.
    awards: Awards
    #: The tier held after the order and its awards.
    tier: Tier | None
    #: The member's points as the order would leave them (None when recorded already).
    points: PointsFigures | None
    #: Whether the customer is a member already (recording creates them otherwise).
    member_known: bool
    #: The order id was recorded already: recording it again awards nothing more, and
    #: `awards` is the first answer.
    replay: RecordedPurchase | None = None

    @property
    def bonus_points(self) -> int:
        """Points of the badges and challenges the order completes."""
        if self.plan is not None:
            own = self.plan.points
        else:
            assert self.replay is not None
            own = self.replay.purchase.points_earned
        return max(0, self.awards.points_awarded - own)


#: The member's tier columns and time zone, whether the order was recorded, whether they
#: bought before and their standing ($1 now, $2 the tier window's start, $3 the customer id,
#: $4 the order id), in one statement: one row even for an unknown customer.
_POSITION = Statement(f"""
    WITH m AS (SELECT id, tier_code, tier_level, time_zone FROM member WHERE customer_id = $3)
    SELECT (SELECT id FROM m) AS member_id, (SELECT tier_code FROM m) AS tier_code,
        (SELECT tier_level FROM m) AS tier_level, (SELECT time_zone FROM m) AS time_zone,
        (SELECT id FROM purchase WHERE order_id = $4) AS recorded_id,
        EXISTS (SELECT 1 FROM purchase WHERE member_id = (SELECT id FROM m)) AS purchased_before,
        {STANDING_COLUMNS}
    FROM points_entry WHERE member_id = (SELECT id FROM m)
""")


async def preview_purchase(
    purchase: PurchaseInput,
    now: datetime,
    *,
    program_currency: str,
    observer: ActivityObserver | None = None,
    program: ProgramCache | None = None,
    versions: Versions | None = None,
) -> PurchasePreview:
    """What `record_purchase` would record and award for `purchase` now, writing nothing.

    Costs one statement for the member's position plus the configuration versions (none when
    the caller passes `versions`), and, when a badge or challenge rule of purchases matches
    the order, the engine's reads of the member's progress (and of what they hold, when the
    order completes something). Raises `ValidationErrors` of `InvalidInput` as
    `record_purchase` does.
    """
    valid = validate_purchase(purchase, now, program_currency=program_currency)
    config = await (program or ProgramCache()).current(versions)
    rules, ladder = config.rules, config.ladder
    row = (
        await _POSITION.rows(
            now, window_start(now, rules.tier_window_months), valid.customer_id, valid.order_id
        )
    )[0]
    member_known = row["member_id"] is not None
    if row["recorded_id"] is not None:
        replay = await replayed_purchase(valid)
        if replay is not None:
            return PurchasePreview(
                plan=None,
                awards=replay.awards,
                tier=None,
                points=None,
                member_known=member_known,
                replay=replay,
            )
    member_id = int(row["member_id"]) if member_known else 0
    holder = HeldTier(
        id=member_id,
        tier_code=row["tier_code"] if member_known else None,
        tier_level=int(row["tier_level"]) if member_known else 0,
    )
    plan = plan_purchase(
        valid,
        rules,
        ladder,
        holder,
        standing_of_row(row if member_known else None),
        first_purchase=not (member_known and row["purchased_before"]),
        now=now,
    )
    unlocked = await (observer or NoAchievements()).preview(
        plan.activity(member_id),
        now,
        versions=config.versions,
        time_zone=row["time_zone"] if member_known else None,
    )
    # Bonus points are credited as `credit_bonus` does: spendable at once, expiring like
    # every point of the program.
    bonus_expires = now + timedelta(days=rules.expiry_days) if rules.expiry_days else None
    after, new_tier = plan.with_bonus(unlocked.points_awarded, now, bonus_expires)
    return PurchasePreview(
        plan=plan,
        awards=Awards(
            badge_ids=unlocked.badge_ids,
            challenge_ids=unlocked.challenge_ids,
            new_tier_code=new_tier.code if new_tier is not None else None,
            points_awarded=plan.points + unlocked.points_awarded,
        ),
        tier=new_tier or plan.held,
        points=after.figures,
        member_known=member_known,
    )
