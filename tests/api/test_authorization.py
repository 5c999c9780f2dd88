"""Who may call what, for every root field of the served schema.

Arguments are generated from the schema's own types, so a new field is covered the day it is
added. Without a token every field is UNAUTHENTICATED; a field the contract gives only to the
admin console or only to the shop's backend is FORBIDDEN to the other callers' tokens, and a
field only the app's members send is FORBIDDEN to service and admin tokens.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
from graphql import (
    FieldNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    OperationDefinitionNode,
    Undefined,
    build_schema,
    get_named_type,
    is_leaf_type,
    parse,
)

from api.schema import schema_sdl
from tests.api.conftest import GraphQLClient, error_codes
from tests.contract.contract_check import HERE

SERVED = build_schema(schema_sdl())
SCALARS = {
    "String": "x",
    "ID": "1",
    "Int": 1,
    "Float": 1.0,
    "Boolean": True,
    "DateTime": "2026-01-15T12:00:00+00:00",
    "Date": "2000-01-01",
    "Decimal": "1.00",
}


def sample(graphql_type: Any) -> Any:
    if isinstance(graphql_type, GraphQLNonNull):
        return sample(graphql_type.of_type)
    if isinstance(graphql_type, GraphQLList):
        return [sample(graphql_type.of_type)]
    if isinstance(graphql_type, GraphQLEnumType):
        return next(iter(graphql_type.values))
    if isinstance(graphql_type, GraphQLScalarType):
        return SCALARS[graphql_type.name]
    assert isinstance(graphql_type, GraphQLInputObjectType)
    return {
        name: sample(field.type)
        for name, field in graphql_type.fields.items()
        if isinstance(field.type, GraphQLNonNull) and field.default_value is Undefined
    }


def literal(value: Any, graphql_type: Any) -> str:
    named = get_named_type(graphql_type)
    if isinstance(value, list):
        return (
            "["
            + ", ".join(
                literal(
                    v,
                    graphql_type.of_type
                    if not isinstance(graphql_type, GraphQLNonNull)
                    else graphql_type.of_type.of_type,
                )
                for v in value
            )
            + "]"
        )
    if isinstance(value, dict):
        fields = named.fields
        return "{" + ", ".join(f"{k}: {literal(v, fields[k].type)}" for k, v in value.items()) + "}"
    if isinstance(named, GraphQLEnumType):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return f'"{value}"'


def document(kind: str, name: str, field: GraphQLField) -> str:
    args = ", ".join(
        f"{arg}: {literal(sample(a.type), a.type)}"
        for arg, a in field.args.items()
        if isinstance(a.type, GraphQLNonNull) and a.default_value is Undefined
    )
    selection = "" if is_leaf_type(get_named_type(field.type)) else " { __typename }"
    return f"{kind} {{ {name}{f'({args})' if args else ''}{selection} }}"


def root_fields() -> list[tuple[str, str]]:
    found = [("query", n) for n in SERVED.query_type.fields]
    found += [("mutation", n) for n in SERVED.mutation_type.fields]
    return found


def callers_by_field() -> dict[str, set[str]]:
    """Which contract documents (member-app, shop-backend, admin-console) send each root field."""
    callers: dict[str, set[str]] = defaultdict(set)
    for path in (HERE / "operations").glob("*.graphql"):
        for definition in parse(path.read_text()).definitions:
            if isinstance(definition, OperationDefinitionNode):
                for selection in definition.selection_set.selections:
                    if isinstance(selection, FieldNode):
                        callers[selection.name.value].add(path.stem)
    return callers


CALLERS = callers_by_field()


@pytest.mark.parametrize("kind, name", root_fields(), ids=lambda v: v)
async def test_every_root_field_needs_a_token(api: GraphQLClient, kind: str, name: str) -> None:
    root = SERVED.query_type if kind == "query" else SERVED.mutation_type
    result = await api.post(document(kind, name, root.fields[name]))
    assert error_codes(result) == ["UNAUTHENTICATED"], result


FORBIDDEN_TO = {
    "admin-console": ("member", "service"),
    "shop-backend": ("member",),
    "member-app": ("service", "admin"),
}


def restricted() -> list[tuple[str, str, str]]:
    cases = []
    for kind, name in root_fields():
        users = CALLERS.get(name, set())
        if len(users) == 1:
            (only,) = users
            if only == "member-app" and kind == "query":
                continue  # catalogue reads (badges, rewards, drops...) are open to every token
            cases += [(kind, name, role) for role in FORBIDDEN_TO[only]]
    return cases


@pytest.mark.parametrize("kind, name, role", restricted(), ids=lambda v: v)
async def test_a_field_of_another_caller_is_forbidden(
    api: GraphQLClient, kind: str, name: str, role: str
) -> None:
    root = SERVED.query_type if kind == "query" else SERVED.mutation_type
    result = await api.post(document(kind, name, root.fields[name]), token=api.token(role, "x"))
    assert error_codes(result) == ["FORBIDDEN"], result


@pytest.mark.parametrize(
    ("query", "role", "message"),
    [
        (
            "{ auditKinds { __typename } }",
            "member",
            "This needs an admin token, not a member token.",
        ),
        ("{ me { id } }", "admin", "This needs a member token, not an admin token."),
        (
            '{ coupon(code: "x") { couponCode } }',
            "member",
            "This needs a service or admin token, not a member token.",
        ),
    ],
)
async def test_a_forbidden_answer_names_the_tokens_it_needs(
    api: GraphQLClient, query: str, role: str, message: str
) -> None:
    result = await api.post(query, token=api.token(role, "x"))
    assert [e["message"] for e in result["errors"]] == [message]
