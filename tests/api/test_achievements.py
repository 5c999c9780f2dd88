"""Badges and challenges through GraphQL: administration, the member's view, awards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import strawberry
from tortoise.transactions import in_transaction

from api.auth import Principal, Role
from api.context import Context, Info
from api.types.achievements import RARITY_MAX_AGE, AchievementAwards
from domain.achievements.models import Badge, Challenge, MemberBadge
from domain.activity import Activity, Awards
from domain.members.models import Member
from domain.members.services import get_or_create_member
from domain.points.models import PointsEntry
from domain.versions import ConfigPart, bump_version
from tests.api.conftest import GraphQLClient, data, error_codes
from tests.integration.query_counter import counting_statements

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)

UPSERT_BADGE = """
mutation UpsertBadge($input: BadgeInput!) {
  upsertBadge(input: $input) {
    badge { id code name secret rewardPoints rule { event aggregate target windowDays description } }
    userErrors { code field message }
  }
}"""
UPSERT_CHALLENGE = """
mutation UpsertChallenge($input: ChallengeInput!) {
  upsertChallenge(input: $input) {
    challenge { id code title startsAt endsAt recurrence rewardPoints goal { event aggregate target } }
    userErrors { code field message }
  }
}"""
BADGES = """
query Badges {
  badges {
    id code name description iconUrl secret rarity rewardPoints
    rule { event aggregate target windowDays description }
    myProgress { current target completedAt }
  }
  me { badges { earnedAt badge { id code name } } }
}"""
CHALLENGES = """
query Challenges($status: ChallengeStatus) {
  challenges(status: $status) {
    id code title description startsAt endsAt recurrence rewardPoints
    goal { event aggregate target description }
    rewardBadge { id name }
    myProgress { current target completedAt }
  }
}"""

SHOES = {
    "event": "PURCHASE",
    "aggregate": "COUNT",
    "target": 3,
    "windowDays": 30,
    "category": "shoes",
}


@pytest.fixture(autouse=True)
def frozen_now(api: GraphQLClient) -> None:
    api.clock.set(NOW)


def badge_input(code: str, rule: dict[str, Any] = SHOES, **extra: Any) -> dict[str, Any]:
    return {
        "input": {
            "code": code,
            "name": f"Badge {code}",
            "description": f"About {code}",
            "rule": rule,
            **extra,
        }
    }


async def purchase(api: GraphQLClient, customer_id: str, order_id: str) -> Awards:
    """A shoe purchase delivered to the app's engine as recordPurchase does."""
    member = await get_or_create_member(customer_id, api.clock.now())
    async with in_transaction():
        return await api.runtime.observer.observe(
            Activity(
                member_id=member.id,
                kind="PURCHASE",
                occurred_at=api.clock.now(),
                reference=f"order:{order_id}",
                amount=Decimal("60.00"),
                points=60,
                categories=frozenset({"shoes"}),
                channel="APP",
            ),
            api.clock.now(),
        )


async def spanish_member(customer_id: str) -> Member:
    member = await get_or_create_member(customer_id, NOW)
    await Member.filter(id=member.id).update(locale="es-ES", time_zone="Europe/Madrid")
    return member


async def test_an_admin_creates_a_badge_whose_rule_reads_in_words(api: GraphQLClient) -> None:
    result = data(await api.admin(UPSERT_BADGE, badge_input("shoe-lover", rewardPoints=100)))

    payload = result["upsertBadge"]
    assert payload["userErrors"] == []
    assert payload["badge"]["code"] == "shoe-lover"
    assert payload["badge"]["rewardPoints"] == 100
    assert payload["badge"]["rule"] == {
        "event": "PURCHASE",
        "aggregate": "COUNT",
        "target": 3.0,
        "windowDays": 30,
        "description": "Make 3 purchases in the shoes category within 30 days",
    }


