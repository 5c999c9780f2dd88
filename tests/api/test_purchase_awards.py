"""Purchases through the rules engine, end to end through GraphQL: what a purchase unlocks is
reported in its own payload, once, and a refund does not take a badge back."""

from __future__ import annotations

from datetime import timedelta

from graphql import print_ast

from domain.achievements.models import Badge, MemberBadge
from tests.api.conftest import GraphQLClient, data
from tests.contract.contract_check import operations

OPERATIONS = {name: print_ast(document) for name, document in operations()}
RECORD_PURCHASE = OPERATIONS["shop-backend:RecordPurchase"]
RECORD_REFUND = OPERATIONS["shop-backend:RecordRefund"]
UPSERT_BADGE = OPERATIONS["admin-console:UpsertBadge"]
UPSERT_CHALLENGE = OPERATIONS["admin-console:UpsertChallenge"]


def purchase(order: str, category: str, at: str) -> dict[str, object]:
    return {
        "input": {
            "orderId": order,
            "customerId": "alice",
            "amount": "60.00",
            "currency": "EUR",
            "channel": "APP",
            "occurredAt": at,
            "items": [
                {"sku": f"sku-{order}", "category": category, "quantity": 1, "unitPrice": "60.00"}
            ],
        }
    }


async def test_three_shoe_purchases_in_30_days_award_the_badge_once_on_the_third(
    api: GraphQLClient,
) -> None:
    rule = {
        "event": "PURCHASE",
        "aggregate": "COUNT",
        "target": 3,
        "windowDays": 30,
        "category": "shoes",
    }
    badge = data(
        await api.admin(
            UPSERT_BADGE,
            {
                "input": {
                    "code": "shoe-lover",
                    "name": "Shoe lover",
                    "description": "Three pairs in a month",
                    "rule": rule,
                    "rewardPoints": 100,
                }
            },
        )
    )["upsertBadge"]
    assert badge["userErrors"] == []

    def at(days: int) -> str:
        return (api.clock.now() - timedelta(days=days)).isoformat()

    payloads = []
    for order, category, days_ago in [
        ("S-1", "shoes", 20),
        ("H-1", "hats", 15),
        ("S-2", "shoes", 10),
        ("S-3", "shoes", 1),
    ]:
        result = data(await api.service(RECORD_PURCHASE, purchase(order, category, at(days_ago))))
        payloads.append(result["recordPurchase"])
    assert all(p["userErrors"] == [] for p in payloads)
    earned = [[b["badge"]["code"] for b in p["awards"]["badges"]] for p in payloads]
    assert earned == [[], [], [], ["shoe-lover"]]
    assert payloads[3]["awards"]["pointsAwarded"] == payloads[3]["purchase"]["pointsEarned"] + 100

    # A retry of the third purchase reports the first result and awards nothing more.
    retry = data(await api.service(RECORD_PURCHASE, purchase("S-3", "shoes", at(1))))
    assert retry["recordPurchase"]["awards"]["badges"][0]["badge"]["code"] == "shoe-lover"
    assert await MemberBadge.all().count() == 1
    assert (await Badge.get(code="shoe-lover")).holders_count == 1

    # A fourth shoe purchase earns no second badge; a refund takes none back.
    fourth = data(await api.service(RECORD_PURCHASE, purchase("S-4", "shoes", at(0))))
    assert fourth["recordPurchase"]["awards"]["badges"] == []
    refund = data(
        await api.service(
            RECORD_REFUND, {"input": {"refundId": "R-1", "orderId": "S-3", "amount": "60.00"}}
        )
    )
    assert refund["recordRefund"]["userErrors"] == []
    await api.deliver_events()
    mine = data(await api.member("alice", "{ me { badges { badge { code } } } }"))
    assert mine["me"]["badges"] == [{"badge": {"code": "shoe-lover"}}]


async def test_a_purchase_completing_a_challenge_reports_it_in_its_payload(
    api: GraphQLClient,
) -> None:
    now = api.clock.now()
    result = data(
        await api.admin(
            UPSERT_CHALLENGE,
            {
                "input": {
                    "code": "spend-100",
                    "title": "Spend 100",
                    "description": "Spend 100 this week",
                    "startsAt": (now - timedelta(days=1)).isoformat(),
                    "endsAt": (now + timedelta(days=6)).isoformat(),
                    "goal": {"event": "PURCHASE", "aggregate": "SUM_AMOUNT", "target": 100},
                    "rewardPoints": 50,
                }
            },
        )
    )
    assert result["upsertChallenge"]["userErrors"] == []
    first = data(await api.service(RECORD_PURCHASE, purchase("C-1", "hats", now.isoformat())))
    second = data(await api.service(RECORD_PURCHASE, purchase("C-2", "hats", now.isoformat())))
    assert first["recordPurchase"]["awards"]["completedChallenges"] == []
    assert second["recordPurchase"]["awards"]["completedChallenges"] == [
        {"code": "spend-100", "title": "Spend 100"}
    ]
