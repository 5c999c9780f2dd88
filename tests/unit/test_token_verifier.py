"""The app's token verifier remembers accepted tokens until they expire, and only those."""

from __future__ import annotations

import time

import jwt
import pytest

from api import auth
from api.auth import Role, TokenVerifier, Unauthenticated
from api.settings import Settings

SETTINGS = Settings(jwt_leeway_seconds=30)


def token(subject: str = "alice", *, expires_in: int = 600) -> str:
    now = int(time.time())
    claims = {
        "sub": subject,
        "role": "member",
        "iss": SETTINGS.jwt_issuer,
        "aud": SETTINGS.jwt_audience,
        "iat": now,
        "exp": now + expires_in,
    }
    assert SETTINGS.jwt_secret
    return jwt.encode(claims, SETTINGS.jwt_secret, algorithm=SETTINGS.jwt_algorithm)


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every signature check the verifier makes, by token."""
    seen: list[str] = []
    real = jwt.decode

    def counting(token: str, *args: object, **kwargs: object) -> object:
        seen.append(token)
        return real(token, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(auth.jwt, "decode", counting)
    return seen


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def test_an_accepted_token_is_checked_once_while_it_is_valid(decodes: list[str]) -> None:
    verifier = TokenVerifier(SETTINGS)
    alice = token()

    principals = {verifier.verify(alice) for _ in range(5)}

    assert principals == {auth.Principal(role=Role.MEMBER, subject="alice")}
    assert decodes == [alice]


def test_a_remembered_token_is_checked_again_once_past_its_expiry_and_leeway(
    decodes: list[str],
) -> None:
    clock = Clock()
    verifier = TokenVerifier(SETTINGS, clock=clock)
    alice = token(expires_in=60)
    verifier.verify(alice)

    clock.now += 60 + 29
    verifier.verify(alice)
    assert len(decodes) == 1
    clock.now += 2
    verifier.verify(alice)  # still valid on the real clock: checked, then kept again
    assert len(decodes) == 2


def test_a_refused_token_is_never_remembered(decodes: list[str]) -> None:
    verifier = TokenVerifier(SETTINGS)
    expired = token(expires_in=-120)
    forged = token()[:-2] + "xx"

    for bad in (expired, forged, expired, forged):
        with pytest.raises(Unauthenticated):
            verifier.verify(bad)

    assert len(decodes) == 4


def test_the_memory_is_bounded_and_forgets_the_least_recently_used(decodes: list[str]) -> None:
    verifier = TokenVerifier(SETTINGS, capacity=2)
    ana, ben, cris = token("ana"), token("ben"), token("cris")
    verifier.verify(ana)
    verifier.verify(ben)
    verifier.verify(ana)  # ana is now the most recent
    verifier.verify(cris)  # ben leaves

    verifier.verify(ana)
    verifier.verify(ben)

    assert decodes == [ana, ben, cris, ben]


def test_a_verifier_accepts_only_tokens_of_its_own_settings() -> None:
    other = TokenVerifier(Settings(jwt_secret="another-secret-of-at-least-32-bytes!!"))
    TokenVerifier(SETTINGS).verify(token())

    with pytest.raises(Unauthenticated):
        other.verify(token())
