"""Requests a careless client or an attacker sends: each gets a clean, typed answer.

No request makes a 500; bad bodies are 400/405/415 with a GraphQL-style error body; ids out of
range are typed userErrors; masked faults carry a code and the request id.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import redis.asyncio as aioredis
import uvicorn
import websockets
from tortoise import connections

from api.app import create_app
from api.auth import mint_token
from api.runtime import build_runtime
from api.settings import DEV_JWT_SECRET
from api.trusted_documents import manifest_of_directory
from bench.harness import free_port
from tests.api.conftest import GraphQLClient, data, error_codes

ME = "{ me { id } }"


def graphql_error_body(response: httpx.Response) -> dict[str, Any]:
    """The body of a refused request: a GraphQL-style error, no traceback."""
    assert "Traceback" not in response.text
    body = response.json()
    assert isinstance(body["errors"], list) and body["errors"]
    assert all(isinstance(e["message"], str) for e in body["errors"])
    return body


async def post_raw(
    api: GraphQLClient, content: bytes, content_type: str = "application/json", **kw: Any
) -> httpx.Response:
    token = api.token("member", "alice")
    return await api.http.post(
        "/graphql",
        content=content,
        headers={"content-type": content_type, "authorization": f"Bearer {token}"},
        **kw,
    )


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'"{ me { id } }"', id="a string"),
        pytest.param(b"42", id="a number"),
        pytest.param(b"null", id="null"),
        pytest.param(b"true", id="a boolean"),
        pytest.param(b"[1, 2]", id="a list of numbers"),
        pytest.param(b'[{"query": "{ me { id } }"}]', id="a batch (not enabled)"),
        pytest.param(b"[" * 60_000 + b"]" * 60_000, id="lists nested 60,000 deep"),
        pytest.param(b'{"a":' * 60_000 + b"1" + b"}" * 60_000, id="objects nested 60,000 deep"),
        pytest.param(b'{"query": "{ me { id } }\xff\xfe"}', id="bytes that are not UTF-8"),
        pytest.param(b"\xff\xfe\x00{", id="only bytes that are not UTF-8"),
        pytest.param(b'{"query": "{ me { id \\ud800 } }"}', id="a lone surrogate in the query"),
        pytest.param(b'{"query": 5}', id="a query that is a number"),
        pytest.param(b'{"query": "{ me { id } }", "variables": []}', id="variables as a list"),
        pytest.param(
            b'{"query": "{ me { id } }", "operationName": 7}', id="an operation name number"
        ),
        pytest.param(
            b'{"query": "{ me { id } }", "operationName": ["x"]}', id="an operation name list"
        ),
        pytest.param(b'{"query": "{ me { id } }", "extensions": "x"}', id="extensions a string"),
        pytest.param(b"{}", id="no query"),
        pytest.param(b"", id="an empty body"),
        pytest.param(b"{", id="truncated JSON"),
        pytest.param(b'{"query": "' + b"{ me " * 5 + b'"}', id="a syntax error"),
        pytest.param(b'{"query": NaN}', id="NaN"),
        pytest.param(
            b'{"query": "query($x: Float!) { nearbyGeofences(latitude: $x, longitude: 0) { id } }",'
            b' "variables": {"x": Infinity}}',
            id="Infinity in a variable",
        ),
    ],
)
async def test_a_malformed_body_is_a_400_with_a_graphql_error_body(
    api: GraphQLClient, body: bytes
) -> None:
    response = await post_raw(api, body)
    assert response.status_code in (200, 400), response.text[:300]
    assert (
        response.status_code != 200 or "data" not in response.json() or error_codes(response.json())
    )
    graphql_error_body(response)
    # and the server still answers
    assert data(await api.member("alice", ME))["me"]["id"]


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "",
        "application/xml",
    ],
)
async def test_a_body_of_another_content_type_is_a_415(
    api: GraphQLClient, content_type: str
) -> None:
    response = await post_raw(api, b'{"query": "{ me { id } }"}', content_type)
    assert response.status_code == 415, response.text
    body = graphql_error_body(response)
    assert body["errors"][0]["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "FOO"])
async def test_another_method_is_a_405(api: GraphQLClient, method: str) -> None:
    response = await api.http.request(method, "/graphql", content=b'{"query": "{ me { id } }"}')
    assert response.status_code == 405, response.text
    assert "GET" in response.headers["allow"] and "POST" in response.headers["allow"]
    body = graphql_error_body(response)
    assert body["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"


async def test_a_query_sent_by_get_is_refused_with_a_graphql_error(api: GraphQLClient) -> None:
    response = await api.http.get("/graphql", params={"query": ME})
    assert response.status_code in (400, 405), response.text
    graphql_error_body(response)


def signed(api: GraphQLClient, **overrides: object) -> str:
    now = int(time.time())
    claims: dict[str, object] = {
        "sub": "alice",
        "role": "member",
        "iss": api.settings.jwt_issuer,
        "aud": api.settings.jwt_audience,
        "iat": now,
        "exp": now + 600,
    }
    claims.update(overrides)
    assert api.settings.jwt_secret
    # Signed by hand: pyjwt's encoder refuses some of these claims, a forger's does not.
    payload = json.dumps(claims).encode()
    return jwt.api_jws.encode(payload, api.settings.jwt_secret, algorithm="HS256")


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"role": ["member"]}, id="role a list"),
        pytest.param({"role": {"member": 1}}, id="role an object"),
        pytest.param({"role": 1}, id="role a number"),
        pytest.param({"role": None}, id="role null"),
        pytest.param({"sub": 42}, id="sub a number"),
        pytest.param({"sub": {"id": "alice"}}, id="sub an object"),
        pytest.param({"sub": ["alice"]}, id="sub a list"),
        pytest.param({"sub": "\ud800"}, id="sub a lone surrogate"),
        pytest.param({"sub": "alice\x00"}, id="sub with a NUL"),
        pytest.param({"sub": "alice\nbob"}, id="sub with a newline"),
        pytest.param({"exp": "tomorrow"}, id="exp a string"),
        pytest.param({"exp": [1]}, id="exp a list"),
        pytest.param({"exp": float("nan")}, id="exp NaN"),
        pytest.param({"exp": 1e308 * 10}, id="exp infinite by overflow"),
        pytest.param({"exp": float("inf")}, id="exp infinite"),
        pytest.param({"iat": "now"}, id="iat a string"),
        pytest.param({"nbf": {"x": 1}}, id="nbf an object"),
        pytest.param({"iss": ["fidelio"]}, id="iss a list"),
        pytest.param({"iss": 5}, id="iss a number"),
        pytest.param({"aud": 5}, id="aud a number"),
        pytest.param({"aud": [["fidelio-api"]]}, id="aud a nested list"),
        pytest.param({"aud": {"fidelio-api": 1}}, id="aud an object"),
    ],
)
async def test_a_signed_token_with_claims_of_unexpected_types_is_unauthenticated(
    api: GraphQLClient, overrides: dict[str, object]
) -> None:
    response = await api.http.post(
        "/graphql",
        json={"query": ME},
        headers={"authorization": f"Bearer {signed(api, **overrides)}"},
    )
    assert response.status_code == 200, response.text
    assert error_codes(response.json()) == ["UNAUTHENTICATED"]


BAD_IDS = [
    pytest.param("9223372036854775808", id="2**63, one beyond 64 bits"),
    pytest.param("99999999999999999999999999999999999999", id="far beyond 64 bits"),
    pytest.param("-1", id="negative"),
    pytest.param("0", id="zero"),
    pytest.param("abc", id="a word"),
    pytest.param("7 0", id="a space inside"),
    pytest.param("٣", id="a digit of another script"),
    pytest.param("", id="empty"),
    pytest.param("1" * 5000, id="5,000 digits"),
]

REDEEM = """mutation($id: ID!) { redeemReward(input: {rewardId: $id}) {
  redemption { id } userErrors { code field } } }"""
CLAIM = """mutation($id: ID!) { claimDrop(input: {dropId: $id}) {
  claim { id } userErrors { code field } } }"""
MARK_READ = """mutation($id: ID!) { markNotificationsRead(input: {ids: ["1", $id]}) {
  unreadCount userErrors { code field } } }"""
GEOFENCE = """mutation($id: ID!) { reportGeofenceEvent(input: {geofenceId: $id, transition: ENTER}) {
  triggered { promotion { id } } userErrors { code field } } }"""


@pytest.mark.parametrize("raw_id", BAD_IDS)
@pytest.mark.parametrize(
    ("mutation", "name", "expected"),
    [
        pytest.param(
            REDEEM, "redeemReward", ("NOT_FOUND", ["input", "rewardId"]), id="redeemReward"
        ),
        pytest.param(CLAIM, "claimDrop", ("NOT_FOUND", ["input", "dropId"]), id="claimDrop"),
        pytest.param(
            MARK_READ,
            "markNotificationsRead",
            ("INVALID_INPUT", ["input", "ids", "1"]),
            id="markNotificationsRead",
        ),
        pytest.param(
            GEOFENCE,
            "reportGeofenceEvent",
            ("INVALID_INPUT", ["input", "geofenceId"]),
            id="reportGeofenceEvent",
        ),
    ],
)
async def test_an_id_that_names_no_row_is_a_typed_user_error(
    api: GraphQLClient, mutation: str, name: str, expected: tuple[str, list[str]], raw_id: str
) -> None:
    result = await api.member("alice", mutation, {"id": raw_id})
    errors = data(result)[name]["userErrors"]
    assert [(e["code"], e["field"]) for e in errors] == [expected]


@pytest.mark.parametrize("raw_id", BAD_IDS)
async def test_a_failed_pushes_cursor_that_names_no_row_is_invalid_input(
    api: GraphQLClient, raw_id: str
) -> None:
    result = await api.admin(
        "query($id: ID) { failedPushes(after: $id) { attempts } }", {"id": raw_id}
    )
    assert error_codes(result) == ["INVALID_INPUT"]


@pytest.mark.parametrize("position", ["9223372036854775808", "-5", "1e3", "x"])
@pytest.mark.parametrize(
    ("field", "kind"), [("notifications", "notification"), ("pointsHistory", "points")]
)
async def test_a_cursor_beyond_64_bits_is_invalid_input(
    api: GraphQLClient, field: str, kind: str, position: str
) -> None:
    from api.types.points import HISTORY_CURSOR
    from api.types.push import NOTIFICATION_CURSOR

    prefix = NOTIFICATION_CURSOR if kind == "notification" else HISTORY_CURSOR
    cursor = base64.urlsafe_b64encode(f"{prefix}:{position}".encode()).decode().rstrip("=")
    result = await api.member(
        "alice",
        f"query($after: String) {{ me {{ {field}(after: $after) {{ pageInfo {{ hasNextPage }} }} }} }}",
        {"after": cursor},
    )
    assert error_codes(result) == ["INVALID_INPUT"]


async def test_a_lone_surrogate_in_the_display_name_is_invalid_input(api: GraphQLClient) -> None:
    before = data(await api.member("alice", "{ me { displayName } }"))["me"]["displayName"]
    token = api.token("member", "alice")
    # Sent as the JSON escape a client would produce for a broken UTF-16 string.
    body = (
        b'{"query": "mutation($input: UpdateProfileInput!) { updateProfile(input: $input) '
        b'{ member { displayName } userErrors { code field } } }", '
        b'"variables": {"input": {"displayName": "Al\\ud800ice"}}}'
    )
    response = await api.http.post(
        "/graphql",
        content=body,
        headers={"content-type": "application/json", "authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["data"] is None
    (error,) = answer["errors"]
    assert error["extensions"] == {
        "code": "INVALID_INPUT",
        "field": ["input", "displayName"],
        "requestId": response.headers["x-request-id"],
    }
    assert "input.displayName" in error["message"]
    assert data(await api.member("alice", "{ me { displayName } }"))["me"]["displayName"] == before


@contextlib.asynccontextmanager
async def app_on_dead_redis(api: GraphQLClient) -> AsyncIterator[GraphQLClient]:
    """The same program with Redis unreachable: a real client to a port nobody listens on."""
    dead = aioredis.from_url(
        "redis://127.0.0.1:9/0", decode_responses=True, socket_connect_timeout=0.5
    )
    runtime = build_runtime(api.settings, clock=api.clock, redis=dead)
    app = create_app(api.settings, runtime=runtime)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://fidelio.test") as http:
        yield GraphQLClient(http=http, settings=api.settings, runtime=runtime, clock=api.clock)
    await dead.aclose()


async def test_a_leaderboard_read_while_redis_is_down_says_service_unavailable(
    api: GraphQLClient,
) -> None:
    board = {"code": "spend", "name": "Spenders", "metric": "AMOUNT_SPENT", "windows": ["WEEKLY"]}
    saved = await api.admin(
        "mutation($i: LeaderboardInput!) { upsertLeaderboard(input: $i) { userErrors { code } } }",
        {"i": board},
    )
    assert data(saved)["upsertLeaderboard"]["userErrors"] == []
    data(await api.member("alice", "{ me { id } }"))  # a member: `me` has a standing to read
    async with app_on_dead_redis(api) as down:
        for selection in ("me { rank score }", "totalEntries"):
            result = await down.member(
                "alice",
                f'{{ leaderboard(code: "spend", window: WEEKLY) {{ code {selection} }} }}',
            )
            assert error_codes(result) == ["SERVICE_UNAVAILABLE"], result
            assert result["errors"][0]["extensions"]["requestId"]
            assert (
                result["data"] is None
                or result["data"]["leaderboard"] is None
                or (result["data"]["leaderboard"]["me"] is None)
            )


async def test_a_fault_is_masked_as_internal_server_error_with_the_request_id(
    api: GraphQLClient, caplog: pytest.LogCaptureFixture
) -> None:
    # A genuine fault: the rewards table is gone from under the running server.
    conn = connections.get("default")
    await conn.execute_script('ALTER TABLE "reward" RENAME TO "reward_away"')
    try:
        response = await api.http.post(
            "/graphql",
            json={"query": "{ rewards { id } }"},
            headers={
                "authorization": f"Bearer {api.token('member', 'alice')}",
                "x-request-id": "support-ticket-42",
            },
        )
    finally:
        await conn.execute_script('ALTER TABLE "reward_away" RENAME TO "reward"')
    assert response.status_code == 200
    body = response.json()
    assert "Traceback" not in response.text and "reward_away" not in response.text
    [error] = body["errors"]
    assert error["message"] == "Unexpected error. It has been logged."
    assert error["extensions"] == {
        "code": "INTERNAL_SERVER_ERROR",
        "requestId": "support-ticket-42",
    }
    assert response.headers["x-request-id"] == "support-ticket-42"
    assert any("support-ticket-42" in r.getMessage() for r in caplog.records)


async def test_a_request_id_is_kept_only_when_made_of_the_usual_characters(
    api: GraphQLClient,
) -> None:
    async def answered_id(given: str) -> str:
        response = await api.http.post(
            "/graphql",
            json={"query": "{ __typename }"},
            headers={"x-request-id": given.encode("latin-1")},
        )
        return response.headers["x-request-id"]

    for kept in [
        "support-ticket-42",
        "5f0c8e4e-8d2b-4f7a-9a57-2b1f0f3c1d2e",  # a UUID
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  # a W3C traceparent
        "svc:checkout.req_7",
        "r" * 64,
    ]:
        assert await answered_id(kept) == kept
    # Logged, audited and echoed: markup, quotes, spaces and other scripts are not kept.
    for refused in ["<script>x</script>", "ticket 42", 'a"b', "a\tb", "caf\u00e9", "r" * 65]:
        fresh = await answered_id(refused)
        assert fresh != refused and fresh != refused[:64]
        assert len(fresh) == 16 and all(c in "0123456789abcdef" for c in fresh)


@pytest.mark.parametrize(
    ("environment", "says"),
    [
        pytest.param({"FIDELIO_ENV": "production"}, "JWT_SECRET", id="no secret in production"),
        pytest.param(
            {"FIDELIO_ENV": "production", "JWT_SECRET": DEV_JWT_SECRET},
            "development JWT secret",
            id="the development secret in production",
        ),
        pytest.param(
            {"FIDELIO_ENV": "production", "JWT_SECRET": "s" * 31},
            "shorter than 32",
            id="a short secret in production",
        ),
        pytest.param({"JWT_ALGORITHM": "none"}, "JWT_ALGORITHM", id="algorithm none"),
        pytest.param({"MAX_BODY_BYTES": "lots"}, "MAX_BODY_BYTES", id="a number that is not one"),
    ],
)
@pytest.mark.parametrize("command", ["serve", "worker", "migrate"])
def test_a_refused_configuration_stops_with_one_line_and_no_traceback(
    tmp_path: Path, environment: dict[str, str], says: str, command: str
) -> None:
    keep = ("PATH", "HOME", "LANG", "SYSTEMROOT")
    env = {k: v for k, v in os.environ.items() if k in keep} | environment
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", command],
        cwd=tmp_path,  # no .env here
        env=env | {"PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fidelio: ") and says in lines[0], done.stderr
    assert "Traceback" not in done.stderr + done.stdout


@pytest.fixture
async def production(api: GraphQLClient) -> AsyncIterator[GraphQLClient]:
    """The same program served with FIDELIO_ENV=production settings."""
    settings = dataclasses.replace(api.settings, env="production", jwt_secret="p" * 40)
    runtime = build_runtime(settings, clock=api.clock, redis=api.runtime.redis)
    app = create_app(settings, runtime=runtime)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://fidelio.test") as http:
        yield GraphQLClient(http=http, settings=settings, runtime=runtime, clock=api.clock)


INTROSPECTION = [
    pytest.param("{ __schema { mutationType { fields { name } } } }", id="__schema"),
    pytest.param('{ __type(name: "Mutation") { fields { name } } }', id="__type"),
    pytest.param(
        "query { ...F } fragment F on Query { __schema { types { name } } }",
        id="__schema in a fragment",
    ),
]


@pytest.mark.parametrize("query", INTROSPECTION)
@pytest.mark.parametrize("role", [None, "member", "service"])
async def test_production_refuses_introspection_to_all_but_admin_tokens(
    production: GraphQLClient, query: str, role: str | None
) -> None:
    token = production.token(role, "someone") if role else None
    result = await production.post(query, token=token)
    assert result.get("data") is None
    assert result["errors"], result
    assert all("introspection has been disabled" in e["message"] for e in result["errors"]), result
    assert "upsert" not in json.dumps(result)


@pytest.mark.parametrize("query", INTROSPECTION)
async def test_production_answers_introspection_to_an_admin_token(
    production: GraphQLClient, query: str
) -> None:
    assert "errors" not in await production.admin(query)


async def test_production_answers_typename_to_anyone(production: GraphQLClient) -> None:
    assert data(await production.post("{ __typename }")) == {"__typename": "Query"}


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        pytest.param("mutation { upsertRewar }", None, id="a field name close to a mutation"),
        pytest.param("{ me { displayNam } }", None, id="a field name close to another"),
        pytest.param("{ rewards(includeInactiv: true) { id } }", None, id="an argument name"),
        pytest.param(
            'query($w: LeaderboardWindow!) { leaderboard(code: "x", window: $w) { code } }',
            {"w": "WEEKL"},
            id="an enum value in a variable",
        ),
        pytest.param(
            '{ leaderboard(code: "x", window: WEEKL) { code } }', None, id="an enum literal"
        ),
        pytest.param("{ me { id } } query Q { Me { id } }", None, id="a type-cased field"),
    ],
)
async def test_production_errors_suggest_no_names(
    api: GraphQLClient, production: GraphQLClient, query: str, variables: dict[str, Any] | None
) -> None:
    development = await api.member("alice", query, variables)
    assert "Did you mean" in json.dumps(development)  # what production must not say
    result = await production.member("alice", query, variables)
    assert result["errors"]
    assert "Did you mean" not in json.dumps(result)


@contextlib.asynccontextmanager
async def served_in_process(api: GraphQLClient, **changes: Any) -> AsyncIterator[tuple[str, Any]]:
    """The test's program behind a real uvicorn server in this event loop (websockets)."""
    settings = dataclasses.replace(api.settings, **changes)
    runtime = build_runtime(settings, clock=api.clock, redis=api.runtime.redis)
    app = create_app(settings, runtime=runtime)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn exposes a flag, not an event
        await asyncio.sleep(0.02)
    try:
        yield f"127.0.0.1:{port}", runtime
    finally:
        server.should_exit = True
        await serving
        if runtime.fanout is not None:
            await runtime.fanout.close()


