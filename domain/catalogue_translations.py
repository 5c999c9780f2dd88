"""Entering a catalogue item's names and descriptions per locale, apart from its other
settings (the console's Translations page).

`catalogue_items` lists every item of a kind, newest first, searched by name or code and paged
by id (so an old item can be found and translated). The upserts take `translations` with the
rest of an item's settings; `set_translations` changes the translations alone, with the same checks (`domain.translations.validate_translations`),
the same version bump as the kind's upsert (so the per-process catalogues reload) and an
audit entry `<kind>.translate`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.transactions import in_transaction

from domain.achievements.models import Badge, Challenge
from domain.audit import Actor, AuditedAction, record_change
from domain.drops.models import Drop
from domain.errors import InvalidInput, NotFound
from domain.members.validation import check_text
from domain.rewards.models import Reward
from domain.tiers.ladder import TIER_NAME_MAX
from domain.tiers.models import Tier
from domain.translations import TranslationDraft, validate_translations
from domain.versions import ConfigPart, bump_version


class CatalogueKind(StrEnum):
    REWARD = "reward"
    BADGE = "badge"
    CHALLENGE = "challenge"
    DROP = "drop"
    TIER = "tier"


@dataclass(frozen=True)
class _Kind:
    model: type[Model]
    name_max: int
    #: None: the kind has no description (tiers).
    description_max: int | None
    #: The version the kind's catalogue is kept by (None: read per request, as drops are).
    part: ConfigPart | None
    #: What the audit log records a change of its translations as.
    action: AuditedAction
    #: The column holding the base name (a challenge's and a drop's is their title).
    name_column: str = "name"


# The same limits as each kind's upsert.
KINDS: dict[CatalogueKind, _Kind] = {
    CatalogueKind.REWARD: _Kind(Reward, 120, 1000, ConfigPart.REWARDS, "reward.translate"),
    CatalogueKind.BADGE: _Kind(Badge, 120, 500, ConfigPart.ACHIEVEMENTS, "badge.translate"),
    CatalogueKind.CHALLENGE: _Kind(
        Challenge, 120, 500, ConfigPart.ACHIEVEMENTS, "challenge.translate", "title"
    ),
    CatalogueKind.DROP: _Kind(Drop, 120, 2000, ConfigPart.DROPS, "drop.translate", "title"),
    CatalogueKind.TIER: _Kind(Tier, TIER_NAME_MAX, None, ConfigPart.TIERS, "tier.translate"),
}


#: The most items a page of `catalogue_items` holds.
MAX_PAGE = 100
#: The longest search text (the longest name of any kind).
MAX_SEARCH = 120


@dataclass(frozen=True)
class CatalogueItem:
    """A catalogue item's base texts and its translations."""

    id: int
    code: str
    name: str
    #: None for kinds without a description (tiers).
    description: str | None
    translations: dict[str, dict[str, str]]


@dataclass(frozen=True)
class CataloguePage:
    items: list[CatalogueItem]
    has_next_page: bool


async def catalogue_items(
    kind: CatalogueKind, *, search: str | None, first: int, before_id: int | None = None
) -> CataloguePage:
    """Up to `first` (0-100) items of `kind` older than item `before_id`, newest first, whose
    base name or code contains `search` (any case; blank: every item), in one query. Raises
    `InvalidInput` on `["first"]` for a page size out of range and on `["search"]` for a
    search text no name can hold (too long, control characters)."""
    if not 0 <= first <= MAX_PAGE:
        raise InvalidInput(f"first must be 0-{MAX_PAGE}", ["first"])
    spec = KINDS[kind]
    wanted = check_text(search or "", ["search"], max_length=MAX_SEARCH)
    query = spec.model.all()
    if wanted:
        query = query.filter(
            Q(**{f"{spec.name_column}__icontains": wanted}) | Q(code__icontains=wanted)
        )
    if before_id is not None:
        query = query.filter(id__lt=before_id)
    columns = ["id", "code", spec.name_column, "translations"]
    if spec.description_max is not None:
        columns.append("description")
    rows = await query.order_by("-id").limit(first + 1).values(*columns)
    items = [
        CatalogueItem(
            id=int(row["id"]),
            code=row["code"],
            name=row[spec.name_column],
            description=row.get("description"),
            translations=dict(row["translations"] or {}),
        )
        for row in rows[:first]
    ]
    return CataloguePage(items=items, has_next_page=len(rows) > first)


async def set_translations(
    kind: CatalogueKind,
    code: str,
    drafts: Sequence[TranslationDraft],
    now: datetime,
    actor: Actor,
) -> dict[str, dict[str, str]]:
    """Replace the translations of the `kind` item `code` with `drafts` (empty: remove them
    all); returns them as stored. Raises `ValidationErrors` on `["input", "translations", i,
    ...]` (as the upserts do) and `NotFound` on `["input", "code"]`."""
    spec = KINDS[kind]
    stored = validate_translations(
        drafts,
        ["input", "translations"],
        name_max=spec.name_max,
        description_max=spec.description_max,
    )
    async with in_transaction():
        row: Any = await spec.model.filter(code=code.strip()).select_for_update().first()
        if row is None:
            raise NotFound(f"no {kind.value} with code '{code.strip()}'", ["input", "code"])
        before = dict(row.translations or {})
        if before != stored:
            await spec.model.filter(id=row.id).update(translations=stored, updated_at=now)
            if spec.part is not None:
                await bump_version(spec.part)
        await record_change(
            actor,
            spec.action,
            kind.value,
            row.code,
            {"translations": before},
            {"translations": stored},
            now,
        )
    return stored
