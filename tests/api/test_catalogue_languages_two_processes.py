"""Two server processes on one PostgreSQL and one Redis: members reading the catalogue through
process A, each in their language, see translations an admin changes through process B at
their next read (the configuration versions tell A's catalogues; the fragment cache keys on
the texts shown)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from bench.harness import token
from tests.api.test_catalogue_languages import (
    QUERIES,
    SCREENS,
    TIERS,
    catalogue_operations,
    expected,
    names,
    seen_in,
)
from tests.api.test_leaderboards_two_processes import post, two_servers

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

UPDATE_PROFILE = """
mutation Locale($locale: String!) {
  updateProfile(input: {locale: $locale}) { member { locale } userErrors { code } }
}"""


def admin_changes(base: str, kind_names: dict[str, dict[str, str]]) -> None:
    for document, variables in catalogue_operations(datetime.now(UTC), kind_names):
        answer = post(base, document, variables, token("admin", "admin@shop"))
        (payload,) = answer["data"].values()
        assert payload["userErrors"] == [], payload


def seen_through(base: str, sub: str) -> dict[str, tuple[str, str]]:
    bearer = token("member", sub)
    answers: dict[str, Any] = {name: _operation(base, name, bearer) for name in SCREENS}
    answers["Tiers"] = post(base, TIERS, {}, bearer)["data"]
    return seen_in(answers)


def _operation(base: str, name: str, bearer: str) -> dict[str, Any]:
    """The data of one of the contract's operations (the document holds several)."""
    response = httpx.post(
        f"{base}/graphql",
        json={"query": QUERIES[name], "operationName": name, "variables": {}},
        headers={"Authorization": f"Bearer {bearer}"},
        timeout=10,
    )
    body = response.json()
    assert not body.get("errors"), body
    return body["data"]


async def test_members_on_process_a_read_translations_changed_through_process_b(
    db: str, redis_prefix: str
) -> None:
    with two_servers(db, redis_prefix) as (a, b):
        admin_changes(b, names(es="Español", fr="Français"))
        for sub, locale in (("ana", "es-MX"), ("fred", "fr")):
            answer = post(a, UPDATE_PROFILE, {"locale": locale}, token("member", sub))
            assert answer["data"]["updateProfile"]["userErrors"] == []

        assert seen_through(a, "ana") == expected("Español")
        assert seen_through(a, "fred") == expected("Français")
        assert seen_through(a, "ana") == expected("Español")  # A's caches are warm

        admin_changes(b, names(es="Nuevo", fr="Nouveau"))

        assert seen_through(a, "ana") == expected("Nuevo")
        assert seen_through(a, "fred") == expected("Nouveau")
