"""Recording purchases and refunds: points, pending windows, idempotency, reversals."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from domain.activity import Activity, Awards
from domain.clock import FrozenClock
from domain.errors import Duplicate, InvalidInput, NotFound, ValidationErrors
from domain.members.models import Member
from domain.outbox.models import OutboxEvent
from domain.points import ledger
from domain.points.balances import figures
from domain.points.earning import LineItem
from domain.points.models import EntryKind, PointsEntry
from domain.program import ProgramCache
from domain.purchases.models import Purchase, Refund
from domain.purchases.services import record_purchase, record_refund
from domain.purchases.validation import RefundInput
from domain.sql import dialect
from tests.integration.points_factories import (
    CURRENCY,
    buy,
    purchase_input,
    set_rules,
    set_tiers,
)
from tests.integration.query_counter import counting_statements

pytestmark = pytest.mark.usefixtures("db")


async def events(kind: str) -> list[dict[str, object]]:
    return [e.payload for e in await OutboxEvent.filter(kind=kind).order_by("id")]


async def refund(refund_id: str, order_id: str, amount: str, now: datetime):  # type: ignore[no-untyped-def]
    return await record_refund(
        RefundInput(refund_id=refund_id, order_id=order_id, amount=Decimal(amount)), now
    )


async def test_a_purchase_creates_the_member_and_credits_pending_points() -> None:
    now = FrozenClock().now()
    recorded = await buy("A-1", now, amount="120.50")

    member = await Member.get(customer_id="c-1")
    assert recorded.member.id == member.id
    assert recorded.purchase.points_earned == 120
    assert recorded.awards.points_awarded == 120
    assert not recorded.replayed
    entry = await PointsEntry.get(member_id=member.id)
    assert (entry.kind, entry.delta, entry.remaining) == (EntryKind.EARN, 120, 120)
    assert entry.available_at == now + timedelta(days=14)
    assert entry.expires_at is None
    assert entry.reference == "order:A-1"
    summary = await ledger.summary(member.id, now)
    assert (summary.balance, summary.pending, summary.lifetime_earned) == (0, 120, 120)
    later = await ledger.summary(member.id, now + timedelta(days=14))
    assert (later.balance, later.pending) == (120, 0)


async def test_the_return_window_and_expiry_run_from_when_the_purchase_happened() -> None:
    now = FrozenClock().now()
    await set_rules(now, pending_days=7, expiry_days=365)
    occurred = now - timedelta(days=3)
    await buy("A-1", now, occurred_at=occurred)
    entry = await PointsEntry.get(reference="order:A-1")
    assert entry.available_at == occurred + timedelta(days=7)
    assert entry.expires_at == occurred + timedelta(days=7 + 365)


async def test_the_purchase_raises_purchase_recorded_and_points_earned() -> None:
    now = FrozenClock().now()
    recorded = await buy(
        "A-1",
        now,
        amount="30.00",
        store_code="MAD-01",
        items=(
            LineItem("S1", "shoes", 1, Decimal("20.00")),
            LineItem("S2", "socks", 2, Decimal("5.00")),
            LineItem("S3", "shoes", 1, Decimal("0.00")),
        ),
    )
    [purchased] = await events("PurchaseRecorded")
    assert purchased == {
        "member_id": recorded.member.id,
        "purchase_id": recorded.purchase.id,
        "order_id": "A-1",
        "amount": "30.00",
        "currency": "EUR",
        "channel": "APP",
        "store_code": "MAD-01",
        "categories": ["shoes", "socks"],
        "occurred_at": now.isoformat(),
        "points_earned": 30,
        "first_purchase": True,
    }
    [earned] = await events("PointsEarned")
    assert earned["points"] == 30 and earned["entry_kind"] == "EARN"
    await buy("A-2", now)
    assert [e["first_purchase"] for e in await events("PurchaseRecorded")] == [True, False]


async def test_category_multipliers_and_the_tier_multiplier_shape_the_points() -> None:
    now = FrozenClock().now()
    await set_rules(now, category_multipliers=(("shoes", Decimal(2)),))
    await set_tiers(now)
    await Member.create(
        customer_id="gold", referral_code="GOLD0001", joined_at=now, tier_level=2, tier_code="GOLD"
    )
    recorded = await buy(
        "A-1",
        now,
        customer_id="gold",
        amount="90.00",
        items=(
            LineItem("S1", "Shoes", 1, Decimal("60.00")),
            LineItem("S2", None, 2, Decimal("20.00")),
        ),
    )
    # 90 x (60 x 2 + 40) / 100 x 1.5 = 216
    assert recorded.purchase.points_earned == 216


async def test_recording_the_same_order_again_returns_the_first_result_and_awards_nothing() -> None:
    now = FrozenClock().now()
    first = await buy("A-1", now, amount="50.00")
    again = await buy("A-1", now + timedelta(minutes=1), amount="50.00")
    assert again.replayed
    assert again.purchase.id == first.purchase.id
    assert again.awards == first.awards
    assert await Purchase.all().count() == 1
    assert await PointsEntry.all().count() == 1
    assert len(await events("PurchaseRecorded")) == 1


async def test_a_retry_gets_the_first_awards_even_when_its_time_or_channel_differ() -> None:
    """A shop's retry may stamp the order anew (when, where): it is still the same order."""
    now = FrozenClock().now()
    first = await buy("A-1", now, amount="50.00")
    again = await buy(
        "A-1", now + timedelta(minutes=5), amount="50.0", channel="STORE", store_code="S1"
    )
    assert again.replayed and again.purchase.id == first.purchase.id
    assert again.awards.points_awarded == first.awards.points_awarded == 50


