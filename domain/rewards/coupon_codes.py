"""Coupon codes of redemptions: how they are drawn and how what a cashier typed is read.

A code is `FD-` and 14 symbols of an alphabet without look-alikes, grouped by four
(`FD-7KQ2-XM9D-CT4B-HW`, 67 bits of randomness). Whatever the shop sends is reduced to its
letters and digits, so `fd 7kq2xm9dct4bhw` finds the same coupon, and a text that cannot be a
code is refused before any query: every wrong code gets the same answer, whether or not a
similar code exists.
"""

from __future__ import annotations

from domain.codes import COUPON_ALPHABET, COUPON_LENGTH, new_coupon_code

COUPON_PREFIX = "FD"
_SYMBOLS = frozenset(COUPON_ALPHABET)


def draw_coupon_code() -> str:
    """A fresh code in its stored form."""
    return new_coupon_code(COUPON_PREFIX)


def stored_form(text: str) -> str | None:
    """The stored form of a typed code, or None when the text cannot be one of our codes."""
    if len(text) > 64:
        return None
    symbols = "".join(ch for ch in text.upper() if ch.isascii() and ch.isalnum())
    if len(symbols) == COUPON_LENGTH + len(COUPON_PREFIX) and symbols.startswith(COUPON_PREFIX):
        symbols = symbols[len(COUPON_PREFIX) :]
    if len(symbols) != COUPON_LENGTH or not _SYMBOLS.issuperset(symbols):
        return None
    groups = [symbols[i : i + 4] for i in range(0, COUPON_LENGTH, 4)]
    return f"{COUPON_PREFIX}-" + "-".join(groups)
