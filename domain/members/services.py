"""Use cases of the members area: first sight, profile, devices."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from domain.errors import InputErrors, InvalidInput
from domain.events import record_event
from domain.members import validation
from domain.members.events import DeviceMoved, MemberCreated, MemberMoved
from domain.members.models import Device, Member, Platform
from domain.sql import Statement
from domain.versions import VERSION_COLUMNS, Versions, versions_in

#: No 0/O, 1/I/L: codes are read aloud and typed from screenshots.
REFERRAL_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REFERRAL_CODE_LENGTH = 8
CUSTOMER_ID_MAX = 128
#: The characters drawn after "Member " in the name of a member who has not chosen one.
DEFAULT_NAME_TAG_LENGTH = 4

log = logging.getLogger("fidelio.members")


def _drawn(length: int) -> str:
    return "".join(secrets.choice(REFERRAL_ALPHABET) for _ in range(length))


def new_referral_code() -> str:
    return _drawn(REFERRAL_CODE_LENGTH)


def default_display_name() -> str:
    """The name of a member who has not chosen one: "Member " and a tag drawn at random. It
    tells nothing of the member: names are public (boards, referrals, raffle winners), and the
    shop's customer id is often an email address or a phone number."""
    return f"Member {_drawn(DEFAULT_NAME_TAG_LENGTH)}"


def check_customer_id(customer_id: str, field: list[str]) -> str:
    if not customer_id or len(customer_id) > CUSTOMER_ID_MAX or customer_id != customer_id.strip():
        raise InvalidInput("customer id must be 1-128 characters without surrounding spaces", field)
    return customer_id


#: The columns of a member that most screens show of the signed-in member (`WithMember`'s
#: `lean` reads, api.own_row).
LEAN_COLUMNS = ("id", "display_name", "tier_code", "tier_level", "locale")
_LEAN = f"SELECT {', '.join(LEAN_COLUMNS)} FROM member"
_WHOLE = "SELECT * FROM member"
#: Every request of a member token starts with this read: one statement, not an ORM query
#: built anew each time (domain/sql.py).
_BY_CUSTOMER_ID = Statement(f"{_WHOLE} WHERE customer_id = $1")
#: A member's `LEAN_COLUMNS`, unless erased.
LEAN_BY_CUSTOMER_ID = Statement(f"{_LEAN} WHERE customer_id = $1 AND erased_at IS NULL")


async def get_member(customer_id: str) -> Member | None:
    """The member of `customer_id`, or None (one statement; the row built by tortoise's own
    executor, as its querysets build theirs)."""
    found = await _BY_CUSTOMER_ID.models(Member, customer_id)
    return found[0] if found else None


