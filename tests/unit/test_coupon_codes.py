"""Coupon codes: unique, unguessable, unambiguous, and forgiving of how they are typed."""

from __future__ import annotations

import math

from domain.codes import COUPON_ALPHABET, COUPON_BITS, COUPON_LENGTH
from domain.rewards.coupon_codes import COUPON_PREFIX, draw_coupon_code, stored_form


def test_one_hundred_thousand_drawn_codes_are_all_different() -> None:
    codes = {draw_coupon_code() for _ in range(100_000)}
    assert len(codes) == 100_000


def test_a_code_carries_at_least_sixty_bits_of_randomness() -> None:
    assert COUPON_BITS >= 60
    assert math.isclose(COUPON_BITS, COUPON_LENGTH * math.log2(len(COUPON_ALPHABET)))


def test_codes_use_no_look_alike_characters() -> None:
    for look_alike in "0O1IL":
        assert look_alike not in COUPON_ALPHABET
    code = draw_coupon_code()
    symbols = code.removeprefix(f"{COUPON_PREFIX}-").replace("-", "")
    assert len(symbols) == COUPON_LENGTH
    assert set(symbols) <= set(COUPON_ALPHABET)


def test_a_drawn_code_is_already_in_its_stored_form() -> None:
    code = draw_coupon_code()
    assert stored_form(code) == code


def test_case_spaces_separators_and_a_missing_prefix_do_not_matter() -> None:
    code = draw_coupon_code()
    bare = code.removeprefix(f"{COUPON_PREFIX}-").replace("-", "")
    assert stored_form(code.lower()) == code
    assert stored_form(" ".join(bare)) == code
    assert stored_form(bare) == code
    assert stored_form(f"fd{bare.lower()}") == code


def test_texts_that_cannot_be_codes_are_refused_without_a_lookup() -> None:
    code = draw_coupon_code()
    assert stored_form(code[:-1]) is None
    assert stored_form(code + "X") is None
    assert stored_form(code[:-1] + "0") is None
    assert stored_form("") is None
    assert stored_form("FD-" + "Ä" * COUPON_LENGTH) is None
    assert stored_form(code * 10) is None