async def test_another_amount_under_a_recorded_order_id_is_a_duplicate_and_changes_nothing() -> (
    None
):
    """Another order under a used id is the shop's mistake: answering with the first order
    would hide it."""
    now = FrozenClock().now()
    await buy("A-1", now, amount="50.00")
    with pytest.raises(Duplicate) as raised:
        await buy("A-1", now, amount="999.00")
    assert raised.value.field == ["input", "orderId"]
    assert await Purchase.all().count() == 1
    assert await PointsEntry.all().count() == 1


async def test_the_observer_sees_the_purchase_and_its_awards_are_merged() -> None:
    now = FrozenClock().now()
    seen: list[Activity] = []

    class Engine:
        async def observe(self, activity: Activity, at: datetime, **_: object) -> Awards:
            seen.append(activity)
            # The engine runs inside the purchase's transaction: the purchase is visible.
            assert await Purchase.filter(order_id="A-1").exists()
            return Awards(badge_ids=[7], challenge_ids=[3], points_awarded=25)

    recorded = await buy(
        "A-1", now, amount="10.00", observer=Engine(), channel="STORE", store_code="S1"
    )  # type: ignore[arg-type]
    assert seen == [
        Activity(
            member_id=recorded.member.id,
            kind="PURCHASE",
            occurred_at=now,
            reference="order:A-1",
            amount=Decimal("10.00"),
            points=10,
            categories=frozenset(),
            channel="STORE",
            store_code="S1",
        )
    ]
    assert recorded.awards == Awards(badge_ids=[7], challenge_ids=[3], points_awarded=35)
    replay = await buy("A-1", now, amount="10.00", observer=Engine())
    assert replay.awards == recorded.awards
    assert len(seen) == 1


async def test_an_invalid_purchase_changes_nothing() -> None:
    now = FrozenClock().now()
    with pytest.raises(ValidationErrors) as caught:
        await buy("A-1", now, amount="-5.00")
    assert [(e.code, e.field) for e in caught.value.errors] == [
        ("INVALID_INPUT", ["input", "amount"])
    ]
    assert await Member.all().count() == 0
    assert await Purchase.all().count() == 0
    assert await OutboxEvent.all().count() == 0


async def test_a_purchase_too_small_for_a_point_is_recorded_without_a_credit() -> None:
    now = FrozenClock().now()
    recorded = await buy("A-1", now, amount="0.99")
    assert recorded.purchase.points_earned == 0
    assert await PointsEntry.all().count() == 0
    assert await events("PointsEarned") == []


async def test_a_refund_cancels_pending_points_of_the_order_first() -> None:
    now = FrozenClock().now()
    await buy("A-1", now, amount="100.00")
    result = await refund("R-1", "A-1", "40.00", now + timedelta(days=1))
    assert result.points_reversed == 40
    assert result.purchase.refunded_amount == Decimal("40.00")
    member = await Member.get(customer_id="c-1")
    summary = await ledger.summary(member.id, now + timedelta(days=1))
    assert (summary.balance, summary.pending, summary.lifetime_earned) == (0, 60, 60)
    [reversed_] = await events("PointsReversed")
    assert (reversed_["points"], reversed_["shortfall"], reversed_["reference"]) == (
        40,
        0,
        "order:A-1",
    )
    [refunded] = await events("PurchaseRefunded")
    assert refunded["fully_refunded"] is False and refunded["points_reversed"] == 40


