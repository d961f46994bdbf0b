"""Phone and postal code: example pairs per rule, then properties.

phonenumbers is the oracle for generated numbers: for every one it calls
valid, our output is "0" + its national number.
"""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st
from normalise_testkit import (
    PROPERTY_SETTINGS,
    batches,
    check_idempotent,
    check_same_outputs,
    dash_variant,
    jp_phone_national,
    normalise,
    normalise_parts,
    render_phone,
    to_full_width,
    width_variant,
)

PHONE_EXAMPLES = [
    ("090-1234-5678", "09012345678"),
    ("09012345678", "09012345678"),
    ("090 1234 5678", "09012345678"),
    ("090.1234.5678", "09012345678"),
    ("０９０－１２３４－５６７８", "09012345678"),
    ("090ー1234ー5678", "09012345678"),
    ("(03) 1234-5678", "0312345678"),
    ("03(1234)5678", "0312345678"),
    ("（０３）１２３４－５６７８", "0312345678"),
    # country code
    ("+81-90-1234-5678", "09012345678"),
    ("+81 90 1234 5678", "09012345678"),
    ("+819012345678", "09012345678"),
    ("+81(0)3-1234-5678", "0312345678"),
    ("+81 (0)3 1234 5678", "0312345678"),
    ("+81-03-1234-5678", "0312345678"),  # trunk 0 kept by mistake
    ("0081-3-1234-5678", "0312345678"),
    ("010-81-3-1234-5678", "0312345678"),
    ("819012345678", "09012345678"),
    ("81312345678", "0312345678"),
    ("＋８１　９０　１２３４　５６７８", "09012345678"),
    # labels and extensions
    ("TEL:03-1234-5678", "0312345678"),
    ("TEL 03-1234-5678", "0312345678"),
    ("℡03-1234-5678", "0312345678"),
    ("電話 03-1234-5678", "0312345678"),
    ("携帯：090-1234-5678", "09012345678"),
    ("FAX 03-1234-5679", "0312345679"),
    ("03-1234-5678 内線123", "0312345678"),
    ("03-1234-5678（内線 45）", "0312345678"),
    ("03-1234-5678 ext. 12", "0312345678"),
    ("03-1234-5678 EXT12", "0312345678"),
    ("03-1234-5678 x12", "0312345678"),
    ("0312345678x12", "0312345678"),
    ("03-1234-5678#12", "0312345678"),
    ("03-1234-5678 / 090-1111-2222", "0312345678"),  # the first number of a list
    ("03-1234-5678、090-1111-2222", "0312345678"),
    ("03-1234-5678〜9", "0312345678"),
    # integers that lost their leading 0, Excel float text
    ("9012345678", "09012345678"),
    ("312345678", "0312345678"),
    ("9012345678.0", "09012345678"),
    ("312345678.00", "0312345678"),
    # toll-free, IP, M2M
    ("0120-123-456", "0120123456"),
    ("0800-123-4567", "08001234567"),
    ("050-1234-5678", "05012345678"),
    ("020-1234-5678", "02012345678"),
    # not a Japanese phone number
    ("1234-5678", None),
    ("12345", None),
    ("03-1234-56789", None),
    ("090-1234-567", None),
    ("0312-345-6789-0", None),
    ("+1 212 555 1234", None),
    ("+44 20 7946 0958", None),
    ("00-1234-5678", None),
    ("03-1234-5678 090-1111-2222", None),  # two numbers with no separator
    ("不明", None),
    ("", None),
    ("-", None),
    (None, None),
]


@pytest.mark.parametrize(("raw", "expected"), PHONE_EXAMPLES)
def test_phone_examples(raw: str | None, expected: str | None) -> None:
    assert normalise("phone", [raw]) == [expected]


def _rendered() -> st.SearchStrategy[tuple[str, str]]:
    return jp_phone_national().flatmap(lambda n: st.tuples(render_phone(n), st.just(n)))


