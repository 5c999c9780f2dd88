"""Admins define drops: `upsert_drop`, keyed by code, with every input problem reported at once."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from domain.achievements.models import Badge
from domain.audit import SYSTEM, Actor, record_change, row_snapshot
from domain.drops.models import Drop, DropClaim, DropMode
from domain.errors import InputErrors, InvalidInput, NotFound
from domain.members.validation import check_text
from domain.segments.models import Segment
from domain.translations import TranslationDraft, validate_translations
from domain.versions import ConfigPart, bump_version

CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
URL = re.compile(r"^https?://[^\s]+$")
#: Early access may open a drop at most a week before everyone else.
MAX_EARLY_ACCESS_MINUTES = 7 * 24 * 60
MAX_QUANTITY = 1_000_000
MAX_PRICE_POINTS = 100_000_000


@dataclass(frozen=True)
class DropInput:
    code: str
    title: str
    description: str
    opens_at: datetime
    closes_at: datetime
    quantity: int
    mode: DropMode = DropMode.FIRST_COME
    image_url: str | None = None
    price_points: int = 0
    per_member_limit: int = 1
    min_tier_level: int = 0
    required_badge_code: str | None = None
    segment_code: str | None = None
    early_access_tier_level: int | None = None
    early_access_minutes: int = 0
    announce: bool = True
    #: Titles (as "name") and descriptions per locale; None keeps those entered before.
    translations: Sequence[TranslationDraft] | None = None


def _field(name: str) -> list[str]:
    return ["input", name]


def _validate(data: DropInput, problems: InputErrors) -> dict[str, Any]:
    """The drop's values, cleaned; every problem found in the input goes to `problems` (no
    database)."""
    values: dict[str, Any] = {}
    # A value whose check failed is None: `problems` is raised before any value is used.
    values["title"] = problems.check(
        check_text, data.title, _field("title"), max_length=120, min_length=1
    )
    values["description"] = problems.check(
        check_text, data.description, _field("description"), max_length=2000
    )
    if data.translations is not None:
        values["translations"] = problems.check(
            validate_translations,
            data.translations,
            _field("translations"),
            name_max=120,
            description_max=2000,
        )
    if data.image_url is not None:
        url = data.image_url.strip()
        if len(url) > 500 or not URL.match(url):
            problems.add(InvalidInput("must be an http(s) URL", _field("imageUrl")))
        values["image_url"] = url
    else:
        values["image_url"] = None
    for name in ("opens_at", "closes_at"):
        moment = getattr(data, name)
        if moment.tzinfo is None:
            camel = "opensAt" if name == "opens_at" else "closesAt"
            problems.add(InvalidInput("must carry a time zone", _field(camel)))
    if data.opens_at.tzinfo is not None and data.closes_at.tzinfo is not None:
        if data.closes_at <= data.opens_at:
            problems.add(InvalidInput("must be after opensAt", _field("closesAt")))
    if not 1 <= data.quantity <= MAX_QUANTITY:
        problems.add(InvalidInput(f"must be between 1 and {MAX_QUANTITY}", _field("quantity")))
    if not 0 <= data.price_points <= MAX_PRICE_POINTS:
        problems.add(
            InvalidInput(f"must be between 0 and {MAX_PRICE_POINTS}", _field("pricePoints"))
        )
    if data.per_member_limit < 1:
        problems.add(InvalidInput("must be at least 1", _field("perMemberLimit")))
    elif data.mode == DropMode.RAFFLE and data.per_member_limit != 1:
        problems.add(
            InvalidInput("a raffle takes one entry per member: must be 1", _field("perMemberLimit"))
        )
    if data.min_tier_level < 0:
        problems.add(InvalidInput("must be 0 or more", _field("minTierLevel")))
    if not 0 <= data.early_access_minutes <= MAX_EARLY_ACCESS_MINUTES:
        problems.add(
            InvalidInput(
                f"must be between 0 and {MAX_EARLY_ACCESS_MINUTES}", _field("earlyAccessMinutes")
            )
        )
    elif data.early_access_minutes > 0 and data.early_access_tier_level is None:
        problems.add(
            InvalidInput(
                "early access needs the tier level it is for", _field("earlyAccessTierLevel")
            )
        )
    if data.early_access_tier_level is not None:
        if data.early_access_minutes == 0:
            problems.add(
                InvalidInput(
                    "early access needs a number of minutes before opensAt",
                    _field("earlyAccessMinutes"),
                )
            )
        if data.early_access_tier_level < max(data.min_tier_level, 0):
            problems.add(
                InvalidInput(
                    "must be at or above minTierLevel (lower tiers cannot claim at all)",
                    _field("earlyAccessTierLevel"),
                )
            )
    if data.segment_code is not None:
        segment = data.segment_code.strip()
        if not CODE.match(segment):
            problems.add(InvalidInput("is not a segment code", _field("segmentCode")))
        values["segment_code"] = segment
    else:
        values["segment_code"] = None
    return values


async def upsert_drop(data: DropInput, now: datetime, actor: Actor = SYSTEM) -> Drop:
    """Create the drop with this code, or change it: the same input twice changes nothing.
    Audited as `drop.upsert` by `actor`.

    Raises `ValidationErrors` (InvalidInput per field: closesAt after opensAt, quantity >= 1 and
    not below the units already claimed, pricePoints >= 0, coherent early access, a raffle's
    limit of 1, no change of mode once claimed) and `NotFound` for an unknown
    requiredBadgeCode or segmentCode.
    """
    code = data.code.strip()
    problems = InputErrors()
    if not CODE.match(code):
        problems.add(InvalidInput("1-64 letters, digits, '.', '_' or '-'", _field("code")))
    values = _validate(data, problems)
    badge: Badge | None = None
    if data.required_badge_code is not None:
        badge = await Badge.get_or_none(code=data.required_badge_code.strip())
        if badge is None:
            problems.add(
                NotFound(
                    f"no badge with code '{data.required_badge_code}'",
                    _field("requiredBadgeCode"),
                )
            )
    segment_code = values.get("segment_code")
    if isinstance(segment_code, str) and CODE.match(segment_code):
        if not await Segment.exists(code=segment_code):
            problems.add(NotFound(f"no segment with code '{segment_code}'", _field("segmentCode")))
    problems.raise_any()
    values.update(
        mode=data.mode,
        opens_at=data.opens_at,
        closes_at=data.closes_at,
        price_points=data.price_points,
        per_member_limit=data.per_member_limit,
        min_tier_level=data.min_tier_level,
        required_badge_id=badge.id if badge else None,
        early_access_tier_level=data.early_access_tier_level,
        early_access_minutes=data.early_access_minutes,
        announce=data.announce,
        updated_at=now,
    )
    async with in_transaction():
        drop = await Drop.filter(code=code).select_for_update().first()
        if drop is None:
            try:
                async with in_transaction():
                    created = await Drop.create(
                        code=code,
                        quantity=data.quantity,
                        remaining=data.quantity,
                        created_at=now,
                        **values,
                    )
            except IntegrityError:
                # Created concurrently with the same code: change that one instead.
                drop = await Drop.filter(code=code).select_for_update().get()
            else:
                await bump_version(ConfigPart.DROPS)
                await record_change(
                    actor, "drop.upsert", "drop", code, None, row_snapshot(created), now
                )
                return created
        before = row_snapshot(drop)
        changed = await _change(drop, data, values, now)
        await record_change(actor, "drop.upsert", "drop", code, before, row_snapshot(changed), now)
        return changed


async def _change(drop: Drop, data: DropInput, values: dict[str, Any], now: datetime) -> Drop:
    """Apply new values to a locked drop, keeping stock, claims and announcements coherent."""
    problems = InputErrors()
    claimed = drop.quantity - drop.remaining
    if data.quantity < claimed:
        problems.add(
            InvalidInput(
                f"{claimed} units are already claimed: quantity cannot be lower",
                _field("quantity"),
            )
        )
    if data.mode != drop.mode and await DropClaim.filter(drop_id=drop.id).exists():
        problems.add(InvalidInput("members already claimed: mode cannot change", _field("mode")))
    if drop.drawn_at is not None and (
        data.quantity != drop.quantity
        or data.opens_at != drop.opens_at
        or data.closes_at != drop.closes_at
    ):
        problems.add(InvalidInput("the raffle has been drawn: its window and quantity are final"))
    problems.raise_any()
    # A phase moved into the future is announced again when it comes.
    if drop.announced_at is not None and data.opens_at != drop.opens_at and data.opens_at > now:
        values["announced_at"] = None
    old_early = drop.opens_at.timestamp() - drop.early_access_minutes * 60
    new_early = data.opens_at.timestamp() - data.early_access_minutes * 60
    if (
        drop.early_announced_at is not None
        and new_early != old_early
        and new_early > now.timestamp()
    ):
        values["early_announced_at"] = None
    delta = data.quantity - drop.quantity
    if delta == 0 and all(getattr(drop, k) == v for k, v in values.items() if k != "updated_at"):
        return drop
    await Drop.filter(id=drop.id).update(
        quantity=data.quantity, remaining=F("remaining") + delta, **values
    )
    await bump_version(ConfigPart.DROPS)
    return await Drop.get(id=drop.id)
