"""A member leaving for good: their personal data goes, the anonymised history stays.

What goes: name, email, birth date, country, city, locale and time zone, the shared referral
code, the push tokens (devices), and the link to the shop's customer id, so the same token
subject later starts a fresh, empty member. `MemberErased` tells the other layers to remove
what they hold (notifications and preferences, leaderboard entries, ...).

What stays, under the member's id only: the points ledger, purchases and refunds, engagement,
badges and tier, so the shop's accounting and the figures of past periods stay true. Their
stored recommendations are deleted at once and their interactions leave the next training set
(the recommender learns from current members only). Members
who erased their account are in no segment and are never counted as members after that date.
"""

from __future__ import annotations

from datetime import datetime

from tortoise.transactions import in_transaction

from domain.audit import Actor, AuditEntry, record_change
from domain.errors import InvalidInput, NotFound
from domain.events import record_event
from domain.members.events import MemberErased
from domain.members.models import Device, Member
from domain.members.services import get_member
from domain.offers.services import forget_member
from domain.privacy import messages

ERASED_DISPLAY_NAME = "Former member"
BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def erased_referral_code(member_id: int) -> str:
    """A unique placeholder no one can apply: lower case, which real codes never are."""
    digits = ""
    value = member_id
    while True:
        value, rest = divmod(value, 36)
        digits = BASE36[rest] + digits
        if value == 0:
            return f"erased-{digits}"


async def erase_member(customer_id: str, confirm: bool, now: datetime, actor: Actor) -> int:
    """An admin erases a member (a request the member made to the shop), exactly as
    `delete_my_account` does; returns the member's id. Audited as `member.erase` under
    `erased-member-<id>` (the customer id goes with the rest). Raises `NotFound` on
    `["input", "customerId"]` for a customer id no current member has, and `InvalidInput`
    on `["input", "confirm"]` unless `confirm` is true (then nothing changes)."""
    wanted = customer_id.strip()
    member = (
        await Member.get_or_none(customer_id=wanted, erased_at__isnull=True) if wanted else None
    )
    if member is None:
        raise NotFound(f"no member '{wanted}'", ["input", "customerId"])
    async with in_transaction():
        await _erase(member, confirm, now, None)  # the admin reads English
        await record_change(
            actor,
            "member.erase",
            "member",
            f"erased-member-{member.id}",
            {"erased": False},
            {"erased": True},
            now,
        )
    return int(member.id)


async def delete_account_of(customer_id: str, confirm: bool, now: datetime) -> bool:
    """The member app's deletion: erase the current member of the shop's `customer_id` as
    `delete_my_account` does, and answer True. An account already gone (erased by an earlier
    call, say one the app retries after a timeout, or by one at the same time; or never
    there) is deleted all the same: False, and nothing is written (no member is created only
    to be erased). Raises `InvalidInput` on `["input", "confirm"]` unless `confirm` is true
    (then nothing changes), in the member's language when there is one."""
    member = await get_member(customer_id)  # an erased member has no customer id
    if member is None:
        _check_confirm(confirm, None)
        return False
    try:
        await delete_my_account(member, confirm, now)
    except NotFound:  # erased meanwhile by a call at the same time
        return False
    return True


async def delete_my_account(member: Member, confirm: bool, now: datetime) -> None:
    """Erase the member's personal data and detach them from their customer id, for good.

    Raises `InvalidInput` on `["input", "confirm"]` unless `confirm` is true (then nothing
    changes), and `NotFound` when the member was already erased, in the member's language.
    """
    await _erase(member, confirm, now, member.locale)


async def _erase(member: Member, confirm: bool, now: datetime, locale: str | None) -> None:
    """`delete_my_account`, its refusals in the language of `locale`."""
    _check_confirm(confirm, locale)
    async with in_transaction():
        current = (
            await Member.filter(id=member.id, erased_at__isnull=True).select_for_update().first()
        )
        if current is None:
            raise NotFound(messages.CATALOGUE.text(locale, "already_deleted"))
        await Device.filter(member_id=member.id).delete()
        # The admins' changes of this member stay in the audit log, no longer under the
        # customer id (which a new member may get later).
        if current.customer_id is not None:
            await AuditEntry.filter(target_kind="member", target_id=current.customer_id).update(
                target_id=f"erased-member-{member.id}"
            )
        # Their recommendations go now; the next training leaves their interactions out.
        await forget_member(member.id)
        await Member.filter(id=member.id).update(
            customer_id=None,
            display_name=ERASED_DISPLAY_NAME,
            email=None,
            country=None,
            city=None,
            birth_date=None,
            locale="en",
            time_zone="UTC",
            referral_code=erased_referral_code(member.id),
            erased_at=now,
            inputs_changed_at=now,
        )
        await record_event(MemberErased(member_id=member.id), now)


def _check_confirm(confirm: bool, locale: str | None) -> None:
    if confirm is not True:
        raise InvalidInput(
            messages.CATALOGUE.text(locale, "confirm_deletion"), ["input", "confirm"]
        )
