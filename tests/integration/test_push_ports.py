"""Push's ports on the real areas: segments decide audiences, rewards become gift coupons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.activity import NoAchievements
from domain.rewards.catalogue import RewardSpec, upsert_reward
from domain.rewards.models import Redemption, Reward, RewardKind
from domain.segments.rules import SegmentRule
from domain.segments.services import upsert_segment
from push.campaigns.services import CampaignInput, fan_out_campaigns, send_campaign
from push.live import NoLiveFeed
from push.notifications.models import Notification
from push.ports import DomainCoupons, DomainSegments
from push.stores.geoindex import GeofenceIndex
from push.stores.services import PromotionInput, StoreInput, upsert_promotion, upsert_store
from push.stores.visits import VisitServices, report_location
from tests.integration.push_support import member

pytestmark = pytest.mark.usefixtures("db")

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
SOL = (40.4169, -3.7035)


async def test_a_campaign_to_a_segment_reaches_the_members_its_rule_selects() -> None:
    gold = await member("gold", NOW, tier_level=2)
    await member("base", NOW, tier_level=0)
    await upsert_segment("gold-tier", "Gold", SegmentRule(min_tier_level=2), NOW)
    segments = DomainSegments()

    await send_campaign(
        CampaignInput(
            code="gold-news", title="For Gold", body="Early sale.", segment_code="gold-tier"
        ),
        NOW,
        segments,
    )
    assert await fan_out_campaigns(NOW, segments, NoLiveFeed()) == 1

    assert await Notification.all().values_list("member_id", flat=True) == [gold.id]


async def test_a_promotion_hands_out_the_rewards_gift_coupon_within_its_stock(
    redis_client, redis_prefix: str
) -> None:
    await upsert_reward(
        RewardSpec(code="FREE-COFFEE", name="Coffee", description="A coffee on us.",
                   kind=RewardKind.PRODUCT, cost_points=300, stock=1),
        NOW,
    )  # fmt: skip
    index = GeofenceIndex(redis_client, redis_prefix)
    await upsert_store(StoreInput("sol", "Sol", *SOL, 150), NOW, index)
    coupons = DomainCoupons()
    await upsert_promotion(
        PromotionInput(code="coffee", title="Coffee", message="On us", starts_at=NOW,
                       ends_at=NOW + timedelta(days=1), reward_code="FREE-COFFEE"),
        NOW, DomainSegments(), coupons,
    )  # fmt: skip
    services = VisitServices(index, NoAchievements(), DomainSegments(), coupons, NoLiveFeed())
    ana = await member("ana", NOW)
    bob = await member("bob", NOW)

    [for_ana] = await report_location(ana, *SOL, None, NOW, services)
    [for_bob] = await report_location(bob, *SOL, None, NOW, services)

    coupon = await Redemption.get(member_id=ana.id)
    assert for_ana.coupon_code == coupon.code
    assert for_bob.coupon_code is None  # out of stock: the visit still counts, no coupon
    assert (await Reward.get(code="FREE-COFFEE")).remaining_stock == 0
