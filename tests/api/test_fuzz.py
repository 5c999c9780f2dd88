"""Fuzzing the endpoint: whatever a client sends, the server answers cleanly and keeps answering.

Two runs, both against the real app in process (httpx's ASGI transport), on the embedded setup
or, with FIDELIO_TEST_DATABASE_URL / FIDELIO_TEST_REDIS_URL, on PostgreSQL and Redis:

- schema-driven (hypothesis-graphql): queries and mutations for every root field, valid and
  invalid (one schema violation), sent with member, service and admin tokens;
- raw HTTP: bodies (bytes, any JSON, GraphQL-shaped requests, large and deeply nested ones),
  headers, content types and methods.

The property: no HTTP 500, no masked INTERNAL_SERVER_ERROR, no traceback in any body, and a
trivial request right after still answers. The bounded number of examples keeps the suite
fast; `FUZZ_EXAMPLES=2000 .venv/bin/python -m pytest tests/api/test_fuzz.py` runs longer.
"""

from __future__ import annotations

import json
import os
import string
from datetime import UTC, timedelta, timezone
from functools import cache
from typing import Any

import graphql
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, mutations, nodes, queries

from api.schema import build_schema
from tests.api.conftest import GraphQLClient

#: What a masked fault says (api.errors), with or without its code.
MASKED_MESSAGE = "Unexpected error. It has been logged."

#: Examples per root field (schema-driven) and in all (raw HTTP); FUZZ_EXAMPLES overrides both.
FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "0"))
PER_FIELD = FUZZ_EXAMPLES or 3
RAW = FUZZ_EXAMPLES or 60


def fuzz_settings(max_examples: int) -> settings:
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=not FUZZ_EXAMPLES,  # the bounded run is the same on every CI run
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
            HealthCheck.large_base_example,
        ],
    )


ROLES = ("member", "service", "admin")


@cache
def served_schema() -> graphql.GraphQLSchema:
    return build_schema()._schema


def text_or(values: st.SearchStrategy[str]) -> st.SearchStrategy[graphql.StringValueNode]:
    """A valid value of a custom scalar, or any text in its place."""
    return st.one_of(values, st.text(max_size=30)).map(nodes.String)