async def test_an_invalid_badge_reports_each_field_and_saves_nothing(api: GraphQLClient) -> None:
    rule = {"event": "SHARE", "aggregate": "SUM_AMOUNT", "target": 0}
    result = data(await api.admin(UPSERT_BADGE, badge_input("bad", rule, rewardPoints=-5)))

    assert result["upsertBadge"]["badge"] is None
    assert [(e["code"], e["field"]) for e in result["upsertBadge"]["userErrors"]] == [
        ("INVALID_INPUT", ["input", "rewardPoints"]),
        ("INVALID_INPUT", ["input", "rule", "aggregate"]),
        ("INVALID_INPUT", ["input", "rule", "target"]),
    ]
    assert await Badge.all().count() == 0


async def test_only_admins_may_define_badges(api: GraphQLClient) -> None:
    result = await api.member("ana", UPSERT_BADGE, badge_input("shoe-lover"))
    assert error_codes(result) == ["FORBIDDEN"]
    assert await Badge.all().count() == 0


async def test_a_challenge_ending_before_it_starts_or_naming_no_badge_is_refused(
    api: GraphQLClient,
) -> None:
    base = {
        "code": "spring",
        "title": "Spring",
        "description": "",
        "startsAt": "2026-03-20T00:00:00Z",
        "endsAt": "2026-03-01T00:00:00Z",
        "goal": SHOES,
    }
    backwards = data(await api.admin(UPSERT_CHALLENGE, {"input": base}))
    unknown_badge = data(
        await api.admin(
            UPSERT_CHALLENGE,
            {"input": {**base, "endsAt": "2026-04-01T00:00:00Z", "rewardBadgeCode": "nope"}},
        )
    )

    assert [(e["code"], e["field"]) for e in backwards["upsertChallenge"]["userErrors"]] == [
        ("INVALID_INPUT", ["input", "endsAt"])
    ]
    assert [(e["code"], e["field"]) for e in unknown_badge["upsertChallenge"]["userErrors"]] == [
        ("NOT_FOUND", ["input", "rewardBadgeCode"])
    ]
    assert backwards["upsertChallenge"]["challenge"] is None
    assert await Challenge.all().count() == 0


async def test_the_third_shoe_purchase_earns_the_badge_once_and_members_see_it(
    api: GraphQLClient,
) -> None:
    data(await api.admin(UPSERT_BADGE, badge_input("shoe-lover", rewardPoints=100)))
    await spanish_member("ana")
    await get_or_create_member("bea", NOW)

    first = await purchase(api, "ana", "A-1")
    second = await purchase(api, "ana", "A-2")
    before = data(await api.member("ana", BADGES))
    third = await purchase(api, "ana", "A-3")
    again = await purchase(api, "ana", "A-3")
    api.clock.advance(seconds=RARITY_MAX_AGE + 1)  # rarity: a statistic, at most this old
    after = data(await api.member("ana", BADGES))
    for_bea = data(await api.member("bea", BADGES))

    assert (first.badge_ids, second.badge_ids, again.badge_ids) == ([], [], [])
    assert len(third.badge_ids) == 1 and third.points_awarded == 100
    (badge_before,) = before["badges"]
    assert badge_before["myProgress"] == {"current": 2.0, "target": 3.0, "completedAt": None}
    assert badge_before["rule"]["description"] == ("Haz 3 compras de la categoría shoes en 30 días")
    assert before["me"]["badges"] == []
    (badge_after,) = after["badges"]
    assert badge_after["myProgress"]["completedAt"] == "2026-03-10T12:00:00+00:00"
    assert badge_after["rarity"] == 0.5
    assert after["me"]["badges"] == [
        {
            "earnedAt": "2026-03-10T12:00:00+00:00",
            "badge": {"id": badge_after["id"], "code": "shoe-lover", "name": "Badge shoe-lover"},
        }
    ]
    assert for_bea["badges"][0]["myProgress"]["current"] == 0.0
    assert await MemberBadge.all().count() == 1
    assert await PointsEntry.filter(reference=f"badge:{badge_after['id']}").count() == 1


