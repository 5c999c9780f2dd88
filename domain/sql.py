"""The one way to send hand-written SQL, on whichever database is open (SQLite or PostgreSQL).

Tortoise builds each query anew from its queryset (pypika terms, filter resolution, copies):
for a filtered aggregate that costs more CPU than the round trip to PostgreSQL. The statements
on hot paths, and those the ORM cannot say (the key figures' aggregates, `INSERT ... SELECT`),
are therefore written out once, beside their use case, as `Statement`s: PostgreSQL's dialect
with `$1, $2 ...` placeholders, which on SQLite become `?1, ?2 ...` (numbered parameters, same
positions). Values go to the driver as tortoise sends them (aware UTC datetimes, enum values as
strings), so what a statement compares is stored the same way. Everything else stays on the ORM.

Three helpers meet the other ways of writing a statement, all through public APIs:

- `numbered` turns SQL written with `:name` parameters (long statements that repeat their
  values, as the key figures') into a `Statement`'s `$n` and its values;
- `query_sql` gives a tortoise query's SQL in a `Statement`'s dialect (`QuerySet.sql()` builds
  it, pypika's `Parameterizer` numbers its values), to embed a query in a statement;
- `literal` writes a value the code made itself as SQL, for the fragments tortoise cannot
  parameterise (`RawSQL` in a correlated subquery).

A statement runs on the connection of the current transaction, if any (tortoise keeps it in
a context variable), like the ORM's own queries.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, TypeVar

from pypika_tortoise.terms import Parameterizer
from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model
from tortoise.queryset import AwaitableQuery

CONNECTION = "default"
M = TypeVar("M", bound=Model)
_PLACEHOLDER = re.compile(r"\$(\d+)")
#: A `:name` parameter (not a `::type` cast, not a time's `12:30`).
_NAMED = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)\b")


def _connection() -> BaseDBAsyncClient:
    connection: BaseDBAsyncClient = connections.get(CONNECTION)
    return connection


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

    async def headed(self, model: type[M], *params: Any) -> tuple[M, Sequence[Any]] | None:
        """For a statement whose every row repeats one row of `model`'s table (the head: a
        member beside each row of a part): that row as an instance of `model`, built once from
        the first row as tortoise's executor builds each row of a query (`_init_from_db`, which
        `execute_select` calls), and the rows as the driver gives them (read by column name);
        None when there are no rows."""
        connection = _connection()
        _, found = await connection.execute_query(self.text(connection), list(params))
        if not found:
            return None
        return model._init_from_db(**dict(found[0])), found

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


class IdsStatement(Statement):
    """A `Statement` whose last parameters fill an `IN (...)` list of a fixed length: fewer
    ids are padded with the last one again (a list means the same with an id twice)."""

    __slots__ = ("_length",)

    def __init__(self, sql: str, length: int) -> None:
        super().__init__(sql)
        self._length = length

    def _padded(self, params: Sequence[Any]) -> list[Any]:
        missing = self._length - len(params)
        return [*params, *[params[-1]] * missing] if missing > 0 and params else list(params)

    async def rows(self, *params: Any) -> list[dict[str, Any]]:
        return await super().rows(*self._padded(params))

    async def models(self, model: type[M], *params: Any) -> list[M]:
        return await super().models(model, *self._padded(params))

    async def headed(self, model: type[M], *params: Any) -> tuple[M, Sequence[Any]] | None:
        return await super().headed(model, *self._padded(params))

    async def execute(self, *params: Any) -> int:
        return await super().execute(*self._padded(params))


def for_ids(template: str, count: int) -> Statement:
    """`template` with `{ids}` replaced by placeholders after its own ones, enough for `count`
    ids: the list's length is `count` rounded up to a power of two, the ids given are padded
    to it (`IdsStatement`). A batch's lists vary in length from one call to the next; one
    statement per length would make the driver prepare a new statement (a round trip, and an
    eviction from its cache of prepared statements) and the server plan it, nearly every
    time. Rounded, a list of up to 1,000 ids has eleven shapes."""
    return _for_ids(template, 1 << (count - 1).bit_length() if count > 1 else count)


@lru_cache(maxsize=256)
def _for_ids(template: str, length: int) -> Statement:
    own = len(set(_PLACEHOLDER.findall(template)))
    sql = template.format(ids=placeholders(length, start=own + 1))
    return IdsStatement(sql, own + length)


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


async def execute_script(sql: str) -> None:
    """Run a statement without parameters or rows (`CREATE TEMPORARY TABLE`, `ANALYZE`)."""
    await _connection().execute_script(sql)


def numbered(sql: str, values: Mapping[str, Any], start: int = 1) -> tuple[str, list[Any]]:
    """`sql`, written with `:name` parameters, in a `Statement`'s dialect: each name becomes
    one `$n` (numbered from `start` in order of first use) and its value the n-th of the list."""
    params: list[Any] = []
    numbers: dict[str, int] = {}

    def placeholder(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in numbers:
            params.append(values[name])
            numbers[name] = start + len(params) - 1
        return f"${numbers[name]}"

    return _NAMED.sub(placeholder, sql), params


def query_sql(query: AwaitableQuery[Any], start: int = 1) -> tuple[str, list[Any]]:
    """A tortoise query's SQL in a `Statement`'s dialect (its values as `$start, ...`) and
    those values, to embed it in a statement: `INSERT INTO t (id) {sql}`.

    `sql()` is tortoise's public way to build a query for the database it would run on (values
    converted as that database stores them); the query it built is pypika's, which numbers its
    values as asked."""
    query.sql()
    builder = query.query
    parameterizer = Parameterizer(lambda n: f"${start + n - 1}")
    context = builder.QUERY_CLS.SQL_CONTEXT.copy(parameterizer=parameterizer)
    sql, params = builder.get_parameterized_sql(context)
    return sql, list(params)


def literal(value: datetime | Decimal | int) -> str:
    """A SQL literal for values the code made itself (never free text), for fragments
    tortoise cannot parameterise (`RawSQL` in correlated subqueries). Times are written as
    SQLite stores them (UTC, ISO 8601 with a space), which PostgreSQL reads as a timestamp
    with time zone."""
    if isinstance(value, datetime):
        return "'" + value.astimezone(UTC).isoformat(" ") + "'"
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("not a finite amount")
        return format(value, "f")
    if isinstance(value, int):
        return str(int(value))
    raise TypeError(f"no SQL literal for {type(value).__name__}")
