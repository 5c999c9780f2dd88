"""Leaderboards fed by outbox events: scores set from the database, regions, erasure, rebuilds,
period closing with prizes paid exactly once, and live announcements."""

from __future__ import annotations

import asyncio
import json
import random
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import redis.asyncio as aioredis

from domain.achievements.events import LeaderboardPrizeAwarded
from domain.clock import FrozenClock
from domain.errors import ValidationErrors
from domain.members.events import MemberErased, MemberMoved
from domain.members.models import Member
from domain.members.services import ProfileChanges, update_profile
from domain.outbox.dispatcher import Dispatcher
from domain.outbox.models import OutboxEvent
from domain.points.models import EntryKind, PointsEntry
from domain.versions import VersionReader
from gamification.leaderboards import BoardKey, LeaderboardWindow, Standing
from gamification.leaderboards.boards import Boards
from gamification.leaderboards.closing import archived_standings, close_periods
from gamification.leaderboards.definitions import LeaderboardSpec
from gamification.leaderboards.metrics import member_scores
from gamification.leaderboards.models import (
    LeaderboardArchive,
    LeaderboardDefinition,
    LeaderboardMetric,
    PrizeAward,
    RegionField,
)
from gamification.leaderboards.periods import period_for
from gamification.leaderboards.rebuild import built_key, rebuild_all, restore_if_missing
from gamification.leaderboards.services import open_board, upsert_leaderboard
from gamification.leaderboards.wiring import leaderboard_handlers
from tests.integration import leaderboard_setup as setup
from tests.integration.query_counter import counting_statements
from tests.redis_support import read_shard_message

MADRID = ZoneInfo("Europe/Madrid")
T0 = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)  # a Thursday, week 2026-W03
DAILY, WEEKLY, MONTHLY, ALL_TIME = (
    LeaderboardWindow.DAILY,
    LeaderboardWindow.WEEKLY,
    LeaderboardWindow.MONTHLY,
    LeaderboardWindow.ALL_TIME,
)
EVERY_WINDOW = (DAILY, WEEKLY, MONTHLY, ALL_TIME)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


@pytest.fixture
def boards(redis_client: aioredis.Redis, redis_prefix: str) -> Boards:
    return Boards(redis_client, redis_prefix, MADRID, publish_interval_ms=50)


@pytest.fixture
def dispatcher(boards: Boards, clock: FrozenClock) -> Dispatcher:
    return Dispatcher(leaderboard_handlers(boards, clock), clock)


async def define(
    boards: Boards,
    code: str,
    metric: LeaderboardMetric,
    windows: tuple[LeaderboardWindow, ...] = EVERY_WINDOW,
    region_field: RegionField | None = None,
    prize_points: tuple[int, ...] = (),
    now: datetime = T0 - timedelta(days=3),
) -> LeaderboardDefinition:
    spec = LeaderboardSpec(code, f"Board {code}", metric, windows, region_field, prize_points)
    return await upsert_leaderboard(boards, spec, now)


def ranking(standings: list[Standing]) -> list[tuple[int, Decimal]]:
    return [(s.member_id, s.score) for s in standings]


async def board(boards: Boards, key: BoardKey) -> list[tuple[int, Decimal]]:
    return ranking(await boards.store.snapshot(key))


def key(code: str, window: LeaderboardWindow, at: datetime = T0, region: str | None = None):
    return BoardKey.for_time(code, window, at, MADRID, region)


# ---------------------------------------------------------------- scores from the database


async def test_a_purchase_sets_the_members_spend_on_every_window(
    db: str, boards: Boards, dispatcher: Dispatcher
) -> None:
    await define(boards, "spend", LeaderboardMetric.AMOUNT_SPENT)
    alice = await setup.member("alice", T0)
    await setup.purchase(alice, "30.50", T0 - timedelta(days=20))  # last month: all time only
    await setup.purchase(alice, "10.25", T0 - timedelta(days=2))  # this week, not today
    await setup.purchase(alice, "5.00", T0)
    await dispatcher.run_until_idle()

    assert await board(boards, key("spend", DAILY)) == [(alice.id, Decimal("5.00"))]
    assert await board(boards, key("spend", WEEKLY)) == [(alice.id, Decimal("15.25"))]
    assert await board(boards, key("spend", MONTHLY)) == [(alice.id, Decimal("15.25"))]
    assert await board(boards, key("spend", ALL_TIME)) == [(alice.id, Decimal("45.75"))]


