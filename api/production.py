"""What production answers less: introspection for admin tokens only, no "Did you mean ...".

Both are ordinary extension points: a schema extension that adds graphql-core's
`NoSchemaIntrospectionCustomRule` to the validation of every request not made with an admin
token (the validation cache keys on the rules, so the two kinds of callers never share an
entry), and strips the suggestions graphql-core appends to validation and coercion errors,
which would otherwise list field names (admin mutations among them) to anyone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension

from api.auth import Role
from api.settings import Settings

#: graphql-core's `did_you_mean` suffix: " Did you mean 'a', 'b' or 'c'?"
SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


def without_suggestions(message: str) -> str:
    return SUGGESTION.sub("", message)


class ProductionLockdown(SchemaExtension):
    """Refuses `__schema` and `__type` to every caller but an admin token, and removes
    suggestions from error messages."""

    def on_operation(self) -> Iterator[None]:
        context: Any = self.execution_context.context
        principal = getattr(context, "principal", None)
        if getattr(context, "auth_error", None) is not None or (
            principal is None or principal.role != Role.ADMIN
        ):
            self.execution_context.validation_rules = (
                *self.execution_context.validation_rules,
                NoSchemaIntrospectionCustomRule,
            )
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if errors and result is not None:
            result.errors = [_stripped(error) for error in errors]


def _stripped(error: GraphQLError) -> GraphQLError:
    message = without_suggestions(error.message)
    if message == error.message:
        return error
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=error.original_error,
        extensions=error.extensions,
    )


def production_extensions(settings: Settings) -> list[type[SchemaExtension]]:
    """The extensions a production schema adds (none elsewhere)."""
    return [ProductionLockdown] if settings.is_production else []
