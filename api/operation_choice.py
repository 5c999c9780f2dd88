"""Which operation of a document a request runs, chosen as the GraphQL spec says.

strawberry's `ExecutionContext.operation_name` falls back to the document's first operation
when the request names none, and hands that name to graphql-core's executor: a document of
several operations sent without `operationName` ran its first one, where the spec requires a
request error ("Must provide operation name if query contains multiple operations."). And an
`operationName` naming no operation of the document was refused by strawberry's HTTP view
before GraphQL saw it (a 400 for every media type, in its own words), unlike every other
request error.

`SpecExecutionContext` takes the name from the request, or from the document's only
operation, else none; graphql-core's executor then refuses both cases with its own error
before anything runs, a request error like a validation error (api.app: 400 without `data`
under `application/graphql-response+json`, 200 under `application/json`).
"""

from __future__ import annotations

from graphql import get_operation_ast
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType
from strawberry.utils.operation import get_first_operation


class SpecExecutionContext(ExecutionContext):
    """strawberry's execution context, choosing the operation as graphql-core does."""

    @property
    def operation_name(self) -> str | None:
        """The operation's name as the request gives it; for a request naming none, the
        name of the document's only operation (None when it holds several: graphql-core
        refuses to choose)."""
        if self._provided_operation_name is not None:
            return self._provided_operation_name
        if self.graphql_document is None:
            return None
        operation = get_operation_ast(self.graphql_document)
        return operation.name.value if operation and operation.name else None

    @property
    def operation_type(self) -> OperationType:
        """The chosen operation's type. When none is chosen (several operations and no
        name, or a name that names none), the first operation's, as strawberry's own: it
        only passes the check of the operation types allowed, and graphql-core's executor
        then answers with its request error."""
        document = self.graphql_document
        if document is None:
            raise RuntimeError("No GraphQL document available")
        operation = get_operation_ast(document, self.operation_name) or get_first_operation(
            document
        )
        if operation is None:
            raise RuntimeError("Can't get GraphQL operation type")
        return OperationType(operation.operation.value)