SUBSCRIBE_NOTIFICATIONS = {
    "id": "1",
    "type": "subscribe",
    "payload": {"query": "subscription { notificationReceived { id title } }"},
}


@contextlib.asynccontextmanager
async def live_member(address: str, token: str) -> AsyncIterator[Any]:
    async with websockets.connect(
        f"ws://{address}/graphql", subprotocols=["graphql-transport-ws"]
    ) as ws:
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
        await ws.send(json.dumps(init))
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "connection_ack"
        await ws.send(json.dumps(SUBSCRIBE_NOTIFICATIONS))
        yield ws


async def closed_with(ws: Any, within: float) -> int | None:
    """The close code the server sent within `within` seconds (None: still open)."""
    try:
        while True:
            await asyncio.wait_for(ws.recv(), within)
    except websockets.ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None
    except TimeoutError:
        return None


async def test_a_subscription_is_closed_with_4403_when_its_token_expires(
    api: GraphQLClient,
) -> None:
    async with served_in_process(api, jwt_leeway_seconds=0) as (address, runtime):
        token = mint_token(runtime.settings, "member", "alice", ttl_seconds=2)
        started = time.monotonic()
        async with live_member(address, token) as ws:
            assert await closed_with(ws, 6) == 4403
        assert 1.0 <= time.monotonic() - started < 5


