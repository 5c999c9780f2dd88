"""`fidelio seed-demo`: a living demo program to explore in GraphiQL. Idempotent.

Each area adds its part as a function in `SEEDERS`, run in order inside one runtime.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from decimal import Decimal

from api.runtime import Runtime, build_runtime
from api.seed_activity import seed_recent_activity
from api.seed_offers import seed_offers
from api.seed_points import seed_points
from api.settings import Settings
from domain.drops.definition import DropInput, upsert_drop
from domain.drops.models import Drop, DropMode
from domain.members.models import Member
from domain.members.services import ProfileChanges, get_or_create_member, update_profile
from domain.rewards.catalogue import RewardSpec, upsert_reward
from domain.rewards.models import RewardKind
from domain.segments.rules import SegmentRule
from domain.segments.services import upsert_segment
from gamification.achievements.demo import seed_achievements as define_demo_achievements
from push.demo import seed_stores_and_promotions

DEMO_MEMBERS = [
    ("alice", "Alice", "es", "Europe/Madrid", "ES", "Madrid"),
    ("bruno", "Bruno", "es", "Europe/Madrid", "ES", "Madrid"),
    ("carmen", "Carmen", "es", "Europe/Madrid", "ES", "Barcelona"),
    ("diego", "Diego", "es", "Europe/Madrid", "ES", "Barcelona"),
    ("elena", "Elena", "es", "Europe/Madrid", "ES", "Madrid"),
    ("frank", "Frank", "en", "Europe/London", "GB", "London"),
    ("grace", "Grace", "en", "Europe/London", "GB", "London"),
    ("hugo", "Hugo", "es", "Europe/Madrid", "ES", "Barcelona"),
    ("irene", "Irene", "es", "Europe/Madrid", "ES", "Madrid"),
    ("jack", "Jack", "en", "America/New_York", "US", "New York"),
    ("kate", "Kate", "en", "America/New_York", "US", "New York"),
    ("luis", "Luis", "es", "America/Mexico_City", "MX", "Mexico City"),
]


async def seed_members(runtime: Runtime) -> str:
    now = runtime.clock.now()
    for index, (customer_id, name, locale, tz, country, city) in enumerate(DEMO_MEMBERS):
        member = await get_or_create_member(customer_id, now - timedelta(days=200 - index * 10))
        await update_profile(
            member,
            ProfileChanges(
                display_name=name,
                email=f"{customer_id}@example.com",
                locale=locale,
                time_zone=tz,
                country=country,
                city=city,
                birth_date=date(1980 + index, (index % 12) + 1, 10 + index),
            ),
            now,
        )
    return f"{await Member.all().count()} members"


DEMO_SEGMENTS = [
    ("spain", "Members in Spain", SegmentRule(countries=("ES",))),
    ("madrid", "Members in Madrid", SegmentRule(cities=("Madrid",))),
    ("over-40", "Members aged 40 or more", SegmentRule(min_age=40)),
]


async def seed_segments(runtime: Runtime) -> str:
    now = runtime.clock.now()
    for code, name, rule in DEMO_SEGMENTS:
        await upsert_segment(code, name, rule, now)
    return f"{len(DEMO_SEGMENTS)} segments"


async def seed_stores(runtime: Runtime) -> str:
    push = runtime.push
    return await seed_stores_and_promotions(
        runtime.clock.now(), push.geofences, push.segments, push.coupons
    )


DEMO_REWARDS = [
    RewardSpec(
        code="TEN-OFF",
        name="10% off",
        description="Ten percent off your next order.",
        kind=RewardKind.PERCENT_DISCOUNT,
        cost_points=500,
        value=Decimal("10"),
    ),
    RewardSpec(
        code="FIVE-EUROS",
        name="5 € off",
        description="Five euros off an order of 25 € or more.",
        kind=RewardKind.FIXED_DISCOUNT,
        cost_points=400,
        value=Decimal("5.00"),
        coupon_valid_days=60,
    ),
    RewardSpec(
        code="FREE-SHIPPING",
        name="Free shipping",
        description="Free shipping on your next order.",
        kind=RewardKind.FREE_SHIPPING,
        cost_points=250,
        per_member_limit=3,
    ),
    RewardSpec(
        code="TOTE-BAG",
        name="Canvas tote bag",
        description="The shop's limited canvas tote bag, for Gold members.",
        kind=RewardKind.PRODUCT,
        cost_points=1500,
        min_tier_level=2,
        stock=100,
        per_member_limit=1,
    ),
]


async def seed_rewards(runtime: Runtime) -> str:
    for spec in DEMO_REWARDS:
        await upsert_reward(spec, runtime.clock.now())
    return f"{len(DEMO_REWARDS)} rewards"


async def seed_achievements(runtime: Runtime) -> str:
    return await define_demo_achievements(runtime.clock.now())


async def seed_drops(runtime: Runtime) -> str:
    """A first-come drop open now (early access for tier 2 and above) and a raffle."""
    now = runtime.clock.now()
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    await upsert_drop(
        DropInput(
            code="DEMO-SNEAKER",
            title="Numbered sneaker, 50 pairs",
            description="Our anniversary sneaker, numbered and signed. One pair per member.",
            image_url="https://example.com/drops/sneaker.jpg",
            opens_at=today + timedelta(hours=1),
            closes_at=today + timedelta(days=14),
            quantity=50,
            price_points=500,
            early_access_tier_level=2,
            early_access_minutes=60,
        ),
        now,
    )
    await upsert_drop(
        DropInput(
            code="DEMO-RAFFLE",
            title="Signed jersey raffle",
            description="Three signed jerseys, drawn among the entrants when the raffle closes.",
            mode=DropMode.RAFFLE,
            opens_at=today,
            closes_at=today + timedelta(days=7),
            quantity=3,
            price_points=200,
        ),
        now,
    )
    return f"{await Drop.all().count()} drops"


async def seed_leaderboards(runtime: Runtime) -> str:
    """Boards of the demo: weekly and monthly spenders with prizes, purchases per city, points
    earned per country (each filled from the history at once)."""
    from gamification.leaderboards.definitions import LeaderboardSpec
    from gamification.leaderboards.models import LeaderboardMetric, RegionField
    from gamification.leaderboards.periods import LeaderboardWindow as W
    from gamification.leaderboards.services import upsert_leaderboard

    assert runtime.boards is not None
    specs = [
        LeaderboardSpec(
            "spenders", "Top spenders", LeaderboardMetric.AMOUNT_SPENT,
            (W.WEEKLY, W.MONTHLY, W.ALL_TIME), None, (500, 250, 100),
        ),
        LeaderboardSpec(
            "city-shoppers", "Most purchases in your city", LeaderboardMetric.PURCHASES,
            (W.DAILY, W.WEEKLY), RegionField.CITY, (100,),
        ),
        LeaderboardSpec(
            "country-earners", "Points earned in your country", LeaderboardMetric.POINTS_EARNED,
            (W.MONTHLY, W.ALL_TIME), RegionField.COUNTRY, (),
        ),
        LeaderboardSpec(
            "challengers", "Challenge champions", LeaderboardMetric.CHALLENGES_COMPLETED,
            (W.WEEKLY,), None, (200,),
        ),
    ]  # fmt: skip
    for spec in specs:
        await upsert_leaderboard(runtime.boards, spec, runtime.clock.now())
    return f"{len(specs)} leaderboards"


SEEDERS: list[Callable[[Runtime], Awaitable[str]]] = [
    seed_members,
    seed_points,
    seed_achievements,
    seed_rewards,
    seed_segments,
    seed_stores,
    seed_drops,
    seed_leaderboards,
    seed_recent_activity,
    seed_offers,
]


#: The demo's console accounts (email, role). Their password is `DEMO_CONSOLE_PASSWORD`:
#: created on the embedded setup only, never in production.
DEMO_CONSOLE_ACCOUNTS = (("admin@fidelio.demo", "admin"), ("analyst@fidelio.demo", "analyst"))
DEMO_CONSOLE_PASSWORD = "fidelio-demo"


async def seed_console_accounts(runtime: Runtime) -> str:
    """The demo's console accounts, unless they exist (a changed password is kept)."""
    from api.console.accounts import add_account
    from api.console.models import ConsoleAccount, ConsoleRole

    for email, role in DEMO_CONSOLE_ACCOUNTS:
        if not await ConsoleAccount.exists(email=email):
            await add_account(email, DEMO_CONSOLE_PASSWORD, ConsoleRole(role), runtime.clock.now())
    return f"{len(DEMO_CONSOLE_ACCOUNTS)} console accounts"


