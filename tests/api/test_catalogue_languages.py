"""Catalogue content in the member's language: names and descriptions of rewards, badges,
challenges, drops and tiers entered per locale through the admin upserts, read by each member
in theirs (then its language, then the program's default locale, then the base text), through
the fragment cache and the per-process catalogues, and after a change made on another
process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis

from api.app import create_app
from api.runtime import build_runtime
from api.settings import Settings
from domain.members.models import Member
from domain.members.services import get_or_create_member
from tests.api.conftest import GraphQLClient, data
from tests.api.test_fragment_cache import contract_queries

QUERIES = contract_queries()
RULE = {"event": "PURCHASE", "aggregate": "COUNT", "target": 3}
UPSERT_REWARD = """
mutation UpsertReward($input: RewardInput!) {
  upsertReward(input: $input) {
    reward { name description translations { locale name description } }
    userErrors { code field message }
  }
}"""
UPSERT_BADGE = """
mutation UpsertBadge($input: BadgeInput!) {
  upsertBadge(input: $input) { badge { name translations { locale name } } userErrors { code field } }
}"""
UPSERT_CHALLENGE = """
mutation UpsertChallenge($input: ChallengeInput!) {
  upsertChallenge(input: $input) { challenge { title } userErrors { code field } }
}"""
UPSERT_DROP = """
mutation UpsertDrop($input: DropInput!) {
  upsertDrop(input: $input) { drop { title } userErrors { code field } }
}"""
CONFIGURE_TIERS = """
mutation ConfigureTiers($input: [TierInput!]!) {
  configureTiers(input: $input) { tiers { code name translations { locale name } } userErrors { code field } }
}"""
TIERS = "query Tiers { tiers { code name } }"

#: What each member reads, per kind, by language.
TEXTS = {
    "es": {"name": "Café gratis", "description": "Un café."},
    "fr": {"name": "Café offert", "description": "Un café."},
    "en": {"name": "Free coffee", "description": "One coffee."},
}


def translations(**names: str) -> list[dict[str, str]]:
    """[{locale, name, description}] with each name given, descriptions from the name."""
    return [{"locale": loc, "name": n, "description": f"{n} (desc)"} for loc, n in names.items()]


async def admin_ok(api: GraphQLClient, document: str, variables: dict[str, Any]) -> dict:
    result = data(await api.admin(document, variables))
    (payload,) = result.values()
    assert payload["userErrors"] == [], payload
    return payload


def catalogue_operations(
    now: datetime, kind_names: dict[str, dict[str, str]]
) -> list[tuple[str, dict[str, Any]]]:
    """The admin operations of one reward, badge, challenge, drop and base tier, each with
    `kind_names[kind]` as its translations (locale -> name)."""
    tier_translations = [{"locale": loc, "name": n} for loc, n in kind_names["tier"].items()]
    base_tier = {
        "code": "BASE",
        "name": "Base",
        "level": 0,
        "qualifyingPoints": 0,
        "pointsMultiplier": 1,
        "translations": tier_translations,
    }
    reward = {
        "code": "coffee",
        "name": "Coffee",
        "description": "Base description.",
        "kind": "PRODUCT",
        "costPoints": 10,
        "translations": translations(**kind_names["reward"]),
    }
    badge = {
        "code": "regular",
        "name": "Regular",
        "description": "Base description.",
        "rule": RULE,
        "translations": translations(**kind_names["badge"]),
    }
    challenge = {
        "code": "spring",
        "title": "Spring",
        "description": "Base description.",
        "startsAt": (now - timedelta(days=1)).isoformat(),
        "endsAt": (now + timedelta(days=30)).isoformat(),
        "goal": RULE,
        "translations": translations(**kind_names["challenge"]),
    }
    drop = {
        "code": "sneaker",
        "title": "Sneaker",
        "description": "Base description.",
        "opensAt": (now + timedelta(hours=1)).isoformat(),
        "closesAt": (now + timedelta(hours=3)).isoformat(),
        "quantity": 5,
        "translations": translations(**kind_names["drop"]),
    }
    return [
        (CONFIGURE_TIERS, {"input": [base_tier]}),
        (UPSERT_REWARD, {"input": reward}),
        (UPSERT_BADGE, {"input": badge}),
        (UPSERT_CHALLENGE, {"input": challenge}),
        (UPSERT_DROP, {"input": drop}),
    ]


async def catalogue(api: GraphQLClient, kind_names: dict[str, dict[str, str]]) -> None:
    """One reward, badge, challenge, drop and base tier with these translations."""
    for document, variables in catalogue_operations(api.clock.now(), kind_names):
        await admin_ok(api, document, variables)


def names(**by_locale: str) -> dict[str, dict[str, str]]:
    """The same names per locale for every kind, suffixed by the kind."""
    return {
        kind: {loc: f"{name} {kind}" for loc, name in by_locale.items()}
        for kind in ("tier", "reward", "badge", "challenge", "drop")
    }


async def members(api: GraphQLClient, **locales: str) -> None:
    for sub, locale in locales.items():
        member = await get_or_create_member(sub, api.clock.now() - timedelta(days=1))
        await Member.filter(id=member.id).update(locale=locale)


async def send(api: GraphQLClient, name: str, sub: str) -> dict[str, Any]:
    response = await api.http.post(
        "/graphql",
        json={"query": QUERIES[name], "operationName": name, "variables": {}},
        headers={"Authorization": f"Bearer {api.token('member', sub)}"},
    )
    assert response.status_code == 200, response.text
    return data(response.json())


SCREENS = ("Home", "Rewards", "Badges", "Challenges", "Drops")


def seen_in(answers: dict[str, dict[str, Any]]) -> dict[str, tuple[str, str]]:
    """The (name, description) of each kind in the answers of the app's screens (the
    contract's operations, and `TIERS`); the tier's description is its name again."""
    (reward,) = answers["Rewards"]["rewards"]
    (badge,) = answers["Badges"]["badges"]
    (challenge,) = answers["Challenges"]["challenges"]
    (drop,) = answers["Drops"]["drops"]
    tier_name = answers["Home"]["me"]["tier"]["name"]
    (ladder,) = answers["Tiers"]["tiers"]
    assert ladder["name"] == tier_name
    return {
        "tier": (tier_name, tier_name),
        "reward": (reward["name"], reward["description"]),
        "badge": (badge["name"], badge["description"]),
        "challenge": (challenge["title"], challenge["description"]),
        "drop": (drop["title"], drop["description"]),
    }


async def seen_by(api: GraphQLClient, sub: str) -> dict[str, tuple[str, str]]:
    """What `sub` reads of each kind through the app's screens."""
    answers = {name: await send(api, name, sub) for name in SCREENS}
    answers["Tiers"] = data(await api.member(sub, TIERS))
    return seen_in(answers)


