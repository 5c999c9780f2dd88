"""Push through GraphQL: the contract's operations for geofences, promotions, the feed,
preferences, campaigns and the live subscription, through the real app."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest
from graphql import print_ast
from tortoise import connections

from api.auth import Principal, Role
from api.context import Context
from api.schema import build_schema
from push.campaigns.models import Campaign
from push.gateway import PushMessage, SendOutcome, SendResult
from push.notifications.delivery import deliver_until_idle
from push.notifications.models import Notification, PushStatus
from tests.api.conftest import GraphQLClient, data, error_codes
from tests.contract.contract_check import operations

SOL = {"latitude": 40.4169, "longitude": -3.7035}
CATALUNYA = {"latitude": 41.3870, "longitude": 2.1701}


def contract(name: str) -> str:
    """An operation exactly as the app or the console sends it (with its fragments)."""
    return next(print_ast(doc) for op, doc in operations() if op.endswith(f":{name}"))


PROMOTION = """
mutation UpsertPromotion($input: PromotionInput!) {
  upsertPromotion(input: $input) {
    promotion { id code title message startsAt endsAt bonusPoints cooldownHours transitions }
    userErrors { code field message }
  }
}"""
REGISTER = """
mutation Register($token: String!) {
  registerDevice(input: {token: $token, platform: ANDROID}) { device { id } userErrors { code } }
}"""


async def stores_and_a_promotion(api: GraphQLClient) -> None:
    for code, at in (("sol", SOL), ("bcn", CATALUNYA)):
        result = data(
            await api.admin(
                contract("UpsertStore"),
                {"input": {"code": code, "name": code.upper(), "address": "Calle 1",
                           "geofenceRadiusMeters": 200, **at}},
            )
        )  # fmt: skip
        assert result["upsertStore"]["userErrors"] == []
    now = api.clock.now()
    result = data(
        await api.admin(
            PROMOTION,
            {
                "input": {
                    "code": "coffee",
                    "title": "Coffee on us",
                    "message": "100 bonus points for coming by.",
                    "startsAt": (now - timedelta(days=1)).isoformat(),
                    "endsAt": (now + timedelta(days=30)).isoformat(),
                    "storeCodes": ["sol"],
                    "bonusPoints": 100,
                }
            },
        )
    )
    assert result["upsertPromotion"]["userErrors"] == []
    assert result["upsertPromotion"]["promotion"]["transitions"] == ["ENTER"]
    assert result["upsertPromotion"]["promotion"]["cooldownHours"] == 24


async def test_the_app_monitors_the_nearest_geofences(api: GraphQLClient) -> None:
    await stores_and_a_promotion(api)

    result = data(await api.member("alice", contract("NearbyGeofences"), {**SOL, "limit": 1}))

    [fence] = result["nearbyGeofences"]
    assert fence["store"]["code"] == "sol"
    assert (fence["latitude"], fence["longitude"], fence["radiusMeters"]) == (
        SOL["latitude"],
        SOL["longitude"],
        200.0,
    )


async def test_a_bad_nearby_limit_is_a_client_error(api: GraphQLClient) -> None:
    result = await api.member("alice", contract("NearbyGeofences"), {**SOL, "limit": 500})
    assert error_codes(result) == ["INVALID_INPUT"]


async def test_walking_into_a_store_fires_its_promotion_and_fills_the_feed(
    api: GraphQLClient,
) -> None:
    await stores_and_a_promotion(api)
    data(await api.member("alice", REGISTER, {"token": "alice-phone"}))

    first = data(
        await api.member(
            "alice", contract("ReportLocation"), {"input": {**SOL, "accuracyMeters": 15}}
        )
    )["reportLocation"]
    again = data(await api.member("alice", contract("ReportLocation"), {"input": SOL}))[
        "reportLocation"
    ]

    assert first["userErrors"] == []
    [triggered] = first["triggered"]
    assert triggered["pushed"] is True
    assert triggered["couponCode"] is None
    assert (triggered["promotion"]["code"], triggered["promotion"]["bonusPoints"]) == (
        "coffee",
        100,
    )
    assert again == {"triggered": [], "userErrors": []}  # cooldown

    feed = data(await api.member("alice", contract("Notifications"), {"first": 10}))["me"]
    assert feed["notifications"]["unreadCount"] == 1
    [edge] = feed["notifications"]["edges"]
    assert (edge["node"]["category"], edge["node"]["title"], edge["node"]["readAt"]) == (
        "PROMOTION",
        "Coffee on us",
        None,
    )
    assert feed["notificationPreferences"] == {
        "pushEnabled": True,
        "categories": ["POINTS", "BADGE", "CHALLENGE", "TIER", "DROP", "PROMOTION", "REFERRAL",
                       "REMINDER", "CAMPAIGN"],
        "quietHoursStart": None,
        "quietHoursEnd": None,
        "maxPushesPerDay": 5,
    }  # fmt: skip

    await api.runtime.run_jobs_once()  # the delivery worker's round
    assert [m.token for m in api.runtime.gateway.sent] == ["alice-phone"]  # type: ignore[attr-defined]

    read = data(
        await api.member(
            "alice", contract("MarkNotificationsRead"), {"input": {"ids": [edge["node"]["id"]]}}
        )
    )
    assert read["markNotificationsRead"] == {"unreadCount": 0, "userErrors": []}


async def test_a_transition_for_a_geofence_that_does_not_exist_is_a_user_error(
    api: GraphQLClient,
) -> None:
    result = data(
        await api.member(
            "alice",
            contract("ReportGeofenceEvent"),
            {"input": {"geofenceId": "999", "transition": "ENTER"}},
        )
    )
    assert result["reportGeofenceEvent"]["triggered"] == []
    assert [(e["code"], e["field"]) for e in result["reportGeofenceEvent"]["userErrors"]] == [
        ("NOT_FOUND", ["input", "geofenceId"])
    ]


async def test_a_device_transition_fires_the_promotion(api: GraphQLClient) -> None:
    await stores_and_a_promotion(api)
    fences = data(await api.member("alice", contract("NearbyGeofences"), {**SOL, "limit": 1}))

    result = data(
        await api.member(
            "alice",
            contract("ReportGeofenceEvent"),
            {"input": {"geofenceId": fences["nearbyGeofences"][0]["id"], "transition": "ENTER"}},
        )
    )
    assert [t["promotion"]["code"] for t in result["reportGeofenceEvent"]["triggered"]] == [
        "coffee"
    ]


async def test_preferences_are_validated_and_saved(api: GraphQLClient) -> None:
    bad = data(
        await api.member(
            "alice",
            contract("UpdateNotificationPreferences"),
            {"input": {"quietHoursStart": "22:00", "maxPushesPerDay": 99}},
        )
    )["updateNotificationPreferences"]
    assert bad["preferences"] is None
    assert [(e["code"], e["field"]) for e in bad["userErrors"]] == [
        ("INVALID_INPUT", ["input", "quietHoursEnd"]),
        ("INVALID_INPUT", ["input", "maxPushesPerDay"]),
    ]

    good = data(
        await api.member(
            "alice",
            contract("UpdateNotificationPreferences"),
            {"input": {"quietHoursStart": "22:00", "quietHoursEnd": "08:00",
                       "categories": ["DROP", "BADGE"], "maxPushesPerDay": 3}},
        )
    )["updateNotificationPreferences"]  # fmt: skip
    assert good == {
        "preferences": {
            "pushEnabled": True,
            "categories": ["BADGE", "DROP"],
            "quietHoursStart": "22:00",
            "quietHoursEnd": "08:00",
            "maxPushesPerDay": 3,
        },
        "userErrors": [],
    }
    cleared = data(
        await api.member(
            "alice",
            contract("UpdateNotificationPreferences"),
            {"input": {"quietHoursStart": None, "quietHoursEnd": None}},
        )
    )["updateNotificationPreferences"]["preferences"]
    assert (cleared["quietHoursStart"], cleared["quietHoursEnd"], cleared["maxPushesPerDay"]) == (
        None,
        None,
        3,
    )


async def test_marking_someone_elses_notification_read_is_refused(api: GraphQLClient) -> None:
    await stores_and_a_promotion(api)
    data(await api.member("bob", contract("ReportLocation"), {"input": SOL}))
    bobs = await Notification.get()

    result = data(
        await api.member(
            "alice", contract("MarkNotificationsRead"), {"input": {"ids": [str(bobs.id)]}}
        )
    )["markNotificationsRead"]

    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [
        ("NOT_FOUND", ["input", "ids", "0"])
    ]
    await bobs.refresh_from_db()
    assert bobs.read_at is None


async def test_an_admin_campaign_reaches_every_member_after_the_fan_out(api: GraphQLClient) -> None:
    for who in ("alice", "bob"):
        data(await api.member(who, "{ me { id } }"))

    result = data(
        await api.admin(
            contract("SendCampaign"),
            {"input": {"code": "spring", "title": "Spring is here", "body": "New collection."}},
        )
    )["sendCampaign"]
    assert result["userErrors"] == []
    assert (result["campaign"]["status"], result["campaign"]["recipients"]) == ("SENDING", 0)

    await api.runtime.run_jobs_once()

    campaign = await Campaign.get(code="spring")
    assert (campaign.status.value, campaign.recipients) == ("SENT", 2)
    feed = data(await api.member("bob", contract("Notifications"), {"first": 5}))
    assert [e["node"]["title"] for e in feed["me"]["notifications"]["edges"]] == ["Spring is here"]


async def test_admin_operations_need_an_admin_token(api: GraphQLClient) -> None:
    result = await api.member(
        "alice",
        contract("UpsertStore"),
        {"input": {"code": "x", "name": "X", "geofenceRadiusMeters": 100, **SOL}},
    )
    assert error_codes(result) == ["FORBIDDEN"]
    campaign = await api.member(
        "alice", contract("SendCampaign"), {"input": {"code": "x", "title": "X", "body": "Y"}}
    )
    assert error_codes(campaign) == ["FORBIDDEN"]


async def test_a_bad_store_is_refused_with_every_field_named(api: GraphQLClient) -> None:
    result = data(
        await api.admin(
            contract("UpsertStore"),
            {"input": {"code": "sol", "name": "", "latitude": 95, "longitude": 0,
                       "geofenceRadiusMeters": 10}},
        )
    )["upsertStore"]  # fmt: skip
    assert result["store"] is None
    assert [e["field"] for e in result["userErrors"]] == [
        ["input", "name"],
        ["input", "latitude"],
        ["input", "geofenceRadiusMeters"],
    ]


@pytest.fixture
def query_log(api: GraphQLClient, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every SQL query the app runs from now on."""
    log: list[str] = []
    client = connections.get("default")
    original = client.execute_query

    async def counting(query: str, values: Any = None) -> Any:
        log.append(query)
        return await original(query, values)

    monkeypatch.setattr(client, "execute_query", counting)
    return log


