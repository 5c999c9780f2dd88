"""A fragment cache: the completed answers of public subtrees, kept per process.

What many callers read alike (a board's top page, a catalogue's own fields) is executed once
per change and then served from memory. A field opts in with `cache_hint` in its strawberry
metadata, naming how long its answer may be kept (`max_age`) and what identifies the data
behind it (`key`, from the field's parent value and the request's context: a board's key,
the version of a catalogue). Only public fields may opt in: nothing under a cached field may
depend on who asks (graphql-ruby's `cache_fragment` and Apollo's `@cacheControl(scope:
PUBLIC)` are the models).

The cache sits in graphql-core's executor (`CachingExecutionContext.execute_field`, given to
strawberry as its `execution_context_class`): a hit returns the subtree as graphql-core
completed it before, so no resolver and no field completion runs; a miss executes the field as
usual and keeps the result when no error occurred under it. A key holds everything the answer
depends on: the field, the data's key, the selection under the field (its place in the
document, whose text is part of the key) and the operation's variables.
"""

from __future__ import annotations

import operator
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any, cast

import strawberry
from graphql import GraphQLObjectType, GraphQLSchema, OperationType
from graphql.pyutils import Path

from api.executor import PlainField, PlainFieldsExecutionContext, plain_fields_attributes

METADATA_KEY = "fidelio.cache"
_DEFINITION = "strawberry-definition"


@dataclass(frozen=True, slots=True)
class CacheHint:
    """How a field's completed subtree may be kept."""

    #: Seconds a completed answer may be served after its execution began.
    max_age: float
    #: (parent value, context) -> what identifies the data behind the answer, including its
    #: version; None (or an awaitable of None) when this answer must not be kept.
    key: Callable[[Any, Any], Hashable | Awaitable[Hashable] | None]


def cache_hint(
    max_age: float, key: Callable[[Any, Any], Hashable | Awaitable[Hashable] | None]
) -> dict[str, CacheHint]:
    """Metadata for `strawberry.field(metadata=...)`: keep this public field's answer."""
    if max_age <= 0:
        raise ValueError("max_age must be positive")
    return {METADATA_KEY: CacheHint(max_age, key)}


class FragmentStore:
    """Completed subtrees by key, each until its deadline; when full, the least recently used
    go first (so many short-lived entries, a busy board's rows, do not push out the
    catalogues every screen reads). One per process (the runtime holds it)."""

    def __init__(self, max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic):
        self.max_entries = max_entries
        self.clock = clock
        self._entries: dict[Hashable, tuple[float, Any]] = {}
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> tuple[bool, Any]:
        entry = self._entries.get(key)
        if entry is not None:
            if entry[0] > self.clock():
                self.hits += 1
                del self._entries[key]
                self._entries[key] = entry  # the most recently used last
                return True, entry[1]
            del self._entries[key]
        self.misses += 1
        return False, None

    def put(self, key: Hashable, value: Any, deadline: float) -> None:
        if deadline <= self.clock():
            return
        self._entries.pop(key, None)
        while len(self._entries) >= self.max_entries:
            del self._entries[next(iter(self._entries))]
        self._entries[key] = (deadline, value)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


@dataclass(frozen=True, slots=True)
class ObjectHint:
    """How the shared fields of an object type may be kept: all its fields but `private`
    ones (GraphQL names), which are executed for every request and merged in."""

    max_age: float
    #: None: the values of the type's plain fields (every shared field must be one).
    key: Callable[[Any, Any], Hashable | None] | None
    private: frozenset[str]


OBJECT_ATTRIBUTE = "__fidelio_cache__"
_UNREAD: Any = object()


def cached_object(
    key: Callable[[Any, Any], Hashable | None] | None = None,
    *,
    private: frozenset[str] = frozenset(),
    max_age: float = 60.0,
) -> Callable[[type], type]:
    """Class decorator (put it above `@strawberry.type`): keep the completed shared fields of
    this type's objects under `key(value, context)`, which must say everything those fields
    show (the values themselves, or an id with the version of the data). Without `key`, the
    values of the type's plain fields are the key, and a shared field with a resolver is
    refused when the schema is built. `private` names the fields (GraphQL names) that depend
    on who asks: those run on every request."""
    if max_age <= 0:
        raise ValueError("max_age must be positive")

    def mark(cls: type) -> type:
        setattr(cls, OBJECT_ATTRIBUTE, ObjectHint(max_age, key, frozenset(private)))
        return cls

    return mark


