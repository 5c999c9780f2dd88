"""LogGateway, the embedded default, and the FCM error classification."""

from __future__ import annotations

import logging

import google.auth.exceptions
import pytest
import requests
from firebase_admin import exceptions, messaging

from push.fcm import classify
from push.gateway import LogGateway, PushGateway, PushMessage, SendOutcome


def message(n: int) -> PushMessage:
    return PushMessage(
        token=f"token-{n:03d}-abcdefgh", title=f"t{n}", body=f"b{n}", data={"n": str(n)}
    )


async def test_the_log_gateway_reports_every_message_sent_in_order() -> None:
    gateway = LogGateway()
    batch = [message(1), message(2)]

    results = await gateway.send(batch)

    assert [r.message for r in results] == batch
    assert all(r.outcome is SendOutcome.SENT and r.message_id for r in results)
    assert gateway.sent == batch
    assert isinstance(gateway, PushGateway)


async def test_the_log_gateway_keeps_only_the_last_n_messages() -> None:
    gateway = LogGateway(keep=3)

    await gateway.send([message(n) for n in range(5)])

    assert [m.title for m in gateway.sent] == ["t2", "t3", "t4"]


async def test_the_log_gateway_logs_each_message_without_the_full_token(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="fidelio.push"):
        await LogGateway().send([message(7)])

    [record] = caplog.records
    assert "t7" in record.getMessage()
    assert "token-007-abcdefgh" not in record.getMessage()


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (messaging.UnregisteredError("gone"), SendOutcome.UNREGISTERED),
        (messaging.SenderIdMismatchError("other sender"), SendOutcome.INVALID),
        (exceptions.InvalidArgumentError("bad token"), SendOutcome.INVALID),
        (messaging.QuotaExceededError("slow down"), SendOutcome.RETRY),
        (exceptions.UnavailableError("down"), SendOutcome.RETRY),
        (exceptions.InternalError("oops"), SendOutcome.RETRY),
        (exceptions.DeadlineExceededError("timeout"), SendOutcome.RETRY),
        (requests.exceptions.ConnectionError("refused"), SendOutcome.RETRY),
        (
            exceptions.UnknownError("x", cause=google.auth.exceptions.TransportError("down")),
            SendOutcome.RETRY,
        ),
        (google.auth.exceptions.RefreshError("flaky", retryable=True), SendOutcome.RETRY),
        (google.auth.exceptions.RefreshError("invalid_grant"), SendOutcome.FAILED),
        (messaging.ThirdPartyAuthError("APNs certificate"), SendOutcome.FAILED),
        (exceptions.PermissionDeniedError("no"), SendOutcome.FAILED),
        (exceptions.UnknownError("what"), SendOutcome.FAILED),
        (RuntimeError("bug"), SendOutcome.FAILED),
    ],
)
def test_each_error_maps_to_its_outcome(error: Exception, outcome: SendOutcome) -> None:
    assert classify(error) is outcome
