"""Entering a catalogue item's names and descriptions per locale, apart from its other
settings (the console's Translations page).

The upserts take `translations` with the rest of an item's settings; this use case changes
the translations alone, with the same checks (`domain.translations.validate_translations`),
the same version bump as the kind's upsert (so the per-process catalogues reload) and an
audit entry `<kind>.translate`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from tortoise.models import Model
from tortoise.transactions import in_transaction

from domain.achievements.models import Badge, Challenge
from domain.audit import Actor, record_change
from domain.drops.models import Drop
from domain.errors import NotFound
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


# The same limits as each kind's upsert.
KINDS: dict[CatalogueKind, _Kind] = {
    CatalogueKind.REWARD: _Kind(Reward, 120, 1000, ConfigPart.REWARDS),
    CatalogueKind.BADGE: _Kind(Badge, 120, 500, ConfigPart.ACHIEVEMENTS),
    CatalogueKind.CHALLENGE: _Kind(Challenge, 120, 500, ConfigPart.ACHIEVEMENTS),
    CatalogueKind.DROP: _Kind(Drop, 120, 2000, None),
    CatalogueKind.TIER: _Kind(Tier, TIER_NAME_MAX, None, ConfigPart.TIERS),
}


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
            f"{kind.value}.translate",
            kind.value,
            row.code,
            {"translations": before},
            {"translations": stored},
            now,
        )
    return stored
