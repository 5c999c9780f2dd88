"""Console accounts and signed-in HTTP clients for the console's tests."""

from __future__ import annotations

from typing import Any

import httpx

from api.console.accounts import add_account
from api.console.models import ConsoleRole
from tests.api.conftest import GraphQLClient

PASSWORD = "correct horse battery"
ADMIN = "ana@shop.example"
ANALYST = "raul@shop.example"


async def make_accounts(api: GraphQLClient) -> None:
    """An admin (`ADMIN`) and an analyst (`ANALYST`), both with `PASSWORD`."""
    now = api.clock.now()
    await add_account(ADMIN, PASSWORD, ConsoleRole.ADMIN, now)
    await add_account(ANALYST, PASSWORD, ConsoleRole.ANALYST, now)


async def sign_in(api: GraphQLClient, email: str, password: str = PASSWORD) -> httpx.Response:
    return await api.http.post("/console/api/sign-in", json={"email": email, "password": password})


async def console_post(
    api: GraphQLClient, query: str, variables: dict[str, Any] | None = None, *, csrf: str | None
) -> httpx.Response:
    """A GraphQL request with the client's cookies (the session) and `csrf` as the header."""
    headers = {"X-CSRF-Token": csrf} if csrf is not None else {}
    return await api.http.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )


async def signed_in(api: GraphQLClient, email: str) -> str:
    """Sign `email` in on the client; returns the session's CSRF token."""
    response = await sign_in(api, email)
    assert response.status_code == 200, response.text
    return str(response.json()["csrfToken"])
