"""Push through Firebase Cloud Messaging with the real firebase-admin client.

How it sends: `messaging.send_each` (one FCM HTTP v1 request per message, which firebase-admin
runs on a pool of one thread per message) in batches of at most 500, each batch in
`asyncio.to_thread` so the event loop never blocks.

Why not `messaging.send_each_async` (HTTP/2 over httpx)? It does work offline, but in
firebase-admin 7 it is the worse fit for a long-lived async service:
- its retry policy (up to 4 retries on 500/503 with backoff) lives in a transport built inside the
  private messaging service, replaceable only by swapping a private attribute;
- its access-token refresh is google-auth's *blocking* `requests` call (with `time.sleep`
  backoff on 5xx) made from inside the event loop;
- its httpx client is bound to the event loop that first used it, and `firebase_admin.delete_app`
  closes it with `asyncio.run()`, which cannot run inside a running loop.
`send_each` keeps every blocking call off the loop, and its transport is a plain `requests`
session on which we mount our own adapter (public `requests` API).

Retries are ours, not firebase-admin's: by default its session retries 500/503 four times with
backoff (about 7 s of hidden blocking) and, through urllib3, silently sleeps out a 429/503
`Retry-After` before retrying. The outbox retries with `domain.retry.backoff_delay` instead, so the
adapter mounted here retries nothing but a refused connection (once, immediately: the request
never left, so it cannot be delivered twice).

Delivery is at least once: if the process dies (or the awaiting task is cancelled) after FCM
accepted a message but before the result is recorded, the outbox will send it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import firebase_admin
import google.auth.exceptions
import google.auth.transport.requests
import requests
import requests.adapters
import requests.utils
from firebase_admin import credentials, exceptions, messaging
from urllib3.util.retry import Retry

from domain.clock import Clock, SystemClock
from domain.retry import parse_retry_after
from push.gateway import PushMessage, SendOutcome, SendResult

logger = logging.getLogger("fidelio.push")

FCM_ENDPOINT = "https://fcm.googleapis.com"
MAX_BATCH = 500  # FCM's (and send_each's) limit per call

# FCM rejects these data keys with INVALID_ARGUMENT, which would otherwise read as a bad token.
_RESERVED_DATA_KEYS = frozenset({"from", "message_type", "collapse_key", "notification"})
_RESERVED_DATA_PREFIXES = ("google.", "gcm.")
_APNS_COLLAPSE_ID_MAX_BYTES = 64

_RETRY_ERRORS: tuple[type[Exception], ...] = (
    messaging.QuotaExceededError,
    exceptions.ResourceExhaustedError,
    exceptions.UnavailableError,
    exceptions.InternalError,
    exceptions.DeadlineExceededError,
)
_NETWORK_ERRORS: tuple[type[Exception], ...] = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    google.auth.exceptions.TransportError,
)


def _no_retry() -> Retry:
    """Retry nothing but one refused/failed connection (the request was never sent)."""
    return Retry(
        total=1,
        connect=1,
        read=0,
        status=0,
        other=0,
        redirect=0,
        status_forcelist=(),
        allowed_methods=None,
        respect_retry_after_header=False,
        raise_on_status=False,
        backoff_factor=0,
    )


class FcmGateway:
    """A `PushGateway` over FCM HTTP v1, through firebase-admin's `messaging.send_each`.

    Built from a service-account JSON (a path, or the parsed dict) into a firebase app of its own
    (unique name), so several gateways never share state. `fcm_endpoint` is the base URL FCM is
    reached at (default `https://fcm.googleapis.com`); tests point it, and the service account's
    `token_uri`, at a local fake. `close()` deletes the firebase app.

    Outcomes: UnregisteredError -> UNREGISTERED; SenderIdMismatchError and InvalidArgumentError
    (FCM does not tell a bad token from a bad argument) -> INVALID; quota (429), UNAVAILABLE,
    INTERNAL, deadline, 5xx and network errors (including an unreachable token endpoint) ->
    RETRY, with `retry_after` from the response's Retry-After header (seconds or HTTP date);
    anything else -> FAILED. Payload problems caught before sending (a reserved data key,
    non-string data) are FAILED and never sent, so they cannot pass for a bad token.

    Raises ValueError for a bad service account or argument, RuntimeError if the installed
    firebase-admin no longer has the internals the endpoint override relies on.
    """

    def __init__(
        self,
        service_account: str | os.PathLike[str] | Mapping[str, Any],
        *,
        fcm_endpoint: str | None = None,
        batch_size: int = MAX_BATCH,
        timeout: float = 10.0,
        max_connections: int = 100,
        clock: Clock | None = None,
    ) -> None:
        if not 1 <= batch_size <= MAX_BATCH:
            raise ValueError(f"batch_size must be within 1..{MAX_BATCH}")
        if max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        source = (
            dict(service_account)
            if isinstance(service_account, Mapping)
            else os.fspath(service_account)
        )
        self._batch_size = batch_size
        self._clock: Clock = clock or SystemClock()
        self._endpoint = (fcm_endpoint or FCM_ENDPOINT).rstrip("/")
        self._closed = False
        self._app = firebase_admin.initialize_app(
            credentials.Certificate(source),
            options={"httpTimeout": timeout},
            name=f"fidelio-fcm-{uuid.uuid4().hex}",
        )
        self._token_session = requests.Session()
        self._token_request = google.auth.transport.requests.Request(session=self._token_session)
        try:
            self._fcm_session = self._point_at_endpoint(max_connections)
        except BaseException:
            # delete_app may itself fail inside a running event loop (it calls asyncio.run):
            # the error worth reporting is the one that got us here.
            with contextlib.suppress(Exception):
                firebase_admin.delete_app(self._app)
            self._token_session.close()
            raise

    @property
    def project_id(self) -> str:
        return str(self._app.project_id)

    def _point_at_endpoint(self, max_connections: int) -> requests.Session:
        """Aim this app's messaging service at `self._endpoint`, with our retry policy.

        firebase-admin has no public setting (nor environment variable) for the FCM URL: its
        messaging service, created once per app, keeps the full send URL in the instance
        attribute `_fcm_url`. We set that attribute on *this app's* service only (no class or
        module patch, so nothing leaks to other apps), and mount an adapter for the endpoint on
        the service's requests session (the longest mounted prefix wins in `requests`).
        """
        service = messaging._get_messaging_service(self._app)
        client = getattr(service, "_client", None)
        session = getattr(client, "session", None)
        if not isinstance(getattr(service, "_fcm_url", None), str) or not isinstance(
            session, requests.Session
        ):
            raise RuntimeError(
                f"firebase-admin {firebase_admin.__version__} changed its messaging internals "
                "(_MessagingService._fcm_url / ._client.session); update push.fcm"
            )
        service._fcm_url = f"{self._endpoint}/v1/projects/{self._app.project_id}/messages:send"
        adapter = requests.adapters.HTTPAdapter(
            pool_connections=1,
            pool_maxsize=max_connections,
            pool_block=True,  # send_each starts a thread per message: queue them, don't discard
            max_retries=_no_retry(),
        )
        session.mount(self._endpoint, adapter)
        # `requests` looks at the environment on every request (proxy variables, a CA bundle
        # variable, ~/.netrc): a quarter of the client's CPU per message against the fake FCM
        # server (1.2-1.3 -> 0.9-1.0 ms). Read once here instead; a netrc entry would only have
        # replaced the bearer token with basic auth.
        session.proxies.update(requests.utils.get_environ_proxies(self._endpoint))
        bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        if bundle and session.verify is True:
            session.verify = bundle
        session.trust_env = False
        return session

    async def send(self, messages: Sequence[PushMessage]) -> list[SendResult]:
        """One result per message, same order; never raises for a delivery problem."""
        if self._closed:
            raise RuntimeError("FcmGateway is closed")
        results: list[SendResult] = []
        for start in range(0, len(messages), self._batch_size):
            batch = messages[start : start + self._batch_size]
            results.extend(await asyncio.to_thread(self._send_batch, batch))
        return results

    async def close(self) -> None:
        """Delete the firebase app (in a thread: firebase-admin closes it with asyncio.run)."""
        if self._closed:
            return
        self._closed = True
        await asyncio.to_thread(self._close_sync)

    def _close_sync(self) -> None:
        try:
            firebase_admin.delete_app(self._app)
        finally:
            self._fcm_session.close()  # delete_app leaves the requests session open
            self._token_session.close()

    # -- one batch, in a worker thread ------------------------------------------------------

    def _send_batch(self, batch: Sequence[PushMessage]) -> list[SendResult]:
        results: list[SendResult | None] = [_refuse(message) for message in batch]
        pending = [i for i, result in enumerate(results) if result is None]
        if pending:
            failure = self._ensure_access_token()
            if failure is not None:
                for i in pending:
                    results[i] = self._result(batch[i], failure)
            else:
                sent = self._send_each([batch[i] for i in pending])
                for i, result in zip(pending, sent, strict=True):
                    results[i] = result
        return [result for result in results if result is not None]

    def _ensure_access_token(self) -> Exception | None:
        """Fetch the OAuth token once per batch, before fanning out: otherwise up to 500 threads
        race to refresh it, and a failed refresh sinks the batch with an UnknownError."""
        credential = self._app.credential.get_credential()
        if credential.valid:
            return None
        try:
            credential.refresh(self._token_request)
        except google.auth.exceptions.GoogleAuthError as error:
            return error
        return None

    def _send_each(self, batch: Sequence[PushMessage]) -> list[SendResult]:
        try:
            response = messaging.send_each([_to_fcm(m) for m in batch], app=self._app)
        except ValueError as error:
            # firebase-admin validates the whole batch first: one bad message refuses them all.
            if len(batch) == 1:
                return [SendResult(batch[0], SendOutcome.FAILED, error=f"ValueError: {error}")]
            return [result for m in batch for result in self._send_each([m])]
        except exceptions.FirebaseError as error:  # the batch as a whole failed
            return [self._result(m, error) for m in batch]
        return [
            SendResult(m, SendOutcome.SENT, message_id=r.message_id)
            if r.success
            else self._result(m, r.exception)
            for m, r in zip(batch, response.responses, strict=True)
        ]

    def _result(self, message: PushMessage, error: BaseException) -> SendResult:
        outcome = classify(error)
        retry_after = None
        if outcome is SendOutcome.RETRY:
            retry_after = parse_retry_after(_retry_after_header(error), self._clock.now())
        if outcome is not SendOutcome.SENT:
            logger.debug("push to %s…: %s (%s)", message.token[:8], outcome.name, error)
        return SendResult(
            message, outcome, retry_after=retry_after, error=f"{type(error).__name__}: {error}"
        )


def classify(error: BaseException) -> SendOutcome:
    """The outcome a firebase-admin (or transport) error stands for."""
    if isinstance(error, messaging.UnregisteredError):
        return SendOutcome.UNREGISTERED
    if isinstance(error, messaging.SenderIdMismatchError | exceptions.InvalidArgumentError):
        return SendOutcome.INVALID
    if isinstance(error, _RETRY_ERRORS + _NETWORK_ERRORS):
        return SendOutcome.RETRY
    if isinstance(error, google.auth.exceptions.RefreshError):
        return SendOutcome.RETRY if error.retryable else SendOutcome.FAILED
    if isinstance(error, exceptions.FirebaseError):
        response = error.http_response
        if response is not None and getattr(response, "status_code", 0) >= 500:
            return SendOutcome.RETRY  # 502, 504...: firebase-admin calls them UNKNOWN
        if error.cause is not None and error.cause is not error:
            return classify(error.cause)  # e.g. UnknownError wrapping a token-endpoint outage
    return SendOutcome.FAILED


def _retry_after_header(error: BaseException) -> str | None:
    response = getattr(error, "http_response", None)
    headers = getattr(response, "headers", None)
    return None if headers is None else headers.get("Retry-After")


def _refuse(message: PushMessage) -> SendResult | None:
    """A result for a message that must not reach FCM at all, or None if it may go."""
    if not isinstance(message.token, str) or not message.token.strip():
        return SendResult(message, SendOutcome.INVALID, error="empty device token")
    for key, value in message.data.items():
        if not isinstance(key, str) or not isinstance(value, str):
            return SendResult(
                message, SendOutcome.FAILED, error=f"data must map strings to strings: {key!r}"
            )
        if key in _RESERVED_DATA_KEYS or key.startswith(_RESERVED_DATA_PREFIXES):
            return SendResult(message, SendOutcome.FAILED, error=f"reserved data key {key!r}")
    return None


def _to_fcm(message: PushMessage) -> messaging.Message:
    android = apns = None
    if message.collapse_key:
        android = messaging.AndroidConfig(collapse_key=message.collapse_key)
        if len(message.collapse_key.encode()) <= _APNS_COLLAPSE_ID_MAX_BYTES:
            apns = messaging.APNSConfig(headers={"apns-collapse-id": message.collapse_key})
    fcm_message = messaging.Message(
        notification=messaging.Notification(title=message.title, body=message.body),
        data=dict(message.data),
        android=android,
        apns=apns,
    )
    # firebase-admin 7.7 deprecates `Message(token=...)` (with a DeprecationWarning) in favour of
    # `fid`, a Firebase installation ID: a different identifier from the registration tokens our
    # apps register. FCM v1 still takes `token`; setting it after construction sends exactly the
    # same JSON without the warning (or a process-wide warnings filter, which is not
    # thread-safe to scope).
    fcm_message.token = message.token
    return fcm_message