def expected(name: str, base: bool = False) -> dict[str, tuple[str, str]]:
    """What a reader of the translation `name` (or of the base texts) sees per kind."""
    bases = {"tier": "Base", "reward": "Coffee", "badge": "Regular"}
    bases |= {"challenge": "Spring", "drop": "Sneaker"}
    found = {}
    for kind in ("tier", "reward", "badge", "challenge", "drop"):
        if base:
            text = bases[kind]
            found[kind] = (text, text if kind == "tier" else "Base description.")
        else:
            text = f"{name} {kind}"
            found[kind] = (text, text if kind == "tier" else f"{text} (desc)")
    return found


@pytest.fixture
async def other_process(
    api: GraphQLClient, api_settings: Settings, redis_client: aioredis.Redis
) -> AsyncIterator[GraphQLClient]:
    """A second server process on the same database: its own runtime (fragment cache,
    catalogues, version reader); they share only the database (and Redis)."""
    runtime = build_runtime(api_settings, clock=api.clock, redis=redis_client)
    app = create_app(api_settings, runtime=runtime)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://fidelio.test") as http:
        yield GraphQLClient(http=http, settings=api_settings, runtime=runtime, clock=api.clock)
    for task in runtime._tasks:
        task.cancel()
    if runtime.fanout is not None:
        await runtime.fanout.close()


