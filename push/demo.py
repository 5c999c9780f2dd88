"""Demo data of the push area: stores with geofences in two cities and a promotion."""

from __future__ import annotations

from datetime import datetime, timedelta

from push.ports import CouponIssuer, SegmentDirectory
from push.stores.geoindex import GeofenceIndex
from push.stores.services import PromotionInput, StoreInput, upsert_promotion, upsert_store

DEMO_STORES = [
    StoreInput("MAD-SOL", "Fidelio Sol", 40.41690, -3.70350, 150, "Puerta del Sol 1, Madrid"),
    StoreInput("MAD-GRAN-VIA", "Fidelio Gran Vía", 40.42000, -3.70580, 120, "Gran Vía 32, Madrid"),
    StoreInput("MAD-SALAMANCA", "Fidelio Salamanca", 40.42530, -3.68380, 200, "Serrano 50, Madrid"),
    StoreInput(
        "BCN-CATALUNYA", "Fidelio Catalunya", 41.38700, 2.17010, 150, "Plaça de Catalunya 4, Barcelona"
    ),
    StoreInput("BCN-GRACIA", "Fidelio Gràcia", 41.40240, 2.15650, 120, "Passeig de Gràcia 90, Barcelona"),
]  # fmt: skip


async def seed_stores_and_promotions(
    now: datetime, index: GeofenceIndex, segments: SegmentDirectory, coupons: CouponIssuer
) -> str:
    """Idempotent: stores and promotions are upserted by code."""
    for store in DEMO_STORES:
        await upsert_store(store, now, index)
    await upsert_promotion(
        PromotionInput(
            code="welcome-to-the-store",
            title="Welcome in!",
            message="Here are 50 bonus points for coming by. Enjoy your visit.",
            starts_at=now - timedelta(days=1),
            ends_at=now + timedelta(days=365),
            bonus_points=50,
            cooldown_hours=24,
            transitions=["ENTER"],
        ),
        now,
        segments,
        coupons,
    )
    await upsert_promotion(
        PromotionInput(
            code="barcelona-double-coffee",
            title="Coffee break in Barcelona",
            message="Stay a while: 100 bonus points at our Barcelona stores today.",
            starts_at=now - timedelta(days=1),
            ends_at=now + timedelta(days=90),
            store_codes=["BCN-CATALUNYA", "BCN-GRACIA"],
            bonus_points=100,
            cooldown_hours=72,
            transitions=["DWELL"],
        ),
        now,
        segments,
        coupons,
    )
    return f"{len(DEMO_STORES)} stores in Madrid and Barcelona, 2 promotions"
