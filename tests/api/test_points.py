"""Points, tiers, purchases and refunds through GraphQL, driving the contract's operations."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from graphql import print_ast

from domain.achievements.models import Badge, MemberBadge
from domain.activity import Activity, Awards
from domain.members.models import Member
from domain.points.models import PointsEntry
from domain.purchases.models import Purchase
from tests.api.conftest import GraphQLClient, data, error_codes
from tests.contract.contract_check import operations

OPERATIONS = {name: print_ast(document) for name, document in operations()}
RECORD_PURCHASE = OPERATIONS["shop-backend:RecordPurchase"]
RECORD_REFUND = OPERATIONS["shop-backend:RecordRefund"]
MEMBER_BY_CUSTOMER_ID = OPERATIONS["shop-backend:MemberByCustomerId"]
CONFIGURE_TIERS = OPERATIONS["admin-console:ConfigureTiers"]
CONFIGURE_RULES = OPERATIONS["admin-console:ConfigureEarningRules"]
ADJUST_POINTS = OPERATIONS["admin-console:AdjustPoints"]
POINTS_HISTORY = OPERATIONS["member-app:PointsHistory"]
ME = """
query Me {
  me {
    tier { code name level pointsMultiplier benefits }
    nextTier { tier { code name } qualifyingPointsNeeded qualifyingPoints }
    points { balance pending lifetimeEarned expiringSoon { points expiresAt } }
  }
}"""
TIERS = "query Tiers { tiers { code name level qualifyingPoints pointsMultiplier benefits } }"

LADDER = [
    {"code": "bronze", "name": "Bronze", "level": 0, "qualifyingPoints": 0, "pointsMultiplier": 1},
    {
        "code": "SILVER",
        "name": "Silver",
        "level": 1,
        "qualifyingPoints": 500,
        "pointsMultiplier": 1.25,
        "benefits": ["Free shipping"],
    },
    {
        "code": "GOLD",
        "name": "Gold",
        "level": 2,
        "qualifyingPoints": 2000,
        "pointsMultiplier": 1.5,
        "benefits": ["Free shipping", "Early access"],
    },
]
RULES = {
    "pointsPerCurrencyUnit": 1,
    "categoryMultipliers": [{"category": "shoes", "multiplier": 2}],
    "pendingDays": 14,
    "expiryDays": 365,
    "tierWindowMonths": 12,
    "referrerPoints": 500,
    "refereePoints": 250,
    "sharePoints": 10,
    "reviewPoints": 50,
    "surveyPoints": 25,
    "engagementDailyCap": 3,
}


def purchase(order_id: str, amount: str = "100.00", **extra: Any) -> dict[str, Any]:
    return {
        "input": {
            "orderId": order_id,
            "customerId": "alice",
            "amount": amount,
            "currency": "EUR",
            "channel": "APP",
            **extra,
        }
    }


async def setup_program(api: GraphQLClient) -> None:
    assert (
        data(await api.admin(CONFIGURE_TIERS, {"input": LADDER}))["configureTiers"]["userErrors"]
        == []
    )
    assert (
        data(await api.admin(CONFIGURE_RULES, {"input": RULES}))["configureEarningRules"][
            "userErrors"
        ]
        == []
    )


async def test_a_purchase_returns_the_purchase_the_member_and_the_awards(
    api: GraphQLClient,
) -> None:
    await setup_program(api)
    items = [
        {"sku": "SHOE-1", "category": "Shoes", "quantity": 1, "unitPrice": "200.00"},
        {"sku": "SOCK-1", "category": "socks", "quantity": 2, "unitPrice": "50.00"},
    ]
    result = data(await api.service(RECORD_PURCHASE, purchase("A-1", "300.00", items=items)))
    payload = result["recordPurchase"]
    assert payload["userErrors"] == []
    # 300 x (200 x 2 + 100) / 300 = 500: exactly SILVER.
    assert payload["purchase"] == {
        "id": payload["purchase"]["id"],
        "orderId": "A-1",
        "amount": "300.00",
        "refundedAmount": "0.00",
        "currency": "EUR",
        "channel": "APP",
        "pointsEarned": 500,
        "occurredAt": api.clock.now().isoformat(),
    }
    assert payload["member"]["customerId"] == "alice"
    assert payload["member"]["tier"] == {"code": "SILVER"}
    assert payload["member"]["points"] == {"balance": 0, "pending": 500, "lifetimeEarned": 500}
    assert payload["awards"] == {
        "pointsAwarded": 500,
        "badges": [],
        "completedChallenges": [],
        "newTier": {"code": "SILVER", "name": "Silver"},
    }


async def test_a_retried_order_gets_the_first_answer_and_earns_nothing_more(
    api: GraphQLClient,
) -> None:
    first = data(await api.service(RECORD_PURCHASE, purchase("A-1")))["recordPurchase"]
    api.clock.advance(minutes=5)
    again = data(await api.service(RECORD_PURCHASE, purchase("A-1")))["recordPurchase"]
    assert again["purchase"] == first["purchase"]
    assert again["awards"] == first["awards"]
    assert await PointsEntry.all().count() == 1


async def test_another_order_under_a_recorded_order_id_is_a_duplicate_user_error(
    api: GraphQLClient,
) -> None:
    data(await api.service(RECORD_PURCHASE, purchase("A-1")))
    other = purchase("A-1")
    other["input"]["customerId"] = "bruno"
    answer = data(await api.service(RECORD_PURCHASE, other))["recordPurchase"]
    assert answer["purchase"] is None
    assert [(e["code"], e["field"]) for e in answer["userErrors"]] == [
        ("DUPLICATE", ["input", "orderId"])
    ]
    assert await PointsEntry.all().count() == 1


async def test_an_invalid_purchase_names_every_field_and_records_nothing(
    api: GraphQLClient,
) -> None:
    items = [{"sku": f"S{i}", "quantity": 1, "unitPrice": "1.00"} for i in range(3)]
    items.append({"sku": "S3", "quantity": 1, "unitPrice": "-1.00"})
    future = (api.clock.now() + timedelta(hours=1)).isoformat()
    result = data(
        await api.service(
            RECORD_PURCHASE,
            purchase("A-1", "-5.00", currency="XYZ", occurredAt=future, items=items),
        )
    )
    payload = result["recordPurchase"]
    assert (payload["purchase"], payload["member"], payload["awards"]) == (None, None, None)
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("INVALID_INPUT", ["input", "amount"]),
        ("INVALID_INPUT", ["input", "currency"]),
        ("INVALID_INPUT", ["input", "occurredAt"]),
        ("INVALID_INPUT", ["input", "items", "3", "unitPrice"]),
    ]
    assert await Member.all().count() == 0
    assert await Purchase.all().count() == 0


async def test_more_than_a_hundred_items_are_refused(api: GraphQLClient) -> None:
    items = [{"sku": f"S{i}", "quantity": 1, "unitPrice": "1.00"} for i in range(101)]
    payload = data(await api.service(RECORD_PURCHASE, purchase("A-1", items=items)))[
        "recordPurchase"
    ]
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("INVALID_INPUT", ["input", "items"])
    ]


async def test_only_the_shop_backend_records_purchases(api: GraphQLClient) -> None:
    result = await api.member("alice", RECORD_PURCHASE, purchase("A-1"))
    assert error_codes(result) == ["FORBIDDEN"]
    assert error_codes(await api.post(RECORD_PURCHASE, purchase("A-1"))) == ["UNAUTHENTICATED"]
    assert await Purchase.all().count() == 0


async def test_badges_the_engine_awards_come_back_in_the_payload(api: GraphQLClient) -> None:
    now = api.clock.now()
    badge = await Badge.create(
        code="FIRST",
        name="First purchase",
        description="Your first purchase",
        rule={"event": "PURCHASE", "aggregate": "COUNT", "target": 1},
        created_at=now,
        updated_at=now,
    )

    class FirstPurchaseBadge:
        async def observe(self, activity: Activity, at: datetime, **_: object) -> Awards:
            await MemberBadge.create(member_id=activity.member_id, badge_id=badge.id, earned_at=at)
            return Awards(badge_ids=[badge.id], points_awarded=0)

    api.runtime.observer = FirstPurchaseBadge()
    payload = data(await api.service(RECORD_PURCHASE, purchase("A-1")))["recordPurchase"]
    assert payload["awards"]["badges"] == [
        {"badge": {"code": "FIRST", "name": "First purchase"}, "earnedAt": now.isoformat()}
    ]


async def test_a_refund_reverses_points_and_never_exceeds_the_order(api: GraphQLClient) -> None:
    await api.service(RECORD_PURCHASE, purchase("A-1", "100.00"))
    refund = {"input": {"refundId": "R-1", "orderId": "A-1", "amount": "30.00"}}
    payload = data(await api.service(RECORD_REFUND, refund))["recordRefund"]
    assert payload["userErrors"] == []
    assert payload["pointsReversed"] == 30
    assert payload["purchase"]["refundedAmount"] == "30.00"
    again = data(await api.service(RECORD_REFUND, refund))["recordRefund"]
    assert again["pointsReversed"] == 30 and again["purchase"]["refundedAmount"] == "30.00"

    too_much = {"input": {"refundId": "R-2", "orderId": "A-1", "amount": "70.01"}}
    refused = data(await api.service(RECORD_REFUND, too_much))["recordRefund"]
    assert refused["purchase"] is None and refused["pointsReversed"] == 0
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [
        ("INVALID_INPUT", ["input", "amount"])
    ]
    unknown = {"input": {"refundId": "R-3", "orderId": "nope", "amount": "1.00"}}
    missing = data(await api.service(RECORD_REFUND, unknown))["recordRefund"]
    assert [(e["code"], e["field"]) for e in missing["userErrors"]] == [
        ("NOT_FOUND", ["input", "orderId"])
    ]
    member = data(await api.service(MEMBER_BY_CUSTOMER_ID, {"customerId": "alice"}))["member"]
    assert member["points"] == {"balance": 0, "pending": 70, "lifetimeEarned": 70}


async def test_tiers_are_configured_idempotently_and_listed_for_members(
    api: GraphQLClient,
) -> None:
    first = data(await api.admin(CONFIGURE_TIERS, {"input": LADDER}))["configureTiers"]
    again = data(await api.admin(CONFIGURE_TIERS, {"input": LADDER}))["configureTiers"]
    assert first == again
    assert [t["code"] for t in first["tiers"]] == ["BRONZE", "SILVER", "GOLD"]
    listed = data(await api.member("alice", TIERS))["tiers"]
    assert listed == first["tiers"]
    assert listed[2] == {
        "code": "GOLD",
        "name": "Gold",
        "level": 2,
        "qualifyingPoints": 2000,
        "pointsMultiplier": 1.5,
        "benefits": ["Free shipping", "Early access"],
    }


async def test_an_invalid_ladder_is_refused_with_its_fields_and_the_old_one_stays(
    api: GraphQLClient,
) -> None:
    await api.admin(CONFIGURE_TIERS, {"input": LADDER})
    broken = [dict(t) for t in LADDER]
    broken[2]["qualifyingPoints"] = 100
    broken[1]["pointsMultiplier"] = 0
    payload = data(await api.admin(CONFIGURE_TIERS, {"input": broken}))["configureTiers"]
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("INVALID_INPUT", ["input", "1", "pointsMultiplier"])
    ]
    broken[1]["pointsMultiplier"] = 1.25
    payload = data(await api.admin(CONFIGURE_TIERS, {"input": broken}))["configureTiers"]
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("INVALID_INPUT", ["input", "2", "qualifyingPoints"])
    ]
    assert [t["qualifyingPoints"] for t in payload["tiers"]] == [0, 500, 2000]


async def test_only_admins_configure_the_program(api: GraphQLClient) -> None:
    result = await api.service(CONFIGURE_TIERS, {"input": LADDER})
    assert error_codes(result) == ["FORBIDDEN"]
    result = await api.member("alice", CONFIGURE_RULES, {"input": RULES})
    assert error_codes(result) == ["FORBIDDEN"]


async def test_earning_rules_are_saved_and_invalid_ones_name_their_fields(
    api: GraphQLClient,
) -> None:
    saved = data(await api.admin(CONFIGURE_RULES, {"input": RULES}))["configureEarningRules"]
    assert saved == {
        "earningRules": {
            "pointsPerCurrencyUnit": 1.0,
            "pendingDays": 14,
            "expiryDays": 365,
            "tierWindowMonths": 12,
        },
        "userErrors": [],
    }
    bad = {**RULES, "pointsPerCurrencyUnit": -1, "tierWindowMonths": 0}
    refused = data(await api.admin(CONFIGURE_RULES, {"input": bad}))["configureEarningRules"]
    assert refused["earningRules"] is None
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [
        ("INVALID_INPUT", ["input", "pointsPerCurrencyUnit"]),
        ("INVALID_INPUT", ["input", "tierWindowMonths"]),
    ]


async def test_admins_adjust_points_but_never_below_zero(api: GraphQLClient) -> None:
    await api.service(RECORD_PURCHASE, purchase("A-1"))
    given = data(
        await api.admin(
            ADJUST_POINTS, {"input": {"customerId": "alice", "delta": 40, "reason": "Goodwill"}}
        )
    )["adjustPoints"]
    assert given == {
        "points": {"balance": 40, "pending": 100, "lifetimeEarned": 140},
        "userErrors": [],
    }
    refused = data(
        await api.admin(
            ADJUST_POINTS, {"input": {"customerId": "alice", "delta": -41, "reason": "Oops"}}
        )
    )["adjustPoints"]
    assert refused["points"] is None
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [
        ("INSUFFICIENT_POINTS", ["input", "delta"])
    ]
    entry = await PointsEntry.filter(kind="ADJUST").get()
    assert entry.actor == "admin@shop"
    assert await PointsEntry.all().count() == 2


async def test_members_see_their_tier_progress_and_points(api: GraphQLClient) -> None:
    await setup_program(api)
    bought_at = api.clock.now()
    await api.service(RECORD_PURCHASE, purchase("A-1", "120.00"))
    me = data(await api.member("alice", ME))["me"]
    assert me["tier"] == {
        "code": "BRONZE",
        "name": "Bronze",
        "level": 0,
        "pointsMultiplier": 1.0,
        "benefits": [],
    }
    assert me["nextTier"] == {
        "tier": {"code": "SILVER", "name": "Silver"},
        "qualifyingPointsNeeded": 380,
        "qualifyingPoints": 120,
    }
    assert me["points"] == {
        "balance": 0,
        "pending": 120,
        "lifetimeEarned": 120,
        "expiringSoon": [],
    }
    api.clock.advance(days=14 + 340)
    later = data(await api.member("alice", ME))["me"]["points"]
    expires_at = bought_at + timedelta(days=14 + 365)
    assert later["balance"] == 120
    assert [e["points"] for e in later["expiringSoon"]] == [120]
    assert datetime.fromisoformat(later["expiringSoon"][0]["expiresAt"]) == expires_at


async def test_the_points_history_pages_newest_first_with_stable_cursors(
    api: GraphQLClient,
) -> None:
    for i in range(5):
        await api.service(RECORD_PURCHASE, purchase(f"A-{i}", f"{i + 1}0.00"))
    page = data(await api.member("alice", POINTS_HISTORY, {"first": 2}))["me"]["pointsHistory"]
    assert [e["node"]["delta"] for e in page["edges"]] == [50, 40]
    assert page["edges"][0]["node"]["kind"] == "EARN"
    assert page["pageInfo"]["hasNextPage"] is True
    await api.service(RECORD_PURCHASE, purchase("A-new", "99.00"))
    after = page["pageInfo"]["endCursor"]
    second = data(await api.member("alice", POINTS_HISTORY, {"first": 10, "after": after}))
    rest = second["me"]["pointsHistory"]
    assert [e["node"]["delta"] for e in rest["edges"]] == [30, 20, 10]
    assert rest["pageInfo"] == {"hasNextPage": False, "endCursor": rest["edges"][-1]["cursor"]}


async def test_a_page_beyond_a_hundred_or_a_foreign_cursor_is_refused(api: GraphQLClient) -> None:
    too_big = await api.member("alice", POINTS_HISTORY, {"first": 101})
    assert error_codes(too_big) == ["INVALID_INPUT"]
    foreign = await api.member("alice", POINTS_HISTORY, {"first": 1, "after": "bm9wZTox"})
    assert error_codes(foreign) == ["INVALID_INPUT"]


class QueryCounter:
    """Counts the SQL statements the app sends while active (Zulip's query-count habit)."""

    def __init__(self, monkeypatch: Any) -> None:
        from tortoise import connections

        self.count = 0
        client = connections.get("default")
        for name in ("execute_query", "execute_query_dict"):
            original = getattr(client, name)

            async def counted(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
                self.count += 1
                return await _original(*args, **kwargs)

            monkeypatch.setattr(client, name, counted)


MY_POINTS = """
query Mine {
  me {
    tier { code } nextTier { qualifyingPointsNeeded }
    points { balance pending lifetimeEarned expiringSoon { points expiresAt } }
    pointsHistory(first: 100) { edges { cursor node { id kind delta } } pageInfo { hasNextPage } }
  }
}"""


async def test_reading_points_costs_the_same_queries_for_5_or_100_entries(
    api: GraphQLClient, monkeypatch: Any
) -> None:
    await setup_program(api)
    for i in range(5):
        await api.service(RECORD_PURCHASE, purchase(f"A-{i}", "10.00"))
    counter = QueryCounter(monkeypatch)
    few = data(await api.member("alice", MY_POINTS))["me"]["pointsHistory"]["edges"]
    with_few = counter.count
    for i in range(5, 100):
        await api.service(RECORD_PURCHASE, purchase(f"A-{i}", "10.00"))
    counter.count = 0
    many = data(await api.member("alice", MY_POINTS))["me"]["pointsHistory"]["edges"]
    assert (len(few), len(many)) == (5, 100)
    assert 0 < counter.count == with_few <= 8


async def test_points_with_their_expiries_are_read_in_one_statement_and_agree_with_apart(
    api: GraphQLClient, monkeypatch: Any
) -> None:
    await setup_program(api)
    await api.service(RECORD_PURCHASE, purchase("A-1", "120.00"))
    api.clock.advance(days=14 + 340)  # available, and expiring within 30 days
    await api.service(RECORD_PURCHASE, purchase("A-2", "50.00"))
    figures_only = "{ me { points { balance pending lifetimeEarned } } }"
    with_expiries = (
        "{ me { points { ...P } } } "
        "fragment P on PointsSummary { balance pending lifetimeEarned expiringSoon { points } }"
    )
    apart = "{ me { p: points { balance pending lifetimeEarned } } }"
    counter = QueryCounter(monkeypatch)

    counter.count = 0
    bare = data(await api.member("alice", figures_only))["me"]["points"]
    statements_bare = counter.count
    counter.count = 0
    full = data(await api.member("alice", with_expiries))["me"]["points"]
    statements_full = counter.count

    assert statements_full == statements_bare
    assert full["expiringSoon"] == [{"points": 120}]
    assert {k: v for k, v in full.items() if k != "expiringSoon"} == bare
    assert data(await api.member("alice", apart))["me"]["p"] == bare
    assert bare["pending"] > 0 and bare["balance"] == 120