async def test_a_redelivered_event_never_counts_twice(
    db: str, boards: Boards, dispatcher: Dispatcher
) -> None:
    await define(boards, "spend", LeaderboardMetric.AMOUNT_SPENT, (WEEKLY,))
    alice = await setup.member("alice", T0)
    await setup.purchase(alice, "20.00", T0)
    await dispatcher.run_until_idle()
    # At least once: the same events delivered again, as after a crash before marking them.
    await OutboxEvent.all().update(processed_at=None)
    await dispatcher.run_until_idle()
    await dispatcher.run_until_idle()

    assert await board(boards, key("spend", WEEKLY)) == [(alice.id, Decimal("20.00"))]


async def test_equal_scores_rank_by_who_reached_them_first(
    db: str, boards: Boards, dispatcher: Dispatcher
) -> None:
    await define(boards, "buyers", LeaderboardMetric.PURCHASES, (WEEKLY,))
    late = await setup.member("late", T0)
    early = await setup.member("early", T0)
    top = await setup.member("top", T0)
    await setup.purchase(late, "1", T0 - timedelta(hours=1))
    await setup.purchase(early, "1", T0 - timedelta(hours=3))
    await setup.purchase(late, "1", T0 - timedelta(minutes=1))  # reaches 2 last
    await setup.purchase(early, "1", T0 - timedelta(hours=2))  # reaches 2 first
    for hours in (5, 4, 3):
        await setup.purchase(top, "1", T0 - timedelta(hours=hours))
    await dispatcher.run_until_idle()

    standings = await boards.store.snapshot(key("buyers", WEEKLY))
    assert [(s.rank, s.member_id, s.score) for s in standings] == [
        (1, top.id, Decimal(3)),
        (2, early.id, Decimal(2)),
        (3, late.id, Decimal(2)),
    ]


async def test_refunds_lower_the_spend_and_a_fully_refunded_purchase_stops_counting(
    db: str, boards: Boards, dispatcher: Dispatcher
) -> None:
    await define(boards, "spend", LeaderboardMetric.AMOUNT_SPENT, (WEEKLY,))
    await define(boards, "buyers", LeaderboardMetric.PURCHASES, (WEEKLY,))
    alice = await setup.member("alice", T0)
    shoes = await setup.purchase(alice, "80.00", T0 - timedelta(days=1))
    await setup.purchase(alice, "20.00", T0 - timedelta(days=1))
    await dispatcher.run_until_idle()
    await setup.refund(shoes, "30.00", T0 - timedelta(minutes=2))
    await dispatcher.run_until_idle()
    assert await board(boards, key("spend", WEEKLY)) == [(alice.id, Decimal("70.00"))]
    assert await board(boards, key("buyers", WEEKLY)) == [(alice.id, Decimal(2))]

    await setup.refund(shoes, "50.00", T0 - timedelta(minutes=1))
    await dispatcher.run_until_idle()
    assert await board(boards, key("spend", WEEKLY)) == [(alice.id, Decimal("20.00"))]
    assert await board(boards, key("buyers", WEEKLY)) == [(alice.id, Decimal(1))]


async def test_points_earned_count_credits_minus_reversals_but_not_prizes(
    db: str, boards: Boards, dispatcher: Dispatcher
) -> None:
    await define(boards, "earners", LeaderboardMetric.POINTS_EARNED, (WEEKLY,))
    alice = await setup.member("alice", T0)
    bruno = await setup.member("bruno", T0)
    await setup.earn(alice, 100, T0 - timedelta(hours=2))
    await setup.earn(alice, 40, T0 - timedelta(hours=1), EntryKind.REFERRAL)
    await setup.earn(bruno, 120, T0 - timedelta(hours=1))
    await setup.reverse(alice, 30, T0)
    await PointsEntry.create(
        member_id=bruno.id,
        kind=EntryKind.BONUS,
        delta=500,
        remaining=500,
        description="prize",
        created_at=T0,
        available_at=T0,
        reference="prize:other:WEEKLY:2026-W02:_:1",
    )
    await dispatcher.run_until_idle()

    assert await board(boards, key("earners", WEEKLY)) == [
        (bruno.id, Decimal(120)),
        (alice.id, Decimal(110)),
    ]


