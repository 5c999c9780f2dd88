"""The signed-in member's per-member parts of a screen, read in one statement.

The home screen shows the member's points (figures and next expiries), their progress to the
next tier and their unread notifications count: each is its own read when its field resolves
(three statements). `me` looks ahead over its own selection (`wanted_parts`) and reads the
member with every part the selection asks for in one statement (`member_with_parts`,
`domain.members.services.WithMember`); the fields take theirs from it (`member_parts`). When
the request read the member already, or the member is new, the parts are read apart, in one
statement still. A part not asked for is not read; a field asked for in a way the statement
does not cover (a page of notifications) reads as before.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from api.context import VERSIONS, Context, Info
from api.lookahead import child_fields, per_document, selects, selects_only
from domain.members.models import Member
from domain.members.services import WithMember
from domain.points.balances import FIGURE_COLUMNS, PointsFigures, figures_of_row
from domain.points.ledger import EXPIRING_SOON_DAYS, PointsExpiry
from domain.sql import Statement, as_datetime, numbered
from domain.tiers.qualification import QUALIFYING_KIND_LIST, window_start
from domain.versions import ConfigPart

FIGURES = "figures"
EXPIRIES = "expiries"
QUALIFYING = "qualifying"
UNREAD = "unread"

_NO_FIGURES = "NULL AS balance, NULL AS pending, NULL AS credited, NULL AS reversed"
#: The statement's parts, `:now`, `:horizon`, `:member` and `:window_start` its values. Each
#: row says its part; `n` carries an expiring batch's points, the qualifying total or the
#: unread count.
_PARTS = {
    FIGURES: "SELECT 'F' AS part, "
    + FIGURE_COLUMNS.replace("$1", ":now")
    + ", NULL AS n, NULL AS expires_at FROM points_entry WHERE member_id = :member",
    EXPIRIES: f"""SELECT 'X' AS part, {_NO_FIGURES}, remaining AS n, expires_at
        FROM points_entry WHERE member_id = :member AND delta > 0 AND remaining > 0
            AND expires_at > :now AND expires_at <= :horizon""",
    QUALIFYING: f"""SELECT 'Q' AS part, {_NO_FIGURES}, SUM(delta) AS n, NULL AS expires_at
        FROM points_entry WHERE member_id = :member AND kind IN ({QUALIFYING_KIND_LIST})
            AND created_at > :window_start AND created_at <= :now""",
    UNREAD: f"""SELECT 'U' AS part, {_NO_FIGURES}, COUNT(*) AS n, NULL AS expires_at
        FROM notification WHERE member_id = :member AND read_at IS NULL""",
}
_ORDER = (FIGURES, EXPIRIES, QUALIFYING, UNREAD)


@dataclass(frozen=True, slots=True)
class MemberParts:
    """What was read of the parts asked for (None: not asked)."""

    figures: PointsFigures | None
    expiries: tuple[PointsExpiry, ...] | None
    #: The sum of qualifying entries in the tier window (never below 0).
    qualifying: int | None
    unread: int | None


def wanted_parts(info: Info) -> frozenset[str]:
    """The parts `me`'s selection asks for (called in `me`'s resolver)."""
    return per_document(info, "member_parts", lambda: _wanted(info))


def _wanted(info: Info) -> frozenset[str]:
    children = child_fields(info)
    wanted = set()
    for points in children.get("points", ()):
        wanted.add(FIGURES)
        if selects(points, "expiringSoon"):
            wanted.add(EXPIRIES)
    if "nextTier" in children:
        wanted.add(QUALIFYING)
    if any(
        selects_only(n, frozenset({"unreadCount", "__typename"}))
        for n in children.get("notifications", ())
    ):
        wanted.add(UNREAD)
    # one part alone gains nothing over the field's own read
    return frozenset(wanted) if len(wanted - {EXPIRIES}) > 1 else frozenset()


_COLUMNS = ("part", "balance", "pending", "credited", "reversed", "n", "expires_at")


@cache
def _statements(
    parts: frozenset[str],
) -> tuple[Statement, WithMember, tuple[str, ...], WithMember]:
    """The statement of `parts` (the member's id its `$1`, then the values named), the same
    read with the member of a customer id (`$1` then the customer id), the values' names,
    and that read with the configuration's versions too."""
    sql = " UNION ALL ".join(_PARTS[p] for p in _ORDER if p in parts).replace(":member", "$1")
    names = ("now", "horizon", "window_start")
    text, used = numbered(sql, {name: name for name in names}, start=2)
    return (
        Statement(text),
        WithMember(text, _COLUMNS),
        tuple(used),
        WithMember(text, _COLUMNS, versions=True),
    )


async def _values(context: Context, parts: frozenset[str]) -> list[Any]:
    """The statement's values after the member's (or the customer's) id."""
    window_months = None
    if QUALIFYING in parts:
        program = await context.runtime.program.current(await context.versions())
        window_months = program.rules.tier_window_months
    return _values_with(context, parts, window_months)


def _values_with(context: Context, parts: frozenset[str], window_months: int | None) -> list[Any]:
    """`_values` with the tier window's length given (needed when `QUALIFYING` is asked)."""
    now = context.now
    values: dict[str, Any] = {"now": now}
    if EXPIRIES in parts:
        values["horizon"] = now + timedelta(days=EXPIRING_SOON_DAYS)
    if window_months is not None:
        values["window_start"] = window_start(now, window_months)
    return [values[name] for name in _statements(parts)[2]]


async def member_with_parts(info: Info, parts: frozenset[str]) -> Member:
    """The signed-in member, with their `parts` read in the same statement when the request
    has not read the member yet (then `member_parts` answers from it).

    The qualifying points need the tier window's length, an earning rule: rather than read
    the versions first to check the process's rules, the statement takes the window of the
    rules as last read and reads the versions too (the screen in one statement). If the
    rules have moved since (an admin's change), the window may be wrong: the parts are read
    again apart, with the current rules."""
    context = info.context
    program = context.runtime.program

    async def read(customer_id: str) -> tuple[Member, MemberParts] | None:
        guess = program.kept_rules() if not context.started(VERSIONS) else None
        if guess is None:  # the versions read already (or no rules kept yet): as they say
            values = await _values(context, parts)
            found = await _statements(parts)[1].read(customer_id, *values)
            return None if found is None else (found[0], parts_of_rows(found[1], parts))
        version, rules = guess
        values = _values_with(
            context, parts, rules.tier_window_months if QUALIFYING in parts else None
        )
        with_versions = await _statements(parts)[3].read_with_versions(customer_id, *values)
        if with_versions is None:
            return None
        member, rows, versions = with_versions
        context.settle_versions(versions)
        if QUALIFYING in parts and versions.get(ConfigPart.EARNING_RULES.value, 0) != version:
            return member, await _read_parts(context, member.id, parts)
        return member, parts_of_rows(rows, parts)

    async def alone(member: Member) -> MemberParts:
        return await _read_parts(context, member.id, parts)

    return (await context.member_with(_once(parts), read, alone))[0]


async def member_parts(info: Info, member_id: int, parts: frozenset[str]) -> MemberParts:
    """The `parts` of the member, read once a request in one statement."""
    context = info.context
    return await context.once(_once(parts), lambda: _read_parts(context, member_id, parts))


@cache
def _once(parts: frozenset[str]) -> str:
    """The request's name for the signed-in member's `parts` (only `me` asks for them; two
    `me` of one document under aliases may ask for different parts)."""
    return "member_parts:" + ",".join(sorted(parts))


async def _read_parts(context: Context, member_id: int, parts: frozenset[str]) -> MemberParts:
    values = await _values(context, parts)
    return parts_of_rows(await _statements(parts)[0].rows(member_id, *values), parts)


def parts_of_rows(rows: list[dict[str, Any]], parts: frozenset[str]) -> MemberParts:
    figures_row: dict[str, Any] | None = None
    batches: dict[datetime, int] = defaultdict(int)
    qualifying = unread = 0
    for row in rows:
        part = row["part"]
        if part == "F":
            figures_row = row
        elif part == "X":
            batches[as_datetime(row["expires_at"])] += int(row["n"])
        elif part == "Q":
            qualifying = max(0, int(row["n"] or 0))
        else:
            unread = int(row["n"] or 0)
    return MemberParts(
        figures=figures_of_row(figures_row) if FIGURES in parts else None,
        expiries=tuple(PointsExpiry(points=p, expires_at=at) for at, p in sorted(batches.items()))
        if EXPIRIES in parts
        else None,
        qualifying=qualifying if QUALIFYING in parts else None,
        unread=unread if UNREAD in parts else None,
    )
