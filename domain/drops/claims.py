"""Members claim drops: a first-come reservation, or an entry into a raffle.

A first-come claim is one transaction: lock the member, check eligibility and the per-member
limit, debit the price, insert the claim (its slot is UNIQUE per drop and member), and last of
all take the unit with a conditional update (`remaining = remaining - 1 WHERE remaining > 0`),
so the drop's row, the one every claimer touches, stays locked only for the commit. If there
is no unit left the whole transaction rolls back: a failed claim changes nothing. In front
of it, an admission gate (`admission`, a counter in Redis) lets through about as many
claims as there are units and refuses the crowd after them without a transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from domain.activity import Activity, ActivityObserver, Awards, NoAchievements
from domain.codes import new_coupon_code
from domain.drops import messages
from domain.drops.admission import Admission, Attempts, DropAdmission
from domain.drops.eligibility import eligibility
from domain.drops.events import DropClaimed
from domain.drops.models import Drop, DropClaim, DropClaimStatus, DropMode
from domain.drops.rules import opens_for
from domain.errors import (
    AlreadyClaimed,
    Closed,
    DomainError,
    InsufficientPoints,
    InvalidInput,
    NotEligible,
    NotFound,
    NotOpen,
    OutOfStock,
)
from domain.events import record_event
from domain.members.models import Member
from domain.points import ledger
from domain.points.models import EntryKind
from domain.sql import Statement

#: Coupon codes of drops start with "DR-": the shop's coupon lookup tells them from rewards'.
COUPON_PREFIX = "DR"
DEFAULT_RESERVATION = timedelta(minutes=30)
MAX_KEY_LENGTH = 64


@dataclass(frozen=True)
class ClaimResult:
    claim: DropClaim
    #: The drop as it stands after the claim (fresh stock).
    drop: Drop
    #: What the claim unlocked (badges, challenges): empty for a replay.
    awards: Awards
    #: True when an earlier claim with the same idempotency key was returned.
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class SignedInMember:
    """The member signed in as the shop's `customer_id`, read only as far as the claim needs:
    not at all when the gate refuses the attempt for its rate limit, their id and locale alone
    when it refuses the claim as sold out, the whole row (`load`, which creates it on first
    sight) otherwise."""

    customer_id: str
    load: Callable[[], Awaitable[Member]]


#: The claiming member, or how to look them up.
MemberSource = Member | SignedInMember


@dataclass(frozen=True, slots=True)
class Claimant:
    """What a refusal needs of the member: whose claims to look in and the locale of the
    message."""

    member_id: int
    locale: str


async def _member(source: MemberSource) -> Member:
    return source if isinstance(source, Member) else await source.load()


class _Toll:
    """The claim's attempt count (its rate limit), paid once: in the gate's own step when the
    claim reaches the gate, on its own before any database work otherwise."""

    def __init__(self, attempts: Attempts | None) -> None:
        self._attempts = attempts

    def for_gate(self) -> Attempts | None:
        attempts, self._attempts = self._attempts, None
        return attempts

    async def pay(self) -> None:
        attempts = self.for_gate()
        if attempts is not None:
            await attempts.count()


class _Replay(Exception):
    def __init__(self, claim: DropClaim) -> None:
        self.claim = claim


def _checked_key(key: str | None) -> str | None:
    """The key stripped; raises `_BadKey` when it is not 1-`MAX_KEY_LENGTH` characters."""
    if key is None:
        return None
    key = key.strip()
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise _BadKey
    return key


class _BadKey(Exception):
    """The idempotency key is refused, in words once the member's language is known."""


async def _locale(source: MemberSource) -> str:
    """The member's locale, for a refusal met before the claim reads the member (a bad key,
    no such drop): rare enough to read the member for the language of the message alone."""
    return (await _member(source)).locale


def _bad_key(locale: str | None) -> InvalidInput:
    return InvalidInput(
        messages.message(locale, "idempotency_key", limit=MAX_KEY_LENGTH),
        ["input", "idempotencyKey"],
    )


def _no_drop(drop_id: int, locale: str | None) -> NotFound:
    # The id as a word: the number is not grouped as amounts are ("1,234").
    return NotFound(messages.message(locale, "not_found", id=str(drop_id)), ["input", "dropId"])


