"""The home screen's per-member parts (points and expiries, tier progress, unread count) are
read in one statement (api.member_parts) and answer what each part read alone answers."""

from __future__ import annotations

from typing import Any

from domain.members.models import Member
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

    # the configuration versions, the member, and their parts: three, not five
    assert statements == 3
    assert me["points"]["expiringSoon"] == [
        {"points": 120, "expiresAt": me["points"]["expiringSoon"][0]["expiresAt"]}
    ]
    assert me["notifications"] == {"unreadCount": 2}
    assert me["nextTier"]["qualifyingPointsNeeded"] == 500 - 170
    for name, query in APART.items():
        alone = data(await api.member("alice", query))["me"][name]
        assert alone == me[name], name


async def test_a_new_member_s_home_screen_shows_empty_parts(api: GraphQLClient) -> None:
    await setup_program(api)
    me = (await home(api))[1]
    assert me["points"] == {"balance": 0, "pending": 0, "lifetimeEarned": 0, "expiringSoon": []}
    assert me["notifications"] == {"unreadCount": 0}
    assert me["nextTier"]["qualifyingPointsNeeded"] == 500