@PROPERTY_SETTINGS
@given(batches(_rendered()))
def test_every_notation_gives_the_national_number(pairs: list[tuple[str, str]]) -> None:
    out = normalise("phone", [written for written, _ in pairs])
    assert out == [national for _, national in pairs]


@PROPERTY_SETTINGS
@given(batches(jp_phone_national()))
def test_phonenumbers_oracle(nationals: list[str]) -> None:
    for national in nationals:
        parsed = phonenumbers.parse("+81" + national[1:], None)
        if phonenumbers.is_valid_number(parsed):
            assert normalise("phone", ["+81" + national[1:]]) == ["0" + str(parsed.national_number)]


@PROPERTY_SETTINGS
@given(batches(_rendered().map(lambda pair: pair[0])))
def test_phone_idempotent(written: list[str]) -> None:
    assert None not in check_idempotent("phone", written)


@PROPERTY_SETTINGS
@given(batches(_rendered().flatmap(lambda p: st.tuples(st.just(p[0]), width_variant(p[0])))))
def test_phone_width_insensitive(pairs: list[tuple[str, str]]) -> None:
    check_same_outputs("phone", pairs)


@PROPERTY_SETTINGS
@given(batches(_rendered().flatmap(lambda p: st.tuples(st.just(p[0]), dash_variant(p[0])))))
def test_phone_hyphen_insensitive(pairs: list[tuple[str, str]]) -> None:
    check_same_outputs("phone", pairs)


@PROPERTY_SETTINGS
@given(batches(st.text(max_size=30)))
def test_phone_of_any_text_is_null_or_a_national_number(texts: list[str]) -> None:
    for out in check_idempotent("phone", texts):
        assert out is None or (out.isascii() and out.isdigit() and out[0] == "0")
        assert out is None or len(out) in (10, 11)


POSTAL_EXAMPLES = [
    ("123-4567", "1234567"),
    ("1234567", "1234567"),
    ("〒123-4567", "1234567"),
    ("〒 123-4567", "1234567"),
    ("〒1234567", "1234567"),
    ("１２３－４５６７", "1234567"),
    ("〒１２３ー４５６７", "1234567"),
    ("123 4567", "1234567"),
    ("郵便番号：123-4567", "1234567"),
    ("〒123-4567 東京都三鷹市", "1234567"),
    ("600001", "0600001"),  # integer that lost its leading 0
    ("600001.0", "0600001"),
    ("1234567.0", "1234567"),
    ("12345", None),
    ("123-456", None),
    ("1234-567", None),
    ("123-45678", None),
    ("12345678", None),
    ("abc", None),
    ("", None),
    (None, None),
]


@pytest.mark.parametrize(("raw", "expected"), POSTAL_EXAMPLES)
def test_postal_examples(raw: str | None, expected: str | None) -> None:
    assert normalise("postal", [raw]) == [expected]


def test_postal_in_two_columns_is_joined() -> None:
    assert normalise_parts("postal", [("123", "4567"), ("〒123", None)]) == ["1234567", None]


@st.composite
def _postal(draw: st.DrawFn) -> tuple[str, str]:
    code = draw(st.from_regex(r"\A[0-9]{7}\Z"))
    dash = draw(st.sampled_from(["-", "－", "ー", "‐", "−", ""]))
    written = draw(st.sampled_from(["〒", "", "〒 "])) + code[:3] + dash + code[3:]
    if draw(st.booleans()):
        written = to_full_width(written)
    return written, code


@PROPERTY_SETTINGS
@given(batches(_postal()))
def test_postal_notations_give_seven_digits(pairs: list[tuple[str, str]]) -> None:
    written = [w for w, _ in pairs]
    assert check_idempotent("postal", written) == [code for _, code in pairs]
    check_same_outputs("postal", [(w, c) for w, c in pairs])


@PROPERTY_SETTINGS
@given(batches(st.text(max_size=20)))
def test_postal_of_any_text_is_null_or_seven_digits(texts: list[str]) -> None:
    for out in check_idempotent("postal", texts):
        assert out is None or (len(out) == 7 and out.isascii() and out.isdigit())
