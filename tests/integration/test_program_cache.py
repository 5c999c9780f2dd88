"""The earning rules and tier ladder kept in memory per process, re-read after an admin change.

Two `ProgramCache`s stand for two processes sharing the database: a change an admin makes
through either (or through no cache at all) is seen by the other's next read.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from domain.clock import FrozenClock
from domain.program import ProgramCache
from domain.purchases.services import record_purchase
from domain.versions import ConfigPart, ConfigVersion, bump_version, read_versions
from tests.integration.points_factories import (
    CURRENCY,
    STANDARD_TIERS,
    purchase_input,
    set_rules,
    set_tiers,
)
from tests.integration.query_counter import counting_statements

pytestmark = pytest.mark.usefixtures("db")
NOW = FrozenClock().now()


async def test_a_fresh_read_costs_one_statement_for_all_of_the_configuration() -> None:
    await set_rules(NOW, points_per_currency_unit=Decimal(2))
    await set_tiers(NOW)
    cache = ProgramCache()
    await cache.current()

    with counting_statements() as statements:
        program = await cache.current()

    assert len(statements) == 1, statements.sql
    assert program.rules.points_per_currency_unit == Decimal(2)
    assert [t.code for t in program.ladder] == [spec.code for spec in STANDARD_TIERS]


async def test_a_change_made_elsewhere_is_seen_on_the_next_read() -> None:
    ours, theirs = ProgramCache(), ProgramCache()
    assert (await ours.current()).rules.points_per_currency_unit == Decimal(1)
    assert [t.code for t in (await ours.current()).ladder] == ["MEMBER"]

    await set_rules(NOW, points_per_currency_unit=Decimal(3))
    await set_tiers(NOW)

    seen = await ours.current()
    assert seen.rules.points_per_currency_unit == Decimal(3)
    assert [t.code for t in seen.ladder] == [spec.code for spec in STANDARD_TIERS]
    assert (await theirs.current()).rules.points_per_currency_unit == Decimal(3)


async def test_a_purchase_earns_by_the_rules_changed_after_the_cache_was_filled() -> None:
    cache = ProgramCache()
    await set_rules(NOW, points_per_currency_unit=Decimal(1))
    first = await record_purchase(
        purchase_input("A-1", amount="10.00"), NOW, program_currency=CURRENCY, program=cache
    )
    await set_rules(NOW, points_per_currency_unit=Decimal(5))
    second = await record_purchase(
        purchase_input("A-2", amount="10.00"), NOW, program_currency=CURRENCY, program=cache
    )

    assert (first.purchase.points_earned, second.purchase.points_earned) == (10, 50)


async def test_each_change_moves_only_its_own_part() -> None:
    await set_rules(NOW)
    await set_rules(NOW)
    await set_tiers(NOW)

    assert await read_versions() == {"earning_rules": 2, "tiers": 1}


@pytest.mark.postgres
async def test_concurrent_first_changes_count_every_bump() -> None:
    await asyncio.gather(*(bump_version(ConfigPart.TIERS) for _ in range(20)))

    assert (await ConfigVersion.get(name="tiers")).version == 20