async def test_a_fresh_token_sent_in_a_ping_keeps_the_subscription_open(
    api: GraphQLClient,
) -> None:
    async with served_in_process(api, jwt_leeway_seconds=0) as (address, runtime):
        token = mint_token(runtime.settings, "member", "alice", ttl_seconds=2)
        async with live_member(address, token) as ws:
            fresh = mint_token(runtime.settings, "member", "alice", ttl_seconds=60)
            await ws.send(
                json.dumps({"type": "ping", "payload": {"Authorization": f"Bearer {fresh}"}})
            )
            assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "pong"
            assert await closed_with(ws, 3.5) is None  # past the first token's expiry
            await ws.send(json.dumps({"type": "ping"}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "pong"


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda s: mint_token(s, "member", "mallory", 60), id="another subject"),
        pytest.param(lambda s: mint_token(s, "admin", "alice", 60), id="another role"),
        pytest.param(lambda s: mint_token(s, "member", "alice", -600), id="an expired token"),
        pytest.param(lambda s: "nonsense", id="not a token"),
    ],
)
async def test_a_refused_token_sent_in_a_ping_closes_the_subscription_with_4403(
    api: GraphQLClient, make_token: Any
) -> None:
    async with served_in_process(api) as (address, runtime):
        token = mint_token(runtime.settings, "member", "alice", ttl_seconds=60)
        async with live_member(address, token) as ws:
            refused = make_token(runtime.settings)
            await ws.send(json.dumps({"type": "ping", "payload": {"token": refused}}))
            assert await closed_with(ws, 5) == 4403


