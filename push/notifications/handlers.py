"""The notifications domain events bring: the member's feed row and its push.

Each handler writes the member's feed row (rendered in the member's language) and schedules
its push through `notify_members`. The outbox delivers at least once: every notification has
a dedupe key derived from the event, so a redelivered event changes nothing. New
notifications are published to the live feed as the handler ends (the dispatcher commits
right after; a rollback after that would leave subscribers with a notification the feed does
not have, which the next read of the feed corrects).

Which events reach these handlers, beside the push area's other reactions (campaigns,
automations, stores), is wired in `push.wiring.push_handlers`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from domain.achievements.events import BadgeEarned, ChallengeCompleted, LeaderboardPrizeAwarded
from domain.clock import Clock
from domain.events import DomainEvent
from domain.members.events import DeviceMoved, MemberErased
from domain.points.events import PointsExpiringSoon
from domain.referrals.events import ReferralCompleted
from domain.tiers.events import TierChanged
from domain.tiers.models import Tier
from push.live import NotificationPublisher
from push.notifications.delivery import withdraw_from_moved_device
from push.notifications.models import Notification
from push.notifications.rules import zone
from push.notifications.services import Draft, Recipient, erase_member_notifications, notify_members
from push.notifications.templates import render


class NotificationHandlers:
    """The push area's notifications of domain events, one method per event."""

    def __init__(self, clock: Clock, publisher: NotificationPublisher) -> None:
        self._clock = clock
        self._publisher = publisher

    async def _notify(
        self,
        member_id: int,
        template: str,
        params: Mapping[str, Any],
        dedupe_key: str,
        data: Mapping[str, str] | None = None,
        now: datetime | None = None,
    ) -> None:
        compose = _composer(template, params, data)
        created = await notify_members([member_id], compose, dedupe_key, now or self._clock.now())
        await self._publisher.publish(created)

    async def badge_earned(self, event: BadgeEarned) -> None:
        await self._notify(
            event.member_id,
            "badge_earned_points" if event.points > 0 else "badge_earned",
            {"badge": event.badge_name, "badge_id": event.badge_id, "points": event.points},
            f"badge:{event.badge_id}",
            {"badge_id": str(event.badge_id), "badge_code": event.badge_code},
        )

    async def challenge_completed(self, event: ChallengeCompleted) -> None:
        await self._notify(
            event.member_id,
            "challenge_completed",
            {
                "challenge": event.challenge_title,
                "challenge_id": event.challenge_id,
                "points": event.points,
            },
            f"challenge:{event.challenge_id}:{event.period_key}",
            {"challenge_id": str(event.challenge_id)},
        )

    async def leaderboard_prize_awarded(self, event: LeaderboardPrizeAwarded) -> None:
        await self._notify(
            event.member_id,
            "leaderboard_prize",
            {
                "board": event.board_name,
                "board_code": event.board_code,
                "rank": event.rank,
                "points": event.points,
            },
            f"prize:{event.board_code}:{event.window}:{event.period_key}",
            {"board_code": event.board_code},
        )

    async def tier_changes(self, events: Sequence[DomainEvent]) -> None:
        """The notifications of a batch's tier changes: one `notify_members` for all the
        members who moved the same way to the same tier (a purchase lifts many members to
        the same tier), one read of the tiers' names, one publication."""
        # The event carries no time of its own: the (UTC) day stands in for it, so a
        # redelivery the same day is recognised (a second identical change the same day is,
        # rarely, not announced).
        now = self._clock.now()
        day = now.astimezone(UTC).date().isoformat()
        movers: dict[tuple[bool, str], list[int]] = {}
        for event in events:
            assert isinstance(event, TierChanged)
            movers.setdefault((event.upgrade, event.new_code), []).append(event.member_id)
        # Members read the tier's name ("Gold"), not its code; a tier removed meanwhile
        # keeps its code.
        codes = sorted({code for _, code in movers})
        names = dict(await Tier.filter(code__in=codes).values_list("code", "name"))
        created: list[Notification] = []
        for (upgrade, code), member_ids in movers.items():
            compose = _composer(
                "tier_upgraded" if upgrade else "tier_downgraded",
                {"tier": names.get(code, code)},
                {"tier_code": code},
            )
            direction = "up" if upgrade else "down"
            created += await notify_members(
                member_ids, compose, f"tier:{direction}:{code}:{day}", now
            )
        await self._publisher.publish(created)

    async def points_expiring(self, event: PointsExpiringSoon, now: datetime) -> None:
        """The reminder of points about to expire (`push.automations` says when)."""
        await self._notify(
            event.member_id,
            "points_expiring",
            {"points": event.points, "date": event.expires_at},
            f"expiring:{event.expires_at.isoformat()}",
            now=now,
        )

    async def referral_completed(self, event: ReferralCompleted) -> None:
        await self._notify(
            event.referrer_id,
            "referral_referrer",
            {"points": event.referrer_points},
            f"referral:{event.referral_id}:referrer",
        )
        if event.referee_points > 0:
            await self._notify(
                event.referee_id,
                "referral_referee",
                {"points": event.referee_points},
                f"referral:{event.referral_id}:referee",
            )

    async def member_erased(self, event: MemberErased) -> None:
        await erase_member_notifications(event.member_id)

    async def device_moved(self, event: DeviceMoved) -> None:
        await withdraw_from_moved_device(event.device_id)


def _composer(
    template: str, params: Mapping[str, Any], data: Mapping[str, str] | None
) -> Callable[[Recipient], Draft]:
    """A notification's texts for each recipient: `template` rendered in their language,
    its times in their time zone, with their name."""

    def compose(recipient: Recipient) -> Draft:
        tz = zone(recipient.time_zone)
        values = {k: v.astimezone(tz) if isinstance(v, datetime) else v for k, v in params.items()}
        text = render(template, recipient.locale, {**values, "name": recipient.name})
        return Draft(text.category, text.title, text.body, text.deep_link, data or {})

    return compose
