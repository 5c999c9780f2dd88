"""The key figures' SQL: placeholders per dialect, scoping, and the literals segments inline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from domain.kpis.statement import kpi_statement
from domain.sql import Statement, literal, numbered

SQL = "a >= :start AND b < :end AND c >= :start"


def test_sqlite_numbers_each_name_once_too() -> None:
    sql, params = numbered(SQL, {"start": 1, "end": 2})
    assert Statement(sql).sqlite == "a >= ?1 AND b < ?2 AND c >= ?1"
    assert params == [1, 2]


def test_postgres_numbers_each_name_once() -> None:
    sql, params = numbered(SQL, {"start": 1, "end": 2})
    assert Statement(sql).postgres == "a >= $1 AND b < $2 AND c >= $1"
    assert params == [1, 2]


def test_numbers_can_follow_those_of_another_part() -> None:
    assert numbered(SQL, {"start": 1, "end": 2}, start=4) == (
        "a >= $4 AND b < $5 AND c >= $4",
        [1, 2],
    )


def test_every_parameter_of_the_statement_is_given() -> None:
    values = dict.fromkeys(
        ("start", "end", "before", "redeem", "expire", "survey", "promoter", "detractor"), 0
    )
    for scoped in (False, True):
        sql, _ = numbered(kpi_statement(scoped), values)
        assert ":" not in sql.replace("::", "")


def test_only_a_scoped_statement_reads_the_scope_table_in_each_part() -> None:
    assert "kpi_scope" not in kpi_statement(scoped=False)
    assert kpi_statement(scoped=True).count("IN (SELECT id FROM kpi_scope)") == 6


def test_literals_are_written_as_stored() -> None:
    madrid = timezone(timedelta(hours=2))
    assert literal(datetime(2026, 3, 1, 2, 30, tzinfo=madrid)) == "'2026-03-01 00:30:00+00:00'"
    assert literal(datetime(2026, 3, 1, tzinfo=UTC)) == "'2026-03-01 00:00:00+00:00'"
    assert literal(Decimal("5E+2")) == "500"
    assert literal(Decimal("99.90")) == "99.90"
    assert literal(7) == "7"


@pytest.mark.parametrize("value", ["1; DROP TABLE member", Decimal("NaN"), 1.5])
def test_anything_else_has_no_literal(value: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        literal(value)  # type: ignore[arg-type]
