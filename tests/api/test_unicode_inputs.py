"""A lone surrogate (JSON "\\ud800") or a NUL ("\\u0000") in any text a client sends is refused
cleanly.

Such a string is valid JSON and a valid GraphQL String to graphql-core, but no text a store
takes: a lone surrogate is no Unicode text at all, and PostgreSQL refuses NUL in any text
column. Schema-driven: for every root field, every String or ID it takes (its arguments and the
fields of its input objects, lists included) gets the character in turn, the rest filled with
plain values, sent with each caller's token. The property: the operation is refused with
INVALID_INPUT naming where the text is, whoever asks, and nothing runs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import graphql
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
)

from api.schema import build_schema
from tests.api.conftest import GraphQLClient

UNSTORABLE = {"a lone surrogate": "\ud800", "NUL": "\x00"}
PLAIN = {
    "String": "x",
    "ID": "1",
    "Int": 1,
    "Float": 1.0,
    "Boolean": True,
    "Date": "2026-01-15",
    "DateTime": "2026-01-15T12:00:00+00:00",
    "Decimal": "1.00",
}
TEXT = {"String", "ID"}


def plain(kind: GraphQLInputType) -> Any:
    """A plain value of `kind`: every required field filled, optional ones left out."""
    if isinstance(kind, GraphQLNonNull):
        return plain(kind.of_type)
    if isinstance(kind, GraphQLList):
        return [plain(kind.of_type)]
    if isinstance(kind, GraphQLEnumType):
        return next(iter(kind.values))
    if isinstance(kind, GraphQLInputObjectType):
        return {
            name: plain(field.type)
            for name, field in kind.fields.items()
            if isinstance(field.type, GraphQLNonNull) and field.default_value is graphql.Undefined
        }
    assert isinstance(kind, GraphQLScalarType)
    return PLAIN[kind.name]


def with_character(
    kind: GraphQLInputType, character: str, depth: int = 0
) -> Iterator[tuple[Any, list[str | int]]]:
    """Values of `kind`, each with `character` in one text position, and that position."""
    if isinstance(kind, GraphQLNonNull):
        yield from with_character(kind.of_type, character, depth)
    elif isinstance(kind, GraphQLList):
        for item, path in with_character(kind.of_type, character, depth):
            yield [item], [0, *path]
    elif isinstance(kind, GraphQLInputObjectType) and depth < 3:
        base = plain(kind)
        for name, field in kind.fields.items():
            for value, path in with_character(field.type, character, depth + 1):
                yield {**base, name: value}, [name, *path]
    elif isinstance(kind, GraphQLScalarType) and kind.name in TEXT:
        yield f"a{character}b", []


def cases(character: str) -> Iterator[tuple[str, str, dict[str, Any], list[str | int]]]:
    """(root field, document, variables, where `character` is) for every text position of
    every root field."""
    schema = build_schema()._schema
    for operation, root in (("query", schema.query_type), ("mutation", schema.mutation_type)):
        assert root is not None
        for field_name, field in root.fields.items():
            named = graphql.get_named_type(field.type)
            selection = "" if graphql.is_leaf_type(named) else " { __typename }"
            declared = ", ".join(f"${a}: {arg.type}" for a, arg in field.args.items())
            passed = ", ".join(f"{a}: ${a}" for a in field.args)
            document = (
                f"{operation}{f'({declared})' if declared else ''} "
                f"{{ {field_name}{f'({passed})' if passed else ''}{selection} }}"
            )
            base = {a: plain(arg.type) for a, arg in field.args.items()}
            for arg_name, arg in field.args.items():
                for value, path in with_character(arg.type, character):
                    yield field_name, document, {**base, arg_name: value}, [arg_name, *path]


@pytest.mark.parametrize("character", UNSTORABLE.values(), ids=UNSTORABLE.keys())
async def test_unstorable_text_anywhere_is_refused_without_a_fault(
    api: GraphQLClient, character: str
) -> None:
    wrong = []
    sent = 0
    for field_name, document, variables, where in cases(character):
        for role in ("member", "service", "admin"):
            body = json.dumps({"query": document, "variables": variables})
            response = await api.http.post(
                "/graphql",
                content=body.encode(),
                headers={
                    "content-type": "application/json",
                    "authorization": f"Bearer {api.token(role, 'alice')}",
                },
            )
            sent += 1
            answer = response.json()
            refusals = [(e.get("extensions") or {}).get("code") for e in answer.get("errors", [])]
            if (
                response.status_code >= 500
                or answer.get("data") is not None
                or refusals != ["INVALID_INPUT"]
                or answer["errors"][0]["extensions"]["field"] != where
            ):
                wrong.append((field_name, role, json.dumps(variables), response.text[:200]))
    assert sent > 100
    assert wrong == []


@pytest.mark.parametrize("escape", ["\\u0000", "\\u{0}", "\\u{000}"])
async def test_a_nul_written_in_the_document_is_refused(api: GraphQLClient, escape: str) -> None:
    document = (
        'mutation { recordEngagement(input: {kind: SHARE, reference: "x' + escape + 'y"}) '
        "{ userErrors { code } } }"
    )
    answer = await api.member("alice", document)
    assert answer["data"] is None
    assert [e["extensions"]["code"] for e in answer["errors"]] == ["INVALID_INPUT"]


async def test_a_backslash_written_before_u0000_is_text(api: GraphQLClient) -> None:
    """`\\\\u0000` in a literal is a backslash and five characters, no NUL: it is taken."""
    document = (
        'mutation { recordEngagement(input: {kind: SHARE, reference: "x\\\\u0000y"}) '
        "{ userErrors { code } } }"
    )
    answer = await api.member("alice", document)
    assert answer.get("errors") is None, answer
    assert answer["data"]["recordEngagement"]["userErrors"] == []