class WithMember:
    """A per-member statement (a screen's part: a member's badges, their points figures...)
    read together with the member of a customer id, in one statement: the member's row
    (`SELECT * FROM member WHERE customer_id = ...`, as `get_member` reads it) beside each row
    of the part, whose member id is the id of that row."""

    __slots__ = ("_pairs", "_statement", "_versions")

    def __init__(
        self,
        sql: str,
        columns: Sequence[str],
        member: int = 1,
        *,
        lean: bool = False,
        versions: bool = False,
    ) -> None:
        """`sql` is the part, written with `$<member>` as the member's id, and `columns` the
        names of the columns it returns. `lean`: only the member's `LEAN_COLUMNS`, of a
        member not erased, read as a row (`read_rows`) rather than as a model (`read`).
        `versions`: the configuration's versions too (`read_with_versions`)."""
        own = re.compile(rf"\${member}(?!\d)")
        part = own.sub("(SELECT id FROM me)", sql)
        # the part's columns under names no column of the member has (a part may have an id)
        self._pairs = tuple((f"_p{n}", column) for n, column in enumerate(columns))
        # each part's version under a name of its own (uncorrelated: computed once)
        self._versions = versions
        read_versions = f"{VERSION_COLUMNS}, " if versions else ""
        selected = ", ".join(f"p.{column} AS {alias}" for alias, column in self._pairs)
        self._statement = Statement(
            f"WITH me AS ({_LEAN if lean else _WHOLE} WHERE customer_id = ${member}"
            f"{' AND erased_at IS NULL' if lean else ''}) "
            f"SELECT me.*, {read_versions}p.present_ AS _present, {selected} FROM me "
            f"LEFT JOIN (SELECT 1 AS present_, q.* FROM ({part}) AS q) AS p ON 1 = 1"
        )

    async def read(self, *params: Any) -> tuple[Member, list[dict[str, Any]]] | None:
        """The member and the part's rows (by the part's column names), with the customer id
        in the member's place among the part's values; None when no member has that customer
        id (not created yet, or erased)."""
        found = await self.read_with_versions(*params)
        return None if found is None else (found[0], found[1])

    async def read_with_versions(
        self, *params: Any
    ) -> tuple[Member, list[dict[str, Any]], Versions] | None:
        """`read`, with the configuration's versions as the statement read them, as
        `read_versions` answers (parts never changed left out) when made with `versions`;
        empty otherwise. A caller that needs both the member and the versions saves a
        statement: the versions come from a statement that began when the member's did."""
        found = await self._statement.headed(Member, *params)
        if found is None:
            return None
        member, extras = found
        pairs = self._pairs
        rows = [
            {column: extra[alias] for alias, column in pairs}
            for extra in extras
            if extra["_present"] is not None  # the join's one row when the part has none
        ]
        return member, rows, versions_in(extras[0]) if self._versions else {}

    @property
    def with_versions(self) -> bool:
        """Whether the statement reads the configuration's versions too."""
        return self._versions

    async def read_rows(
        self, *params: Any
    ) -> tuple[dict[str, Any], list[dict[str, Any]], Versions] | None:
        """`read_with_versions` for a `lean` statement: the member's row (`LEAN_COLUMNS`),
        the part's and the versions (empty unless made `with_versions`)."""
        found = await self._statement.rows(*params)
        if not found:
            return None
        pairs = self._pairs
        rows = [
            {column: row[alias] for alias, column in pairs}
            for row in found
            if row["_present"] is not None
        ]
        versions = versions_in(found[0]) if self._versions else {}
        return {column: found[0][column] for column in LEAN_COLUMNS}, rows, versions


async def get_or_create_member(
    customer_id: str, now: datetime, *, time_zone: str = "UTC"
) -> Member:
    """The member for the shop's `customer_id`, created on first sight with a unique referral
    code. Safe under concurrency: a lost creation race returns the winner's row."""
    member = await get_member(customer_id)
    if member is not None:
        return member
    for _ in range(5):
        try:
            async with in_transaction():
                return await create_member(customer_id, now, time_zone=time_zone)
        except IntegrityError:
            existing = await Member.get_or_none(customer_id=customer_id)
            if existing is not None:
                return existing
            # A referral code collision: draw another one.
    raise RuntimeError("could not create member")


async def create_member(
    customer_id: str, now: datetime, *, time_zone: str = "UTC", record: bool = True
) -> Member:
    """Insert a member for `customer_id` (no savepoint): raises `IntegrityError` when the
    customer id was taken meanwhile (or, rarely, the drawn referral code), which aborts the
    caller's transaction, so the caller retries it whole (`get_or_create_member` does it in a
    savepoint of its own). The new row stays invisible to others until the caller commits,
    and so does its `MemberCreated` (`record=False`: the caller records it, in the same
    transaction, with its own events)."""
    check_customer_id(customer_id, ["customerId"])
    member = await Member.create(
        customer_id=customer_id,
        display_name=default_display_name(),
        referral_code=new_referral_code(),
        joined_at=now,
        time_zone=time_zone,
    )
    if record:
        await record_event(MemberCreated(member_id=member.id), now)
    return member


@dataclass(frozen=True)
class ProfileChanges:
    """Only the fields given change; `None` leaves a field as it is."""

    display_name: str | None = None
    email: str | None = None
    locale: str | None = None
    time_zone: str | None = None
    country: str | None = None
    city: str | None = None
    birth_date: date | None = None


