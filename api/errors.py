"""Errors at the edge: GraphQL errors for clients, masking and logging of the unexpected."""

from __future__ import annotations

import logging

from graphql import GraphQLError

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
