"""GraphQL over HTTP to the letter: clients asking for `application/graphql-response+json`
get it, with 400 and no `data` for request errors; `application/json` keeps its behaviour.
The `graphql-http` package's server audits (an npm package) run against a served process
when node and npm can install it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.media_type import prefers_graphql_response
from bench.harness import free_port
from tests.api.conftest import GraphQLClient
from tests.conftest import on_postgres

ROOT = Path(__file__).resolve().parents[2]
GRAPHQL_RESPONSE = "application/graphql-response+json"
TWO_OPERATIONS = "query A { me { id } } mutation B { exportMyData { userErrors { code } } }"


async def post(
    api: GraphQLClient, body: dict[str, object], accept: str | None, role: str = "member"
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {api.token(role, 'alice')}"}
    if accept is not None:
        headers["Accept"] = accept
    return await api.http.post("/graphql", json=body, headers=headers)


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, False),
        ("application/json", False),
        ("*/*", False),
        (GRAPHQL_RESPONSE, True),
        (f"{GRAPHQL_RESPONSE}, application/json;q=0.9", True),
        (f"application/json, {GRAPHQL_RESPONSE};q=0.5", False),
        (f"{GRAPHQL_RESPONSE};q=0", False),
        (f"{GRAPHQL_RESPONSE};q=oops", False),
    ],
)
def test_the_media_type_follows_what_the_client_prefers(accept: str | None, expected: bool) -> None:
    assert prefers_graphql_response(accept) is expected


@pytest.mark.parametrize(
    "body",
    [
        {"query": "{ me { id "},  # does not parse
        {"query": "{ me { noSuchField } }"},  # does not validate
        {"query": "query Q($n: Int!) { __typename }", "variables": {"n": "x"}},  # coercion
        {"query": "query Q($n: Int!) { __typename }"},  # a required variable missing
    ],
)
async def test_request_errors_are_400_without_data_in_the_graphql_response_type(
    api: GraphQLClient, body: dict[str, object]
) -> None:
    response = await post(api, body, GRAPHQL_RESPONSE)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    answer = response.json()
    assert "data" not in answer and answer["errors"]

    legacy = await post(api, body, "application/json")
    assert legacy.status_code == 200
    assert legacy.headers["content-type"].startswith("application/json")
    assert legacy.json()["errors"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"query": "{ me { id "}, "GRAPHQL_PARSE_FAILED"),
        ({"query": "{ me { noSuchField } }"}, "GRAPHQL_VALIDATION_FAILED"),
        (
            {"query": "query Q($n: Int!) { __typename }", "variables": {"n": "x"}},
            "GRAPHQL_VALIDATION_FAILED",
        ),
        ({"query": TWO_OPERATIONS}, "GRAPHQL_VALIDATION_FAILED"),
    ],
)
async def test_a_request_error_has_a_code_and_the_request_id_as_every_other_error(
    api: GraphQLClient, body: dict[str, object], code: str
) -> None:
    for accept in (GRAPHQL_RESPONSE, "application/json"):
        response = await post(api, body, accept)
        for error in response.json()["errors"]:
            assert error["extensions"]["code"] == code
            assert error["extensions"]["requestId"] == response.headers["x-request-id"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"query": TWO_OPERATIONS},
            "Must provide operation name if query contains multiple operations.",
        ),
        ({"query": TWO_OPERATIONS, "operationName": "C"}, "Unknown operation named 'C'."),
        ({"query": "query A { me { id } }", "operationName": "C"}, "Unknown operation named 'C'."),
    ],
)
async def test_an_operation_the_request_does_not_choose_is_graphql_cores_request_error(
    api: GraphQLClient, body: dict[str, object], message: str
) -> None:
    # strawberry ran the first operation when none was named, and refused an unknown name
    # before GraphQL, with a 400 for every media type (api.operation_choice).
    response = await post(api, body, GRAPHQL_RESPONSE)
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["message"], error["extensions"]["code"]) == (
        message,
        "GRAPHQL_VALIDATION_FAILED",
    )

    legacy = await post(api, body, "application/json")
    assert legacy.status_code == 200
    assert legacy.json()["data"] is None
    assert [e["message"] for e in legacy.json()["errors"]] == [message]

    named = await post(api, {**body, "operationName": "A"}, GRAPHQL_RESPONSE)
    assert named.status_code == 200 and named.json()["data"]["me"]["id"]


async def test_an_operation_that_ran_is_200_with_data_even_when_a_field_failed(
    api: GraphQLClient,
) -> None:
    ran = await post(api, {"query": "{ __typename }"}, GRAPHQL_RESPONSE)
    assert ran.status_code == 200 and ran.json() == {"data": {"__typename": "Query"}}
    assert ran.headers["content-type"].startswith(GRAPHQL_RESPONSE)

    # A member asking the shop's field: execution ran, the field failed (FORBIDDEN).
    query = """{ previewPurchase(input: {orderId: "A", customerId: "c", amount: "1",
        currency: "EUR", channel: APP}) { userErrors { code } } }"""
    refused = await post(api, {"query": query}, GRAPHQL_RESPONSE)
    assert refused.status_code == 200
    answer = refused.json()
    assert answer["data"] is None
    assert [e["extensions"]["code"] for e in answer["errors"]] == ["FORBIDDEN"]


async def test_http_refusals_take_the_media_type_asked_for(api: GraphQLClient) -> None:
    response = await api.http.post(
        "/graphql",
        content=b"{not json",
        headers={"content-type": "application/json", "accept": GRAPHQL_RESPONSE},
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


@pytest.fixture(scope="module")
def graphql_http(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A node_modules holding graphql-http: GRAPHQL_HTTP_NODE_PATH, or installed with npm
    into a temporary folder (skipped without node, npm or the registry)."""
    if on_postgres():
        pytest.skip("the audits serve the embedded setup: they run in the embedded run of CI")
    given = os.environ.get("GRAPHQL_HTTP_NODE_PATH")
    if given:
        return given
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are needed for the graphql-http audits")
    folder = tmp_path_factory.mktemp("graphql-http")
    try:
        subprocess.run(
            ["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(folder),
             "graphql-http@1", "graphql@16"],
            check=True, capture_output=True, timeout=240,
        )  # fmt: skip
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
        pytest.skip(f"could not install graphql-http with npm: {error}")
    return str(folder / "node_modules")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The server in its own process on a free loopback port (embedded setup)."""
    database = tmp_path_factory.mktemp("audited") / "fidelio.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite://{database}", "REDIS_URL": ""}
    env["FIDELIO_ENV"] = "development"
    subprocess.run(
        [sys.executable, "-m", "api.cli", "migrate"], cwd=ROOT, env=env, check=True,
        capture_output=True,
    )  # fmt: skip
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.slow
def test_every_graphql_over_http_audit_passes(graphql_http: str, served: str) -> None:
    from api.auth import mint_token
    from api.settings import Settings

    bearer = mint_token(Settings(), "member", "auditor")
    result = subprocess.run(
        ["node", str(ROOT / "tests" / "http_audits" / "audit.mjs"), f"{served}/graphql", bearer],
        env={**os.environ, "NODE_PATH": graphql_http},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 audits failed or warned" in result.stdout
