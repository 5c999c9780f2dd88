"""The anniversary of a member's first purchase: an offer the admins configure, once a year.

Beside the birthday automation (`push.automations`) and held to the same rules: off unless
automations are on (and the admins enabled the offer), celebrated on the member's local date
from `local_hour` on, once per year (the notification's dedupe key, the bonus's and the
coupon's reference are `anniversary:<year>`), and the push decided by `notify_members`: the
member's preferences, quiet hours (the push is held until they end) and daily cap.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from tortoise.expressions import Q
from tortoise.functions import Min
from tortoise.transactions import in_transaction

from domain.errors import DomainError, InputErrors, InvalidInput, NotFound
from domain.members.models import Member
from domain.purchases.models import Purchase
from domain.rewards.models import Reward
from domain.sql import as_datetime
from push.anniversaries.models import AnniversaryOffer
from push.automations import AutomationSettings, dates_near, is_birthday
from push.bonus import MAX_BONUS_POINTS, award_bonus_to_many
from push.live import NotificationPublisher
from push.notifications.rules import zone
from push.notifications.services import Draft, Recipient, notify_members
from push.notifications.templates import render
from push.ports import CouponIssuer

SCAN_PAGE = 2000
OFFER_ID = 1


@dataclass(frozen=True)
class AnniversarySpec:
    """What the admin configures (configureAnniversaryOffer's input)."""

    enabled: bool
    points: int = 0
    reward_code: str | None = None
    local_hour: int = 9


async def configure_anniversary_offer(
    spec: AnniversarySpec, now: datetime, coupons: CouponIssuer
) -> AnniversaryOffer:
    """Save the anniversary offer. Raises `ValidationErrors` naming each field at fault under
    `input`: `InvalidInput` for points outside 0-100,000 or an hour outside 0-23, `NotFound`
    for a reward code no active reward has."""
    problems = InputErrors()
    if not 0 <= spec.points <= MAX_BONUS_POINTS:
        problems.add(InvalidInput(f"must be between 0 and {MAX_BONUS_POINTS}", ["input", "points"]))
    if not 0 <= spec.local_hour <= 23:
        problems.add(InvalidInput("must be between 0 and 23", ["input", "localHour"]))
    code = spec.reward_code.strip() if spec.reward_code else None
    if code and not await coupons.reward_exists(code):
        problems.add(NotFound(f"no reward '{code}' on offer", ["input", "rewardCode"]))
    problems.raise_any()
    values: dict[str, Any] = {
        "enabled": spec.enabled,
        "points": spec.points,
        "reward_code": code or None,
        "local_hour": spec.local_hour,
        "updated_at": now,
    }
    async with in_transaction():
        if not await AnniversaryOffer.filter(id=OFFER_ID).update(**values):
            await AnniversaryOffer.create(id=OFFER_ID, **values)
    return await AnniversaryOffer.get(id=OFFER_ID)


async def anniversary_offer() -> AnniversaryOffer | None:
    """The configured offer (None until an admin configures one)."""
    return await AnniversaryOffer.get_or_none(id=OFFER_ID)


async def celebrate_anniversaries(
    now: datetime,
    settings: AutomationSettings,
    coupons: CouponIssuer,
    publisher: NotificationPublisher,
) -> int:
    """Celebrate the members whose first purchase has its anniversary today in their time
    zone (from the offer's local hour, a year or more after it), once a year, with the
    configured points and coupon; returns the members celebrated. A coupon that cannot be
    issued (the reward withdrawn or out of stock) leaves the greeting and the points."""
    offer = await anniversary_offer()
    if not settings.enabled or offer is None or not offer.enabled:
        return 0
    due = await _due(now, offer.local_hour)
    reward = await Reward.get_or_none(code=offer.reward_code) if offer.reward_code else None
    celebrated = 0
    for year, members in sorted(due.items()):
        ids = sorted(members)
        for start in range(0, len(ids), SCAN_PAGE):
            chunk = ids[start : start + SCAN_PAGE]
            key = f"anniversary:{year}"
            async with in_transaction():
                with_coupon: set[int] = set()
                if reward is not None and offer.reward_code:
                    for member_id in chunk:
                        try:
                            # Once per member and year (the reference), even when retried.
                            async with in_transaction():
                                await coupons.issue(member_id, offer.reward_code, key, now)
                            with_coupon.add(member_id)
                        except DomainError:
                            continue
                created = await notify_members(
                    chunk,
                    _compose(offer.points, reward.name if reward else "", with_coupon, members),
                    key,
                    now,
                )
                await award_bonus_to_many(
                    [n.member_id for n in created], offer.points, "Happy anniversary", key, now
                )
            await publisher.publish(created)
            celebrated += len(created)
    return celebrated


async def _due(now: datetime, local_hour: int) -> dict[int, dict[int, date]]:
    """{local year: {member id: local date of the first purchase}} of the members whose
    anniversary it is now. Only the purchases made within a few days of today's date in a
    past year are read (the index on occurred_at), then those members' first purchases: the
    hourly job reads the day's anniversaries, not every purchase ever made."""
    due: dict[int, dict[int, date]] = defaultdict(dict)
    for chunk in await _bought_near(now.date()):
        rows = (
            await Purchase.filter(member_id__in=chunk)
            .annotate(first=Min("occurred_at"))
            .group_by("member_id")
            .values("member_id", "first")
        )
        firsts = {row["member_id"]: as_datetime(row["first"]) for row in rows}
        # Time zones move a date by a day at most: only those near today's date are kept.
        near = [m for m, first in firsts.items() if _within_a_day(first.date(), now.date())]
        if not near:
            continue
        zones = await Member.filter(id__in=near, erased_at__isnull=True).values_list(
            "id", "time_zone"
        )
        for member_id, time_zone in zones:
            tz = zone(time_zone)
            local = now.astimezone(tz)
            first_local = firsts[member_id].astimezone(tz).date()
            if (
                local.year > first_local.year
                and local.time() >= time(local_hour)
                and is_birthday(first_local, local.date())
            ):
                due[local.year][member_id] = first_local
    return due


async def _bought_near(today: date) -> list[list[int]]:
    """The members who bought within a few days of `today`'s month and day in any year of
    the program, in pages of ids (a first purchase on such a day is among them)."""
    earliest = (
        await Purchase.all().order_by("occurred_at").first().values_list("occurred_at", flat=True)
    )
    if earliest is None:
        return []
    days = dates_near(today, range(as_datetime(earliest).year, today.year + 1))
    # Consecutive days as one range each: one range per year.
    windows: list[tuple[date, date]] = []
    for day in days:
        if windows and windows[-1][1] == day:
            windows[-1] = (windows[-1][0], day + timedelta(days=1))
        else:
            windows.append((day, day + timedelta(days=1)))
    members: set[int] = set()
    for start in range(0, len(windows), 40):
        near = Q(
            *(
                Q(occurred_at__gte=_midnight(low), occurred_at__lt=_midnight(high))
                for low, high in windows[start : start + 40]
            ),
            join_type=Q.OR,
        )
        members.update(await Purchase.filter(near).distinct().values_list("member_id", flat=True))
    ids = sorted(members)
    return [ids[i : i + SCAN_PAGE] for i in range(0, len(ids), SCAN_PAGE)]


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def _within_a_day(first: date, today: date) -> bool:
    for year in (today.year - 1, today.year, today.year + 1):
        try:
            anniversary = first.replace(year=year)
        except ValueError:  # 29 February: celebrated on the 28th or the 29th
            anniversary = date(year, 2, 28)
        if abs((anniversary - today).days) <= 1:
            return True
    return False


def _compose(
    points: int, reward: str, with_coupon: set[int], firsts: dict[int, date]
) -> Callable[[Recipient], Draft]:
    def compose(recipient: Recipient) -> Draft:
        coupon = recipient.member_id in with_coupon
        template = {
            (True, True): "anniversary_points_coupon",
            (True, False): "anniversary_points",
            (False, True): "anniversary_coupon",
            (False, False): "anniversary",
        }[(points > 0, coupon)]
        params = {
            "name": recipient.name,
            "year": str(firsts[recipient.member_id].year),
            "points": points,
            "reward": reward,
        }
        text = render(template, recipient.locale, params)
        return Draft(text.category, text.title, text.body, text.deep_link)

    return compose
