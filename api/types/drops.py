"""GraphQL types of exclusive drops and claims.

A drop's eligibility, status and the member's claim are for the signed-in member; each list of
drops costs a constant number of queries through per-request loaders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

import strawberry
from strawberry.dataloader import DataLoader

from api.auth import Role
from api.context import Info, later
from api.fragments import cached_object
from api.language import reader_language
from api.lookahead import asks_for
from api.types.translations import Translation, translations_of
from domain.drops import models, services
from domain.drops.rules import drop_status
from domain.members.models import Member
from domain.translations import Language
from domain.versions import ConfigPart


@strawberry.enum(description="How a drop's units are given out.")
class DropMode(Enum):
    FIRST_COME = strawberry.enum_value(
        "FIRST_COME", description="Claims are granted in order until stock runs out."
    )
    RAFFLE = strawberry.enum_value(
        "RAFFLE",
        description="Members enter while the drop is open; winners are drawn when it closes.",
    )


@strawberry.enum(
    description="Where a drop stands, for the member asking (early access opens it sooner)."
)
class DropStatus(Enum):
    UPCOMING = strawberry.enum_value("UPCOMING", description="Not open yet for this member.")
    OPEN = strawberry.enum_value("OPEN", description="Open, with units left (or entries taken).")
    SOLD_OUT = strawberry.enum_value("SOLD_OUT", description="Open, but every unit is claimed.")
    CLOSED = strawberry.enum_value("CLOSED", description="Its window has ended.")


@strawberry.enum(description="Where a member's claim stands.")
class DropClaimStatus(Enum):
    RESERVED = strawberry.enum_value(
        "RESERVED",
        description="First come: a unit is held; complete it in the shop with the coupon.",
    )
    ENTERED = strawberry.enum_value("ENTERED", description="Raffle: entered, waiting for the draw.")
    WON = strawberry.enum_value("WON", description="Raffle: drawn; complete it with the coupon.")
    LOST = strawberry.enum_value("LOST", description="Raffle: not drawn. Nothing was charged.")
    CANCELLED = strawberry.enum_value(
        "CANCELLED",
        description="The reservation lapsed (unit and points given back) or a winner could not pay.",
    )


@strawberry.type(description="Whether the signed-in member may claim a drop, and from when.")
class DropEligibility:
    eligible: bool = strawberry.field(description="Whether the member meets the drop's conditions.")
    opens_for_me_at: datetime = strawberry.field(
        description="Early access: higher tiers may open before opensAt."
    )
    reasons: list[str] = strawberry.field(
        description="Why not, in the member's language (empty when eligible)."
    )

    @classmethod
    def from_domain(cls, verdict: services.Eligibility) -> DropEligibility:
        return cls(
            eligible=verdict.eligible,
            opens_for_me_at=verdict.opens_for_me_at,
            reasons=list(verdict.reasons),
        )


def drops_loader() -> DataLoader[int, models.Drop | None]:
    async def load(ids: list[int]) -> list[models.Drop | None]:
        found = await services.drops_by_ids(ids)
        return [found.get(i) for i in ids]

    return DataLoader(load_fn=load)


def eligibility_loader(info: Info) -> DataLoader[models.Drop, services.Eligibility]:
    async def load(drops: list[models.Drop]) -> list[services.Eligibility]:
        member = await info.context.member()
        known = info.context.loaders.get(_KNOWN_PARTS)
        found = await services.eligibility_for_drops(
            member, drops, info.context.now, balance=known[1].balance if known else None
        )
        return [found[d.id] for d in drops]

    return DataLoader(load_fn=load, cache_key_fn=lambda drop: drop.id)


#: The ids of a list of drops and the member's claims of them and balance, as last read with
#: the list (`_use_member_parts`): the eligibility loader takes the balance from it.
_KNOWN_PARTS = "drop_member_parts"


def status_of(drop: models.Drop, now: datetime, tier_level: int | None) -> DropStatus:
    """Where `drop` stands now for a reader of `tier_level` (None: not a member)."""
    return DropStatus(drop_status(drop, now, tier_level).value)


@dataclass(frozen=True, slots=True)
class ForMember:
    """A listed drop's member fields (`status`, `eligibility`, `myClaim`) as the screen's
    read of the member, their claims and their balance answers them, worked out with the
    list: the fields then answer without awaiting (an async field of each drop costs a
    coroutine, and graphql-core gathers a drop's in tasks of their own)."""

    status: DropStatus
    eligibility: services.Eligibility
    claim: models.DropClaim | None


async def for_member(info: Info, drops: list[models.Drop]) -> dict[int, ForMember] | None:
    """What each of `drops` shows the signed-in member, when `listed_drops` read the
    member's claims and balance for them (the drops screen asks `eligibility` and `myClaim`
    then); None otherwise, and the fields read as before. The eligibility loader is primed
    with what is worked out here (one `eligibility_for_drops` for the list, as the loader
    would have done)."""
    context = info.context
    known = context.loaders.get(_KNOWN_PARTS)
    if known is None or not context.member_requested:
        return None
    ids, found = known
    if any(d.id not in ids for d in drops):
        return None
    member = await context.member()  # read with the parts: settled
    verdicts = await services.eligibility_for_drops(
        member, drops, context.now, balance=found.balance
    )
    context.loader("drop_eligibility", lambda: eligibility_loader(info)).prime_many(
        {d: verdicts[d.id] for d in drops}
    )
    level = member.tier_level
    return {
        d.id: ForMember(
            status=status_of(d, context.now, level),
            eligibility=verdicts[d.id],
            claim=found.claims.get(d.id),
        )
        for d in drops
    }


def _use_member_parts(
    info: Info, drops: list[models.Drop], found: services.ClaimsAndBalance
) -> None:
    """Prime the claims loader with the member's claims of `drops` and keep them with their
    balance for the eligibility loader (what `myClaim` and `eligibility` then answer from)."""
    info.context.loader("drop_my_claims", lambda: my_claims_loader(info)).prime_many(
        {d.id: found.claims.get(d.id) for d in drops}
    )
    info.context.loaders[_KNOWN_PARTS] = (frozenset(d.id for d in drops), found)


async def read_member_parts(info: Info, member_id: int, drops: list[models.Drop]) -> int | None:
    """Read the member's claims of `drops` and their balance in one statement, for the
    `myClaim` and `eligibility` of each (the drops screen asks both): the claims loader is
    primed and the eligibility loader takes the balance. Returns the drops' version, read
    in the same statement (None when `drops` is empty)."""
    found = await services.claims_and_balance(member_id, [d.id for d in drops], info.context.now)
    _use_member_parts(info, drops, found)
    return found.drops_version


async def member_with_parts(info: Info, drops: list[models.Drop]) -> tuple[Member, int | None]:
    """The signed-in member, and `read_member_parts` for them, read with the member in the same
    statement when the request has not read the member yet (`Context.member_with`); a member
    not there yet (first sight, or erased and come back) is created, then their parts read
    apart."""
    ids = [d.id for d in drops]
    now = info.context.now

    async def together(customer_id: str) -> tuple[Member, services.ClaimsAndBalance] | None:
        return await services.member_with_claims_and_balance(customer_id, ids, now)

    async def alone(member: Member) -> services.ClaimsAndBalance:
        return await services.claims_and_balance(member.id, ids, now)

    # named by the drops: two lists in one request (aliases) each read their own
    name = "drop_member_parts:" + ",".join(map(str, ids))
    member, found = await info.context.member_with(name, together, alone)
    _use_member_parts(info, drops, found)
    return member, found.drops_version


async def listed_drops(info: Info, status: services.DropStatus | None) -> list[models.Drop]:
    """`drops(status)` for the caller: from the process's shelf (its rows at most a second
    old), checked against the drops' version read for this request, which the member's
    claims and balance carry when the selection asks for both (one statement, not two); else
    read alone. A version newer than the rows' (an admin's change on any process) reads them
    again.

    Without a status the list does not depend on the member (only a status filter needs
    their tier): it is taken first, and a member token's member is then read in the
    statement of their claims and balance (the screen in one statement)."""
    context = info.context
    principal = context.require()
    signed_in = principal.role == Role.MEMBER

    def member_parts_wanted(drops: list[models.Drop]) -> bool:
        return (
            signed_in
            and any(d.price_points > 0 for d in drops)
            and asks_for(info, "myClaim")
            and asks_for(info, "eligibility")
        )

    member: Member | None = None
    if status is not None:
        member = await context.member_or_none()
    tier_level = member.tier_level if member else None
    if status == services.DropStatus.CLOSED:  # closed drops are read from the database
        found = await services.list_drops(context.now, status, tier_level)
        if member and member_parts_wanted(found):
            await read_member_parts(info, member.id, found)
        return found
    shelf = context.runtime.drops
    listing = await shelf.recent()
    found = await services.list_drops(context.now, status, tier_level, listing)
    together = member_parts_wanted(found)
    version = None
    if together:
        if member is None:
            member, version = await member_with_parts(info, found)
        else:
            version = await read_member_parts(info, member.id, found)
    elif signed_in and member is None:
        member = await context.member()
    if version is None:
        version = (await context.versions()).get(ConfigPart.DROPS.value, 0)
    if version > listing.version:
        listing = await shelf.listing(version)
        found = await services.list_drops(context.now, status, tier_level, listing)
        if member and together:
            await read_member_parts(info, member.id, found)
    return found


def my_claims_loader(info: Info) -> DataLoader[int, models.DropClaim | None]:
    async def load(drop_ids: list[int]) -> list[models.DropClaim | None]:
        member = await info.context.member()
        found = await services.member_claims(member.id, drop_ids)
        return [found.get(i) for i in drop_ids]

    return DataLoader(load_fn=load)


@cached_object(private=frozenset({"status", "eligibility", "myClaim", "translations"}))
@strawberry.type(description="A limited product offered to members in a window.")
class Drop:
    model: strawberry.Private[models.Drop]
    id: strawberry.ID = strawberry.field(description="The drop's id (claimDrop takes it).")
    code: str = strawberry.field(description="The admin's key for the drop.")
    title: str = strawberry.field(description="What is offered.")
    description: str = strawberry.field(description="The story of the product.")
    image_url: str | None = strawberry.field(description="A picture of the product.")
    mode: DropMode = strawberry.field(description="First come, or a raffle.")
    opens_at: datetime = strawberry.field(description="When it opens for everyone eligible.")
    closes_at: datetime = strawberry.field(description="When claims and entries end.")
    total_quantity: int = strawberry.field(description="Units offered.")
    remaining_quantity: int = strawberry.field(
        description="Units not claimed (a raffle keeps all until the draw)."
    )
    price_points: int = strawberry.field(description="Points charged per unit (0: free).")
    per_member_limit: int = strawberry.field(description="Most units one member may hold.")
    min_tier_level: int = strawberry.field(description="Lowest tier level that may claim.")
    segment_code: str | None = strawberry.field(description="Only members of this segment.")
    early_access_tier_level: int | None = strawberry.field(
        description="Members at or above this tier level may claim earlyAccessMinutes early."
    )
    early_access_minutes: int = strawberry.field(description="How much earlier they may claim.")
    announce: bool = strawberry.field(description="Whether openings are pushed to members.")
    drawn_at: datetime | None = strawberry.field(description="Raffle: when it was drawn.")
    raffle_seed: str | None = strawberry.field(
        description=(
            "Raffle: the seed of the draw, published so anyone can repeat it: "
            "random.Random(seed).sample(entry ids ascending, all) gives the order of the draw."
        )
    )

    #: Its member fields as worked out with the list (`for_member`); None: read each.
    known: strawberry.Private[ForMember | None] = None

    @classmethod
    def from_model(
        cls, drop: models.Drop, language: Language, known: ForMember | None = None
    ) -> Drop:
        """The drop as a reader of `language` sees it (its texts are part of the fragment
        cache's key, as every plain field is); `known`: its member fields, if worked out."""
        return cls(
            model=drop,
            known=known,
            id=strawberry.ID(str(drop.id)),
            code=drop.code,
            title=language.text(drop.translations, "name", drop.title),
            description=language.text(drop.translations, "description", drop.description),
            image_url=drop.image_url,
            mode=DropMode(drop.mode.value),
            opens_at=drop.opens_at,
            closes_at=drop.closes_at,
            total_quantity=drop.quantity,
            remaining_quantity=drop.remaining,
            price_points=drop.price_points,
            per_member_limit=drop.per_member_limit,
            min_tier_level=drop.min_tier_level,
            segment_code=drop.segment_code,
            early_access_tier_level=drop.early_access_tier_level,
            early_access_minutes=drop.early_access_minutes,
            announce=drop.announce,
            drawn_at=drop.drawn_at,
            raffle_seed=drop.raffle_seed,
        )

    @strawberry.field(
        description="Every title (as name) and description entered per locale (for the "
        "console). Members read title and description in their locale, then its language, "
        "then the program's default locale, then the base texts."
    )
    def translations(self) -> list[Translation]:
        return translations_of(self.model.translations)

    @strawberry.field(
        description="UPCOMING, OPEN, SOLD_OUT or CLOSED now, as the signed-in member sees it."
    )
    def status(self, info: Info) -> DropStatus:
        if self.known is not None:
            return self.known.status
        return later(self._status(info))

    async def _status(self, info: Info) -> DropStatus:
        member = await info.context.member_or_none()
        return status_of(self.model, info.context.now, member.tier_level if member else None)

    @strawberry.field(description="For the signed-in member.")
    def eligibility(self, info: Info) -> DropEligibility:
        if self.known is not None:
            return DropEligibility.from_domain(self.known.eligibility)
        return later(self._eligibility(info))

    async def _eligibility(self, info: Info) -> DropEligibility:
        loader = info.context.loader("drop_eligibility", lambda: eligibility_loader(info))
        return DropEligibility.from_domain(await loader.load(self.model))

    @strawberry.field(
        description="The signed-in member's claim: the one holding a unit or entry, else the "
        "latest (released, lost). Null for other callers."
    )
    def my_claim(self, info: Info) -> DropClaim | None:
        if self.known is not None:
            claim = self.known.claim
            return DropClaim.from_model(claim) if claim else None
        return later(self._my_claim(info))

    async def _my_claim(self, info: Info) -> DropClaim | None:
        if await info.context.member_or_none() is None:
            return None
        loader = info.context.loader("drop_my_claims", lambda: my_claims_loader(info))
        claim = await loader.load(self.model.id)
        return DropClaim.from_model(claim) if claim else None


@strawberry.type(description="One unit of a drop for one member: a reservation or a raffle entry.")
class DropClaim:
    model: strawberry.Private[models.DropClaim]
    id: strawberry.ID = strawberry.field(description="The claim's id.")
    status: DropClaimStatus = strawberry.field(description="Where the claim stands.")
    created_at: datetime = strawberry.field(description="When the member claimed or entered.")
    coupon_code: str | None = strawberry.field(
        description="The code to complete the purchase in the shop, once reserved or won."
    )
    reserved_until: datetime | None = strawberry.field(
        description="First come: complete the purchase before this, or the unit goes back."
    )
    points_spent: int = strawberry.field(description="Points charged for it (0 until won).")
    completed_at: datetime | None = strawberry.field(
        description="When the shop completed the purchase with the coupon."
    )
    order_id: str | None = strawberry.field(description="The shop's order that completed it.")

    @classmethod
    def from_model(cls, claim: models.DropClaim) -> DropClaim:
        return cls(
            model=claim,
            id=strawberry.ID(str(claim.id)),
            status=DropClaimStatus(claim.status.value),
            created_at=claim.created_at,
            coupon_code=claim.coupon_code,
            reserved_until=claim.reserved_until,
            points_spent=claim.points_spent,
            completed_at=claim.completed_at,
            order_id=claim.order_id,
        )

    @strawberry.field(description="The drop claimed.")
    async def drop(self, info: Info) -> Drop:
        loader = info.context.loader("drops_by_id", drops_loader)
        drop = await loader.load(self.model.drop_id)
        assert drop is not None
        return Drop.from_model(drop, await reader_language(info))