async def test_a_subscription_is_closed_with_4403_when_the_member_is_erased(
    api: GraphQLClient,
) -> None:
    async with served_in_process(api) as (address, runtime):
        token = mint_token(runtime.settings, "member", "alice", ttl_seconds=600)
        async with live_member(address, token) as ws:
            await asyncio.sleep(0.3)  # the session watch listens
            erase = "mutation { deleteMyAccount(input: {confirm: true}) { deleted } }"
            assert data(await api.member("alice", erase))["deleteMyAccount"]["deleted"]
            await runtime.dispatcher.run_until_idle()
            assert await closed_with(ws, 5) == 4403


@pytest.mark.parametrize(
    "message",
    [
        pytest.param("[" * 60_000 + "]" * 60_000, id="nested 60,000 deep"),
        pytest.param('"connection_init"', id="a string"),
        pytest.param("[1]", id="a list"),
        pytest.param("{", id="truncated"),
    ],
)
async def test_a_malformed_websocket_message_closes_with_4400(
    api: GraphQLClient, message: str
) -> None:
    async with (
        served_in_process(api) as (address, _),
        websockets.connect(f"ws://{address}/graphql", subprotocols=["graphql-transport-ws"]) as ws,
    ):
        await ws.send(message)
        assert await closed_with(ws, 5) == 4400