async def test_a_secret_badge_is_hidden_until_earned(api: GraphQLClient) -> None:
    share_once = {"event": "SHARE", "aggregate": "COUNT", "target": 1}
    data(
        await api.admin(
            UPSERT_BADGE,
            badge_input("night-owl", share_once, secret=True, iconUrl="https://x.test/o.png"),
        )
    )
    await spanish_member("bea")

    hidden = data(await api.member("bea", BADGES))["badges"][0]
    admin_view = data(await api.admin("{ badges { name iconUrl rule { description } } }"))

    assert hidden["secret"] is True
    assert (hidden["name"], hidden["iconUrl"], hidden["myProgress"]) == (
        "Insignia secreta",
        None,
        None,
    )
    assert hidden["description"] == hidden["rule"]["description"]
    assert "Comparte" not in hidden["rule"]["description"]
    assert admin_view["badges"] == [
        {
            "name": "Badge night-owl",
            "iconUrl": "https://x.test/o.png",
            "rule": {"description": "Share once"},
        }
    ]


async def test_challenges_are_listed_by_status_with_the_members_progress(
    api: GraphQLClient,
) -> None:
    data(await api.admin(UPSERT_BADGE, badge_input("trophy", rewardPoints=5)))
    for code, start, end in (
        ("past", NOW - timedelta(days=9), NOW - timedelta(days=2)),
        ("now", NOW - timedelta(days=1), NOW + timedelta(days=6)),
        ("soon", NOW + timedelta(days=2), NOW + timedelta(days=9)),
    ):
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
                        "recurrence": "WEEKLY",
                        "goal": {"event": "PURCHASE", "aggregate": "COUNT", "target": 2},
                        "rewardPoints": 20,
                        "rewardBadgeCode": "trophy",
                    }
                },
            )
        )
        assert result["upsertChallenge"]["userErrors"] == []
    await purchase(api, "ana", "A-1")

    active = data(await api.member("ana", CHALLENGES))["challenges"]
    ended = data(await api.member("ana", CHALLENGES, {"status": "ENDED"}))["challenges"]
    upcoming = data(await api.member("ana", CHALLENGES, {"status": "UPCOMING"}))["challenges"]
    everything = data(await api.service(CHALLENGES, {"status": None}))["challenges"]

    assert [c["code"] for c in active] == ["now"]
    assert active[0]["myProgress"] == {"current": 1.0, "target": 2.0, "completedAt": None}
    assert active[0]["goal"]["description"] == "Make 2 purchases"
    assert active[0]["rewardBadge"]["name"] == "Badge trophy"
    assert active[0]["recurrence"] == "WEEKLY"
    assert [c["code"] for c in ended] == ["past"]
    assert [c["code"] for c in upcoming] == ["soon"]
    assert upcoming[0]["myProgress"]["current"] == 0.0
    assert [c["code"] for c in everything] == ["past", "now", "soon"]
    assert all(c["myProgress"] is None for c in everything)


#: The challenges screen with `me` first: the member is read alone, then their progress apart.
CHALLENGES_APART = """
query {
  me { id }
  challenges { code rewardBadge { id name } myProgress { current target completedAt } }
}"""


