"""Admins' badges and challenges, and what members read of them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.achievements.models import Badge, Challenge
from domain.errors import InvalidInput, NotFound, ValidationErrors
from domain.segments.rules import SegmentRule
from domain.segments.services import upsert_segment
from domain.versions import ConfigVersion
from gamification.achievements.engine import AchievementEngine
from gamification.achievements.queries import (
    ChallengeStatus,
    ChallengeView,
    Viewer,
    list_badges,
    list_challenges,
    member_badges,
)
from gamification.achievements.services import BadgeDraft, upsert_badge
from gamification.rules import Recurrence, Rule
from tests.integration.achievements_setup import (
    SHOES_3_IN_30,
    badge,
    challenge,
    days,
    member,
    observe,
    purchase,
    share,
)

pytestmark = pytest.mark.usefixtures("db")

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)


def fields_of(error: ValidationErrors) -> list[tuple[str, list[str] | None]]:
    return [(e.code, e.field) for e in error.errors]


async def test_an_invalid_badge_is_refused_with_every_field_at_fault_and_nothing_stored() -> None:
    draft = BadgeDraft(
        code=" bad code",
        name=" ",
        description="",
        rule=Rule(event="SHARE", aggregate="SUM_AMOUNT", target=0),
        reward_points=-1,
        icon_url="ftp://x",
    )
    with pytest.raises(ValidationErrors) as refused:
        await upsert_badge(draft, NOW)
    assert fields_of(refused.value) == [
        ("INVALID_INPUT", ["input", "code"]),
        ("INVALID_INPUT", ["input", "name"]),
        ("INVALID_INPUT", ["input", "iconUrl"]),
        ("INVALID_INPUT", ["input", "rewardPoints"]),
        ("INVALID_INPUT", ["input", "rule", "aggregate"]),
        ("INVALID_INPUT", ["input", "rule", "target"]),
    ]
    assert await Badge.all().count() == 0
    assert await ConfigVersion.all().count() == 0


async def test_upserting_a_badge_by_code_replaces_it_and_bumps_the_catalogue() -> None:
    first = await badge("shoe-lover", SHOES_3_IN_30, NOW, reward_points=10)
    second = await badge("shoe-lover", SHOES_3_IN_30, NOW, reward_points=20)
    assert first.id == second.id
    assert (await Badge.get(code="shoe-lover")).reward_points == 20
    assert (await ConfigVersion.get(name="achievements")).version == 2


async def test_a_challenge_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(ValidationErrors) as refused:
        await challenge("c", SHOES_3_IN_30, NOW, NOW - days(1), NOW)
    assert fields_of(refused.value) == [("INVALID_INPUT", ["input", "endsAt"])]
    assert isinstance(refused.value.errors[0], InvalidInput)
    assert await Challenge.all().count() == 0


async def test_a_challenge_naming_an_unknown_reward_badge_is_refused() -> None:
    with pytest.raises(ValidationErrors) as refused:
        await challenge(
            "c",
            Rule(event="SHARE", aggregate="COUNT", target=2, window_days=400),
            NOW,
            NOW + days(7),
            NOW,
            reward_badge_code="nope",
        )
    assert fields_of(refused.value) == [
        ("INVALID_INPUT", ["input", "goal", "windowDays"]),
        ("NOT_FOUND", ["input", "rewardBadgeCode"]),
    ]
    assert isinstance(refused.value.errors[1], NotFound)
    assert await Challenge.all().count() == 0


async def test_a_challenge_naming_an_unknown_segment_is_refused() -> None:
    with pytest.raises(ValidationErrors) as refused:
        await challenge("c", SHOES_3_IN_30, NOW, NOW + days(1), NOW, segment_code="vip")
    assert fields_of(refused.value) == [("NOT_FOUND", ["input", "segmentCode"])]
    assert await Challenge.all().count() == 0


async def test_a_segment_challenge_is_listed_for_its_members_and_admins_only() -> None:
    await upsert_segment("spain", "Spain", SegmentRule(countries=("ES",)), NOW)
    once = Rule(event="PURCHASE", aggregate="COUNT", target=1)
    await challenge("everyone", once, NOW - days(1), NOW + days(1), NOW)
    await challenge("spain-only", once, NOW - days(1), NOW + days(1), NOW, segment_code="spain")
    ana = await member("ana", NOW, country="ES")
    tom = await member("tom", NOW, country="GB")

    def codes(views: list[ChallengeView]) -> list[str]:
        return [v.challenge.code for v in views]

    active = ChallengeStatus.ACTIVE
    assert codes(await list_challenges(active, Viewer(member=ana), NOW)) == [
        "everyone",
        "spain-only",
    ]
    assert codes(await list_challenges(active, Viewer(member=tom), NOW)) == ["everyone"]
    assert codes(await list_challenges(active, Viewer(), NOW)) == ["everyone"]
    assert codes(await list_challenges(active, Viewer(is_admin=True), NOW)) == [
        "everyone",
        "spain-only",
    ]


async def test_a_secret_badge_shows_its_name_and_rule_only_to_those_who_earned_it() -> None:
    engine = AchievementEngine()
    night_owl = await badge(
        "night-owl", Rule(event="SHARE", aggregate="COUNT", target=1), NOW, secret=True
    )
    ana = await member("ana", NOW, locale="es-ES")
    bea = await member("bea", NOW)
    await observe(engine, share(ana.id, NOW), NOW)

    (for_ana,) = await list_badges(Viewer(member=ana), NOW)
    (for_bea,) = await list_badges(Viewer(member=bea), NOW)
    (for_admin,) = await list_badges(Viewer(is_admin=True), NOW)

    assert (for_ana.hidden, for_ana.name, for_ana.rule_description()) == (
        False,
        "Badge night-owl",
        "Comparte una vez",
    )
    assert for_ana.progress is not None and for_ana.progress.completed_at == NOW
    assert (for_bea.hidden, for_bea.name, for_bea.icon_url, for_bea.progress) == (
        True,
        "Secret badge",
        None,
        None,
    )
    assert for_bea.description == for_bea.rule_description()
    assert "Share" not in for_bea.rule_description()
    assert (for_admin.hidden, for_admin.name) == (False, "Badge night-owl")
    assert for_bea.rarity == for_admin.rarity == 0.5
    assert night_owl.id == for_bea.badge.id


async def test_my_progress_reads_the_window_as_of_now() -> None:
    engine = AchievementEngine()
    await badge("shoe-lover", SHOES_3_IN_30, NOW)
    ana = await member("ana", NOW)
    await observe(engine, purchase(ana.id, NOW - days(20)), NOW - days(20))
    await observe(engine, purchase(ana.id, NOW), NOW)

    (today,) = await list_badges(Viewer(member=ana), NOW)
    (later,) = await list_badges(Viewer(member=ana), NOW + days(15))

    assert today.progress is not None and later.progress is not None
    assert (today.progress.current, today.progress.target) == (2, 3)
    assert later.progress.current == 1


async def test_member_badges_lists_what_a_member_earned_newest_first() -> None:
    engine = AchievementEngine()
    first = await badge("first-share", Rule(event="SHARE", aggregate="COUNT", target=1), NOW)
    second = await badge("second-share", Rule(event="SHARE", aggregate="COUNT", target=2), NOW)
    ana = await member("ana", NOW)
    await observe(engine, share(ana.id, NOW), NOW)
    await observe(engine, share(ana.id, NOW + days(1)), NOW + days(1))

    earned = await member_badges(ana, NOW + days(1))

    assert [(e.view.badge.id, e.earned_at) for e in earned] == [
        (second.id, NOW + days(1)),
        (first.id, NOW),
    ]


async def test_challenges_are_listed_by_status_with_progress_in_the_current_period() -> None:
    engine = AchievementEngine()
    twice = Rule(event="PURCHASE", aggregate="COUNT", target=2)
    ended = await challenge("ended", twice, NOW - days(10), NOW - days(1), NOW)
    daily = await challenge(
        "daily", twice, NOW - days(3), NOW + days(3), NOW, recurrence=Recurrence.DAILY
    )
    upcoming = await challenge("upcoming", twice, NOW + days(1), NOW + days(10), NOW)
    ana = await member("ana", NOW)
    await observe(engine, purchase(ana.id, NOW - days(1)), NOW - days(1))
    await observe(engine, purchase(ana.id, NOW), NOW)

    by_status = {
        status: await list_challenges(status, Viewer(member=ana), NOW) for status in ChallengeStatus
    }
    everything = await list_challenges(None, Viewer(is_admin=True), NOW)

    assert [v.challenge.id for v in by_status[ChallengeStatus.ENDED]] == [ended.id]
    assert [v.challenge.id for v in by_status[ChallengeStatus.UPCOMING]] == [upcoming.id]
    (active,) = by_status[ChallengeStatus.ACTIVE]
    assert active.challenge.id == daily.id
    assert active.progress is not None
    # Two purchases, on two days: the daily goal restarts, one today.
    assert (active.progress.current, active.progress.completed_at) == (1, None)
    assert [v.challenge.code for v in everything] == ["ended", "daily", "upcoming"]
    assert all(v.progress is None for v in everything)
