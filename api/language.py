"""The language a request reads catalogue content in (domain.translations.Language)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from api.auth import Role
from api.context import Info
from api.own_row import own_public_row
from domain.translations import Language


def shared_language(info: Info) -> Language:
    """The program's default language: for what every reader sees alike (other members' tiers
    on boards, whose pages are kept for all readers)."""
    return Language(None, info.context.runtime.settings.program_locale)


async def reader_language(info: Info) -> Language:
    """The signed-in member's locale, falling back to the program's default locale; the
    program's default for other callers. Read once a request: from the member already read
    for the request, else from the member's public row (one statement, shared with the
    resolvers that read it, such as `canRedeem`)."""
    context = info.context
    default = context.runtime.settings.program_locale
    if context.principal is None or context.principal.role != Role.MEMBER:
        return Language(None, default)

    async def read() -> Language:
        if context.member_requested:
            return Language((await context.member()).locale, default)
        row = await own_public_row(info)
        return Language(row.locale if row is not None else None, default)

    return await context.once("reader_language", read)


async def language_for(info: Info, rows: Iterable[Any]) -> Language:
    """`reader_language`, asked only when one of `rows` has translations: without any, every
    reader reads the base texts, and the member's row need not be read for their locale."""
    if any(row.translations for row in rows):
        return await reader_language(info)
    return shared_language(info)
