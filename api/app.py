"""The Starlette application: /graphql over HTTP and websockets, health and readiness."""

from __future__ import annotations

import contextlib
import logging
import re
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

import strawberry
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from graphql import GraphQLError, GraphQLSyntaxError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLRequestData
from strawberry.types import ExecutionResult as StrawberryExecutionResult
from tortoise import connections

from api.auth import TokenVerifier, Unauthenticated, principal_from_header, token_from_header
from api.console.routes import console_routes
from api.console.sessions import COOKIE, cookie_principal
from api.context import Context
from api.graphiql import graphiql_assets, graphiql_page
from api.heap import settle_for_serving
from api.http_errors import ServerFaults, graphql_error_response
from api.logs import request_id_var
from api.media_type import GRAPHQL_RESPONSE, JSON, prefers_graphql_response
from api.metrics import Metrics
from api.request_body import check_content_type, decode_body, encode_answer, parse_request
from api.restore import restore_derived_state
from api.runtime import Runtime, build_runtime, make_gateway
from api.schema import build_schema
from api.settings import Settings
from api.trusted_documents import resolve_query
from api.ws_session import TokenBoundTransportWS, credentials
from domain.clock import SystemClock

log = logging.getLogger("fidelio.api")


#: Keys of the request's scope state: its GraphQL context, and whether its answer is a
#: request error (GraphQL over HTTP).
CONTEXT = "graphql_context"
REQUEST_ERROR = "graphql_request_error"


def label_request_errors(
    formatted: object, errors: Sequence[GraphQLError], request_id: str
) -> None:
    """Give the errors of a request that never ran (`formatted`, as the answer writes
    `errors`) the `extensions.code` and `extensions.requestId` every other error has:
    `GRAPHQL_PARSE_FAILED` for a document that does not parse, `GRAPHQL_VALIDATION_FAILED`
    for the rest (a document that does not validate, variables that do not coerce, an
    operation the request does not choose), the names Apollo's servers use. A code already
    there (a refused text's `INVALID_INPUT`) is kept."""
    if not isinstance(formatted, list) or len(formatted) != len(errors):
        return
    for entry, error in zip(formatted, errors, strict=True):
        if not isinstance(entry, dict):
            continue
        extensions = entry.setdefault("extensions", {})
        if not isinstance(extensions, dict):
            continue
        extensions.setdefault(
            "code",
            "GRAPHQL_PARSE_FAILED"
            if isinstance(error, GraphQLSyntaxError)
            else "GRAPHQL_VALIDATION_FAILED",
        )
        extensions.setdefault("requestId", request_id)