async def test_points_already_spent_come_from_the_balance_then_the_shortfall_is_recorded() -> None:
    clock = FrozenClock()
    now = clock.now()
    await set_rules(now, pending_days=0)
    await buy("A-1", now, amount="100.00")
    await buy("A-2", now, amount="30.00")
    member = await Member.get(customer_id="c-1")
    await ledger.debit(member.id, 120, EntryKind.REDEEM, "reward", now)  # 10 left, of A-2

    result = await refund("R-1", "A-1", "100.00", now)
    assert result.points_reversed == 10
    assert result.refund.points_shortfall == 90
    summary = await ledger.summary(member.id, now)
    assert summary.balance == 0
    assert summary.lifetime_earned == 130 - 10


async def test_partial_refunds_never_exceed_the_order() -> None:
    now = FrozenClock().now()
    await buy("A-1", now, amount="100.00")
    await refund("R-1", "A-1", "60.00", now)
    with pytest.raises(InvalidInput) as caught:
        await refund("R-2", "A-1", "40.01", now)
    assert (caught.value.code, caught.value.field) == ("INVALID_INPUT", ["input", "amount"])
    assert await Refund.all().count() == 1
    assert (await Purchase.get(order_id="A-1")).refunded_amount == Decimal("60.00")
    last = await refund("R-3", "A-1", "40.00", now)
    assert last.purchase.refunded_amount == Decimal("100.00")
    assert sum(r.points_reversed for r in await Refund.all()) == 100
    member = await Member.get(customer_id="c-1")
    assert (await ledger.summary(member.id, now)).pending == 0


async def test_recording_the_same_refund_again_reverses_nothing_more() -> None:
    now = FrozenClock().now()
    await buy("A-1", now, amount="100.00")
    first = await refund("R-1", "A-1", "25.00", now)
    again = await refund("R-1", "A-1", "25.00", now)
    assert again.replayed and again.refund.id == first.refund.id
    assert again.points_reversed == 25
    assert await PointsEntry.filter(kind=EntryKind.REVERSAL).count() == 1
    assert (await Purchase.get(order_id="A-1")).refunded_amount == Decimal("25.00")


async def test_a_refund_id_of_another_order_is_a_duplicate() -> None:
    now = FrozenClock().now()
    await buy("A-1", now)
    await buy("A-2", now)
    await refund("R-1", "A-1", "10.00", now)
    with pytest.raises(Duplicate) as caught:
        await refund("R-1", "A-2", "10.00", now)
    assert caught.value.field == ["input", "refundId"]
    assert (await Purchase.get(order_id="A-2")).refunded_amount == 0


async def test_another_amount_under_a_recorded_refund_id_is_a_duplicate() -> None:
    now = FrozenClock().now()
    await buy("A-1", now)
    await refund("R-1", "A-1", "10.00", now)
    with pytest.raises(Duplicate) as caught:
        await refund("R-1", "A-1", "40.00", now)
    assert caught.value.field == ["input", "refundId"]
    assert (await Purchase.get(order_id="A-1")).refunded_amount == Decimal("10.00")
    assert await Refund.all().count() == 1


async def test_a_refund_of_an_unknown_order_is_not_found() -> None:
    with pytest.raises(NotFound) as caught:
        await refund("R-1", "nope", "10.00", FrozenClock().now())
    assert caught.value.field == ["input", "orderId"]
    assert await Refund.all().count() == 0


async def test_the_same_order_id_for_another_customer_is_a_duplicate() -> None:
    now = FrozenClock().now()
    await buy("A-1", now, customer_id="c-1")
    with pytest.raises(Duplicate):
        await record_purchase(purchase_input("A-1", "c-2"), now, program_currency="EUR")
    assert [p.order_id for p in await Purchase.all()] == ["A-1"]
    assert not await Member.filter(customer_id="c-2").exists()


async def test_a_retry_of_an_erased_members_order_still_gets_the_first_purchase() -> None:
    """Erasing a member clears their customer id: the order's customer can no longer be
    compared, and the retry is answered as before."""
    now = FrozenClock().now()
    first = await buy("A-1", now, customer_id="c-1")
    await Member.filter(id=first.member.id).update(customer_id=None, erased_at=now)
    again = await buy("A-1", now, customer_id="c-1")
    assert again.replayed and again.purchase.id == first.purchase.id