CONTRACT_OPERATIONS = Path(__file__).resolve().parents[1] / "contract" / "operations"


def test_the_packaged_trusted_documents_are_the_contracts_operations() -> None:
    packaged = resources.files("api").joinpath("trusted_documents.json").read_text()
    assert packaged == manifest_of_directory(CONTRACT_OPERATIONS), (
        "regenerate with `make trusted-documents`"
    )
    operations = json.loads(packaged)["operations"]
    names = {op["name"] for op in operations}
    assert {"Home", "RedeemReward", "RecordPurchase"} <= names
    for op in operations:
        assert op["id"] == hashlib.sha256(op["body"].encode()).hexdigest()


def trusted(name: str) -> dict[str, str]:
    manifest = json.loads(resources.files("api").joinpath("trusted_documents.json").read_text())
    [op] = [op for op in manifest["operations"] if op["name"] == name]
    return op


def by_id(name: str, query: bool = False) -> dict[str, Any]:
    op = trusted(name)
    body: dict[str, Any] = {
        "operationName": name,
        "extensions": {"persistedQuery": {"version": 1, "sha256Hash": op["id"]}},
    }
    if query:
        body["query"] = op["body"]
    return body


@contextlib.asynccontextmanager
async def with_trusted_documents(api: GraphQLClient, mode: str) -> AsyncIterator[GraphQLClient]:
    settings = dataclasses.replace(api.settings, trusted_documents=mode)
    runtime = build_runtime(settings, clock=api.clock, redis=api.runtime.redis)
    app = create_app(settings, runtime=runtime)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://fidelio.test") as http:
        yield GraphQLClient(http=http, settings=settings, runtime=runtime, clock=api.clock)