class FidelioGraphQL(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = TokenBoundTransportWS

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

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        if scope["method"] not in ("GET", "POST"):
            refused = graphql_error_response(
                405,
                "GraphQL is served over GET and POST only.",
                scope,
                headers={"allow": "GET, POST"},
            )
            await refused(scope, receive, send)
            return
        request = Request(scope, receive=receive)
        try:
            response = await self.run(request)
        except HTTPException as error:
            code = getattr(error, "code", None)
            response = graphql_error_response(error.status_code, error.reason, scope, code=code)
        if prefers_graphql_response(request.headers.get("accept")) and response.media_type in (
            JSON,
            None,
        ):
            # GraphQL over HTTP: the media type asked for, and 400 for a request error
            # (`process_result` dropped its `data` entry).
            if response.headers.get("content-type", "").startswith(JSON):
                response.headers["content-type"] = f"{GRAPHQL_RESPONSE}; charset=utf-8"
            if scope.get("state", {}).get(REQUEST_ERROR):
                response.status_code = 400
        await response(scope, receive, send)

    async def process_result(self, request: Request, result: StrawberryExecutionResult) -> Any:
        """The response as strawberry writes it; for a client asking for
        `application/graphql-response+json`, a request error (the operation never ran) has
        no `data` entry and is marked for a 400 (see `__call__`)."""
        response = await super().process_result(request, result)
        context = request.scope.get("state", {}).get(CONTEXT)
        if result.errors and isinstance(context, Context) and not context.operation_started:
            label_request_errors(response.get("errors"), result.errors, context.request_id)
            if prefers_graphql_response(request.headers.get("accept")):
                response.pop("data", None)
                request.scope["state"][REQUEST_ERROR] = True
        return response

    def decode_json(self, data: str | bytes) -> object:
        return decode_body(data)

    def parse_json(self, data: str | bytes) -> Any:
        return parse_request(data)

    def encode_json(self, data: object) -> str:
        return encode_answer(data)

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        if request.method == "POST":
            check_content_type(request.content_type)
        return await super().parse_http_body(request)

    async def execute_operation(  # type: ignore[override]  # strawberry passes keywords; the rest goes on as given
        self, *, request_data: GraphQLRequestData, context: Context, **kw: Any
    ) -> Any:
        # Trusted documents: the id in extensions.persistedQuery names the text to run.
        request_data.query = resolve_query(
            request_data.query,
            request_data.extensions,
            context.principal,
            self.runtime.settings.trusted_documents,
        )
        return await super().execute_operation(request_data=request_data, context=context, **kw)

    async def render_graphql_ide(self, request: Request) -> Response:
        return HTMLResponse(graphiql_page())

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        request_id = request.scope.get("state", {}).get("request_id") or uuid.uuid4().hex[:16]
        principal, auth_error = None, None
        if not isinstance(request, WebSocket):
            header = request.headers.get("authorization")
            try:
                if not header and COOKIE in request.cookies:
                    # The console: a session cookie, and its CSRF token in a header (a bearer
                    # token, when sent, wins and the cookie is ignored).
                    principal = await cookie_principal(request, self.runtime.clock.now())
                else:
                    principal = principal_from_header(header, self.verifier)
            except Unauthenticated as error:
                auth_error = error
        context = Context(
            request=request,
            runtime=self.runtime,
            principal=principal,
            request_id=request_id,
            auth_error=auth_error,
        )
        if not isinstance(request, WebSocket):
            request.scope.setdefault("state", {})[CONTEXT] = context
        return context

    async def on_ws_connect(self, context: Context) -> Any:
        """Websocket clients authenticate in the connection_init payload:
        `{"Authorization": "Bearer <token>"}` (or `{"token": "<token>"}`); the connection
        lasts as long as the token (api.ws_session)."""
        try:
            token = token_from_header(credentials(context.connection_params))
            if token is None:
                raise Unauthenticated("token required")
            context.principal, context.token_valid_until = self.verifier.verify_until(token)
        except Unauthenticated as error:
            raise ConnectionRejectionError(
                {"code": "UNAUTHENTICATED", "message": error.message}
            ) from error
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
            await too_large(scope)(scope, receive, send)
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
            await too_large(scope)(scope, receive, send)


class BodyTooLarge(Exception):
    pass


def too_large(scope: Scope) -> Response:
    return graphql_error_response(413, "Request body too large", scope)


#: A caller's X-Request-ID is kept when it is 1 to 64 of the characters request ids are made
#: of (UUIDs, trace ids, `req-42`, `svc:a.b_c`): it goes into log lines, the audit log and a
#: response header, where markup, quotes or spaces from a client have no business.
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


class RequestId:
    """Gives each request an id (the caller's X-Request-ID when it looks like one, see
    `REQUEST_ID`, or a new one), echoed back."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex[:16]
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
        settle_for_serving()
        try:
            yield
        finally:
            await owned.stop()

    app = Starlette(
        routes=[
            # Every method reaches the view, which answers 405 as a GraphQL error.
            Route("/graphql", graphql),
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
            *console_routes(settings),
        ],
        lifespan=lifespan,
    )
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(ServerFaults)
    app.add_middleware(RequestId)
    app.state.runtime_ref = runtime_ref
    app.state.metrics = metrics
    return app
