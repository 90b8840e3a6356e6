"""Codes people read back (SPEC §5, §7a): 100 random bits, tolerant reading, stored only as a keyed hash."""

import pytest

from backend.privacy import readback_codes as codes


def test_a_new_code_is_twenty_crockford_characters_of_a_hundred_bits():
    code = codes.new_code()
    assert len(code) == 20 and set(code) <= set(codes.ALPHABET)
    assert len(codes.ALPHABET) ** 20 == 2**100
    assert len({codes.new_code() for _ in range(1000)}) == 1000


def test_a_code_is_shown_in_five_groups_of_four():
    assert codes.display("ABCD0123EFGH4567JKMN") == "ABCD-0123-EFGH-4567-JKMN"


@pytest.mark.parametrize("typed", [
    "ABCD-0123-EFGH-4567-JKMN", "abcd 0123 efgh 4567 jkmn", "abcd0123efgh4567jkmn", " ABCD-0123-EFGH-4567-JKMN ",
])
def test_reading_back_forgives_case_spaces_and_hyphens(typed):
    assert codes.normalise(typed) == "ABCD0123EFGH4567JKMN"


def test_reading_back_takes_the_look_alikes_for_what_they_look_like():
    assert codes.normalise("IL0O-0000-0000-0000-0000") == "1100" + "0" * 16


@pytest.mark.parametrize("typed", ["", "ABCD", "ABCD0123EFGH4567JKM", "ABCD0123EFGH4567JKMNP", "ABCD0123EFGH4567JKMU",
                                   "ABCD0123EFGH4567JKM!", "Ａ" * 20, "-" * 200, None, 12345])
def test_anything_else_is_not_a_code(typed):
    assert codes.normalise(typed) is None


def test_the_stored_form_is_a_keyed_hash_separated_by_purpose(app):
    code = codes.new_code()
    receipt, report = codes.digest("receipt", code), codes.digest("credit-report", code)
    assert receipt != report and code not in receipt
    assert codes.digest("receipt", code) == receipt
    app.config["LOOKUP_HASH_KEY_BYTES"], old = b"k" * 32, app.config["LOOKUP_HASH_KEY_BYTES"]
    try:
        assert codes.digest("receipt", code) != receipt
    finally:
        app.config["LOOKUP_HASH_KEY_BYTES"] = old