async def send(client: GraphQLClient, body: dict[str, Any], role: str) -> httpx.Response:
    token = client.token(role, "alice" if role == "member" else "someone")
    return await client.http.post(
        "/graphql", json=body, headers={"authorization": f"Bearer {token}"}
    )


@pytest.mark.parametrize("mode", ["optional", "required"])
@pytest.mark.parametrize("with_text", [False, True])
async def test_a_member_runs_a_trusted_document_by_its_id(
    api: GraphQLClient, mode: str, with_text: bool
) -> None:
    async with with_trusted_documents(api, mode) as client:
        response = await send(client, by_id("Home", query=with_text), "member")
        assert response.status_code == 200, response.text
        assert data(response.json())["me"]["customerId"] == "alice"


@pytest.mark.parametrize("role", ["member", "service"])
async def test_required_trusted_documents_refuse_free_text_to_members_and_services(
    api: GraphQLClient, role: str
) -> None:
    async with with_trusted_documents(api, "required") as client:
        response = await send(client, {"query": "{ __typename }"}, role)
        assert response.status_code == 400
        body = graphql_error_body(response)
        assert body["errors"][0]["extensions"]["code"] == "TRUSTED_DOCUMENT_REQUIRED"


async def test_required_trusted_documents_accept_the_exact_text_of_a_trusted_one(
    api: GraphQLClient,
) -> None:
    async with with_trusted_documents(api, "required") as client:
        body = {"query": trusted("Home")["body"], "operationName": "Home"}
        assert data((await send(client, body, "member")).json())["me"]["customerId"] == "alice"


