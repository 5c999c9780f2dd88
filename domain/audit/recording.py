"""Recording an admin change: who acts, the target, and the fields that moved.

`before` and `after` of an entry hold only what changed, each side with its own values: a
field that kept its value is left out of both, a field that appeared is only in `after`, one
that went away only in `before`, and nested objects (a ladder's tiers by code) are compared
the same way, level by level. A target created has no `before` (null) and its whole snapshot
as `after`; a target removed is the reverse. A change that changed nothing is still recorded
(the admin did act), with `{}` on both sides.

Snapshots are plain JSON values (`plain`); columns that hold secrets (password hashes,
webhook secrets, API keys, tokens) are never recorded (`row_snapshot` leaves them out).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import Any, TypeAlias

from tortoise.models import Model

from domain.audit.actions import AuditedAction
from domain.audit.models import AuditEntry

#: A target's recorded state: field name -> plain JSON value.
Snapshot: TypeAlias = dict[str, Any]

MAX_ACTOR = 254
MAX_REQUEST_ID = 64

#: Columns whose values never go into the log, whatever the table: secrets and their hashes.
SECRET_COLUMN = re.compile(r"(password|_hash$|_secret$|^secret_|api_key|token|credential)")
#: Bookkeeping columns every row has: the entry's own time says when.
UNRECORDED = frozenset({"created_at", "updated_at"})


@dataclass(frozen=True)
class Actor:
    """Who makes a change: the admin principal's subject (an admin token's `sub`, or the
    email of a console account) and the id of the request it came with."""

    subject: str
    request_id: str | None = None


#: Changes made by the program itself or by an operator's command (demo data, jobs).
SYSTEM = Actor(subject="system")


def plain(value: Any) -> Any:
    """`value` as JSON: decimals as exact strings, times in ISO 8601, enums by value."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else None
    if isinstance(value, Decimal):
        # One spelling per number: 1.50 (as a column holds it) and 1.5 (as typed) agree.
        return format(value.normalize(), "f") if value.is_finite() else str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return plain(value.value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, Iterable):
        return [plain(v) for v in value]
    return str(value)


@cache
def _columns(model: type[Model]) -> tuple[str, tuple[str, ...]]:
    """The model's primary key and its columns' field names (foreign keys by id), in table
    order, from tortoise's public description of the model."""
    described = model.describe(serializable=False)
    key = str(described["pk_field"]["name"])
    return key, (key, *(str(f["name"]) for f in described["data_fields"]))


def row_snapshot(row: Model, *, exclude: Iterable[str] = ()) -> Snapshot:
    """The recorded state of a row: its columns (foreign keys by id), without the id, the
    bookkeeping times, secret columns and the names in `exclude`."""
    key, columns = _columns(type(row))
    left_out = UNRECORDED | set(exclude) | {key}
    return {
        name: plain(getattr(row, name))
        for name in columns
        if name not in left_out and not SECRET_COLUMN.search(name)
    }


_ABSENT = object()


def changes(
    before: Snapshot | None, after: Snapshot | None
) -> tuple[Snapshot | None, Snapshot | None]:
    """What moved between two snapshots, each side with its own values (module docstring)."""
    if before is None or after is None:
        return before, after
    old: Snapshot = {}
    new: Snapshot = {}
    for name in [*before, *(k for k in after if k not in before)]:
        was, now = before.get(name, _ABSENT), after.get(name, _ABSENT)
        if was == now:
            continue
        if isinstance(was, dict) and isinstance(now, dict):
            old[name], new[name] = changes(was, now)
            continue
        if was is not _ABSENT:
            old[name] = was
        if now is not _ABSENT:
            new[name] = now
    return old, new


async def record_change(
    actor: Actor,
    action: AuditedAction,
    target_kind: str,
    target_id: str | int,
    before: Snapshot | None,
    after: Snapshot | None,
    now: datetime,
) -> AuditEntry:
    """Append the entry of one admin change: call it inside the use case's transaction, after
    the change, so that both commit or neither does. `before` and `after` are whole snapshots
    (None: the target did not exist, or no longer does); only what changed is kept."""
    old, new = changes(before, after)
    return await AuditEntry.create(
        at=now,
        actor=actor.subject[:MAX_ACTOR],
        action=action,
        target_kind=target_kind,
        target_id=str(target_id)[:128],
        before=old,
        after=new,
        request_id=actor.request_id[:MAX_REQUEST_ID] if actor.request_id else None,
    )
