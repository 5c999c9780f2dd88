"""The console's sign-in: accounts, the session cookie, CSRF, rate limits and roles."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import httpx
import pytest

from api.app import create_app
from api.console.models import ConsoleAccount, ConsoleSession
from api.console.sessions import COOKIE
from api.settings import Settings
from domain.points.models import PointsEntry
from tests.api.conftest import GraphQLClient, data, error_codes
from tests.api.console_support import (
    ADMIN,
    ANALYST,
    PASSWORD,
    console_post,
    make_accounts,
    sign_in,
    signed_in,
)

KPIS = """query($from: DateTime!, $to: DateTime!) {
  programKpis(from: $from, to: $to) { members activeMembers }
}"""
ADJUST = """mutation($input: AdjustPointsInput!) {
  adjustPoints(input: $input) { points { balance } userErrors { code field message } }
}"""
PERIOD = {"from": "2026-01-01T00:00:00Z", "to": "2027-01-01T00:00:00Z"}


@pytest.fixture
def api_settings(db: str, redis_prefix: str) -> Settings:
    return Settings(
        env="test",
        database_url=db,
        redis_prefix=redis_prefix,
        run_background=False,
        console_sign_in_per_email=3,
        console_sign_in_per_address=6,
    )


def set_cookie(response: httpx.Response) -> str:
    cookies = [v for k, v in response.headers.multi_items() if k == "set-cookie"]
    assert len(cookies) == 1, cookies
    return cookies[0]


async def test_signing_in_sets_an_httponly_strict_session_cookie(api: GraphQLClient) -> None:
    await make_accounts(api)
    response = await sign_in(api, "  Ana@Shop.Example ")
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == ADMIN and body["role"] == "admin" and len(body["csrfToken"]) == 64
    cookie = set_cookie(response)
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert cookie.startswith(f"{COOKIE}=")
    assert {"httponly", "path", "samesite", "max-age"} <= attributes
    assert "samesite=strict" in cookie.lower() and "path=/" in cookie.lower()
    assert "secure" not in attributes  # plain http in development
    account = await ConsoleAccount.get(email=ADMIN)
    assert account.last_sign_in_at == api.clock.now()
    # Only the token's hash is stored.
    token = cookie.split(";")[0].split("=", 1)[1]
    assert not await ConsoleSession.filter(token_hash=token).exists()
    assert await ConsoleSession.all().count() == 1


async def test_the_cookie_is_secure_in_production(
    api_settings: Settings, api: GraphQLClient
) -> None:
    await make_accounts(api)
    production = dataclasses.replace(api_settings, env="production", jwt_secret="p" * 40)
    app = create_app(production, runtime=api.runtime)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://fidelio.test") as http:
        response = await http.post(
            "/console/api/sign-in", json={"email": ADMIN, "password": PASSWORD}
        )
    assert response.status_code == 200
    assert "secure" in {p.strip().lower() for p in set_cookie(response).split(";")}


async def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(
    api: GraphQLClient,
) -> None:
    await make_accounts(api)
    wrong = await sign_in(api, ADMIN, "not the password")
    unknown = await sign_in(api, "nobody@shop.example", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["userErrors"][0]["code"] == "INVALID_CREDENTIALS"
    assert "set-cookie" not in wrong.headers and "set-cookie" not in unknown.headers
    assert await ConsoleSession.all().count() == 0


async def test_missing_fields_are_reported_on_their_field(api: GraphQLClient) -> None:
    response = await api.http.post("/console/api/sign-in", json={"email": " ", "password": ""})
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["userErrors"]] == [["email"], ["password"]]


async def test_sign_in_refuses_forms_and_other_origins(api: GraphQLClient) -> None:
    await make_accounts(api)
    form = await api.http.post("/console/api/sign-in", data={"email": ADMIN, "password": PASSWORD})
    assert form.status_code == 400
    elsewhere = await api.http.post(
        "/console/api/sign-in",
        json={"email": ADMIN, "password": PASSWORD},
        headers={"Origin": "https://evil.example"},
    )
    assert elsewhere.status_code == 403
    assert await ConsoleSession.all().count() == 0


async def test_sign_in_attempts_are_limited_per_email(api: GraphQLClient) -> None:
    await make_accounts(api)
    for _ in range(3):
        assert (await sign_in(api, ADMIN, "wrong password!")).status_code == 401
    refused = await sign_in(api, ADMIN)  # even the right password, once over the limit
    assert refused.status_code == 429
    assert refused.json()["userErrors"][0]["code"] == "RATE_LIMITED"
    assert "set-cookie" not in refused.headers
    # Other emails are not held back by it, and the window ends.
    assert (await sign_in(api, ANALYST)).status_code == 200
    api.clock.advance(timedelta(seconds=api.settings.console_sign_in_window_seconds))
    assert (await sign_in(api, ADMIN)).status_code == 200


async def test_a_refused_sign_in_says_in_its_header_the_wait_its_message_says(
    api: GraphQLClient,
) -> None:
    await make_accounts(api)
    for _ in range(3):
        assert (await sign_in(api, ADMIN, "wrong password!")).status_code == 401
    window = api.settings.console_sign_in_window_seconds
    api.clock.advance(seconds=window * 0.75)
    left = window - int(api.clock.now().timestamp()) % window
    assert left < window
    refused = await sign_in(api, ADMIN)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == str(left)
    assert refused.json()["userErrors"][0]["message"].endswith(f"try again in {left} s.")


async def test_sign_in_attempts_are_limited_per_address(api: GraphQLClient) -> None:
    await make_accounts(api)
    for n in range(6):
        assert (await sign_in(api, f"guess{n}@shop.example")).status_code == 401
    assert (await sign_in(api, ADMIN)).status_code == 429


async def test_cookie_requests_need_the_sessions_csrf_token(api: GraphQLClient) -> None:
    await make_accounts(api)
    csrf = await signed_in(api, ADMIN)
    for sent in (None, "", "0" * 64):
        refused = await console_post(api, KPIS, PERIOD, csrf=sent)
        assert refused.status_code == 403
        assert error_codes(refused.json()) == ["CSRF_TOKEN_INVALID"]
    # Another session's token is no better.
    other = httpx.AsyncClient(transport=api.http._transport, base_url="http://fidelio.test")
    async with other:
        response = await other.post(
            "/console/api/sign-in", json={"email": ANALYST, "password": PASSWORD}
        )
        assert response.status_code == 200
        theirs = response.json()["csrfToken"]
    assert (await console_post(api, KPIS, PERIOD, csrf=theirs)).status_code == 403
    accepted = await console_post(api, KPIS, PERIOD, csrf=csrf)
    assert accepted.status_code == 200
    assert data(accepted.json())["programKpis"] == {"members": 0, "activeMembers": 0}


async def test_bearer_callers_are_unaffected_by_a_console_cookie(api: GraphQLClient) -> None:
    await make_accounts(api)
    await signed_in(api, ANALYST)
    result = await api.admin(ADJUST, {"input": {"customerId": "x", "delta": 5, "reason": "r"}})
    assert data(result)["adjustPoints"]["userErrors"][0]["code"] == "NOT_FOUND"


async def test_an_analyst_reads_but_every_mutation_is_forbidden(api: GraphQLClient) -> None:
    await make_accounts(api)
    await api.member("alice", "{ me { id } }")
    csrf = await signed_in(api, ANALYST)
    assert (await console_post(api, KPIS, PERIOD, csrf=csrf)).json()["data"]["programKpis"][
        "members"
    ] == 1
    refused = (
        await console_post(
            api, ADJUST, {"input": {"customerId": "alice", "delta": 50, "reason": "x"}}, csrf=csrf
        )
    ).json()
    assert error_codes(refused) == ["FORBIDDEN"]
    assert await PointsEntry.all().count() == 0
    segment = """mutation { upsertSegment(input: {code: "es", name: "Spain",
        rule: {countries: ["ES"]}}) { userErrors { code } } }"""
    assert error_codes((await console_post(api, segment, csrf=csrf)).json()) == ["FORBIDDEN"]


async def test_an_admin_session_adjusts_points_as_its_email(api: GraphQLClient) -> None:
    await make_accounts(api)
    await api.member("alice", "{ me { id } }")
    csrf = await signed_in(api, ADMIN)
    result = (
        await console_post(
            api,
            ADJUST,
            {"input": {"customerId": "alice", "delta": 50, "reason": "Goodwill"}},
            csrf=csrf,
        )
    ).json()
    assert data(result)["adjustPoints"] == {"points": {"balance": 50}, "userErrors": []}
    assert (await PointsEntry.get(kind="ADJUST")).actor == ADMIN


async def test_a_session_expires(api: GraphQLClient) -> None:
    await make_accounts(api)
    csrf = await signed_in(api, ADMIN)
    api.clock.advance(timedelta(hours=api.settings.console_session_hours, seconds=-1))
    assert (await console_post(api, KPIS, PERIOD, csrf=csrf)).status_code == 200
    api.clock.advance(timedelta(seconds=1))
    expired = (await console_post(api, KPIS, PERIOD, csrf=csrf)).json()
    assert error_codes(expired) == ["UNAUTHENTICATED"]
    assert (await api.http.get("/console/api/session")).status_code == 401


async def test_signing_out_revokes_the_session(api: GraphQLClient) -> None:
    await make_accounts(api)
    csrf = await signed_in(api, ADMIN)
    token = api.http.cookies[COOKIE]
    session = await api.http.get("/console/api/session")
    assert session.json() == {"email": ADMIN, "role": "admin", "csrfToken": csrf}
    assert (await api.http.post("/console/api/sign-out")).status_code == 403  # no CSRF token
    out = await api.http.post("/console/api/sign-out", headers={"X-CSRF-Token": csrf})
    assert out.status_code == 200 and out.json() == {"signedOut": True}
    assert COOKIE not in api.http.cookies
    # The old cookie, sent again (as a thief who copied it would), signs nobody in.
    api.http.cookies.set(COOKIE, token)
    replay = (await console_post(api, KPIS, PERIOD, csrf=csrf)).json()
    assert error_codes(replay) == ["UNAUTHENTICATED"]
    assert (await ConsoleSession.get()).revoked_at == api.clock.now()


async def test_changing_a_password_ends_the_accounts_sessions(api: GraphQLClient) -> None:
    from api.console.accounts import set_password

    await make_accounts(api)
    csrf = await signed_in(api, ADMIN)
    await set_password(ADMIN, "a brand new password", api.clock.now())
    assert error_codes((await console_post(api, KPIS, PERIOD, csrf=csrf)).json()) == [
        "UNAUTHENTICATED"
    ]
    assert (await sign_in(api, ADMIN)).status_code == 401
    assert (await sign_in(api, ADMIN, "a brand new password")).status_code == 200


async def test_the_page_is_served_with_a_strict_content_policy(api: GraphQLClient) -> None:
    page = await api.http.get("/console")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert (await api.http.get("/console/assets/app.js")).status_code == 200
    assert (await api.http.get("/console/assets/../../auth.py")).status_code == 404
