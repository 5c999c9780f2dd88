"""GraphQL of catalogue content per locale entered apart from the rest (the console's
Translations page): `catalogueItems` to find any item of a kind, `setTranslations`."""

from __future__ import annotations

from enum import Enum

import strawberry

from api.auth import Role
from api.context import Info
from api.errors import to_client_error
from api.types.common import (
    PageInfo,
    UserError,
    decode_cursor,
    encode_cursor,
    page_info_of,
    page_size,
    user_errors,
)
from api.types.translations import Translation, TranslationInput, drafts, translations_of
from domain.catalogue_translations import CatalogueItem as CatalogueItemValue
from domain.catalogue_translations import CatalogueKind as CatalogueKindValue
from domain.catalogue_translations import catalogue_items, set_translations
from domain.errors import DomainError

CATALOGUE_CURSOR = "catalogue"


@strawberry.enum(description="The kinds of catalogue items whose texts are entered per locale.")
class CatalogueKind(Enum):
    REWARD = "reward"
    BADGE = "badge"
    CHALLENGE = "challenge"
    DROP = "drop"
    TIER = "tier"


@strawberry.type(description="A catalogue item's base texts and the texts entered per locale.")
class CatalogueItem:
    code: str = strawberry.field(description="The item's code.")
    name: str = strawberry.field(description="Its base name (a challenge's or a drop's title).")
    description: str | None = strawberry.field(
        description="Its base description; null for tiers, which have none."
    )
    translations: list[Translation] = strawberry.field(
        description="The names and descriptions entered per locale, by locale."
    )

    @classmethod
    def of(cls, item: CatalogueItemValue) -> CatalogueItem:
        return cls(
            code=item.code,
            name=item.name,
            description=item.description,
            translations=translations_of(item.translations),
        )


@strawberry.type(description="A catalogue item and its place in the list.")
class CatalogueItemEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this item.")
    node: CatalogueItem = strawberry.field(description="The item.")


@strawberry.type(description="A page of catalogue items of one kind, newest first.")
class CatalogueItemConnection:
    edges: list[CatalogueItemEdge] = strawberry.field(description="The items of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page ends.")


@strawberry.type
class Query:
    @strawberry.field(
        description="Admin (and analysts): every reward, badge, challenge, drop or tier "
        "(active or not, past or to come), newest first, with its translations: what the "
        "console's Translations page lists. `search` keeps the items whose base name or code "
        "contains it, in any case. INVALID_INPUT for a bad cursor, page size or search text."
    )
    async def catalogue_items(
        self,
        info: Info,
        kind: CatalogueKind,
        search: str | None = None,
        first: int | None = 20,
        after: str | None = None,
    ) -> CatalogueItemConnection:
        info.context.require(Role.ADMIN)
        try:
            size = page_size(first, ["first"])
            before_id = decode_cursor(CATALOGUE_CURSOR, after, ["after"])
            page = await catalogue_items(
                CatalogueKindValue(kind.value), search=search, first=size, before_id=before_id
            )
        except DomainError as error:
            raise to_client_error(error) from error
        edges = [
            CatalogueItemEdge(
                cursor=encode_cursor(CATALOGUE_CURSOR, item.id), node=CatalogueItem.of(item)
            )
            for item in page.items
        ]
        return CatalogueItemConnection(
            edges=edges,
            page_info=page_info_of(edges, page.has_next_page),
        )


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
