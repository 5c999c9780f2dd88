"""Referrals: a new member applies a friend's code, and both are rewarded when the new
member's first purchase is recorded and not refunded inside the return window.

Completion and cancellation react to purchase events (`PurchaseRecorded`, `PurchaseRefunded`)
delivered by the outbox, at least once and not necessarily in order: both handlers are
idempotent, and a refund handled before the completion still prevents the rewards.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from domain.activity import Activity, ActivityObserver, NoAchievements
from domain.errors import InvalidCode, NotEligible, SelfReferral
from domain.events import record_event
from domain.members.models import Member
from domain.members.services import REFERRAL_CODE_LENGTH
from domain.points import ledger
from domain.points.crediting import credit_earned
from domain.points.events import PointsReversed
from domain.points.models import EntryKind, PointsEntry
from domain.program import ProgramCache, program_now
from domain.purchases.events import PurchaseRecorded, PurchaseRefunded
from domain.purchases.models import Purchase, Refund
from domain.referrals import messages
from domain.referrals.events import ReferralCancelled, ReferralCompleted
from domain.referrals.models import Referral, ReferralStatus

CODE_FIELD = ["input", "code"]


def normalise_referral_code(code: str) -> str | None:
    """A typed referral code in its stored form, or None when it cannot be one."""
    text = "".join(code.split()).upper()
    if len(text) != REFERRAL_CODE_LENGTH or not text.isascii() or not text.isalnum():
        return None
    return text


def _text(member: Member, key: str) -> str:
    return messages.CATALOGUE.text(member.locale, key)


async def apply_referral_code(member: Member, code: str, now: datetime) -> Member:
    """Record that `member` was referred by the owner of `code`; returns the referrer.

    Allowed once per member and only before their first purchase. Raises `InvalidCode`
    (no member has this code), `SelfReferral` (the member's own code) or `NotEligible` (the
    member already applied a code, already purchased, or referred the code's owner), with
    messages in the member's language.
    """
    stored = normalise_referral_code(code)
    if stored is None:
        raise InvalidCode(_text(member, "not_a_code"), CODE_FIELD)
    async with in_transaction():
        await ledger.lock_member(member.id)
        referrer = await Member.get_or_none(referral_code=stored, erased_at__isnull=True)
        if referrer is None:
            raise InvalidCode(_text(member, "unknown_code"), CODE_FIELD)
        if referrer.id == member.id:
            raise SelfReferral(_text(member, "own_code"), CODE_FIELD)
        if await Referral.exists(referee_id=member.id):
            raise NotEligible(_text(member, "already_applied"), CODE_FIELD)
        if await Purchase.exists(member_id=member.id):
            raise NotEligible(_text(member, "after_first_purchase"), CODE_FIELD)
        if await Referral.exists(referee_id=referrer.id, referrer_id=member.id):
            raise NotEligible(_text(member, "referred_you"), CODE_FIELD)
        try:
            async with in_transaction():
                await Referral.create(referrer_id=referrer.id, referee_id=member.id, applied_at=now)
        except IntegrityError:
            raise NotEligible(_text(member, "already_applied"), CODE_FIELD) from None
        return referrer


async def referrer_of(member_id: int) -> Member | None:
    """The member who referred this one, if any."""
    referral = await Referral.get_or_none(referee_id=member_id).select_related("referrer")
    return referral.referrer if referral is not None else None


def _month_bounds(moment: datetime, time_zone: str) -> tuple[datetime, datetime]:
    """The calendar month holding `moment` in the time zone, as aware datetimes."""
    local = moment.astimezone(_zone(time_zone))
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    following = (start + timedelta(days=32)).replace(day=1)
    return start, following


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


async def _lock_members(*member_ids: int) -> None:
    # Always in id order, so two use cases locking the same pair never deadlock.
    for member_id in sorted(set(member_ids)):
        await ledger.lock_member(member_id)


async def members_with_applied_codes(member_ids: Sequence[int]) -> set[int]:
    """Which of these members applied a friend's code that is still waiting for their first
    purchase (one query)."""
    return set(
        await Referral.filter(
            referee_id__in=list(member_ids), status=ReferralStatus.APPLIED
        ).values_list("referee_id", flat=True)
    )


async def complete_referral_on_first_purchase(
    event: PurchaseRecorded,
    now: datetime,
    observer: ActivityObserver | None = None,
    program: ProgramCache | None = None,
) -> Referral | None:
    """On the referee's first purchase, credit the referee `referee_points` and the referrer
    `referrer_points` (nothing for the referrer beyond `referrer_monthly_cap` completions this
    calendar month), pending until the purchase's return window ends, and announce
    ReferralCompleted. Does nothing for other purchases, members without a referral, or a
    referral already completed or cancelled (so redelivery is harmless). Returns the
    referral it completed, if any."""
    if not event.first_purchase:
        return None
    if not await Referral.exists(referee_id=event.member_id, status=ReferralStatus.APPLIED):
        return None
    observer = observer or NoAchievements()
    async with in_transaction():
        referral = (
            await Referral.filter(referee_id=event.member_id).select_for_update().get_or_none()
        )
        if referral is None or referral.status != ReferralStatus.APPLIED:
            return None
        await _lock_members(referral.referrer_id, referral.referee_id)
        referrer = await Member.get(id=referral.referrer_id)
        config = await program_now(program)
        rules = config.rules
        available_at = event.occurred_at + timedelta(days=rules.pending_days)
        month_start, month_end = _month_bounds(now, referrer.time_zone)
        rewarded_this_month = await Referral.filter(
            referrer_id=referrer.id,
            status=ReferralStatus.COMPLETED,
            referrer_points__gt=0,
            completed_at__gte=month_start,
            completed_at__lt=month_end,
        ).count()
        capped = rewarded_this_month >= rules.referrer_monthly_cap
        reference = f"referral:{referral.id}"
        referee_credit = referrer_credit = None
        if rules.referee_points > 0:
            referee_credit = await credit_earned(
                referral.referee_id,
                rules.referee_points,
                EntryKind.REFERRAL,
                "Welcome reward: joined with a friend's code",
                now,
                config,
                reference=reference,
                available_at=available_at,
            )
        if rules.referrer_points > 0 and not capped:
            referrer_credit = await credit_earned(
                referrer.id,
                rules.referrer_points,
                EntryKind.REFERRAL,
                "Referral reward: a friend made their first purchase",
                now,
                config,
                reference=reference,
                available_at=available_at,
                holder=referrer,
            )
        referral.status = ReferralStatus.COMPLETED
        referral.purchase_id = event.purchase_id
        referral.completed_at = now
        referral.available_at = available_at
        referral.referee_points = referee_credit.entry.delta if referee_credit else 0
        referral.referrer_points = referrer_credit.entry.delta if referrer_credit else 0
        referral.referee_credit_id = referee_credit.entry.id if referee_credit else None
        referral.referrer_credit_id = referrer_credit.entry.id if referrer_credit else None
        referral.referrer_capped = capped
        await referral.save()
        await record_event(
            ReferralCompleted(
                referral_id=referral.id,
                referrer_id=referral.referrer_id,
                referee_id=referral.referee_id,
                referrer_points=referral.referrer_points,
                referee_points=referral.referee_points,
            ),
            now,
        )
        await observer.observe(
            Activity(
                member_id=referral.referrer_id,
                kind="REFERRAL",
                occurred_at=event.occurred_at,
                reference=reference,
                points=referral.referrer_points,
            ),
            now,
        )
        return referral


async def cancel_referral_on_refund(event: PurchaseRefunded, now: datetime) -> Referral | None:
    """A refund of the referee's first order recorded before the referral credits became
    spendable cancels the referral: both pending credits are reversed (ReferralCancelled).
    A refund handled before the completion marks the referral CANCELLED so that the late
    completion awards nothing. Idempotent. Returns the referral it cancelled, if any."""
    referral = await Referral.get_or_none(referee_id=event.member_id)
    if referral is None or referral.status == ReferralStatus.CANCELLED:
        return None
    if referral.status == ReferralStatus.APPLIED:
        return await _cancel_before_completion(referral.id, event, now)
    if referral.purchase_id != event.purchase_id:
        return None
    refund = await Refund.get_or_none(refund_id=event.refund_id)
    refunded_at = refund.created_at if refund is not None else now
    if referral.available_at is None or refunded_at >= referral.available_at:
        return None
    async with in_transaction():
        referral = await Referral.filter(id=referral.id).select_for_update().get()
        if referral.status != ReferralStatus.COMPLETED:
            return None
        await _lock_members(referral.referrer_id, referral.referee_id)
        reference = f"referral:{referral.id}"
        reversed_points: dict[int, int] = {}
        for member_id, credit_id in (
            (referral.referee_id, referral.referee_credit_id),
            (referral.referrer_id, referral.referrer_credit_id),
        ):
            if credit_id is None:
                continue
            reversed_points[member_id] = await _reverse(member_id, credit_id, reference, now)
        referral.status = ReferralStatus.CANCELLED
        referral.cancelled_at = now
        await referral.save(update_fields=["status", "cancelled_at"])
        await record_event(
            ReferralCancelled(
                referral_id=referral.id,
                referrer_id=referral.referrer_id,
                referee_id=referral.referee_id,
                referrer_points_reversed=reversed_points.get(referral.referrer_id, 0),
                referee_points_reversed=reversed_points.get(referral.referee_id, 0),
            ),
            now,
        )
        return referral


async def _cancel_before_completion(
    referral_id: int, event: PurchaseRefunded, now: datetime
) -> Referral | None:
    first = await Purchase.filter(member_id=event.member_id).order_by("id").first()
    if first is None or first.id != event.purchase_id:
        return None
    async with in_transaction():
        cancelled = await Referral.filter(id=referral_id, status=ReferralStatus.APPLIED).update(
            status=ReferralStatus.CANCELLED, cancelled_at=now, purchase_id=event.purchase_id
        )
        if cancelled != 1:
            return None
        referral = await Referral.get(id=referral_id)
        await record_event(
            ReferralCancelled(
                referral_id=referral.id,
                referrer_id=referral.referrer_id,
                referee_id=referral.referee_id,
                referrer_points_reversed=0,
                referee_points_reversed=0,
            ),
            now,
        )
        return referral


async def _reverse(member_id: int, credit_id: int, reference: str, now: datetime) -> int:
    """Take back what is left of one referral credit (pending or not)."""
    credit = await PointsEntry.get(id=credit_id)
    if credit.remaining <= 0:
        return 0
    # The credit's full amount is asked for: what was already spent becomes a shortfall
    # rather than a negative balance.
    entry = await ledger.debit(
        member_id,
        credit.delta,
        EntryKind.REVERSAL,
        "Referral cancelled: the first order was refunded",
        now,
        reference=reference,
        from_credits=[credit_id],
        include_pending=True,
        allow_shortfall=True,
    )
    await record_event(
        PointsReversed(
            member_id=member_id,
            entry_id=entry.id,
            points=-entry.delta,
            shortfall=entry.shortfall,
            reference=reference,
        ),
        now,
    )
    return -entry.delta