async def seed_demo(settings: Settings, progress: Callable[[int, int], None] | None = None) -> str:
    """Load the demo program (every seeder in order, then deliver their events); returns what
    was loaded and, outside production, where to go next. `progress(done, total)` hears of
    each seeder finished."""
    runtime = build_runtime(settings)
    await runtime.start(background=False)
    try:
        parts = []
        for done, seed in enumerate(SEEDERS, start=1):
            parts.append(await seed(runtime))
            if progress is not None:
                progress(done, len(SEEDERS))
        if not settings.is_production:
            parts.append(await seed_console_accounts(runtime))
        await runtime.dispatcher.run_until_idle()
    finally:
        await runtime.stop()
    summary = "demo data: " + ", ".join(parts)
    # No token printed with a production secret: those are minted on purpose, not by a demo.
    return summary if settings.is_production else f"{summary}\n{where_to_go(settings)}"


def where_to_go(settings: Settings) -> str:
    """What a new user needs next: the address of GraphiQL and a token of the first member."""
    from api.auth import mint_token

    first = DEMO_MEMBERS[0][0]
    token = mint_token(settings, "member", first, ttl_seconds=7 * 24 * 3600)
    (admin, _), (analyst, _) = DEMO_CONSOLE_ACCOUNTS
    return (
        "Console: http://127.0.0.1:8000/console (once `fidelio serve` runs)\n"
        f"  sign in as {admin} with the password {DEMO_CONSOLE_PASSWORD!r}"
        f" (read-only: {analyst}, same password)\n"
        "GraphiQL: http://127.0.0.1:8000/graphql\n"
        f"Headers pane, as the demo member {first!r} (valid 7 days):\n"
        f'{{"Authorization": "Bearer {token}"}}'
    )
