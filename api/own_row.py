"""The signed-in member's own row: the few columns most screens need of the caller, read
once a request in one statement (without loading, or creating, the whole member)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from api.auth import Role
from api.context import Info
from domain.sql import Statement


@dataclass(frozen=True, slots=True)
class PublicRow:
    """The columns of a member that the public view shows or needs."""

    id: int
    display_name: str
    tier_code: str | None
    tier_level: int
    #: The member's locale (read for the signed-in member's own row only).
    locale: str | None = None


_OWN_ROW = Statement(
    "SELECT id, display_name, tier_code, tier_level, locale FROM member "
    "WHERE customer_id = $1 AND erased_at IS NULL"
)


async def own_public_row(info: Info) -> PublicRow | None:
    """The signed-in member's public row (member tokens; None for other callers and for a
    member not created yet), read once a request in one statement: what reads of the
    caller's place on a board need, without loading (or creating) the whole member."""
    context = info.context
    if context.principal is None or context.principal.role != Role.MEMBER:
        return None

    subject = context.principal.subject

    async def read() -> PublicRow | None:
        rows = await _OWN_ROW.rows(subject)
        return public_row(rows[0]) if rows else None

    return await context.once("own_public_row", read)


def public_row(r: dict[str, Any]) -> PublicRow:
    return PublicRow(
        int(r["id"]), r["display_name"], r["tier_code"], int(r["tier_level"]), r.get("locale")
    )
