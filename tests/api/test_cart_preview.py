"""previewPurchase through GraphQL: a service query answering what recordPurchase would
award, with recordPurchase's userErrors, refused to members and admins, writing nothing in
the database or in Redis, in a fixed number of statements."""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis
from graphql import print_ast

from tests.api.conftest import GraphQLClient, data, error_codes
from tests.contract.contract_check import operations
from tests.integration.query_counter import counting_statements
from tests.integration.test_cart_preview import table_counts

OPERATIONS = {name: print_ast(document) for name, document in operations()}
RECORD_PURCHASE = OPERATIONS["shop-backend:RecordPurchase"]
UPSERT_BADGE = OPERATIONS["admin-console:UpsertBadge"]

PREVIEW = """
query Preview($input: RecordPurchaseInput!) {
  previewPurchase(input: $input) {
    preview {
      alreadyRecorded memberKnown pointsEarned availableAt pending expiresAt
      bonusPoints pointsAwarded
      earning {
        pointsPerCurrencyUnit categoryWeight tierMultiplier
        categories { category multiplier share }
        tier { code }
      }
      pointsAfter { balance pending lifetimeEarned }
      tier { code } newTier { code }
      badges { code rewardPoints }
      completedChallenges { code }
    }
    userErrors { code field message }
  }
}
"""

RECORD = """
mutation Record($input: RecordPurchaseInput!) {
  recordPurchase(input: $input) {
    awards { pointsAwarded badges { badge { code } } completedChallenges { code } newTier { code } }
    userErrors { code field message }
  }
}
"""


def order(order_id: str, customer: str = "alice", amount: str = "60.00") -> dict[str, Any]:
    return {
        "input": {
            "orderId": order_id,
            "customerId": customer,
            "amount": amount,
            "currency": "EUR",
            "channel": "APP",
            "items": [
                {"sku": "s-1", "category": "shoes", "quantity": 1, "unitPrice": amount},
            ],
        }
    }


async def redis_state(redis: aioredis.Redis, prefix: str) -> dict[bytes, bytes | None]:
    """Every key under the test's prefix with a dump of its value."""
    keys = [key async for key in redis.scan_iter(match=f"{prefix}*")]
    return {key: await redis.dump(key) for key in sorted(keys)}


async def badge_that_takes_one_purchase(api: GraphQLClient) -> None:
    rule = {"event": "PURCHASE", "aggregate": "COUNT", "target": 1}
    saved = data(
        await api.admin(
            UPSERT_BADGE,
            {
                "input": {
                    "code": "first",
                    "name": "First",
                    "description": "A first order",
                    "rule": rule,
                    "rewardPoints": 25,
                }
            },
        )
    )["upsertBadge"]
    assert saved["userErrors"] == []


async def test_the_preview_announces_what_recording_then_awards(api: GraphQLClient) -> None:
    await badge_that_takes_one_purchase(api)

    previewed = data(await api.service(PREVIEW, order("A-1")))["previewPurchase"]
    assert previewed["userErrors"] == []
    preview = previewed["preview"]
    assert preview["memberKnown"] is False and preview["alreadyRecorded"] is False
    assert (preview["pointsEarned"], preview["bonusPoints"], preview["pointsAwarded"]) == (
        60,
        25,
        85,
    )
    assert preview["pending"] is True and preview["availableAt"] is not None
    assert preview["earning"]["pointsPerCurrencyUnit"] == 1.0
    assert [b["code"] for b in preview["badges"]] == ["first"]
    assert preview["pointsAfter"] == {"balance": 25, "pending": 60, "lifetimeEarned": 85}

    recorded = data(await api.service(RECORD, order("A-1")))["recordPurchase"]
    assert recorded["awards"]["pointsAwarded"] == preview["pointsAwarded"]
    assert [b["badge"]["code"] for b in recorded["awards"]["badges"]] == ["first"]

    again = data(await api.service(PREVIEW, order("A-1")))["previewPurchase"]["preview"]
    assert again["alreadyRecorded"] is True and again["memberKnown"] is True
    assert again["pointsAwarded"] == 85 and again["availableAt"] is None
    assert (again["pointsEarned"], again["bonusPoints"]) == (60, 25)

    second = data(await api.service(PREVIEW, order("A-2")))["previewPurchase"]["preview"]
    assert (second["pointsAwarded"], second["badges"]) == (60, [])


async def test_bad_input_gets_the_user_errors_of_record_purchase(api: GraphQLClient) -> None:
    bad = order("", amount="-3.001")
    bad["input"]["currency"] = "XXX1"
    previewed = data(await api.service(PREVIEW, bad))["previewPurchase"]
    recorded = data(await api.service(RECORD, bad))["recordPurchase"]
    assert previewed["preview"] is None
    assert previewed["userErrors"] == recorded["userErrors"]
    assert {e["code"] for e in previewed["userErrors"]} == {"INVALID_INPUT"}
    assert len(previewed["userErrors"]) >= 3


async def test_members_and_admins_may_not_preview(api: GraphQLClient) -> None:
    for result in (
        await api.member("alice", PREVIEW, order("A-1")),
        await api.admin(PREVIEW, order("A-1")),
    ):
        assert error_codes(result) == ["FORBIDDEN"]
        assert result["data"] is None
    assert error_codes(await api.post(PREVIEW, order("A-1"))) == ["UNAUTHENTICATED"]


async def test_a_preview_writes_nothing_in_the_database_or_redis(
    api: GraphQLClient, redis_client: aioredis.Redis, redis_prefix: str
) -> None:
    await badge_that_takes_one_purchase(api)
    data(await api.service(RECORD, order("A-1", customer="bob")))
    await api.deliver_events()
    rows = await table_counts()
    keys = await redis_state(redis_client, redis_prefix)

    for customer in ("alice", "bob"):
        previewed = data(await api.service(PREVIEW, order("A-9", customer=customer)))
        assert previewed["previewPurchase"]["userErrors"] == []

    assert await table_counts() == rows
    assert await redis_state(redis_client, redis_prefix) == keys
    assert await api.deliver_events() == 0


async def test_a_preview_request_costs_two_statements(api: GraphQLClient) -> None:
    """The versions and the member's position; the ladder and the rules come from the
    process's caches, the badges and challenges from the engine's index."""
    data(await api.service(RECORD, order("A-1")))
    query = "query P($input: RecordPurchaseInput!) { previewPurchase(input: $input) { preview { pointsAwarded pointsEarned pending tier { code } earning { tierMultiplier } } userErrors { code } } }"
    data(await api.service(query, order("A-2")))
    with counting_statements() as statements:
        result = data(await api.service(query, order("A-2")))
    assert result["previewPurchase"]["preview"]["pointsAwarded"] == 60
    assert len(statements) == 2, "\n".join(statements.sql)