_CLAIM_BY_KEY = Statement(
    "SELECT id FROM drop_claim WHERE drop_id = $1 AND member_id = $2 AND idempotency_key = $3"
)


async def _by_key(drop_id: int, member_id: int, key: str | None) -> DropClaim | None:
    """The member's claim of the drop made with `key`: one small statement, as every retry
    of the crowd after the last unit asks (and hardly ever finds one)."""
    if key is None:
        return None
    found = await _CLAIM_BY_KEY.rows(drop_id, member_id, key)
    return await DropClaim.get(id=found[0]["id"]) if found else None


#: The refused member's id and locale, and their claim of the drop made with the key, if any
#: (a key of NULL finds none): the crowd after the last unit costs one statement and no member
#: row. The key is UNIQUE per drop and member, so there is one row at most.
_REFUSAL = Statement(
    """SELECT m.id AS member_id, m.locale, c.id AS claim_id
    FROM member m
    LEFT JOIN drop_claim c
        ON c.drop_id = $2 AND c.member_id = m.id AND c.idempotency_key = $3
    WHERE m.customer_id = $1"""
)


async def _refused(
    source: MemberSource, drop_id: int, key: str | None
) -> tuple[Claimant, DropClaim | None]:
    """Who is refused, and their earlier claim with `key` (to be replayed) if there is one."""
    if isinstance(source, SignedInMember):
        found = await _REFUSAL.rows(source.customer_id, drop_id, key)
        if found:
            row = found[0]
            claimant = Claimant(member_id=row["member_id"], locale=row["locale"])
            claim_id = row["claim_id"]
            return claimant, None if claim_id is None else await DropClaim.get(id=claim_id)
        # First sight (or an erased member's new row): created as any request of theirs
        # would create it.
        source = await source.load()
    claimant = Claimant(member_id=source.id, locale=source.locale)
    return claimant, await _by_key(drop_id, source.id, key)


async def _replay(claim: DropClaim) -> ClaimResult:
    return ClaimResult(
        claim=claim, drop=await Drop.get(id=claim.drop_id), awards=Awards(), replayed=True
    )


def _check_window(drop: Drop, member: Member, now: datetime) -> None:
    opens_at = opens_for(drop, member.tier_level)
    if now < opens_at:
        raise NotOpen(messages.message(member.locale, "not_open", at=opens_at))
    if now >= drop.closes_at:
        raise Closed(messages.message(member.locale, "closed", at=drop.closes_at))


async def claim_drop(
    member: MemberSource,
    drop_id: int,
    now: datetime,
    *,
    idempotency_key: str | None = None,
    observer: ActivityObserver | None = None,
    reservation: timedelta = DEFAULT_RESERVATION,
    admission: DropAdmission | None = None,
    attempts: Attempts | None = None,
) -> ClaimResult:
    """Claim a unit of a first-come drop (RESERVED, with a coupon valid for `reservation`) or
    enter a raffle (ENTERED, charged only if drawn). The same idempotency key returns the
    first claim. Messages are in the member's language. With an `admission` gate, first-come
    claims past the stock are refused before any transaction (domain.drops.admission).
    `attempts`, the caller's rate limit, is counted once before any database work (in the
    gate's step when the claim reaches it, before the member is even looked up).

    Raises NotFound, NotOpen (saying when it opens for the member), Closed, OutOfStock,
    NotEligible, AlreadyClaimed, InsufficientPoints, InvalidInput (a bad key), RateLimited.
    A failed claim changes nothing.
    """
    toll = _Toll(attempts)
    try:
        key = _checked_key(idempotency_key)
    except _BadKey:
        await toll.pay()
        raise _bad_key(await _locale(member)) from None
    if admission is not None:
        terms = await admission.terms(drop_id)
        if terms is None:
            await toll.pay()
            raise _no_drop(drop_id, await _locale(member))
        if terms.mode == DropMode.FIRST_COME:
            return await _claim_gated(
                member, terms, now, key, admission, toll, observer or NoAchievements(), reservation
            )
    await toll.pay()
    return await _claim_direct(
        await _member(member), drop_id, now, key, observer or NoAchievements(), reservation
    )


