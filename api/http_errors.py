"""Refusals at the HTTP edge, shaped like GraphQL errors, and the last-resort fault handler.

A request GraphQL never sees (a body that is not a GraphQL request, another content type or
method) is answered with its HTTP status and the same body shape a GraphQL error has:
`{"errors": [{"message", "extensions": {"code", "requestId"}}]}`. Nothing raised below the
edge ever reaches the client as a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("fidelio.api")

#: The `extensions.code` of each HTTP status the edge answers with.
HTTP_CODES = {
    400: "BAD_REQUEST",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    500: "INTERNAL_SERVER_ERROR",
}


def request_id_of(scope: Scope) -> str:
    """The id the RequestId middleware gave this request ("-" outside of it)."""
    return str(scope.get("state", {}).get("request_id") or "-")


def graphql_error_response(
    status: int,
    message: str,
    scope: Scope,
    *,
    code: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """An HTTP refusal whose body is a GraphQL error."""
    extensions = {"code": code or HTTP_CODES.get(status, "BAD_REQUEST")}
    extensions["requestId"] = request_id_of(scope)
    return JSONResponse(
        {"errors": [{"message": message, "extensions": extensions}]},
        status_code=status,
        headers=dict(headers or {}),
    )


class ServerFaults:
    """Answers any exception that escapes the app with a 500 GraphQL error carrying the
    request id (logged with its traceback), instead of a bare text or a closed connection."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception("unhandled error in request %s", request_id_of(scope))
            if started:
                raise
            response = graphql_error_response(500, "Unexpected error. It has been logged.", scope)
            await response(scope, receive, send)
