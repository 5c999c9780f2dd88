"""What the console's member, translations and audit pages read: a member's progress in the
active challenges, every catalogue item by kind (searched, paged), the audit log's kinds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.audit import audit_kinds
from tests.api.conftest import GraphQLClient, data, error_codes
from tests.api.console_support import ANALYST, console_post, make_accounts, signed_in
from tests.api.test_achievements import UPSERT_CHALLENGE, purchase
from tests.api.test_points import setup_program
from tests.api.test_rewards import upsert
from tests.integration.query_counter import counting_statements

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)

PROGRESS = """query($id: String!) { member(customerId: $id) { challengeProgress {
  challenge { code title startsAt endsAt }
  periodKey periodStartsAt periodEndsAt current target completed completedAt segmentCode } } }"""
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
    assert [p["segmentCode"] for p in other] == [None] * 3


async def test_a_challenge_limited_to_a_segment_is_listed_with_its_segment(
    api: GraphQLClient,
) -> None:
    segment = {"code": "in-spain", "name": "In Spain", "rule": {"countries": ["ES"]}}
    saved = data(
        await api.admin(
            """mutation($input: SegmentInput!) { upsertSegment(input: $input) {
            userErrors { code } } }""",
            {"input": segment},
        )
    )
    assert saved["upsertSegment"]["userErrors"] == []
    await challenge(api, "spain", NOW - timedelta(days=1), NOW + timedelta(days=3), 1,
                    segmentCode="in-spain")  # fmt: skip
    data(await api.member("bob", "{ me { id } }"))
    [listed] = data(await api.admin(PROGRESS, {"id": "bob"}))["member"]["challengeProgress"]
    assert (listed["challenge"]["code"], listed["segmentCode"]) == ("spain", "in-spain")


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
        query = (
            SEARCH_PROGRESS
            if progress
            else SEARCH_PROGRESS.replace(
                "challengeProgress { challenge { code } current completed }", ""
            )
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


CATALOGUE = """query($kind: CatalogueKind!, $search: String, $first: Int, $after: String) {
  catalogueItems(kind: $kind, search: $search, first: $first, after: $after) {
    edges { cursor node { code name description translations { locale name } } }
    pageInfo { hasNextPage endCursor } } }"""
SET_TRANSLATIONS = """mutation($input: SetTranslationsInput!) { setTranslations(input: $input) {
  userErrors { code field } } }"""


async def every_page(api: GraphQLClient, kind: str, search: str | None, first: int) -> list[str]:
    codes: list[str] = []
    after = None
    while True:
        variables = {"kind": kind, "search": search, "first": first, "after": after}
        page = data(await api.admin(CATALOGUE, variables))["catalogueItems"]
        codes += [e["node"]["code"] for e in page["edges"]]
        assert len(page["edges"]) <= first
        if not page["pageInfo"]["hasNextPage"]:
            return codes
        after = page["pageInfo"]["endCursor"]


async def test_every_catalogue_item_of_a_kind_is_listed_newest_first_page_by_page(
    api: GraphQLClient,
) -> None:
    for n in range(25):
        await upsert(api, code=f"R{n:02}", name=f"Reward number {n}", active=n != 3)
    codes = await every_page(api, "REWARD", None, 10)
    assert codes == [f"R{n:02}" for n in reversed(range(25))]  # the inactive one too
    # An old challenge, ended long ago, is there to translate.
    await challenge(api, "old", NOW - timedelta(days=400), NOW - timedelta(days=300), 1)
    await challenge(api, "now", NOW - timedelta(days=1), NOW + timedelta(days=3), 1)
    page = data(await api.admin(CATALOGUE, {"kind": "CHALLENGE"}))["catalogueItems"]
    assert [(e["node"]["code"], e["node"]["name"]) for e in page["edges"]] == [
        ("now", "Now"),
        ("old", "Old"),
    ]
    await setup_program(api)
    tiers = data(await api.admin(CATALOGUE, {"kind": "TIER"}))["catalogueItems"]["edges"]
    assert {e["node"]["code"]: e["node"]["description"] for e in tiers} == {
        "BRONZE": None,
        "SILVER": None,
        "GOLD": None,
    }


async def test_catalogue_items_are_searched_by_name_or_code_in_any_case(
    api: GraphQLClient,
) -> None:
    await upsert(api, code="COFFEE", name="Free coffee", description="One coffee.")
    for n in range(12):
        await upsert(api, code=f"R{n:02}", name=f"Reward {n}")
    await upsert(api, code="MUG", name="A mug for your COFFEE")
    spanish = [{"locale": "es", "name": "Café gratis", "description": "Un café."}]
    saved = data(
        await api.admin(
            SET_TRANSLATIONS,
            {"input": {"kind": "REWARD", "code": "COFFEE", "translations": spanish}},
        )
    )
    assert saved["setTranslations"]["userErrors"] == []

    found = data(await api.admin(CATALOGUE, {"kind": "REWARD", "search": "  cOfFeE "}))
    nodes = [e["node"] for e in found["catalogueItems"]["edges"]]
    assert [n["code"] for n in nodes] == ["MUG", "COFFEE"]
    assert nodes[1]["translations"] == [{"locale": "es", "name": "Café gratis"}]
    assert nodes[1]["description"] == "One coffee."
    assert await every_page(api, "REWARD", "r1", 1) == ["R11", "R10"]  # by code
    assert await every_page(api, "REWARD", "", 100) == [
        "MUG", *(f"R{n:02}" for n in reversed(range(12))), "COFFEE",
    ]  # fmt: skip
    assert await every_page(api, "REWARD", "%", 5) == []  # % is a character, not a pattern
    assert await every_page(api, "BADGE", "coffee", 5) == []


async def test_catalogue_items_are_read_by_analysts_and_refused_to_others(
    api: GraphQLClient,
) -> None:
    await upsert(api, code="COFFEE", name="Free coffee")
    await make_accounts(api)
    csrf = await signed_in(api, ANALYST)
    read = data((await console_post(api, CATALOGUE, {"kind": "REWARD"}, csrf=csrf)).json())
    assert [e["node"]["code"] for e in read["catalogueItems"]["edges"]] == ["COFFEE"]
    assert error_codes(await api.member("ana", CATALOGUE, {"kind": "REWARD"})) == ["FORBIDDEN"]
    assert error_codes(await api.service(CATALOGUE, {"kind": "REWARD"})) == ["FORBIDDEN"]


@pytest.mark.parametrize(
    "variables",
    [
        {"first": 101},
        {"first": -1},
        {"after": "not-a-cursor"},
        {"search": "x" * 121},
        {"search": "coffee\u0007"},
    ],
)
async def test_a_bad_page_size_cursor_or_search_is_invalid_input(
    api: GraphQLClient, variables: dict[str, Any]
) -> None:
    result = await api.admin(CATALOGUE, {"kind": "REWARD", **variables})
    assert error_codes(result) == ["INVALID_INPUT"]


AUDIT_KINDS = "{ auditKinds { kind actions } }"


async def test_the_audit_logs_kinds_come_from_the_list_of_audited_actions(
    api: GraphQLClient,
) -> None:
    kinds = data(await api.admin(AUDIT_KINDS))["auditKinds"]
    assert kinds == [{"kind": k, "actions": a} for k, a in audit_kinds().items()]
    by_kind = {k["kind"]: k["actions"] for k in kinds}
    assert by_kind["member"] == ["member.erase", "member.export", "points.adjust"]
    assert "drop_claim.complete" in by_kind["drop_claim"]
    # Each kind filters the log: a reward saved is found under its kind and action.
    await upsert(api, code="COFFEE", name="Free coffee")
    log = data(
        await api.admin(
            """query($kind: String, $action: String) { auditLog(filter:
            {targetKind: $kind, action: $action}) { edges { node { targetId } } } }""",
            {"kind": "reward", "action": by_kind["reward"][1]},
        )
    )["auditLog"]["edges"]
    assert [e["node"]["targetId"] for e in log] == ["COFFEE"]


async def test_the_audit_logs_kinds_are_read_by_analysts_and_refused_to_others(
    api: GraphQLClient,
) -> None:
    await make_accounts(api)
    csrf = await signed_in(api, ANALYST)
    read = data((await console_post(api, AUDIT_KINDS, csrf=csrf)).json())["auditKinds"]
    assert len(read) == len(audit_kinds())
    assert error_codes(await api.member("ana", AUDIT_KINDS)) == ["FORBIDDEN"]
    assert error_codes(await api.service(AUDIT_KINDS)) == ["FORBIDDEN"]
