"""Input objects built by a plan made once per type, instead of strawberry's generic walk.

strawberry turns an argument's value (graphql-core's coerced dict) into the input classes by
asking, for every field of every object at every request, what its type is: Optional, list,
scalar, enum, input, Maybe, GlobalID... (`strawberry.types.arguments.convert_argument`). For
`recordPurchase`'s input with two items that walk made about 875 Python calls a request, 14%
of the whole purchase. The answers never change for a type, so each input type gets a plan
when the schema is built (strawberry's `from_input` hook of its definition): per field, its
GraphQL name, its Python name and how to convert its value, decided on the first use.

A plan converts exactly as strawberry does: null stays None, an absent nullable field without
a default is None, scalars and enums pass as graphql-core coerced them, a list of them is
copied (graphql-core hands the same default list to every request), nested inputs by their own
plan. Whatever else a field holds (a GlobalID, a lazy type, an input building its own value)
goes to strawberry's own conversion, with its path. Types with a `Maybe` field keep
strawberry's walk entirely: its null check for them is skipped for types that build their own
value. `tests/unit/test_input_plans.py` requires the same values as strawberry's walk.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import strawberry
from strawberry.relay.types import GlobalID
from strawberry.scalars import is_scalar
from strawberry.types.arguments import InputContext, convert_argument
from strawberry.types.base import (
    StrawberryList,
    StrawberryMaybe,
    StrawberryObjectDefinition,
    StrawberryOptional,
    has_object_definition,
)
from strawberry.types.enum import StrawberryEnumDefinition, has_enum_definition
from strawberry.types.unset import UNSET

#: How one field's value becomes its Python value (never called with None or UNSET).
Convert = Callable[[Any, InputContext], Any]


def _as_given(value: Any, context: InputContext) -> Any:
    return value


def _copied(value: Any, context: InputContext) -> Any:
    return list(value)


class InputPlan:
    """The `from_input` of one input type: builds its class from graphql-core's dict."""

    def __init__(self, definition: StrawberryObjectDefinition) -> None:
        self.definition = definition
        self.fields: list[tuple[str, str, Convert]] | None = None
        #: Fields absent from the value that are None rather than their default.
        self.nones: dict[str, None] = {}
        #: Whether a field goes to strawberry's conversion, which is told where it is.
        self.needs_path = False

    def planned(self, context: InputContext) -> list[tuple[str, str, Convert]]:
        if self.fields is None:
            self.fields = self._plan(context)
        return self.fields

    def __call__(self, cls: type, value: Mapping[str, Any], context: InputContext) -> Any:
        fields = self.fields if self.fields is not None else self.planned(context)
        kwargs: dict[str, Any] = dict(self.nones)
        for graphql_name, python_name, convert in fields:
            if graphql_name in value:
                given = value[graphql_name]
                kwargs[python_name] = (
                    given if given is None or given is UNSET else convert(given, context)
                )
        return cls(**kwargs)

    def _plan(self, context: InputContext) -> list[tuple[str, str, Convert]]:
        definition = self.definition
        self.nones = {
            field.python_name: None
            for field in definition.fields
            if field.default_value is dataclasses.MISSING
            and field.default_factory is dataclasses.MISSING
        }
        fields = []
        for field in definition.fields:
            graphql_name = context.config.name_converter.from_field(field)
            type_ = field.resolve_type(type_definition=definition)
            fields.append(
                (graphql_name, field.python_name, self._converter(type_, graphql_name, context))
            )
        return fields

    def _converter(self, type_: Any, graphql_name: str, context: InputContext) -> Convert:
        registry = context.scalar_registry
        if isinstance(type_, StrawberryOptional) and not isinstance(type_, StrawberryMaybe):
            type_ = type_.of_type
        if _is_leaf(type_, registry):
            return _as_given
        if isinstance(type_, StrawberryList):
            item: Any = type_.of_type
            if isinstance(item, StrawberryOptional) and not isinstance(item, StrawberryMaybe):
                item = item.of_type
            if _is_leaf(item, registry):
                return _copied
            plan = _plan_of(item)
            if plan is not None:
                return _list_of(item, plan, graphql_name)
        else:
            plan = _plan_of(type_)
            if plan is not None:
                return _one(type_, plan, graphql_name)
        self.needs_path = True

        def strawberrys(value: Any, context: InputContext) -> Any:
            return convert_argument(
                value,
                type_,
                context.scalar_registry,
                context.config,
                context.info,
                path=(*context.path, graphql_name),
            )

        return strawberrys


def _is_leaf(type_: Any, registry: Mapping[object, Any]) -> bool:
    """A scalar or an enum, which strawberry passes on as graphql-core coerced it."""
    if type_ is GlobalID:
        return False
    return (
        isinstance(type_, StrawberryEnumDefinition)
        or has_enum_definition(type_)
        or is_scalar(type_, registry)
    )


def _plan_of(type_: Any) -> InputPlan | None:
    if not has_object_definition(type_):
        return None
    plan = type_.__strawberry_definition__.from_input
    return plan if isinstance(plan, InputPlan) else None


def _within(context: InputContext, *keys: str | int) -> InputContext:
    return InputContext(
        info=context.info,
        config=context.config,
        scalar_registry=context.scalar_registry,
        path=(*context.path, *keys),
    )


def _one(cls: type, plan: InputPlan, graphql_name: str) -> Convert:
    def nested(value: Any, context: InputContext) -> Any:
        plan.planned(context)
        return plan(cls, value, _within(context, graphql_name) if plan.needs_path else context)

    return nested


def _list_of(cls: type, plan: InputPlan, graphql_name: str) -> Convert:
    def items(value: Any, context: InputContext) -> list[Any]:
        plan.planned(context)
        if plan.needs_path:
            return [
                None if item is None else plan(cls, item, _within(context, graphql_name, index))
                for index, item in enumerate(value)
            ]
        return [None if item is None else plan(cls, item, context) for item in value]

    return items


def plan_inputs(schema: strawberry.Schema) -> None:
    """Gives every input type of `schema` that has no `from_input` of its own and no `Maybe`
    field its plan (idempotent: schemas built again share the types)."""
    for concrete in schema.schema_converter.type_map.values():
        definition = concrete.definition
        if (
            isinstance(definition, StrawberryObjectDefinition)
            and definition.is_input
            and not definition.is_graphql_generic
            and not definition.type_var_map
            and not any(isinstance(f.type, StrawberryMaybe) for f in definition.fields)
            and (definition.from_input is None or isinstance(definition.from_input, InputPlan))
        ):
            definition.from_input = InputPlan(definition)
