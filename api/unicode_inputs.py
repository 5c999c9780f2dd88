"""Text a client sends must be text that can be stored: checked before anything runs.

Two kinds of string pass GraphQL's own checks and are no text any store takes:

- a broken UTF-16 string, which arrives as a JSON escape such as `"\\ud800"` (valid JSON, and a
  String to graphql-core, but no character): PostgreSQL and SQLite refuse to encode it, and
  it cannot be sent on (push, webhooks);
- the NUL character (`"\\u0000"`, in a variable or as an escape in the document's own string
  literals): PostgreSQL refuses it in any text column, so an idempotency key or a webhook's
  description holding one made an internal error there (SQLite stored it).

Rather than each argument checking for them, the operation is refused as a whole with
INVALID_INPUT, naming the variable and the place in it, and nothing runs (strawberry skips
execution when an extension sets the result in `on_execute`). A lone surrogate written in the
document itself never gets here: the GraphQL lexer refuses such an escape.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from graphql import DocumentNode, ExecutionResult, GraphQLError, StringValueNode, Visitor, visit
from strawberry.extensions import SchemaExtension

from api.errors import ClientError

#: What no stored text may hold: NUL, and the surrogates' code points (never text on their own).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
#: How a NUL can be written in a GraphQL string literal (`\u0000`, `\u{0}`).
_NUL_ESCAPE = re.compile(r"\\u(?:0000|\{0+\})")


def broken_text(value: Any, path: list[str | int]) -> tuple[list[str | int], str] | None:
    """The path of the first string in `value` (JSON-shaped) that holds a character no stored
    text may hold, with that character.

    Called on every operation's variables: a string is passed by one search in C (ASCII text,
    most of it, by a test for NUL), and the path is built only for what is found."""
    if isinstance(value, str):
        found = _UNSTORABLE.search(value) if not value.isascii() else None
        if found is not None:
            return path, found.group()
        return (path, "\x00") if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(item, str) or "\x00" in item or not item.isascii():
                inside = broken_text(item, [*path, str(key)])
                if inside is not None:
                    return inside
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if not isinstance(item, str) or "\x00" in item or not item.isascii():
                inside = broken_text(item, [*path, index])
                if inside is not None:
                    return inside
    return None


class _NulLiterals(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
        if "\x00" in node.value:
            self.found = True


def nul_in_literals(query: str | None, document: DocumentNode | None) -> bool:
    """Whether a string literal of the document holds NUL (the text is looked at first: the
    document is walked only when it writes such an escape)."""
    if not query or document is None or _NUL_ESCAPE.search(query) is None:
        return False
    literals = _NulLiterals()
    visit(document, literals)
    return literals.found


class UnicodeInputs(SchemaExtension):
    """Refuses an operation whose variables or string literals hold text no store takes
    (INVALID_INPUT; for a variable, `extensions.field` is the path in the variables)."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        error: GraphQLError | None = None
        found = broken_text(context.variables, []) if context.variables else None
        if found is not None:
            path, character = found
            inside = f" at {'.'.join(str(p) for p in path)}" if len(path) > 1 else ""
            what = "a NUL character" if character == "\x00" else "a lone surrogate"
            error = ClientError(
                f"Variable '${path[0]}' holds text that cannot be stored ({what}){inside}.",
                code="INVALID_INPUT",
            )
            error.extensions = {**(error.extensions or {}), "field": path}
        elif nul_in_literals(context.query, context.graphql_document):
            error = ClientError(
                "A string in the document holds a NUL character (\\u0000): no text can.",
                code="INVALID_INPUT",
            )
        if error is not None:
            context.result = ExecutionResult(data=None, errors=[error])
        yield