async def test_challenges_completed_count_completions_in_the_period(
    db: str, boards: Boards, dispatcher: Dispatcher
) -> None:
    await define(boards, "achievers", LeaderboardMetric.CHALLENGES_COMPLETED, (DAILY, WEEKLY))
    alice = await setup.member("alice", T0)
    goal = await setup.challenge("daily-visit", T0)
    await setup.complete(alice, goal, T0 - timedelta(days=1))
    await setup.complete(alice, goal, T0)
    await dispatcher.run_until_idle()

    assert await board(boards, key("achievers", DAILY)) == [(alice.id, Decimal(1))]
    assert await board(boards, key("achievers", WEEKLY)) == [(alice.id, Decimal(2))]


async def test_regional_boards_rank_members_where_they_live_and_follow_them_when_they_move(
    db: str, boards: Boards, dispatcher: Dispatcher
) -> None:
    await define(boards, "city", LeaderboardMetric.AMOUNT_SPENT, (WEEKLY,), RegionField.CITY)
    alice = await setup.member("alice", T0, country="ES", city="Madrid")
    bruno = await setup.member("bruno", T0, country="ES", city="Barcelona")
    nowhere = await setup.member("nowhere", T0)
    for who in (alice, bruno, nowhere):
        await setup.purchase(who, "10", T0)
    await dispatcher.run_until_idle()
    assert await board(boards, key("city", WEEKLY, region="madrid")) == [(alice.id, Decimal(10))]
    assert await board(boards, key("city", WEEKLY, region="barcelona")) == [(bruno.id, Decimal(10))]

    await Member.filter(id=alice.id).update(city="Barcelona")
    await setup.purchase(alice, "5", T0 - timedelta(minutes=1))
    await dispatcher.run_until_idle()
    assert await board(boards, key("city", WEEKLY, region="madrid")) == []
    assert await board(boards, key("city", WEEKLY, region="barcelona")) == [
        (alice.id, Decimal(15)),
        (bruno.id, Decimal(10)),
    ]


async def test_a_member_who_moves_changes_regional_boards_at_once_with_their_score(
    db: str, boards: Boards, dispatcher: Dispatcher, clock: FrozenClock
) -> None:
    await define(boards, "city", LeaderboardMetric.AMOUNT_SPENT, (WEEKLY,), RegionField.CITY)
    await define(boards, "spend", LeaderboardMetric.AMOUNT_SPENT, (WEEKLY,))
    alice = await setup.member("alice", T0, country="ES", city="Madrid")
    await setup.purchase(alice, "10", T0)
    await dispatcher.run_until_idle()

    clock.advance(timedelta(hours=1))
    await update_profile(alice, ProfileChanges(city="Barcelona"), clock.now())
    await update_profile(alice, ProfileChanges(city="Barcelona"), clock.now())  # no move
    await dispatcher.run_until_idle()

    assert await OutboxEvent.filter(kind=MemberMoved.kind).count() == 1
    assert await board(boards, key("city", WEEKLY, region="madrid")) == []
    assert await board(boards, key("city", WEEKLY, region="barcelona")) == [(alice.id, Decimal(10))]
    assert await board(boards, key("spend", WEEKLY)) == [(alice.id, Decimal(10))]


async def test_an_erased_member_disappears_from_every_board(
    db: str, boards: Boards, dispatcher: Dispatcher
) -> None:
    await define(boards, "spend", LeaderboardMetric.AMOUNT_SPENT)
    await define(boards, "country", LeaderboardMetric.PURCHASES, (WEEKLY,), RegionField.COUNTRY)
    alice = await setup.member("alice", T0, country="ES")
    bruno = await setup.member("bruno", T0, country="ES")
    await setup.purchase(alice, "10", T0)
    await setup.purchase(bruno, "5", T0)
    await dispatcher.run_until_idle()

    await Member.filter(id=alice.id).update(erased_at=T0, customer_id=None, country=None)
    from domain.events import record_event

    await record_event(MemberErased(member_id=alice.id), T0)
    await dispatcher.run_until_idle()

    for window in EVERY_WINDOW:
        assert await board(boards, key("spend", window)) == [(bruno.id, Decimal(5))]
    assert await board(boards, key("country", WEEKLY, region="ES")) == [(bruno.id, Decimal(1))]
    # A late event about the erased member does not put them back.
    await setup.purchase(alice, "99", T0)
    await dispatcher.run_until_idle()
    assert await board(boards, key("spend", WEEKLY)) == [(bruno.id, Decimal(5))]