async def test_admins_keep_free_queries_when_trusted_documents_are_required(
    api: GraphQLClient,
) -> None:
    async with with_trusted_documents(api, "required") as client:
        response = await send(client, {"query": "{ __typename }"}, "admin")
        assert data(response.json()) == {"__typename": "Query"}


@pytest.mark.parametrize("mode", ["optional", "required"])
async def test_an_unknown_id_is_persisted_query_not_found(api: GraphQLClient, mode: str) -> None:
    async with with_trusted_documents(api, mode) as client:
        body = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "ab" * 32}}}
        response = await send(client, body, "member")
        assert response.status_code == 400
        code = graphql_error_body(response)["errors"][0]["extensions"]["code"]
        assert code == "PERSISTED_QUERY_NOT_FOUND"


async def test_a_text_that_does_not_match_its_id_is_refused(api: GraphQLClient) -> None:
    async with with_trusted_documents(api, "optional") as client:
        body = by_id("Home") | {"query": "{ me { email } }"}
        response = await send(client, body, "member")
        assert response.status_code == 400
        graphql_error_body(response)


async def test_optional_trusted_documents_accept_free_text(api: GraphQLClient) -> None:
    async with with_trusted_documents(api, "optional") as client:
        response = await send(client, {"query": "{ me { customerId } }"}, "member")
        assert data(response.json())["me"]["customerId"] == "alice"


async def test_required_trusted_documents_hold_for_subscriptions_too(api: GraphQLClient) -> None:
    async with served_in_process(api, trusted_documents="required") as (address, runtime):
        token = mint_token(runtime.settings, "member", "alice", ttl_seconds=60)
        async with live_member(address, token) as ws:  # sends a free subscription text
            assert await closed_with(ws, 5) == 4400