async def test_reading_a_page_of_the_feed_costs_a_constant_number_of_queries(
    api: GraphQLClient, query_log: list[str]
) -> None:
    await stores_and_a_promotion(api)
    data(await api.member("alice", "{ me { id } }"))
    for _ in range(30):
        api.clock.advance(hours=25)
        data(await api.member("alice", contract("ReportLocation"), {"input": SOL}))
    counts = []
    for first in (2, 25):
        before = len(query_log)
        feed = data(await api.member("alice", contract("Notifications"), {"first": first}))
        counts.append(len(query_log) - before)
        assert len(feed["me"]["notifications"]["edges"]) == first
    assert counts[0] == counts[1] > 0


async def test_the_live_feed_delivers_each_new_notification_to_its_member(
    api: GraphQLClient,
) -> None:
    await stores_and_a_promotion(api)
    alice = data(await api.member("alice", "{ me { id } }"))["me"]["id"]
    schema = build_schema(api.settings)
    context = Context(
        request=None,
        runtime=api.runtime,
        principal=Principal(Role.MEMBER, "alice"),
        request_id="test",
    )
    stream = await schema.subscribe(contract("OnNotification"), context_value=context)
    first = asyncio.ensure_future(stream.__anext__())
    await asyncio.sleep(0.05)  # subscribed

    data(await api.member("alice", contract("ReportLocation"), {"input": SOL}))
    result = await asyncio.wait_for(first, timeout=5)
    await stream.aclose()

    assert result.errors is None
    received = result.data["notificationReceived"]
    stored = await Notification.get(member_id=int(alice))
    assert received == {
        "id": str(stored.id),
        "category": "PROMOTION",
        "title": "Coffee on us",
        "body": "100 bonus points for coming by.",
        "deepLink": stored.deep_link,
        "createdAt": stored.created_at.isoformat(),
    }
    assert stored.push_status is PushStatus.PENDING


