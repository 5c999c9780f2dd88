"""The live feed: each new notification is published on the member's Redis channel (sharded
pub/sub, SPUBLISH: on a Redis Cluster it reaches only the node owning the channel).

The `notificationReceived` subscription listens on `{prefix}member:{id}:notifications`, so a
member subscribed through one API process hears notifications created by any other process
or worker. Publishing is best effort: the feed row is the record, a member who was not
listening reads it from `Member.notifications`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any, Protocol

from push.notifications.models import Notification

logger = logging.getLogger("fidelio.push")


def notification_channel(prefix: str, member_id: int) -> str:
    return f"{prefix}member:{member_id}:notifications"


def notification_payload(notification: Notification) -> dict[str, Any]:
    """The JSON published: the fields of the contract's `Notification` type."""
    return {
        "id": str(notification.id),
        "memberId": str(notification.member_id),
        "category": notification.category.value,
        "title": notification.title,
        "body": notification.body,
        "deepLink": notification.deep_link,
        "createdAt": notification.created_at.isoformat(),
        "readAt": notification.read_at.isoformat() if notification.read_at else None,
        "pushStatus": notification.push_status.value,
    }


class NotificationPublisher(Protocol):
    async def publish(self, notifications: Sequence[Notification]) -> None:
        """Announce freshly created notifications; never raises."""
        ...


class RedisNotificationPublisher:
    """Publishes on the app's Redis (real or the in-process stand-in), one pipeline per call."""

    def __init__(self, redis: Any, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix

    async def publish(self, notifications: Sequence[Notification]) -> None:
        if not notifications:
            return
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for notification in notifications:
                    pipe.spublish(
                        notification_channel(self._prefix, notification.member_id),
                        json.dumps(notification_payload(notification)),
                    )
                await pipe.execute()
        except Exception:
            logger.warning("could not publish %s notifications live", len(notifications),
                           exc_info=True)  # fmt: skip


class NoLiveFeed:
    """For tests and tools that run without subscribers."""

    async def publish(self, notifications: Sequence[Notification]) -> None:
        return None
