"""Inputs at the edges of what their types hold: `DateTime` (api.scalars) and `Decimal` amounts.

Before, `0001-01-01T00:00:00+14:00` as a purchase's `occurredAt`, a KPI period in year 1, or a
drop opening in year 1 with early access (which then broke every member's drops list and the
announcement job) ended in an internal error. Such values are refused where the scalar is read,
with the message every malformed scalar gets; values inside the range still work.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from api.scalars import parse_datetime
from tests.api.conftest import GraphQLClient, data

RECORD = """
mutation($input: RecordPurchaseInput!) {
  recordPurchase(input: $input) { purchase { occurredAt } userErrors { code field } }
}"""
KPIS = "query($from: DateTime!, $to: DateTime!) { programKpis(from: $from, to: $to) { from } }"
UPSERT_DROP = """
mutation($input: DropInput!) { upsertDrop(input: $input) { drop { code } userErrors { code } } }"""
DROPS = "{ drops { code status eligibility { opensForMeAt } } }"

OUT_OF_RANGE = [
    "0001-01-01T00:00:00+14:00",  # cannot even be put in UTC
    "0001-01-01T00:00:00Z",
    "1899-12-31T23:59:59Z",
    "1900-01-01T00:59:59+01:00",  # 1899-12-31T23:59:59Z
    "3000-01-01T00:00:00Z",
    "9999-12-31T23:59:59-14:00",  # past year 9999 in UTC
]


def purchase(occurred_at: str) -> dict[str, Any]:
    return {
        "orderId": f"edge-{uuid.uuid4().hex}",
        "customerId": "alice",
        "amount": "10.00",
        "currency": "EUR",
        "channel": "APP",
        "occurredAt": occurred_at,
    }


def refusal(result: dict[str, Any], value: str) -> str:
    """The one error of a refused variable, which must name the value and the range."""
    assert result.get("data") is None, result
    [error] = result["errors"]
    assert "INTERNAL_SERVER_ERROR" not in str(error)
    message = error["message"]
    assert f'Value cannot represent a DateTime: "{value}"' in message
    return str(message)


@pytest.mark.parametrize("value", OUT_OF_RANGE)
async def test_a_purchase_at_a_moment_out_of_range_is_refused(
    api: GraphQLClient, value: str
) -> None:
    result = await api.service(RECORD, {"input": purchase(value)})
    assert "1900-01-01 and 2999-12-31 (UTC)" in refusal(result, value)


@pytest.mark.parametrize("value", OUT_OF_RANGE)
async def test_a_kpi_period_out_of_range_is_refused(api: GraphQLClient, value: str) -> None:
    result = await api.admin(KPIS, {"from": value, "to": "2026-01-01T00:00:00Z"})
    refusal(result, value)


async def test_a_literal_out_of_range_is_refused_too(api: GraphQLClient) -> None:
    value = "0001-01-01T00:00:00Z"
    result = await api.admin(
        f'{{ programKpis(from: "{value}", to: "0001-01-02T00:00:00Z") {{ from }} }}'
    )
    assert result.get("data") is None
    assert any(value in e["message"] for e in result["errors"])
    assert "INTERNAL_SERVER_ERROR" not in str(result)


async def test_a_drop_opening_in_year_one_is_refused_and_the_drops_list_still_works(
    api: GraphQLClient,
) -> None:
    drop = {
        "code": "edge",
        "title": "Edge",
        "description": "An admin's typo",
        "opensAt": "0001-01-01T00:00:00Z",
        "closesAt": "2030-01-01T00:00:00Z",
        "quantity": 5,
        "earlyAccessTierLevel": 1,
        "earlyAccessMinutes": 600,
    }
    refusal(await api.admin(UPSERT_DROP, {"input": drop}), drop["opensAt"])
    listed = data(await api.member("alice", DROPS))["drops"]
    assert "edge" not in [d["code"] for d in listed]

    drop["opensAt"] = "1900-01-01T00:00:00Z"  # the first moment accepted
    assert data(await api.admin(UPSERT_DROP, {"input": drop}))["upsertDrop"]["userErrors"] == []
    listed = data(await api.member("alice", DROPS))["drops"]
    assert [d["status"] for d in listed if d["code"] == "edge"] == ["OPEN"]


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("1900-01-01T00:00:00Z", "1900-01-01T00:00:00+00:00"),
        ("1900-01-01T00:00:00-01:00", "1900-01-01T01:00:00+00:00"),
        ("2020-06-01T06:00:00+14:00", "2020-05-31T16:00:00+00:00"),
    ],
)
async def test_moments_inside_the_range_are_taken(
    api: GraphQLClient, value: str, stored: str
) -> None:
    result = data(await api.service(RECORD, {"input": purchase(value)}))["recordPurchase"]
    assert result["userErrors"] == []
    assert result["purchase"]["occurredAt"] == stored


def test_the_last_moment_of_2999_is_inside_and_keeps_its_offset() -> None:
    moment = parse_datetime("2999-12-31T23:59:59.999999Z")
    assert moment.year == 2999
    assert parse_datetime("3000-01-01T05:00:00+06:00").utcoffset() is not None


# Decimal inputs: what `Decimal` holds beyond an amount (domain.money). `1E+400` and thirty
# digits made `quantize` raise (an internal error) in upsertReward, upsertSegment and
# segmentSize; a badge took a minimum amount of `1E+400`.

EXTREME_DECIMALS = ["1e400", "123456789012345678901234567890", "NaN", "-Infinity", "1E+13"]
REWARD = """
mutation($input: RewardInput!) { upsertReward(input: $input) { reward { code } userErrors { code field } } }"""
SEGMENT_SIZE = """
query($input: SegmentSizeInput!) { segmentSize(input: $input) { members userErrors { code field } } }"""
SEGMENT = """
mutation($input: SegmentInput!) { upsertSegment(input: $input) { segment { code } userErrors { code field } } }"""
BADGE = """
mutation($input: BadgeInput!) { upsertBadge(input: $input) { badge { code } userErrors { code field } } }"""


def refused_at(result: dict[str, Any], name: str) -> list[tuple[str, list[str]]]:
    payload = data(result)[name]
    return [(e["code"], e["field"]) for e in payload["userErrors"]]


@pytest.mark.parametrize("value", EXTREME_DECIMALS)
@pytest.mark.parametrize("kind", ["PERCENT_DISCOUNT", "FIXED_DISCOUNT"])
async def test_a_reward_value_beyond_an_amount_is_invalid_input(
    api: GraphQLClient, kind: str, value: str
) -> None:
    reward = {
        "code": "edge-reward",
        "name": "Edge",
        "description": "d",
        "kind": kind,
        "costPoints": 10,
        "value": value,
    }
    result = await api.admin(REWARD, {"input": reward})
    assert refused_at(result, "upsertReward") == [("INVALID_INPUT", ["input", "value"])]


@pytest.mark.parametrize("value", EXTREME_DECIMALS)
async def test_a_lifetime_spend_beyond_an_amount_is_invalid_input(
    api: GraphQLClient, value: str
) -> None:
    rule = {"minLifetimeSpend": value}
    where = ["input", "rule", "minLifetimeSpend"]
    sized = await api.admin(SEGMENT_SIZE, {"input": {"rule": rule}})
    assert refused_at(sized, "segmentSize") == [("INVALID_INPUT", where)]
    saved = await api.admin(SEGMENT, {"input": {"code": "edge", "name": "Edge", "rule": rule}})
    assert refused_at(saved, "upsertSegment") == [("INVALID_INPUT", where)]


@pytest.mark.parametrize("value", EXTREME_DECIMALS)
async def test_a_rule_minimum_amount_beyond_an_amount_is_invalid_input(
    api: GraphQLClient, value: str
) -> None:
    rule = {"event": "PURCHASE", "aggregate": "COUNT", "target": 1, "minAmount": value}
    badge = {"code": "edge-badge", "name": "Edge", "description": "d", "rule": rule}
    result = await api.admin(BADGE, {"input": badge})
    assert refused_at(result, "upsertBadge") == [("INVALID_INPUT", ["input", "rule", "minAmount"])]


async def test_amounts_at_the_bound_are_taken(api: GraphQLClient) -> None:
    reward = {
        "code": "edge-reward",
        "name": "Edge",
        "description": "d",
        "kind": "FIXED_DISCOUNT",
        "costPoints": 10,
        "value": "999999999999.99",
    }
    assert refused_at(await api.admin(REWARD, {"input": reward}), "upsertReward") == []
    rule = {"minLifetimeSpend": "999999999999.99"}
    sized = await api.admin(SEGMENT_SIZE, {"input": {"rule": rule}})
    assert refused_at(sized, "segmentSize") == []
    assert data(sized)["segmentSize"]["members"] == 0
