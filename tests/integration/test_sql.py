"""Hand-written SQL (`domain.sql`) on the open database: a tortoise query embedded in a
statement keeps its values, numbered after the statement's own."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.members.models import Member
from domain.sql import Statement, query_sql
from tests.integration.member_history import member

pytestmark = pytest.mark.usefixtures("db")

JOINED = datetime(2025, 1, 1, tzinfo=UTC)


async def test_a_query_embedded_after_the_statements_own_values_keeps_its_values() -> None:
    madrid = await member(JOINED, city="Madrid", country="ES", tier_level=2)
    await member(JOINED, city="Madrid", country="ES", tier_level=0)
    await member(JOINED, city="Lisboa", country="PT", tier_level=2)
    query = Member.filter(country__in=["ES"], tier_level__gte=1, joined_at__lte=JOINED)
    sql, params = query_sql(query.values("id"), start=2)

    rows = await Statement(f"SELECT id FROM member WHERE city = $1 AND id IN ({sql})").rows(
        "Madrid", *params
    )

    assert [row["id"] for row in rows] == [madrid.id]
    assert [f"${n}" in sql for n in (1, 2, 3, 4, 5)] == [False, True, True, True, False]
