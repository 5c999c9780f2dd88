"""GraphQL of catalogue content per locale entered apart from the rest (the console's
Translations page): `setTranslations`."""

from __future__ import annotations

from enum import Enum

import strawberry

from api.context import Info
from api.types.common import UserError, user_errors
from api.types.translations import Translation, TranslationInput, drafts, translations_of
from domain.catalogue_translations import CatalogueKind as CatalogueKindValue
from domain.catalogue_translations import set_translations
from domain.errors import DomainError


@strawberry.enum(description="The kinds of catalogue items whose texts are entered per locale.")
class CatalogueKind(Enum):
    REWARD = "reward"
    BADGE = "badge"
    CHALLENGE = "challenge"
    DROP = "drop"
    TIER = "tier"


@strawberry.input(description="Every translation of one catalogue item.")
class SetTranslationsInput:
    kind: CatalogueKind = strawberry.field(description="The item's kind.")
    code: str = strawberry.field(description="The item's code.")
    translations: list[TranslationInput] = strawberry.field(
        description="The item's translations, replacing those entered before ([] removes "
        "them all); checked as the upserts check them (a tier has no description)."
    )


@strawberry.type(description="The result of setTranslations.")
class SetTranslationsPayload:
    translations: list[Translation] | None = strawberry.field(
        description="The item's translations as saved, by locale; null on errors."
    )
    user_errors: list[UserError] = strawberry.field(description="Why nothing was saved.")


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Admin: replace the names and descriptions per locale of a reward, badge, "
        "challenge, drop or tier, leaving its other settings as they are. Audited as "
        "`<kind>.translate`. NOT_FOUND on input.code for no such item."
    )
    async def set_translations(
        self, info: Info, input: SetTranslationsInput
    ) -> SetTranslationsPayload:
        actor = info.context.admin()
        try:
            stored = await set_translations(
                CatalogueKindValue(input.kind.value),
                input.code,
                drafts(input.translations) or (),
                info.context.now,
                actor,
            )
        except DomainError as error:
            return SetTranslationsPayload(translations=None, user_errors=user_errors(error))
        return SetTranslationsPayload(translations=translations_of(stored), user_errors=[])
