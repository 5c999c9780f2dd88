"""Hand-written SQL for the statements every purchase runs, on whichever database is open.

Tortoise builds each query anew from its queryset (pypika terms, filter resolution, copies):
for a filtered aggregate that costs more CPU than the round trip to PostgreSQL. The few
statements on the hot path of `recordPurchase` are therefore written out once, here or beside
their use case, as `Statement`s: PostgreSQL's dialect with `$1, $2 ...` placeholders, which on
SQLite become `?1, ?2 ...` (numbered parameters, same positions). Values go to the driver as
tortoise sends them (aware UTC datetimes, enum values as strings), so what a statement compares
is stored the same way. Everything else stays on the ORM.

A statement runs on the connection of the current transaction, if any (tortoise keeps it in
a context variable), like the ORM's own queries.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, TypeVar

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model

CONNECTION = "default"
M = TypeVar("M", bound=Model)
_PLACEHOLDER = re.compile(r"\$(\d+)")


def _connection() -> BaseDBAsyncClient:
    return connections.get(CONNECTION)


def dialect() -> str:
    """The open database's dialect: "postgres" or "sqlite"."""
    return str(_connection().capabilities.dialect)


class Statement:
    """One SQL statement, written in PostgreSQL's dialect with numbered placeholders."""

    __slots__ = ("postgres", "sqlite")

    def __init__(self, sql: str) -> None:
        self.postgres = " ".join(sql.split())
        self.sqlite = _PLACEHOLDER.sub(r"?\1", self.postgres)

    def text(self, connection: BaseDBAsyncClient) -> str:
        return self.postgres if connection.capabilities.dialect == "postgres" else self.sqlite

    async def rows(self, *params: Any) -> list[dict[str, Any]]:
        """The rows, as dicts by column name."""
        connection = _connection()
        return await connection.execute_query_dict(self.text(connection), list(params))

    async def models(self, model: type[M], *params: Any) -> list[M]:
        """The rows as instances of `model` (the statement selects its table's columns), built
        by tortoise's own executor as its querysets build them (`executor_class`), so they
        convert, compare and save like any other."""
        connection = _connection()
        executor = connection.executor_class(model=model, db=connection)
        return await executor.execute_select(self.text(connection), list(params))

    async def execute_many(self, rows: Sequence[Sequence[Any]]) -> None:
        """Run the statement once per row of parameters, in one round of the driver's
        executemany (bulk writes of a batch job)."""
        if rows:
            connection = _connection()
            await connection.execute_many(self.text(connection), [list(row) for row in rows])

    async def execute(self, *params: Any) -> int:
        """Run a statement that returns no rows; how many rows it changed."""
        connection = _connection()
        count, _ = await connection.execute_query(self.text(connection), list(params))
        return count


def placeholders(count: int, start: int = 1) -> str:
    """`$start, ..., $(start+count-1)`: a list for `IN (...)`."""
    return ", ".join(f"${n}" for n in range(start, start + count))


@lru_cache(maxsize=256)
def for_ids(template: str, count: int) -> Statement:
    """`template` with `{ids}` replaced by `count` placeholders after its own ones: each list
    length gets its own statement, built once."""
    own = len(set(_PLACEHOLDER.findall(template)))
    return Statement(template.format(ids=placeholders(count, start=own + 1)))


def literals(values: Iterable[str]) -> str:
    """Constant strings of the code (enum values, never input) as an SQL list: `'A', 'B'`."""
    quoted = []
    for value in values:
        if not re.fullmatch(r"[A-Z_]+", value):
            raise ValueError(f"not a constant: {value!r}")
        quoted.append(f"'{value}'")
    return ", ".join(quoted)


def as_datetime(value: datetime | str) -> datetime:
    """A timestamp column as a statement returns it (PostgreSQL: a datetime, SQLite: the ISO
    text tortoise stored), aware in UTC."""
    at = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def distinct(ids: Sequence[int]) -> list[int]:
    return list(dict.fromkeys(ids))


async def execute_native(sql: str, params: Sequence[Any]) -> None:
    """Run a statement written in the connection's own dialect (as tortoise's query builder
    writes it, say around `domain.segments.query.member_ids_sql`)."""
    await _connection().execute_query(sql, list(params))


async def rows_native(sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
    """The rows of a query written in the connection's own dialect (see `execute_native`)."""
    return list(await _connection().execute_query_dict(sql, list(params)))
