"""Reading the audit log: entries newest first, filtered, paged by entry id.

The cursor is the id of the last entry seen: entries written meanwhile have higher ids and
never shift the pages still to come.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.audit.models import AuditEntry
from domain.audit.recording import MAX_ACTOR
from domain.errors import InputErrors, InvalidInput
from domain.members.validation import check_text

MAX_PAGE = 100


@dataclass(frozen=True)
class AuditFilter:
    """Which entries to read; every condition given must hold (None: any)."""

    actor: str | None = None
    action: str | None = None
    target_kind: str | None = None
    target_id: str | None = None
    #: From this moment on (inclusive).
    since: datetime | None = None
    #: Before this moment (exclusive).
    until: datetime | None = None


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    has_next_page: bool


def check_filter(wanted: AuditFilter, field: list[str]) -> None:
    """Raises `ValidationErrors` naming each condition at fault: texts that no entry can hold
    (empty, too long, control characters), times without a time zone, an empty period, a
    target id without its kind."""
    problems = InputErrors()
    for name, text, longest in (
        ("actor", wanted.actor, MAX_ACTOR),
        ("action", wanted.action, 64),
        ("targetKind", wanted.target_kind, 40),
        ("targetId", wanted.target_id, 128),
    ):
        if text is not None:
            problems.check(check_text, text, [*field, name], max_length=longest, min_length=1)
    for name, moment in (("from", wanted.since), ("to", wanted.until)):
        if moment is not None and moment.utcoffset() is None:
            problems.add(InvalidInput("give a time zone offset", [*field, name]))
    if (
        not problems.errors
        and wanted.since is not None
        and wanted.until is not None
        and wanted.until <= wanted.since
    ):
        problems.add(InvalidInput("'to' must be after 'from'", [*field, "to"]))
    if wanted.target_id is not None and wanted.target_kind is None:
        problems.add(InvalidInput("a target id needs its target kind", [*field, "targetKind"]))
    problems.raise_any()


async def audit_page(wanted: AuditFilter, *, first: int, before_id: int | None = None) -> AuditPage:
    """Up to `first` (0-100) entries matching `wanted` older than entry `before_id`, newest
    first, in one query. Raises `InvalidInput` for a page size out of range and
    `ValidationErrors` for a filter at fault (`check_filter`)."""
    if not 0 <= first <= MAX_PAGE:
        raise InvalidInput(f"first must be 0-{MAX_PAGE}", ["first"])
    check_filter(wanted, ["filter"])
    query = AuditEntry.all()
    if wanted.actor is not None:
        query = query.filter(actor=wanted.actor)
    if wanted.action is not None:
        query = query.filter(action=wanted.action)
    if wanted.target_kind is not None:
        query = query.filter(target_kind=wanted.target_kind)
    if wanted.target_id is not None:
        query = query.filter(target_id=wanted.target_id)
    if wanted.since is not None:
        query = query.filter(at__gte=wanted.since)
    if wanted.until is not None:
        query = query.filter(at__lt=wanted.until)
    if before_id is not None:
        query = query.filter(id__lt=before_id)
    rows = await query.order_by("-id").limit(first + 1)
    return AuditPage(entries=list(rows[:first]), has_next_page=len(rows) > first)