# ---------------------------------------------------------------- definitions


async def test_upserting_a_board_is_idempotent_by_code(db: str, boards: Boards) -> None:
    first = await define(boards, "spend", LeaderboardMetric.AMOUNT_SPENT, (WEEKLY,))
    again = await upsert_leaderboard(
        boards,
        LeaderboardSpec(
            "spend", "  Big   spenders ", LeaderboardMetric.AMOUNT_SPENT, (WEEKLY,), None, (50,)
        ),
        T0,
    )
    assert again.id == first.id
    assert (again.name, again.prize_points) == ("Big spenders", [50])
    assert await LeaderboardDefinition.all().count() == 1


async def test_a_board_opened_again_in_its_period_with_the_same_versions_is_the_one_kept(
    db: str, redis_client: aioredis.Redis, redis_prefix: str
) -> None:
    """Reads of a board reuse its opening (definition, period, key) while the versions read
    and the period hold: a new period, an admin's change or a member's own region are not
    served from it."""
    ticks = [0.0]
    boards = Boards(
        redis_client, redis_prefix, MADRID, versions=VersionReader(clock=lambda: ticks[0])
    )
    await define(boards, "spend", LeaderboardMetric.AMOUNT_SPENT, (WEEKLY, ALL_TIME))
    await define(
        boards, "city", LeaderboardMetric.AMOUNT_SPENT, (WEEKLY,), region_field=RegionField.CITY
    )

    async def nobody() -> Member | None:
        return None

    first = await open_board(boards, "spend", WEEKLY, None, nobody, T0)
    assert await open_board(boards, "spend", WEEKLY, None, nobody, T0 + timedelta(days=1)) is first
    assert (await open_board(boards, "spend", ALL_TIME, None, nobody, T0)).key.period == "all"
    next_week = await open_board(boards, "spend", WEEKLY, None, nobody, T0 + timedelta(days=7))
    assert (first.key.period, next_week.key.period) == ("2026-W03", "2026-W04")
    assert (await open_board(boards, "spend", WEEKLY, None, nobody, T0)).key == first.key

    spec = LeaderboardSpec("spend", "Renamed", LeaderboardMetric.AMOUNT_SPENT, (WEEKLY, ALL_TIME))
    await upsert_leaderboard(boards, spec, T0)
    ticks[0] += 1.5  # the versions are read again (definitions are at most a second old)
    renamed = await open_board(boards, "spend", WEEKLY, None, nobody, T0)
    assert renamed.definition.name == "Renamed" and renamed.key == first.key

    madrid = await setup.member("ana", T0, city="Madrid")
    paris = await setup.member("ben", T0, city="Paris")

    async def ana() -> Member | None:
        return madrid

    async def ben() -> Member | None:
        return paris

    own = [await open_board(boards, "city", WEEKLY, None, who, T0) for who in (ana, ben)]
    assert [board.region for board in own] == ["madrid", "paris"]
    asked = await open_board(boards, "city", WEEKLY, "Paris", ana, T0)
    assert asked.region == "paris"
    assert await open_board(boards, "city", WEEKLY, "Paris", ben, T0) is asked


async def test_an_invalid_board_names_every_field_at_fault_and_saves_nothing(
    db: str, boards: Boards
) -> None:
    spec = LeaderboardSpec("bad code!", " ", LeaderboardMetric.PURCHASES, (), None, (10, -1))
    with pytest.raises(ValidationErrors) as raised:
        await upsert_leaderboard(boards, spec, T0)
    assert sorted((e.code, tuple(e.field or ())) for e in raised.value.errors) == [
        ("INVALID_INPUT", ("input", "code")),
        ("INVALID_INPUT", ("input", "name")),
        ("INVALID_INPUT", ("input", "prizePoints")),
        ("INVALID_INPUT", ("input", "windows")),
    ]
    assert await LeaderboardDefinition.all().count() == 0


