"""Bad credentials are UNAUTHENTICATED, the wrong role FORBIDDEN, and nothing leaks."""

from __future__ import annotations

import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from api.auth import Unauthenticated, verify_token
from api.settings import Settings
from tests.api.conftest import GraphQLClient, data, error_codes

ME = "{ me { id customerId referralCode } }"


def claims(settings: Settings, **overrides: object) -> dict[str, object]:
    now = int(time.time())
    base: dict[str, object] = {
        "sub": "alice",
        "role": "member",
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + 600,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


async def test_a_minted_member_token_reads_the_member_created_on_first_sight(
    api: GraphQLClient,
) -> None:
    first = data(await api.member("alice", ME))["me"]
    again = data(await api.member("alice", ME))["me"]
    assert first["customerId"] == "alice"
    assert first == again
    assert len(first["referralCode"]) == 8


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(
            lambda s: jwt.encode(claims(s), "another-secret-of-enough-length-000000", "HS256"),
            id="wrong key",
        ),
        pytest.param(lambda s: jwt.encode(claims(s), s.jwt_secret, "HS512"), id="wrong algorithm"),
        pytest.param(lambda s: jwt.encode(claims(s), None, "none"), id="alg none"),
        pytest.param(
            lambda s: jwt.encode(claims(s, exp=int(time.time()) - 3600), s.jwt_secret, "HS256"),
            id="expired",
        ),
        pytest.param(
            lambda s: jwt.encode(claims(s, aud="someone-else"), s.jwt_secret, "HS256"),
            id="wrong audience",
        ),
        pytest.param(
            lambda s: jwt.encode(claims(s, iss="evil"), s.jwt_secret, "HS256"), id="wrong issuer"
        ),
        pytest.param(lambda s: jwt.encode(claims(s, exp=None), s.jwt_secret, "HS256"), id="no exp"),
        pytest.param(
            lambda s: jwt.encode(claims(s, role="root"), s.jwt_secret, "HS256"), id="unknown role"
        ),
        pytest.param(lambda s: "not-a-jwt", id="garbage"),
    ],
)
async def test_a_bad_token_is_unauthenticated(api: GraphQLClient, make_token) -> None:  # type: ignore[no-untyped-def]
    result = await api.post(ME, token=make_token(api.settings))
    assert error_codes(result) == ["UNAUTHENTICATED"]
    assert result["data"] is None


async def test_no_token_is_unauthenticated(api: GraphQLClient) -> None:
    assert error_codes(await api.post(ME)) == ["UNAUTHENTICATED"]


async def test_a_member_token_on_an_admin_or_service_field_is_forbidden(api: GraphQLClient) -> None:
    result = await api.member("alice", '{ member(customerId: "bob") { id } }')
    assert error_codes(result) == ["FORBIDDEN"]


async def test_a_service_token_has_no_me(api: GraphQLClient) -> None:
    assert error_codes(await api.service(ME)) == ["FORBIDDEN"]


def test_es256_tokens_verify_with_the_public_key_and_hs256_forgeries_with_it_fail() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    settings = Settings(jwt_algorithm="ES256", jwt_secret=None, jwt_public_key=public)
    good = jwt.encode(claims(settings), private, "ES256")
    assert verify_token(good, settings).subject == "alice"
    # The classic confusion attack: HS256 signed with the public key as the secret.
    import base64
    import hashlib
    import hmac
    import json

    header = base64.urlsafe_b64encode(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()).rstrip(
        b"="
    )
    body = base64.urlsafe_b64encode(json.dumps(claims(settings)).encode()).rstrip(b"=")
    signature = base64.urlsafe_b64encode(
        hmac.new(public.encode(), header + b"." + body, hashlib.sha256).digest()
    ).rstrip(b"=")
    with pytest.raises(Unauthenticated):
        verify_token((header + b"." + body + b"." + signature).decode(), settings)


def test_production_refuses_the_development_secret() -> None:
    from api.settings import DEV_JWT_SECRET, SettingsError

    with pytest.raises(SettingsError):
        Settings(env="production", jwt_secret=DEV_JWT_SECRET).check()
    Settings(env="production", jwt_secret="x" * 40).check()


async def test_an_unexpected_failure_is_masked_and_carries_no_stack_trace(
    api: GraphQLClient, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from domain.members import services

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr(services, "get_member", broken)
    result = await api.admin('{ member(customerId: "x") { id } }')
    assert result["errors"][0]["message"] == "Unexpected error. It has been logged."
    assert "hunter2" not in str(result)
    assert "Traceback" not in str(result)


async def test_health_and_readiness(api: GraphQLClient) -> None:
    assert (await api.http.get("/healthz")).json() == {"status": "ok"}
    ready = await api.http.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"database": "ok", "redis": "ok"}


async def test_a_request_body_over_the_limit_is_refused(api: GraphQLClient) -> None:
    response = await api.http.post(
        "/graphql",
        content=b"x" * (api.settings.max_body_bytes + 1),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413


async def test_deep_queries_and_many_aliases_are_refused(api: GraphQLClient) -> None:
    aliases = " ".join(f"a{i}: me {{ id }}" for i in range(40))
    result = await api.member("alice", "{ " + aliases + " }")
    assert result["errors"] and result.get("data") is None
