"""The demo program's badges and challenges (for `fidelio seed-demo`). Idempotent: upserts by
code, then a back-fill of each badge over whatever history the demo already holds."""

from __future__ import annotations

from datetime import datetime, timedelta

from gamification.achievements.backfill import HISTORY, backfill_badge
from gamification.achievements.services import (
    BadgeDraft,
    ChallengeDraft,
    upsert_badge,
    upsert_challenge,
)
from gamification.rules import Aggregate, EventKind, Recurrence, Rule

DEMO_BADGES = (
    BadgeDraft(
        "first-purchase",
        "First purchase",
        "Welcome aboard: your first order.",
        Rule(event=EventKind.PURCHASE, aggregate=Aggregate.COUNT, target=1),
        reward_points=50,
    ),
    BadgeDraft(
        "shoe-lover",
        "Shoe lover",
        "Three pairs in a month.",
        Rule(
            event=EventKind.PURCHASE,
            aggregate=Aggregate.COUNT,
            target=3,
            window_days=30,
            category="shoes",
        ),
        reward_points=100,
    ),
    BadgeDraft(
        "big-spender",
        "Big spender",
        "500 spent with us.",
        Rule(event=EventKind.PURCHASE, aggregate=Aggregate.SUM_AMOUNT, target=500),
        reward_points=200,
    ),
    BadgeDraft(
        "explorer",
        "Explorer",
        "Something from four different categories.",
        Rule(event=EventKind.PURCHASE, aggregate=Aggregate.DISTINCT_CATEGORIES, target=4),
        reward_points=75,
    ),
    BadgeDraft(
        "regular",
        "Regular",
        "A purchase every week for a month.",
        Rule(event=EventKind.PURCHASE, aggregate=Aggregate.STREAK_WEEKS, target=4),
        reward_points=150,
    ),
    BadgeDraft(
        "critic",
        "Critic",
        "Five reviews written.",
        Rule(event=EventKind.REVIEW, aggregate=Aggregate.COUNT, target=5),
        reward_points=60,
    ),
    BadgeDraft(
        "town-crier",
        "Town crier",
        "Shared something seven days in a row.",
        Rule(event=EventKind.SHARE, aggregate=Aggregate.STREAK_DAYS, target=7),
        reward_points=80,
    ),
    BadgeDraft(
        "regular-visitor",
        "Regular visitor",
        "Ten visits to our stores.",
        Rule(event=EventKind.STORE_VISIT, aggregate=Aggregate.COUNT, target=10),
        reward_points=120,
        secret=True,
    ),
)


def demo_challenges(now: datetime) -> tuple[ChallengeDraft, ...]:
    day = timedelta(days=1)
    return (
        ChallengeDraft(
            "two-a-week",
            "Two a week",
            "Two purchases every week.",
            now - 30 * day,
            now + 90 * day,
            Rule(event=EventKind.PURCHASE, aggregate=Aggregate.COUNT, target=2),
            Recurrence.WEEKLY,
            reward_points=30,
        ),
        ChallengeDraft(
            "spring-spree",
            "Spring spree",
            "Spend 200 before spring ends and take the Explorer badge too.",
            now - 7 * day,
            now + 21 * day,
            Rule(event=EventKind.PURCHASE, aggregate=Aggregate.SUM_AMOUNT, target=200),
            reward_points=150,
            reward_badge_code="explorer",
        ),
        ChallengeDraft(
            "daily-share",
            "Share of the day",
            "Share something today.",
            now - 14 * day,
            now + 60 * day,
            Rule(event=EventKind.SHARE, aggregate=Aggregate.COUNT, target=1),
            Recurrence.DAILY,
            reward_points=5,
        ),
        ChallengeDraft(
            "summer-stores",
            "Summer in store",
            "Three store visits this summer.",
            now + 30 * day,
            now + 120 * day,
            Rule(event=EventKind.STORE_VISIT, aggregate=Aggregate.COUNT, target=3),
            reward_points=90,
        ),
        ChallengeDraft(
            "winter-reviews",
            "Winter reviews",
            "Two reviews over the winter.",
            now - 90 * day,
            now - 10 * day,
            Rule(event=EventKind.REVIEW, aggregate=Aggregate.COUNT, target=2),
            reward_points=40,
        ),
    )


async def seed_achievements(now: datetime) -> str:
    """Define the demo badges and challenges; award the badges the demo history earns."""
    for badge in DEMO_BADGES:
        await upsert_badge(badge, now)
    challenges = demo_challenges(now)
    for challenge in challenges:
        await upsert_challenge(challenge, now)
    awarded = 0
    for badge in DEMO_BADGES:
        if badge.rule.event in HISTORY:
            awarded += await backfill_badge(badge.code, now)
    return f"{len(DEMO_BADGES)} badges, {len(challenges)} challenges, {awarded} badges back-filled"