async def test_a_new_board_starts_with_the_current_periods_history(
    db: str, boards: Boards, dispatcher: Dispatcher
) -> None:
    alice = await setup.member("alice", T0)
    await setup.purchase(alice, "12", T0 - timedelta(days=1))
    await dispatcher.run_until_idle()
    await define(boards, "spend", LeaderboardMetric.AMOUNT_SPENT, (WEEKLY,), now=T0)
    assert await board(boards, key("spend", WEEKLY)) == [(alice.id, Decimal(12))]


# ---------------------------------------------------------------- rebuild


async def current_boards(boards: Boards) -> dict[str, list[str]]:
    """Every board of the current periods (what readers see), by Redis key."""
    current = {BoardKey.for_time("x", w, T0, MADRID).period for w in EVERY_WINDOW}
    found = {}
    async for name in boards.redis.scan_iter(match=f"{boards.prefix}lb:*"):
        if name.split(":")[-2] in current:
            found[name] = await boards.redis.zrange(name, 0, -1)
    return found


async def test_rebuilt_boards_equal_the_live_ones(
    db: str, boards: Boards, dispatcher: Dispatcher
) -> None:
    await define(boards, "spend", LeaderboardMetric.AMOUNT_SPENT)
    await define(boards, "buyers", LeaderboardMetric.PURCHASES, (DAILY, WEEKLY), RegionField.CITY)
    await define(boards, "earners", LeaderboardMetric.POINTS_EARNED, (WEEKLY, ALL_TIME))
    draw = random.Random(7)
    cities = ["Madrid", "Barcelona", "Sevilla", None]
    people = [
        await setup.member(f"m{i}", T0, city=draw.choice(cities), country="ES") for i in range(25)
    ]
    bought = []
    for i in range(120):
        who = draw.choice(people)
        at = T0 - timedelta(hours=draw.randrange(0, 24 * 10))
        bought.append(await setup.purchase(who, f"{draw.randrange(1, 300)}.{i % 100:02d}", at))
        if i % 3 == 0:
            await setup.earn(who, draw.randrange(1, 500), at)
    for row in draw.sample(bought, 15):
        await setup.refund(row, row.amount if draw.random() < 0.5 else Decimal("1.00"), T0)
    await dispatcher.run_until_idle()
    live = await current_boards(boards)
    assert len(live) >= 6 and any(len(v) > 5 for v in live.values())

    await boards.redis.delete(*[name async for name in boards.redis.scan_iter(f"{boards.prefix}*")])
    assert await current_boards(boards) == {}
    written = await rebuild_all(boards, T0)

    assert await current_boards(boards) == live
    assert written == sum(len(v) for v in live.values())


async def test_a_redis_that_lost_the_boards_gets_them_back_once_at_start(
    db: str, boards: Boards, dispatcher: Dispatcher
) -> None:
    await define(boards, "spend", LeaderboardMetric.AMOUNT_SPENT)
    people = [await setup.member(f"m{i}", T0) for i in range(3)]
    for i, who in enumerate(people):
        await setup.purchase(who, f"{10 + i}.00", T0 - timedelta(hours=2))
    await dispatcher.run_until_idle()
    live = await current_boards(boards)
    assert live and all(len(entries) == 3 for entries in live.values())

    await boards.redis.delete(*[name async for name in boards.redis.scan_iter(f"{boards.prefix}*")])
    restored = await asyncio.gather(*(restore_if_missing(boards, T0) for _ in range(3)))

    assert await current_boards(boards) == live
    # One of the processes starting together rebuilt; the others went on.
    assert sorted(restored, key=lambda n: n or 0) == [None, None, 3 * len(live)]
    assert await boards.redis.exists(built_key(boards))
    assert await restore_if_missing(boards, T0) is None


# ---------------------------------------------------------------- closing periods


async def week_of_spending(boards: Boards, dispatcher: Dispatcher) -> list[Member]:
    people = [await setup.member(name, T0) for name in ("ana", "ben", "cai", "dan")]
    for who, amount in zip(people, ("50", "80", "20", "80"), strict=True):
        await setup.purchase(who, amount, T0 - timedelta(hours=1 + len(amount)))
    await dispatcher.run_until_idle()
    return people