async def test_each_member_reads_the_catalogue_in_their_language_and_a_hit_equals_a_miss(
    api: GraphQLClient,
) -> None:
    await catalogue(api, names(es="Español", fr="Français"))
    await members(api, ana="es-MX", fred="fr_FR", otto="de-DE")
    store = api.runtime.fragments
    store.clear()
    first = {sub: await seen_by(api, sub) for sub in ("ana", "fred", "otto")}
    hits = store.hits
    again = {sub: await seen_by(api, sub) for sub in ("ana", "fred", "otto")}
    assert store.hits > hits, "the second round came from the fragment cache"
    assert again == first
    assert first["ana"] == expected("Español")  # es-MX: no es-MX text, its language's
    assert first["fred"] == expected("Français")
    assert first["otto"] == expected("", base=True)  # no German, no English: the base


async def test_a_member_without_their_language_reads_the_programs_default_locale(
    api: GraphQLClient,
) -> None:
    await catalogue(api, names(es="Español", en="English"))
    await members(api, otto="de", ana="es")
    assert await seen_by(api, "otto") == expected("English")
    assert await seen_by(api, "ana") == expected("Español")


async def test_a_regional_text_wins_over_its_language(api: GraphQLClient) -> None:
    await catalogue(api, names(es="Español", **{"es-MX": "Mexicano"}))
    await members(api, ana="es-MX", eva="es-ES")
    assert await seen_by(api, "ana") == expected("Mexicano")
    assert await seen_by(api, "eva") == expected("Español")


async def test_a_translation_changed_on_another_process_is_read_at_once_in_each_language(
    api: GraphQLClient, other_process: GraphQLClient
) -> None:
    """Process A serves both members (its fragment cache and catalogues warm); the admin
    changes the translations through process B. A's next answers show the change, each in
    its reader's language."""
    await catalogue(other_process, names(es="Español", fr="Français"))
    await members(api, ana="es", fred="fr")
    assert await seen_by(api, "ana") == expected("Español")
    assert await seen_by(api, "fred") == expected("Français")
    assert await seen_by(api, "ana") == expected("Español")  # served from A's caches

    await catalogue(other_process, names(es="Nuevo", fr="Nouveau"))

    assert await seen_by(api, "ana") == expected("Nuevo")
    assert await seen_by(api, "fred") == expected("Nouveau")

    # Removing the translations ([]) brings the base texts back everywhere.
    await catalogue(other_process, {kind: {} for kind in names()})
    assert await seen_by(api, "ana") == expected("", base=True)
    assert await seen_by(api, "fred") == expected("", base=True)


async def test_an_upsert_without_translations_keeps_those_entered(api: GraphQLClient) -> None:
    await catalogue(api, names(es="Español"))
    await members(api, ana="es")
    result = await admin_ok(
        api,
        UPSERT_REWARD,
        {
            "input": {
                "code": "coffee",
                "name": "Coffee",
                "description": "New base.",
                "kind": "PRODUCT",
                "costPoints": 20,
            }
        },
    )
    assert result["reward"]["translations"] == [
        {"locale": "es", "name": "Español reward", "description": "Español reward (desc)"}
    ]
    (reward,) = (await send(api, "Rewards", "ana"))["rewards"]
    assert (reward["name"], reward["costPoints"]) == ("Español reward", 20)


