"""Events of badges, challenges and leaderboard prizes."""

from __future__ import annotations

from dataclasses import dataclass

from domain.events import DomainEvent


@dataclass(frozen=True)
class BadgeEarned(DomainEvent):
    member_id: int
    badge_id: int
    badge_code: str
    badge_name: str
    points: int


@dataclass(frozen=True)
class ChallengeCompleted(DomainEvent):
    member_id: int
    challenge_id: int
    challenge_code: str
    challenge_title: str
    period_key: str
    points: int


@dataclass(frozen=True)
class LeaderboardPrizeAwarded(DomainEvent):
    member_id: int
    board_code: str
    board_name: str
    window: str
    period_key: str
    rank: int
    points: int
    #: The region of a board kept per country or city; None for a board without regions.
    region: str | None = None
