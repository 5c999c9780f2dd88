"""The rules of a drop that need no database: status, early access, announcements, eligibility."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from domain.drops import messages
from domain.drops.eligibility import evaluate
from domain.drops.rules import AnnouncePhase, DropStatus, drop_status, due_announcements, opens_for
from domain.members.models import Member

OPENS = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
CLOSES = OPENS + timedelta(hours=2)


@dataclass
class Terms:
    opens_at: datetime = OPENS
    closes_at: datetime = CLOSES
    remaining: int = 10
    min_tier_level: int = 0
    early_access_tier_level: int | None = None
    early_access_minutes: int = 0
    announce: bool = True
    early_announced_at: datetime | None = None
    announced_at: datetime | None = None
    required_badge_id: int | None = None
    segment_code: str | None = None
    price_points: int = 0


def member(tier_level: int = 0, locale: str = "en", erased: bool = False) -> Member:
    return Member(
        customer_id="c",
        tier_level=tier_level,
        locale=locale,
        referral_code="R",
        joined_at=OPENS,
        erased_at=OPENS if erased else None,
    )


def early(minutes: int = 60, level: int = 2) -> Terms:
    return Terms(early_access_tier_level=level, early_access_minutes=minutes)


@pytest.mark.parametrize(
    ("now", "remaining", "expected"),
    [
        (OPENS - timedelta(seconds=1), 10, DropStatus.UPCOMING),
        (OPENS, 10, DropStatus.OPEN),
        (OPENS + timedelta(minutes=5), 0, DropStatus.SOLD_OUT),
        (CLOSES - timedelta(seconds=1), 1, DropStatus.OPEN),
        (CLOSES, 10, DropStatus.CLOSED),
        (CLOSES + timedelta(days=1), 0, DropStatus.CLOSED),
    ],
)
def test_the_status_follows_the_window_and_the_stock(
    now: datetime, remaining: int, expected: DropStatus
) -> None:
    assert drop_status(Terms(remaining=remaining), now) == expected


def test_early_access_opens_the_drop_sooner_only_for_the_early_tiers() -> None:
    terms = early(minutes=60, level=2)
    before = OPENS - timedelta(minutes=30)
    assert opens_for(terms, 2) == OPENS - timedelta(minutes=60)
    assert opens_for(terms, 3) == OPENS - timedelta(minutes=60)
    assert opens_for(terms, 1) == OPENS
    assert opens_for(terms, None) == OPENS
    assert drop_status(terms, before, 2) == DropStatus.OPEN
    assert drop_status(terms, before, 1) == DropStatus.UPCOMING
    assert drop_status(terms, before) == DropStatus.UPCOMING


def test_announcements_come_early_first_then_for_everyone_each_once() -> None:
    terms = early(minutes=60, level=2)
    assert due_announcements(terms, OPENS - timedelta(minutes=61)) == []
    first = due_announcements(terms, OPENS - timedelta(minutes=60))
    assert [(a.phase, a.opens_at, a.min_tier_level) for a in first] == [
        (AnnouncePhase.EARLY, OPENS - timedelta(minutes=60), 2)
    ]
    terms.early_announced_at = OPENS - timedelta(minutes=60)
    assert due_announcements(terms, OPENS - timedelta(minutes=1)) == []
    second = due_announcements(terms, OPENS)
    assert [(a.phase, a.opens_at, a.min_tier_level) for a in second] == [
        (AnnouncePhase.GENERAL, OPENS, 0)
    ]
    terms.announced_at = OPENS
    assert due_announcements(terms, OPENS + timedelta(minutes=1)) == []


def test_a_late_job_announces_only_the_general_opening_and_nothing_once_closed() -> None:
    terms = early(minutes=60, level=2)
    assert [a.phase for a in due_announcements(terms, OPENS + timedelta(minutes=1))] == [
        AnnouncePhase.GENERAL
    ]
    assert due_announcements(terms, CLOSES) == []
    assert due_announcements(Terms(announce=False), OPENS) == []


def test_the_early_announcement_targets_the_higher_of_the_minimum_and_the_early_tier() -> None:
    terms = Terms(min_tier_level=1, early_access_tier_level=3, early_access_minutes=10)
    (announcement,) = due_announcements(terms, OPENS - timedelta(minutes=5))
    assert announcement.min_tier_level == 3


def test_an_eligible_member_gets_no_reasons_and_their_own_opening() -> None:
    verdict = evaluate(member(tier_level=2), early(60, 2), frozenset(), {})
    assert (verdict.eligible, verdict.reasons) == (True, ())
    assert verdict.opens_for_me_at == OPENS - timedelta(minutes=60)


def test_reasons_name_every_missing_condition_in_english() -> None:
    terms = Terms(min_tier_level=2, required_badge_id=7)
    verdict = evaluate(member(tier_level=1), terms, frozenset({8}), {7: "Night Owl"})
    assert not verdict.eligible
    assert verdict.reasons == (
        "Reserved for members at tier level 2 or above.",
        "Requires the badge “Night Owl”.",
    )
    assert verdict.opens_for_me_at == OPENS


def test_reasons_are_in_spanish_for_a_spanish_speaking_member() -> None:
    terms = Terms(min_tier_level=2, required_badge_id=7)
    verdict = evaluate(member(tier_level=0, locale="es-ES"), terms, frozenset(), {7: "Búho"})
    assert verdict.reasons == (
        "Reservado para miembros de nivel 2 o superior.",
        "Necesitas la insignia «Búho».",
    )


def test_holding_the_required_badge_makes_the_member_eligible() -> None:
    verdict = evaluate(member(), Terms(required_badge_id=7), frozenset({7}), {7: "Owl"})
    assert verdict.eligible


def test_an_erased_account_is_never_eligible() -> None:
    verdict = evaluate(member(erased=True), Terms(), frozenset(), {})
    assert verdict.reasons == ("This account has been deleted.",)


@pytest.mark.parametrize(
    ("locale", "language"),
    [("es", "es"), ("es_MX", "es"), ("en-GB", "en"), ("fr", "en"), (None, "en"), ("", "en")],
)
def test_unsupported_languages_fall_back_to_english(locale: str | None, language: str) -> None:
    assert messages.language(locale) == language


def test_times_in_messages_are_written_in_utc() -> None:
    madrid_noon = datetime.fromisoformat("2026-03-01T12:00:00+01:00")
    assert (
        messages.message("en", "not_open", at=madrid_noon)
        == "This drop opens for you at 2026-03-01 11:00 UTC."
    )


def test_a_segment_drop_is_for_its_members_only() -> None:
    terms = Terms(segment_code="vip")
    inside = evaluate(member(), terms, frozenset(), {}, frozenset({"vip"}), {"vip": "VIP"})
    outside = evaluate(member(locale="es"), terms, frozenset(), {}, frozenset(), {"vip": "VIP"})
    assert inside.eligible
    assert outside.reasons == ("Reservado para miembros del segmento «VIP».",)


def test_a_member_who_cannot_afford_the_price_is_not_eligible_and_told_why_in_their_language() -> (
    None
):
    terms = Terms(price_points=500)
    short = evaluate(member(locale="es"), terms, frozenset(), {}, balance=120)
    enough = evaluate(member(), terms, frozenset(), {}, balance=500)
    assert not short.eligible
    assert short.reasons == ("Este lanzamiento cuesta 500 puntos y tienes 120.",)
    assert enough.eligible