async def test_closing_a_period_archives_its_standings_and_pays_prizes(
    db: str, boards: Boards, dispatcher: Dispatcher, clock: FrozenClock
) -> None:
    await define(
        boards, "spend", LeaderboardMetric.AMOUNT_SPENT, (WEEKLY,), prize_points=(300, 100)
    )
    ana, ben, cai, dan = await week_of_spending(boards, dispatcher)
    # ben and dan both spent 80: ben's purchase was recorded first (same hours ago, earlier id)
    closing_time = datetime(2026, 1, 19, 0, 30, tzinfo=UTC)  # Monday 01:30 in Madrid
    clock.set(closing_time)
    await setup.purchase(dan, "0.01", closing_time)  # the new week has begun
    await dispatcher.run_until_idle()

    assert await close_periods(boards, closing_time) == 1

    standings = await archived_standings("spend", WEEKLY, "2026-W03")
    assert ranking(standings) == [
        (ben.id, Decimal("80.00")),
        (dan.id, Decimal("80.00")),
        (ana.id, Decimal("50.00")),
        (cai.id, Decimal("20.00")),
    ]
    prizes = await PrizeAward.all().order_by("rank").values_list("rank", "member_id", "points")
    assert prizes == [(1, ben.id, 300), (2, dan.id, 100)]
    credits = await PointsEntry.filter(kind=EntryKind.BONUS).order_by("id")
    assert [(c.member_id, c.delta, c.reference) for c in credits] == [  # type: ignore[attr-defined]
        (ben.id, 300, "prize:spend:WEEKLY:2026-W03:_:1"),
        (dan.id, 100, "prize:spend:WEEKLY:2026-W03:_:2"),
    ]
    events = await OutboxEvent.filter(kind=LeaderboardPrizeAwarded.kind).order_by("id")
    assert [(e.payload["member_id"], e.payload["rank"], e.payload["points"]) for e in events] == [
        (ben.id, 1, 300),
        (dan.id, 2, 100),
    ]
    closed_key = boards.store.ordering_key(key("spend", WEEKLY))
    assert 0 < await boards.redis.ttl(closed_key) <= boards.retention_seconds
    next_week = key("spend", WEEKLY, closing_time)
    assert await boards.redis.ttl(boards.store.ordering_key(next_week)) == -1


async def test_closing_twice_and_by_two_workers_at_once_pays_each_prize_once(
    db: str, boards: Boards, dispatcher: Dispatcher
) -> None:
    await define(
        boards, "spend", LeaderboardMetric.AMOUNT_SPENT, (WEEKLY,), prize_points=(300, 100)
    )
    await define(boards, "daily", LeaderboardMetric.PURCHASES, (DAILY,), RegionField.COUNTRY, (10,))
    await week_of_spending(boards, dispatcher)
    closing_time = datetime(2026, 1, 19, 0, 30, tzinfo=UTC)

    results = await asyncio.gather(*[close_periods(boards, closing_time) for _ in range(4)])
    again = await close_periods(boards, closing_time)
    later = await close_periods(boards, closing_time + timedelta(hours=5))

    assert sum(results) == 4 and again == 0 and later == 0  # W03, and three days closed
    assert await PrizeAward.filter(board__code="spend").count() == 2
    assert await PointsEntry.filter(kind=EntryKind.BONUS).count() == 2  # members have no country
    assert await LeaderboardArchive.filter(board__code="spend").count() == 1
    assert await OutboxEvent.filter(kind=LeaderboardPrizeAwarded.kind).count() == 2


async def test_periods_before_the_board_existed_are_not_closed(
    db: str, boards: Boards, dispatcher: Dispatcher
) -> None:
    await week_of_spending(boards, dispatcher)
    await define(
        boards, "spend", LeaderboardMetric.AMOUNT_SPENT, (WEEKLY,), prize_points=(300,), now=T0
    )
    assert await close_periods(boards, T0 + timedelta(days=1)) == 0  # W02 ended before
    assert await close_periods(boards, datetime(2026, 1, 19, 0, 30, tzinfo=UTC)) == 1
    assert await PrizeAward.all().count() == 1