async def test_the_challenges_screen_reads_the_members_progress_with_them_in_their_own_zone(
    api: GraphQLClient,
) -> None:
    data(await api.admin(UPSERT_BADGE, badge_input("trophy", rewardPoints=5)))
    for code, recurrence in (("daily", "DAILY"), ("weekly", "WEEKLY"), ("once", "NONE")):
        challenge = {
            "code": code,
            "title": code.title(),
            "description": "",
            "startsAt": (NOW - timedelta(days=3)).isoformat(),
            "endsAt": (NOW + timedelta(days=30)).isoformat(),
            "recurrence": recurrence,
            "goal": {"event": "PURCHASE", "aggregate": "COUNT", "target": 3},
            "rewardBadgeCode": "trophy",
        }
        result = data(await api.admin(UPSERT_CHALLENGE, {"input": challenge}))
        assert result["upsertChallenge"]["userErrors"] == []
    zones = {"east": "Pacific/Kiritimati", "west": "Pacific/Pago_Pago", "utc": "UTC"}
    for customer_id, zone in zones.items():
        member = await get_or_create_member(customer_id, NOW - timedelta(days=3))
        await Member.filter(id=member.id).update(time_zone=zone)
    # 10:30 and 11:30 UTC on the 10th: 00:30 and 01:30 on the 11th in Kiritimati (UTC+14),
    # 23:30 on the 9th and 00:30 on the 10th in Pago Pago (UTC-11)
    for n, moment in enumerate((NOW - timedelta(minutes=90), NOW - timedelta(minutes=30))):
        api.clock.set(moment)
        for customer_id in zones:
            await purchase(api, customer_id, f"{customer_id}-{n}")
    api.clock.set(NOW)  # 02:00 on the 11th in Kiritimati, 01:00 on the 10th in Pago Pago

    screens, counts, apart = {}, {}, {}
    for customer_id in zones:
        data(await api.member(customer_id, CHALLENGES))  # the process's shelves are read
        with counting_statements() as statements:
            screens[customer_id] = data(await api.member(customer_id, CHALLENGES))["challenges"]
        counts[customer_id] = len(statements)
        apart[customer_id] = data(await api.member(customer_id, CHALLENGES_APART))["challenges"]

    def progress(challenges: list[dict[str, Any]]) -> dict[str, float]:
        return {c["code"]: c["myProgress"]["current"] for c in challenges}

    assert {c: progress(found) for c, found in screens.items()} == {
        "east": {"daily": 2.0, "weekly": 2.0, "once": 2.0},
        "west": {"daily": 1.0, "weekly": 2.0, "once": 2.0},
        "utc": {"daily": 2.0, "weekly": 2.0, "once": 2.0},
    }
    for customer_id, found in screens.items():
        assert [(c["code"], c["rewardBadge"], c["myProgress"]) for c in found] == [
            (c["code"], c["rewardBadge"], c["myProgress"]) for c in apart[customer_id]
        ]
    # the member with their badges, their challenge progress and the configuration versions
    assert counts == {"east": 1, "west": 1, "utc": 1}


async def test_a_challenge_added_since_the_shelf_was_read_shows_with_the_members_progress(
    api: GraphQLClient,
) -> None:
    def challenge(code: str, recurrence: str) -> dict[str, Any]:
        return {
            "input": {
                "code": code,
                "title": code.title(),
                "description": "",
                "startsAt": (NOW - timedelta(days=3)).isoformat(),
                "endsAt": (NOW + timedelta(days=30)).isoformat(),
                "recurrence": recurrence,
                "goal": {"event": "PURCHASE", "aggregate": "COUNT", "target": 3},
            }
        }

    data(await api.admin(UPSERT_CHALLENGE, challenge("once", "NONE")))
    await spanish_member("ana")
    data(await api.member("ana", CHALLENGES))  # the process's shelf: one challenge
    # a weekly one, which the purchases count in a period the kept shelf knows nothing of
    data(await api.admin(UPSERT_CHALLENGE, challenge("weekly", "WEEKLY")))
    for order in ("A-1", "A-2"):
        await purchase(api, "ana", order)

    with counting_statements() as statements:
        screen = data(await api.member("ana", CHALLENGES))["challenges"]
    apart = data(await api.member("ana", CHALLENGES_APART))["challenges"]

    assert {c["code"]: c["myProgress"]["current"] for c in screen} == {"once": 2.0, "weekly": 2.0}
    assert [(c["code"], c["myProgress"]) for c in screen] == [
        (c["code"], c["myProgress"]) for c in apart
    ]
    # the member with the kept challenges' progress and the versions; the shelf read again;
    # the new challenge's progress read apart
    assert len(statements) == 3, statements.sql


