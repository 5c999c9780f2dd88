"""The Starlette application: /graphql over HTTP and websockets, health and readiness."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

import strawberry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from tortoise import connections

from api.auth import TokenVerifier, Unauthenticated, principal_from_header
from api.context import Context
from api.graphiql import graphiql_assets, graphiql_page
from api.logs import request_id_var
from api.metrics import Metrics
from api.restore import restore_derived_state
from api.runtime import Runtime, build_runtime, make_gateway
from api.schema import build_schema
from api.settings import Settings
from domain.clock import SystemClock

log = logging.getLogger("fidelio.api")


class FidelioGraphQL(GraphQL[Context, None]):
    def __init__(
        self,
        schema: strawberry.Schema,
        runtime_ref: dict[str, Runtime],
        verifier: TokenVerifier,
        **kw: Any,
    ):
        super().__init__(schema, **kw)
        self.runtime_ref = runtime_ref
        self.verifier = verifier

    @property
    def runtime(self) -> Runtime:
        return self.runtime_ref["runtime"]

    async def render_graphql_ide(self, request: Request) -> Response:
        return HTMLResponse(graphiql_page())

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        request_id = request.scope.get("state", {}).get("request_id") or uuid.uuid4().hex[:16]
        principal, auth_error = None, None
        if not isinstance(request, WebSocket):
            try:
                principal = principal_from_header(
                    request.headers.get("authorization"), self.verifier
                )
            except Unauthenticated as error:
                auth_error = error
        return Context(
            request=request,
            runtime=self.runtime,
            principal=principal,
            request_id=request_id,
            auth_error=auth_error,
        )

    async def on_ws_connect(self, context: Context) -> Any:
        """Websocket clients authenticate in the connection_init payload:
        `{"Authorization": "Bearer <token>"}` (or `{"token": "<token>"}`)."""
        params = context.connection_params or {}
        header = params.get("Authorization") or params.get("authorization")
        if not header and params.get("token"):
            header = f"Bearer {params['token']}"
        try:
            context.principal = principal_from_header(header, self.verifier)
        except Unauthenticated as error:
            raise ConnectionRejectionError(
                {"code": "UNAUTHENTICATED", "message": error.message}
            ) from error
        if context.principal is None:
            raise ConnectionRejectionError({"code": "UNAUTHENTICATED", "message": "token required"})
        return {"role": context.principal.role.value}


class BodyLimit:
    """Refuses request bodies above `limit` bytes with 413 before they reach GraphQL."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await PlainTextResponse("Request body too large", status_code=413)(scope, receive, send)
            return
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except BodyTooLarge:
            await PlainTextResponse("Request body too large", status_code=413)(scope, receive, send)


class BodyTooLarge(Exception):
    pass


class RequestId:
    """Gives each request an id (the caller's X-Request-ID or a new one), echoed back."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        given = headers.get(b"x-request-id", b"").decode("latin-1")[:64]
        request_id = given if given and given.isprintable() else uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = request_id
        request_id_var.set(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        await self.app(scope, receive, send_with_id)


def create_app(
    settings: Settings, runtime: Runtime | None = None, metrics: Metrics | None = None
) -> Starlette:
    """The app. With `runtime` given (tests), the caller owns its start and stop (and wires
    its jobs and gateway into `metrics` if it wants them measured)."""
    settings.check()
    runtime_ref: dict[str, Runtime] = {}
    metrics = metrics or Metrics()
    if runtime is not None:
        runtime_ref["runtime"] = runtime
        metrics.watch(runtime)
    schema = build_schema(settings, extra_extensions=[metrics.extension()])
    graphql = FidelioGraphQL(
        schema,
        runtime_ref,
        TokenVerifier(settings),
        graphql_ide="graphiql" if not settings.is_production else None,
        allow_queries_via_get=False,
    )

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        checks: dict[str, str] = {}
        try:
            await connections.get("default").execute_query("SELECT 1")
            checks["database"] = "ok"
        except Exception as error:  # a readiness probe reports, it does not raise
            checks["database"] = f"error: {type(error).__name__}"
        try:
            await runtime_ref["runtime"].redis.ping()
            checks["redis"] = "ok"
        except Exception as error:
            checks["redis"] = f"error: {type(error).__name__}"
        ready = all(v == "ok" for v in checks.values())
        return JSONResponse(checks, status_code=200 if ready else 503)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if runtime is not None:
            yield
            return
        clock = SystemClock()
        gateway = metrics.counting_gateway(make_gateway(settings, clock))
        owned = metrics.instrument(build_runtime(settings, clock=clock, gateway=gateway))
        runtime_ref["runtime"] = owned
        await owned.start(background=False)
        await restore_derived_state(owned)
        if settings.run_background:
            owned.start_background()
        try:
            yield
        finally:
            await owned.stop()

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route(
                "/metrics",
                metrics.endpoint(
                    settings.metrics_token,
                    settings.metrics_enabled,
                    lambda: runtime_ref["runtime"].clock.now(),
                ),
            ),
            *([] if settings.is_production else [graphiql_assets()]),
        ],
        lifespan=lifespan,
    )
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(RequestId)
    app.state.runtime_ref = runtime_ref
    app.state.metrics = metrics
    return app
