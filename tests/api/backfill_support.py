"""History for the back-fill and rule-preview tests: members with purchases recorded before
any badge exists."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.api.conftest import GraphQLClient, data
from tests.api.test_points import RECORD_PURCHASE, purchase

#: Purchases per member, as (channel, amount): two or more APP purchases qualify for TWO_APP.
HISTORY = {
    "alice": [("APP", "20.00"), ("APP", "35.00"), ("WEB", "10.00")],
    "bob": [("APP", "12.00")],
    "carol": [("APP", "50.00"), ("APP", "5.00")],
    "dave": [("STORE", "80.00"), ("STORE", "60.00")],
    "erin": [],
}
TWO_APP = {"event": "PURCHASE", "aggregate": "COUNT", "target": 2, "channel": "APP"}
QUALIFYING = {"alice", "carol"}

UPSERT_BADGE = """mutation($input: BadgeInput!) { upsertBadge(input: $input) {
  badge { code } userErrors { code field message } } }"""
RUN_FIELDS = "id badgeCode status done total progress awarded error startedBy startedAt finishedAt"
RUN = f"query($id: ID!) {{ backfillRun(id: $id) {{ {RUN_FIELDS} }} }}"
START = f"""mutation($input: StartBackfillInput!) {{ startBackfill(input: $input) {{
  run {{ {RUN_FIELDS} }} userErrors {{ code field message }} }} }}"""
ME = "{ me { customerId } }"


async def record_history(api: GraphQLClient) -> None:
    for customer_id, purchases in HISTORY.items():
        data(await api.member(customer_id, ME))  # every member exists, buyers or not
        for i, (channel, amount) in enumerate(purchases):
            order = f"{customer_id}-{i}"
            variables = purchase(order, amount, channel=channel, customerId=customer_id)
            result = data(await api.service(RECORD_PURCHASE, variables))
            assert result["recordPurchase"]["userErrors"] == []


async def make_badge(api: GraphQLClient, code: str, rule: dict[str, Any], points: int = 40) -> None:
    badge = {
        "code": code,
        "name": code.title(),
        "description": "Two purchases in the app.",
        "rule": rule,
        "rewardPoints": points,
    }
    assert data(await api.admin(UPSERT_BADGE, {"input": badge}))["upsertBadge"]["userErrors"] == []


async def finished_run(api: GraphQLClient, run_id: str) -> dict[str, Any]:
    """Poll backfillRun(id) as the page does until the run is no longer RUNNING (20 s at most)."""
    async with asyncio.timeout(20):
        while True:
            run = data(await api.admin(RUN, {"id": run_id}))["backfillRun"]
            if run["status"] != "RUNNING":
                return dict(run)
            await asyncio.sleep(0.05)
