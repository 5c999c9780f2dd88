"""A fake Firebase Cloud Messaging server, good enough for the real firebase-admin client.

It listens on 127.0.0.1 (a free port) in a background thread, so blocking and async clients
alike can reach it, and serves what firebase-admin actually calls:

- `POST /token`: the OAuth2 token endpoint a service account's `token_uri` points at. It checks
  the JWT-bearer assertion against the service account's public key and returns an access token.
- `POST /v1/projects/{project}/messages:send`: FCM HTTP v1, one message per request. That is all
  firebase-admin 7 uses for `send_each` (one request per message, over a thread pool); it never
  calls the legacy `https://fcm.googleapis.com/batch` endpoint, which is therefore not served:
  anything else is a 404, remembered in `unexpected_requests`.

Scriptable per test: unregistered and invalid tokens, queued responses (globally or per token),
a seeded transient failure rate, and `stop()` / `start()` on the same port to play an outage.
Every message accepted (and not a dry run) is recorded in `delivered`.
"""

from __future__ import annotations

import functools
import itertools
import json
import random
import re
import socket
import threading
import time
import urllib.parse
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

FCM_ERROR_TYPE = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
# google-auth always signs its assertion for Google's token endpoint, whatever `token_uri` says.
GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"
_SEND_PATH = re.compile(r"^/v1/projects/(?P<project>[^/]+)/messages:send$")
_TOKEN_PATH = "/token"


def fcm_error_body(
    code: int, status: str, message: str, error_code: str | None = None
) -> dict[str, Any]:
    """The JSON body FCM v1 sends with an error (with an FcmError detail when `error_code`)."""
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if error_code is not None:
        error["details"] = [{"@type": FCM_ERROR_TYPE, "errorCode": error_code}]
    return {"error": error}


@dataclass(frozen=True)
class ScriptedResponse:
    """One canned answer to a send request; `deliver()` means "behave normally this time"."""

    status: int
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0

    @classmethod
    def deliver(cls, delay: float = 0.0) -> ScriptedResponse:
        return cls(200, None, {}, delay)

    @classmethod
    def unavailable(cls, retry_after: str | int | None = None) -> ScriptedResponse:
        body = fcm_error_body(503, "UNAVAILABLE", "The service is currently unavailable.", None)
        return cls(503, body, _retry_after(retry_after))

    @classmethod
    def internal(cls) -> ScriptedResponse:
        body = fcm_error_body(500, "INTERNAL", "Internal error encountered.", "INTERNAL")
        return cls(500, body)

    @classmethod
    def quota_exceeded(cls, retry_after: str | int | None = None) -> ScriptedResponse:
        body = fcm_error_body(
            429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric.", "QUOTA_EXCEEDED"
        )
        return cls(429, body, _retry_after(retry_after))

    @classmethod
    def unregistered(cls) -> ScriptedResponse:
        body = fcm_error_body(404, "NOT_FOUND", "Requested entity was not found.", "UNREGISTERED")
        return cls(404, body)

    @classmethod
    def invalid_argument(cls) -> ScriptedResponse:
        body = fcm_error_body(
            400,
            "INVALID_ARGUMENT",
            "The registration token is not a valid FCM registration token",
            "INVALID_ARGUMENT",
        )
        return cls(400, body)

    @classmethod
    def sender_id_mismatch(cls) -> ScriptedResponse:
        body = fcm_error_body(403, "PERMISSION_DENIED", "SenderId mismatch", "SENDER_ID_MISMATCH")
        return cls(403, body)


def _target(message: dict[str, Any]) -> str:
    """The device a message is for: a registration token, or (firebase-admin 7.7+) an FID."""
    return str(message.get("token") or message.get("fid") or "")


def _retry_after(value: str | int | None) -> dict[str, str]:
    return {} if value is None else {"Retry-After": str(value)}


@dataclass(frozen=True)
class DeliveredMessage:
    """A message the fake accepted, as firebase-admin encoded it."""

    message_id: str
    project: str
    token: str
    title: str | None
    body: str | None
    data: dict[str, str]
    collapse_key: str | None
    raw: dict[str, Any]


