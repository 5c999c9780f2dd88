"""Leaderboards through GraphQL: definitions, boards, entries, errors, query counts, live pushes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from tortoise import connections

from api.auth import Principal, Role
from api.context import Context
from api.schema import build_schema
from domain.members.models import Member
from domain.versions import VersionReader
from gamification.leaderboards import BoardKey, LeaderboardWindow, ScoreEntry
from gamification.leaderboards.models import LeaderboardDefinition
from tests.api.conftest import GraphQLClient, data, error_codes
from tests.integration import leaderboard_setup as setup

UPSERT = """
mutation UpsertLeaderboard($input: LeaderboardInput!) {
  upsertLeaderboard(input: $input) {
    leaderboard { code name metric windows regionField prizePoints }
    userErrors { code field message }
  }
}"""
LIST = "query Leaderboards { leaderboards { code name metric windows regionField prizePoints } }"
BOARD = """
query Leaderboard($code: String!, $window: LeaderboardWindow!, $region: String, $first: Int) {
  leaderboard(code: $code, window: $window, region: $region) {
    code name metric window region periodStart periodEnd totalEntries
    top(first: $first) { rank score member { id displayName tier { code } } }
    me { rank score }
    aroundMe(radius: 2) { rank score member { id displayName } }
  }
}"""
SPEND = {
    "code": "spend",
    "name": "Big spenders",
    "metric": "AMOUNT_SPENT",
    "windows": ["WEEKLY", "ALL_TIME"],
    "prizePoints": [300, 100],
}


async def define(api: GraphQLClient, **changes: Any) -> dict[str, Any]:
    result = data(await api.admin(UPSERT, {"input": {**SPEND, **changes}}))["upsertLeaderboard"]
    assert result["userErrors"] == []
    return result["leaderboard"]


async def shoppers(api: GraphQLClient, amounts: dict[str, str]) -> dict[str, Member]:
    now = api.clock.now()
    people = {}
    for index, (name, amount) in enumerate(amounts.items()):
        people[name] = await setup.member(name, now, display_name=name.title(), city="Madrid")
        await setup.purchase(people[name], amount, now - timedelta(minutes=len(amounts) - index))
    await api.deliver_events()
    return people


async def test_an_admin_defines_a_board_and_members_list_it(api: GraphQLClient) -> None:
    saved = await define(api, regionField="CITY")
    assert saved == {
        "code": "spend",
        "name": "Big spenders",
        "metric": "AMOUNT_SPENT",
        "windows": ["WEEKLY", "ALL_TIME"],
        "regionField": "CITY",
        "prizePoints": [300, 100],
    }
    assert data(await api.member("alice", LIST))["leaderboards"] == [saved]


async def test_only_admins_define_boards(api: GraphQLClient) -> None:
    result = await api.member("alice", UPSERT, {"input": SPEND})
    assert error_codes(result) == ["FORBIDDEN"]
    assert await LeaderboardDefinition.all().count() == 0


async def test_an_invalid_board_is_refused_field_by_field_and_nothing_is_saved(
    api: GraphQLClient,
) -> None:
    result = data(
        await api.admin(
            UPSERT,
            {
                "input": {
                    **SPEND,
                    "code": "no spaces",
                    "windows": ["DAILY", "DAILY"],
                    "prizePoints": [-5],
                }
            },
        )
    )["upsertLeaderboard"]
    assert result["leaderboard"] is None
    assert sorted((e["code"], tuple(e["field"])) for e in result["userErrors"]) == [
        ("INVALID_INPUT", ("input", "code")),
        ("INVALID_INPUT", ("input", "prizePoints")),
        ("INVALID_INPUT", ("input", "windows")),
    ]
    assert await LeaderboardDefinition.all().count() == 0


async def test_a_member_sees_the_top_their_entry_and_who_is_around_them(
    api: GraphQLClient,
) -> None:
    await define(api)
    amounts = {"ana": "90", "ben": "75.50", "cai": "60", "dan": "60", "eva": "40", "fer": "10"}
    people = await shoppers(api, amounts)

    board = data(await api.member("dan", BOARD, {"code": "spend", "window": "WEEKLY", "first": 3}))[
        "leaderboard"
    ]

    assert board["code"] == "spend" and board["window"] == "WEEKLY" and board["region"] is None
    assert board["metric"] == "AMOUNT_SPENT" and board["totalEntries"] == 6
    assert (board["periodStart"], board["periodEnd"]) == (
        "2026-01-12T00:00:00+00:00",
        "2026-01-19T00:00:00+00:00",
    )
    assert [(e["rank"], e["score"], e["member"]["displayName"]) for e in board["top"]] == [
        (1, 90.0, "Ana"),
        (2, 75.5, "Ben"),
        (3, 60.0, "Cai"),  # cai reached 60 before dan
    ]
    assert board["top"][0]["member"]["id"] == str(people["ana"].id)
    assert len({e["member"]["tier"]["code"] for e in board["top"]}) == 1  # all on the base tier
    assert board["me"] == {"rank": 4, "score": 60.0}
    assert [e["member"]["displayName"] for e in board["aroundMe"]] == [
        "Ben", "Cai", "Dan", "Eva", "Fer",
    ]  # fmt: skip


async def test_a_member_without_a_score_has_no_entry(api: GraphQLClient) -> None:
    await define(api)
    await shoppers(api, {"ana": "5"})
    board = data(await api.member("zoe", BOARD, {"code": "spend", "window": "ALL_TIME"}))[
        "leaderboard"
    ]
    assert board["me"] is None and board["aroundMe"] == [] and len(board["top"]) == 1


async def test_a_board_kept_per_city_shows_the_members_own_city_unless_asked(
    api: GraphQLClient,
) -> None:
    await define(api, regionField="CITY")
    await shoppers(api, {"ana": "20"})
    own = data(await api.member("ana", BOARD, {"code": "spend", "window": "WEEKLY"}))
    assert own["leaderboard"]["region"] == "madrid"
    assert own["leaderboard"]["me"] == {"rank": 1, "score": 20.0}
    other = data(
        await api.member("ana", BOARD, {"code": "spend", "window": "WEEKLY", "region": "Lisboa"})
    )
    assert other["leaderboard"]["totalEntries"] == 0 and other["leaderboard"]["me"] is None
    admin = await api.admin(BOARD, {"code": "spend", "window": "WEEKLY"})
    assert error_codes(admin) == ["INVALID_INPUT"]


@pytest.mark.parametrize(
    ("variables", "code"),
    [
        ({"code": "nope", "window": "WEEKLY"}, "NOT_FOUND"),
        ({"code": "spend", "window": "DAILY"}, "INVALID_INPUT"),
        ({"code": "spend", "window": "WEEKLY", "region": "ES"}, "INVALID_INPUT"),
        ({"code": "spend", "window": "WEEKLY", "first": 101}, "INVALID_INPUT"),
    ],
)
async def test_asking_for_a_board_that_is_not_there_is_an_error(
    api: GraphQLClient, variables: dict[str, Any], code: str
) -> None:
    await define(api)
    result = await api.member("ana", BOARD, variables)
    assert error_codes(result) == [code]


@pytest.mark.parametrize(
    ("region_field", "region"),
    [
        ("CITY", "x" * 3000),
        ("CITY", "x" * 81),
        ("COUNTRY", "ESP"),
        ("CITY", "Mad\x1brid"),
        ("CITY", "Mad\x85rid"),
    ],
)
async def test_a_region_no_member_could_have_is_refused(
    api: GraphQLClient, region_field: str, region: str
) -> None:
    await define(api, regionField=region_field)
    variables = {"code": "spend", "window": "WEEKLY", "region": region}
    result = await api.member("ana", BOARD, variables)
    assert error_codes(result) == ["INVALID_INPUT"] and result["data"] is None
    assert region not in result["errors"][0]["message"]


async def test_around_me_is_capped_at_ten_on_each_side(api: GraphQLClient) -> None:
    await define(api)
    query = '{ leaderboard(code: "spend", window: WEEKLY) { aroundMe(radius: 11) { rank } } }'
    assert error_codes(await api.member("ana", query)) == ["INVALID_INPUT"]


# ---------------------------------------------------------------- query counts


@contextlib.contextmanager
def counting_queries() -> Iterator[list[str]]:
    """Every SQL statement the default connection runs meanwhile."""
    client = type(connections.get("default"))
    seen: list[str] = []
    originals = {}
    for name in ("execute_query", "execute_query_dict", "execute_insert", "execute_many"):
        original = getattr(client, name)
        originals[name] = original

        def counted(self: Any, query: str, *args: Any, _original: Any = original, **kw: Any) -> Any:
            seen.append(query)
            return _original(self, query, *args, **kw)

        setattr(client, name, counted)
    try:
        yield seen
    finally:
        for name, original in originals.items():
            setattr(client, name, original)


async def ranked_members(api: GraphQLClient, prefix: str, name: str, count: int) -> None:
    """`count` members (customer ids `prefix`0, `prefix`1, ...) ranked in that order on the
    weekly "spend" board."""
    now = api.clock.now()
    await Member.bulk_create(
        [
            Member(
                customer_id=f"{prefix}{i}",
                display_name=f"{name} {i}",
                referral_code=f"{prefix.upper()}{i:07d}",
                joined_at=now,
            )
            for i in range(count)
        ]
    )
    ids = [m.id for m in await Member.filter(customer_id__startswith=prefix).order_by("id")]
    board = BoardKey.for_time("spend", LeaderboardWindow.WEEKLY, now, api.runtime.boards.tz)  # type: ignore[union-attr]
    await api.runtime.boards.store.replace_all(  # type: ignore[union-attr]
        board, [ScoreEntry(m, 1000 - i, now) for i, m in enumerate(ids)]
    )


async def test_a_page_of_a_hundred_entries_costs_as_many_queries_as_a_page_of_one(
    api: GraphQLClient,
) -> None:
    await define(api)
    await ranked_members(api, "c", "Member", 150)
    token = api.token("member", "c120")
    top = """query Top($first: Int) { leaderboard(code: "spend", window: WEEKLY) {
      totalEntries top(first: $first) { rank score member { id displayName tier { code } } } } }"""
    me = '{ leaderboard(code: "spend", window: WEEKLY) { me { rank score } } }'
    around = """{ leaderboard(code: "spend", window: WEEKLY) {
      aroundMe(radius: 10) { rank score member { id displayName } } } }"""
    await api.post(top, {"first": 1}, token=token)  # the member exists from here on

    async def queries(query: str, variables: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with counting_queries() as seen:
            result = data(await api.post(query, variables, token=token))["leaderboard"]
        return len(seen), result

    api.runtime.fragments.clear()
    one, page_of_one = await queries(top, {"first": 1})
    hundred, page_of_hundred = await queries(top, {"first": 100})
    assert (len(page_of_one["top"]), len(page_of_hundred["top"])) == (1, 100)
    # one statement for the entries' members: the board's definition and the ladder are kept
    # in memory, checked against versions read at most a second ago
    assert one == hundred == 1
    # the same page again comes from the fragment cache
    again, page_again = await queries(top, {"first": 100})
    assert again == 0 and page_again == page_of_hundred
    me_queries, mine = await queries(me, {})
    around_queries, near = await queries(around, {})
    assert mine["me"]["rank"] == 121 and [e["rank"] for e in near["aroundMe"]] == list(
        range(111, 132)
    )
    # me: the member, by customer id (the process learns the member id); around me: the
    # entries' members, the caller's row among them confirming that id
    assert (me_queries, around_queries) == (1, 1)
    # the app's whole screen: the top page from the fragment cache, then one statement for
    # the caller and their neighbours (me and aroundMe share it)
    screen = {"code": "spend", "window": "WEEKLY", "first": 10}
    await queries(BOARD, screen)
    screen_queries, board = await queries(BOARD, screen)
    assert board["me"] == mine["me"] and screen_queries == 1
    # a process that does not know the caller yet reads the caller's row first
    api.runtime.member_ids.forget("c120")
    cold_queries, cold = await queries(BOARD, screen)
    assert cold == board and cold_queries == 2


# ---------------------------------------------------------------- live


SUBSCRIBE = """
subscription OnLeaderboard($code: String!, $window: LeaderboardWindow!) {
  leaderboardChanged(code: $code, window: $window) {
    code window totalEntries
    top(first: 10) { rank score member { id displayName } }
  }
}"""


async def test_a_subscriber_gets_the_board_when_its_top_changes(api: GraphQLClient) -> None:
    await define(api)
    ana = await setup.member("ana", api.clock.now(), display_name="Ana")
    context = Context(
        request=None,
        runtime=api.runtime,
        principal=Principal(Role.MEMBER, "ben"),
        request_id="test",
    )
    stream = await build_schema(api.settings).subscribe(
        SUBSCRIBE, context_value=context, variable_values={"code": "spend", "window": "WEEKLY"}
    )
    assert not hasattr(stream, "errors"), stream
    board = BoardKey.for_time("spend", LeaderboardWindow.WEEKLY, api.clock.now(), ZoneInfo("UTC"))
    first = asyncio.ensure_future(stream.__anext__())  # type: ignore[union-attr]
    await asyncio.sleep(0.05)  # let the subscription reach Redis

    await setup.purchase(ana, "42", api.clock.now())
    await api.deliver_events()
    pushed = await asyncio.wait_for(first, timeout=5)

    assert pushed.errors is None
    assert pushed.data == {
        "leaderboardChanged": {
            "code": "spend",
            "window": "WEEKLY",
            "totalEntries": 1,
            "top": [
                {"rank": 1, "score": 42.0, "member": {"id": str(ana.id), "displayName": "Ana"}}
            ],
        }
    }
    await stream.aclose()  # type: ignore[union-attr]
    assert api.runtime.fanout is not None
    assert api.runtime.fanout.listeners(api.runtime.boards.store.changes_channel(board)) == 0  # type: ignore[union-attr]
    await api.runtime.fanout.close()


async def test_last_weeks_final_standings_are_read_from_the_archive(api: GraphQLClient) -> None:
    await define(api)
    await shoppers(api, {"ana": "90", "ben": "75"})
    api.clock.advance(days=7)  # the next week: last week is closed by the scheduled job
    await api.runtime.run_jobs_once()
    query = """{ leaderboard(code: "spend", window: WEEKLY) {
      periodStart totalEntries
      previousPeriod { periodStart periodEnd top(first: 5) { rank score member { displayName } } }
    } }"""
    board = data(await api.member("ana", query))["leaderboard"]
    assert board["totalEntries"] == 0
    assert board["previousPeriod"] == {
        "periodStart": "2026-01-12T00:00:00+00:00",
        "periodEnd": "2026-01-19T00:00:00+00:00",
        "top": [
            {"rank": 1, "score": 90.0, "member": {"displayName": "Ana"}},
            {"rank": 2, "score": 75.0, "member": {"displayName": "Ben"}},
        ],
    }
    balance = "{ me { points { balance } } }"
    assert data(await api.member("ana", balance))["me"]["points"]["balance"] == 300
    assert data(await api.member("ben", balance))["me"]["points"]["balance"] == 100
    all_time = '{ leaderboard(code: "spend", window: ALL_TIME) { previousPeriod { periodEnd } } }'
    assert data(await api.member("ana", all_time))["leaderboard"]["previousPeriod"] is None


async def test_a_member_who_deletes_their_account_disappears_from_the_boards(
    api: GraphQLClient,
) -> None:
    await define(api)
    await shoppers(api, {"ana": "90", "ben": "75"})
    deleted = data(
        await api.member(
            "ana",
            "mutation { deleteMyAccount(input: {confirm: true}) { deleted userErrors { code } } }",
        )
    )["deleteMyAccount"]
    assert deleted == {"deleted": True, "userErrors": []}
    await api.deliver_events()

    for window in ("WEEKLY", "ALL_TIME"):
        board = data(await api.member("ben", BOARD, {"code": "spend", "window": window}))[
            "leaderboard"
        ]
        assert board["totalEntries"] == 1
        assert [(e["rank"], e["member"]["displayName"]) for e in board["top"]] == [(1, "Ben")]
        assert board["me"] == {"rank": 1, "score": 75.0}


async def test_a_member_who_erases_their_account_and_joins_again_is_shown_as_the_new_member(
    api: GraphQLClient,
) -> None:
    """The process remembers the caller's member id by customer id: after an erasure, and a
    new member for the same customer id, that id is out of date, and must not be shown."""
    await define(api)
    people = await shoppers(api, {"ana": "90", "ben": "75"})
    screen = {"code": "spend", "window": "WEEKLY"}
    before = data(await api.member("ana", BOARD, screen))["leaderboard"]
    assert before["me"] == {"rank": 1, "score": 90.0}
    assert api.runtime.member_ids.get("ana") == people["ana"].id
    erase = "mutation { deleteMyAccount(input: {confirm: true}) { deleted userErrors { code } } }"
    assert data(await api.member("ana", erase))["deleteMyAccount"]["deleted"] is True
    # the board still holds the erased member until the removal is delivered: not shown
    # (the top page read anew, not the one kept for a second)
    api.runtime.fragments.clear()
    erased = data(await api.member("ana", BOARD, screen))["leaderboard"]
    assert (erased["me"], erased["aroundMe"]) == (None, [])
    assert [e["member"]["displayName"] for e in erased["top"]] == ["Ben"]
    await api.deliver_events()

    again = await setup.member("ana", api.clock.now(), display_name="Ana Again", city="Madrid")
    assert again.id != people["ana"].id
    joined = data(await api.member("ana", BOARD, screen))["leaderboard"]
    assert (joined["me"], joined["aroundMe"]) == (None, [])  # no score yet
    await setup.purchase(again, "20", api.clock.now())
    await api.deliver_events()
    api.runtime.fragments.clear()
    scored = data(await api.member("ana", BOARD, screen))["leaderboard"]
    assert scored["me"] == {"rank": 2, "score": 20.0}
    assert [(e["rank"], e["member"]) for e in scored["aroundMe"]] == [
        (1, {"id": str(people["ben"].id), "displayName": "Ben"}),
        (2, {"id": str(again.id), "displayName": "Ana Again"}),
    ]
    assert api.runtime.member_ids.get("ana") == again.id

    # only the id is remembered: a new name shows at once
    await Member.filter(id=again.id).update(display_name="Ana Renamed")
    renamed = data(await api.member("ana", BOARD, screen))["leaderboard"]
    assert renamed["aroundMe"][1]["member"] == {"id": str(again.id), "displayName": "Ana Renamed"}


async def test_me_and_around_me_in_one_request_answer_as_they_do_alone(
    api: GraphQLClient,
) -> None:
    await define(api)
    await ranked_members(api, "n", "N", 30)
    token = api.token("member", "n1")  # second place: the neighbourhood is clipped above
    together = data(
        await api.post(
            """{ leaderboard(code: "spend", window: WEEKLY) {
              me { rank score member { displayName } }
              near: aroundMe(radius: 1) { rank }
              far: aroundMe(radius: 3) { rank member { displayName } } } }""",
            token=token,
        )
    )["leaderboard"]
    alone = {
        name: data(
            await api.post(
                '{ leaderboard(code: "spend", window: WEEKLY) { ' + query + " } }", token=token
            )
        )["leaderboard"]
        for name, query in [
            ("me", "me { rank score member { displayName } }"),
            ("near", "near: aroundMe(radius: 1) { rank }"),
            ("far", "far: aroundMe(radius: 3) { rank member { displayName } }"),
        ]
    }
    assert together == {**alone["me"], **alone["near"], **alone["far"]}
    assert [e["rank"] for e in together["near"]] == [1, 2, 3]
    assert [e["rank"] for e in together["far"]] == [1, 2, 3, 4, 5]
    assert together["me"]["rank"] == 2


@pytest.mark.parametrize(
    ("radius", "variables"),
    [("radius: 2", {}), ("radius: $r", {"r": 2}), ("radius: null", {}), ("", {})],
)
async def test_me_and_around_me_read_the_neighbourhood_once_however_the_radius_is_written(
    api: GraphQLClient, monkeypatch: pytest.MonkeyPatch, radius: str, variables: dict[str, Any]
) -> None:
    """A literal radius reaches the lookahead as the document's text ('2'): it must count as
    the number, or `me` and `aroundMe` make a read each."""
    await define(api)
    await ranked_members(api, "n", "N", 10)
    store = api.runtime.boards.store  # type: ignore[union-attr]  # boards are on in tests
    reads: list[int] = []
    around = store.around

    async def counted(key: Any, member_id: int, radius: int) -> Any:
        reads.append(radius)
        return await around(key, member_id, radius)

    monkeypatch.setattr(store, "around", counted)
    arguments = f"({radius})" if radius else ""
    header = "query Q($r: Int)" if variables else "query Q"
    query = (
        header + ' { leaderboard(code: "spend", window: WEEKLY) { '
        f"me {{ rank }} aroundMe{arguments} {{ rank }} }} }}"
    )
    board = data(await api.post(query, variables, token=api.token("member", "n4")))["leaderboard"]
    assert board["me"]["rank"] == 5
    assert [e["rank"] for e in board["aroundMe"]] == [3, 4, 5, 6, 7]
    assert reads == [2]


async def test_entries_kept_in_the_fragment_cache_show_a_new_name_tier_or_ladder_at_once(
    api: GraphQLClient,
) -> None:
    """An entry's completed answer is kept by everything it shows: the same entries come
    from the cache, and a renamed or promoted member, or a changed ladder, are not."""
    from tests.api.test_fragment_cache import Ticking
    from tests.api.test_points import CONFIGURE_TIERS, LADDER

    ticking = Ticking()
    api.runtime.boards.versions = VersionReader(clock=ticking)  # type: ignore[union-attr]
    await define(api)
    assert not data(await api.admin(CONFIGURE_TIERS, {"input": LADDER}))["configureTiers"][
        "userErrors"
    ]
    await ranked_members(api, "n", "N", 10)
    query = """{ leaderboard(code: "spend", window: WEEKLY) {
      me { rank member { displayName tier { code } } }
      aroundMe(radius: 1) { rank score member { id displayName tier { code name benefits } } }
    } }"""
    token = api.token("member", "n4")
    store = api.runtime.fragments
    first = data(await api.post(query, token=token))["leaderboard"]
    assert [e["rank"] for e in first["aroundMe"]] == [4, 5, 6]
    assert first["aroundMe"][0]["member"]["tier"] == {
        "code": "BRONZE",
        "name": "Bronze",
        "benefits": [],
    }
    hits = store.hits
    assert data(await api.post(query, token=token))["leaderboard"] == first
    assert store.hits - hits == 4  # me's entry and the three around

    neighbour = await Member.get(customer_id="n3")
    await Member.filter(id=neighbour.id).update(display_name="Renamed", tier_code="GOLD")
    changed = data(await api.post(query, token=token))["leaderboard"]
    assert changed["aroundMe"][0]["member"] == {
        "id": str(neighbour.id),
        "displayName": "Renamed",
        "tier": {"code": "GOLD", "name": "Gold", "benefits": ["Free shipping", "Early access"]},
    }
    assert changed["aroundMe"][1:] == first["aroundMe"][1:] and changed["me"] == first["me"]

    ladder = [dict(t, benefits=["Lounge"]) if t["code"] == "GOLD" else t for t in LADDER]
    assert not data(await api.admin(CONFIGURE_TIERS, {"input": ladder}))["configureTiers"][
        "userErrors"
    ]
    ticking.now += 1.01  # boards read the versions at most a second old
    relabelled = data(await api.post(query, token=token))["leaderboard"]
    assert relabelled["aroundMe"][0]["member"]["tier"]["benefits"] == ["Lounge"]


async def test_me_and_around_me_unseen_by_the_boards_lookahead_read_for_themselves(
    api: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The board's resolver reads the neighbourhood for the me and aroundMe its lookahead
    sees; were they not seen, each reads what it needs itself, and they answer the same."""
    import api.areas.leaderboards as areas

    await define(api)
    await ranked_members(api, "n", "N", 10)
    query = """{ leaderboard(code: "spend", window: WEEKLY) {
      me { rank score member { displayName } } aroundMe(radius: 2) { rank member { id } } } }"""
    token = api.token("member", "n4")
    seen = data(await api.post(query, token=token))["leaderboard"]
    store = api.runtime.boards.store  # type: ignore[union-attr]  # boards are on in tests
    reads: list[int] = []
    around = store.around

    async def counted(key: Any, member_id: int, radius: int) -> Any:
        reads.append(radius)
        return await around(key, member_id, radius)

    monkeypatch.setattr(store, "around", counted)
    monkeypatch.setattr(areas, "_near_asked", lambda info: None)
    api.runtime.fragments.clear()
    unseen = data(await api.post(query, token=token))["leaderboard"]
    assert unseen == seen and seen["me"]["rank"] == 5
    assert sorted(reads) == [0, 2]  # me's own standing; aroundMe's radius, read apart
    reads.clear()
    api.runtime.fragments.clear()
    narrow = query.replace("radius: 2", "radius: 0")
    alone = data(await api.post(narrow, token=token))["leaderboard"]
    assert alone["aroundMe"] == [{"rank": 5, "member": {"id": seen["aroundMe"][2]["member"]["id"]}}]
    assert reads == [0]  # within the radius me reads: one read, shared
