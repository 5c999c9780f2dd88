"""A lone surrogate (JSON "\\ud800") in any text a client sends is refused cleanly.

Such a string is valid JSON and a valid GraphQL String to graphql-core, but no Unicode text: it
cannot be stored in PostgreSQL or sent on. Schema-driven: for every root field, every String or
ID it takes (its arguments and the fields of its input objects, lists included) gets the
surrogate in turn, the rest filled with plain values, sent with each caller's token. The
property: the operation is refused with INVALID_INPUT naming where the text is, whoever asks,
and nothing runs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import graphql
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

SURROGATE = "\ud800"
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


def with_surrogates(
    kind: GraphQLInputType, depth: int = 0
) -> Iterator[tuple[Any, list[str | int]]]:
    """Values of `kind`, each with a lone surrogate in one text position, and that position."""
    if isinstance(kind, GraphQLNonNull):
        yield from with_surrogates(kind.of_type, depth)
    elif isinstance(kind, GraphQLList):
        for item, path in with_surrogates(kind.of_type, depth):
            yield [item], [0, *path]
    elif isinstance(kind, GraphQLInputObjectType) and depth < 3:
        base = plain(kind)
        for name, field in kind.fields.items():
            for value, path in with_surrogates(field.type, depth + 1):
                yield {**base, name: value}, [name, *path]
    elif isinstance(kind, GraphQLScalarType) and kind.name in TEXT:
        yield f"a{SURROGATE}b", []


def cases() -> Iterator[tuple[str, str, dict[str, Any], list[str | int]]]:
    """(root field, document, variables, where the surrogate is) for every text position of
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
                for value, path in with_surrogates(arg.type):
                    yield field_name, document, {**base, arg_name: value}, [arg_name, *path]


async def test_a_lone_surrogate_anywhere_is_refused_without_a_fault(api: GraphQLClient) -> None:
    wrong = []
    sent = 0
    for field_name, document, variables, where in cases():
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
