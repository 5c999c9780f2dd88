"""The served GraphQL schema, composed from the areas' Query, Mutation and Subscription types.

An area is a module in `api/areas/` defining any of `Query`, `Mutation`, `Subscription`.
Adding an area is one line in `AREAS`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from types import ModuleType
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType

from api.areas import (
    achievements,
    audit,
    backfills,
    drops,
    insights,
    leaderboards,
    members,
    offers,
    points,
    privacy,
    purchases,
    push,
    referrals,
    rewards,
    segments,
    translations,
    webhooks,
)
from api.errors import MaskUnexpected, is_expected
from api.extension_hooks import PlannedExtensionsRunner
from api.fragments import caching_context
from api.input_plans import plan_inputs
from api.operation_choice import SpecExecutionContext
from api.production import production_extensions
from api.scalars import SCALAR_OVERRIDES
from api.settings import Settings
from api.unicode_inputs import UnicodeInputs
from api.validation_cache import DocumentValidationCache

log = logging.getLogger("fidelio.api")

AREAS: list[ModuleType] = [
    members,
    points,
    purchases,
    achievements,
    rewards,
    referrals,
    push,
    segments,
    privacy,
    drops,
    leaderboards,
    audit,
    webhooks,
    insights,
    offers,
    translations,
    backfills,
]


def _merged(name: str) -> type | None:
    parts = tuple(getattr(area, name) for area in AREAS if hasattr(area, name))
    return merge_types(name, parts) if parts else None


class FidelioSchema(strawberry.Schema):
    def _create_execution_context(
        self,
        query: str | None,
        allowed_operation_types: Iterable[OperationType],
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionContext:
        """strawberry's context, choosing the operation as the spec says
        (api.operation_choice)."""
        return SpecExecutionContext(
            query=query,
            schema=self,
            allowed_operations=allowed_operation_types,
            context=context_value,
            root_value=root_value,
            variables=variable_values,
            provided_operation_name=operation_name,
            operation_extensions=operation_extensions,
        )

    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> SchemaExtensionsRunner:
        """strawberry's runner, with each extension class's hooks worked out once
        (api.extension_hooks)."""
        return PlannedExtensionsRunner(execution_context=execution_context, extensions=extensions)

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Log unexpected errors with the request id; expected ones are the client's."""
        request_id = "-"
        if execution_context is not None:
            context: Any = execution_context.context
            request_id = getattr(context, "request_id", "-")
        for error in errors:
            if not is_expected(error):
                log.error(
                    "unexpected error in request %s at %s",
                    request_id,
                    error.path,
                    exc_info=error.original_error,
                )


def build_schema(
    settings: Settings | None = None, extra_extensions: Sequence[Callable[[], Any]] = ()
) -> strawberry.Schema:
    """The schema; `extra_extensions` (factories) run after the others (api.metrics)."""
    settings = settings or Settings()
    query = _merged("Query")
    assert query is not None
    limit_rules = [
        *QueryDepthLimiter(max_depth=settings.max_query_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules,
    ]
    schema = FidelioSchema(
        query=query,
        mutation=_merged("Mutation"),
        subscription=_merged("Subscription"),
        scalar_overrides=SCALAR_OVERRIDES,
        # Factories: a fresh extension per request. The parse and validation caches live at
        # module level in strawberry, shared by all requests.
        extensions=[
            lambda: ParserCache(maxsize=1000),
            lambda: DocumentValidationCache(maxsize=1000),
            # One set of limit rules for every request: each limiter builds a new rule class,
            # and a new class per request would make every validation cache lookup a miss.
            lambda: AddValidationRules(limit_rules),
            lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
            MaskUnexpected,
            UnicodeInputs,
            *production_extensions(settings),
            *extra_extensions,
        ],
    )
    caching_context(schema)
    plan_inputs(schema)
    return schema


def schema_sdl() -> str:
    return build_schema().as_str() + "\n"
