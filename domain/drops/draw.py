"""The raffle draw: after a raffle closes, its winners are drawn once from a recorded seed.

See `domain.drops.raffle` for how the order is made and how anyone can repeat it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.transactions import in_transaction

from domain.audit import SYSTEM, Actor, record_change, row_snapshot
from domain.codes import new_coupon_code
from domain.drops.claims import COUPON_PREFIX
from domain.drops.events import RaffleDrawn
from domain.drops.models import CancelReason, Drop, DropClaim, DropClaimStatus, DropMode
from domain.drops.raffle import check_seed, new_seed, raffle_order
from domain.errors import InsufficientPoints, InvalidInput, NotFound, NotOpen
from domain.events import record_event
from domain.members.models import Member
from domain.points import ledger
from domain.points.models import EntryKind
from domain.versions import ConfigPart, bump_version


@dataclass(frozen=True)
class DrawResult:
    drop: Drop
    seed: str
    #: The winners in the order they were drawn.
    winners: list[Member]
    #: False when the raffle had been drawn before and this only reports that draw.
    drawn_now: bool


async def draw_raffle(
    drop_code: str, seed: str | None, now: datetime, actor: Actor = SYSTEM
) -> DrawResult:
    """Draw the winners of a closed raffle from `seed` (a fresh one when None): winners are WON
    with a coupon and pay the price, the rest LOST. Drawing again changes nothing and returns
    the first draw's seed and winners.

    Audited as `drop.draw_raffle` by `actor`: the drop's draw fields and the winners' member
    ids (a draw asked again records that nothing changed).

    Raises NotFound (no such drop), InvalidInput (not a raffle, a bad seed), NotOpen (entries
    are still open).
    """
    drop = await Drop.get_or_none(code=drop_code.strip())
    if drop is None:
        raise NotFound(f"no drop with code '{drop_code}'", ["input", "dropCode"])
    if drop.mode != DropMode.RAFFLE:
        raise InvalidInput("this drop is first come, not a raffle", ["input", "dropCode"])
    if drop.drawn_at is None:
        if now < drop.closes_at:
            raise NotOpen(
                f"entries close at {drop.closes_at.isoformat()}: draw after that",
                ["input", "dropCode"],
            )
        seed = new_seed() if seed is None else seed
        if not check_seed(seed):
            raise InvalidInput("1-128 printable characters", ["input", "seed"])
        async with in_transaction():
            # The marker makes the draw happen once, even when two admins press at once.
            first = await Drop.filter(id=drop.id, drawn_at__isnull=True).update(
                drawn_at=now, raffle_seed=seed, updated_at=now
            )
            if first:
                await _draw(await Drop.get(id=drop.id), seed, now)
                await bump_version(ConfigPart.DROPS)
                result = await _result(drop.id, drawn_now=True)
                await record_change(
                    actor,
                    "drop.draw_raffle",
                    "drop",
                    drop.code,
                    {**row_snapshot(drop), "winners": []},
                    {**row_snapshot(result.drop), "winners": [m.id for m in result.winners]},
                    now,
                )
                return result
    result = await _result(drop.id, drawn_now=False)
    await record_change(actor, "drop.draw_raffle", "drop", drop.code, {}, {}, now)
    return result


async def _draw(drop: Drop, seed: str, now: datetime) -> None:
    entries = {
        c.id: c
        for c in await DropClaim.filter(drop_id=drop.id, status=DropClaimStatus.ENTERED).order_by(
            "id"
        )
    }
    winners: list[DropClaim] = []
    for entry_id in raffle_order(seed, entries):
        if len(winners) >= drop.quantity:
            break
        entry = entries[entry_id]
        if await _charge_winner(drop, entry, now):
            winners.append(entry)
        else:
            entry.status = DropClaimStatus.CANCELLED
            entry.cancel_reason = CancelReason.FORFEITED
            entry.cancelled_at = now
            entry.slot = None
            entry.updated_at = now
            await entry.save(
                update_fields=["status", "cancel_reason", "cancelled_at", "slot", "updated_at"]
            )
    await DropClaim.filter(drop_id=drop.id, status=DropClaimStatus.ENTERED).update(
        status=DropClaimStatus.LOST, updated_at=now
    )
    await Drop.filter(id=drop.id).update(remaining=drop.quantity - len(winners))
    winner_ids = {w.id for w in winners}
    await record_event(
        RaffleDrawn(
            drop_id=drop.id,
            drop_code=drop.code,
            seed=seed,
            winner_ids=tuple(w.member_id for w in winners),
            loser_ids=tuple(c.member_id for c in entries.values() if c.id not in winner_ids),
        ),
        now,
    )


async def _charge_winner(drop: Drop, entry: DropClaim, now: datetime) -> bool:
    """Make the entry a winner, charging its price; False when the member cannot pay."""
    member = await ledger.lock_member(entry.member_id)
    if member.erased_at is not None:
        return False
    debit_id: int | None = None
    if drop.price_points > 0:
        try:
            debit = await ledger.debit(
                member.id,
                drop.price_points,
                EntryKind.REDEEM,
                f"Drop {drop.code}: {drop.title} (raffle won)",
                now,
                reference=f"drop:{drop.id}",
            )
        except InsufficientPoints:
            return False
        debit_id = debit.id
    entry.status = DropClaimStatus.WON
    entry.coupon_code = new_coupon_code(prefix=COUPON_PREFIX)
    entry.points_entry_id = debit_id
    entry.points_spent = drop.price_points
    entry.updated_at = now
    await entry.save(
        update_fields=["status", "coupon_code", "points_entry_id", "points_spent", "updated_at"]
    )
    return True


async def _result(drop_id: int, *, drawn_now: bool) -> DrawResult:
    """The stored outcome of the draw: its WON claims, in the order the seed drew them."""
    drop = await Drop.get(id=drop_id)
    assert drop.raffle_seed is not None
    claims = await DropClaim.filter(drop_id=drop_id).values_list("id", "member_id", "status")
    member_of = {claim_id: member_id for claim_id, member_id, _ in claims}
    won = {claim_id for claim_id, _, status in claims if status == DropClaimStatus.WON}
    winning = [c for c in raffle_order(drop.raffle_seed, member_of) if c in won]
    members = {m.id: m for m in await Member.filter(id__in=[member_of[c] for c in winning])}
    return DrawResult(
        drop=drop,
        seed=drop.raffle_seed,
        winners=[members[member_of[c]] for c in winning],
        drawn_now=drawn_now,
    )
