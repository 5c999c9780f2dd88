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
`execute_fields` does so in its loop, with a plan per field set made once per request (a
list's items share one field set), and a leaf that a built-in scalar shows as it is (a str
for String, a finite float...) is taken without a call, as is a strawberry enum's member, by
the name its coercion gives it (worked out once per type: that coercion scans the type's
values for each value shown, 10 to 35 calls for a userError's code); a list's items of an object type run
their sub-selection without `complete_value`'s chain. A plain list of leaves or of such
objects (a payload's `userErrors`, an error's `field`) is completed item by item without a
resolve info or graphql-core's list machinery, unless an item would need a question (then
graphql-core's `complete_list_value` completes it all, from the start).

A field takes the short way only when nothing else could run for it: no field extension
(permissions included), no `info`, `root` or parent parameter, a resolver that is not async,
no directive on its nodes, no middleware in the request (a schema extension with a `resolve`
hook, the directives extension), no exception handler in the schema; and no arguments but of
the built-in scalars (`Int`, `Float`, `String`, `Boolean`, `ID`, null or not), whose values
strawberry passes to the resolver as graphql-core coerced them (`get_argument_values`, as
graphql-core's `execute_field` calls it), by their Python names (a board's
`aroundMe(radius:)`). A value that
does not complete without a question (None where it may not be, an exception, an awaitable, a
leaf that does not coerce, a list itself, an object type with `is_type_of`) is completed by
graphql-core's own `complete_value`, as is any error raised getting it: the answer and its
errors are graphql-core's. `tests/unit/test_plain_fields.py` (nulls, bad values, errors) and
`tests/api/test_plain_fields.py` (every contract operation) compare both ways.
"""

from __future__ import annotations

import operator
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import GeneratorType
from typing import Any, ClassVar, TypeGuard

import strawberry
from graphql import (
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLField,
    GraphQLFloat,
    GraphQLID,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLString,
    OperationType,
)
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path, Undefined
from graphql.pyutils.gather_with_cancel import gather_with_cancel
from strawberry.execution import optimized_is_awaitable
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import CustomGraphQLEnumType
from strawberry.types.base import StrawberryMaybe, StrawberryOptional

from api.operation_plans import OperationPlan, OperationPlans

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
    #: The Python type whose values a built-in scalar shows as they are (`str` for String
    #: and ID, `bool`, `float` when finite, `int` within 32 bits), as its coercion returns
    #: them; None: every value goes through `coerce_output_value`.
    same: type | None = None
    #: A list of leaves or of objects (one level, no `is_type_of`): its items' type, completed
    #: as `leaf`, `object_type` and `same` are for a field; neither: graphql-core's way.
    item: ListItem | None = None
    #: A strawberry enum's Python class and, by member name, what its coercion shows for the
    #: member (`enum_names`); None for other leaves.
    enum: type | None = None
    names: dict[str, str] | None = None
    #: The field's arguments (GraphQL name, Python name), all of built-in scalars: the value
    #: is then `call(parent value, the arguments given, by Python name)`, not `value_of`.
    arguments: tuple[tuple[str, str], ...] = ()
    call: Callable[[Any, dict[str, Any]], Any] | None = None


@dataclass(frozen=True, slots=True)
class ListItem:
    """How a plain list's items complete (see `PlainField.item`)."""

    item_type: Any
    nullable: bool
    leaf: GraphQLScalarType | GraphQLEnumType | None
    object_type: GraphQLObjectType | None
    same: type | None
    enum: type | None = None
    names: dict[str, str] | None = None


_ENUM_COERCION = CustomGraphQLEnumType.coerce_output_value


def enum_names(leaf: Any) -> tuple[type | None, dict[str, str] | None]:
    """For a strawberry enum type (its own `coerce_output_value`): its Python class and, by
    member name, the GraphQL name that coercion returns for the member (the first value equal
    to the member's, as its scan finds it), worked out once instead of a scan of the values
    for every value shown. (None, None) for any other leaf."""
    if getattr(type(leaf), "coerce_output_value", None) is not _ENUM_COERCION:
        return None, None
    names: dict[str, str] = {}
    for member in leaf.wrapped_cls:
        for name, value in leaf.values.items():
            if member.value == value.value:
                names[member._name_] = name
                break
    return leaf.wrapped_cls, names


def plain_field(
    parent_type: GraphQLObjectType, field_name: str, *, resolvers: bool = True
) -> PlainField | None:
    """The plan of `parent_type.field_name` when it is a plain field, else None. With
    `resolvers` off, only fields without a resolver (strawberry's default resolver) qualify."""
    field_def = parent_type.fields.get(field_name)
    if field_def is None:
        return None
    definition = (field_def.extensions or {}).get(_DEFINITION)
    if definition is None or definition.extensions:
        return None
    arguments = _plain_arguments(field_def)
    if arguments is None:
        return None
    resolver = definition.base_resolver
    value_of: Callable[[Any], Any]
    call: Callable[[Any, dict[str, Any]], Any] | None = None
    if resolver is None:
        if arguments or not getattr(field_def.resolve, "_is_default", False):
            return None  # an exception handler runs for it
        read, name = definition.default_resolver, definition.python_name
        value_of = operator.attrgetter(name) if read is getattr else lambda s: read(s, name)
    else:
        if (
            not resolvers
            or resolver.is_async
            or len(resolver.arguments) != len(arguments)
            or resolver.info_parameter is not None
            or resolver.root_parameter is not None
            or resolver.parent_parameter is not None
            or not callable(resolver.wrapped_func)
        ):
            return None
        func = resolver.wrapped_func
        value_of = func if resolver.self_parameter is not None else lambda _: func()
        if arguments:
            if resolver.self_parameter is not None:
                call = lambda source, kwargs: func(source, **kwargs)  # noqa: E731
            else:
                call = lambda _, kwargs: func(**kwargs)  # noqa: E731
    return_type = field_def.type
    nullable = not isinstance(return_type, GraphQLNonNull)
    inner = return_type if nullable else return_type.of_type
    leaf = inner if isinstance(inner, GraphQLScalarType | GraphQLEnumType) else None
    object_type = _plain_object(inner)
    item = _list_item(inner.of_type) if isinstance(inner, GraphQLList) else None
    return PlainField(
        field_def,
        value_of,
        nullable,
        leaf,
        object_type,
        _SAME.get(leaf),
        item,
        *enum_names(leaf),
        arguments=arguments,
        call=call,
    )


#: The Python types of the arguments strawberry passes to a resolver as graphql-core coerced
#: them (`convert_argument` returns a leaf's value as it is), by the built-in scalar that
#: coerces them.
_PLAIN_ARGUMENTS: dict[Any, tuple[Any, ...]] = {
    GraphQLInt: (int,),
    GraphQLFloat: (float,),
    GraphQLString: (str,),
    GraphQLBoolean: (bool,),
    GraphQLID: (strawberry.ID,),
}


def _plain_arguments(field_def: GraphQLField) -> tuple[tuple[str, str], ...] | None:
    """The field's arguments as (GraphQL name, Python name) when each is of a built-in
    scalar, null or not (strawberry's `Maybe` is not: it wraps the value), else None."""
    arguments = []
    for name, argument in field_def.args.items():
        definition = (argument.extensions or {}).get(_DEFINITION)
        graphql_type = argument.type
        if isinstance(graphql_type, GraphQLNonNull):
            graphql_type = graphql_type.of_type
        python_types = _PLAIN_ARGUMENTS.get(graphql_type)
        if definition is None or python_types is None or definition.is_maybe:
            return None
        python_type = definition.type
        if isinstance(python_type, StrawberryMaybe):
            return None
        if isinstance(python_type, StrawberryOptional):
            python_type = python_type.of_type
        if python_type not in python_types:
            return None
        arguments.append((name, definition.python_name))
    return tuple(arguments)


def _plain_object(graphql_type: Any) -> GraphQLObjectType | None:
    """The object type whose values complete by their sub-selection alone (no `is_type_of`)."""
    if isinstance(graphql_type, GraphQLObjectType) and graphql_type.is_type_of is None:
        return graphql_type
    return None


def _list_item(item_type: Any) -> ListItem | None:
    nullable = not isinstance(item_type, GraphQLNonNull)
    inner = item_type if nullable else item_type.of_type
    leaf = inner if isinstance(inner, GraphQLScalarType | GraphQLEnumType) else None
    object_type = _plain_object(inner)
    if leaf is None and object_type is None:
        return None  # a list of lists, of interfaces or unions: graphql-core's way
    return ListItem(item_type, nullable, leaf, object_type, _SAME.get(leaf), *enum_names(leaf))


#: graphql-core's built-in scalars and the type of the values their coercion returns as they
#: are (`serialize_string`, `serialize_id`, `serialize_boolean`; `serialize_float` for a finite
#: float, `serialize_int` for an int within 32 bits: `execute_fields` checks those bounds).
_SAME: dict[Any, type] = {
    GraphQLString: str,
    GraphQLID: str,
    GraphQLBoolean: bool,
    GraphQLFloat: float,
    GraphQLInt: int,
}
_MIN_INT, _MAX_INT = -(2**31), 2**31 - 1


_UNPLANNED: Any = object()

#: Types whose values strawberry's `optimized_is_awaitable` found not awaitable: whether a
#: value can be awaited is its type's (the `await` protocol is looked up on the type), but
#: for a generator (a `types.coroutine` one can be) and a type answering attributes itself.
_NOT_AWAITABLE: set[type] = set()
_MAX_NOT_AWAITABLE = 4_096


def is_awaitable(value: Any) -> TypeGuard[Awaitable[Any]]:
    """strawberry's `optimized_is_awaitable`, answered by the value's type once that type was
    found not awaitable: the objects a screen completes (badges, progress, rules) are asked
    about at every level, three to four checks each."""
    kind = type(value)
    if kind in _NOT_AWAITABLE:
        return False
    if optimized_is_awaitable(value):
        return True
    if (
        not issubclass(kind, GeneratorType)
        and getattr(kind, "__getattr__", None) is None
        and len(_NOT_AWAITABLE) < _MAX_NOT_AWAITABLE
    ):
        _NOT_AWAITABLE.add(kind)
    return False


#: A field set's plan: per response name, its nodes and its plain plan (None: the usual way).
FieldSetPlan = list[tuple[str, Any, PlainField | None]]


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
    #: The fields each operation collects, shared by its executions (api.operation_plans),
    #: per schema like `field_plans`; off: collected per request, as graphql-core does.
    operation_plans: ClassVar[OperationPlans | None] = None
    #: Above this many kept subfield sets an operation's plan starts over (a bound on what
    #: one plan may hold; an operation of the app's has a few dozen).
    max_shared_subfields: ClassVar[int] = 2_000

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.is_awaitable is optimized_is_awaitable:
            self.is_awaitable = is_awaitable
        manager = self.middleware_manager
        #: A middleware wraps resolvers in this request: every field goes the usual way.
        self._middleware = manager is not None and bool(manager.middlewares)
        self._short = self.plain_fields_enabled and not self._middleware
        #: id(field set) -> (the field set, its parent type, its plan), once per request:
        #: graphql-core collects a list's subfields once, so every item shares one field set.
        self._field_set_plans: dict[int, tuple[Any, GraphQLObjectType, FieldSetPlan]] = {}
        #: A list's item type -> the object type its items complete as (None: the usual way).
        self._item_objects: dict[Any, GraphQLObjectType | None] = {}
        self._operation_plan = self._shared_plan()

    def _shared_plan(self) -> OperationPlan | None:
        """The plan this execution shares with the other executions of its operation (a
        query or a mutation: a subscription collects its root per event), its collections
        and field set plans put in place of this execution's own; None: nothing shared."""
        plans = self.operation_plans
        if plans is None or self.operation.operation is OperationType.SUBSCRIPTION:
            return None
        plan = plans.plan(self.operation, self.fragments)
        if plan is None:
            return None
        if len(plan.sub_fields) > self.max_shared_subfields:
            plan.sub_fields, plan.field_set_plans, plan.fragment_plans = {}, {}, {}
        self._relevant_sub_fields = plan.sub_fields
        self._field_set_plans = plan.field_set_plans
        return plan

    def execute_collected_root_fields(
        self,
        root_type: GraphQLObjectType,
        root_value: Any,
        grouped_field_set: Any,
        serially: bool,
        new_defer_usages: Any,
    ) -> Any:
        """graphql-core's, with the root's field set of the operation's first execution when
        the operation shares its plan: its field lists are the keys of the shared subfields."""
        plan = self._operation_plan
        if plan is not None and not new_defer_usages:
            if plan.root is None:
                plan.root = grouped_field_set
            else:
                grouped_field_set = plan.root
        return super().execute_collected_root_fields(
            root_type, root_value, grouped_field_set, serially, new_defer_usages
        )

    def plan_of(self, parent_type: GraphQLObjectType, name: str) -> PlainField | None:
        """The plain plan of `parent_type.name`, worked out once per schema (`plan_field`);
        None: the field goes graphql-core's usual way (a subclass may refuse more in
        `plan_field`, as the fragment cache does for its hinted fields)."""
        plan: PlainField | None = self.field_plans.get((parent_type.name, name), _UNPLANNED)
        if plan is _UNPLANNED:
            plan = self.field_plans[(parent_type.name, name)] = self.plan_field(parent_type, name)
        return plan

    @classmethod
    def plan_field(cls, parent_type: GraphQLObjectType, name: str) -> PlainField | None:
        """`plan_of`'s answer, worked out (once per schema: `plan_of` keeps it)."""
        return plain_field(parent_type, name, resolvers=cls.plain_resolvers)

    def _field_set_plan(
        self, parent_type: GraphQLObjectType, grouped_field_set: Any
    ) -> FieldSetPlan:
        """Each field of the set with its plain plan, or None where a directive sits on one
        of its nodes or the field has no plan."""
        kept = self._field_set_plans.get(id(grouped_field_set))
        # the field set is kept with its plan, so that its id is not reused meanwhile
        if kept is not None and kept[0] is grouped_field_set and kept[1] is parent_type:
            return kept[2]
        plan: FieldSetPlan = []
        for response_name, field_details_list in grouped_field_set.items():
            field = self.plan_of(parent_type, field_details_list[0].node.name.value)
            if field is not None:
                for details in field_details_list:  # a loop, not `any()`: no generator a field
                    if details.node.directives:
                        field = None
                        break
            plan.append((response_name, field_details_list, field))
        self._field_set_plans[id(grouped_field_set)] = (grouped_field_set, parent_type, plan)
        return plan

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: Any,
        position_context: Any,
    ) -> Any:
        """graphql-core's `execute_fields`, with each plain field's value taken in the loop:
        a leaf shown as it is, or a null where one may be, needs neither a path nor a call
        into `execute_field`; anything else is completed as `execute_field` completes it."""
        if not self._short or path is None:  # the root's fields have resolvers of their own
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        try:
            for response_name, field_details_list, field in self._field_set_plan(
                parent_type, grouped_field_set
            ):
                if field is None:
                    result = self.execute_field(
                        parent_type,
                        source_value,
                        field_details_list,
                        Path(path, response_name, parent_type.name),
                        position_context,
                    )
                    if result is Undefined:
                        continue
                else:
                    value: Any
                    try:
                        value = (
                            field.value_of(source_value)
                            if field.call is None
                            else self._called(field, source_value, field_details_list)
                        )
                    except Exception as raw_error:
                        field_path = Path(path, response_name, parent_type.name)
                        self.handle_field_error(
                            raw_error, field.field_def.type, field_details_list, field_path
                        )
                        results[response_name] = None
                        continue
                    if value is None and field.nullable:
                        results[response_name] = None
                        continue
                    kind = type(value)
                    if kind is field.same and (
                        kind is str
                        or kind is bool
                        or (kind is float and value - value == 0.0)  # finite
                        or (kind is int and _MIN_INT <= value <= _MAX_INT)
                    ):
                        results[response_name] = value  # what its coercion returns
                        continue
                    names = field.names
                    if names is not None and kind is field.enum and value._name_ in names:
                        results[response_name] = names[value._name_]  # what its coercion returns
                        continue
                    result = self._complete_plain(
                        field,
                        parent_type,
                        field_details_list,
                        Path(path, response_name, parent_type.name),
                        value,
                        position_context,
                    )
                results[response_name] = result
                # a completed object (a dict) is never awaitable: the common case asks nothing
                if type(result) is not dict and is_awaitable(result):
                    awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[field] for field in awaitable_fields])
            raise
        if not awaitable_fields:
            return results

        async def get_results() -> dict[str, Any]:
            if len(awaitable_fields) == 1:
                field = awaitable_fields[0]
                results[field] = await results[field]
            else:
                awaited = await gather_with_cancel(*(results[f] for f in awaitable_fields))
                results.update(zip(awaitable_fields, awaited, strict=True))
            return results

        return get_results()

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Path,
        position_context: Any,
    ) -> Any:
        plan = self.plan_of(parent_type, field_details_list[0].node.name.value)
        if plan is None or not self._short:
            return super().execute_field(
                parent_type, source, field_details_list, path, position_context
            )
        for details in field_details_list:
            if details.node.directives:
                return super().execute_field(
                    parent_type, source, field_details_list, path, position_context
                )
        try:
            value = (
                plan.value_of(source)
                if plan.call is None
                else self._called(plan, source, field_details_list)
            )
        except Exception as raw_error:
            self.handle_field_error(raw_error, plan.field_def.type, field_details_list, path)
            return None
        return self._complete_plain(
            plan, parent_type, field_details_list, path, value, position_context
        )

    def _called(self, plan: PlainField, source: Any, field_details_list: Any) -> Any:
        """The value of a plain field with arguments: its resolver called with the arguments
        given (and their defaults), coerced as graphql-core's `execute_field` coerces them,
        by their Python names (strawberry's `convert_argument` leaves built-in scalars as
        they are)."""
        assert plan.call is not None
        details = field_details_list[0]
        given = get_argument_values(
            plan.field_def,
            details.node,
            self.variable_values,
            details.fragment_variable_values,
            self.hide_suggestions,
        )
        kwargs = {python: given[name] for name, python in plan.arguments if name in given}
        return plan.call(source, kwargs)

    def _complete_plain(
        self,
        plan: PlainField,
        parent_type: GraphQLObjectType,
        field_details_list: Any,
        path: Path,
        value: Any,
        position_context: Any,
    ) -> Any:
        """A plain field's `value` completed as graphql-core's `complete_value` completes it."""
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
                plan.field_def.type, plan.object_type, field_details_list, path, value,
                position_context,
            )  # fmt: skip
        elif plan.item is not None and type(value) is list:
            completed = self._complete_plain_list(
                plan.item, plan.field_def.type, field_details_list, path, value, position_context
            )
            if completed is not _UNPLANNED:
                return completed
        return self._complete_as_usual(
            parent_type, plan.field_def, field_details_list, path, value, position_context
        )

    def _complete_plain_list(
        self,
        item: ListItem,
        return_type: Any,
        field_details_list: Any,
        path: Path,
        value: list[Any],
        position_context: Any,
    ) -> Any:
        """A plain list completed as graphql-core's `complete_iterable_value` completes it,
        without a resolve info or `complete_value`'s chain per item. Only items that complete
        without a question: with a null where none may be, an exception, an awaitable or a
        leaf that does not coerce, nothing is done here (`_UNPLANNED`: graphql-core's way
        from the start, so the answer and its errors are its own)."""
        is_awaitable = self.is_awaitable
        if item.leaf is not None:
            leaves: list[Any] = []
            same, leaf, names = item.same, item.leaf, item.names
            for entry in value:
                if entry is None:
                    if not item.nullable:
                        return _UNPLANNED
                    leaves.append(None)
                    continue
                kind = type(entry)
                if kind is same and (
                    kind is str
                    or kind is bool
                    or (kind is float and entry - entry == 0.0)  # finite
                    or (kind is int and _MIN_INT <= entry <= _MAX_INT)
                ):
                    leaves.append(entry)
                    continue
                if names is not None and kind is item.enum and entry._name_ in names:
                    leaves.append(names[entry._name_])  # what its coercion returns
                    continue
                if isinstance(entry, Exception) or is_awaitable(entry):
                    return _UNPLANNED
                try:
                    coerced = leaf.coerce_output_value(entry)
                except Exception:
                    return _UNPLANNED
                if coerced is None or coerced is Undefined:
                    return _UNPLANNED
                leaves.append(coerced)
            return leaves
        object_type = item.object_type
        assert object_type is not None
        for entry in value:
            if entry is None or isinstance(entry, Exception) or is_awaitable(entry):
                return _UNPLANNED
        completed: list[Any] = []
        awaitable_indices: list[int] = []
        try:
            for index, entry in enumerate(value):
                result = self._complete_object(
                    item.item_type, object_type, field_details_list, path.add_key(index, None),
                    entry, position_context,
                )  # fmt: skip
                completed.append(result)
                if type(result) is not dict and is_awaitable(result):
                    awaitable_indices.append(index)
        except Exception as raw_error:  # a non-null item's error reaches the list
            if awaitable_indices:
                self.settle_in_background([completed[index] for index in awaitable_indices])
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None
        if not awaitable_indices:
            return completed

        async def get_completed() -> list[Any]:
            awaited = await gather_with_cancel(*(completed[i] for i in awaitable_indices))
            for index, result in zip(awaitable_indices, awaited, strict=True):
                completed[index] = result
            return completed

        return self._guarded(get_completed(), return_type, field_details_list, path)

    def complete_list_item_value(
        self,
        item: Any,
        complete_results: list[Any],
        item_type: Any,
        field_details_list: Any,
        info: Any,
        item_path: Path,
        position_context: Any,
    ) -> bool:
        """graphql-core's, with an item of an object type (no `is_type_of`) completed by its
        sub-selection at once, skipping `complete_value`'s chain of type checks; a null, an
        error or any other type goes the usual way."""
        object_type = self._item_objects.get(item_type, _UNPLANNED)
        if object_type is _UNPLANNED:
            inner = item_type.of_type if isinstance(item_type, GraphQLNonNull) else item_type
            object_type = self._item_objects[item_type] = (
                inner if isinstance(inner, GraphQLObjectType) and inner.is_type_of is None else None
            )
        if object_type is None or not self._short or item is None or isinstance(item, Exception):
            return super().complete_list_item_value(
                item, complete_results, item_type, field_details_list, info, item_path,
                position_context,
            )  # fmt: skip
        completed = self._complete_object(
            item_type, object_type, field_details_list, item_path, item, position_context
        )
        complete_results.append(completed)
        return type(completed) is not dict and self.is_awaitable(completed)

    def _complete_object(
        self,
        return_type: Any,
        object_type: GraphQLObjectType,
        field_details_list: Any,
        path: Path,
        value: Any,
        position_context: Any,
    ) -> Any:
        """`complete_value` of an object type without `is_type_of`: its sub-selection, with
        `execute_field`'s error handling."""
        try:
            grouped_field_set, new_defer_usages, _ = self.collect_subfields(
                object_type, field_details_list
            )
            if new_defer_usages or position_context is not None:
                completed = self.execute_collected_subfields(
                    object_type, value, path, grouped_field_set, new_defer_usages,
                    position_context,
                )  # fmt: skip
            else:  # what `execute_collected_subfields` does without deferred parts
                completed = self.execute_fields(
                    object_type, value, path, grouped_field_set, position_context
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
        if type(completed) is dict or not self.is_awaitable(completed):
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
    return {
        "field_plans": {},
        "plain_resolvers": not getattr(schema, "exception_handlers", ()),
        "operation_plans": OperationPlans(),
    }
