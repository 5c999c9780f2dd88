"""The fragment cache (api.fragments): a hit answers exactly what a miss answers, a board's
change shows within its max age, and an admin's change of a board's definition is seen by
every process."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from api.fragments import FragmentStore
from api.seed import SEEDERS
from domain.versions import VersionReader
from gamification.leaderboards import BoardKey, LeaderboardWindow
from tests.api.conftest import GraphQLClient, data
from tests.api.test_leaderboards import SPEND, define

OPERATIONS = Path(__file__).parent.parent / "contract" / "operations"
TOP = """{ leaderboard(code: "spend", window: WEEKLY) {
  totalEntries top(first: 3) { rank score member { id displayName tier { code } } } } }"""
UPSERT = """
mutation UpsertLeaderboard($input: LeaderboardInput!) {
  upsertLeaderboard(input: $input) { leaderboard { code name } userErrors { code message } }
}"""
NAME = '{ leaderboard(code: "spend", window: WEEKLY) { name } }'


class Ticking:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def contract_queries() -> dict[str, str]:
    """Every query operation of the contract, by name: the document (its whole file) to send
    with that operation name."""
    found: dict[str, str] = {}
    for path in sorted(OPERATIONS.glob("*.graphql")):
        text = path.read_text()
        for name in re.findall(r"^query (\w+)", text, re.M):
            found[name] = text
    return found


async def send(api: GraphQLClient, name: str, document: str, token: str) -> dict[str, Any]:
    response = await api.http.post(
        "/graphql",
        json={"query": document, "operationName": name, "variables": VARIABLES.get(name, {})},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    return response.json()


ROLES = {
    "Segments": ("admin", "console"),
    "ProgramKpis": ("admin", "console"),
    "Coupon": ("service", "shop"),
    "MemberByCustomerId": ("service", "shop"),
}
VARIABLES: dict[str, dict[str, Any]] = {
    "Coupon": {"code": "FD-NOSUCHCODE"},
    "MemberByCustomerId": {"customerId": "alice"},
    "PointsHistory": {"first": 5},
    "Notifications": {"first": 5},
    "Leaderboard": {"code": "spenders", "window": "WEEKLY", "first": 10},
    "NearbyGeofences": {"latitude": 40.4168, "longitude": -3.7038, "limit": 5},
}


async def test_every_contract_query_answers_the_same_from_the_cache_as_without_it(
    api: GraphQLClient,
) -> None:
    for seed in SEEDERS:
        await seed(api.runtime)
    await api.deliver_events()
    now = api.clock.now()
    VARIABLES["ProgramKpis"] = {
        "from": (now - timedelta(days=90)).isoformat(),
        "to": now.isoformat(),
    }
    queries = contract_queries()
    assert {"Home", "Badges", "Leaderboard", "Rewards", "Drops", "Challenges"} <= set(queries)
    store = api.runtime.fragments
    for name, query in queries.items():
        token = api.token(*ROLES.get(name, ("member", "alice")))
        store.clear()
        missed = await send(api, name, query, token)
        hits_before = store.hits
        hit = await send(api, name, query, token)
        assert "errors" not in missed, (name, missed)
        assert hit == missed, name
        if name == "Leaderboard":
            assert store.hits > hits_before, "the board's page came from the cache"
    alice = api.token("member", "alice")
    board = data(await send(api, "Leaderboard", queries["Leaderboard"], alice))["leaderboard"]
    assert board["top"] and board["totalEntries"] >= len(board["top"])


async def test_a_board_change_shows_once_the_cached_page_is_a_second_old(
    api: GraphQLClient,
) -> None:
    await define(api)
    ticking = Ticking()
    api.runtime.fragments = FragmentStore(clock=ticking)
    token = api.token("member", "someone")
    board = BoardKey.for_time(
        "spend", LeaderboardWindow.WEEKLY, api.clock.now(), api.runtime.boards.tz
    )  # type: ignore[union-attr]
    store = api.runtime.boards.store  # type: ignore[union-attr]
    from tests.integration import leaderboard_setup as setup

    first = await setup.member("first", api.clock.now(), display_name="First")
    second = await setup.member("second", api.clock.now(), display_name="Second")
    await store.set_score(board, first.id, 10, api.clock.now())
    before = data(await api.post(TOP, token=token))["leaderboard"]
    assert [e["member"]["displayName"] for e in before["top"]] == ["First"]

    await store.set_score(board, second.id, 20, api.clock.now())
    ticking.now += 0.5
    stale = data(await api.post(TOP, token=token))["leaderboard"]
    assert stale == before  # within the board's max age, the page may lag

    ticking.now += 0.51
    fresh = data(await api.post(TOP, token=token))["leaderboard"]
    assert fresh["totalEntries"] == 2
    assert [e["member"]["displayName"] for e in fresh["top"]] == ["Second", "First"]


async def test_a_new_board_is_found_at_once_and_a_renamed_one_within_a_second_on_another_process(
    api: GraphQLClient,
) -> None:
    """The process answering reads (its catalogue and versions here) is not the one where the
    admin changed the board: they share only the database."""
    ticking = Ticking()
    reader = api.runtime.boards  # type: ignore[union-attr]
    reader.versions = VersionReader(clock=ticking)
    token = api.token("member", "someone")
    missing = await api.post(NAME, token=token)
    assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"

    # another process: its own writes, the same database
    from gamification.leaderboards.definitions import LeaderboardSpec, save_definition
    from gamification.leaderboards.models import LeaderboardMetric

    spec = LeaderboardSpec(
        "spend", "Big spenders", LeaderboardMetric.AMOUNT_SPENT, (LeaderboardWindow.WEEKLY,)
    )
    await save_definition(spec, api.clock.now())
    assert data(await api.post(NAME, token=token))["leaderboard"]["name"] == "Big spenders"

    await save_definition(
        LeaderboardSpec("spend", "Renamed", spec.metric, spec.windows), api.clock.now()
    )
    ticking.now += 1.01
    assert data(await api.post(NAME, token=token))["leaderboard"]["name"] == "Renamed"


@pytest.mark.parametrize("max_age", [0.0, 1.0])
async def test_versions_read_after_an_admin_change_see_it(
    api: GraphQLClient, max_age: float
) -> None:
    """A read asked for after a change (max age 0) sees it; so does one of max age 1 s once
    that second has passed."""
    ticking = Ticking()
    reader = VersionReader(clock=ticking)
    before = await reader.read(max_age)
    await define(api, name="Changed")
    if max_age:
        assert await reader.read(max_age) == before
        ticking.now += max_age + 0.01
    after = await reader.read(max_age)
    assert after.get("leaderboards", 0) > before.get("leaderboards", 0)
    assert SPEND["code"] == "spend"