async def test_a_purchase_of_a_known_member_costs_two_statements_on_postgresql() -> None:
    """The hot path's budget: lock the member and, after the lock, check for a replay and read
    the member's standing, with the configuration versions, in one statement (the function
    `fidelio_purchase_start`); then write the purchase, its credit and its events in one
    statement (five on SQLite: the member and the standing apart, and no data-modifying
    CTEs). Nothing unlocked: no second read of the standing, which the payload's points do
    not need."""
    now = FrozenClock().now()
    await set_rules(now)
    await set_tiers(now)
    program = ProgramCache()
    await record_purchase(purchase_input("A-1"), now, program_currency=CURRENCY, program=program)

    with counting_statements() as statements:
        recorded = await record_purchase(
            purchase_input("A-2"), now, program_currency=CURRENCY, program=program
        )

    assert recorded.points is not None and recorded.points.pending == 200
    assert recorded.points == (await figures([recorded.member.id], now))[recorded.member.id]
    expected = 2 if dialect() == "postgres" else 5
    assert len(statements) == expected, "\n".join(statements.sql)


async def test_a_purchase_that_lifts_the_tier_writes_it_in_the_same_statement() -> None:
    """The tier its own points reach (the member's row, TierChanged and the awards a retry
    answers with) goes with the purchase: still two statements on PostgreSQL, one more on
    SQLite (the member's row), where it was three more."""
    now = FrozenClock().now()
    await set_rules(now)
    await set_tiers(now)
    program = ProgramCache()
    await record_purchase(purchase_input("A-1"), now, program_currency=CURRENCY, program=program)

    with counting_statements() as statements:
        recorded = await record_purchase(
            purchase_input("A-2", amount="450.00"), now, program_currency=CURRENCY, program=program
        )

    expected = 2 if dialect() == "postgres" else 6
    assert len(statements) == expected, "\n".join(statements.sql)
    assert recorded.awards == Awards(points_awarded=450, new_tier_code="SILVER")
    assert (recorded.member.tier_code, recorded.member.tier_level) == ("SILVER", 1)
    stored = await Member.get(id=recorded.member.id)
    assert (stored.tier_code, stored.tier_level, stored.inputs_changed_at) == (
        "SILVER",
        1,
        now,
    )
    assert [e.kind for e in await OutboxEvent.filter(created_at=now).order_by("id")][-3:] == [
        "PointsEarned",
        "PurchaseRecorded",
        "TierChanged",
    ]
    assert (await events("TierChanged"))[-1] == {
        "member_id": stored.id,
        "old_code": "BRONZE",
        "new_code": "SILVER",
        "old_level": 0,
        "new_level": 1,
    }
    replay = await record_purchase(
        purchase_input("A-2", amount="450.00"), now, program_currency=CURRENCY, program=program
    )
    assert replay.replayed and replay.awards == recorded.awards


async def test_a_first_purchase_writes_the_new_members_event_and_placement_with_it() -> None:
    """A customer seen for the first time: the member's row, then the purchase with the
    member's MemberCreated and first placement on the ladder in its one statement (four
    statements on PostgreSQL with the versions and the lock's miss; SQLite writes the
    placement apart)."""
    now = FrozenClock().now()
    await set_rules(now)
    await set_tiers(now)
    program = ProgramCache()
    await record_purchase(purchase_input("A-1"), now, program_currency=CURRENCY, program=program)

    with counting_statements() as statements:
        recorded = await record_purchase(
            purchase_input("A-2", customer_id="c-new"),
            now,
            program_currency=CURRENCY,
            program=program,
        )

    expected = 4 if dialect() == "postgres" else 7
    assert len(statements) == expected, "\n".join(statements.sql)
    member = await Member.get(customer_id="c-new")
    assert recorded.member.id == member.id
    assert (member.tier_code, member.tier_level) == ("BRONZE", 0)
    assert (recorded.member.tier_code, recorded.member.tier_level) == ("BRONZE", 0)
    assert recorded.awards == Awards(points_awarded=100)
    mine = [
        e.kind
        for e in await OutboxEvent.all().order_by("id")
        if e.payload.get("member_id") == member.id
    ]
    assert mine == ["MemberCreated", "PointsEarned", "PurchaseRecorded"]


async def test_the_member_a_purchase_reads_by_hand_equals_the_orms_row() -> None:
    now = FrozenClock().now()
    await buy("A-1", now)
    recorded = await buy("A-2", now)
    stored = await Member.get(id=recorded.member.id)
    columns = Member._meta.db_fields
    assert {c: getattr(recorded.member, c) for c in columns} == {
        c: getattr(stored, c) for c in columns
    }


