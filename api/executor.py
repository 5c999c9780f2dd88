"""graphql-core's executor with a shorter way through plain fields.

Most of what a screen shows is plain fields: an attribute of the parent value (a reward's
`costPoints`) or a small method of it that needs nothing but the value (a badge's `name`),
shown as a scalar or an enum, or as an object whose own fields are executed next. graphql-core
runs each through the general machinery (a resolve info, strawberry's resolver wrapper with
its info object, argument conversion and extension chain, `complete_value`'s chain of type
checks), some 25 to 60 calls a field; a list of eight badges of fifteen fields pays that 120
times. `PlainFieldsExecutionContext.execute_field` gets such a field's value the way
strawberry would (the same `getattr`, the same method called with the parent value) and
completes it directly: the same `coerce_output_value`, or the same sub-selection.

A field takes the short way only when nothing else could run for it: no arguments, no field
extension (permissions included), no `info`, `root` or parent parameter, a resolver that is
not async, no directive on its nodes, no middleware in the request (a schema extension with a
`resolve` hook, the directives extension), no exception handler in the schema. A value that
does not complete without a question (None where it may not be, an exception, an awaitable, a
leaf that does not coerce, a list, an object type with `is_type_of`) is completed by
graphql-core's own `complete_value`, as is any error raised getting it: the answer and its
errors are graphql-core's. `tests/unit/test_plain_fields.py` (nulls, bad values, errors) and
`tests/api/test_plain_fields.py` (every contract operation) compare both ways.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
)
from graphql.pyutils import Path, Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

_DEFINITION = "strawberry-definition"


@dataclass(frozen=True, slots=True)
class PlainField:
    """How to get and complete a plain field without graphql-core's general path."""

    field_def: GraphQLField
    #: The parent value -> the field's value, as strawberry's resolver would get it.
    value_of: Callable[[Any], Any]
    nullable: bool
    #: The type its value completes as: a leaf (coerced) or an object (its selection run);
    #: neither: graphql-core's `complete_value` (a list, an object type with `is_type_of`).
    leaf: GraphQLScalarType | GraphQLEnumType | None
    object_type: GraphQLObjectType | None


def plain_field(
    parent_type: GraphQLObjectType, field_name: str, *, resolvers: bool = True
) -> PlainField | None:
    """The plan of `parent_type.field_name` when it is a plain field, else None. With
    `resolvers` off, only fields without a resolver (strawberry's default resolver) qualify."""
    field_def = parent_type.fields.get(field_name)
    if field_def is None or field_def.args:
        return None
    definition = (field_def.extensions or {}).get(_DEFINITION)
    if definition is None or definition.extensions:
        return None
    resolver = definition.base_resolver
    value_of: Callable[[Any], Any]
    if resolver is None:
        if not getattr(field_def.resolve, "_is_default", False):
            return None  # an exception handler runs for it
        read, name = definition.default_resolver, definition.python_name
        value_of = operator.attrgetter(name) if read is getattr else lambda s: read(s, name)
    else:
        if (
            not resolvers
            or resolver.is_async
            or resolver.arguments
            or resolver.info_parameter is not None
            or resolver.root_parameter is not None
            or resolver.parent_parameter is not None
            or not callable(resolver.wrapped_func)
        ):
            return None
        func = resolver.wrapped_func
        value_of = func if resolver.self_parameter is not None else lambda _: func()
    return_type = field_def.type
    nullable = not isinstance(return_type, GraphQLNonNull)
    inner = return_type if nullable else return_type.of_type
    leaf = inner if isinstance(inner, GraphQLScalarType | GraphQLEnumType) else None
    object_type = (
        inner if isinstance(inner, GraphQLObjectType) and inner.is_type_of is None else None
    )
    return PlainField(field_def, value_of, nullable, leaf, object_type)


_UNPLANNED = object()


class PlainFieldsExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """strawberry's execution context, completing plain fields directly (see the module)."""

    #: Off: every field goes graphql-core's usual way (tests compare both).
    plain_fields_enabled: ClassVar[bool] = True
    #: Whether fields with a (plain) resolver may take the short way: not when the schema
    #: has exception handlers, which strawberry's resolver wrapper applies.
    plain_resolvers: ClassVar[bool] = True
    #: Plans by (type name, field name), per schema: `plain_fields_context` gives each
    #: schema's class its own.
    field_plans: ClassVar[dict[tuple[str, str], PlainField | None]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        manager = self.middleware_manager
        #: A middleware wraps resolvers in this request: every field goes the usual way.
        self._middleware = manager is not None and bool(manager.middlewares)

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Path,
        position_context: Any,
    ) -> Any:
        name = field_details_list[0].node.name.value
        plan = self.field_plans.get((parent_type.name, name), _UNPLANNED)
        if plan is _UNPLANNED:
            plan = self.field_plans[(parent_type.name, name)] = plain_field(
                parent_type, name, resolvers=self.plain_resolvers
            )
        if not isinstance(plan, PlainField) or not self.plain_fields_enabled or self._middleware:
            return super().execute_field(
                parent_type, source, field_details_list, path, position_context
            )
        for details in field_details_list:
            if details.node.directives:
                return super().execute_field(
                    parent_type, source, field_details_list, path, position_context
                )
        try:
            value = plan.value_of(source)
        except Exception as raw_error:
            self.handle_field_error(raw_error, plan.field_def.type, field_details_list, path)
            return None
        if value is None:
            if plan.nullable:
                return None
        elif isinstance(value, Exception) or self.is_awaitable(value):
            pass
        elif plan.leaf is not None:
            try:
                coerced = plan.leaf.coerce_output_value(value)
            except Exception:
                coerced = None
            if coerced is not None and coerced is not Undefined:
                return coerced
        elif plan.object_type is not None:
            return self._complete_object(
                plan, plan.object_type, field_details_list, path, value, position_context
            )
        return self._complete_as_usual(
            parent_type, plan.field_def, field_details_list, path, value, position_context
        )

    def _complete_object(
        self,
        plan: PlainField,
        object_type: GraphQLObjectType,
        field_details_list: Any,
        path: Path,
        value: Any,
        position_context: Any,
    ) -> Any:
        """`complete_value` of an object type without `is_type_of`: its sub-selection, with
        `execute_field`'s error handling."""
        return_type = plan.field_def.type
        try:
            completed = self.collect_and_execute_subfields(
                object_type, field_details_list, path, value, position_context
            )
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None
        return self._guarded(completed, return_type, field_details_list, path)

    def _complete_as_usual(
        self,
        parent_type: GraphQLObjectType,
        field_def: GraphQLField,
        field_details_list: Any,
        path: Path,
        value: Any,
        position_context: Any,
    ) -> Any:
        """graphql-core's `execute_field` from the resolver's value on."""
        return_type = field_def.type
        info = self.build_resolve_info(
            field_def, [details.node for details in field_details_list], parent_type, path
        )
        try:
            if self.is_awaitable(value):
                return self.complete_awaitable_value(
                    return_type, field_details_list, info, path, value, position_context
                )
            completed = self.complete_value(
                return_type, field_details_list, info, path, value, position_context
            )
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None
        return self._guarded(completed, return_type, field_details_list, path)

    def _guarded(
        self, completed: Any, return_type: Any, field_details_list: Any, path: Path
    ) -> Any:
        """`completed`, or when it is awaitable, an awaitable that handles a field error as
        `execute_field` does (the value becomes null, the error is reported)."""
        if not self.is_awaitable(completed):
            return completed

        async def await_completed() -> Any:
            try:
                return await completed
            except Exception as raw_error:
                self.handle_field_error(raw_error, return_type, field_details_list, path)
                return None

        return await_completed()


def plain_fields_attributes(schema: Any) -> dict[str, Any]:
    """The class attributes a schema's own subclass needs: its plans, and whether its
    resolvers may take the short way (not with exception handlers)."""
    return {"field_plans": {}, "plain_resolvers": not getattr(schema, "exception_handlers", ())}
