"""Console sessions: a random token in an HttpOnly cookie, its SHA-256 in the database.

A session ends at its expiry (`CONSOLE_SESSION_HOURS` after sign-in) or when revoked (sign
out, password change). The CSRF token a cookie-authenticated GraphQL request must send in
`X-CSRF-Token` is derived from the session's token (an HMAC), so it needs no storage and is
known only to whoever holds the cookie: the page reads it from `/console/api/session`, which
a page of another origin cannot read.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from cross_web import HTTPException
from starlette.requests import Request

from api.auth import Principal, Role, Unauthenticated
from api.console.models import ConsoleAccount, ConsoleSession

COOKIE = "fidelio_console"
CSRF_HEADER = "x-csrf-token"
#: A token is 43 characters of URL-safe base64; anything much longer is not ours.
MAX_TOKEN = 100


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token(token: str) -> str:
    """The CSRF token of the session whose cookie holds `token`."""
    return hmac.new(token.encode(), b"fidelio-console-csrf", hashlib.sha256).hexdigest()


def csrf_matches(token: str, sent: str | None) -> bool:
    """Whether `sent` is the CSRF token of the session `token` (compared in constant time)."""
    return bool(sent) and hmac.compare_digest(csrf_token(token), sent or "")


async def open_session(account: ConsoleAccount, now: datetime, lifetime: timedelta) -> str:
    """A new session of `account`; returns the token to put in the cookie."""
    token = secrets.token_urlsafe(32)
    await ConsoleSession.create(
        token_hash=token_hash(token), account=account, created_at=now, expires_at=now + lifetime
    )
    return token


async def signed_in(token: str, now: datetime) -> ConsoleAccount | None:
    """The account of a live session (not expired, not revoked), in one query; None
    otherwise."""
    if not token or len(token) > MAX_TOKEN:
        return None
    session = (
        await ConsoleSession.filter(
            token_hash=token_hash(token), revoked_at=None, expires_at__gt=now
        )
        .select_related("account")
        .first()
    )
    return None if session is None else session.account


async def revoke(token: str, now: datetime) -> bool:
    """End the session; whether a live one was ended."""
    if not token or len(token) > MAX_TOKEN:
        return False
    ended = await ConsoleSession.filter(token_hash=token_hash(token), revoked_at=None).update(
        revoked_at=now
    )
    return bool(ended)


class CsrfRefused(HTTPException):
    """A cookie-authenticated request without its session's CSRF token: answered 403 before
    any GraphQL runs."""

    code = "CSRF_TOKEN_INVALID"

    def __init__(self) -> None:
        super().__init__(
            403,
            "A request signed in by the console's cookie must send the session's CSRF token "
            "in the X-CSRF-Token header.",
        )


async def cookie_principal(request: Request, now: datetime) -> Principal:
    """The admin principal of the console session whose cookie the request carries.

    Raises `CsrfRefused` when the X-CSRF-Token header is missing or not the session's, and
    `Unauthenticated` when the session expired, was signed out or never existed.
    """
    token = request.cookies.get(COOKIE, "")
    if not csrf_matches(token, request.headers.get(CSRF_HEADER)):
        raise CsrfRefused()
    account = await signed_in(token, now)
    if account is None:
        raise Unauthenticated("The console session has ended: sign in again.")
    return Principal(role=Role.ADMIN, subject=account.email, console_role=account.role)