def object_hints_of(schema: GraphQLSchema) -> dict[str, ObjectHint]:
    """Every object type of `schema` marked with `cached_object`, by type name."""
    hints: dict[str, ObjectHint] = {}
    for graphql_type in schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType):
            continue
        definition = (graphql_type.extensions or {}).get(_DEFINITION)
        hint = getattr(getattr(definition, "origin", None), OBJECT_ATTRIBUTE, None)
        if isinstance(hint, ObjectHint):
            unknown = hint.private - set(graphql_type.fields)
            if unknown:
                raise ValueError(f"{graphql_type.name} has no fields {sorted(unknown)}")
            if hint.key is None:
                hint = ObjectHint(hint.max_age, _plain_values(graphql_type, hint), hint.private)
            hints[graphql_type.name] = hint
    return hints


def _plain_values(graphql_type: GraphQLObjectType, hint: ObjectHint) -> Callable[[Any, Any], Any]:
    """A key of the values of every shared field, each a plain attribute of the value."""
    names = []
    for name, field in graphql_type.fields.items():
        if name in hint.private:
            continue
        definition = (field.extensions or {}).get(_DEFINITION)
        if definition is None or getattr(definition, "base_resolver", None) is not None:
            raise ValueError(
                f"{graphql_type.name}.{name} has a resolver: mark it private or give a key"
            )
        names.append(definition.python_name)
    read = operator.attrgetter(*names)
    return lambda value, _: read(value)


def hints_of(schema: GraphQLSchema) -> dict[tuple[str, str], CacheHint]:
    """Every field of `schema` that opted in, by (type name, field name)."""
    hints: dict[tuple[str, str], CacheHint] = {}
    for graphql_type in schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType):
            continue
        for name, field in graphql_type.fields.items():
            definition = (field.extensions or {}).get(_DEFINITION)
            hint = getattr(definition, "metadata", {}).get(METADATA_KEY)
            if isinstance(hint, CacheHint):
                hints[(graphql_type.name, name)] = hint
    return hints


