"""Validation kept per parsed document, found by the document's identity.

strawberry's `ValidationCache` keeps results in an `lru_cache` keyed by the document itself,
and a graphql-core document hashes and compares node by node: every request re-hashed the
whole tree of its operation (about 0.1 ms for the app's home screen, as much as validating
it). `ParserCache` hands out the same document object for the same text, so its identity is
key enough: `DocumentValidationCache` looks results up by `id(document)` and checks that the
entry's document, schema and rules are the very ones of the request (an id reused after a
document is freed never matches another's entry).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document


@dataclass(frozen=True, slots=True)
class _Validated:
    document: Any
    schema: Any
    rules: tuple[Any, ...]
    errors: list[GraphQLError]


class _Results:
    """The validation of each document, the least recently used dropped first when full."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self.entries: OrderedDict[int, _Validated] = OrderedDict()

    def validate(self, schema: Any, document: Any, rules: tuple[Any, ...]) -> list[GraphQLError]:
        key = id(document)
        found = self.entries.get(key)
        if (
            found is not None
            and found.document is document
            and found.schema is schema
            and found.rules == rules
        ):
            self.entries.move_to_end(key)
            return found.errors
        errors = validate_document(schema, document, rules)
        self.entries[key] = _Validated(document, schema, rules, errors)
        self.entries.move_to_end(key)
        while len(self.entries) > self.maxsize:
            self.entries.popitem(last=False)
        return errors


_RESULTS: dict[int, _Results] = {}


class DocumentValidationCache(SchemaExtension):
    """strawberry's `ValidationCache`, keyed by the parsed document's identity (see the
    module). Pass it as a factory after `ParserCache`; the results are shared by every
    request of the process with the same `maxsize`."""

    def __init__(self, maxsize: int = 1000) -> None:
        super().__init__()
        self.results = _RESULTS.setdefault(maxsize, _Results(maxsize))

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        context.pre_execution_errors = self.results.validate(
            context.schema._schema, context.graphql_document, context.validation_rules
        )
        yield