async def _claim_direct(
    member: Member,
    drop_id: int,
    now: datetime,
    key: str | None,
    observer: ActivityObserver,
    reservation: timedelta,
) -> ClaimResult:
    """The claim with the database alone (no gate, or the gate unreachable)."""
    drop = await Drop.get_or_none(id=drop_id)
    if drop is None:
        raise _no_drop(drop_id, member.locale)
    earlier = await _by_key(drop.id, member.id, key)
    if earlier is not None:
        return await _replay(earlier)
    _check_window(drop, member, now)
    if drop.mode == DropMode.FIRST_COME and drop.remaining <= 0:
        # Cheap early answer for the crowd after the last unit; the conditional update below
        # is what actually guarantees the stock.
        raise OutOfStock(messages.message(member.locale, "out_of_stock"))
    return await _claim(member, drop, now, key, observer, reservation)


async def _claim_gated(
    source: MemberSource,
    terms: Drop,
    now: datetime,
    key: str | None,
    admission: DropAdmission,
    toll: _Toll,
    observer: ActivityObserver,
    reservation: timedelta,
) -> ClaimResult:
    """A first-come claim behind the gate: the window from the drop's recent terms, a unit
    from the gate, then the transaction on the drop read afresh. A replay is looked for only
    when the claim would fail before its transaction (the transaction finds it otherwise).
    While the drop is open to everyone, the member is looked up only once the gate (which
    also counts the attempt) has answered, and a sold-out refusal reads only their id and
    locale, with the key's earlier claim, in one statement."""
    member: Member | None = None
    attempts = None
    if terms.opens_at <= now < terms.closes_at:
        # Open to every tier (early access only ever opens sooner): no member to check.
        attempts = toll.for_gate()
    else:
        await toll.pay()
        member = await _member(source)
        try:
            _check_window(terms, member, now)
        except DomainError:
            earlier = await _by_key(terms.id, member.id, key)
            if earlier is not None:
                return await _replay(earlier)
            raise
    hold = admission.new_hold()
    admitted = await admission.admit(terms.id, hold, attempts)
    if admitted is Admission.BYPASSED:
        member = member or await _member(source)
        return await _claim_direct(member, terms.id, now, key, observer, reservation)
    if admitted is Admission.SOLD_OUT:
        claimant, earlier = await _refused(member or source, terms.id, key)
        if earlier is not None:
            return await _replay(earlier)
        raise OutOfStock(messages.message(claimant.locale, "out_of_stock"))
    try:
        member = member or await _member(source)
        drop = await Drop.get(id=terms.id)
        _check_window(drop, member, now)
        result = await _claim(member, drop, now, key, observer, reservation)
    except OutOfStock:
        # The database has no unit left: the gate let one too many through.
        await admission.settle(terms.id, hold)
        raise
    except BaseException:
        await admission.give_back(terms.id, hold)
        raise
    if result.replayed:
        await admission.give_back(terms.id, hold)
    else:
        await admission.settle(terms.id, hold)
    return result


async def _claim(
    member: Member,
    drop: Drop,
    now: datetime,
    key: str | None,
    observer: ActivityObserver,
    reservation: timedelta,
) -> ClaimResult:
    try:
        async with in_transaction():
            claim, awards = await _claim_locked(member.id, drop, now, key, observer, reservation)
    except _Replay as replay:
        return await _replay(replay.claim)
    return ClaimResult(claim=claim, drop=await Drop.get(id=drop.id), awards=awards)


