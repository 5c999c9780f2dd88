"""Text a client sends must be Unicode: a lone surrogate is refused before anything runs.

A broken UTF-16 string arrives as a JSON escape such as `"\\ud800"`: valid JSON, and a String
to graphql-core, but no character. It cannot be stored (PostgreSQL and SQLite refuse to encode
it) nor sent on (push, webhooks). Rather than each argument checking for it, the operation is
refused as a whole with INVALID_INPUT, naming the variable and the place in it, and nothing
runs (strawberry skips execution when an extension sets the result in `on_execute`). Text
written in the document itself never gets here: the GraphQL lexer refuses such an escape.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from graphql import ExecutionResult, GraphQLError
from strawberry.extensions import SchemaExtension

from api.errors import ClientError

#: A lone surrogate (the only code points a str holds that are not characters).
SURROGATE = re.compile("[\ud800-\udfff]")


def broken_text(value: Any, path: list[str | int]) -> list[str | int] | None:
    """The path of the first string in `value` (JSON-shaped) that holds a lone surrogate.

    Called on every operation's variables: ASCII text (most of it) is passed by one test,
    and the path is built only for what is found."""
    if isinstance(value, str):
        return path if not value.isascii() and SURROGATE.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(item, str) or not item.isascii():
                found = broken_text(item, [*path, str(key)])
                if found is not None:
                    return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if not isinstance(item, str) or not item.isascii():
                found = broken_text(item, [*path, index])
                if found is not None:
                    return found
    return None


class UnicodeInputs(SchemaExtension):
    """Refuses an operation whose variables hold text that is not Unicode (INVALID_INPUT, with
    `extensions.field` the path in the variables)."""

    def on_execute(self) -> Iterator[None]:
        variables = self.execution_context.variables
        if variables:
            found = broken_text(variables, [])
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
