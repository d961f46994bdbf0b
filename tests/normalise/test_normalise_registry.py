"""The public front (field_expr, version) and the shared tables."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from normalise_testkit import (
    PROPERTY_SETTINGS,
    batches,
    jp_phone_national,
    kana_variant,
    normalise,
    normalise_parts,
    realistic_address,
    realistic_name,
    render_phone,
)

from verifydel import fields
from verifydel.errors import UsageError
from verifydel.normalise import NORMALISATION_VERSION, field_expr
from verifydel.normalise import _text
from verifydel.normalise._numerals import THOUSANDS_MARK, kanji_numeral, kanji_numeral_table
from verifydel.normalise._variant_kanji import JOYO_OLD_FORMS, VARIANT_KANJI
from verifydel.normalise._address_rules import KOAZA_MARK
from verifydel.normalise.address import address_rules, address_table
from verifydel.normalise.name import name_rules, name_table
from verifydel.normalise.name_kana import name_kana_rules, name_kana_table


def test_version_is_a_short_identifier() -> None:
    assert NORMALISATION_VERSION == "jp-2"


def test_unknown_field_is_a_usage_error_with_a_hint() -> None:
    with pytest.raises(UsageError) as caught:
        field_expr("nickname", [pl.col("a")])
    assert "name_kana" in str(caught.value)


def test_no_column_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        field_expr("name", [])


MIXED = ["", " ", "\u3000", "-", "不明", "n/a", "・", "NULL", None, "x"]


@pytest.mark.parametrize("field", fields.FIELDS)
def test_every_field_gives_a_string_column_and_never_an_empty_string(field: str) -> None:
    frame = pl.DataFrame({"v": MIXED}, schema={"v": pl.String})
    out = frame.select(field_expr(field, [pl.col("v")])).to_series()
    assert out.dtype == pl.String
    assert out.to_list() == [None] * len(MIXED)


@pytest.mark.parametrize("field", fields.FIELDS)
def test_every_field_keeps_the_row_count_and_order_with_several_columns(field: str) -> None:
    rows = [(None, None), ("", ""), (" ", None)]
    assert normalise_parts(field, rows) == [None, None, None]


def test_phone_with_several_columns_takes_the_first_that_normalises() -> None:
    rows = [("不明", "090-1234-5678"), ("03-1234-5678", "090-1234-5678"), (None, "12")]
    assert normalise_parts("phone", rows) == ["09012345678", "0312345678", None]


def test_phone_columns_are_not_joined() -> None:
    # joined, "03" + "1234-5678" would make a number; each column is a candidate
    assert normalise_parts("phone", [("03", "1234-5678")]) == [None]


# --- the variant-kanji table ---------------------------------------------------
def test_variant_table_keys_and_values_are_single_nfkc_stable_code_points() -> None:
    for key, value in VARIANT_KANJI.items():
        assert len(key) == len(value) == 1
        assert unicodedata.normalize("NFKC", key) == key
        assert unicodedata.normalize("NFKC", value) == value


def test_variant_table_is_closed_so_folding_twice_changes_nothing() -> None:
    assert not set(VARIANT_KANJI.values()) & set(VARIANT_KANJI)


def test_variant_table_holds_every_joyo_old_form_that_nfkc_does_not_fold() -> None:
    assert len(JOYO_OLD_FORMS) == 302  # 364 parenthesised forms, 62 folded by NFKC
    brief = "髙﨑邊邉澤濱濵齋齊國廣嶋冨德眞櫻𠮷惠龜榮藪"
    assert all(c in VARIANT_KANJI for c in brief)


# --- kanji numerals -----------------------------------------------------------
@pytest.mark.parametrize(
    ("n", "kanji"),
    [(1, "一"), (10, "十"), (23, "二十三"), (105, "百五"), (1200, "千二百"), (9999, "九千九百九十九")],
)
def test_kanji_numeral_spelling(n: int, kanji: str) -> None:
    assert kanji_numeral(n) == kanji


def test_numeral_table_spells_every_number_below_a_thousand() -> None:
    table = kanji_numeral_table()
    assert all(table[kanji_numeral(n)] == str(n) for n in range(1, 1000))


# --- the composed literal tables --------------------------------------------------
@pytest.mark.parametrize("rules", [address_rules, name_rules, name_kana_rules])
def test_field_rule_keys_are_nfkc_stable(rules: Callable[[], dict[str, str]]) -> None:
    for key in rules():
        assert unicodedata.normalize("NFKC", key) == key, repr(key)


@pytest.mark.parametrize("table", [address_table, name_table, name_kana_table, _text.nfkc_only])
def test_composed_tables_are_idempotent_on_their_own_output(
    table: Callable[[], _text.LiteralTable],
) -> None:
    literal = table()
    for value in set(literal.mapping.values()):
        if THOUSANDS_MARK in value or KOAZA_MARK in value:  # resolved by the address's regexes, never output
            continue
        assert literal.apply_to_text(value) == value, repr(value)


def test_nfkc_table_covers_every_code_point_nfkc_changes() -> None:
    table = _text.nfkc_table()
    for code in range(_text.NFKC_SCAN_END):
        char = chr(code)
        if 0xD800 <= code < 0xE000:
            continue
        normal = unicodedata.normalize("NFKC", char)
        if normal != char:
            assert table[char] == normal, hex(code)


def test_nfkc_table_agrees_with_str_normalize_on_japanese_text() -> None:
    texts = ["ｶﾞｷﾞｸﾞ ﾊﾟﾋﾟ", "１２３ＡＢＣ（株）", "㈱山田　①②", "か\u3099き\u3099", "神﨑 髙橋", "ｰ－〜～"]
    frame = pl.DataFrame({"v": texts})
    ours = frame.select(_text.nfkc_only().apply(pl.col("v"))).to_series().to_list()
    assert ours == [unicodedata.normalize("NFKC", t) for t in texts]


def _nfkc_pairs(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[tuple[str, str]]:
    return strategy.map(lambda s: (s, unicodedata.normalize("NFKC", s)))


@PROPERTY_SETTINGS
@given(
    batches(_nfkc_pairs(realistic_address())),
    batches(_nfkc_pairs(realistic_name())),
    batches(_nfkc_pairs(kana_variant().map(lambda p: p[0]))),
    batches(_nfkc_pairs(jp_phone_national().flatmap(render_phone))),
)
def test_the_nfkc_table_gives_what_str_normalize_gives(
    addresses: list[tuple[str, str]],
    names: list[tuple[str, str]],
    readings: list[tuple[str, str]],
    phones: list[tuple[str, str]],
) -> None:
    by_field = {"address": addresses, "name": names, "name_kana": readings, "phone": phones}
    for field, pairs in by_field.items():
        raw = normalise(field, [p[0] for p in pairs])
        nfkc_first = normalise(field, [p[1] for p in pairs])
        assert raw == nfkc_first