async def _claim_locked(
    member_id: int,
    drop: Drop,
    now: datetime,
    key: str | None,
    observer: ActivityObserver,
    reservation: timedelta,
) -> tuple[DropClaim, Awards]:
    member = await ledger.lock_member(member_id)
    locale = member.locale
    earlier = await _by_key(drop.id, member.id, key)
    if earlier is not None:
        raise _Replay(earlier)
    # Re-checked with the locked row: the tier may have changed since the request began.
    _check_window(drop, member, now)
    verdict = await eligibility(member, drop, now)
    if not verdict.eligible:
        raise NotEligible(
            messages.message(locale, "not_eligible", reasons=" ".join(verdict.reasons))
        )
    taken = set(
        await DropClaim.filter(
            drop_id=drop.id, member_id=member.id, slot__isnull=False
        ).values_list("slot", flat=True)
    )
    if len(taken) >= drop.per_member_limit:
        raise _already(drop, locale)
    slot = min(set(range(1, drop.per_member_limit + 1)) - taken)

    raffle = drop.mode == DropMode.RAFFLE
    debit_id: int | None = None
    if drop.price_points > 0:
        if raffle:
            # Entrants are charged only if drawn, but must be able to pay when they enter.
            balance = (await ledger.summary(member.id, now)).balance
            if balance < drop.price_points:
                raise _insufficient(drop, locale, balance)
        else:
            try:
                entry = await ledger.debit(
                    member.id,
                    drop.price_points,
                    EntryKind.REDEEM,
                    f"Drop {drop.code}: {drop.title}",
                    now,
                    reference=f"drop:{drop.id}",
                )
            except InsufficientPoints:
                balance = (await ledger.summary(member.id, now)).balance
                raise _insufficient(drop, locale, balance) from None
            debit_id = entry.id

    claim = await _insert_claim(
        drop,
        member.id,
        slot,
        key,
        now,
        status=DropClaimStatus.ENTERED if raffle else DropClaimStatus.RESERVED,
        reserved_until=None if raffle else now + reservation,
        points_entry_id=debit_id,
        points_spent=0 if raffle else drop.price_points,
        locale=locale,
    )
    awards = await observer.observe(
        Activity(
            member_id=member.id,
            kind="DROP_CLAIM",
            occurred_at=now,
            reference=f"drop-claim:{claim.id}",
            points=drop.price_points,
        ),
        now,
    )
    await record_event(
        DropClaimed(
            member_id=member.id, drop_id=drop.id, claim_id=claim.id, status=claim.status.value
        ),
        now,
    )
    if not raffle:
        # Last, so the drop's row stays locked only until the commit that follows.
        taken_unit = await Drop.filter(id=drop.id, remaining__gt=0).update(
            remaining=F("remaining") - 1
        )
        if taken_unit != 1:
            raise OutOfStock(messages.message(locale, "out_of_stock"))
    return claim, awards


async def _insert_claim(
    drop: Drop,
    member_id: int,
    slot: int,
    key: str | None,
    now: datetime,
    *,
    status: DropClaimStatus,
    reserved_until: datetime | None,
    points_entry_id: int | None,
    points_spent: int,
    locale: str,
) -> DropClaim:
    """Insert the claim in a savepoint; a UNIQUE conflict is a replay, a taken slot or (once in
    2^67) a coupon code drawn twice, which is drawn again."""
    for _ in range(3):
        try:
            async with in_transaction():
                return await DropClaim.create(
                    drop_id=drop.id,
                    member_id=member_id,
                    status=status,
                    slot=slot,
                    coupon_code=None
                    if status == DropClaimStatus.ENTERED
                    else new_coupon_code(prefix=COUPON_PREFIX),
                    idempotency_key=key,
                    reserved_until=reserved_until,
                    points_entry_id=points_entry_id,
                    points_spent=points_spent,
                    created_at=now,
                    updated_at=now,
                )
        except IntegrityError:
            earlier = await _by_key(drop.id, member_id, key)
            if earlier is not None:
                raise _Replay(earlier) from None
            if await DropClaim.filter(drop_id=drop.id, member_id=member_id, slot=slot).exists():
                raise _already(drop, locale) from None
    raise RuntimeError("could not store the claim")


def _already(drop: Drop, locale: str) -> AlreadyClaimed:
    if drop.mode == DropMode.RAFFLE:
        return AlreadyClaimed(messages.message(locale, "already_entered"))
    if drop.per_member_limit > 1:
        return AlreadyClaimed(
            messages.message(locale, "already_claimed_limit", limit=drop.per_member_limit)
        )
    return AlreadyClaimed(messages.message(locale, "already_claimed"))


def _insufficient(drop: Drop, locale: str, balance: int) -> InsufficientPoints:
    return InsufficientPoints(
        messages.message(locale, "insufficient_points", price=drop.price_points, balance=balance)
    )