async def test_locales_are_stored_as_tags(api: GraphQLClient) -> None:
    result = await admin_ok(
        api,
        UPSERT_BADGE,
        {
            "input": {
                "code": "regular",
                "name": "Regular",
                "description": "",
                "rule": RULE,
                "translations": [
                    {"locale": "pt_br", "name": "Regular BR"},
                    {"locale": "es-419", "name": "Regular LatAm"},
                ],
            }
        },
    )
    assert result["badge"]["translations"] == [
        {"locale": "es-419", "name": "Regular LatAm"},
        {"locale": "pt-BR", "name": "Regular BR"},
    ]


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ([{"locale": "xx", "name": "N"}], ["input", "translations", "0", "locale"]),
        ([{"locale": "es-ZZ", "name": "N"}], ["input", "translations", "0", "locale"]),
        ([{"locale": "spanish", "name": "N"}], ["input", "translations", "0", "locale"]),
        ([{"locale": "es", "name": " "}], ["input", "translations", "0", "name"]),
        ([{"locale": "es", "name": "bell\u0007"}], ["input", "translations", "0", "name"]),
        ([{"locale": "es", "name": "N" * 121}], ["input", "translations", "0", "name"]),
        (
            [{"locale": "es", "name": "N", "description": "D" * 1001}],
            ["input", "translations", "0", "description"],
        ),
        (
            [{"locale": "es", "name": "A"}, {"locale": "ES", "name": "B"}],
            ["input", "translations", "1", "locale"],
        ),
    ],
)
async def test_bad_translations_are_refused_and_nothing_is_saved(
    api: GraphQLClient, given: list[dict[str, str]], field: list[str]
) -> None:
    result = data(
        await api.admin(
            UPSERT_REWARD,
            {
                "input": {
                    "code": "coffee",
                    "name": "Coffee",
                    "description": "",
                    "kind": "PRODUCT",
                    "costPoints": 10,
                    "translations": given,
                }
            },
        )
    )["upsertReward"]
    assert result["reward"] is None
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [("INVALID_INPUT", field)]
    rewards = data(await api.admin("{ rewards(includeInactive: true) { code } }"))["rewards"]
    assert rewards == []


@pytest.mark.parametrize(
    ("document", "variables", "field"),
    [
        (
            CONFIGURE_TIERS,
            {
                "input": [
                    {
                        "code": "BASE",
                        "name": "Base",
                        "level": 0,
                        "qualifyingPoints": 0,
                        "pointsMultiplier": 1,
                        "translations": [{"locale": "es", "name": "Base", "description": "x"}],
                    }
                ]
            },
            ["input", "0", "translations", "0", "description"],
        ),
        (
            UPSERT_BADGE,
            {
                "input": {
                    "code": "b",
                    "name": "B",
                    "description": "",
                    "rule": RULE,
                    "translations": [{"locale": "e", "name": "B"}],
                }
            },
            ["input", "translations", "0", "locale"],
        ),
        (
            UPSERT_CHALLENGE,
            {
                "input": {
                    "code": "c",
                    "title": "C",
                    "description": "",
                    "startsAt": "2026-01-01T00:00:00+00:00",
                    "endsAt": "2026-02-01T00:00:00+00:00",
                    "goal": RULE,
                    "translations": [{"locale": "fr", "name": ""}],
                }
            },
            ["input", "translations", "0", "name"],
        ),
        (
            UPSERT_DROP,
            {
                "input": {
                    "code": "d",
                    "title": "D",
                    "description": "",
                    "opensAt": "2026-03-01T00:00:00+00:00",
                    "closesAt": "2026-03-02T00:00:00+00:00",
                    "quantity": 1,
                    "translations": [{"locale": "fr-XX", "name": "D"}],
                }
            },
            ["input", "translations", "0", "locale"],
        ),
    ],
)
async def test_every_kind_refuses_bad_translations_as_user_errors(
    api: GraphQLClient, document: str, variables: dict[str, Any], field: list[str]
) -> None:
    result = data(await api.admin(document, variables))
    (payload,) = result.values()
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("INVALID_INPUT", field)]


async def test_the_member_is_read_for_their_locale_only_when_there_are_translations(
    api: GraphQLClient,
) -> None:
    """Without translations every reader reads the base texts: the tier ladder costs its one
    read of the versions, as before translations existed; with some, one more statement
    reads the member's locale."""
    from tests.fakes.queries import count_queries

    await catalogue(api, {kind: {} for kind in names()})
    await members(api, ana="es")
    await api.member("ana", TIERS)  # the process's ladder is loaded
    with count_queries() as plain:
        assert data(await api.member("ana", TIERS))["tiers"] == [{"code": "BASE", "name": "Base"}]
    await catalogue(api, names(es="Español"))
    await api.member("ana", TIERS)
    with count_queries() as translated:
        (tier,) = data(await api.member("ana", TIERS))["tiers"]
    assert tier["name"] == "Español tier"
    assert (plain.count, translated.count) == (1, 2)
