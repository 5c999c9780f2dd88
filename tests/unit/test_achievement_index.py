"""The engine's pure parts: the index by event kind, fingerprints, one progress step, replay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from domain.achievements.models import RuleProgress
from gamification.achievements.backfill import replay
from gamification.achievements.catalogue import (
    ENDED_CHALLENGE_HORIZON,
    IndexedBadge,
    IndexedChallenge,
    build_index,
    rule_fingerprint,
)
from gamification.achievements.engine import advance, member_zone
from gamification.achievements.queries import rarity, secret_text
from gamification.rules import Aggregate, EventKind, MemberEvent, Recurrence, Rule

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)
UTC_ZONE = ZoneInfo("UTC")
SHOES = Rule(event="PURCHASE", aggregate="COUNT", target=3, window_days=30, category="shoes")


def indexed_badge(badge_id: int, rule: Rule) -> IndexedBadge:
    return IndexedBadge(badge_id, f"b{badge_id}", "B", rule, rule_fingerprint(rule), 0)


def indexed_challenge(challenge_id: int, rule: Rule, ends_at: datetime) -> IndexedChallenge:
    return IndexedChallenge(
        id=challenge_id,
        code=f"c{challenge_id}",
        title="C",
        rule=rule,
        fingerprint=rule_fingerprint(rule),
        starts_at=ends_at - timedelta(days=30),
        ends_at=ends_at,
        recurrence=Recurrence.NONE,
        reward_points=0,
        reward_badge=None,
        segment_code=None,
    )


def shoe_purchase(reference: str, at: datetime = NOW) -> MemberEvent:
    return MemberEvent(
        kind=EventKind.PURCHASE,
        occurred_at=at,
        reference=reference,
        amount=Decimal("30"),
        categories=frozenset({"shoes"}),
    )


def test_the_index_files_each_rule_under_the_event_kind_it_reads() -> None:
    share = Rule(event="SHARE", aggregate="COUNT", target=2)
    index = build_index(
        7,
        NOW,
        [indexed_badge(1, SHOES), indexed_badge(2, share), indexed_badge(3, SHOES)],
        [indexed_challenge(1, share, NOW + timedelta(days=1))],
    )
    assert [b.id for b in index.badges_for(EventKind.PURCHASE)] == [1, 3]
    assert [b.id for b in index.badges_for(EventKind.SHARE)] == [2]
    assert index.badges_for(EventKind.REVIEW) == ()
    assert [c.id for c in index.challenges_for(EventKind.SHARE)] == [1]
    assert index.challenges_for(EventKind.PURCHASE) == ()
    assert (index.version, index.rule_count) == (7, 4)


def test_the_index_leaves_out_challenges_ended_before_late_events_could_reach_them() -> None:
    long_ago = NOW - ENDED_CHALLENGE_HORIZON - timedelta(seconds=1)
    recently = NOW - timedelta(days=2)
    index = build_index(
        1, NOW, [], [indexed_challenge(1, SHOES, long_ago), indexed_challenge(2, SHOES, recently)]
    )
    assert [c.id for c in index.challenges_for(EventKind.PURCHASE)] == [2]


def test_a_challenge_is_active_from_its_start_until_just_before_its_end() -> None:
    challenge = indexed_challenge(1, SHOES, NOW)
    assert challenge.is_active(challenge.starts_at)
    assert challenge.is_active(NOW - timedelta(microseconds=1))
    assert not challenge.is_active(NOW)
    assert not challenge.is_active(challenge.starts_at - timedelta(microseconds=1))


def test_a_fingerprint_names_what_a_rule_means() -> None:
    same = Rule(
        event=EventKind.PURCHASE,
        aggregate=Aggregate.COUNT,
        target=3.0,
        window_days=30,
        category="shoes",
    )
    assert rule_fingerprint(same) == rule_fingerprint(SHOES)
    for edited in (
        Rule(event="PURCHASE", aggregate="COUNT", target=4, window_days=30, category="shoes"),
        Rule(event="PURCHASE", aggregate="COUNT", target=3, window_days=31, category="shoes"),
        Rule(event="PURCHASE", aggregate="COUNT", target=3, window_days=30, category="hats"),
        Rule(event="PURCHASE", aggregate="COUNT", target=3, window_days=30),
    ):
        assert rule_fingerprint(edited) != rule_fingerprint(SHOES)


def test_a_first_matching_event_starts_a_progress_row() -> None:
    step = advance(None, SHOES, rule_fingerprint(SHOES), shoe_purchase("o1"), UTC_ZONE, NOW, NOW)
    assert step is not None
    row, reached = step
    assert not reached
    assert (row.current, row.completed_at, row.rule_fingerprint) == (
        Decimal("1.00"),
        None,
        rule_fingerprint(SHOES),
    )


def test_an_event_already_counted_writes_nothing() -> None:
    fingerprint = rule_fingerprint(SHOES)
    first = advance(None, SHOES, fingerprint, shoe_purchase("o1"), UTC_ZONE, NOW, NOW)
    assert first is not None
    row, _ = first
    assert advance(row, SHOES, fingerprint, shoe_purchase("o1"), UTC_ZONE, NOW, NOW) is None


def test_the_step_that_reaches_the_target_completes_the_row() -> None:
    fingerprint = rule_fingerprint(SHOES)
    row = None
    reached = []
    for n in range(3):
        step = advance(row, SHOES, fingerprint, shoe_purchase(f"o{n}"), UTC_ZONE, NOW, NOW)
        assert step is not None
        row, done = step
        reached.append(done)
    assert reached == [False, False, True]
    assert row is not None and row.completed_at == NOW
    assert advance(row, SHOES, fingerprint, shoe_purchase("o9"), UTC_ZONE, NOW, NOW) is None


def test_progress_kept_for_an_edited_rule_starts_again_from_zero() -> None:
    old = RuleProgress(
        state={"total": "2", "recent_references": ["o1", "o2"]},
        rule_fingerprint="0123456789abcdef",
        completed_at=None,
    )
    rule = Rule(event="PURCHASE", aggregate="COUNT", target=3)
    step = advance(old, rule, rule_fingerprint(rule), shoe_purchase("o3"), UTC_ZONE, NOW, NOW)
    assert step is not None
    row, reached = step
    assert (row.current, reached) == (Decimal("1.00"), False)


def test_replay_stops_at_the_event_that_first_met_the_rule() -> None:
    events = [
        shoe_purchase("o1", NOW - timedelta(days=100)),
        shoe_purchase("o2", NOW - timedelta(days=60)),
        shoe_purchase("o3", NOW - timedelta(days=50)),
        shoe_purchase("o4", NOW - timedelta(days=45)),
        shoe_purchase("o5", NOW - timedelta(days=1)),
    ]
    state, value, reached = replay(SHOES, events, UTC_ZONE, NOW)
    assert (value, reached) == (3.0, True)
    assert [c.reference for c in state.contributions] == ["o2", "o3", "o4"]

    state, value, reached = replay(SHOES, events[:3], UTC_ZONE, NOW)
    assert (value, reached) == (0.0, False)  # two within 30 days, long ago


def test_an_unknown_time_zone_reads_as_utc() -> None:
    assert member_zone("Mars/Olympus") == ZoneInfo("UTC")
    assert member_zone("Europe/Madrid") == ZoneInfo("Europe/Madrid")


def test_rarity_is_a_share_between_zero_and_one() -> None:
    assert rarity(0, 0) == 0.0
    assert rarity(1, 4) == 0.25
    assert rarity(5, 4) == 1.0


def test_a_hidden_secret_badge_reads_in_the_viewers_language() -> None:
    assert secret_text("es-MX").name == "Insignia secreta"
    assert secret_text("es").name == "Insignia secreta"
    assert secret_text("en-GB").name == "Secret badge"
    assert secret_text("fr").name == "Secret badge"
