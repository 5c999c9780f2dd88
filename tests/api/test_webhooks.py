"""Webhooks through the API: the admin's endpoints, their errors, the delivery log, replays."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.metrics import Metrics
from api.runtime import build_runtime
from domain.audit.models import AuditEntry
from tests.api.conftest import GraphQLClient, data, error_codes
from tests.webhook_receiver import Receiver, running_receiver
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

ENDPOINT_FIELDS = "id url description eventTypes enabled secretRotatedAt previousSecretExpiresAt"
CREATE = f"""
mutation Create($input: CreateWebhookEndpointInput!) {{
  createWebhookEndpoint(input: $input) {{
    endpoint {{ {ENDPOINT_FIELDS} }} secret userErrors {{ code field message }}
  }}
}}"""
UPDATE = f"""
mutation Update($input: UpdateWebhookEndpointInput!) {{
  updateWebhookEndpoint(input: $input) {{
    endpoint {{ {ENDPOINT_FIELDS} }} secret userErrors {{ code field message }}
  }}
}}"""
ROTATE = f"""
mutation Rotate($input: RotateWebhookSecretInput!) {{
  rotateWebhookSecret(input: $input) {{
    endpoint {{ {ENDPOINT_FIELDS} }} secret userErrors {{ code field message }}
  }}
}}"""
DELETE = """
mutation Delete($input: DeleteWebhookEndpointInput!) {
  deleteWebhookEndpoint(input: $input) { deletedId userErrors { code field message } }
}"""
ENDPOINTS = f"query Endpoints {{ webhookEndpoints {{ {ENDPOINT_FIELDS} }} }}"
EVENT_TYPES = "query Types { webhookEventTypes { name description } }"
LOG = """
query Log($endpointId: ID!, $first: Int, $after: String, $status: WebhookDeliveryStatus) {
  webhookDeliveries(endpointId: $endpointId, first: $first, after: $after, status: $status) {
    edges { cursor node { id eventId eventType status attempts responseStatus lastError
                          createdAt lastAttemptAt nextAttemptAt deliveredAt replays } }
    pageInfo { hasNextPage endCursor }
  }
}"""
REPLAY = """
mutation Replay($input: ReplayWebhookDeliveryInput!) {
  replayWebhookDelivery(input: $input) {
    delivery { id eventId status replays } userErrors { code field message }
  }
}"""
REPLAY_FAILED = """
mutation ReplayFailed($input: ReplayWebhookDeliveriesInput!) {
  replayWebhookDeliveries(input: $input) { replayed userErrors { code field message } }
}"""


@pytest.fixture
async def shop() -> AsyncIterator[Receiver]:
    async with running_receiver() as receiver:
        yield receiver


@pytest.fixture
async def hooks(api: GraphQLClient) -> AsyncIterator[GraphQLClient]:
    """The API client, with its webhook sender closed afterwards."""
    yield api
    assert api.runtime.webhooks is not None
    await api.runtime.webhooks.close()


async def create(api: GraphQLClient, **fields: Any) -> dict[str, Any]:
    payload = data(await api.admin(CREATE, {"input": fields}))["createWebhookEndpoint"]
    return payload


async def test_an_admin_registers_an_endpoint_and_sees_its_drawn_secret_once(
    hooks: GraphQLClient,
) -> None:
    payload = await create(
        hooks, url="https://shop.example/hooks", eventTypes=["tier.changed", "points.earned"]
    )
    assert payload["userErrors"] == []
    assert payload["secret"].startswith("whsec_") and len(payload["secret"]) > 40
    endpoint = payload["endpoint"]
    assert endpoint | {"id": "-"} == {
        "id": "-",
        "url": "https://shop.example/hooks",
        "description": "",
        "eventTypes": ["points.earned", "tier.changed"],
        "enabled": True,
        "secretRotatedAt": None,
        "previousSecretExpiresAt": None,
    }
    assert data(await hooks.admin(ENDPOINTS))["webhookEndpoints"] == [endpoint]
    stored = await WebhookEndpoint.get(id=int(endpoint["id"]))
    assert stored.secret == payload["secret"]
    types = data(await hooks.admin(EVENT_TYPES))["webhookEventTypes"]
    assert [t["name"] for t in types] == [
        "member.created",
        "points.earned",
        "points.reversed",
        "points.expired",
        "tier.changed",
        "badge.earned",
        "challenge.completed",
        "reward.redeemed",
        "coupon.used",
        "drop.claimed",
        "referral.completed",
    ]
    assert all(t["description"] for t in types)


async def test_bad_endpoint_input_is_told_field_by_field_and_nothing_is_saved(
    hooks: GraphQLClient,
) -> None:
    payload = await create(
        hooks,
        url="ftp://shop.example/hooks",
        eventTypes=["points.earned", "points.stolen"],
        description="x" * 201,
        secret="short",
    )
    assert payload["endpoint"] is None and payload["secret"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("INVALID_INPUT", ["input", "url"]),
        ("INVALID_INPUT", ["input", "eventTypes"]),
        ("INVALID_INPUT", ["input", "description"]),
        ("INVALID_INPUT", ["input", "secret"]),
    ]
    assert "points.stolen" in payload["userErrors"][1]["message"]
    for url in ("https://user:pw@shop.example/", "not a url", "https://shop.example/#x", "/hooks"):
        again = await create(hooks, url=url, eventTypes=["coupon.used"])
        assert [(e["code"], e["field"]) for e in again["userErrors"]] == [
            ("INVALID_INPUT", ["input", "url"])
        ], url
    empty = await create(hooks, url="http://shop.example/", eventTypes=[])
    assert [e["field"] for e in empty["userErrors"]] == [["input", "eventTypes"]]
    assert await WebhookEndpoint.all().count() == 0


async def test_production_takes_only_https_urls(hooks: GraphQLClient) -> None:
    settings = dataclasses.replace(hooks.settings, env="production", jwt_secret="p" * 40)
    runtime = build_runtime(settings, clock=hooks.clock, redis=hooks.runtime.redis)
    app = create_app(settings, runtime=runtime)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://fidelio.test"
    ) as http:
        production = GraphQLClient(http, settings, runtime, hooks.clock)
        plain = await create(
            production, url="http://shop.example/hooks", eventTypes=["coupon.used"]
        )
        local = await create(production, url="https://127.0.0.1/hooks", eventTypes=["coupon.used"])
        secure = await create(
            production, url="https://shop.example/hooks", eventTypes=["coupon.used"]
        )
    assert runtime.webhooks is not None
    await runtime.webhooks.close()
    assert [e["field"] for e in plain["userErrors"]] == [["input", "url"]]
    assert "https" in plain["userErrors"][0]["message"]
    assert [e["field"] for e in local["userErrors"]] == [["input", "url"]]
    assert secure["userErrors"] == [] and secure["endpoint"]["url"].startswith("https://")


async def test_an_endpoint_is_changed_disabled_rotated_and_deleted(hooks: GraphQLClient) -> None:
    created = await create(hooks, url="https://shop.example/a", eventTypes=["coupon.used"])
    endpoint_id = created["endpoint"]["id"]

    updated = data(
        await hooks.admin(
            UPDATE,
            {
                "input": {
                    "id": endpoint_id,
                    "url": "https://shop.example/b",
                    "eventTypes": ["drop.claimed", "coupon.used"],
                    "enabled": False,
                    "description": "checkout service",
                }
            },
        )
    )["updateWebhookEndpoint"]
    assert updated["userErrors"] == [] and updated["secret"] is None
    assert updated["endpoint"] | {"id": endpoint_id} == {
        "id": endpoint_id,
        "url": "https://shop.example/b",
        "description": "checkout service",
        "eventTypes": ["coupon.used", "drop.claimed"],
        "enabled": False,
        "secretRotatedAt": None,
        "previousSecretExpiresAt": None,
    }
    refused = data(
        await hooks.admin(UPDATE, {"input": {"id": endpoint_id, "eventTypes": ["nope"]}})
    )["updateWebhookEndpoint"]
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [
        ("INVALID_INPUT", ["input", "eventTypes"])
    ]
    for missing in ("999999", "abc"):
        unknown = data(await hooks.admin(UPDATE, {"input": {"id": missing, "enabled": True}}))
        assert [
            (e["code"], e["field"]) for e in unknown["updateWebhookEndpoint"]["userErrors"]
        ] == [("NOT_FOUND", ["input", "id"])]

    rotated = data(
        await hooks.admin(ROTATE, {"input": {"id": endpoint_id, "keepPreviousForHours": 24}})
    )["rotateWebhookSecret"]
    assert rotated["userErrors"] == []
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != created["secret"]
    now = hooks.clock.now()
    assert rotated["endpoint"]["secretRotatedAt"] == now.isoformat()
    assert rotated["endpoint"]["previousSecretExpiresAt"] == (now + timedelta(hours=24)).isoformat()
    stored = await WebhookEndpoint.get(id=int(endpoint_id))
    assert (stored.secret, stored.previous_secret) == (rotated["secret"], created["secret"])
    too_long = data(
        await hooks.admin(ROTATE, {"input": {"id": endpoint_id, "keepPreviousForHours": 500}})
    )["rotateWebhookSecret"]
    assert [e["field"] for e in too_long["userErrors"]] == [["input", "keepPreviousForHours"]]
    assert (await WebhookEndpoint.get(id=int(endpoint_id))).secret == rotated["secret"]

    deleted = data(await hooks.admin(DELETE, {"input": {"id": endpoint_id}}))
    assert deleted["deleteWebhookEndpoint"] == {"deletedId": endpoint_id, "userErrors": []}
    again = data(await hooks.admin(DELETE, {"input": {"id": endpoint_id}}))
    assert [e["code"] for e in again["deleteWebhookEndpoint"]["userErrors"]] == ["NOT_FOUND"]
    assert await WebhookEndpoint.all().count() == 0

    # Each change is in the audit log once (refusals are not); secrets never are.
    entries = await AuditEntry.filter(target_kind="webhook_endpoint").order_by("id")
    assert [e.action for e in entries] == [
        "webhook_endpoint.create",
        "webhook_endpoint.update",
        "webhook_endpoint.rotate_secret",
        "webhook_endpoint.delete",
    ]
    assert {e.target_id for e in entries} == {endpoint_id}
    assert entries[1].after["url"] == "https://shop.example/b"
    assert entries[3].after is None and entries[3].before["url"] == "https://shop.example/b"
    logged = json.dumps([[e.before, e.after] for e in entries])
    assert created["secret"] not in logged and rotated["secret"] not in logged


@pytest.mark.parametrize("role", ["member", "service"])
async def test_members_and_the_shop_cannot_touch_webhooks(hooks: GraphQLClient, role: str) -> None:
    created = await create(hooks, url="https://shop.example/a", eventTypes=["coupon.used"])
    endpoint_id = created["endpoint"]["id"]
    token = hooks.token(role, "alice")
    operations: list[tuple[str, dict[str, Any]]] = [
        (CREATE, {"input": {"url": "https://evil.example/", "eventTypes": ["coupon.used"]}}),
        (UPDATE, {"input": {"id": endpoint_id, "url": "https://evil.example/"}}),
        (ROTATE, {"input": {"id": endpoint_id}}),
        (DELETE, {"input": {"id": endpoint_id}}),
        (REPLAY, {"input": {"id": "1"}}),
        (REPLAY_FAILED, {"input": {"endpointId": endpoint_id, "since": "2026-01-01T00:00:00Z"}}),
        (ENDPOINTS, {}),
        (EVENT_TYPES, {}),
        (LOG, {"endpointId": endpoint_id}),
    ]
    for query, variables in operations:
        result = await hooks.post(query, variables, token=token)
        assert error_codes(result) == ["FORBIDDEN"], query
        assert result["data"] is None
    stored = await WebhookEndpoint.get(id=int(endpoint_id))
    assert (stored.url, stored.secret) == ("https://shop.example/a", created["secret"])


async def test_the_delivery_log_pages_newest_first_and_deliveries_replay_with_their_event_id(
    hooks: GraphQLClient, shop: Receiver
) -> None:
    metrics = Metrics()
    metrics.instrument(hooks.runtime)
    assert hooks.runtime.webhooks is not None
    sender = hooks.runtime.webhooks.sender
    created = await create(hooks, url=shop.url(), eventTypes=["member.created"])
    endpoint_id = created["endpoint"]["id"]
    for sub in ("ana", "bea", "cid"):
        data(await hooks.member(sub, "query Me { me { id } }"))
        hooks.clock.advance(seconds=1)
    shop.fail_next = 1  # ana's first attempt fails
    await hooks.deliver_events()
    await sender.deliver_until_idle()

    first = data(await hooks.admin(LOG, {"endpointId": endpoint_id, "first": 2}))
    page = first["webhookDeliveries"]
    assert page["pageInfo"]["hasNextPage"] is True
    newest = [edge["node"] for edge in page["edges"]]
    assert [n["status"] for n in newest] == ["DELIVERED", "DELIVERED"]
    assert [n["responseStatus"] for n in newest] == [200, 200]
    rest = data(
        await hooks.admin(
            LOG, {"endpointId": endpoint_id, "first": 2, "after": page["pageInfo"]["endCursor"]}
        )
    )["webhookDeliveries"]
    assert rest["pageInfo"] == {"hasNextPage": False, "endCursor": rest["edges"][-1]["cursor"]}
    [oldest] = [edge["node"] for edge in rest["edges"]]
    assert int(newest[0]["id"]) > int(newest[1]["id"]) > int(oldest["id"])
    assert oldest | {"id": "-", "eventId": "-", "createdAt": "-"} == {
        "id": "-",
        "eventId": "-",
        "eventType": "member.created",
        "status": "PENDING",
        "attempts": 1,
        "responseStatus": 500,
        "lastError": 'HTTP 500: {"error":"shop database down"}',
        "createdAt": "-",
        "lastAttemptAt": hooks.clock.now().isoformat(),
        "nextAttemptAt": oldest["nextAttemptAt"],
        "deliveredAt": None,
        "replays": 0,
    }
    assert oldest["nextAttemptAt"] > hooks.clock.now().isoformat()
    pending = data(await hooks.admin(LOG, {"endpointId": endpoint_id, "status": "PENDING"}))
    assert [e["node"]["id"] for e in pending["webhookDeliveries"]["edges"]] == [oldest["id"]]

    # A delivered one, replayed: the same event id reaches the shop again.
    replayed = data(await hooks.admin(REPLAY, {"input": {"id": newest[0]["id"]}}))
    assert replayed["replayWebhookDelivery"] == {
        "delivery": {
            "id": newest[0]["id"],
            "eventId": newest[0]["eventId"],
            "status": "PENDING",
            "replays": 1,
        },
        "userErrors": [],
    }
    hooks.clock.advance(hours=2)
    await sender.deliver_until_idle()
    assert shop.receipts()[newest[0]["eventId"]] == 2
    assert sorted(shop.processed) == sorted([n["eventId"] for n in newest] + [oldest["eventId"]])
    counted = {
        s.labels["outcome"]: s.value
        for family in metrics.registry.collect()
        if family.name == "fidelio_webhook_deliveries"
        for s in family.samples
        if s.name.endswith("_total")
    }
    assert counted == {"delivered": 4.0, "failed_attempt": 1.0}

    for missing, code in (("424242", "NOT_FOUND"), ("x", "NOT_FOUND")):
        refused = data(await hooks.admin(REPLAY, {"input": {"id": missing}}))
        assert [
            (e["code"], e["field"]) for e in refused["replayWebhookDelivery"]["userErrors"]
        ] == [(code, ["input", "id"])]
    bad_cursor = await hooks.admin(LOG, {"endpointId": endpoint_id, "after": "nope"})
    assert error_codes(bad_cursor) == ["INVALID_INPUT"]
    too_many = await hooks.admin(LOG, {"endpointId": endpoint_id, "first": 101})
    assert error_codes(too_many) == ["INVALID_INPUT"]
    unknown = await hooks.admin(LOG, {"endpointId": "777"})
    assert error_codes(unknown) == ["NOT_FOUND"]


async def test_the_failed_deliveries_of_an_endpoint_replay_since_a_moment(
    hooks: GraphQLClient, shop: Receiver
) -> None:
    assert hooks.runtime.webhooks is not None
    sender = hooks.runtime.webhooks.sender
    created = await create(hooks, url=shop.url(), eventTypes=["member.created"])
    endpoint_id = created["endpoint"]["id"]
    start = hooks.clock.now()
    for sub in ("ana", "bea"):
        data(await hooks.member(sub, "query Me { me { id } }"))
    await hooks.deliver_events()
    await WebhookDelivery.all().update(status=DeliveryStatus.FAILED, next_attempt_at=None)

    disabled = data(await hooks.admin(UPDATE, {"input": {"id": endpoint_id, "enabled": False}}))[
        "updateWebhookEndpoint"
    ]
    assert disabled["userErrors"] == []
    since = {"endpointId": endpoint_id, "since": start.isoformat()}
    refused = data(await hooks.admin(REPLAY_FAILED, {"input": since}))
    assert refused["replayWebhookDeliveries"]["replayed"] == 0
    assert [e["code"] for e in refused["replayWebhookDeliveries"]["userErrors"]] == ["NOT_ELIGIBLE"]
    data(await hooks.admin(UPDATE, {"input": {"id": endpoint_id, "enabled": True}}))

    later = {"endpointId": endpoint_id, "since": (start + timedelta(hours=1)).isoformat()}
    none = data(await hooks.admin(REPLAY_FAILED, {"input": later}))
    assert none["replayWebhookDeliveries"] == {"replayed": 0, "userErrors": []}
    replayed = data(await hooks.admin(REPLAY_FAILED, {"input": since}))
    assert replayed["replayWebhookDeliveries"] == {"replayed": 2, "userErrors": []}
    await sender.deliver_until_idle()
    assert len(shop.processed) == 2
    assert await WebhookDelivery.filter(status=DeliveryStatus.DELIVERED).count() == 2
