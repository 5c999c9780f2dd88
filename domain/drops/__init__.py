"""Exclusive drops: limited editions offered to members, first come or by raffle.

How the area fits together (`services` gathers the use cases):

- `definition.upsert_drop`: admins define a drop by code (window, quantity, price, per-member
  limit, minimum tier, required badge, segment, early access).
- `rules`: status (UPCOMING, OPEN, SOLD_OUT, CLOSED) derived from time and stock as the viewer
  sees it, early access, announcement phases. `eligibility`: who may claim, with reasons in
  the member's language (`messages`, Spanish and English).
- `claims.claim_drop`: first come, one transaction: member lock, eligibility, per-member limit
  (a UNIQUE slot per drop and member), points debit, claim row, and the conditional stock
  update last. Returns a reservation with a `DR-` coupon valid for a configurable time.
  Raffle: an entry (nothing charged, no stock taken).
- `checkout`: the shop completes a reservation or a raffle win with the coupon, once.
- `jobs`: lapsed reservations go back to stock with their points (exactly once), and openings
  are announced (DropOpened) once per phase, early access first.
- `draw.draw_raffle` + `raffle`: winners drawn once from a recorded seed by a documented,
  repeatable recipe; only winners pay.
"""
