"""What the console's member, translations and audit pages read: a member's progress in the
active challenges, every catalogue item by kind (searched, paged), the audit log's kinds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.api.conftest import GraphQLClient, data, error_codes
from tests.api.console_support import ANALYST, console_post, make_accounts, signed_in
from tests.api.test_achievements import UPSERT_CHALLENGE, purchase
from tests.integration.query_counter import counting_statements

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)

PROGRESS = """query($id: String!) { member(customerId: $id) { challengeProgress {
  challenge { code title startsAt endsAt }
  periodKey periodStartsAt periodEndsAt current target completed completedAt } } }"""
SEARCH_PROGRESS = """query($text: String!) { searchMembers(text: $text, first: 50) {
  customerId challengeProgress { challenge { code } current completed } } }"""


@pytest.fixture(autouse=True)
def frozen_now(api: GraphQLClient) -> None:
    api.clock.set(NOW)


async def challenge(
    api: GraphQLClient, code: str, start: datetime, end: datetime, target: int, **extra: Any
) -> None:
    result = data(
        await api.admin(
            UPSERT_CHALLENGE,
            {
                "input": {
                    "code": code,
                    "title": code.title(),
                    "description": f"The {code} one",
                    "startsAt": start.isoformat(),
                    "endsAt": end.isoformat(),
                    "recurrence": "NONE",
                    "goal": {"event": "PURCHASE", "aggregate": "COUNT", "target": target},
                    "rewardPoints": 10,
                    **extra,
                }
            },
        )
    )
    assert result["upsertChallenge"]["userErrors"] == []


async def test_a_member_page_shows_progress_in_each_active_challenge(api: GraphQLClient) -> None:
    await challenge(api, "past", NOW - timedelta(days=9), NOW - timedelta(days=2), 1)
    await challenge(api, "two", NOW - timedelta(days=1), NOW + timedelta(days=6), 2)
    await challenge(api, "one", NOW - timedelta(days=1), NOW + timedelta(days=3), 1)
    await challenge(api, "week", NOW - timedelta(days=5), NOW + timedelta(days=20), 3,
                    recurrence="WEEKLY")  # fmt: skip
    await challenge(api, "soon", NOW + timedelta(days=2), NOW + timedelta(days=9), 1)
    await purchase(api, "ana", "A-1")

    found = data(await api.admin(PROGRESS, {"id": "ana"}))["member"]["challengeProgress"]
    assert [p["challenge"]["code"] for p in found] == ["one", "two", "week"]  # ending soonest
    one, two, week = found
    assert (one["current"], one["target"], one["completed"]) == (1.0, 1.0, True)
    assert one["completedAt"] == NOW.isoformat()
    assert (two["current"], two["target"], two["completed"], two["completedAt"]) == (
        1.0, 2.0, False, None,
    )  # fmt: skip
    assert two["periodKey"] == "all"
    assert two["periodStartsAt"] == two["challenge"]["startsAt"]
    assert two["periodEndsAt"] == two["challenge"]["endsAt"]
    assert (week["periodKey"], week["current"]) == ("2026-W11", 1.0)
    assert week["periodStartsAt"] == "2026-03-09T00:00:00+00:00"  # Monday, the member's zone
    # Another member has made no progress.
    data(await api.member("bob", "{ me { id } }"))
    other = data(await api.admin(PROGRESS, {"id": "bob"}))["member"]["challengeProgress"]
    assert [(p["current"], p["completed"]) for p in other] == [(0.0, False)] * 3


async def test_challenge_progress_is_read_by_analysts_and_refused_to_others(
    api: GraphQLClient,
) -> None:
    await challenge(api, "two", NOW - timedelta(days=1), NOW + timedelta(days=6), 2)
    await purchase(api, "ana", "A-1")
    await make_accounts(api)
    csrf = await signed_in(api, ANALYST)
    read = data((await console_post(api, PROGRESS, {"id": "ana"}, csrf=csrf)).json())
    assert [p["current"] for p in read["member"]["challengeProgress"]] == [1.0]
    query = "{ me { challengeProgress { current } } }"
    assert error_codes(await api.member("ana", query)) == ["FORBIDDEN"]
    assert error_codes(await api.service(SEARCH_PROGRESS, {"text": "ana"})) == ["FORBIDDEN"]


async def test_challenge_progress_of_a_list_of_members_costs_one_statement(
    api: GraphQLClient,
) -> None:
    await challenge(api, "two", NOW - timedelta(days=1), NOW + timedelta(days=6), 2)
    await challenge(api, "one", NOW - timedelta(days=1), NOW + timedelta(days=3), 1)

    async def statements_for(count: int, *, progress: bool) -> int:
        for n in range(count):
            await purchase(api, f"member-{n:02}", f"order-{n}")
        query = SEARCH_PROGRESS if progress else SEARCH_PROGRESS.replace(
            "challengeProgress { challenge { code } current completed }", ""
        )
        data(await api.admin(query, {"text": "member"}))  # the shelf and versions, once read
        with counting_statements() as statements:
            found = data(await api.admin(query, {"text": "member"}))["searchMembers"]
        assert len(found) == count
        if progress:
            assert all(len(m["challengeProgress"]) == 2 for m in found)
            assert sum(p["completed"] for m in found for p in m["challengeProgress"]) == count
        return len(statements)

    few = await statements_for(2, progress=True)
    many = await statements_for(30, progress=True)
    without = await statements_for(30, progress=False)
    # The versions (for the shelf of challenges) and the progress of every member.
    assert few == many == without + 2
