"""The signed-in member's own row: the few columns most screens need of the caller, read
once a request in one statement (without loading, or creating, the whole member); or, on a
board, read with the rows of the caller's neighbours in the same statement (`own_row_among`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from api.auth import Role
from api.context import Info
from domain.members.services import LEAN_BY_CUSTOMER_ID, WithMember
from domain.sql import distinct, for_ids

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PublicRow:
    """The columns of a member that the public view shows or needs."""

    id: int
    display_name: str
    tier_code: str | None
    tier_level: int
    #: The member's locale (used for the signed-in member's own row only).
    locale: str | None = None


_OWN_ROW = LEAN_BY_CUSTOMER_ID
#: Members by id, with the customer id by which the caller's own row among them is known.
_ROWS = (
    "SELECT id, display_name, tier_code, tier_level, locale, customer_id FROM member "
    "WHERE erased_at IS NULL AND id IN ({ids})"
)
_OWN = "own_public_row"


def _member_subject(info: Info) -> str | None:
    """The customer id of a member token; None for other callers."""
    principal = info.context.principal
    if principal is None or principal.role != Role.MEMBER:
        return None
    return principal.subject


async def own_public_row(info: Info) -> PublicRow | None:
    """The signed-in member's public row (member tokens; None for other callers and for a
    member not created yet), read once a request in one statement: what reads of the
    caller's place on a board need, without loading (or creating) the whole member. The
    member id read is remembered for the customer id (`Runtime.member_ids`)."""
    subject = _member_subject(info)
    if subject is None:
        return None
    member_ids = info.context.runtime.member_ids

    async def read() -> PublicRow | None:
        rows = await _OWN_ROW.rows(subject)
        if not rows:
            member_ids.forget(subject)
            return None
        row = public_row(rows[0])
        member_ids.remember(subject, row.id)
        return row

    return await info.context.once(_OWN, read)


async def own_row_with(
    info: Info,
    name: str,
    part: WithMember,
    params: Sequence[Any],
    parse: Callable[[list[dict[str, Any]]], T],
) -> None:
    """Read the signed-in member's public row (`own_public_row`) and a part of theirs in one
    statement (`part`, a `lean` `WithMember`, with `params` its values, the customer id in
    the member's place), when the request has read neither: the part's rows, `parse`d, are
    then `once(name, ...)`'s value for the rest of the request, as are the configuration's
    versions (`versions()`) when `part` reads them. Nothing for other callers; for a member
    not created yet only the row (None) is settled, and the part is read as before, once
    the member is."""
    subject = _member_subject(info)
    context = info.context
    if subject is None or context.started(_OWN) or context.started(name):
        return
    member_ids = context.runtime.member_ids

    async def read() -> PublicRow | None:
        found = await part.read_rows(*params)
        if found is None:
            member_ids.forget(subject)
            return None
        row = public_row(found[0])
        member_ids.remember(subject, row.id)
        if part.with_versions:
            context.settle_versions(found[2])
        context.settle(name, parse(found[1]))
        return row

    await context.once(_OWN, read)


async def own_row_among(
    info: Info, around: Callable[[int], Awaitable[Sequence[int]]]
) -> tuple[PublicRow, dict[int, PublicRow]] | None:
    """The signed-in member's public row, and the public rows (by id) of the members that
    `around(member_id)` names around the caller, the caller's own included when there; None
    for other callers and for a member not created yet. Erased members have no row.

    One statement when the process knows the caller's member id (`Runtime.member_ids`) and
    the caller is among the members named: `around` first, then their rows in one
    statement, where the caller's row confirms the id by its customer id. Otherwise (first
    sight, the caller not among them, an id out of date after an erasure) the caller's row
    is read by customer id first (`own_public_row`), then the others' rows: at most two
    statements, and `around` is asked again only for a different id. The caller's row counts
    as `own_public_row` for the rest of the request."""
    subject = _member_subject(info)
    if subject is None:
        return None
    context = info.context
    # A request that read the caller's row already knows the id for sure.
    known = None if context.started(_OWN) else context.runtime.member_ids.get(subject)
    named: list[int] | None = None
    if known is not None:
        named = distinct(await around(known))
        if known in named:
            rows = await rows_by_id(named)
            if any(int(r["id"]) == known and r["customer_id"] == subject for r in rows):
                found = {int(r["id"]): public_row(r) for r in rows}
                context.settle(_OWN, found[known])
                return found[known], found
    own = await own_public_row(info)
    if own is None:
        return None
    if named is None or own.id != known:
        named = distinct(await around(own.id))
    others = [member_id for member_id in named if member_id != own.id]
    rows = await rows_by_id(others)
    found = {int(r["id"]): public_row(r) for r in rows}
    found[own.id] = own
    return own, found


async def rows_by_id(member_ids: Sequence[int]) -> list[dict[str, Any]]:
    """The rows of the members of `member_ids` in one statement (each id once, in no
    particular order); unknown and erased members have none."""
    if not member_ids:
        return []
    ids = distinct(member_ids)
    return await for_ids(_ROWS, len(ids)).rows(*ids)


def public_row(r: dict[str, Any]) -> PublicRow:
    return PublicRow(
        int(r["id"]), r["display_name"], r["tier_code"], int(r["tier_level"]), r.get("locale")
    )
