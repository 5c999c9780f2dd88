"""Text a client sends must be Unicode: a lone surrogate is refused before anything runs.

A broken UTF-16 string arrives as a JSON escape such as `"\\ud800"`: valid JSON, and a String
to graphql-core, but no character. It cannot be stored (PostgreSQL and SQLite refuse to encode
it) nor sent on (push, webhooks). Rather than each argument checking for it, the operation is
refused as a whole with INVALID_INPUT, naming the variable and the place in it, and nothing
runs (strawberry skips execution when an extension sets the result in `on_execute`). Text
written in the document itself never gets here: the GraphQL lexer refuses such an escape.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import ExecutionResult, GraphQLError
from strawberry.extensions import SchemaExtension

from api.errors import ClientError


def broken_text(value: Any, path: list[str | int]) -> Iterator[list[str | int]]:
    """The path of every string in `value` (JSON-shaped) that holds a lone surrogate."""
    if isinstance(value, str):
        if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from broken_text(item, [*path, str(key)])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from broken_text(item, [*path, index])


class UnicodeInputs(SchemaExtension):
    """Refuses an operation whose variables hold text that is not Unicode (INVALID_INPUT, with
    `extensions.field` the path in the variables)."""

    def on_execute(self) -> Iterator[None]:
        variables = self.execution_context.variables
        if variables:
            found = next(broken_text(variables, []), None)
            if found is not None:
                inside = f" at {'.'.join(str(p) for p in found)}" if len(found) > 1 else ""
                error: GraphQLError = ClientError(
                    f"Variable '${found[0]}' holds text that is not valid Unicode (a lone "
                    f"surrogate){inside}.",
                    code="INVALID_INPUT",
                )
                error.extensions = {**(error.extensions or {}), "field": found}
                self.execution_context.result = ExecutionResult(data=None, errors=[error])
        yield
