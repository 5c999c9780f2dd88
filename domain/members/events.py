"""Events of the members area."""

from __future__ import annotations

from dataclasses import dataclass

from domain.events import DomainEvent


@dataclass(frozen=True)
class MemberCreated(DomainEvent):
    """A shop customer joined the program (first seen through a token or a purchase). The
    customer id is not in the event (the outbox keeps events after an erasure): handlers read
    the member."""

    member_id: int


@dataclass(frozen=True)
class MemberErased(DomainEvent):
    """The member erased their account: every layer removes its personal data of them."""

    member_id: int


@dataclass(frozen=True)
class MemberMoved(DomainEvent):
    """The member's country or city changed: regional leaderboards move their scores. The
    place itself is not in the event (the outbox keeps events after an erasure): handlers read
    the member."""

    member_id: int


@dataclass(frozen=True)
class DeviceMoved(DomainEvent):
    """A push token another member had registered was registered by this member (an app
    installation that changed hands): the token is theirs now, and pushes still queued for the
    previous member must not reach it."""

    device_id: int
    from_member_id: int
    to_member_id: int
