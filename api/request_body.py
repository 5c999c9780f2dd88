"""What a GraphQL request over HTTP must look like before GraphQL sees it, and how its answer
is written.

A body is UTF-8 JSON, an object (a list only where batching is on, which it is not), with a
string `query`, an object `variables` and `extensions`, a string `operationName`. Anything
else is a 400 (`RequestRefused`), never an exception from deep inside the decoder: JSON nested
beyond Python's recursion limit, bytes that are not UTF-8.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from cross_web import HTTPException

JSON_CONTENT_TYPES = ("application/json", "application/graphql-response+json")


class NotJson(json.JSONDecodeError):
    """A body or websocket message that is not JSON (a JSONDecodeError, which strawberry's
    websocket handlers answer with 4400)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, "", 0)


class RequestRefused(HTTPException):
    """The request is not a GraphQL request this server accepts."""

    def __init__(self, reason: str, status: int = 400, code: str | None = None) -> None:
        super().__init__(status, reason)
        #: The error's `extensions.code` (the status's own when None).
        self.code = code


def decode_body(raw: str | bytes) -> Any:
    """The JSON value of a request body; `NotJson` for anything that is not UTF-8 JSON.

    A lone surrogate (`"\\ud800"`) is valid JSON and passes: the argument it lands in decides
    (text fields refuse it as INVALID_INPUT)."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        value = json.loads(text, parse_constant=_refuse_constant)
    except UnicodeDecodeError as exc:
        raise NotJson("The request body is not UTF-8.") from exc
    except RecursionError as exc:
        raise NotJson("The request body is nested too deeply.") from exc
    except ValueError as exc:  # JSONDecodeError is one
        raise NotJson("The request body is not valid JSON.") from exc
    return value


def _refuse_constant(name: str) -> Any:
    # Python's json reads NaN and Infinity; JSON has no such numbers.
    raise ValueError(f"{name} is not JSON")


def parse_request(raw: str | bytes) -> dict[str, Any]:
    """One GraphQL request from an HTTP body; `RequestRefused` (400) otherwise."""
    try:
        value = decode_body(raw)
    except NotJson as error:
        raise RequestRefused(error.msg) from error
    return check_request(value)


def check_request(value: Any) -> dict[str, Any]:
    """The decoded body if it is one GraphQL request; `RequestRefused` otherwise."""
    if isinstance(value, list):
        raise RequestRefused("Batched requests are not accepted: send one operation a request.")
    if not isinstance(value, dict):
        raise RequestRefused("The request body must be a JSON object with a `query`.")
    for key, kind, name in (
        ("query", str, "a string"),
        ("operationName", str, "a string"),
        ("variables", dict, "an object"),
        ("extensions", dict, "an object"),
    ):
        if value.get(key) is not None and not isinstance(value[key], kind):
            raise RequestRefused(f"`{key}` must be {name} or null.")
    return value


def check_content_type(content_type: str | None) -> None:
    """Only JSON bodies are accepted (415 otherwise)."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media not in JSON_CONTENT_TYPES:
        raise RequestRefused("Send the request as application/json.", status=415)


def encode_answer(data: object) -> str:
    """An answer as JSON text (UTF-8 as it is, no `\\u` escapes), written by orjson: a
    Badges screen's answer takes 6 µs instead of the standard library's 32 (5% of the
    request's CPU). What orjson refuses (a lone surrogate echoed in an error message, an
    integer beyond 64 bits, a key that is not a string) is written by the standard library,
    as strawberry writes it. Text, not bytes: strawberry sends bytes over a websocket as a
    binary frame, which graphql-ws clients do not read."""
    try:
        return orjson.dumps(data).decode()
    except TypeError:  # orjson.JSONEncodeError is one
        return json.dumps(data, separators=(",", ":"))
