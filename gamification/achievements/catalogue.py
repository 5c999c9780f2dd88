"""The engine's in-memory index of badges and challenges, by the event kind their rule reads.

An event only costs the rules of its kind: a purchase never looks at the share badges. The
index is rebuilt when an admin changes the catalogue (its version in `domain.versions`,
read once per event) and once a day, to drop challenges long ended.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from types import MappingProxyType

from domain.achievements.models import Badge, Challenge
from domain.versions import ConfigPart, Versions, read_versions
from gamification.rules import EventKind, Recurrence, Rule
from gamification.rules.state import LATE_EVENT_DAYS

#: Challenges ended longer ago than this are left out of the index: a late event (an offline
#: till reporting a purchase) arrives within days, not weeks.
ENDED_CHALLENGE_HORIZON = timedelta(days=LATE_EVENT_DAYS)
#: How long an index may serve before it is rebuilt to prune ended challenges.
INDEX_MAX_AGE = timedelta(days=1)


@lru_cache(maxsize=4096)
def rule_fingerprint(rule: Rule) -> str:
    """A short digest of what a rule means: equal rules share it, an edited rule changes it
    (kept per distinct rule: progress shown on every request compares it)."""
    canonical = json.dumps(rule.to_json(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class IndexedBadge:
    """What the engine needs of a badge to evaluate and award it."""

    id: int
    code: str
    name: str
    rule: Rule
    fingerprint: str
    reward_points: int

    @classmethod
    def of(cls, badge: Badge) -> IndexedBadge:
        rule = Rule.from_json(badge.rule)
        return cls(
            id=badge.id,
            code=badge.code,
            name=badge.name,
            rule=rule,
            fingerprint=rule_fingerprint(rule),
            reward_points=badge.reward_points,
        )


@dataclass(frozen=True)
class IndexedChallenge:
    """What the engine needs of a challenge to evaluate and complete it."""

    id: int
    code: str
    title: str
    rule: Rule
    fingerprint: str
    starts_at: datetime
    ends_at: datetime
    recurrence: Recurrence
    reward_points: int
    reward_badge: IndexedBadge | None
    segment_code: str | None

    @classmethod
    def of(cls, challenge: Challenge, reward_badge: IndexedBadge | None) -> IndexedChallenge:
        rule = Rule.from_json(challenge.goal)
        return cls(
            id=challenge.id,
            code=challenge.code,
            title=challenge.title,
            rule=rule,
            fingerprint=rule_fingerprint(rule),
            starts_at=challenge.starts_at,
            ends_at=challenge.ends_at,
            recurrence=Recurrence(challenge.recurrence),
            reward_points=challenge.reward_points,
            reward_badge=reward_badge,
            segment_code=challenge.segment_code,
        )

    def is_active(self, moment: datetime) -> bool:
        return self.starts_at <= moment < self.ends_at


@dataclass(frozen=True)
class RuleIndex:
    """Badges and challenges by the event kind of their rule, as of one catalogue version."""

    version: int
    built_at: datetime
    badges: Mapping[EventKind, tuple[IndexedBadge, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    challenges: Mapping[EventKind, tuple[IndexedChallenge, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )

    def badges_for(self, kind: EventKind) -> tuple[IndexedBadge, ...]:
        return self.badges.get(kind, ())

    def challenges_for(self, kind: EventKind) -> tuple[IndexedChallenge, ...]:
        return self.challenges.get(kind, ())

    @property
    def rule_count(self) -> int:
        return sum(map(len, self.badges.values())) + sum(map(len, self.challenges.values()))


def build_index(
    version: int,
    now: datetime,
    badges: Sequence[IndexedBadge],
    challenges: Sequence[IndexedChallenge],
) -> RuleIndex:
    """The index of `badges` and of the `challenges` not ended before the late-event horizon,
    each under the event kind of its rule, in the order given."""
    by_kind_badges: dict[EventKind, list[IndexedBadge]] = defaultdict(list)
    for badge in badges:
        by_kind_badges[badge.rule.event].append(badge)
    by_kind_challenges: dict[EventKind, list[IndexedChallenge]] = defaultdict(list)
    for challenge in challenges:
        if challenge.ends_at >= now - ENDED_CHALLENGE_HORIZON:
            by_kind_challenges[challenge.rule.event].append(challenge)
    return RuleIndex(
        version=version,
        built_at=now,
        badges=MappingProxyType({k: tuple(v) for k, v in by_kind_badges.items()}),
        challenges=MappingProxyType({k: tuple(v) for k, v in by_kind_challenges.items()}),
    )


async def catalogue_version(versions: Versions | None = None) -> int:
    """The current catalogue version (0 before any admin change), from `versions` if the
    caller read them already."""
    if versions is None:
        versions = await read_versions()
    return versions.get(ConfigPart.ACHIEVEMENTS.value, 0)


async def load_index(now: datetime) -> RuleIndex:
    """Read the catalogue from the database and index it (three queries)."""
    version = await catalogue_version()
    badges = {badge.id: IndexedBadge.of(badge) for badge in await Badge.all().order_by("id")}
    challenges = [
        IndexedChallenge.of(challenge, badges.get(challenge.reward_badge_id))
        for challenge in await Challenge.filter(
            ends_at__gte=now - ENDED_CHALLENGE_HORIZON
        ).order_by("id")
    ]
    return build_index(version, now, list(badges.values()), challenges)
