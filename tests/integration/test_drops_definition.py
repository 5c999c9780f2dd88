"""Admins define drops with upsert_drop: validation, idempotence, stock kept coherent."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.achievements.models import Badge
from domain.drops.claims import claim_drop
from domain.drops.definition import upsert_drop
from domain.drops.models import Drop, DropMode
from domain.errors import ValidationErrors
from domain.segments.rules import SegmentRule
from domain.segments.services import upsert_segment
from tests.integration.drops_support import (
    BEFORE,
    CLOSES,
    OPENS,
    drop_input,
    make_drop,
    make_member,
)

pytestmark = pytest.mark.usefixtures("db")


def problems(exc: pytest.ExceptionInfo[ValidationErrors]) -> list[tuple[str, list[str] | None]]:
    return [(e.code, e.field) for e in exc.value.errors]


async def test_a_new_drop_starts_with_its_whole_quantity_in_stock() -> None:
    drop = await make_drop(quantity=24)
    assert (drop.code, drop.quantity, drop.remaining, drop.mode) == (
        "SNEAKER-24",
        24,
        24,
        DropMode.FIRST_COME,
    )
    assert (drop.opens_at, drop.closes_at) == (OPENS, CLOSES)


async def test_the_same_input_twice_changes_nothing() -> None:
    first = await make_drop()
    again = await upsert_drop(drop_input(), BEFORE + timedelta(hours=1))
    assert again.id == first.id
    assert again.updated_at == first.updated_at
    assert await Drop.all().count() == 1


async def test_every_input_problem_is_reported_at_once_and_nothing_is_stored() -> None:
    with pytest.raises(ValidationErrors) as exc:
        await upsert_drop(
            drop_input(
                code="bad code!",
                title=" ",
                closes_at=OPENS - timedelta(minutes=1),
                quantity=0,
                price_points=-5,
                early_access_minutes=30,
                image_url="ftp://x",
            ),
            BEFORE,
        )
    assert problems(exc) == [
        ("INVALID_INPUT", ["input", "code"]),
        ("INVALID_INPUT", ["input", "title"]),
        ("INVALID_INPUT", ["input", "imageUrl"]),
        ("INVALID_INPUT", ["input", "closesAt"]),
        ("INVALID_INPUT", ["input", "quantity"]),
        ("INVALID_INPUT", ["input", "pricePoints"]),
        ("INVALID_INPUT", ["input", "earlyAccessTierLevel"]),
    ]
    assert await Drop.all().count() == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"early_access_tier_level": 2}, "earlyAccessMinutes"),
        (
            {"early_access_tier_level": 1, "early_access_minutes": 10, "min_tier_level": 2},
            "earlyAccessTierLevel",
        ),
        ({"early_access_tier_level": 2, "early_access_minutes": -1}, "earlyAccessMinutes"),
        ({"mode": DropMode.RAFFLE, "per_member_limit": 2}, "perMemberLimit"),
        ({"per_member_limit": 0}, "perMemberLimit"),
    ],
)
async def test_incoherent_limits_and_early_access_are_refused(
    changes: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationErrors) as exc:
        await make_drop(**changes)
    assert ("INVALID_INPUT", ["input", field]) in problems(exc)
    assert await Drop.all().count() == 0


async def test_an_unknown_required_badge_is_not_found() -> None:
    with pytest.raises(ValidationErrors) as exc:
        await make_drop(required_badge_code="NIGHT-OWL")
    assert problems(exc) == [("NOT_FOUND", ["input", "requiredBadgeCode"])]
    assert await Drop.all().count() == 0


async def test_an_unknown_segment_is_not_found() -> None:
    with pytest.raises(ValidationErrors) as exc:
        await make_drop(segment_code="vip")
    assert problems(exc) == [("NOT_FOUND", ["input", "segmentCode"])]
    assert await Drop.all().count() == 0


async def test_a_known_required_badge_and_segment_are_linked() -> None:
    badge = await Badge.create(
        code="NIGHT-OWL",
        name="Night owl",
        description="",
        rule={},
        created_at=BEFORE,
        updated_at=BEFORE,
    )
    await upsert_segment("vip", "VIP", SegmentRule(min_tier_level=3), BEFORE)
    drop = await make_drop(required_badge_code="NIGHT-OWL", segment_code="vip")
    assert (drop.required_badge_id, drop.segment_code) == (badge.id, "vip")


async def test_quantity_can_grow_but_never_below_the_units_already_claimed() -> None:
    drop = await make_drop(quantity=3, price_points=0)
    for i in range(2):
        await claim_drop(await make_member(f"m{i}"), drop.id, OPENS)
    grown = await upsert_drop(drop_input(quantity=5, price_points=0), BEFORE)
    assert (grown.quantity, grown.remaining) == (5, 3)
    shrunk = await upsert_drop(drop_input(quantity=2, price_points=0), BEFORE)
    assert (shrunk.quantity, shrunk.remaining) == (2, 0)
    with pytest.raises(ValidationErrors) as exc:
        await upsert_drop(drop_input(quantity=1, price_points=0), BEFORE)
    assert problems(exc) == [("INVALID_INPUT", ["input", "quantity"])]
    assert (await Drop.get(id=drop.id)).remaining == 0


async def test_the_mode_cannot_change_once_members_claimed() -> None:
    drop = await make_drop(price_points=0)
    await claim_drop(await make_member("m"), drop.id, OPENS)
    with pytest.raises(ValidationErrors) as exc:
        await upsert_drop(drop_input(price_points=0, mode=DropMode.RAFFLE), BEFORE)
    assert problems(exc) == [("INVALID_INPUT", ["input", "mode"])]
    assert (await Drop.get(id=drop.id)).mode == DropMode.FIRST_COME


async def test_moving_the_opening_later_announces_it_again() -> None:
    drop = await make_drop()
    await Drop.filter(id=drop.id).update(announced_at=OPENS)
    moved = await upsert_drop(
        drop_input(opens_at=OPENS + timedelta(days=1), closes_at=CLOSES + timedelta(days=1)),
        OPENS + timedelta(minutes=5),
    )
    assert moved.announced_at is None
