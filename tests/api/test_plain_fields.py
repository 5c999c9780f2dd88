"""The executor's short way through plain fields (api.executor) changes no answer: every
query of the contract, as its caller and as a caller it refuses (errors, nulls propagated),
answers the same with the short way on and off."""

from __future__ import annotations

from datetime import timedelta

import pytest

from api.executor import PlainField, PlainFieldsExecutionContext
from api.seed import SEEDERS
from tests.api.conftest import GraphQLClient
from tests.api.test_fragment_cache import ROLES, VARIABLES, contract_queries, send


async def test_every_contract_query_answers_the_same_with_plain_fields_completed_directly(
    api: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    for seed in SEEDERS:
        await seed(api.runtime)
    await api.deliver_events()
    now = api.clock.now()
    VARIABLES["ProgramKpis"] = {
        "from": (now - timedelta(days=90)).isoformat(),
        "to": now.isoformat(),
    }
    queries = contract_queries()
    assert {"Home", "Badges", "Leaderboard", "Rewards", "Drops", "Challenges"} <= set(queries)
    store = api.runtime.fragments
    refused = 0
    for name, query in queries.items():
        for role, subject in (ROLES.get(name, ("member", "alice")), ("service", "shop")):
            token = api.token(role, subject)
            answers = []
            for enabled in (True, False):
                monkeypatch.setattr(PlainFieldsExecutionContext, "plain_fields_enabled", enabled)
                store.clear()
                answers.append(await send(api, name, query, token))
            assert answers[0] == answers[1], (name, role)
            refused += bool(answers[0].get("errors"))
    assert refused >= 10, "the refused callers' answers (errors, nulls) were compared too"
    taken = {
        key
        for cls in PlainFieldsExecutionContext.__subclasses__()
        for sub in [cls, *cls.__subclasses__()]
        for key, plan in sub.field_plans.items()
        if isinstance(plan, PlainField)
    }
    print(sorted(taken))
    assert {("Badge", "code"), ("PointsSummary", "balance"), ("Member", "displayName")} <= taken
    # a board's own entries: no info of their own, aroundMe's radius a built-in scalar
    assert {("Leaderboard", "me"), ("Leaderboard", "aroundMe")} <= taken