@functools.cache
def _private_key_pem() -> str:
    """One RSA key per test process: generating it is the slow part of a service account."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@functools.cache
def _public_key() -> rsa.RSAPublicKey:
    private_key = serialization.load_pem_private_key(_private_key_pem().encode(), password=None)
    assert isinstance(private_key, rsa.RSAPrivateKey)
    return private_key.public_key()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024  # firebase-admin opens up to 500 connections at once
    fake: FakeFcmServer


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"  # keep-alive, like the real thing
    # The headers and the body go in two writes: with Nagle's algorithm the body waits for
    # the client's delayed ACK of the headers (40 ms per answer on Linux).
    disable_nagle_algorithm = True

    def setup(self) -> None:
        super().setup()
        self.server.fake._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.fake._track(self.connection, add=False)

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        status, body, headers = self.server.fake._handle_post(
            self.path, dict(self.headers.items()), raw
        )
        self._reply(status, body, headers)

    def do_GET(self) -> None:
        self.server.fake._unexpected(f"GET {self.path}")
        self._reply(404, fcm_error_body(404, "NOT_FOUND", "Not found."), {})

    def _reply(self, status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)


class FakeFcmServer:
    """A scriptable FCM HTTP v1 server on 127.0.0.1; thread-safe; use `start()` / `stop()`.

    Decision order for a send request: a queued response for that token, then one from the
    global queue, then the random transient failure (503), then invalid / unregistered tokens,
    then delivery. Requests without a valid access token get 401 UNAUTHENTICATED.
    """

    def __init__(
        self,
        *,
        project_id: str = "fidelio-test",
        failure_rate: float = 0.0,
        seed: int = 0,
        token_lifetime: int = 3600,
    ) -> None:
        self.project_id = project_id
        self.client_email = f"firebase-adminsdk@{project_id}.iam.gserviceaccount.com"
        self.token_lifetime = token_lifetime
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._failure_rate = failure_rate
        self._ids = itertools.count(1)
        self._issued: set[str] = set()
        self._unregistered: set[str] = set()
        self._invalid: set[str] = set()
        self._queue: deque[ScriptedResponse] = deque()
        self._per_token: dict[str, deque[ScriptedResponse]] = {}
        self._delivered: list[DeliveredMessage] = []
        self._unexpected_requests: list[str] = []
        self._send_requests = 0
        self._token_requests = 0
        self._connections: set[socket.socket] = set()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self._port = 0

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> FakeFcmServer:
        """Listen (again) on the same port as before, or on a free one the first time."""
        if self._httpd is not None:
            return self
        httpd = _Server(("127.0.0.1", self._port), _Handler)
        httpd.fake = self
        self._port = httpd.server_address[1]
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fake-fcm-{self._port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Go down: stop listening and cut every open connection (clients get refused)."""
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        self._httpd = self._thread = None
        httpd.shutdown()
        httpd.server_close()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if thread is not None:
            thread.join(timeout=5)

    @property
    def running(self) -> bool:
        return self._httpd is not None

    def __enter__(self) -> FakeFcmServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- addresses and credentials ----------------------------------------------------------

    @property
    def base_url(self) -> str:
        """What FcmGateway's `fcm_endpoint` should be."""
        if not self._port:
            raise RuntimeError("start the fake FCM server first")
        return f"http://127.0.0.1:{self._port}"

    @property
    def token_uri(self) -> str:
        return self.base_url + _TOKEN_PATH

    @property
    def service_account(self) -> dict[str, str]:
        """A service-account JSON (as a dict) whose key this server trusts."""
        return {
            "type": "service_account",
            "project_id": self.project_id,
            "private_key_id": "fake-key-1",
            "private_key": _private_key_pem(),
            "client_email": self.client_email,
            "client_id": "1234567890",
            "auth_uri": self.base_url + "/auth",
            "token_uri": self.token_uri,
        }

    # -- scripting --------------------------------------------------------------------------

    def unregister(self, *tokens: str) -> None:
        """These tokens now answer 404 NOT_FOUND / UNREGISTERED."""
        with self._lock:
            self._unregistered.update(tokens)

    def invalidate(self, *tokens: str) -> None:
        """These tokens now answer 400 INVALID_ARGUMENT."""
        with self._lock:
            self._invalid.update(tokens)

    def enqueue(self, *responses: ScriptedResponse) -> None:
        """The next send requests (whatever the token) get these answers, in order."""
        with self._lock:
            self._queue.extend(responses)

    def script(self, token: str, *responses: ScriptedResponse) -> None:
        """The next send requests for `token` get these answers, in order."""
        with self._lock:
            self._per_token.setdefault(token, deque()).extend(responses)

    def set_failure_rate(self, rate: float, seed: int | None = None) -> None:
        """That share of send requests (not already scripted) answer 503, drawn from a seeded
        RNG (seed again with `seed`)."""
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be within [0, 1]")
        with self._lock:
            self._failure_rate = rate
            if seed is not None:
                self._rng.seed(seed)

    # -- observations -----------------------------------------------------------------------

    @property
    def delivered(self) -> list[DeliveredMessage]:
        with self._lock:
            return list(self._delivered)

    def delivered_to(self, token: str) -> list[DeliveredMessage]:
        return [m for m in self.delivered if m.token == token]

    @property
    def send_requests(self) -> int:
        """Authenticated send requests seen, whatever the answer."""
        with self._lock:
            return self._send_requests

    @property
    def token_requests(self) -> int:
        with self._lock:
            return self._token_requests

    @property
    def unexpected_requests(self) -> list[str]:
        with self._lock:
            return list(self._unexpected_requests)

    # -- request handling (server threads) --------------------------------------------------

    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def _unexpected(self, what: str) -> None:
        with self._lock:
            self._unexpected_requests.append(what)

    def _handle_post(
        self, path: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        if path == _TOKEN_PATH:
            return self._token(raw)
        match = _SEND_PATH.match(path)
        if match is None:
            self._unexpected(f"POST {path}")
            return 404, fcm_error_body(404, "NOT_FOUND", f"No such endpoint: {path}"), {}
        return self._send(match["project"], headers, raw)

    def _token(self, raw: bytes) -> tuple[int, dict[str, Any], dict[str, str]]:
        form = urllib.parse.parse_qs(raw.decode())
        grant = form.get("grant_type", [""])[0]
        assertion = form.get("assertion", [""])[0]
        if grant != "urn:ietf:params:oauth:grant-type:jwt-bearer" or not assertion:
            return 400, {"error": "unsupported_grant_type"}, {}
        try:
            claims = jwt.decode(
                assertion, _public_key(), algorithms=["RS256"], audience=GOOGLE_TOKEN_AUDIENCE
            )
        except jwt.PyJWTError as error:
            return 400, {"error": "invalid_grant", "error_description": str(error)}, {}
        if claims.get("iss") != self.client_email:
            return 400, {"error": "invalid_grant", "error_description": "unknown issuer"}, {}
        with self._lock:
            self._token_requests += 1
            access_token = f"ya29.fake-{next(self._ids)}"
            self._issued.add(access_token)
        body = {
            "access_token": access_token,
            "expires_in": self.token_lifetime,
            "token_type": "Bearer",
        }
        return 200, body, {}

    def _send(
        self, project: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        try:
            payload = json.loads(raw)
            message = payload["message"]
        except (ValueError, KeyError, TypeError):
            body = fcm_error_body(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
            return 400, body, {}
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        with self._lock:
            if not auth.startswith("Bearer ") or auth[7:] not in self._issued:
                message_text = "Request had invalid authentication credentials."
                return 401, fcm_error_body(401, "UNAUTHENTICATED", message_text), {}
            self._send_requests += 1
            token = _target(message)
            scripted: ScriptedResponse | None = None
            if self._per_token.get(token):
                scripted = self._per_token[token].popleft()
            elif self._queue:
                scripted = self._queue.popleft()
            elif self._failure_rate and self._rng.random() < self._failure_rate:
                scripted = ScriptedResponse.unavailable()
            elif not token or token in self._invalid:
                scripted = ScriptedResponse.invalid_argument()
            elif token in self._unregistered:
                scripted = ScriptedResponse.unregistered()
        if scripted is not None and scripted.delay:
            time.sleep(scripted.delay)
        if scripted is not None and scripted.body is not None:
            return scripted.status, scripted.body, dict(scripted.headers)
        return self._deliver(project, message, validate_only=bool(payload.get("validate_only")))

    def _deliver(
        self, project: str, message: dict[str, Any], *, validate_only: bool
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        notification = message.get("notification") or {}
        android = message.get("android") or {}
        with self._lock:
            message_id = f"0:{next(self._ids)}%fake"
            name = f"projects/{project}/messages/{message_id}"
            if not validate_only:
                self._delivered.append(
                    DeliveredMessage(
                        message_id=name,
                        project=project,
                        token=_target(message),
                        title=notification.get("title"),
                        body=notification.get("body"),
                        data=dict(message.get("data") or {}),
                        collapse_key=android.get("collapse_key"),
                        raw=message,
                    )
                )
        return 200, {"name": name}, {}
