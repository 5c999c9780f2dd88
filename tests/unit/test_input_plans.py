"""Input objects built by their plans (api.input_plans) equal strawberry's own conversion, for
every input type of the served schema."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    coerce_input_value,
)
from strawberry.types.arguments import convert_argument

from api.input_plans import InputPlan
from api.schema import build_schema

SCHEMA = build_schema()
SAMPLES = {
    "String": "a text",
    "ID": "an-id",
    "Int": 3,
    "Float": 1.5,
    "Boolean": True,
    "Decimal": "12.50",
    "DateTime": "2026-03-01T10:00:00+01:00",
    "Date": "2026-03-01",
    "JSON": {"key": [1, "two"]},
}
INPUT_TYPES = sorted(
    name
    for name, graphql_type in SCHEMA._schema.type_map.items()
    if isinstance(graphql_type, GraphQLInputObjectType) and not name.startswith("__")
)


def sample(graphql_type: GraphQLInputType, shape: str, depth: int = 0) -> Any:
    """An external value of `graphql_type`: every field given ("full"), only the required
    ones ("required"), or the nullable ones given as null ("nulls")."""
    if isinstance(graphql_type, GraphQLNonNull):
        return sample(graphql_type.of_type, shape, depth)
    if isinstance(graphql_type, GraphQLList):
        return [sample(graphql_type.of_type, shape, depth + 1) for _ in range(2)]
    if isinstance(graphql_type, GraphQLScalarType):
        return SAMPLES[graphql_type.name]
    if isinstance(graphql_type, GraphQLEnumType):
        return next(iter(graphql_type.values))
    assert isinstance(graphql_type, GraphQLInputObjectType)
    value = {}
    for name, field in graphql_type.fields.items():
        if isinstance(field.type, GraphQLNonNull) or (shape == "full" and depth < 3):
            value[name] = sample(field.type, shape, depth + 1)
        elif shape == "nulls":
            value[name] = None
    return value


def strawberrys(definition_type: type, value: Any) -> Any:
    definition = definition_type.__strawberry_definition__  # type: ignore[attr-defined]
    plan, definition.from_input = definition.from_input, None
    try:
        return convert_argument(value, definition_type, SCHEMA.schema_converter.scalar_registry,
                                SCHEMA.config)  # fmt: skip
    finally:
        definition.from_input = plan


@pytest.mark.parametrize("name", INPUT_TYPES)
@pytest.mark.parametrize("shape", ["full", "required", "nulls"])
def test_an_input_built_by_its_plan_equals_strawberrys_conversion(name: str, shape: str) -> None:
    graphql_type = SCHEMA._schema.type_map[name]
    assert isinstance(graphql_type, GraphQLInputObjectType)
    definition = SCHEMA.schema_converter.type_map[name].definition
    assert isinstance(definition.from_input, InputPlan)
    input_type = definition.origin
    value = coerce_input_value(sample(graphql_type, shape), graphql_type)

    planned = convert_argument(value, input_type, SCHEMA.schema_converter.scalar_registry,
                               SCHEMA.config)  # fmt: skip

    assert planned == strawberrys(input_type, value)
    assert repr(planned) == repr(strawberrys(input_type, value))
