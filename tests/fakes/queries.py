"""Counting the SQL statements a block of code sends (tortoise logs each at DEBUG)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class QueryLog(logging.Handler):
    statements: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        logging.Handler.__init__(self, level=logging.DEBUG)

    def emit(self, record: logging.LogRecord) -> None:
        self.statements.append(record.getMessage())

    def __hash__(self) -> int:
        return id(self)

    @property
    def count(self) -> int:
        return len(self.statements)


@contextmanager
def count_queries() -> Iterator[QueryLog]:
    """`with count_queries() as log: ...` then `log.count` is the statements sent inside."""
    logger = logging.getLogger("tortoise.db_client")
    handler = QueryLog()
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
