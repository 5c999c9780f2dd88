"""Property: on random members and rules, one member's membership, the set query and a plain
Python reading of the rule all agree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.achievements.models import Badge, MemberBadge
from domain.errors import ValidationErrors
from domain.members.models import Member
from domain.purchases.models import Channel, Purchase
from domain.segments.models import Segment
from domain.segments.rules import SegmentRule, age_on
from domain.segments.services import member_in_segment, segment_members, upsert_segment

pytestmark = pytest.mark.usefixtures("db")

NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
BADGES = ("explorer", "regular")
COUNTRIES = ("ES", "FR", "PT")
CITIES = ("Madrid", "madrid", "Paris", "Lisboa")


@dataclass(frozen=True)
class PurchaseSpec:
    minutes_ago: int
    cents: int
    refunded_cents: int
    channel: Channel


@dataclass(frozen=True)
class MemberSpec:
    tier_level: int
    country: str | None
    city: str | None
    birth_date: date | None
    erased: bool
    badges: frozenset[str]
    purchases: tuple[PurchaseSpec, ...]


def _purchase() -> st.SearchStrategy[PurchaseSpec]:
    def build(minutes_ago: int, cents: int, refund_share: int, channel: Channel) -> PurchaseSpec:
        refunded = {0: 0, 1: cents // 3, 2: cents}[refund_share]
        return PurchaseSpec(minutes_ago, cents, refunded, channel)

    day = 24 * 60
    return st.builds(
        build,
        # Around the day boundaries that rules ask about, and some in the future.
        st.one_of(
            st.integers(-2 * day, 400 * day),
            st.sampled_from([0, 7 * day, 7 * day + 1, 30 * day - 1, 30 * day, 90 * day]),
        ),
        st.integers(1, 20_000),
        st.sampled_from([0, 0, 1, 2]),
        st.sampled_from(list(Channel)),
    )


birth_dates = st.one_of(
    st.none(),
    st.dates(date(1940, 1, 1), date(2020, 12, 31)),
    # Birthdays on the day of evaluation, the day after, and leap days.
    st.sampled_from(
        [date(2008, 3, 1), date(2008, 3, 2), date(2008, 2, 29), date(1966, 3, 1), date(1966, 3, 2)]
    ),
)

members = st.builds(
    MemberSpec,
    tier_level=st.integers(0, 3),
    country=st.one_of(st.none(), st.sampled_from(COUNTRIES)),
    city=st.one_of(st.none(), st.sampled_from(CITIES)),
    birth_date=birth_dates,
    erased=st.sampled_from([False, False, False, True]),
    badges=st.frozensets(st.sampled_from(BADGES)),
    purchases=st.lists(_purchase(), max_size=4).map(tuple),
)


def _rule(**given_: object) -> SegmentRule:
    return SegmentRule(**{k: v for k, v in given_.items() if v is not None})  # type: ignore[arg-type]


def maybe(strategy: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    """A condition set in one rule out of three, so that members often meet all the others."""
    return st.tuples(st.integers(0, 2), strategy).map(lambda t: t[1] if t[0] == 0 else None)


rules = st.builds(
    _rule,
    min_tier_level=maybe(st.integers(0, 3)),
    countries=maybe(st.lists(st.sampled_from(COUNTRIES), min_size=1, max_size=2).map(tuple)),
    cities=maybe(st.lists(st.sampled_from(CITIES), min_size=1, max_size=2).map(tuple)),
    min_age=maybe(st.integers(0, 70) | st.sampled_from([17, 18, 59, 60])),
    max_age=maybe(st.integers(0, 90) | st.sampled_from([17, 18, 59, 60])),
    min_lifetime_spend=maybe(st.integers(0, 30_000).map(lambda c: Decimal(c) / 100)),
    min_purchases=maybe(st.integers(0, 4)),
    purchased_within_days=maybe(st.sampled_from([7, 30, 90, 365])),
    not_purchased_within_days=maybe(st.sampled_from([1, 7, 30])),
    has_badge_code=maybe(st.sampled_from(BADGES)),
    channels=maybe(st.lists(st.sampled_from(list(Channel)), min_size=1, max_size=2).map(tuple)),
)


def in_python(rule: SegmentRule, spec: MemberSpec) -> bool:
    """The rule read literally, one member at a time."""
    kept = [
        p
        for p in spec.purchases
        if p.minutes_ago >= 0 and p.refunded_cents < p.cents  # not in the future, not refunded
    ]
    spent = sum(p.cents - p.refunded_cents for p in spec.purchases if p.minutes_ago >= 0)
    today = NOW.date()

    def bought_within(days: int) -> bool:
        return any(p.minutes_ago <= days * 24 * 60 for p in kept)

    checks = [
        not spec.erased,
        rule.min_tier_level is None or spec.tier_level >= rule.min_tier_level,
        not rule.countries or spec.country in rule.countries,
        not rule.cities
        or (spec.city is not None and spec.city.lower() in {c.lower() for c in rule.cities}),
        rule.min_age is None
        or (spec.birth_date is not None and age_on(spec.birth_date, today) >= rule.min_age),
        rule.max_age is None
        or (spec.birth_date is not None and age_on(spec.birth_date, today) <= rule.max_age),
        rule.min_lifetime_spend is None or spent >= rule.min_lifetime_spend * 100,
        rule.min_purchases is None or len(kept) >= rule.min_purchases,
        rule.purchased_within_days is None or bought_within(rule.purchased_within_days),
        rule.not_purchased_within_days is None or not bought_within(rule.not_purchased_within_days),
        rule.has_badge_code is None or rule.has_badge_code in spec.badges,
        not rule.channels or any(p.channel in rule.channels for p in kept),
    ]
    return all(checks)


async def _store(specs: list[MemberSpec]) -> list[int]:
    for model in (MemberBadge, Purchase, Segment, Member, Badge):
        await model.all().delete()
    badges = {
        code: await Badge.create(
            code=code, name=code, description=code, rule={}, created_at=NOW, updated_at=NOW
        )
        for code in BADGES
    }
    ids = []
    for n, spec in enumerate(specs):
        row = await Member.create(
            customer_id=f"c{n}",
            referral_code=f"R{n}",
            joined_at=NOW - timedelta(days=500),
            tier_level=spec.tier_level,
            country=spec.country,
            city=spec.city,
            birth_date=spec.birth_date,
            erased_at=NOW - timedelta(days=1) if spec.erased else None,
        )
        ids.append(row.id)
        await MemberBadge.bulk_create(
            [
                MemberBadge(member_id=row.id, badge_id=badges[b].id, earned_at=NOW)
                for b in spec.badges
            ]
        )
        await Purchase.bulk_create(
            [
                Purchase(
                    order_id=f"o{n}-{i}",
                    member_id=row.id,
                    amount=Decimal(p.cents) / 100,
                    refunded_amount=Decimal(p.refunded_cents) / 100,
                    currency="EUR",
                    channel=p.channel,
                    occurred_at=NOW - timedelta(minutes=p.minutes_ago),
                    recorded_at=NOW,
                )
                for i, p in enumerate(spec.purchases)
            ]
        )
    return ids


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(specs=st.lists(members, min_size=1, max_size=8), rule=rules)
async def test_one_members_membership_agrees_with_the_set_and_with_the_rule_read_literally(
    specs: list[MemberSpec], rule: SegmentRule
) -> None:
    try:
        rule = rule.validated()
    except ValidationErrors:
        return  # e.g. minAge above maxAge: refused before any evaluation
    ids = await _store(specs)
    await upsert_segment("random", "Random", rule, NOW)

    the_set = set(await (await segment_members("random", NOW)).values_list("id", flat=True))
    one_by_one = {i for i in ids if await member_in_segment("random", i, NOW)}
    literal = {i for i, spec in zip(ids, specs, strict=True) if in_python(rule, spec)}

    assert one_by_one == the_set == literal