class RefusingGateway:
    """A push service that refuses every message for good (bad credentials, say)."""

    async def send(self, messages: Sequence[PushMessage]) -> list[SendResult]:
        return [
            SendResult(m, SendOutcome.FAILED, error="PermissionDenied: no access") for m in messages
        ]

    async def close(self) -> None:
        return None


async def test_admins_see_the_pushes_that_failed_for_good(api: GraphQLClient) -> None:
    await stores_and_a_promotion(api)
    data(await api.member("alice", REGISTER, {"token": "alice-phone"}))
    data(await api.member("alice", contract("ReportLocation"), {"input": SOL}))
    await deliver_until_idle(RefusingGateway(), api.clock.now())

    query = "{ failedPushes(first: 10) { customerId attempts lastError notification { title pushStatus } } }"
    assert error_codes(await api.member("alice", query)) == ["FORBIDDEN"]
    result = data(await api.admin(query))

    assert result["failedPushes"] == [
        {
            "customerId": "alice",
            "attempts": 1,
            "lastError": "PermissionDenied: no access",
            "notification": {"title": "Coffee on us", "pushStatus": "FAILED"},
        }
    ]
    feed = data(await api.member("alice", contract("Notifications"), {"first": 5}))
    assert feed["me"]["notifications"]["unreadCount"] == 1  # still in the feed


