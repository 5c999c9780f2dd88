"""Which member a member token's customer id names, kept per process (`MemberIds`).

A member token carries the shop's customer id; boards in Redis are keyed by Fidelio's member
id. Knowing the one from the other without SQL lets a read of the caller's place on a board go
to Redis first and read the caller's row together with their neighbours' in one statement
(api.own_row.own_row_among).

Only this mapping is kept, never a member's columns: names and tiers change, and are read
anew by every request. Even the mapping can change: erasure detaches a member from their
customer id, and the customer may join again as a new member. So a remembered id is a guess
that the statement reading the caller's row confirms (the row still carries the token's
customer id and is not erased); when it does not, the reader falls back to a read by customer
id, which corrects the entry. That check needs no news of erasures from other processes.
"""

from __future__ import annotations

from collections import OrderedDict

#: Customer ids a process remembers at most (about 100 bytes each): the least recently used
#: are forgotten first, and cost one statement by customer id when they come back.
MAX_MEMBER_IDS = 50_000


class MemberIds:
    """Customer id -> member id, least recently used first out."""

    def __init__(self, capacity: int = MAX_MEMBER_IDS) -> None:
        self.capacity = capacity
        self._ids: OrderedDict[str, int] = OrderedDict()

    def get(self, customer_id: str) -> int | None:
        """The member id last seen for `customer_id`: a guess to confirm, not a fact."""
        member_id = self._ids.get(customer_id)
        if member_id is not None:
            self._ids.move_to_end(customer_id)
        return member_id

    def remember(self, customer_id: str, member_id: int) -> None:
        self._ids[customer_id] = member_id
        self._ids.move_to_end(customer_id)
        if len(self._ids) > self.capacity:
            self._ids.popitem(last=False)

    def forget(self, customer_id: str) -> None:
        self._ids.pop(customer_id, None)

    def __len__(self) -> int:
        return len(self._ids)