async def test_a_member_seen_first_on_the_challenges_screen_is_created_with_no_progress(
    api: GraphQLClient,
) -> None:
    data(await api.admin(UPSERT_BADGE, badge_input("trophy", rewardPoints=5)))
    challenge = {
        "code": "daily",
        "title": "Daily",
        "description": "",
        "startsAt": (NOW - timedelta(days=3)).isoformat(),
        "endsAt": (NOW + timedelta(days=30)).isoformat(),
        "recurrence": "DAILY",
        "goal": {"event": "PURCHASE", "aggregate": "COUNT", "target": 3},
        "rewardBadgeCode": "trophy",
    }
    data(await api.admin(UPSERT_CHALLENGE, {"input": challenge}))
    await purchase(api, "ana", "A-1")
    erase = "mutation { deleteMyAccount(input: {confirm: true}) { deleted userErrors { code } } }"
    assert data(await api.member("ana", erase))["deleteMyAccount"]["deleted"] is True

    first = data(await api.member("cai", CHALLENGES))["challenges"]
    back = data(await api.member("ana", CHALLENGES))["challenges"]

    for found in (first, back):
        assert [(c["code"], c["myProgress"]) for c in found] == [
            ("daily", {"current": 0.0, "target": 3.0, "completedAt": None})
        ]
        assert found[0]["rewardBadge"] == {
            "id": found[0]["rewardBadge"]["id"],
            "name": "Badge trophy",
        }
    assert await Member.filter(customer_id="cai").count() == 1
    assert await Member.filter(customer_id="ana").count() == 1