OFFSETS = st.just(UTC) | st.integers(-14 * 60, 14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
EDGE_MOMENTS = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00Z"]


CUSTOM_SCALARS = {
    # Ids the way careless clients and attackers send them: small ones that may exist, ones
    # beyond 64 bits, negative ones, words, and integer literals.
    "ID": st.one_of(
        st.integers(1, 5).map(str).map(nodes.String),
        st.integers(2**63 - 2, 2**80).map(str).map(nodes.String),
        st.integers(max_value=0).map(str).map(nodes.String),
        st.text(max_size=20).map(nodes.String),
        st.integers(2**63 - 2, 2**80).map(nodes.Int),
    ),
    "Date": text_or(st.dates().map(str)),
    # Any moment with any offset, the edges of `datetime` included (0001-01-01 at +14:00 cannot
    # be put in UTC), and decimals as any client can write them: NaN, 1E+400, thirty digits.
    "DateTime": text_or(
        st.datetimes(timezones=OFFSETS).map(lambda d: d.isoformat()) | st.sampled_from(EDGE_MOMENTS)
    ),
    "Decimal": text_or(
        st.decimals(allow_nan=False, allow_infinity=False, places=2).map(str)
        | st.decimals().map(str)
        | st.sampled_from(["1E+400", "123456789012345678901234567890", "NaN", "-Infinity"])
    ),
}


def root_fields() -> list[tuple[str, str]]:
    schema = served_schema()
    found = []
    for kind, root in (("query", schema.query_type), ("mutation", schema.mutation_type)):
        assert root is not None
        found.extend((kind, name) for name in root.fields)
    return found


def modes(kind: str, field: str) -> list[Mode]:
    """Invalid operations need an argument to get wrong (on the field itself, here)."""
    schema = served_schema()
    root = schema.query_type if kind == "query" else schema.mutation_type
    assert root is not None
    return [Mode.POSITIVE, Mode.NEGATIVE] if root.fields[field].args else [Mode.POSITIVE]


@cache
def documents(kind: str, field: str, mode: Mode) -> st.SearchStrategy[Any]:
    build = queries if kind == "query" else mutations
    return build(served_schema(), fields=[field], custom_scalars=CUSTOM_SCALARS, mode=mode)


def assert_clean(response: httpx.Response) -> None:
    """No 500, no traceback, no masked fault."""
    assert response.status_code != 500, response.text[:2000]
    assert "Traceback" not in response.text, response.text[:2000]
    if response.content and response.headers.get("content-type", "").startswith("application/json"):
        body = response.json()
        errors = body.get("errors") if isinstance(body, dict) else None
        for error in errors or []:
            assert (error.get("extensions") or {}).get("code") != "INTERNAL_SERVER_ERROR", body
            assert error.get("message") != MASKED_MESSAGE, body


async def still_answers(api: GraphQLClient) -> None:
    response = await api.http.post("/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 200 and response.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize(("kind", "field"), root_fields())
@fuzz_settings(PER_FIELD)
@given(data=st.data())
async def test_no_generated_operation_on_a_root_field_crashes_the_server(
    api: GraphQLClient, kind: str, field: str, data: st.DataObject
) -> None:
    mode = data.draw(st.sampled_from(modes(kind, field)), label="mode")
    document = data.draw(documents(kind, field, mode), label="document")
    role = data.draw(st.sampled_from(ROLES), label="role")
    token = api.token(role, "fuzz-member" if role == "member" else f"fuzz-{role}")
    response = await api.http.post(
        "/graphql", json={"query": document}, headers={"authorization": f"Bearer {token}"}
    )
    assert_clean(response)
    await still_answers(api)


# ---------------------------------------------------------------- raw HTTP

HEADER_TEXT = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=60)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
GRAPHQL_SHAPED = st.fixed_dictionaries(
    {
        "query": st.one_of(
            st.text(max_size=80), st.sampled_from(["{ __typename }", "{ me { id } }"])
        )
    },
    optional={
        "variables": JSON_VALUES,
        "operationName": JSON_VALUES,
        "extensions": JSON_VALUES,
    },
)
BODIES = st.one_of(
    st.binary(max_size=300),
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    GRAPHQL_SHAPED.map(lambda v: json.dumps(v).encode()),
    # Large and deep: repeated bytes up to beyond the body limit (1,000,000 bytes).
    st.tuples(
        st.sampled_from([b"[", b"{", b'{"a":', b" ", b"\xff", b"\x00"]),
        st.sampled_from([1_000, 60_000, 1_000_001]),
    ).map(lambda t: t[0] * t[1]),
)
CONTENT_TYPES = st.one_of(
    st.sampled_from(
        [
            "application/json",
            "application/json; charset=utf-8",
            "application/graphql-response+json",
            "text/plain",
            "multipart/form-data; boundary=x",
            "application/x-www-form-urlencoded",
            "",
        ]
    ),
    HEADER_TEXT,
)
METHODS = st.sampled_from(
    ["POST", "POST", "POST", "GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "FOO"]
)


@fuzz_settings(RAW)
@given(
    method=METHODS,
    body=BODIES,
    content_type=CONTENT_TYPES,
    authorization=st.one_of(st.none(), HEADER_TEXT, HEADER_TEXT.map(lambda t: f"Bearer {t}")),
    request_id=st.one_of(st.none(), HEADER_TEXT),
    params=st.dictionaries(
        st.sampled_from(["query", "variables", "operationName", "extensions"]),
        st.text(alphabet=string.printable, max_size=40),
        max_size=3,
    ),
    valid_token=st.booleans(),
)
async def test_no_raw_request_crashes_the_server(
    api: GraphQLClient,
    method: str,
    body: bytes,
    content_type: str,
    authorization: str | None,
    request_id: str | None,
    params: dict[str, str],
    valid_token: bool,
) -> None:
    headers = {"content-type": content_type}
    if valid_token:
        headers["authorization"] = f"Bearer {api.token('member', 'fuzz-member')}"
    elif authorization is not None:
        headers["authorization"] = authorization
    if request_id is not None:
        headers["x-request-id"] = request_id
    response = await api.http.request(
        method, "/graphql", content=body, headers=headers, params=params
    )
    assert_clean(response)
    if response.status_code >= 400 and method != "HEAD":
        assert response.json()["errors"], response.text[:500]
    await still_answers(api)
