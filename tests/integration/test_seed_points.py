"""The demo seed of the points area runs twice without changing anything the second time."""

from __future__ import annotations

import pytest

from api.runtime import Runtime, build_runtime
from api.seed import seed_members
from api.seed_points import seed_points
from api.settings import Settings
from domain.clock import FrozenClock
from domain.members.models import Member
from domain.points.models import EntryKind, PointsEntry
from domain.purchases.models import Purchase
from domain.tiers.models import Tier


async def seeded(db: str, redis_client) -> Runtime:  # type: ignore[no-untyped-def]
    """A runtime on the test database with the demo's members and points seeded."""
    runtime = build_runtime(
        Settings(env="test", database_url=db, run_background=False),
        clock=FrozenClock(),
        redis=redis_client,
    )
    await seed_members(runtime)
    await seed_points(runtime)
    return runtime


@pytest.mark.usefixtures("db")
async def test_the_points_demo_seed_is_idempotent(db: str, redis_client) -> None:  # type: ignore[no-untyped-def]
    runtime = await seeded(db, redis_client)
    counts = (await Purchase.all().count(), await PointsEntry.all().count())
    assert counts[0] >= 12
    await seed_points(runtime)
    assert (await Purchase.all().count(), await PointsEntry.all().count()) == counts
    assert [t.code for t in await Tier.all().order_by("level")] == [
        "BRONZE",
        "SILVER",
        "GOLD",
        "PLATINUM",
    ]
    assert await Member.exclude(tier_code="BRONZE").count() > 0


@pytest.mark.usefixtures("db")
async def test_each_demo_order_is_credited_when_it_happened(db: str, redis_client) -> None:  # type: ignore[no-untyped-def]
    """The console's monthly figures read credits by their date: a demo year of orders whose
    points were all credited on the seeding day would show every point issued in one month."""
    await seeded(db, redis_client)
    purchases = {
        f"order:{p.order_id}": p.occurred_at
        for p in await Purchase.filter(order_id__startswith="DEMO-")
    }
    credits = await PointsEntry.filter(reference__in=list(purchases), kind=EntryKind.EARN)
    assert len(credits) == len(purchases)
    assert all(entry.created_at == purchases[entry.reference] for entry in credits)
    assert len({(entry.created_at.year, entry.created_at.month) for entry in credits}) > 6
