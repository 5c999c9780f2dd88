"""The raffle draw, as a pure function anyone can repeat.

How a draw is made (and how to check one): take the ids of every entry of the drop (its
DropClaim rows) in ascending order, and shuffle them with Python's `random.Random(seed)`
(Mersenne Twister; a string seed is hashed with SHA-512, so the result depends on nothing but
the seed and the ids):

    order = random.Random(seed).sample(sorted(entry_ids), len(entry_ids))

Winners are taken from the front of `order` until the drop's quantity is reached. Winners pay
the price at the draw (entrants are never charged for losing): an entrant who can no longer
pay then, or whose account was deleted, forfeits (their claim is CANCELLED with reason
FORFEITED) and the next entry in the order takes the place. Everyone else has LOST. Replaying
`raffle_order` with the recorded seed and skipping the recorded forfeits gives the same winners.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Collection, Iterable


def new_seed() -> str:
    """A fresh seed for a draw when the admin gives none (128 bits, hex)."""
    return secrets.token_hex(16)


def raffle_order(seed: str, entry_ids: Iterable[int]) -> list[int]:
    """Every entry id in the order the draw considers them, from `seed` alone."""
    ordered = sorted(entry_ids)
    return random.Random(seed).sample(ordered, len(ordered))


def replay_winners(
    seed: str, entry_ids: Iterable[int], quantity: int, forfeited: Collection[int] = ()
) -> list[int]:
    """The winning entry ids of a draw of `quantity` units, skipping the recorded forfeits."""
    winners: list[int] = []
    for entry_id in raffle_order(seed, entry_ids):
        if len(winners) >= quantity:
            break
        if entry_id not in forfeited:
            winners.append(entry_id)
    return winners


def check_seed(seed: str) -> bool:
    return 1 <= len(seed) <= 128 and seed.isprintable()
