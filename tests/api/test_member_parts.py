"""The home screen's per-member parts (points and expiries, tier progress, unread count) are
read in one statement (api.member_parts) and answer what each part read alone answers."""

from __future__ import annotations

from typing import Any

import pytest

import api.types.member as member_types
from domain.members.models import Member
from domain.points.models import EarningRules
from domain.versions import ConfigPart, bump_version
from push.notifications.models import Notification, NotificationCategory, PushStatus
from tests.api.conftest import GraphQLClient, data
from tests.api.test_fragment_cache import contract_queries
from tests.api.test_points import RECORD_PURCHASE, purchase, setup_program
from tests.fakes.queries import count_queries

HOME = contract_queries()["Home"]
APART = {
    "points": "{ me { points { balance pending lifetimeEarned expiringSoon { points expiresAt } } } }",
    "nextTier": "{ me { nextTier { tier { code name } qualifyingPointsNeeded } } }",
    "notifications": "{ me { notifications(first: 1, unreadOnly: true) { unreadCount } } }",
    "tier": "{ me { tier { code name level pointsMultiplier benefits } } }",
}


async def home(api: GraphQLClient) -> tuple[int, dict[str, Any]]:
    with count_queries() as log:
        answer = await api.http.post(
            "/graphql",
            json={"query": HOME, "operationName": "Home"},
            headers={"Authorization": f"Bearer {api.token('member', 'alice')}"},
        )
    return log.count, data(answer.json())["me"]


async def test_the_home_screen_reads_the_members_parts_in_one_statement(
    api: GraphQLClient,
) -> None:
    await setup_program(api)
    await api.service(RECORD_PURCHASE, purchase("A-1", "120.00"))
    api.clock.advance(days=14 + 340)  # available, and expiring within 30 days
    await api.service(RECORD_PURCHASE, purchase("A-2", "50.00"))
    member = await Member.get(customer_id="alice")
    for n, read in enumerate([None, None, api.clock.now()]):
        await Notification.create(
            member=member,
            category=NotificationCategory.BADGE,
            title="t",
            body="b",
            dedupe_key=f"k{n}",
            created_at=api.clock.now(),
            read_at=read,
            push_status=PushStatus.SENT,
        )
    await home(api)  # the process's program and ladder are loaded

    statements, me = await home(api)

    # the member with their parts and the configuration versions: one, not five
    assert statements == 1
    assert me["points"]["expiringSoon"] == [
        {"points": 120, "expiresAt": me["points"]["expiringSoon"][0]["expiresAt"]}
    ]
    assert me["notifications"] == {"unreadCount": 2}
    assert me["nextTier"]["qualifyingPointsNeeded"] == 500 - 170
    for name, query in APART.items():
        alone = data(await api.member("alice", query))["me"][name]
        assert alone == me[name], name