async def update_profile(member: Member, changes: ProfileChanges, now: datetime) -> Member:
    """Validate every given field (all problems reported together) and save them. A new
    country or city raises `MemberMoved` in the same transaction.

    Raises `ValidationErrors` of `InvalidInput`, each naming its field under `input`.
    """
    today = now.date()
    checks: tuple[tuple[str, str, Callable[..., object]], ...] = (
        ("display_name", "displayName", validation.check_display_name),
        ("email", "email", validation.check_email),
        ("locale", "locale", validation.check_locale),
        ("time_zone", "timeZone", validation.check_time_zone),
        ("country", "country", validation.normalise_country),
        ("city", "city", partial(validation.check_text, max_length=80, min_length=1)),
        ("birth_date", "birthDate", partial(validation.check_birth_date, today=today)),
    )
    values: dict[str, object] = {}
    problems = InputErrors()
    for name, graphql_name, check in checks:
        raw = getattr(changes, name)
        if raw is not None:
            values[name] = problems.check(check, raw, field=["input", graphql_name])
    problems.raise_any()
    if values:
        moved = any(
            name in values and values[name] != getattr(member, name) for name in ("country", "city")
        )
        async with in_transaction():
            # Every profile change is stamped: the segment counts re-examine the member.
            await Member.filter(id=member.id).update(**values, inputs_changed_at=now)
            for key, value in values.items():
                setattr(member, key, value)
            if moved:
                await record_event(MemberMoved(member_id=member.id), now)
    return member


async def register_device(
    member: Member, token: str, platform: Platform, app_version: str | None, now: datetime
) -> Device:
    """Attach a push token to the member. The token belongs to the app installation: one
    registered by another member moves here (whoever signs in on it now gets its pushes). A
    move is logged and raises `DeviceMoved`, so that pushes still queued for the previous
    member are withdrawn from the token."""
    token = validation.check_text(token, ["input", "token"], max_length=512, min_length=1)
    if app_version is not None:
        app_version = validation.check_text(app_version, ["input", "appVersion"], max_length=32)
    async with in_transaction():
        device = await Device.filter(token=token).select_for_update().first()
        if device is None:
            try:
                async with in_transaction():
                    return await Device.create(
                        member_id=member.id,
                        token=token,
                        platform=platform,
                        app_version=app_version,
                        created_at=now,
                        last_seen_at=now,
                    )
            except IntegrityError:
                device = await Device.filter(token=token).select_for_update().get()
        previous_member_id = device.member_id
        device.member_id = member.id
        device.platform = platform
        device.app_version = app_version
        device.last_seen_at = now
        await device.save(update_fields=["member_id", "platform", "app_version", "last_seen_at"])
        if previous_member_id != member.id:
            log.info(
                "push device %s moved from member %s to member %s",
                device.id,
                previous_member_id,
                member.id,
            )
            await record_event(
                DeviceMoved(
                    device_id=device.id, from_member_id=previous_member_id, to_member_id=member.id
                ),
                now,
            )
        return device


async def unregister_device(member: Member, token: str) -> bool:
    """Remove the member's device with this token; another member's token is left alone."""
    return await Device.filter(member_id=member.id, token=token).delete() > 0


async def unregister_device_of(customer_id: str, token: str) -> bool:
    """`unregister_device` for the current member of the shop's `customer_id`, who is not
    created for it: an app forgetting its token after the account was deleted (or before it
    ever existed) removes nothing and writes nothing (no member, no MemberCreated for the
    shop's webhooks)."""
    member = await get_member(customer_id)  # an erased member has no customer id
    return member is not None and await unregister_device(member, token)


async def devices_of(member_ids: list[int]) -> dict[int, list[Device]]:
    by_member: dict[int, list[Device]] = {m: [] for m in member_ids}
    for device in await Device.filter(member_id__in=member_ids).order_by("id"):
        by_member[device.member_id].append(device)
    return by_member
