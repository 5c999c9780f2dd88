"""The console's HTTP routes: the page, its assets, sign-in, sign-out and the session.

Sign-in and sign-out are plain HTTP endpoints rather than GraphQL mutations: they exist to set
and clear a cookie, which is HTTP's business; they keep console-only operations out of the
schema the apps are written against; and a cross-site form cannot post JSON, so together
with the Origin check they refuse login CSRF before any password is hashed. Their answers
use the userErrors shape (`code`, `field`, `message`), so the page shows every error the
same way.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from api.console.accounts import authenticate
from api.console.sessions import (
    COOKIE,
    CSRF_HEADER,
    csrf_matches,
    csrf_token,
    open_session,
    revoke,
    signed_in,
)
from api.ratelimit import Limit, RateLimiter
from api.runtime import Runtime
from api.settings import Settings
from domain.errors import RateLimited

STATIC_DIR = Path(__file__).resolve().parent.parent / "static" / "console"
ASSETS_PATH = "/console/assets"

#: The page loads only what this app serves; nothing inline, nothing from elsewhere.
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime_ref["runtime"]
    return runtime


def _refusal(status: int, code: str, message: str, field: list[str] | None = None) -> Response:
    return JSONResponse(
        {"userErrors": [{"code": code, "field": field, "message": message}]},
        status_code=status,
        headers={"cache-control": "no-store"},
    )


def _same_origin(request: Request) -> bool:
    """False when the browser says the request comes from a page of another origin."""
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.headers.get("host", request.url.netloc)


async def _json_body(request: Request) -> dict[str, Any] | None:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return None
    try:
        body = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        return None
    return body if isinstance(body, dict) else None


def _session_answer(email: str, role: str, token: str) -> dict[str, str]:
    return {"email": email, "role": role, "csrfToken": csrf_token(token)}


async def sign_in(request: Request, settings: Settings) -> Response:
    """`POST {"email", "password"}`: 200 with the account and the CSRF token, and the session
    cookie; 400 with field errors, 401 for a wrong email or password (the same answer and
    the same time for both), 429 past the attempts allowed per email or per address."""
    if not _same_origin(request):
        return _refusal(403, "FORBIDDEN", "Sign in from the console's own page.")
    body = await _json_body(request)
    if body is None:
        return _refusal(400, "INVALID_INPUT", "Send a JSON object with email and password.")
    email, password = body.get("email"), body.get("password")
    errors = []
    if not isinstance(email, str) or not email.strip():
        errors.append({"code": "INVALID_INPUT", "field": ["email"], "message": "Enter your email."})
    if not isinstance(password, str) or not password:
        errors.append(
            {"code": "INVALID_INPUT", "field": ["password"], "message": "Enter your password."}
        )
    if errors or not isinstance(email, str) or not isinstance(password, str):
        return JSONResponse({"userErrors": errors}, status_code=400)
    runtime = _runtime(request)
    now = runtime.clock.now()
    limiter = RateLimiter(runtime.redis, settings.redis_prefix)
    window = settings.console_sign_in_window_seconds
    address = request.client.host if request.client else "unknown"
    email_key = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    try:
        await limiter.hit(
            "console-sign-in-address",
            address,
            Limit(settings.console_sign_in_per_address, window),
            now=now.timestamp(),
        )
        await limiter.hit(
            "console-sign-in-email",
            email_key,
            Limit(settings.console_sign_in_per_email, window),
            now=now.timestamp(),
        )
    except RateLimited as error:
        response = _refusal(429, "RATE_LIMITED", error.message)
        # When this window ends, as the message says (the whole window only if unknown).
        response.headers["retry-after"] = str(error.retry_after or window)
        return response
    account = await authenticate(email, password, now)
    if account is None:
        return _refusal(401, "INVALID_CREDENTIALS", "That email and password do not match.")
    lifetime = timedelta(hours=settings.console_session_hours)
    token = await open_session(account, now, lifetime)
    response = JSONResponse(
        _session_answer(account.email, account.role.value, token),
        headers={"cache-control": "no-store"},
    )
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(lifetime.total_seconds()),
        path="/",
        httponly=True,
        samesite="strict",
        secure=settings.is_production,
    )
    return response


async def sign_out(request: Request, settings: Settings) -> Response:
    """`POST` with the session's CSRF token: ends the session and clears the cookie."""
    token = request.cookies.get(COOKIE, "")
    if token and not csrf_matches(token, request.headers.get(CSRF_HEADER)):
        return _refusal(403, "CSRF_TOKEN_INVALID", "Send the session's CSRF token.")
    runtime = _runtime(request)
    ended = await revoke(token, runtime.clock.now()) if token else False
    response = JSONResponse({"signedOut": ended}, headers={"cache-control": "no-store"})
    response.delete_cookie(
        COOKIE,
        path="/",
        httponly=True,
        samesite="strict",
        secure=settings.is_production,
    )
    return response


async def session(request: Request) -> Response:
    """`GET`: the signed-in account and its CSRF token (readable by the console's own page
    only: browsers do not let another origin read this answer); 401 when signed out."""
    token = request.cookies.get(COOKIE, "")
    runtime = _runtime(request)
    account = await signed_in(token, runtime.clock.now()) if token else None
    if account is None:
        return _refusal(401, "UNAUTHENTICATED", "Sign in to use the console.")
    return JSONResponse(
        _session_answer(account.email, account.role.value, token),
        headers={"cache-control": "no-store"},
    )


async def page(request: Request) -> Response:
    """The console's one page; its views are addressed by the URL's fragment."""
    return FileResponse(STATIC_DIR / "index.html", headers=SECURITY_HEADERS)


class ConsoleAssets(StaticFiles):
    """The page's scripts, styles and vendored libraries, with the page's security headers."""

    async def get_response(self, path: str, scope: Any) -> Response:
        response = await super().get_response(path, scope)
        response.headers["x-content-type-options"] = "nosniff"
        return response


def console_routes(settings: Settings) -> list[BaseRoute]:
    """Every route of the console (production included: it signs in with accounts, not with
    a development secret; the cookie is Secure in production)."""

    async def signing_in(request: Request) -> Response:
        return await sign_in(request, settings)

    async def signing_out(request: Request) -> Response:
        return await sign_out(request, settings)

    return [
        Route("/console", page, methods=["GET"]),
        Route("/console/", page, methods=["GET"]),
        Route("/console/api/sign-in", signing_in, methods=["POST"]),
        Route("/console/api/sign-out", signing_out, methods=["POST"]),
        Route("/console/api/session", session, methods=["GET"]),
        Mount(ASSETS_PATH, ConsoleAssets(directory=STATIC_DIR), name="console-assets"),
    ]
