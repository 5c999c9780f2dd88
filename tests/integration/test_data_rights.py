"""Members' data rights on a real database: the export, and the erasure of an account."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from domain.activity import NoAchievements
from domain.errors import InvalidInput, NotFound
from domain.kpis.services import program_kpis
from domain.members.models import Device, Member, Platform
from domain.members.services import (
    ProfileChanges,
    get_or_create_member,
    register_device,
    update_profile,
)
from domain.outbox.models import OutboxEvent
from domain.points import ledger
from domain.points.models import EntryKind, PointsEntry
from domain.privacy.erasure import delete_my_account
from domain.privacy.export import DOMAIN_SECTIONS, EXPORT_FORMAT, export_member_data
from domain.purchases.models import Channel, Purchase
from domain.referrals.models import EngagementKind
from domain.referrals.services import apply_referral_code
from domain.rewards.catalogue import RewardSpec, upsert_reward
from domain.rewards.models import RewardKind
from domain.rewards.redemption import redeem_reward
from domain.segments.rules import SegmentRule
from domain.segments.services import member_in_segment, upsert_segment
from tests.integration.database_search import where_text_occurs
from tests.integration.member_history import award, badge, engagement, purchase, refund

pytestmark = pytest.mark.usefixtures("db")

JOINED = datetime(2025, 11, 3, 9, tzinfo=UTC)
NOW = datetime(2026, 3, 20, 18, tzinfo=UTC)
NAME = "Zoë Quintana-Ferreira"
EMAIL = "zoe.quintana@example.org"
CITY = "Villanueva de la Cañada"
TOKEN = "fcm-7f3a9c-zoe-device-token-QX42"
CUSTOMER = "shop-customer-55821"


async def zoe_with_a_history() -> Member:
    """A member with a profile, a device and some of everything, plus another member who
    referred her."""
    otto = await get_or_create_member("otto", JOINED)
    await update_profile(otto, ProfileChanges(display_name="Otto", email="otto@example.org"), NOW)
    await register_device(otto, "otto-token", Platform.IOS, None, JOINED)
    await purchase(otto, "10.00", datetime(2026, 2, 1, tzinfo=UTC))

    zoe = await get_or_create_member(CUSTOMER, JOINED)
    await apply_referral_code(zoe, otto.referral_code, JOINED)
    await update_profile(
        zoe,
        ProfileChanges(
            display_name=NAME,
            email=EMAIL,
            country="ES",
            city=CITY,
            birth_date=date(1991, 7, 23),
            time_zone="Europe/Madrid",
            locale="es-ES",
        ),
        NOW,
    )
    await register_device(zoe, TOKEN, Platform.ANDROID, "3.2.1", JOINED)
    shoes = await purchase(zoe, "120.00", datetime(2026, 1, 10, tzinfo=UTC), points=120)
    await refund(shoes, "20.00", datetime(2026, 1, 12, tzinfo=UTC))
    await purchase(zoe, "35.50", datetime(2026, 2, 14, tzinfo=UTC), channel=Channel.STORE)
    await engagement(zoe, datetime(2026, 2, 15, tzinfo=UTC), kind=EngagementKind.SURVEY, score=9)
    await award(zoe, await badge("first-steps", JOINED), datetime(2026, 1, 10, tzinfo=UTC))
    await ledger.credit(zoe.id, 120, EntryKind.EARN, "Order", datetime(2026, 1, 10, tzinfo=UTC))
    tote, _ = await upsert_reward(
        RewardSpec(
            code="TOTE", name="Tote bag", description="", kind=RewardKind.PRODUCT, cost_points=50
        ),
        JOINED,
    )
    await redeem_reward(zoe, tote.id, None, datetime(2026, 2, 1, tzinfo=UTC), NoAchievements())
    return zoe


async def test_the_export_holds_every_section_of_the_member_and_nothing_of_others() -> None:
    zoe = await zoe_with_a_history()

    document = await export_member_data(zoe, DOMAIN_SECTIONS, NOW)

    assert json.loads(json.dumps(document)) == document  # plain JSON all the way down
    assert document["format"] == EXPORT_FORMAT
    assert document["exportedAt"] == NOW.isoformat()
    assert document["memberId"] == zoe.id
    profile = document["profile"]
    assert (profile["displayName"], profile["email"], profile["city"]) == (NAME, EMAIL, CITY)
    assert (profile["birthDate"], profile["customerId"]) == ("1991-07-23", CUSTOMER)
    assert [d["token"] for d in document["devices"]] == [TOKEN]
    assert [(p["amount"], p["refundedAmount"], p["channel"]) for p in document["purchases"]] == [
        ("120.00", "20.00", "APP"),
        ("35.50", "0.00", "STORE"),
    ]
    assert [(r["orderId"], r["amount"]) for r in document["refunds"]] == [
        (document["purchases"][0]["orderId"], "20.00")
    ]
    assert [(e["kind"], e["score"]) for e in document["engagements"]] == [("SURVEY", 9)]
    assert [b["code"] for b in document["badges"]] == ["first-steps"]
    assert [(e["kind"], e["delta"], e["remaining"]) for e in document["pointsLedger"]] == [
        ("EARN", 120, 70),
        ("REDEEM", -50, 0),
    ]
    assert [(r["rewardCode"], r["pointsSpent"], r["status"]) for r in document["redemptions"]] == [
        ("TOTE", 50, "ACTIVE")
    ]
    assert document["referrals"]["made"] == []
    assert [r["status"] for r in document["referrals"]["received"]] == ["APPLIED"]
    assert document["challengeCompletions"] == document["progress"] == []
    assert "otto" not in json.dumps(document).lower()


async def test_other_areas_contribute_their_sections_through_the_registry() -> None:
    zoe = await zoe_with_a_history()
    asked: list[int] = []

    async def notifications(member_id: int) -> list[dict[str, Any]]:
        asked.append(member_id)
        return [{"title": "Welcome", "createdAt": NOW, "bonus": Decimal("1.50")}]

    document = await export_member_data(
        zoe, {**DOMAIN_SECTIONS, "notifications": notifications}, NOW
    )

    assert asked == [zoe.id]
    assert document["notifications"] == [
        {"title": "Welcome", "createdAt": NOW.isoformat(), "bonus": "1.50"}
    ]
    assert list(document)[-1] == "notifications"


async def test_without_confirmation_nothing_is_deleted() -> None:
    zoe = await zoe_with_a_history()
    before = await export_member_data(zoe, DOMAIN_SECTIONS, NOW)

    with pytest.raises(InvalidInput) as refused:
        await delete_my_account(zoe, False, NOW)

    assert refused.value.field == ["input", "confirm"]
    assert await export_member_data(zoe, DOMAIN_SECTIONS, NOW) == before
    assert await OutboxEvent.filter(kind="MemberErased").count() == 0


async def test_after_erasure_the_database_holds_no_trace_of_the_members_identity() -> None:
    zoe = await zoe_with_a_history()
    old_referral_code = zoe.referral_code
    needles = [NAME, EMAIL, CITY, TOKEN, CUSTOMER, old_referral_code, "1991-07-23"]
    for needle in needles:  # the search does find them before
        assert await where_text_occurs(needle), needle

    await delete_my_account(zoe, True, NOW)

    for needle in needles:
        assert await where_text_occurs(needle) == [], needle
    assert await where_text_occurs("otto@example.org") == [("member", "email")]
    assert await Device.filter(token="otto-token").exists()


async def test_erasure_keeps_the_anonymised_ledger_and_purchases_and_tells_other_layers() -> None:
    zoe = await zoe_with_a_history()
    ledger_before = await PointsEntry.filter(member_id=zoe.id).count()

    await delete_my_account(zoe, True, NOW)

    erased = await Member.get(id=zoe.id)
    assert erased.erased_at == NOW
    assert erased.customer_id is None
    assert await PointsEntry.filter(member_id=zoe.id).count() == ledger_before
    assert await Purchase.filter(member_id=zoe.id).count() == 2
    events = await OutboxEvent.filter(kind="MemberErased").values_list("payload", flat=True)
    assert events == [{"member_id": zoe.id}]


async def test_the_same_customer_later_starts_a_fresh_empty_member() -> None:
    zoe = await zoe_with_a_history()
    await delete_my_account(zoe, True, NOW)

    again = await get_or_create_member(CUSTOMER, NOW + timedelta(days=1))

    assert again.id != zoe.id
    document = await export_member_data(again, DOMAIN_SECTIONS, NOW + timedelta(days=1))
    assert document["profile"]["displayName"] != NAME
    assert document["profile"]["email"] is None
    for section in (
        "devices",
        "purchases",
        "refunds",
        "engagements",
        "badges",
        "pointsLedger",
        "redemptions",
        "challengeCompletions",
        "progress",
        "pointsExpiryReminders",
    ):
        assert document[section] == [], section
    assert document["referrals"] == {"made": [], "received": []}
    assert (await ledger.summary(again.id, NOW)).balance == 0


async def test_the_figures_of_past_periods_do_not_change_with_an_erasure() -> None:
    zoe = await zoe_with_a_history()
    periods = [
        (datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)),
        (datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)),
        (datetime(2025, 11, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)),
    ]
    before = [await program_kpis(start, end, NOW) for start, end in periods]
    assert before[0].members == 2 and before[0].revenue == Decimal("100.00")

    await delete_my_account(zoe, True, NOW)

    after = [await program_kpis(start, end, NOW + timedelta(days=1)) for start, end in periods]
    assert after == before


async def test_an_erased_member_leaves_every_segment_at_once() -> None:
    zoe = await zoe_with_a_history()
    await upsert_segment("spain", "Spain", SegmentRule(countries=("ES",)), NOW)
    await upsert_segment("everyone", "Everyone", SegmentRule(), NOW)
    assert await member_in_segment("spain", zoe.id, NOW)

    await delete_my_account(zoe, True, NOW)

    assert not await member_in_segment("spain", zoe.id, NOW)
    assert not await member_in_segment("everyone", zoe.id, NOW)


async def test_an_account_is_erased_once() -> None:
    zoe = await zoe_with_a_history()
    await delete_my_account(zoe, True, NOW)

    with pytest.raises(NotFound):
        await delete_my_account(zoe, True, NOW + timedelta(minutes=1))
    assert await OutboxEvent.filter(kind="MemberErased").count() == 1