async def test_a_promotion_with_no_transition_is_refused(api: GraphQLClient) -> None:
    """`transitions: []` would never fire; it used to be taken as the default, [ENTER]."""
    now = api.clock.now()
    promotion = {
        "code": "never",
        "title": "Never",
        "message": "Fires on nothing.",
        "startsAt": now.isoformat(),
        "endsAt": (now + timedelta(days=1)).isoformat(),
        "transitions": [],
    }
    result = data(await api.admin(PROMOTION, {"input": promotion}))["upsertPromotion"]
    assert result["promotion"] is None
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [
        ("INVALID_INPUT", ["input", "transitions"])
    ]


async def test_a_report_outside_every_fence_reads_no_member_once_the_member_is_known(
    api: GraphQLClient,
) -> None:
    from domain.members.models import Member
    from tests.integration.query_counter import counting_statements

    await stores_and_a_promotion(api)
    nowhere = {"latitude": 43.0, "longitude": -18.0}  # the Atlantic: no fence there

    # Seen first by a report outside every fence: created then, as by any other request.
    first = data(await api.member("alice", contract("ReportLocation"), {"input": nowhere}))
    assert first["reportLocation"] == {"triggered": [], "userErrors": []}
    assert await Member.filter(customer_id="alice").count() == 1

    with counting_statements() as statements:
        again = data(await api.member("alice", contract("ReportLocation"), {"input": nowhere}))
    assert again["reportLocation"] == {"triggered": [], "userErrors": []}
    assert not any("member" in sql for sql in statements.sql), statements.sql

    # Inside a fence the member is read, and the promotion fires for them.
    inside = data(await api.member("alice", contract("ReportLocation"), {"input": SOL}))
    [triggered] = inside["reportLocation"]["triggered"]
    assert triggered["promotion"]["code"] == "coffee"

    # Cooling down: the member, their recent triggers and the versions in one statement.
    with counting_statements() as statements:
        cooling = data(await api.member("alice", contract("ReportLocation"), {"input": SOL}))
    assert cooling["reportLocation"] == {"triggered": [], "userErrors": []}
    [read] = statements.sql
    assert "customer_id" in read and "promotion_trigger" in read, statements.sql
    assert "config_version" in read, statements.sql


