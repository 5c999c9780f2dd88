"""Errors at the edge: GraphQL errors for clients, masking and logging of the unexpected."""

from __future__ import annotations

import logging
from typing import Any

import redis.exceptions
from graphql import GraphQLError
from strawberry.extensions import MaskErrors

from domain.errors import DomainError

log = logging.getLogger("fidelio.api")


class ClientError(GraphQLError):
    """A request the client can fix (e.g. a bad argument outside a payload), shown as is."""

    def __init__(self, message: str, code: str = "BAD_USER_INPUT") -> None:
        super().__init__(message, extensions={"code": code})


def is_expected(error: GraphQLError) -> bool:
    """Errors shown to clients as they are: GraphQL's own (syntax, validation), auth errors,
    and domain errors raised outside a payload. Everything else is masked."""
    original = error.original_error
    if original is None:
        return True
    return isinstance(original, GraphQLError | DomainError)


def to_client_error(error: DomainError) -> ClientError:
    return ClientError(error.message, code=error.code)


MASKED_MESSAGE = "Unexpected error. It has been logged."

#: Faults of a service that is down, not of this code: the client may retry later. Redis holds
#: only rebuildable state (boards, rate-limit counters), so its absence is told, not masked.
UNAVAILABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


class MaskUnexpected(MaskErrors):
    """Masks unexpected errors (`is_expected`) as `INTERNAL_SERVER_ERROR` with the request id
    in `extensions.requestId`: the id in the server's log line and the X-Request-ID header, so
    that clients and support can tell one fault from another. Redis being unreachable is
    `SERVICE_UNAVAILABLE` instead (the field is null; retry later)."""

    def __init__(self) -> None:
        super().__init__(
            should_mask_error=lambda e: not is_expected(e), error_message=MASKED_MESSAGE
        )

    def _process_result(self, result: object) -> None:
        """strawberry's own, without its `isinstance` against a runtime-checkable protocol
        (whether the result has an `errors` attribute: some 50 Python calls on every request,
        a fifth of the trivial query's execution). Should strawberry rename the method, its
        own check runs again: slower, the same errors."""
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = self._process_errors(errors)  # type: ignore[attr-defined]  # it has them

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        context: Any = self.execution_context.context
        unavailable = isinstance(error.original_error, UNAVAILABLE)
        return GraphQLError(
            message=(
                "This data is unavailable right now: retry shortly."
                if unavailable
                else self.error_message
            ),
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions={
                "code": "SERVICE_UNAVAILABLE" if unavailable else "INTERNAL_SERVER_ERROR",
                "requestId": getattr(context, "request_id", "-"),
            },
        )
