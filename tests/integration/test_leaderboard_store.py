"""The leaderboard store on Redis (fakeredis by default, a real Redis with FIDELIO_TEST_REDIS_URL).

Boards are exact and ranks unique: higher scores first, equal scores by who reached them first,
then by member id. Reads cost one round trip whatever the board's size.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import redis.asyncio as aioredis
from redis.asyncio.connection import AbstractConnection
from redis.crc import key_slot

from gamification.leaderboards import (
    BoardKey,
    LeaderboardStore,
    LeaderboardWindow,
    ScoreEntry,
    Standing,
)
from gamification.leaderboards.store import ScoreApplied, ScoreUpdate

T0 = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
BOARD = BoardKey("spenders", LeaderboardWindow.WEEKLY, "2026-W03")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture
def store(redis_client: aioredis.Redis, redis_prefix: str) -> LeaderboardStore:
    return LeaderboardStore(redis_client, redis_prefix)


@dataclass
class RedisTraffic:
    """What the process sent to Redis: requests (round trips) and the commands in them."""

    round_trips: int = 0
    commands: list[str] = field(default_factory=list)

    def clear(self) -> None:
        self.round_trips = 0
        self.commands.clear()


@pytest.fixture
def redis_traffic(monkeypatch: pytest.MonkeyPatch) -> Iterator[RedisTraffic]:
    """Counts at the connection, so pipelines and scripts are counted as what they send."""
    traffic = RedisTraffic()
    send = AbstractConnection.send_packed_command
    pack = AbstractConnection.pack_command

    async def counting_send(self: AbstractConnection, *args: Any, **kwargs: Any) -> None:
        traffic.round_trips += 1
        await send(self, *args, **kwargs)

    def counting_pack(self: AbstractConnection, *args: Any) -> list[bytes]:
        name = args[0]
        traffic.commands.append((name.decode() if isinstance(name, bytes) else name).upper())
        return pack(self, *args)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", counting_send)
    monkeypatch.setattr(AbstractConnection, "pack_command", counting_pack)
    yield traffic


def ranking(standings: list[Standing]) -> list[tuple[int, int, Decimal]]:
    return [(s.rank, s.member_id, s.score) for s in standings]


# ---------------------------------------------------------------- ordering


async def test_higher_scores_rank_first(store: LeaderboardStore) -> None:
    await store.set_score(BOARD, 1, 10, at(0))
    await store.set_score(BOARD, 2, 30, at(1))
    await store.set_score(BOARD, 3, 20, at(2))

    assert ranking(await store.top(BOARD)) == [(1, 2, 30), (2, 3, 20), (3, 1, 10)]


async def test_equal_scores_rank_by_who_reached_the_score_first(store: LeaderboardStore) -> None:
    await store.set_score(BOARD, 1, 50, at(30))
    await store.set_score(BOARD, 2, 50, at(10))
    await store.set_score(BOARD, 3, 50, at(20))

    assert [s.member_id for s in await store.top(BOARD)] == [2, 3, 1]


async def test_equal_scores_reached_at_the_same_moment_rank_by_member_id(
    store: LeaderboardStore,
) -> None:
    for member_id in (30, 4, 200):
        await store.set_score(BOARD, member_id, 7, at(0))

    assert [s.member_id for s in await store.top(BOARD)] == [4, 30, 200]


async def test_time_breaks_ties_to_the_microsecond(store: LeaderboardStore) -> None:
    await store.set_score(BOARD, 1, 5, T0 + timedelta(microseconds=2))
    await store.set_score(BOARD, 2, 5, T0 + timedelta(microseconds=1))

    assert [s.member_id for s in await store.top(BOARD)] == [2, 1]


async def test_reached_at_in_any_zone_is_compared_as_an_instant(store: LeaderboardStore) -> None:
    from zoneinfo import ZoneInfo

    tokyo_time = T0.astimezone(ZoneInfo("Asia/Tokyo"))  # later on the wall clock, same instant
    await store.set_score(BOARD, 1, 5, tokyo_time + timedelta(seconds=1))
    await store.set_score(BOARD, 2, 5, T0)

    standings = await store.top(BOARD)
    assert [s.member_id for s in standings] == [2, 1]
    assert standings[0].reached_at == T0 and standings[0].reached_at.tzinfo is UTC


# ---------------------------------------------------------------- setting scores


async def test_setting_the_same_score_again_changes_nothing(store: LeaderboardStore) -> None:
    assert await store.set_score(BOARD, 1, 40, at(0)) is True
    assert await store.set_score(BOARD, 2, 40, at(5)) is True

    assert await store.set_score(BOARD, 1, Decimal("40.00"), at(10)) is False

    assert ranking(await store.top(BOARD)) == [(1, 1, 40), (2, 2, 40)]
    assert (await store.standing(BOARD, 1)) == Standing(1, 1, Decimal("40.00"), at(0))


async def test_a_lower_score_moves_the_member_down(store: LeaderboardStore) -> None:
    await store.set_score(BOARD, 1, 90, at(0))
    await store.set_score(BOARD, 2, 60, at(1))
    await store.set_score(BOARD, 3, 30, at(2))

    assert await store.set_score(BOARD, 1, 45, at(3)) is True

    assert ranking(await store.top(BOARD)) == [(1, 2, 60), (2, 1, 45), (3, 3, 30)]
    assert await store.count(BOARD) == 3


async def test_a_new_score_counts_as_reached_when_it_was_set(store: LeaderboardStore) -> None:
    await store.set_score(BOARD, 1, 10, at(0))
    await store.set_score(BOARD, 2, 20, at(1))

    await store.set_score(BOARD, 1, 20, at(2))

    assert [s.member_id for s in await store.top(BOARD)] == [2, 1]


async def test_invalid_scores_are_refused_and_change_nothing(store: LeaderboardStore) -> None:
    await store.set_score(BOARD, 1, 10, at(0))

    for score in (Decimal("1.005"), Decimal("-0.01"), -1, Decimal("NaN"), Decimal("Infinity")):
        with pytest.raises(ValueError):
            await store.set_score(BOARD, 1, score, at(1))
    with pytest.raises(TypeError):
        await store.set_score(BOARD, 1, 1.5, at(1))  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        await store.set_score(BOARD, 1, 20, datetime(2026, 1, 15))

    assert ranking(await store.top(BOARD)) == [(1, 1, 10)]


# ---------------------------------------------------------------- exact decimals


async def test_decimal_scores_are_exact_up_to_a_trillion_and_beyond(
    store: LeaderboardStore,
) -> None:
    scores = {
        1: Decimal("999999999999.99"),
        2: Decimal("1000000000000.00"),
        3: Decimal("999999999999.98"),
        4: Decimal("9999999999999999.99"),  # the largest score, past a double's 2**53
        5: Decimal("9999999999999999.98"),
        6: Decimal("0.01"),
        7: Decimal(0),
    }
    for member_id, score in scores.items():
        await store.set_score(BOARD, member_id, score, at(0))

    standings = await store.top(BOARD, first=10)

    assert [(s.member_id, s.score) for s in standings] == sorted(
        scores.items(), key=lambda item: -item[1]
    )
    assert [str(s.score) for s in standings][:2] == ["9999999999999999.99", "9999999999999999.98"]


async def test_integer_scores_come_back_as_decimals(store: LeaderboardStore) -> None:
    await store.set_score(BOARD, 1, 1_250, at(0))

    standing = await store.standing(BOARD, 1)

    assert standing is not None and standing.score == Decimal(1250)


# ---------------------------------------------------------------- reads


async def fill(store: LeaderboardStore, board: BoardKey, size: int) -> None:
    """Members 1..size with scores size..1, so member n has rank n."""
    await store.replace_all(board, [ScoreEntry(n, size - n + 1, at(n)) for n in range(1, size + 1)])


async def test_top_pages_with_an_offset(store: LeaderboardStore) -> None:
    await fill(store, BOARD, 25)

    page = await store.top(BOARD, first=10, offset=10)

    assert [(s.rank, s.member_id) for s in page] == [(n, n) for n in range(11, 21)]
    assert [s.rank for s in await store.top(BOARD, first=10, offset=20)] == [21, 22, 23, 24, 25]
    assert await store.top(BOARD, first=10, offset=25) == []
    assert await store.top(BOARD, first=0) == []


async def test_a_member_without_a_score_has_no_standing(store: LeaderboardStore) -> None:
    await fill(store, BOARD, 3)

    assert await store.standing(BOARD, 99) is None
    assert await store.around(BOARD, 99, radius=2) == []
    assert await store.standing(BOARD, 2) == Standing(2, 2, Decimal("2.00"), at(2))


async def test_around_the_top_is_clipped_above(store: LeaderboardStore) -> None:
    await fill(store, BOARD, 10)

    assert [s.rank for s in await store.around(BOARD, 1, radius=2)] == [1, 2, 3]
    assert [s.rank for s in await store.around(BOARD, 2, radius=2)] == [1, 2, 3, 4]


async def test_around_the_bottom_is_clipped_below(store: LeaderboardStore) -> None:
    await fill(store, BOARD, 10)

    assert [s.rank for s in await store.around(BOARD, 10, radius=2)] == [8, 9, 10]


async def test_around_the_middle_shows_neighbours_on_both_sides(store: LeaderboardStore) -> None:
    await fill(store, BOARD, 10)

    around = await store.around(BOARD, 5, radius=2)

    assert [(s.rank, s.member_id) for s in around] == [(3, 3), (4, 4), (5, 5), (6, 6), (7, 7)]
    assert [s.member_id for s in await store.around(BOARD, 5, radius=0)] == [5]


async def test_removing_a_member_closes_the_gap(store: LeaderboardStore) -> None:
    await fill(store, BOARD, 4)

    assert await store.remove_member(BOARD, 2) is True
    assert await store.remove_member(BOARD, 2) is False

    assert ranking(await store.top(BOARD)) == [(1, 1, 4), (2, 3, 2), (3, 4, 1)]
    assert await store.standing(BOARD, 2) is None
    assert await store.count(BOARD) == 3
    assert await store.set_score(BOARD, 2, 3, at(9)) is True


async def test_erasure_removes_a_member_from_every_board_listed(
    store: LeaderboardStore,
) -> None:
    boards = [
        BOARD,
        BoardKey("spenders", LeaderboardWindow.DAILY, "2026-01-15", "FR"),
        BoardKey("points", LeaderboardWindow.ALL_TIME, "all"),
    ]
    for board in boards:
        await store.set_score(board, 7, 10, at(0))
        await store.set_score(board, 8, 5, at(0))

    removed = await store.remove_member_everywhere(7, [*boards, BoardKey("x", BOARD.window, "1")])

    assert removed == 3
    for board in boards:
        assert [s.member_id for s in await store.snapshot(board)] == [8]


async def test_boards_of_other_windows_periods_and_regions_are_kept_apart(
    store: LeaderboardStore,
) -> None:
    boards = [
        BOARD,
        BoardKey("spenders", LeaderboardWindow.WEEKLY, "2026-W04"),
        BoardKey("spenders", LeaderboardWindow.MONTHLY, "2026-01"),
        BoardKey("spenders", LeaderboardWindow.WEEKLY, "2026-W03", "FR"),
        BoardKey("spenders", LeaderboardWindow.WEEKLY, "2026-W03", "Paris:1"),
        BoardKey("points", LeaderboardWindow.WEEKLY, "2026-W03"),
    ]
    for member_id, board in enumerate(boards, start=1):
        await store.set_score(board, member_id, member_id, at(0))

    for member_id, board in enumerate(boards, start=1):
        assert [s.member_id for s in await store.snapshot(board)] == [member_id]


async def test_a_boards_keys_share_one_cluster_slot(
    store: LeaderboardStore, redis_client: aioredis.Redis, redis_prefix: str
) -> None:
    regional = BoardKey("spenders", LeaderboardWindow.DAILY, "2026-01-15", "FR")
    await store.set_score(regional, 1, 10, at(0))
    await store.replace_all(BOARD, [ScoreEntry(1, 10, at(0))])

    keys = sorted([key async for key in redis_client.scan_iter(match=f"{redis_prefix}*")])

    assert keys == sorted(
        [
            f"{redis_prefix}lb:{{spenders}}:daily:2026-01-15:FR",
            f"{redis_prefix}lbm:{{spenders}}:daily:2026-01-15:FR",
            f"{redis_prefix}lb:{{spenders}}:weekly:2026-W03:_",
            f"{redis_prefix}lbm:{{spenders}}:weekly:2026-W03:_",
        ]
    )
    assert {key_slot(key.encode()) for key in keys} == {key_slot(b"spenders")}
    assert key_slot(store.changes_channel(BOARD).encode()) == key_slot(b"spenders")


def test_board_parts_that_would_break_the_key_layout_are_refused() -> None:
    for code, period, region in [
        ("a}b", "all", None),
        ("", "all", None),
        ("a", "2026:1", None),
        ("a", "all", "_"),
        ("a", "all", ""),
    ]:
        with pytest.raises(ValueError):
            BoardKey(code, LeaderboardWindow.ALL_TIME, period, region)


# ---------------------------------------------------------------- rebuild, expiry, snapshot


async def test_a_rebuilt_board_equals_the_board_built_update_by_update(
    store: LeaderboardStore,
) -> None:
    rebuilt = BoardKey("spenders", LeaderboardWindow.WEEKLY, "2026-W03", "rebuilt")
    rng = random.Random(3)
    final: dict[int, ScoreEntry] = {}
    for step in range(400):
        member_id = rng.randint(1, 60)
        score = Decimal(rng.randint(0, 2_000)).scaleb(-1)
        reached_at = at(step // 3)  # some updates share a moment
        await store.set_score(BOARD, member_id, score, reached_at)
        if member_id not in final or final[member_id].score != score:
            final[member_id] = ScoreEntry(member_id, score, reached_at)

    await store.set_score(rebuilt, 999, 1, at(0))  # replaced, not merged
    assert await store.replace_all(rebuilt, list(final.values())) == len(final)

    assert await store.snapshot(rebuilt) == await store.snapshot(BOARD)


async def test_a_rebuild_replaces_the_board_and_leaves_no_temporary_keys(
    store: LeaderboardStore, redis_client: aioredis.Redis, redis_prefix: str
) -> None:
    await fill(store, BOARD, 5)
    await store.expire_board(BOARD, 60)

    await store.replace_all(BOARD, [ScoreEntry(42, Decimal("1.50"), at(0))])

    assert ranking(await store.snapshot(BOARD)) == [(1, 42, Decimal("1.5"))]
    assert await store.standing(BOARD, 1) is None
    keys = [key async for key in redis_client.scan_iter(match=f"{redis_prefix}*")]
    assert sorted(keys) == sorted([store.ordering_key(BOARD), store.index_key(BOARD)])
    assert [await redis_client.ttl(key) for key in keys] == [-1, -1]


async def test_a_rebuild_from_a_snapshot_restores_the_board(store: LeaderboardStore) -> None:
    await fill(store, BOARD, 30)
    snapshot = await store.snapshot(BOARD)

    await store.replace_all(BOARD, [])
    assert await store.count(BOARD) == 0
    await store.replace_all(BOARD, snapshot)

    assert await store.snapshot(BOARD) == snapshot


async def test_a_member_listed_twice_in_a_rebuild_is_refused(store: LeaderboardStore) -> None:
    await fill(store, BOARD, 3)

    with pytest.raises(ValueError):
        await store.replace_all(BOARD, [ScoreEntry(1, 1, at(0)), ScoreEntry(1, 2, at(0))])

    assert await store.count(BOARD) == 3


async def test_an_archived_board_expires(
    store: LeaderboardStore, redis_client: aioredis.Redis
) -> None:
    await fill(store, BOARD, 3)

    assert await store.expire_board(BOARD, 3600) is True
    assert await store.expire_board(BOARD.__class__("gone", BOARD.window, "x"), 60) is False

    for key in (store.ordering_key(BOARD), store.index_key(BOARD)):
        assert 0 < await redis_client.ttl(key) <= 3600


# ---------------------------------------------------------------- scale


async def test_a_10000_member_board_matches_a_sort_in_python(store: LeaderboardStore) -> None:
    rng = random.Random(10_000)
    model: dict[int, tuple[Decimal, datetime]] = {}

    async def set_score(member_id: int, score: Decimal, reached_at: datetime) -> None:
        changed = await store.set_score(BOARD, member_id, score, reached_at)
        assert changed == (member_id not in model or model[member_id][0] != score)
        if changed:
            model[member_id] = (score, reached_at)

    # Few distinct scores and moments, so ties by time and by member id are common.
    def random_update() -> tuple[int, Decimal, datetime]:
        member_id = rng.randint(1, 10_500)
        return (
            member_id,
            Decimal(rng.randint(0, 500)).scaleb(-rng.choice([0, 2])),
            at(rng.randint(0, 50)),
        )

    initial = {member_id: random_update()[1:] for member_id in range(1, 10_001)}
    await store.replace_all(BOARD, [ScoreEntry(m, *update) for m, update in initial.items()])
    model.update(initial)
    updates = [random_update() for _ in range(3_000)]
    for start in range(0, len(updates), 50):
        batch = {u[0]: u for u in updates[start : start + 50]}.values()  # one update a member
        await asyncio.gather(*(set_score(*update) for update in batch))

    expected = sorted(model.items(), key=lambda item: (-item[1][0], item[1][1], item[0]))
    snapshot = await store.snapshot(BOARD)
    assert len(snapshot) == len(expected) > 10_000
    assert [(s.member_id, s.score, s.reached_at) for s in snapshot] == [
        (member_id, score, reached_at) for member_id, (score, reached_at) in expected
    ]
    assert [s.rank for s in snapshot] == list(range(1, len(snapshot) + 1))
    for member_id in rng.sample(sorted(model), 50):
        standing = await store.standing(BOARD, member_id)
        assert standing is not None and snapshot[standing.rank - 1] == standing
        around = await store.around(BOARD, member_id, radius=3)
        assert around == snapshot[max(0, standing.rank - 4) : standing.rank + 3]
    assert await store.top(BOARD, first=20, offset=4_000) == snapshot[4_000:4_020]


async def test_reads_cost_one_round_trip_whatever_the_board_size(
    store: LeaderboardStore, redis_traffic: RedisTraffic
) -> None:
    small = BoardKey("spenders", LeaderboardWindow.DAILY, "2026-01-15", "small")
    large = BoardKey("spenders", LeaderboardWindow.DAILY, "2026-01-15", "large")
    await fill(store, small, 10)
    await fill(store, large, 10_000)
    await store.standing(small, 1)  # loads the scripts and warms the connection

    costs: dict[str, list[tuple[int, list[str]]]] = {}
    for board, member_id in ((small, 5), (large, 5_000)):
        reads = {
            "top": store.top(board, first=10, offset=3),
            "standing": store.standing(board, member_id),
            "around": store.around(board, member_id, radius=2),
            "count": store.count(board),
        }
        for name, read in reads.items():
            redis_traffic.clear()
            await read
            costs.setdefault(name, []).append(
                (redis_traffic.round_trips, list(redis_traffic.commands))
            )

    assert costs == {
        "top": [(1, ["ZRANGE"])] * 2,
        "standing": [(1, ["EVALSHA"])] * 2,
        "around": [(1, ["EVALSHA"])] * 2,
        "count": [(1, ["ZCARD"])] * 2,
    }


async def test_a_score_update_costs_one_round_trip(
    store: LeaderboardStore, redis_traffic: RedisTraffic
) -> None:
    await fill(store, BOARD, 100)
    await store.set_score(BOARD, 1, 500, at(0))
    await store.remove_member(BOARD, 4)  # the first run of a script also loads it

    redis_traffic.clear()
    await store.set_score(BOARD, 2, 600, at(1))
    await store.set_score(BOARD, 2, 600, at(2))
    await store.remove_member(BOARD, 3)

    assert (redis_traffic.round_trips, redis_traffic.commands) == (3, ["EVALSHA"] * 3)


async def test_scores_applied_in_one_pipeline_equal_scores_set_one_by_one_with_their_ranks(
    store: LeaderboardStore, redis_client: aioredis.Redis, redis_prefix: str
) -> None:
    other = BoardKey("points", LeaderboardWindow.WEEKLY, "2026-W03")
    for member_id, score in ((1, 50), (2, 40)):
        await store.set_score(BOARD, member_id, score, at(0))

    applied = await store.apply_scores(
        [
            ScoreUpdate(BOARD, 3, ScoreEntry(3, Decimal("45.50"), at(1)), watch=True),
            ScoreUpdate(BOARD, 1, ScoreEntry(1, 50, at(0)), watch=True),  # the same: no change
            ScoreUpdate(BOARD, 2, None, watch=True),
            ScoreUpdate(other, 3, ScoreEntry(3, 7, at(1))),
        ]
    )

    assert applied == [
        ScoreApplied(True, None, 2),
        ScoreApplied(False, 1, 1),
        ScoreApplied(True, 3, None),
        ScoreApplied(True),
    ]
    one_by_one = LeaderboardStore(redis_client, redis_prefix + "x:")
    await one_by_one.set_score(BOARD, 1, 50, at(0))
    await one_by_one.set_score(BOARD, 3, Decimal("45.50"), at(1))
    assert await store.snapshot(BOARD) == await one_by_one.snapshot(BOARD)
    assert [s.member_id for s in await store.snapshot(other)] == [3]


async def test_scores_applied_in_a_pipeline_after_redis_forgot_its_scripts_land_once(
    store: LeaderboardStore, redis_client: aioredis.Redis
) -> None:
    # A restarted node has no scripts: a cluster pipeline (which, unlike a plain one, does not
    # load them first) gets NOSCRIPT for those calls; they are loaded and run again, once.
    boards = [BoardKey(code, LeaderboardWindow.WEEKLY, "2026-W03") for code in "abcdefgh"]
    await store.set_score(boards[0], 1, 10, at(0))
    await redis_client.script_flush()

    applied = await store.apply_scores(
        [ScoreUpdate(board, 1, ScoreEntry(1, 20, at(1)), watch=True) for board in boards]
    )

    assert applied == [ScoreApplied(True, 1, 1)] + [ScoreApplied(True, None, 1)] * 7
    for board in boards:
        assert ranking(await store.top(board)) == [(1, 1, Decimal(20))]
    await redis_client.script_flush()
    assert await store.remove_member_everywhere(1, boards) == 8