async def test_a_promotion_changed_a_moment_ago_is_decided_as_it_is_now(
    api: GraphQLClient,
) -> None:
    await stores_and_a_promotion(api)
    for name in ("alice", "bob"):  # known to this process, the program's versions read
        nowhere = {"latitude": 43.0, "longitude": -18.0}
        data(await api.member(name, contract("ReportLocation"), {"input": nowhere}))
    fired = data(await api.member("alice", contract("ReportLocation"), {"input": SOL}))
    assert [t["promotion"]["code"] for t in fired["reportLocation"]["triggered"]] == ["coffee"]

    # The promotion moves to the Barcelona store: the versions this process read a moment ago
    # still have it at Sol, the ones read with the member say otherwise, and they decide.
    now = api.clock.now()
    moved = {"code": "coffee", "title": "Coffee on us", "message": "100 bonus points.",
             "startsAt": (now - timedelta(days=1)).isoformat(),
             "endsAt": (now + timedelta(days=30)).isoformat(),
             "storeCodes": ["bcn"], "bonusPoints": 100}  # fmt: skip
    result = data(await api.admin(PROMOTION, {"input": moved}))["upsertPromotion"]
    assert result["userErrors"] == []
    at_sol = data(await api.member("bob", contract("ReportLocation"), {"input": SOL}))
    assert at_sol["reportLocation"] == {"triggered": [], "userErrors": []}
    at_bcn = data(await api.member("bob", contract("ReportLocation"), {"input": CATALUNYA}))
    assert [t["promotion"]["code"] for t in at_bcn["reportLocation"]["triggered"]] == ["coffee"]


async def test_a_member_who_erases_their_account_and_comes_back_gets_promotions_afresh(
    api: GraphQLClient,
) -> None:
    from domain.members.models import Member

    await stores_and_a_promotion(api)
    nowhere = {"latitude": 43.0, "longitude": -18.0}
    fired = data(await api.member("alice", contract("ReportLocation"), {"input": SOL}))
    assert fired["reportLocation"]["triggered"]
    erase = "mutation { deleteMyAccount(input: {confirm: true}) { deleted userErrors { code } } }"
    assert data(await api.member("alice", erase))["deleteMyAccount"]["deleted"] is True

    # The process still remembers the erased member's id: outside, nothing happens either way.
    away = data(await api.member("alice", contract("ReportLocation"), {"input": nowhere}))
    assert away["reportLocation"] == {"triggered": [], "userErrors": []}
    # Inside, the member is read by customer id: the customer joins again as a new member,
    # who has never had the promotion (the erased member's cooldown is not theirs).
    back = data(await api.member("alice", contract("ReportLocation"), {"input": SOL}))
    [triggered] = back["reportLocation"]["triggered"]
    assert triggered["promotion"]["code"] == "coffee"
    [member] = await Member.filter(customer_id="alice")
    assert member.erased_at is None