async def test_the_locked_read_of_postgresql_agrees_with_the_standing_read() -> None:
    """`fidelio_purchase_start` holds the standing's SQL as of its migration: it must answer
    what `_REPLAY_FIRST_AND_STANDING` (the code's `STANDING_COLUMNS`) answers, for every kind
    of entry, spent, pending, expired, inside and outside the tier window. A change of the
    standing's SQL fails here until a migration replaces the function."""
    if dialect() != "postgres":
        pytest.skip("the function exists on PostgreSQL only")
    from tortoise.transactions import in_transaction

    from domain.purchases.services import (
        _LOCKED_MEMBER_AND_STANDING,
        _REPLAY_FIRST_AND_STANDING,
    )
    from domain.tiers.qualification import window_start

    now = FrozenClock().now()
    await buy("A-1", now - timedelta(days=3))
    member = await Member.get(customer_id="c-1")
    day = timedelta(days=1)
    for n, (kind, delta, remaining, created, available, expires) in enumerate(
        [
            (EntryKind.EARN, 50, 50, now - 2 * day, now - day, None),
            (EntryKind.EARN, 70, 70, now - day, now + 10 * day, None),  # pending
            (EntryKind.EARN, 30, 30, now - 90 * day, now - 80 * day, now - day),  # expired
            (EntryKind.EARN, 40, 0, now - 20 * day, now - 10 * day, now + day),  # spent
            (EntryKind.BONUS, 25, 25, now - 400 * day, now - 400 * day, None),  # old
            (EntryKind.REFERRAL, 15, 15, now, now, now + 30 * day),
            (EntryKind.ENGAGEMENT, 5, 5, now + day, now + day, None),  # after now
            (EntryKind.ADJUST, 12, 12, now - 3 * day, now - 3 * day, None),
            (EntryKind.ADJUST, -7, 0, now - 3 * day, None, None),
            (EntryKind.REDEEM, -40, 0, now - 5 * day, None, None),
            (EntryKind.REVERSAL, -20, 0, now - 4 * day, None, None),
            (EntryKind.EXPIRE, -30, 0, now - day, None, None),
        ]
    ):
        await PointsEntry.create(
            member_id=member.id, kind=kind, delta=delta, remaining=remaining,
            description=f"entry {n}", created_at=created, available_at=available,
            expires_at=expires,
        )  # fmt: skip
    columns = ("recorded_id", "purchased_before", "balance", "pending", "credited", "reversed",
               "qualifying")  # fmt: skip
    for order_id in ("A-1", "A-9"):
        for months in (1, 12):
            start = window_start(now, months)
            async with in_transaction():
                found = await _LOCKED_MEMBER_AND_STANDING.headed(
                    Member, "c-1", order_id, now, start
                )
                expected = (await _REPLAY_FIRST_AND_STANDING.rows(now, start, member.id, order_id))[
                    0
                ]
            assert found is not None
            locked, rows = found
            assert locked.id == member.id and locked.customer_id == "c-1"
            got = {c: rows[0][c] for c in columns}
            assert got == {c: expected[c] for c in columns}, (order_id, months)
            assert got["balance"] and got["pending"] and got["qualifying"]
    async with in_transaction():
        assert await _LOCKED_MEMBER_AND_STANDING.headed(Member, "nobody", "A-1", now, now) is None


async def test_a_tier_window_changed_since_the_process_read_the_rules_reads_the_standing_again() -> (
    None
):
    """The locked read takes the tier window of the rules this process read last; when the
    versions read with it say the rules changed, the standing is read again for the new
    window before anything is planned."""
    now = FrozenClock().now()
    await set_rules(now, tier_window_months=12)
    await set_tiers(now)
    program = ProgramCache()
    await record_purchase(purchase_input("A-1", amount="450.00"), now - timedelta(days=60),
                          program_currency=CURRENCY, program=program)  # fmt: skip
    await set_rules(now, tier_window_months=1)  # the 450 points leave the window

    recorded = await record_purchase(
        purchase_input("A-2", amount="100.00"), now, program_currency=CURRENCY, program=program
    )

    # Silver (500 qualifying points) would be reached with the old window's 450 + 100.
    assert recorded.awards == Awards(points_awarded=100)
    assert recorded.member.tier_code != "SILVER"