class CachingExecutionContext(PlainFieldsExecutionContext):
    """strawberry's execution context, with the fragment cache in front of hinted fields.

    The hints come from the schema (`hints_of`, set on a subclass by `caching_context`); the
    store and whether a request may read it come from the request's context: its
    `fragments` (a FragmentStore) and `fresh_fragments` (True: execute, then keep).
    """

    cache_hints: dict[tuple[str, str], CacheHint] = {}
    object_hints: dict[str, ObjectHint] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: id(field set or field list) -> (it, its plan): for a field set of a hinted
        #: object, its shared fields, where they sit in the document (`_spans`) and its
        #: private part; for a hinted field's field list, where it sits. Shared by the
        #: executions of the operation when they share its collected fields (whose field
        #: sets and lists are then the same objects), else this execution's own.
        plan = self._operation_plan
        self._shared_plans: dict[int, Any] = plan.fragment_plans if plan is not None else {}
        self._store: Any = _UNREAD
        self._fresh = False
        #: The operation's variables as part of a key, worked out once (`_variables`).
        self._frozen: str | None = None
        #: id(field set) -> (the field set, its shared fields, their selection with this
        #: execution's variables, its private part), once per execution.
        self._selections: dict[int, tuple[Any, list[str], Hashable | None, dict[str, Any]]] = {}

    def execute_operation(self, *args: Any, **kwargs: Any) -> Any:
        """Note on the request's context that the operation runs (the document parsed and
        validated and the variables coerced: graphql-core builds this executor only then; the
        view answers errors before this point as request errors, api.media_type) and whether
        it is a mutation (`Context.require` refuses read-only principals then), before any
        resolver runs."""
        context = self.context_value
        if hasattr(context, "operation_started"):
            context.operation_started = True
            context.in_mutation = self.operation.operation == OperationType.MUTATION
        return super().execute_operation(*args, **kwargs)

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: dict[str, Any],
        position_context: Any,
    ) -> Any:
        hint = self.object_hints.get(parent_type.name)
        # the store is looked up only for hinted types: most fields have no hint
        store = None if hint is None else self._fragment_store()
        if hint is None or store is None or path is None:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        shared, selection, private = self._shared_selection(grouped_field_set, hint)
        assert hint.key is not None  # object_hints_of gives every hint a key
        data_key = hint.key(source_value, self.context_value) if selection is not None else None
        if data_key is None:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        key = (parent_type.name, data_key, selection)
        if not self._fresh:
            found, kept = store.get(key)
            if found:
                # what was kept is every shared field but one that answered nothing
                rest = (
                    private
                    if len(kept) == len(shared)
                    else {n: d for n, d in grouped_field_set.items() if n not in kept}
                )
                if not rest:
                    return dict(kept)
                own = super().execute_fields(
                    parent_type, source_value, path, rest, position_context
                )
                if type(own) is not dict and self.is_awaitable(own):

                    async def merge_when_done() -> dict[str, Any]:
                        values = await own
                        return {n: kept[n] if n in kept else values[n] for n in grouped_field_set}

                    return merge_when_done()
                values: dict[str, Any] = own
                return {n: kept[n] if n in kept else values[n] for n in grouped_field_set}
        deadline = store.clock() + hint.max_age
        result = super().execute_fields(
            parent_type, source_value, path, grouped_field_set, position_context
        )

        def keep(values: dict[str, Any]) -> None:
            if self._clean(path, shared):
                store.put(key, {n: values[n] for n in shared if n in values}, deadline)

        if self.is_awaitable(result):

            async def keep_when_done() -> dict[str, Any]:
                values: dict[str, Any] = await result
                keep(values)
                return values

            return keep_when_done()
        keep(cast(dict[str, Any], result))
        return result

    def _shared_selection(
        self, grouped_field_set: dict[str, Any], hint: ObjectHint
    ) -> tuple[list[str], Hashable | None, dict[str, Any]]:
        """The shared fields asked of a hinted object, their `_selection`, and the private
        part of the field set (executed on a hit), worked out once per field set in the
        request: every item of a list has the same (graphql-core collects a list's subfields
        once), so a page of badges or rewards pays for it once, and the executor's plan of
        the private part (api.executor) is made once too."""
        mine = self._selections.get(id(grouped_field_set))
        if mine is not None and mine[0] is grouped_field_set:
            return mine[1], mine[2], mine[3]
        plans = self._shared_plans
        plan = plans.get(id(grouped_field_set))
        # the field set is kept with its plan, so that its id is not reused meanwhile
        if plan is None or plan[0] is not grouped_field_set:
            shared = [
                name
                for name, details in grouped_field_set.items()
                if details[0].node.name.value not in hint.private
            ]
            spans = (
                self._spans([d for name in shared for d in grouped_field_set[name]])
                if shared
                else None
            )
            private = {n: d for n, d in grouped_field_set.items() if n not in shared}
            plan = plans[id(grouped_field_set)] = (grouped_field_set, shared, spans, private)
        spans = plan[2]
        selection = None if spans is None else (spans, self._variables())
        self._selections[id(grouped_field_set)] = (grouped_field_set, plan[1], selection, plan[3])
        return plan[1], selection, plan[3]

    def _fragment_store(self) -> FragmentStore | None:
        """The request's store (read once a request), None without one."""
        if self._store is _UNREAD:
            self._store = getattr(self.context_value, "fragments", None)
            self._fresh = bool(getattr(self.context_value, "fresh_fragments", False))
        store: FragmentStore | None = self._store
        return store

    @classmethod
    def plan_field(cls, parent_type: GraphQLObjectType, name: str) -> PlainField | None:
        """No plain way for a hinted field: `execute_field` serves it from the cache (worked
        out once per schema, with the plan: the hints are the schema's)."""
        if (parent_type.name, name) in cls.cache_hints:
            return None
        return super().plan_field(parent_type, name)

    def _clean(self, path: Path, names: list[str]) -> bool:
        """No error was raised under `path` at any of `names`."""
        errors = self.collected_errors.errors
        if not errors:
            return True
        prefix = path.as_list()
        size = len(prefix)
        wanted = set(names)
        return not any(
            e.path is not None
            and len(e.path) > size
            and list(e.path[:size]) == prefix
            and e.path[size] in wanted
            for e in errors
        )

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Path,
        position_context: Any,
    ) -> Any:
        hint = self.cache_hints.get((parent_type.name, field_details_list[0].node.name.value))
        store = None if hint is None else self._fragment_store()
        if hint is None or store is None:
            return super().execute_field(
                parent_type, source, field_details_list, path, position_context
            )
        selection = self._selection(field_details_list)
        data_key = hint.key(source, self.context_value) if selection is not None else None
        run = (parent_type, source, field_details_list, path, position_context)
        if self.is_awaitable(data_key):

            async def keyed() -> Any:
                result = self._cached(await data_key, selection, hint, store, run)
                return await result if self.is_awaitable(result) else result

            return keyed()
        return self._cached(cast(Hashable | None, data_key), selection, hint, store, run)

    def _cached(
        self,
        data_key: Hashable | None,
        selection: Hashable,
        hint: CacheHint,
        store: FragmentStore,
        run: tuple[Any, ...],
    ) -> Any:
        if data_key is None:
            return super().execute_field(*run)
        parent_type, _, field_details_list, path, _ = run
        key = (parent_type.name, field_details_list[0].node.name.value, data_key, selection)
        if not self._fresh:
            found, value = store.get(key)
            if found:
                return value
        deadline = store.clock() + hint.max_age
        result = super().execute_field(*run)
        if self.is_awaitable(result):

            async def keep_when_done() -> Any:
                value = await result
                self._keep(store, key, value, deadline, path)
                return value

            return keep_when_done()
        self._keep(store, key, result, deadline, path)
        return result

    def _keep(
        self, store: FragmentStore, key: Hashable, value: Any, deadline: float, path: Path
    ) -> None:
        """Keep `value` unless an error was raised at or under `path` (an error answer is
        the request's, and its error list would not come with a hit)."""
        errors = self.collected_errors.errors
        if errors:
            prefix = path.as_list()
            size = len(prefix)
            if any(e.path is not None and list(e.path[:size]) == prefix for e in errors):
                return
        store.put(key, value, deadline)

    def _selection(self, field_details_list: Any) -> Hashable | None:
        """What the subtree asks for: where its nodes sit in the document's text (the text
        itself is part of the key, so equal spans of other documents never meet) and the
        operation's variables. None when that cannot be told (no locations, fragment
        arguments, deferred parts): such a subtree is not kept. Where it sits is worked
        out once per field list (`_shared_plans`), the variables once per execution."""
        plans = self._shared_plans
        plan = plans.get(id(field_details_list))
        # the field list is kept with its spans, so that its id is not reused meanwhile
        if plan is None or plan[0] is not field_details_list:
            plan = plans[id(field_details_list)] = (
                field_details_list,
                self._spans(field_details_list),
            )
        spans = plan[1]
        return None if spans is None else (spans, self._variables())

    def _variables(self) -> str:
        """The operation's variables, as part of a key (once per execution)."""
        frozen = self._frozen
        if frozen is None:
            variables = self.variable_values.coerced
            frozen = self._frozen = repr(sorted(variables.items())) if variables else ""
        return frozen

    def _spans(self, field_details_list: Any) -> tuple[str, tuple[tuple[int, int], ...]] | None:
        """Where the nodes of `field_details_list` sit in the document's text, with the text;
        None when that cannot be told (`_selection`)."""
        spans = []
        body = None
        for details in field_details_list:
            loc = details.node.loc
            if loc is None or details.defer_usage is not None:
                return None
            if details.fragment_variable_values is not None:
                return None
            spans.append((loc.start, loc.end))
            body = loc.source.body
        assert body is not None
        return (body, tuple(spans))


def caching_context(schema: strawberry.Schema) -> None:
    """Give `schema` an execution context that serves its hinted fields from the cache."""
    schema.execution_context_class = type(
        "SchemaCachingExecutionContext",
        (CachingExecutionContext,),
        {
            "cache_hints": hints_of(schema._schema),
            "object_hints": object_hints_of(schema._schema),
            **plain_fields_attributes(schema),
        },
    )
