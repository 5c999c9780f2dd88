"""Rewards, coupons, referrals and engagement through GraphQL, with the contract's operations."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from graphql import print_ast
from tortoise.transactions import in_transaction

from domain.events import record_event
from domain.members.models import Member
from domain.members.services import get_or_create_member
from domain.points import ledger
from domain.points.models import EntryKind, PointsEntry
from domain.purchases.events import PurchaseRecorded, PurchaseRefunded
from domain.purchases.models import Channel, Purchase, Refund
from domain.referrals.models import Engagement, Referral, ReferralStatus
from domain.rewards import catalogue
from domain.rewards.models import CouponStatus, Redemption, Reward
from tests.api.conftest import GraphQLClient, data, error_codes
from tests.contract.contract_check import operations
from tests.fakes.queries import count_queries


def contract(name: str) -> str:
    """The text of a contract operation (`file:Operation`), with the fragments it uses."""
    return print_ast(dict(operations())[name])


UPSERT_REWARD = contract("admin-console:UpsertReward")
REWARDS = contract("member-app:Rewards")
REDEEM = contract("member-app:RedeemReward")
COUPON = contract("shop-backend:Coupon")
USE_COUPON = contract("shop-backend:UseCoupon")
APPLY_REFERRAL = contract("member-app:ApplyReferralCode")
# The contract's RecordEngagement also asks for badges, challenges and the new tier, served once
# the achievements and tiers areas add them to Awards.
ENGAGEMENT_OUTCOME = """
mutation RecordEngagement($input: RecordEngagementInput!) {
  recordEngagement(input: $input) {
    awards { pointsAwarded }
    engagement { kind reference score pointsAwarded outcome }
    userErrors { code field message }
  }
}"""
ADMIN_REWARDS = "{ rewards(includeInactive: true) { code active stock perMemberLimit } }"


def reward_input(**changes: Any) -> dict[str, Any]:
    base = {
        "code": "TEN-OFF",
        "name": "10% off",
        "description": "Ten percent off your next order",
        "kind": "PERCENT_DISCOUNT",
        "costPoints": 100,
        "value": "10",
    }
    return {**base, **changes}


async def upsert(api: GraphQLClient, **changes: Any) -> dict[str, Any]:
    result = data(await api.admin(UPSERT_REWARD, {"input": reward_input(**changes)}))
    return result["upsertReward"]


async def member_with_points(api: GraphQLClient, sub: str, points: int) -> Member:
    member = await get_or_create_member(sub, api.clock.now())
    if points:
        await ledger.credit(member.id, points, EntryKind.EARN, "test", api.clock.now())
    return member


async def redeem(api: GraphQLClient, sub: str, reward_id: str, key: str | None = None) -> dict:
    variables = {"input": {"rewardId": reward_id, "idempotencyKey": key}}
    return data(await api.member(sub, REDEEM, variables))["redeemReward"]


# ---------------------------------------------------------------- catalogue


async def test_an_admin_creates_and_updates_a_reward_by_code(api: GraphQLClient) -> None:
    created = await upsert(api, stock=50, minTierLevel=1)
    assert created["userErrors"] == []
    assert created["reward"] == {
        "id": created["reward"]["id"],
        "code": "TEN-OFF",
        "name": "10% off",
        "kind": "PERCENT_DISCOUNT",
        "costPoints": 100,
        "value": "10.00",
        "minTierLevel": 1,
        "remainingStock": 50,
    }
    updated = await upsert(api, stock=40, costPoints=120)
    assert updated["reward"]["id"] == created["reward"]["id"]
    assert (updated["reward"]["costPoints"], updated["reward"]["remainingStock"]) == (120, 40)
    assert await Reward.all().count() == 1


async def test_an_invalid_reward_names_every_field_and_saves_nothing(api: GraphQLClient) -> None:
    payload = await upsert(api, value=None, costPoints=-5, couponValidDays=0)
    assert payload["reward"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("INVALID_INPUT", ["input", "costPoints"]),
        ("INVALID_INPUT", ["input", "value"]),
        ("INVALID_INPUT", ["input", "couponValidDays"]),
    ]
    assert await Reward.all().count() == 0


async def test_only_admins_configure_rewards(api: GraphQLClient) -> None:
    result = await api.member("alice", UPSERT_REWARD, {"input": reward_input()})
    assert error_codes(result) == ["FORBIDDEN"]
    result = await api.service(UPSERT_REWARD, {"input": reward_input()})
    assert error_codes(result) == ["FORBIDDEN"]
    assert await Reward.all().count() == 0


async def test_the_catalogue_says_what_the_member_can_redeem(api: GraphQLClient) -> None:
    await upsert(api, code="CHEAP", costPoints=100)
    await upsert(api, code="DEAR", costPoints=1000)
    await upsert(api, code="GOLD", costPoints=10, minTierLevel=2)
    await upsert(api, code="GONE", costPoints=10, stock=0)
    await upsert(api, code="OLD", costPoints=10, active=False)
    await member_with_points(api, "alice", 150)
    rewards = data(await api.member("alice", REWARDS))["rewards"]
    assert [(r["code"], r["canRedeem"]) for r in rewards] == [
        ("GOLD", False),
        ("GONE", False),
        ("CHEAP", True),
        ("DEAR", False),
    ]
    admin = data(await api.admin(ADMIN_REWARDS))["rewards"]
    assert {r["code"]: r["active"] for r in admin}["OLD"] is False
    service = data(await api.service(REWARDS))["rewards"]
    assert all(r["canRedeem"] is False for r in service)


async def test_the_catalogue_costs_the_same_queries_for_five_or_fifty_rewards(
    api: GraphQLClient,
) -> None:
    await member_with_points(api, "alice", 150)

    async def queries_for(count: int) -> int:
        for i in range(await Reward.all().count(), count):
            await upsert(api, code=f"R{i:03}", costPoints=10 * i)
        with count_queries() as log:
            rewards = data(await api.member("alice", REWARDS))["rewards"]
        assert len(rewards) == count
        return log.count

    assert await queries_for(5) == await queries_for(50)


async def test_the_rewards_screen_reads_the_members_row_standing_and_versions_in_one_statement(
    api: GraphQLClient,
) -> None:
    await member_with_points(api, "alice", 150)
    for i, cost in enumerate((100, 150, 200)):
        await upsert(api, code=f"R{i}", costPoints=cost)
    limited = await upsert(api, code="ONCE", costPoints=10, perMemberLimit=1)
    assert (await redeem(api, "alice", limited["reward"]["id"], "k-1"))["userErrors"] == []
    data(await api.member("alice", REWARDS))  # the process's catalogue is read

    with count_queries() as log:
        screen = data(await api.member("alice", REWARDS))["rewards"]
    member = await Member.get(customer_id="alice")
    expected = {
        reward.code: await catalogue.can_redeem(member, reward, api.clock.now())
        for reward in await Reward.all()
    }

    # the member's row with their balance and coupons and the configuration's versions
    assert log.count == 1
    assert {r["code"]: r["canRedeem"] for r in screen} == expected
    assert expected == {"R0": True, "R1": False, "R2": False, "ONCE": False}


async def test_a_member_seen_for_the_first_time_on_the_rewards_screen_is_created(
    api: GraphQLClient,
) -> None:
    await upsert(api, code="FREE", costPoints=0)
    first = data(await api.member("newcomer", REWARDS))["rewards"]
    again = data(await api.member("newcomer", REWARDS))["rewards"]
    assert [r["canRedeem"] for r in first] == [r["canRedeem"] for r in again] == [True]
    assert await Member.filter(customer_id="newcomer").count() == 1


# ---------------------------------------------------------------- redeeming


async def test_a_member_redeems_a_reward_and_gets_a_coupon(api: GraphQLClient) -> None:
    reward_id = (await upsert(api, couponValidDays=10))["reward"]["id"]
    await member_with_points(api, "alice", 250)
    payload = await redeem(api, "alice", reward_id, "checkout-1")
    assert payload["userErrors"] == []
    coupon = payload["redemption"]
    assert coupon["couponCode"].startswith("FD-")
    assert (coupon["status"], coupon["pointsSpent"], coupon["reward"]) == (
        "ACTIVE",
        100,
        {"id": reward_id, "name": "10% off"},
    )
    assert coupon["expiresAt"] == (api.clock.now() + timedelta(days=10)).isoformat()
    assert payload["points"] == {
        "balance": 150,
        "pending": 0,
        "lifetimeEarned": 250,
        "expiringSoon": [],
    }
    again = await redeem(api, "alice", reward_id, "checkout-1")
    assert again["redemption"]["couponCode"] == coupon["couponCode"]
    assert again["points"]["balance"] == 150


async def test_without_enough_points_nothing_is_redeemed_or_spent(api: GraphQLClient) -> None:
    reward_id = (await upsert(api, costPoints=300, stock=5))["reward"]["id"]
    member = await member_with_points(api, "alice", 299)
    payload = await redeem(api, "alice", reward_id)
    assert payload == {
        "redemption": None,
        "points": None,
        "userErrors": [
            {
                "code": "INSUFFICIENT_POINTS",
                "field": None,
                "message": "300 points needed, 299 available",
            }
        ],
    }
    assert (await ledger.summary(member.id, api.clock.now())).balance == 299
    assert await Redemption.all().count() == 0
    assert (await Reward.get(id=int(reward_id))).remaining_stock == 5


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"stock": 0}, "OUT_OF_STOCK"),
        ({"minTierLevel": 3}, "NOT_ELIGIBLE"),
        ({"active": False}, "NOT_FOUND"),
    ],
)
async def test_refused_redemptions_name_the_reward_and_spend_nothing(
    api: GraphQLClient, changes: dict[str, Any], code: str
) -> None:
    reward_id = (await upsert(api, **changes))["reward"]["id"]
    member = await member_with_points(api, "alice", 500)
    payload = await redeem(api, "alice", reward_id)
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        (code, ["input", "rewardId"])
    ]
    assert payload["redemption"] is None
    assert (await ledger.summary(member.id, api.clock.now())).balance == 500
    assert await PointsEntry.filter(member_id=member.id).count() == 1


async def test_the_per_member_limit_is_reached(api: GraphQLClient) -> None:
    reward_id = (await upsert(api, perMemberLimit=1))["reward"]["id"]
    await member_with_points(api, "alice", 500)
    assert (await redeem(api, "alice", reward_id))["userErrors"] == []
    payload = await redeem(api, "alice", reward_id)
    assert [e["code"] for e in payload["userErrors"]] == ["LIMIT_REACHED"]
    assert await Redemption.all().count() == 1


async def test_a_reward_id_with_surrounding_whitespace_names_that_reward(
    api: GraphQLClient,
) -> None:
    reward_id = (await upsert(api))["reward"]["id"]
    await member_with_points(api, "alice", 250)
    payload = await redeem(api, "alice", f" {reward_id}\t")
    assert payload["userErrors"] == []
    assert payload["redemption"]["reward"]["id"] == reward_id
    assert payload["points"]["balance"] == 150


async def test_a_reward_id_that_is_not_a_number_is_not_found(api: GraphQLClient) -> None:
    await member_with_points(api, "alice", 500)
    payload = await redeem(api, "alice", "abc")
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("NOT_FOUND", ["input", "rewardId"])
    ]


# ---------------------------------------------------------------- coupons at checkout


async def test_the_shop_looks_a_coupon_up_and_uses_it_once(api: GraphQLClient) -> None:
    reward_id = (await upsert(api))["reward"]["id"]
    await member_with_points(api, "alice", 100)
    code = (await redeem(api, "alice", reward_id))["redemption"]["couponCode"]

    found = data(await api.service(COUPON, {"code": code.lower()}))["coupon"]
    assert (found["couponCode"], found["status"], found["pointsSpent"], found["reward"]) == (
        code,
        "ACTIVE",
        100,
        {"code": "TEN-OFF", "kind": "PERCENT_DISCOUNT", "value": "10.00"},
    )
    used = data(await api.service(USE_COUPON, {"input": {"code": code, "orderId": "A-1"}}))
    assert used["useCoupon"] == {
        "redemption": {"id": found["id"], "couponCode": code, "status": "USED"},
        "userErrors": [],
    }
    again = data(await api.service(USE_COUPON, {"input": {"code": code, "orderId": "A-2"}}))
    assert again["useCoupon"]["redemption"] is None
    assert [(e["code"], e["field"], e["message"]) for e in again["useCoupon"]["userErrors"]] == [
        ("ALREADY_USED", ["input", "code"], "this coupon has already been used")
    ]
    assert (await Redemption.get(id=int(found["id"]))).used_order_id == "A-1"


async def test_a_guessed_code_finds_nothing(api: GraphQLClient) -> None:
    reward_id = (await upsert(api))["reward"]["id"]
    await member_with_points(api, "alice", 100)
    code = (await redeem(api, "alice", reward_id))["redemption"]["couponCode"]
    similar = code[:-1] + ("B" if code[-1] != "B" else "C")
    for guess in (similar, "FD-2222-2222-2222-22", "SUMMER10"):
        assert data(await api.service(COUPON, {"code": guess}))["coupon"] is None
        used = data(await api.service(USE_COUPON, {"input": {"code": guess, "orderId": "A"}}))
        assert used["useCoupon"]["userErrors"] == [
            {
                "code": "INVALID_CODE",
                "field": ["input", "code"],
                "message": "this code is not a valid coupon",
            }
        ]


async def test_an_expired_coupon_is_expired_at_checkout(api: GraphQLClient) -> None:
    reward_id = (await upsert(api, couponValidDays=1))["reward"]["id"]
    member = await member_with_points(api, "alice", 100)
    code = (await redeem(api, "alice", reward_id))["redemption"]["couponCode"]
    api.clock.advance(days=2)
    assert data(await api.service(COUPON, {"code": code}))["coupon"]["status"] == "EXPIRED"
    used = data(await api.service(USE_COUPON, {"input": {"code": code, "orderId": "A-1"}}))
    assert [e["code"] for e in used["useCoupon"]["userErrors"]] == ["EXPIRED"]
    await api.runtime.run_jobs_once()
    assert (await Redemption.get(code=code)).status == CouponStatus.EXPIRED
    assert (await ledger.summary(member.id, api.clock.now())).balance == 100


async def test_members_cannot_look_coupons_up_or_use_them(api: GraphQLClient) -> None:
    assert error_codes(await api.member("alice", COUPON, {"code": "FD-X"})) == ["FORBIDDEN"]
    result = await api.member("alice", USE_COUPON, {"input": {"code": "FD-X", "orderId": "A"}})
    assert error_codes(result) == ["FORBIDDEN"]


# ---------------------------------------------------------------- referrals


async def referral_code(api: GraphQLClient, sub: str) -> str:
    return data(await api.member(sub, "{ me { referralCode } }"))["me"]["referralCode"]


async def apply(api: GraphQLClient, sub: str, code: str) -> dict[str, Any]:
    return data(await api.member(sub, APPLY_REFERRAL, {"input": {"code": code}}))[
        "applyReferralCode"
    ]


async def test_a_new_member_applies_a_friends_code(api: GraphQLClient) -> None:
    code = await referral_code(api, "ana")
    ana = await Member.get(customer_id="ana")
    payload = await apply(api, "bob", code.lower())
    assert payload == {
        "referrer": {"id": str(ana.id), "displayName": ana.display_name},
        "userErrors": [],
    }


async def test_refused_referral_codes_say_why(api: GraphQLClient) -> None:
    ana_code = await referral_code(api, "ana")
    carla_code = await referral_code(api, "carla")
    own = await apply(api, "ana", ana_code)
    unknown = await apply(api, "bob", "ZZZZ2222")
    await apply(api, "bob", ana_code)
    twice = await apply(api, "bob", carla_code)
    assert [
        (p["referrer"], [(e["code"], e["field"]) for e in p["userErrors"]])
        for p in (own, unknown, twice)
    ] == [
        (None, [("SELF_REFERRAL", ["input", "code"])]),
        (None, [("INVALID_CODE", ["input", "code"])]),
        (None, [("NOT_ELIGIBLE", ["input", "code"])]),
    ]
    assert [(r.referrer_id, r.referee_id) for r in await Referral.all()] == [
        ((await Member.get(customer_id="ana")).id, (await Member.get(customer_id="bob")).id)
    ]


async def shop_records_purchase(api: GraphQLClient, member: Member, order_id: str) -> Any:
    """What recordPurchase does for the referral flow: the purchase and its event, committed
    together. (The purchases area's GraphQL lives on its own branch.)"""
    now = api.clock.now()
    async with in_transaction():
        first = not await Purchase.exists(member_id=member.id)
        purchase = await Purchase.create(
            order_id=order_id,
            member_id=member.id,
            amount=Decimal("80.00"),
            currency="EUR",
            channel=Channel.WEB,
            occurred_at=now,
            recorded_at=now,
            points_earned=80,
        )
        event = PurchaseRecorded(
            member_id=member.id,
            purchase_id=purchase.id,
            order_id=order_id,
            amount=Decimal("80.00"),
            currency="EUR",
            channel="WEB",
            store_code=None,
            categories=(),
            occurred_at=now,
            points_earned=80,
            first_purchase=first,
        )
        await record_event(event, now)
    return event


async def shop_records_refund(api: GraphQLClient, recorded: PurchaseRecorded) -> None:
    now = api.clock.now()
    async with in_transaction():
        await Refund.create(
            refund_id=f"R-{recorded.order_id}",
            purchase_id=recorded.purchase_id,
            amount=recorded.amount,
            created_at=now,
        )
        await Purchase.filter(id=recorded.purchase_id).update(refunded_amount=recorded.amount)
        await record_event(
            PurchaseRefunded(
                member_id=recorded.member_id,
                purchase_id=recorded.purchase_id,
                order_id=recorded.order_id,
                refund_id=f"R-{recorded.order_id}",
                amount=recorded.amount,
                points_reversed=0,
                fully_refunded=True,
            ),
            now,
        )


async def test_the_referral_flow_rewards_both_and_a_refund_cancels_both(
    api: GraphQLClient,
) -> None:
    code = await referral_code(api, "ana")
    assert (await apply(api, "bob", code))["userErrors"] == []
    ana = await Member.get(customer_id="ana")
    bob = await Member.get(customer_id="bob")

    recorded = await shop_records_purchase(api, bob, "W-1")
    await api.deliver_events()

    now = api.clock.now()
    assert (await ledger.summary(ana.id, now)).pending == 500
    assert (await ledger.summary(bob.id, now)).pending == 250
    assert (await Referral.get(referee_id=bob.id)).status == ReferralStatus.COMPLETED
    later_code = await referral_code(api, "carla")
    assert [e["code"] for e in (await apply(api, "bob", later_code))["userErrors"]] == [
        "NOT_ELIGIBLE"
    ]

    api.clock.advance(days=3)
    await shop_records_refund(api, recorded)
    await api.deliver_events()
    await api.deliver_events()

    later = api.clock.now() + timedelta(days=30)
    for member in (ana, bob):
        summary = await ledger.summary(member.id, later)
        assert (summary.balance, summary.pending, summary.lifetime_earned) == (0, 0, 0)
    assert (await Referral.get(referee_id=bob.id)).status == ReferralStatus.CANCELLED


# ---------------------------------------------------------------- engagement


async def test_a_share_earns_points_once_per_reference(api: GraphQLClient) -> None:
    variables = {"input": {"kind": "SHARE", "reference": "product:42"}}
    first = data(await api.member("alice", ENGAGEMENT_OUTCOME, variables))["recordEngagement"]
    assert first == {
        "awards": {"pointsAwarded": 10},
        "engagement": {
            "kind": "SHARE",
            "reference": "product:42",
            "score": None,
            "pointsAwarded": 10,
            "outcome": "AWARDED",
        },
        "userErrors": [],
    }
    again = data(await api.member("alice", ENGAGEMENT_OUTCOME, variables))["recordEngagement"]
    assert again["awards"] == {"pointsAwarded": 0}
    assert again["engagement"]["outcome"] == "ALREADY_RECORDED"
    member = await Member.get(customer_id="alice")
    assert (await ledger.summary(member.id, api.clock.now())).balance == 10


async def test_beyond_the_daily_cap_the_payload_says_nothing_was_earned(
    api: GraphQLClient,
) -> None:
    results = []
    for i in range(4):
        variables = {"input": {"kind": "REVIEW", "reference": f"product:{i}"}}
        payload = data(await api.member("alice", ENGAGEMENT_OUTCOME, variables))
        engagement = payload["recordEngagement"]["engagement"]
        results.append((engagement["pointsAwarded"], engagement["outcome"]))
    assert results == [(50, "AWARDED")] * 3 + [(0, "DAILY_CAP_REACHED")]
    assert await Engagement.all().count() == 4


async def test_a_survey_score_outside_zero_to_ten_is_refused(api: GraphQLClient) -> None:
    variables = {"input": {"kind": "SURVEY", "reference": "nps-q1", "score": 11}}
    payload = data(await api.member("alice", ENGAGEMENT_OUTCOME, variables))["recordEngagement"]
    assert payload["awards"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("INVALID_INPUT", ["input", "score"])
    ]
    assert await Engagement.all().count() == 0
    variables["input"]["score"] = 9
    payload = data(await api.member("alice", ENGAGEMENT_OUTCOME, variables))["recordEngagement"]
    assert payload["engagement"]["score"] == 9


MY_COUPONS = """
query MyCoupons($status: CouponStatus, $first: Int!) {
  me { redemptions(status: $status, first: $first) { couponCode status reward { code } } }
}"""


async def test_a_member_lists_their_coupons_by_status(api: GraphQLClient) -> None:
    reward_id = (await upsert(api, couponValidDays=5))["reward"]["id"]
    await member_with_points(api, "alice", 300)
    codes = [(await redeem(api, "alice", reward_id))["redemption"]["couponCode"] for _ in range(3)]
    await api.service(USE_COUPON, {"input": {"code": codes[0], "orderId": "A-1"}})

    async def listed(status: str | None, first: int = 20) -> list[tuple[str, str]]:
        result = data(await api.member("alice", MY_COUPONS, {"status": status, "first": first}))
        return [(r["couponCode"], r["status"]) for r in result["me"]["redemptions"]]

    assert await listed(None) == [(codes[2], "ACTIVE"), (codes[1], "ACTIVE"), (codes[0], "USED")]
    assert await listed("USED") == [(codes[0], "USED")]
    assert await listed(None, first=1) == [(codes[2], "ACTIVE")]
    api.clock.advance(days=6)
    assert await listed("ACTIVE") == []
    assert await listed("EXPIRED") == [(codes[2], "EXPIRED"), (codes[1], "EXPIRED")]
    assert await listed(None) == [(codes[2], "EXPIRED"), (codes[1], "EXPIRED"), (codes[0], "USED")]
    too_many = await api.member("alice", MY_COUPONS, {"status": None, "first": 101})
    assert error_codes(too_many) == ["INVALID_INPUT"]


RECORD_PURCHASE_OP = contract("shop-backend:RecordPurchase")
RECORD_REFUND_OP = contract("shop-backend:RecordRefund")
MY_POINTS = "{ me { points { balance pending lifetimeEarned } } }"


async def my_points(api: GraphQLClient, sub: str) -> dict[str, int]:
    return data(await api.member(sub, MY_POINTS))["me"]["points"]


async def test_the_referral_flow_through_the_shops_own_operations(api: GraphQLClient) -> None:
    """Friend applies the code, the shop records the friend's first order and later refunds
    it, all through GraphQL: both rewards are pending, then both are cancelled."""
    code = await referral_code(api, "ana")
    assert (await apply(api, "bob", code))["userErrors"] == []
    purchase = {"orderId": "W-1", "customerId": "bob", "amount": "80.00", "currency": "EUR",
                "channel": "WEB"}  # fmt: skip
    recorded = data(await api.service(RECORD_PURCHASE_OP, {"input": purchase}))
    assert recorded["recordPurchase"]["userErrors"] == []
    earned = recorded["recordPurchase"]["purchase"]["pointsEarned"]
    await api.deliver_events()

    assert await my_points(api, "ana") == {"balance": 0, "pending": 500, "lifetimeEarned": 500}
    assert await my_points(api, "bob") == {
        "balance": 0, "pending": 250 + earned, "lifetimeEarned": 250 + earned,
    }  # fmt: skip

    api.clock.advance(days=3)  # inside the return window
    refund = {"refundId": "R-1", "orderId": "W-1", "amount": "80.00"}
    refunded = data(await api.service(RECORD_REFUND_OP, {"input": refund}))
    assert refunded["recordRefund"]["userErrors"] == []
    assert refunded["recordRefund"]["pointsReversed"] == earned
    await api.deliver_events()

    for sub in ("ana", "bob"):
        assert await my_points(api, sub) == {"balance": 0, "pending": 0, "lifetimeEarned": 0}
    assert (await Referral.get(referee__customer_id="bob")).status == ReferralStatus.CANCELLED
