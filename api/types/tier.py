"""GraphQL types of tiers, and the per-request loaders that place members on the ladder."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import strawberry
from strawberry.dataloader import DataLoader

from api.context import Info
from api.language import reader_language
from api.types.translations import Translation, translations_of
from domain.members.models import Member as MemberModel
from domain.tiers import services
from domain.tiers.models import Tier as TierModel
from domain.translations import Language


@strawberry.type(description="A level of the loyalty program.")
class Tier:
    stored_translations: strawberry.Private[Any]
    code: str = strawberry.field(description="The tier's unique code, e.g. GOLD.")
    name: str = strawberry.field(description="The tier's name for people.")
    level: int = strawberry.field(description="0 is the base tier; higher is better.")
    qualifying_points: int = strawberry.field(
        description="Points earned in the qualification window needed to hold this tier."
    )
    points_multiplier: float = strawberry.field(
        description="Points of purchases made while holding the tier are multiplied by this."
    )
    benefits: list[str] = strawberry.field(description="What holding the tier gives, in order.")

    @strawberry.field(
        description="Every name entered per locale (for the console). The signed-in member "
        "reads name in their locale, then its language, then the program's default locale, "
        "then the base name; other members' tiers (boards, referrals) show in the program's "
        "default language."
    )
    def translations(self) -> list[Translation]:
        return translations_of(self.stored_translations)

    @classmethod
    def from_model(cls, tier: TierModel, language: Language) -> Tier:
        return cls(
            stored_translations=tier.translations,
            code=tier.code,
            name=language.text(tier.translations, "name", tier.name),
            level=tier.level,
            qualifying_points=tier.qualifying_points,
            points_multiplier=float(tier.points_multiplier),
            benefits=list(tier.benefits or []),
        )


@strawberry.type(description="The next tier and how far the member is from it.")
class TierProgress:
    tier: Tier = strawberry.field(description="The tier just above the member's.")
    qualifying_points_needed: int = strawberry.field(
        description="Points still to earn in the qualification window to reach it."
    )
    qualifying_points: int = strawberry.field(
        description="Points the member earned in the qualification window so far."
    )


def ladder_loader(info: Info) -> DataLoader[str, list[TierModel]]:
    """The tier ladder, once per request (from the process's cache: one read of the versions,
    shared with the requests that ask at the same time)."""

    def factory() -> DataLoader[str, list[TierModel]]:
        async def load(keys: list[str]) -> list[list[TierModel]]:
            runtime = info.context.runtime
            ladder = list(await runtime.program.ladder(await info.context.versions()))
            return [ladder for _ in keys]

        return DataLoader(load_fn=load)

    return info.context.loader("tier_ladder", factory)


async def tier_of(info: Info, member: MemberModel) -> Tier:

    ladder = await ladder_loader(info).load("ladder")
    return Tier.from_model(services.tier_held(member, ladder), await reader_language(info))


async def tier_progress(info: Info, member: MemberModel, qualifying: int) -> TierProgress | None:
    """Progress to the next tier of `member`, whose qualifying points were read already."""
    program = await info.context.runtime.program.current(await info.context.versions())
    progress = services.progress_to_next_tier(member, program.ladder, qualifying)
    if progress is None:
        return None
    return TierProgress(
        tier=Tier.from_model(progress.tier, await reader_language(info)),
        qualifying_points_needed=progress.qualifying_points_needed,
        qualifying_points=progress.qualifying_points,
    )


def next_tier_loader(info: Info) -> DataLoader[MemberModel, TierProgress | None]:
    """Progress to the next tier of every member asked for in the request, in three queries."""

    def factory() -> DataLoader[MemberModel, TierProgress | None]:
        async def load(members: Sequence[MemberModel]) -> list[TierProgress | None]:

            language = await reader_language(info)
            runtime = info.context.runtime
            program = await runtime.program.current(await info.context.versions())
            found = await services.next_tier_progress(
                list(members),
                info.context.now,
                ladder=program.ladder,
                window_months=program.rules.tier_window_months,
            )
            return [
                None
                if (p := found[m.id]) is None
                else TierProgress(
                    tier=Tier.from_model(p.tier, language),
                    qualifying_points_needed=p.qualifying_points_needed,
                    qualifying_points=p.qualifying_points,
                )
                for m in members
            ]

        return DataLoader(load_fn=load, cache_key_fn=lambda m: m.id)

    return info.context.loader("next_tier", factory)
