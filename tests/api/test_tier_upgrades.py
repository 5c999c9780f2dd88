"""Tiers follow every point (issue 14): each kind of qualifying credit (a purchase, a badge's
bonus, a referral, an engagement, an admin's adjustment, a promotion's bonus) upgrades the
member at once, in the transaction that earned the points, and exactly once; the upgrade shows
in the answer of the operation that earned it where that answer reports awards, and always as
one TierChanged event."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from graphql import print_ast

from domain.members.models import Member
from domain.outbox.models import OutboxEvent
from tests.api.conftest import GraphQLClient, data
from tests.contract.contract_check import operations

SOL = {"latitude": 40.4169, "longitude": -3.7035}
TIERS = [
    {"code": "BRONZE", "name": "Bronze", "level": 0, "qualifyingPoints": 0, "pointsMultiplier": 1},
    {
        "code": "SILVER",
        "name": "Silver",
        "level": 1,
        "qualifyingPoints": 500,
        "pointsMultiplier": 1,
    },
]
RULES = {
    "pointsPerCurrencyUnit": 1,
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
TIER = "query ($c: String!) { member(customerId: $c) { tier { code } } }"


def contract(name: str) -> str:
    return next(print_ast(doc) for op, doc in operations() if op.endswith(f":{name}"))


def purchase(order: str, customer: str, amount: str) -> dict[str, Any]:
    return {
        "input": {
            "orderId": order,
            "customerId": customer,
            "amount": amount,
            "currency": "EUR",
            "channel": "APP",
            "items": [{"sku": "s", "category": "misc", "quantity": 1, "unitPrice": amount}],
        }
    }


async def ok(result: dict[str, Any], field: str) -> dict[str, Any]:
    payload = data(result)[field]
    assert payload["userErrors"] == [], payload
    return payload


async def tier_of(api: GraphQLClient, customer: str) -> str:
    return data(await api.service(TIER, {"c": customer}))["member"]["tier"]["code"]


async def upgrades_to_silver() -> list[dict[str, Any]]:
    rows = await OutboxEvent.filter(kind="TierChanged").order_by("id")
    return [r.payload for r in rows if r.payload["new_code"] == "SILVER"]


async def alice_at_490(api: GraphQLClient) -> None:
    """Tiers and rules configured; alice earned 490 qualifying points, 10 short of Silver."""
    await ok(await api.admin(contract("ConfigureTiers"), {"input": TIERS}), "configureTiers")
    await ok(
        await api.admin(contract("ConfigureEarningRules"), {"input": RULES}),
        "configureEarningRules",
    )
    first = await ok(
        await api.service(contract("RecordPurchase"), purchase("O-1", "alice", "490.00")),
        "recordPurchase",
    )
    assert first["awards"]["newTier"] is None
    assert await tier_of(api, "alice") == "BRONZE"


async def by_purchase(api: GraphQLClient) -> str | None:
    payload = await ok(
        await api.service(contract("RecordPurchase"), purchase("O-2", "alice", "20.00")),
        "recordPurchase",
    )
    assert payload["member"]["tier"]["code"] == "SILVER"
    return payload["awards"]["newTier"]["code"]


async def by_badge_bonus(api: GraphQLClient) -> str | None:
    rule = {"event": "PURCHASE", "aggregate": "COUNT", "target": 1, "windowDays": 30}
    badge = {"code": "again", "name": "Again", "description": "An order", "rule": rule}
    await ok(
        await api.admin(contract("UpsertBadge"), {"input": {**badge, "rewardPoints": 100}}),
        "upsertBadge",
    )
    # The purchase's own point (491) does not reach Silver; the badge's bonus does.
    payload = await ok(
        await api.service(contract("RecordPurchase"), purchase("O-2", "alice", "1.00")),
        "recordPurchase",
    )
    assert [b["badge"]["code"] for b in payload["awards"]["badges"]] == ["again"]
    assert payload["member"]["tier"]["code"] == "SILVER"
    return payload["awards"]["newTier"]["code"]


async def by_engagement(api: GraphQLClient) -> str | None:
    payload = await ok(
        await api.member(
            "alice", contract("RecordEngagement"), {"input": {"kind": "SHARE", "reference": "p1"}}
        ),
        "recordEngagement",
    )
    return payload["awards"]["newTier"]["code"]


async def by_adjustment(api: GraphQLClient) -> str | None:
    await ok(
        await api.admin(
            contract("AdjustPoints"),
            {"input": {"customerId": "alice", "delta": 10, "reason": "Goodwill"}},
        ),
        "adjustPoints",
    )
    return None  # the payload reports points only: the event tells


async def by_referral(api: GraphQLClient) -> str | None:
    code = data(await api.member("alice", "{ me { referralCode } }"))["me"]["referralCode"]
    await ok(
        await api.member("bob", contract("ApplyReferralCode"), {"input": {"code": code}}),
        "applyReferralCode",
    )
    await ok(
        await api.service(contract("RecordPurchase"), purchase("B-1", "bob", "5.00")),
        "recordPurchase",
    )
    # The referral completes when the worker delivers bob's first purchase.
    await api.deliver_events()
    return None


async def by_promotion_bonus(api: GraphQLClient) -> str | None:
    store = {"code": "sol", "name": "SOL", "address": "Calle 1", "geofenceRadiusMeters": 200}
    await ok(await api.admin(contract("UpsertStore"), {"input": {**store, **SOL}}), "upsertStore")
    now = api.clock.now()
    promotion = {
        "code": "coffee",
        "title": "Coffee on us",
        "message": "Bonus points for coming by.",
        "startsAt": (now - timedelta(days=1)).isoformat(),
        "endsAt": (now + timedelta(days=30)).isoformat(),
        "storeCodes": ["sol"],
        "bonusPoints": 100,
    }
    await ok(await api.admin(contract("UpsertPromotion"), {"input": promotion}), "upsertPromotion")
    fences = data(await api.member("alice", contract("NearbyGeofences"), {**SOL, "limit": 1}))
    fence = fences["nearbyGeofences"][0]["id"]
    payload = await ok(
        await api.member(
            "alice",
            contract("ReportGeofenceEvent"),
            {"input": {"geofenceId": fence, "transition": "ENTER"}},
        ),
        "reportGeofenceEvent",
    )
    assert [t["promotion"]["bonusPoints"] for t in payload["triggered"]] == [100]
    return None


@pytest.mark.parametrize(
    ("earn", "answer"),
    [
        (by_purchase, "SILVER"),
        (by_badge_bonus, "SILVER"),
        (by_engagement, "SILVER"),
        (by_adjustment, None),
        (by_referral, None),
        (by_promotion_bonus, None),
    ],
)
async def test_every_kind_of_qualifying_credit_upgrades_the_tier_at_once_and_once(
    api: GraphQLClient,
    earn: Callable[[GraphQLClient], Awaitable[str | None]],
    answer: str | None,
) -> None:
    await alice_at_490(api)

    assert await earn(api) == answer

    # At once: before any other event is delivered (the referral's credit is itself one).
    assert await tier_of(api, "alice") == "SILVER"
    await api.deliver_events()
    alice = await Member.get(customer_id="alice")
    upgrades = await upgrades_to_silver()
    assert [(u["member_id"], u["old_code"], u["new_code"]) for u in upgrades] == [
        (alice.id, "BRONZE", "SILVER")
    ]
