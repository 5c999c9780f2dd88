"""Coupon codes of redemptions: how they are drawn and how what a cashier typed is read.

A code is `FD-` and 14 symbols of an alphabet without look-alikes, grouped by four
(`FD-7KQ2-XM9D-CT4B-HW`, 67 bits of randomness). Whatever the shop sends is reduced to its
letters and digits, so `fd 7kq2xm9dct4bhw` finds the same coupon, and a text that cannot be a
code is refused before any query: every wrong code gets the same answer, whether or not a
similar code exists.
"""

from __future__ import annotations

from domain.codes import new_coupon_code, read_code

COUPON_PREFIX = "FD"


def draw_coupon_code() -> str:
    """A fresh code in its stored form."""
    return new_coupon_code(COUPON_PREFIX)


def stored_form(text: str) -> str | None:
    """The stored form of a typed code (the `FD` prefix may be left out), or None."""
    return read_code(text, COUPON_PREFIX, prefix_optional=True)