async def test_the_challenges_list_shows_its_reward_badges_as_the_loader_does(
    api: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    share_once = {"event": "SHARE", "aggregate": "COUNT", "target": 1}
    data(await api.admin(UPSERT_BADGE, badge_input("trophy", rewardPoints=5)))
    data(await api.admin(UPSERT_BADGE, badge_input("owl", share_once, secret=True)))
    data(await api.admin(UPSERT_BADGE, badge_input("shoe-lover")))
    for code, reward in (("a", "trophy"), ("b", "owl"), ("c", None), ("d", "trophy")):
        challenge = {
            "code": code,
            "title": code.title(),
            "description": f"The {code} one",
            "startsAt": (NOW - timedelta(days=1)).isoformat(),
            "endsAt": (NOW + timedelta(days=6)).isoformat(),
            "goal": {"event": "PURCHASE", "aggregate": "COUNT", "target": 2},
            "rewardBadgeCode": reward,
        }
        data(await api.admin(UPSERT_CHALLENGE, {"input": challenge}))
    await spanish_member("ana")
    for order in ("A-1", "A-2", "A-3"):
        await purchase(api, "ana", order)
    await get_or_create_member("bob", NOW)

    import api.areas.achievements as area
    import api.types.achievements as types

    loads: list[object] = []
    through_loader = types.badge_views_loader

    def counted(info: Info) -> Any:
        loads.append(info)
        return through_loader(info)

    monkeypatch.setattr(types, "badge_views_loader", counted)
    answers = {}
    for way in ("listed", "loaded"):
        if way == "loaded":  # every rewardBadge through the request's loader, as before
            monkeypatch.setattr(area, "reward_badges", lambda info, *_: _loader_way(info))
        for who in ("ana", "bob"):
            data(await api.member(who, CHALLENGES))  # the process's shelves and rarity
            with counting_statements() as statements:
                answer = data(await api.member(who, CHALLENGES))
            answers[(way, who)] = (answer, len(statements))
        answers[(way, "service")] = (data(await api.service(CHALLENGES)), 0)
        if way == "listed":
            assert loads == [], "the list's reward badges were worked out with the list"
    assert loads, "the loader's way was taken for the comparison"
    for who in ("ana", "bob", "service"):
        assert answers[("listed", who)] == answers[("loaded", who)], who
    bob = answers[("listed", "bob")][0]["challenges"]
    assert [c["rewardBadge"] and c["rewardBadge"]["name"] for c in bob] == [
        "Badge trophy",
        "Secret badge",  # bob has not earned it
        None,
        "Badge trophy",
    ]


async def _loader_way(info: Info) -> Any:
    from api.types.achievements import RewardBadges

    return RewardBadges(info)


async def test_listing_badges_costs_the_same_queries_for_few_or_many(api: GraphQLClient) -> None:
    await get_or_create_member("ana", NOW)

    async def statements_for_badges(count: int) -> int:
        for n in range(await Badge.all().count(), count):
            data(await api.admin(UPSERT_BADGE, badge_input(f"b{n}")))
        with counting_statements() as statements:
            result = data(await api.member("ana", BADGES))
        assert len(result["badges"]) == count
        return len(statements)

    assert await statements_for_badges(2) == await statements_for_badges(25)


#: The badges screen with `me` first: its member is read alone, then the badges apart.
BADGES_APART = """
query {
  me { badges { earnedAt badge { id code name } } }
  badges {
    id code name description iconUrl secret rarity rewardPoints
    rule { event aggregate target windowDays description }
    myProgress { current target completedAt }
  }
}"""


async def test_the_badges_screen_reads_the_member_with_their_badges_in_one_statement(
    api: GraphQLClient,
) -> None:
    data(await api.admin(UPSERT_BADGE, badge_input("shoe-lover", rewardPoints=100)))
    share = {"event": "SHARE", "aggregate": "COUNT", "target": 1}
    data(await api.admin(UPSERT_BADGE, badge_input("sharer", share, secret=True)))
    await spanish_member("ana")
    for order in ("A-1", "A-2", "A-3", "A-4"):
        await purchase(api, "ana", order)
    data(await api.member("ana", BADGES))  # the process's shelf and rarity are read

    with counting_statements() as together:
        screen = data(await api.member("ana", BADGES))
    with counting_statements() as apart:
        alone = data(await api.member("ana", BADGES_APART))

    # the member with their badges and progress, and the configuration versions
    assert len(together) == 1 and "FROM member_badge" in together.sql[0]
    assert "FROM config_version" in together.sql[0]
    assert len(apart) == 3  # the member alone, the versions, their badges
    assert screen == alone
    assert screen["me"]["badges"][0]["badge"]["code"] == "shoe-lover"
    assert screen["badges"][1]["name"] == "Insignia secreta"


async def test_a_badge_changed_by_another_process_shows_on_the_next_badges_screen(
    api: GraphQLClient,
) -> None:
    data(await api.admin(UPSERT_BADGE, badge_input("shoe-lover", rewardPoints=100)))
    await spanish_member("ana")
    await purchase(api, "ana", "A-1")
    data(await api.member("ana", BADGES))  # the process's shelf and the fragment cache

    # another process's change: the row and its version, nothing said to this process
    await Badge.filter(code="shoe-lover").update(icon_url="https://cdn.example/new.png")
    await bump_version(ConfigPart.ACHIEVEMENTS)
    with counting_statements() as statements:
        screen = data(await api.member("ana", BADGES))

    assert [b["iconUrl"] for b in screen["badges"]] == ["https://cdn.example/new.png"]
    # the member with their badges and the versions, then the shelf read again
    assert len(statements) == 2 and "FROM config_version" in statements.sql[0]


async def test_the_badges_screen_takes_the_members_own_badges_without_the_loader(
    api: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    data(await api.admin(UPSERT_BADGE, badge_input("shoe-lover", rewardPoints=100)))
    share = {"event": "SHARE", "aggregate": "COUNT", "target": 1}
    data(await api.admin(UPSERT_BADGE, badge_input("sharer", share, secret=True)))
    await spanish_member("ana")
    for order in ("A-1", "A-2", "A-3", "A-4"):
        await purchase(api, "ana", order)
    import api.types.achievements as types

    loads: list[object] = []
    through_loader = types.member_badges_loader

    def counted(info: Info) -> Any:
        loads.append(info)
        return through_loader(info)

    monkeypatch.setattr(types, "member_badges_loader", counted)
    own = "{ me { badges { earnedAt badge { id code name description secret } } } }"
    alone = data(await api.member("ana", own))  # the member's badges alone: the loader
    assert len(loads) == 1
    listed = own.replace("{ me", "{ badges { id } me")
    for query in (BADGES, listed):  # the member read with their badges first
        screen = data(await api.member("ana", query))
        if query is listed:
            assert screen["me"] == alone["me"]
    assert len(loads) == 1, "the screens took the member's own badges without the loader"
    assert [b["badge"]["code"] for b in alone["me"]["badges"]] == ["shoe-lover"]


async def test_a_member_who_erases_their_account_and_comes_back_sees_badges_afresh(
    api: GraphQLClient,
) -> None:
    data(await api.admin(UPSERT_BADGE, badge_input("shoe-lover")))
    for order in ("A-1", "A-2", "A-3"):
        await purchase(api, "ana", order)
    before = data(await api.member("ana", BADGES))
    erase = "mutation { deleteMyAccount(input: {confirm: true}) { deleted userErrors { code } } }"
    assert data(await api.member("ana", erase))["deleteMyAccount"]["deleted"] is True

    again = data(await api.member("ana", BADGES))
    first_sight = data(await api.member("cai", BADGES))

    assert before["me"]["badges"] != [] and before["badges"][0]["myProgress"]["current"] == 3.0
    assert again["me"]["badges"] == []
    assert again["badges"][0]["myProgress"] == {"current": 0.0, "target": 3.0, "completedAt": None}
    assert first_sight["me"]["badges"] == []
    assert await Member.filter(customer_id="ana").count() == 1
    assert await Member.filter(customer_id="cai").count() == 1


@strawberry.type
class AwardsQuery:
    """A stand-in for a mutation payload whose `Awards` inherits `AchievementAwards`."""

    @strawberry.field
    async def awards(self, info: Info, member_id: int) -> AchievementAwards:
        unlocked: Awards = info.context.loaders["test.awards"]
        return AchievementAwards(
            member_id=member_id,
            badge_ids=unlocked.badge_ids,
            challenge_ids=unlocked.challenge_ids,
        )


async def test_awards_report_the_badges_and_challenges_an_event_unlocked(
    api: GraphQLClient,
) -> None:
    data(await api.admin(UPSERT_BADGE, badge_input("shoe-lover")))
    data(
        await api.admin(
            UPSERT_CHALLENGE,
            {
                "input": {
                    "code": "sprint",
                    "title": "Sprint",
                    "description": "",
                    "startsAt": (NOW - timedelta(days=1)).isoformat(),
                    "endsAt": (NOW + timedelta(days=1)).isoformat(),
                    "goal": {"event": "PURCHASE", "aggregate": "COUNT", "target": 3},
                }
            },
        )
    )
    for order in ("A-1", "A-2"):
        await purchase(api, "ana", order)
    unlocked = await purchase(api, "ana", "A-3")
    ana = await get_or_create_member("ana", NOW)

    context = Context(
        request=None,
        runtime=api.runtime,
        principal=Principal(Role.SERVICE, "shop"),
        request_id="test",
        loaders={"test.awards": unlocked},
    )
    result = await strawberry.Schema(query=AwardsQuery).execute(
        "query($m: Int!) { awards(memberId: $m) {"
        " badges { earnedAt badge { code name } } completedChallenges { code title } } }",
        variable_values={"m": ana.id},
        context_value=context,
    )

    assert result.errors is None
    assert result.data == {
        "awards": {
            "badges": [
                {
                    "earnedAt": "2026-03-10T12:00:00+00:00",
                    "badge": {"code": "shoe-lover", "name": "Badge shoe-lover"},
                }
            ],
            "completedChallenges": [{"code": "sprint", "title": "Sprint"}],
        }
    }