async def test_a_late_event_for_a_closed_period_leaves_its_archive_and_keys_alone(
    db: str, boards: Boards, dispatcher: Dispatcher, clock: FrozenClock
) -> None:
    await define(boards, "spend", LeaderboardMetric.AMOUNT_SPENT, (WEEKLY,))
    ana, *_ = await week_of_spending(boards, dispatcher)
    clock.set(datetime(2026, 1, 19, 0, 30, tzinfo=UTC))
    await close_periods(boards, clock.now())
    ordering = boards.store.ordering_key(key("spend", WEEKLY))
    before = await boards.redis.zrange(ordering, 0, -1)

    await setup.purchase(ana, "1000", T0, recorded_at=clock.now())  # a store sale synced late
    await dispatcher.run_until_idle()

    assert await boards.redis.zrange(ordering, 0, -1) == before
    assert await boards.redis.ttl(ordering) > 0


# ---------------------------------------------------------------- live announcements


async def test_a_change_in_the_top_is_announced_throttled_with_the_latest_state(
    db: str, boards: Boards, dispatcher: Dispatcher
) -> None:
    # Four purchases within one interval, however slow the database (a pooler, a busy CI).
    boards.publish_interval_ms = 2_000
    await define(boards, "spend", LeaderboardMetric.AMOUNT_SPENT, (WEEKLY,))
    channel = boards.store.changes_channel(key("spend", WEEKLY))
    pubsub = boards.redis.pubsub()
    await pubsub.ssubscribe(channel)
    await read_shard_message(pubsub, wait_seconds=1)  # the subscription confirmation
    alice = await setup.member("alice", T0)
    began = time.monotonic()
    for amount in ("1", "2", "3", "4"):
        await setup.purchase(alice, amount, T0)
        await dispatcher.run_until_idle()
    intervals = (time.monotonic() - began) * 1000 // boards.publish_interval_ms
    await boards.announced()

    messages = []
    while message := await read_shard_message(
        pubsub, wait_seconds=0.2, ignore_subscribe_messages=True
    ):
        messages.append(json.loads(message["data"]))
    await pubsub.aclose()
    # Throttled: the first at once, then at most one per interval (the last one trailing).
    assert 1 <= len(messages) <= min(2 + intervals, 4)
    if intervals == 0:
        assert len(messages) < 4  # all four within one interval: coalesced
    assert messages[0] == {
        "code": "spend",
        "window": "WEEKLY",
        "period": "2026-W03",
        "region": None,
    }


async def test_an_event_about_a_long_gone_period_writes_no_board(
    db: str, boards: Boards, dispatcher: Dispatcher
) -> None:
    await define(boards, "spend", LeaderboardMetric.AMOUNT_SPENT, (DAILY, ALL_TIME))
    ana = await setup.member("ana", T0)
    long_ago = T0 - timedelta(days=30)
    await setup.purchase(ana, "10", long_ago, recorded_at=T0)  # synced from a store a month late
    await dispatcher.run_until_idle()

    assert await boards.redis.exists(boards.store.ordering_key(key("spend", DAILY, long_ago))) == 0
    assert await board(boards, key("spend", ALL_TIME)) == [(ana.id, Decimal(10))]


async def test_changing_a_boards_windows_or_regions_recomputes_it(
    db: str, boards: Boards, dispatcher: Dispatcher
) -> None:
    await define(boards, "spend", LeaderboardMetric.AMOUNT_SPENT, (DAILY, WEEKLY))
    ana = await setup.member("ana", T0, city="Madrid")
    await setup.purchase(ana, "10", T0)
    await dispatcher.run_until_idle()
    assert await board(boards, key("spend", DAILY)) == [(ana.id, Decimal(10))]

    await define(boards, "spend", LeaderboardMetric.AMOUNT_SPENT, (WEEKLY,), RegionField.CITY)

    assert await boards.redis.exists(boards.store.ordering_key(key("spend", DAILY))) == 0
    assert await boards.redis.exists(boards.store.index_key(key("spend", DAILY))) == 0
    assert await board(boards, key("spend", WEEKLY)) == []
    assert await board(boards, key("spend", WEEKLY, region="madrid")) == [(ana.id, Decimal(10))]


