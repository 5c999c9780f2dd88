"""The engine's cost follows the rules an activity can match, not the size of the catalogue."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.achievements.models import RuleProgress
from gamification.achievements.engine import AchievementEngine
from gamification.rules import EventKind, Rule
from tests.integration.achievements_setup import (
    SHOES_3_IN_30,
    badge,
    challenge,
    days,
    member,
    observe,
    purchase,
    share,
)
from tests.integration.query_counter import counting_statements

pytestmark = pytest.mark.usefixtures("db")

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)
OTHER_KINDS = [k for k in EventKind if k not in (EventKind.PURCHASE, EventKind.SHARE)]


async def test_an_activity_no_rule_reads_costs_one_read_of_the_catalogue_version() -> None:
    engine = AchievementEngine()
    await badge("shoe-lover", SHOES_3_IN_30, NOW)
    ana = await member("ana", NOW)
    await observe(engine, share(ana.id, NOW), NOW)  # loads the index

    with counting_statements() as statements:
        await engine.observe(share(ana.id, NOW), NOW)

    assert len(statements) == 1, statements.sql


async def test_a_purchase_costs_the_same_statements_beside_many_rules_of_other_kinds() -> None:
    engine = AchievementEngine()
    await badge("shoe-lover", SHOES_3_IN_30, NOW)
    await badge("big-spender", Rule(event="PURCHASE", aggregate="SUM_AMOUNT", target=10_000), NOW)
    await challenge(
        "busy-week", Rule(event="PURCHASE", aggregate="COUNT", target=50), NOW, NOW + days(7), NOW
    )
    ana = await member("ana", NOW)
    await observe(engine, purchase(ana.id, NOW), NOW)

    with counting_statements() as few_rules:
        await observe(engine, purchase(ana.id, NOW), NOW)
    for n in range(60):
        rule = Rule(event=OTHER_KINDS[n % len(OTHER_KINDS)], aggregate="COUNT", target=3)
        await badge(f"other-{n}", rule, NOW)
    await observe(engine, purchase(ana.id, NOW), NOW)  # reloads the index once
    with counting_statements() as many_rules:
        await observe(engine, purchase(ana.id, NOW), NOW)

    # The catalogue version, the member (locked), their progress rows, then one upsert each
    # of badge and challenge progress.
    assert len(few_rules) == 5, few_rules.sql
    assert [sql.split()[0] for sql in many_rules.sql] == [
        "SELECT",
        "SELECT",
        "SELECT",
        "INSERT",
        "INSERT",
    ]
    assert await RuleProgress.filter(member_id=ana.id).count() == 3
