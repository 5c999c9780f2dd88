"""Who is calling: JWTs verified with pyjwt, the algorithm pinned by configuration.

Roles: `member` (sub = the shop's customer id), `service` (the shop's backend), `admin`.
A missing or bad token is UNAUTHENTICATED; a valid token of the wrong role is FORBIDDEN.
The console's session cookie gives an admin principal too (`api.console.sessions`), whose
`console_role` may make it read-only.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeGuard

import jwt
from graphql import GraphQLError

from api.console.models import ConsoleRole
from api.settings import Settings


class Role(StrEnum):
    MEMBER = "member"
    SERVICE = "service"
    ADMIN = "admin"


@dataclass(frozen=True)
class Principal:
    role: Role
    subject: str
    #: Signed in through the console (a session cookie): the account's role there. An
    #: `analyst` holds the admin role to read, and is refused every mutation (`read_only`).
    console_role: ConsoleRole | None = None

    @property
    def read_only(self) -> bool:
        """Whether this caller may read but change nothing (a console analyst)."""
        return self.console_role == ConsoleRole.ANALYST


class Unauthenticated(GraphQLError):
    def __init__(self, message: str = "A valid bearer token is required.") -> None:
        super().__init__(message, extensions={"code": "UNAUTHENTICATED"})


class Forbidden(GraphQLError):
    def __init__(self, message: str = "This token may not do that.") -> None:
        super().__init__(message, extensions={"code": "FORBIDDEN"})


def _verification_key(settings: Settings) -> str:
    if settings.jwt_algorithm.startswith("HS"):
        assert settings.jwt_secret
        return settings.jwt_secret
    assert settings.jwt_public_key
    return settings.jwt_public_key


def verify_token(token: str, settings: Settings) -> Principal:
    """The principal of a valid token; raises `Unauthenticated` otherwise.

    Only the configured algorithm is accepted (never `none`, never HS with a public key);
    `exp`, `iss`, `aud`, `sub` and `role` are required.
    """
    return _verified(token, settings)[0]


def _verified(token: str, settings: Settings) -> tuple[Principal, float]:
    """The principal and the `exp` claim of a valid token."""
    try:
        claims = jwt.decode(
            token,
            _verification_key(settings),
            algorithms=[settings.jwt_algorithm],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            leeway=settings.jwt_leeway_seconds,
            options={"require": ["exp", "iss", "aud", "sub"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthenticated("The token has expired.") from exc
    except (jwt.PyJWTError, TypeError, ValueError, OverflowError) as exc:
        # pyjwt checks the standard claims' types only in part: an `iss` or `aud` of another
        # type, an `exp` of NaN, ... raise plain TypeError/ValueError/OverflowError.
        raise Unauthenticated("The token is not valid.") from exc
    role, subject, expires = claims.get("role"), claims.get("sub"), claims.get("exp")
    if not isinstance(role, str) or role not in ROLES or not _valid_subject(subject):
        raise Unauthenticated("The token has no valid role or subject.")
    if len(subject) > 128:
        raise Unauthenticated("The token subject is too long.")
    if isinstance(expires, bool) or not isinstance(expires, int | float) or expires != expires:
        raise Unauthenticated("The token is not valid.")
    return Principal(role=Role(role), subject=subject), float(expires)


ROLES = frozenset(r.value for r in Role)


def _valid_subject(subject: object) -> TypeGuard[str]:
    """A non-empty string of printable characters that encodes to UTF-8 (it is stored)."""
    if not isinstance(subject, str) or not subject or not subject.isprintable():
        return False
    try:
        subject.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class TokenVerifier:
    """`verify_token` that remembers the tokens it accepted, until they expire.

    An app sends the same token with every request, and checking a signature costs about a
    third of a trivial query's CPU. Only accepted tokens are kept (with their principal), up to
    their `exp` plus the configured leeway, exactly as long as verification itself would
    accept them; a refused token is verified again every time. At most `capacity` tokens are
    kept, the least recently used leaving first. One verifier per app: it verifies with the
    app's settings only.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        capacity: int = 10_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.capacity = capacity
        self._clock = clock
        self._accepted: OrderedDict[str, tuple[Principal, float]] = OrderedDict()

    def verify(self, token: str) -> Principal:
        return self.verify_until(token)[0]

    def verify_until(self, token: str) -> tuple[Principal, float]:
        """The principal and the moment (epoch seconds) until which the token is accepted:
        its `exp` plus the leeway."""
        known = self._accepted.get(token)
        if known is not None:
            principal, valid_until = known
            if self._clock() < valid_until:
                self._accepted.move_to_end(token)
                return known
            del self._accepted[token]
        principal, expires = _verified(token, self.settings)
        accepted = (principal, expires + self.settings.jwt_leeway_seconds)
        self._accepted[token] = accepted
        if len(self._accepted) > self.capacity:
            self._accepted.popitem(last=False)
        return accepted


def token_from_header(value: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` value; None when no credentials were
    sent; raises `Unauthenticated` for malformed ones."""
    if not value:
        return None
    if not isinstance(value, str):
        raise Unauthenticated("Use 'Authorization: Bearer <token>'.")
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Use 'Authorization: Bearer <token>'.")
    return token.strip()


def principal_from_header(value: str | None, verifier: TokenVerifier) -> Principal | None:
    """None when no credentials were sent; raises `Unauthenticated` for malformed ones."""
    token = token_from_header(value)
    return None if token is None else verifier.verify(token)


def mint_token(settings: Settings, role: Role | str, subject: str, ttl_seconds: int = 3600) -> str:
    """A token for development and tests (the server itself never mints tokens)."""
    now = int(time.time())
    claims = {
        "sub": subject,
        "role": str(Role(role)),
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    key = (
        settings.jwt_secret if settings.jwt_algorithm.startswith("HS") else settings.jwt_private_key
    )
    if not key:
        raise ValueError("minting needs JWT_SECRET (HS*) or JWT_PRIVATE_KEY (RS256/ES256)")
    return jwt.encode(claims, key, algorithm=settings.jwt_algorithm)