async def test_an_event_about_a_period_that_ended_before_the_board_existed_writes_nothing(
    db: str, boards: Boards, dispatcher: Dispatcher
) -> None:
    ana = await setup.member("ana", T0)
    yesterday = T0 - timedelta(days=1)
    await setup.purchase(ana, "10", yesterday)  # not yet delivered when the board is created
    await define(boards, "spend", LeaderboardMetric.AMOUNT_SPENT, (DAILY,), now=T0)
    await dispatcher.run_until_idle()

    assert await boards.redis.exists(boards.store.ordering_key(key("spend", DAILY, yesterday))) == 0


async def test_a_batch_of_a_members_purchases_refreshes_their_scores_once(
    db: str, boards: Boards, dispatcher: Dispatcher
) -> None:
    await define(boards, "spend", LeaderboardMetric.AMOUNT_SPENT, (WEEKLY,))
    alice = await setup.member("alice", T0)
    await setup.purchase(alice, "1.00", T0)
    await dispatcher.run_until_idle()
    await setup.purchase(alice, "2.00", T0)
    with counting_statements() as one:
        await dispatcher.run_until_idle()
    for amount in ("3.00", "4.00", "5.00", "6.00"):
        await setup.purchase(alice, amount, T0)
    with counting_statements() as four:
        await dispatcher.run_until_idle()

    assert await board(boards, key("spend", WEEKLY)) == [(alice.id, Decimal("21.00"))]
    assert len(four) == len(one), "\n".join(four.sql)


async def test_a_batch_of_many_members_purchases_reads_each_board_period_once(
    db: str, boards: Boards, dispatcher: Dispatcher
) -> None:
    await define(boards, "spend", LeaderboardMetric.AMOUNT_SPENT, (WEEKLY, ALL_TIME))
    members = [await setup.member(f"m{n}", T0) for n in range(5)]
    await setup.purchase(members[0], "1.00", T0)
    with counting_statements() as one:
        await dispatcher.run_until_idle()
    for n, member in enumerate(members):
        await setup.purchase(member, f"{n + 2}.00", T0)
    with counting_statements() as five:
        await dispatcher.run_until_idle()

    spent = dict(await board(boards, key("spend", WEEKLY)))
    assert spent == {m.id: Decimal(n) for m, n in zip(members, (3, 3, 4, 5, 6), strict=True)}
    assert len(five) == len(one), "\n".join(five.sql)


async def test_a_batchs_members_scores_equal_their_scores_over_everyone(db: str) -> None:
    """The worker reads the batch's members' scores (on PostgreSQL, a statement with the members
    and the period written in it); rebuilds and period closes read everyone's. Both agree,
    member by member, for every metric and window: rows on a period's bounds, refunds, prizes,
    reversals, erased members and ids of no member."""
    people = [await setup.member(f"p{n}", T0) for n in range(6)]
    goal = await setup.challenge("steps", T0)
    week = period_for(WEEKLY, T0, MADRID)
    assert week.start is not None and week.end is not None
    instants = [
        week.start,
        week.end - timedelta(microseconds=1),
        week.end,
        T0,
        T0 - timedelta(days=40),
    ]
    for n, who in enumerate(people):
        for m, at in enumerate(instants[: n + 1]):
            bought = await setup.purchase(who, f"{10 + n}.{m:02d}", at)
            if (n + m) % 3 == 0:
                await setup.refund(bought, bought.amount if m % 2 else Decimal("1.50"), T0)
            await setup.earn(who, 10 * (n + 1) + m, at)
            if at.date() not in {i.date() for i in instants[:m]}:  # once a day
                await setup.complete(who, goal, at)
        if n % 2:
            await setup.reverse(who, 5, T0)
    await PointsEntry.create(
        member_id=people[1].id, kind=EntryKind.BONUS, delta=900, remaining=900,
        description="prize", created_at=T0, available_at=T0, reference="prize:x:WEEKLY:k:_:1",
    )  # fmt: skip
    await Member.filter(id=people[2].id).update(erased_at=T0, customer_id=None)
    wanted = [people[0].id, people[2].id, people[3].id, people[5].id, 10**9]

    for metric in LeaderboardMetric:
        for window in EVERY_WINDOW:
            period = period_for(window, T0, MADRID)
            everyone = await member_scores(metric, period)
            assert everyone, (metric, window)
            expected = {m: entry for m, entry in everyone.items() if m in wanted}
            assert await member_scores(metric, period, wanted) == expected, (metric, window)
