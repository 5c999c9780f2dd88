"""FcmGateway drives the real firebase-admin client against the local fake FCM server."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import firebase_admin
import pytest
from firebase_admin import messaging

from domain.clock import FrozenClock
from push.fcm import FcmGateway
from push.gateway import PushGateway, PushMessage, SendOutcome
from tests.fakes.fake_fcm import FakeFcmServer, ScriptedResponse


def message(token: str = "device-1", **overrides: Any) -> PushMessage:
    fields: dict[str, Any] = {
        "token": token,
        "title": "Double points today",
        "body": "Every purchase counts twice until midnight.",
        "data": {"deep_link": "fidelio://promotions/42", "notification_id": "n-42"},
    }
    fields.update(overrides)
    return PushMessage(**fields)


@pytest.fixture
async def gateway(fake_fcm: FakeFcmServer) -> AsyncIterator[FcmGateway]:
    gateway = FcmGateway(fake_fcm.service_account, fcm_endpoint=fake_fcm.base_url)
    yield gateway
    await gateway.close()


async def test_a_message_arrives_with_its_title_body_and_data(
    gateway: FcmGateway, fake_fcm: FakeFcmServer
) -> None:
    [result] = await gateway.send([message(collapse_key="promo-42")])

    assert result.outcome is SendOutcome.SENT
    assert result.error is None
    [delivered] = fake_fcm.delivered
    assert result.message_id == delivered.message_id
    assert delivered.project == fake_fcm.project_id
    assert (delivered.token, delivered.title, delivered.body) == (
        "device-1",
        "Double points today",
        "Every purchase counts twice until midnight.",
    )
    assert delivered.data == {"deep_link": "fidelio://promotions/42", "notification_id": "n-42"}
    assert delivered.collapse_key == "promo-42"
    assert delivered.raw["apns"]["headers"] == {"apns-collapse-id": "promo-42"}
    assert fake_fcm.unexpected_requests == []


async def test_the_gateway_is_a_push_gateway(gateway: FcmGateway) -> None:
    assert isinstance(gateway, PushGateway)


async def test_sending_nothing_makes_no_request(
    gateway: FcmGateway, fake_fcm: FakeFcmServer
) -> None:
    assert await gateway.send([]) == []
    assert fake_fcm.send_requests == 0


async def test_an_unregistered_token_comes_back_unregistered(
    gateway: FcmGateway, fake_fcm: FakeFcmServer
) -> None:
    fake_fcm.unregister("gone")

    [result] = await gateway.send([message("gone")])

    assert result.outcome is SendOutcome.UNREGISTERED
    assert result.error is not None and "UnregisteredError" in result.error
    assert result.retry_after is None
    assert fake_fcm.delivered == []


async def test_an_invalid_token_comes_back_invalid(
    gateway: FcmGateway, fake_fcm: FakeFcmServer
) -> None:
    fake_fcm.invalidate("not-a-token")

    [result] = await gateway.send([message("not-a-token")])

    assert result.outcome is SendOutcome.INVALID
    assert fake_fcm.delivered == []


async def test_a_sender_id_mismatch_comes_back_invalid(
    gateway: FcmGateway, fake_fcm: FakeFcmServer
) -> None:
    fake_fcm.script("other-project-device", ScriptedResponse.sender_id_mismatch())

    [result] = await gateway.send([message("other-project-device")])

    assert result.outcome is SendOutcome.INVALID


async def test_an_empty_token_is_invalid_without_sinking_the_rest_of_the_batch(
    gateway: FcmGateway, fake_fcm: FakeFcmServer
) -> None:
    results = await gateway.send([message("a"), message(""), message("b")])

    assert [r.outcome for r in results] == [SendOutcome.SENT, SendOutcome.INVALID, SendOutcome.SENT]
    assert sorted(m.token for m in fake_fcm.delivered) == ["a", "b"]


async def test_a_reserved_data_key_fails_without_being_sent_so_it_never_reads_as_a_bad_token(
    gateway: FcmGateway, fake_fcm: FakeFcmServer
) -> None:
    [result] = await gateway.send([message(data={"from": "shop"})])

    assert result.outcome is SendOutcome.FAILED
    assert fake_fcm.send_requests == 0


async def test_quota_exceeded_with_retry_after_comes_back_retry_at_once_with_that_delay(
    gateway: FcmGateway, fake_fcm: FakeFcmServer
) -> None:
    fake_fcm.enqueue(ScriptedResponse.quota_exceeded(retry_after=2))

    started = time.monotonic()
    [result] = await gateway.send([message()])

    assert result.outcome is SendOutcome.RETRY
    assert result.retry_after == 2
    assert time.monotonic() - started < 1.5  # firebase-admin did not sleep it out itself
    assert fake_fcm.send_requests == 1
    assert fake_fcm.delivered == []


async def test_a_retry_after_http_date_is_read_against_the_clock(
    fake_fcm: FakeFcmServer,
) -> None:
    clock = FrozenClock(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))
    gateway = FcmGateway(fake_fcm.service_account, fcm_endpoint=fake_fcm.base_url, clock=clock)
    later = clock.now() + timedelta(seconds=30)
    fake_fcm.enqueue(
        ScriptedResponse.unavailable(retry_after=later.strftime("%a, %d %b %Y %H:%M:%S GMT"))
    )
    try:
        [result] = await gateway.send([message()])
    finally:
        await gateway.close()

    assert result.outcome is SendOutcome.RETRY
    assert result.retry_after == 30


async def test_unavailable_comes_back_retry_and_the_retry_delivers_once(
    gateway: FcmGateway, fake_fcm: FakeFcmServer
) -> None:
    fake_fcm.enqueue(ScriptedResponse.unavailable(), ScriptedResponse.deliver())

    [first] = await gateway.send([message()])
    assert first.outcome is SendOutcome.RETRY
    assert first.retry_after is None
    assert fake_fcm.send_requests == 1  # no hidden retries inside firebase-admin

    [second] = await gateway.send([first.message])
    assert second.outcome is SendOutcome.SENT
    assert len(fake_fcm.delivered_to("device-1")) == 1


async def test_an_internal_error_comes_back_retry(
    gateway: FcmGateway, fake_fcm: FakeFcmServer
) -> None:
    fake_fcm.enqueue(ScriptedResponse.internal())

    [result] = await gateway.send([message()])

    assert result.outcome is SendOutcome.RETRY


async def test_a_bad_gateway_comes_back_retry(gateway: FcmGateway, fake_fcm: FakeFcmServer) -> None:
    fake_fcm.enqueue(ScriptedResponse(502, {"error": {"code": 502, "message": "Bad Gateway"}}))

    [result] = await gateway.send([message()])

    assert result.outcome is SendOutcome.RETRY


async def test_a_forbidden_project_fails_for_good(
    gateway: FcmGateway, fake_fcm: FakeFcmServer
) -> None:
    body = {"error": {"code": 403, "status": "PERMISSION_DENIED", "message": "No access."}}
    fake_fcm.enqueue(ScriptedResponse(403, body))

    [result] = await gateway.send([message()])

    assert result.outcome is SendOutcome.FAILED
    assert result.error is not None and "PermissionDenied" in result.error


async def test_while_fcm_is_down_messages_come_back_retry_and_go_once_it_is_back(
    gateway: FcmGateway, fake_fcm: FakeFcmServer
) -> None:
    [warm] = await gateway.send([message("a")])  # the access token is now cached
    assert warm.outcome is SendOutcome.SENT

    fake_fcm.stop()
    down = await gateway.send([message("b"), message("c")])
    assert [r.outcome for r in down] == [SendOutcome.RETRY, SendOutcome.RETRY]

    fake_fcm.start()
    back = await gateway.send([r.message for r in down])
    assert [r.outcome for r in back] == [SendOutcome.SENT, SendOutcome.SENT]
    assert sorted(m.token for m in fake_fcm.delivered) == ["a", "b", "c"]


async def test_when_even_the_token_endpoint_is_down_messages_come_back_retry(
    fake_fcm: FakeFcmServer,
) -> None:
    gateway = FcmGateway(fake_fcm.service_account, fcm_endpoint=fake_fcm.base_url)
    try:
        fake_fcm.stop()
        [down] = await gateway.send([message()])
        assert down.outcome is SendOutcome.RETRY
        assert down.error is not None and "TransportError" in down.error

        fake_fcm.start()
        [back] = await gateway.send([message()])
        assert back.outcome is SendOutcome.SENT
    finally:
        await gateway.close()
    assert len(fake_fcm.delivered) == 1


async def test_1200_messages_go_in_batches_of_at_most_500_and_each_token_gets_exactly_one(
    gateway: FcmGateway, fake_fcm: FakeFcmServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch_sizes: list[int] = []
    real_send_each: Callable[..., messaging.BatchResponse] = messaging.send_each

    def counting_send_each(messages: list[messaging.Message], **kwargs: Any) -> Any:
        batch_sizes.append(len(messages))
        return real_send_each(messages, **kwargs)

    monkeypatch.setattr(messaging, "send_each", counting_send_each)
    tokens = [f"device-{i:04d}" for i in range(1200)]

    results = await gateway.send([message(t, data={"n": t}) for t in tokens])

    assert batch_sizes == [500, 500, 200]
    assert [r.message.token for r in results] == tokens
    assert all(r.outcome is SendOutcome.SENT for r in results)
    delivered = fake_fcm.delivered
    assert sorted(m.token for m in delivered) == tokens
    assert all(m.data == {"n": m.token} for m in delivered)
    assert fake_fcm.token_requests == 1


async def test_with_transient_failures_retrying_delivers_every_message_exactly_once(
    gateway: FcmGateway, fake_fcm: FakeFcmServer
) -> None:
    fake_fcm.set_failure_rate(0.05, seed=7)
    pending = [message(f"device-{i:03d}") for i in range(300)]
    rounds = 0
    while pending and rounds < 10:
        rounds += 1
        results = await gateway.send(pending)
        assert {r.outcome for r in results} <= {SendOutcome.SENT, SendOutcome.RETRY}
        pending = [r.message for r in results if r.outcome is SendOutcome.RETRY]

    assert pending == []
    assert rounds > 1  # some did fail the first time
    tokens = [m.token for m in fake_fcm.delivered]
    assert sorted(tokens) == [f"device-{i:03d}" for i in range(300)]


async def test_a_service_account_file_works_as_well_as_a_dict(
    fake_fcm: FakeFcmServer, tmp_path: Path
) -> None:
    path = tmp_path / "service-account.json"
    path.write_text(json.dumps(fake_fcm.service_account))
    gateway = FcmGateway(path, fcm_endpoint=fake_fcm.base_url)
    try:
        [result] = await gateway.send([message()])
    finally:
        await gateway.close()
    assert result.outcome is SendOutcome.SENT


async def test_the_environment_is_read_once_its_proxy_kept_and_a_netrc_entry_ignored(
    fake_fcm: FakeFcmServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # requests would send the netrc's login as basic auth in place of the bearer token.
    (tmp_path / ".netrc").write_text("machine 127.0.0.1 login someone password secret\n")
    monkeypatch.setenv("NETRC", str(tmp_path / ".netrc"))
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    gateway = FcmGateway(fake_fcm.service_account, fcm_endpoint=fake_fcm.base_url)
    proxied = FcmGateway(fake_fcm.service_account, fcm_endpoint="https://fcm.invalid")
    try:
        [result] = await gateway.send([message()])
        assert result.outcome is SendOutcome.SENT, result.error
        monkeypatch.setenv("HTTP_PROXY", "http://proxy.invalid:3128")  # read once: no effect
        monkeypatch.delenv("NO_PROXY")
        [again] = await gateway.send([message("device-2")])
        assert again.outcome is SendOutcome.SENT, again.error
        assert proxied._fcm_session.proxies["https"] == "http://proxy.invalid:3128"
        assert gateway._fcm_session.proxies == {}
    finally:
        await gateway.close()
        await proxied.close()


async def test_two_gateways_keep_their_own_endpoints(fake_fcm: FakeFcmServer) -> None:
    with FakeFcmServer(project_id="other-project") as other:
        ours = FcmGateway(fake_fcm.service_account, fcm_endpoint=fake_fcm.base_url)
        theirs = FcmGateway(other.service_account, fcm_endpoint=other.base_url)
        try:
            await ours.send([message("ours")])
            await theirs.send([message("theirs")])
        finally:
            await ours.close()
            await theirs.close()
        assert [m.token for m in other.delivered] == ["theirs"]
    assert [m.token for m in fake_fcm.delivered] == ["ours"]


async def test_closing_deletes_the_firebase_app_and_a_closed_gateway_refuses_to_send(
    fake_fcm: FakeFcmServer,
) -> None:
    gateway = FcmGateway(fake_fcm.service_account, fcm_endpoint=fake_fcm.base_url)
    names_before = set(firebase_admin._apps)

    await gateway.close()
    await gateway.close()  # idempotent

    assert len(names_before - set(firebase_admin._apps)) == 1
    with pytest.raises(RuntimeError, match="closed"):
        await gateway.send([message()])


def test_a_batch_size_above_fcms_limit_is_refused(fake_fcm: FakeFcmServer) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        FcmGateway(fake_fcm.service_account, fcm_endpoint=fake_fcm.base_url, batch_size=501)
