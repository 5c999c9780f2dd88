"""Codes people type at a checkout: unguessable, unambiguous, easy to read aloud."""

from __future__ import annotations

import math
import secrets

#: No 0/O, 1/I/L, no vowels U/A/E (avoid words): 28 symbols.
COUPON_ALPHABET = "23456789BCDFGHJKMNPQRSTVWXYZ"
#: 14 symbols of 28: 14 * log2(28) = 67.3 bits of randomness.
COUPON_LENGTH = 14
COUPON_BITS = COUPON_LENGTH * math.log2(len(COUPON_ALPHABET))


def new_coupon_code(prefix: str = "") -> str:
    """A fresh coupon code such as `FD-7KQ2-XM9D-CT4B-HW`: grouped by four for reading."""
    raw = "".join(secrets.choice(COUPON_ALPHABET) for _ in range(COUPON_LENGTH))
    groups = [raw[i : i + 4] for i in range(0, len(raw), 4)]
    return (prefix + "-" if prefix else "") + "-".join(groups)


def normalise_code(code: str) -> str:
    """What a cashier typed, made comparable: upper case, separators as stored."""
    return code.strip().upper().replace(" ", "")