async def test_the_home_screen_answers_tier_next_tier_and_points_from_mes_one_read(
    api: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    await setup_program(api)
    await api.service(RECORD_PURCHASE, purchase("A-1", "120.00"))
    api.clock.advance(days=14 + 340)
    await home(api)  # the process's program and ladder are loaded
    _, expected = await home(api)

    def read_apart(*_: object) -> None:
        raise AssertionError("a field of the home screen read apart")

    # the fields' own reads (a coroutine each, gathered in tasks) are not needed: `me`
    # worked them out with its statement's read of the member and their parts
    monkeypatch.setattr(member_types, "tier_of", read_apart)
    monkeypatch.setattr(member_types.Member, "_next_tier", read_apart)
    monkeypatch.setattr(member_types.Member, "_points", read_apart)
    statements, me = await home(api)

    assert (statements, me) == (1, expected)
    assert me["tier"]["code"] and me["nextTier"]["qualifyingPointsNeeded"] == 500 - 120
    assert me["points"]["expiringSoon"][0]["points"] == 120


async def test_a_tier_window_changed_by_another_process_counts_on_the_next_home_screen(
    api: GraphQLClient,
) -> None:
    await setup_program(api)
    await api.service(RECORD_PURCHASE, purchase("A-1", "120.00"))
    api.clock.advance(days=14 + 340)
    await api.service(RECORD_PURCHASE, purchase("A-2", "50.00"))
    before = (await home(api))[1]  # the process's rules kept: a window of 12 months

    # another process's change: the row and its version, nothing said to this process
    await EarningRules.all().update(tier_window_months=1)
    await bump_version(ConfigPart.EARNING_RULES)
    statements, me = await home(api)

    assert before["nextTier"]["qualifyingPointsNeeded"] == 500 - 170
    assert me["nextTier"]["qualifyingPointsNeeded"] == 500 - 50  # A-1 is out of the month
    # the screen's statement (with the old window) and its versions, then the rules read
    # again and the parts read apart with the new window
    assert statements == 3
    alone = data(await api.member("alice", APART["nextTier"]))["me"]["nextTier"]
    assert alone == me["nextTier"]
    assert (await home(api)) == (1, me)  # the new rules kept: one statement again


async def test_a_new_member_s_home_screen_shows_empty_parts(api: GraphQLClient) -> None:
    await setup_program(api)
    me = (await home(api))[1]
    assert me["points"] == {"balance": 0, "pending": 0, "lifetimeEarned": 0, "expiringSoon": []}
    assert me["notifications"] == {"unreadCount": 0}
    assert me["nextTier"]["qualifyingPointsNeeded"] == 500


#: Every column of the member, with two parts (read with the member) or one (read apart).
MEMBER = (
    "id customerId displayName email locale timeZone country city birthDate referralCode joinedAt"
)


async def test_the_member_read_with_their_parts_is_the_member_read_alone(
    api: GraphQLClient,
) -> None:
    await setup_program(api)
    await api.service(RECORD_PURCHASE, purchase("A-1", "120.00"))
    profile = """mutation { updateProfile(input: {displayName: "Alice A", email: "a@x.test",
        country: "ES", city: "Madrid", birthDate: "1990-02-03", timeZone: "Europe/Madrid"})
        { userErrors { code } } }"""
    assert data(await api.member("alice", profile))["updateProfile"]["userErrors"] == []

    with count_queries() as log:
        together = data(
            await api.member(
                "alice",
                f"{{ me {{ {MEMBER} points {{ balance }} nextTier {{ qualifyingPointsNeeded }} }} }}",
            )
        )["me"]
    alone = data(await api.member("alice", f"{{ me {{ {MEMBER} points {{ balance }} }} }}"))["me"]

    assert log.count == 1
    assert {k: v for k, v in together.items() if k != "nextTier"} == alone
    assert alone["birthDate"] == "1990-02-03" and alone["city"] == "Madrid"


async def test_a_member_who_erases_their_account_and_comes_back_has_a_new_home_screen(
    api: GraphQLClient,
) -> None:
    await setup_program(api)
    await api.service(RECORD_PURCHASE, purchase("A-1", "120.00"))
    before = (await home(api))[1]
    erase = "mutation { deleteMyAccount(input: {confirm: true}) { deleted userErrors { code } } }"
    assert data(await api.member("alice", erase))["deleteMyAccount"]["deleted"] is True

    again = (await home(api))[1]

    assert before["points"]["lifetimeEarned"] > 0
    assert again["id"] != before["id"] and again["customerId"] == "alice"
    assert again["points"] == {"balance": 0, "pending": 0, "lifetimeEarned": 0, "expiringSoon": []}
    assert await Member.filter(customer_id="alice").count() == 1


async def test_two_mes_under_aliases_read_each_the_parts_it_asks_for(api: GraphQLClient) -> None:
    await setup_program(api)
    await api.service(RECORD_PURCHASE, purchase("A-1", "120.00"))
    both = """{
      a: me { points { balance } nextTier { qualifyingPointsNeeded } }
      b: me { points { balance } notifications(first: 1, unreadOnly: true) { unreadCount } }
    }"""

    answer = data(await api.member("alice", both))

    next_tier = data(await api.member("alice", APART["nextTier"]))["me"]["nextTier"]
    unread = data(await api.member("alice", APART["notifications"]))["me"]["notifications"]
    points = data(await api.member("alice", "{ me { points { balance } } }"))["me"]["points"]
    assert answer["a"]["nextTier"]["qualifyingPointsNeeded"] == next_tier["qualifyingPointsNeeded"]
    assert answer["b"]["notifications"] == unread == {"unreadCount": 0}
    assert answer["a"]["points"] == answer["b"]["points"] == points
