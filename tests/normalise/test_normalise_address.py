"""Address: example pairs per rule, then properties on realistic addresses."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from normalise_testkit import (
    PROPERTY_SETTINGS,
    address_parts,
    batches,
    check_idempotent,
    check_same_outputs,
    dash_variant,
    normalise,
    normalise_parts,
    realistic_address,
    render_address,
    width_variant,
)

from verifydel.normalise.address import PREFECTURES, address_rules

MITAKA = "3鷹市下連雀3-20-12"

EXAMPLES = [
    # the brief's own example, and the notations that must agree with it
    ("東京都三鷹市下連雀三丁目二十番十二号 ビル101", MITAKA),
    ("三鷹市下連雀3-20-12", MITAKA),
    ("三鷹市下連雀３－２０－１２", MITAKA),
    ("三鷹市下連雀3丁目20-12", MITAKA),
    ("三鷹市下連雀3の20の12", MITAKA),
    ("三鷹市下連雀3丁目20番12号", MITAKA),
    ("三鷹市下連雀3丁目20番地12", MITAKA),
    ("三鷹市下連雀3ー20ー12", MITAKA),  # long vowel mark between digits
    ("三鷹市下連雀3ｰ20ｰ12", MITAKA),  # half-width long vowel mark
    ("三鷹市下連雀3−20−12", MITAKA),  # minus sign
    ("三鷹市下連雀3‐20‐12", MITAKA),  # hyphen
    ("三鷹市下連雀3—20—12", MITAKA),  # em dash
    ("三鷹市下連雀三―二十―十二", MITAKA),  # horizontal bar between kanji numerals
    ("三鷹市下連雀 3 - 20 - 12", MITAKA),
    ("三鷹市　下連雀　３丁目２０番１２号", MITAKA),  # ideographic spaces
    # prefecture optional, postal code and country dropped
    ("〒181-0013 東京都三鷹市下連雀3-20-12", MITAKA),
    ("〒1810013東京都三鷹市下連雀3-20-12", MITAKA),
    ("181-0013 三鷹市下連雀3-20-12", MITAKA),
    ("1810013東京都三鷹市下連雀3-20-12", MITAKA),  # code glued to a prefecture
    ("1810013三鷹市下連雀3-20-12", MITAKA),  # a leading postal code goes, 〒 or not (jp-2)
    ("〒 〒181-0013  181-0013 三鷹市下連雀3-20-12", MITAKA),
    ("日本 東京都三鷹市下連雀3-20-12", MITAKA),
    ("日本国東京都三鷹市下連雀3-20-12", MITAKA),
    ("日本国三鷹市下連雀3-20-12", MITAKA),
    ("日本橋1-1-1", "日本橋1-1-1"),  # 日本 only dropped before a prefecture
    ("京都府京都市中京区1-2", "京都市中京区1-2"),  # 京都府 is dropped, 京都市 stays
    ("東京都京都市中京区1-2", "京都市中京区1-2"),
    ("北海道札幌市中央区北一条西二丁目3番4号", "札幌市中央区北1条西2-3-4"),
    ("札幌市中央区北1条西2丁目3-4", "札幌市中央区北1条西2-3-4"),
    ("三重県津市1-2", "津市1-2"),  # a prefecture with a kanji numeral in it
    ("千葉県千葉市中央区千葉港1-1", "1000葉市中央区1000葉港1-1"),
    ("宮﨑県宮崎市1-2", "宮崎市1-2"),  # variant kanji folded before the prefecture goes
    # building, room and 4th number dropped
    ("三鷹市下連雀3-20-12 コーポ三鷹201", MITAKA),
    ("三鷹市下連雀3-20-12コーポ三鷹201", MITAKA),
    ("三鷹市下連雀3-20-12 405", MITAKA),
    ("三鷹市下連雀3-20-12-405", MITAKA),
    ("三鷹市下連雀3丁目20番12号 2号館 405号室", MITAKA),
    ("中央区銀座4-5-6 銀座ビル3F", "中央区銀座4-5-6"),
    ("中央区銀座4-5-6銀座ビル3F", "中央区銀座4-5-6"),
    # kanji numerals
    ("青木二十三番地", "青木23"),
    ("青木百五番地", "青木105"),
    ("青木千二百番地", "青木1200"),
    ("青木千二百三十四番地五", "青木1234-5"),
    ("青木一千二百三十四番地の五", "青木1234-5"),
    ("青木千五番地", "青木1005"),
    ("青木二〇一", "青木201"),
    ("青木一二三", "青木123"),
    # 番地 without 丁目, 大字/字 dropped
    ("大字青木123番地4", "青木123-4"),
    ("大字青木字中田123番地の4", "青木123-4"),  # the 小字 after 字 goes (jp-2)
    ("青木123-4", "青木123-4"),
    ("青木123番地", "青木123"),
    ("青木123", "青木123"),
    ("青木123 コーポ", "青木123"),
    ("青木5番 ビル", "青木5"),
    # ヶ ケ が ヵ folded, ノ to の
    ("ひばりが丘1-2", "ひばりヶ丘1-2"),
    ("ひばりケ丘1-2", "ひばりヶ丘1-2"),
    ("ひばりヵ丘1-2", "ひばりヶ丘1-2"),
    ("ひばりヶ丘1-2", "ひばりヶ丘1-2"),
    ("ﾋﾊﾞﾘｹ丘1-2", "ヒバリヶ丘1-2"),
    ("一ノ瀬1-2", "1の瀬1-2"),
    # place names whose numeral is not a block number
    ("八王子市旭町1-2", "8王子市旭町1-2"),
    ("四日市市本町1-2", "4日市市本町1-2"),
    ("中央区八丁堀3-1-1", "中央区8丁堀3-1-1"),
    ("千代田区三番町5-1", "1000代田区3番町5-1"),
    ("名古屋市熱田区一番1丁目2-3", "名古屋市熱田区一番1-2-3"),  # the town 一番 stays a word (jp-2)
    ("名古屋市熱田区1番1丁目2-3", "名古屋市熱田区1-1-2"),
    ("港区麻布十番1-2-3", "港区麻布十番1-2-3"),
    ("港区六本木六丁目10番1号", "港区6本木6-10-1"),
    # Latin letters lower-cased
    ("港区1-2-3 ABCビル", "港区1-2-3"),
    ("Minato-ku 1-2-3", "minato-ku1-2-3"),
    # no real value
    ("", None),
    ("   ", None),
    ("\u3000", None),
    ("-", None),
    ("不明", None),
    ("東京都", None),
    ("〒100-0001", None),
    (None, None),
]


@pytest.mark.parametrize(("raw", "expected"), EXAMPLES)
def test_address_examples(raw: str | None, expected: str | None) -> None:
    assert normalise("address", [raw]) == [expected]


def test_address_parts_are_joined_in_order_with_null_parts_skipped() -> None:
    rows = [
        ("東京都", "三鷹市", "下連雀3-20-12", "コーポ201"),
        (None, "三鷹市", "下連雀3丁目20番12号", None),
        ("青木", None, "123", "コーポ201"),  # the building column stays apart
        (None, None, None, None),
    ]
    assert normalise_parts("address", rows) == [MITAKA, MITAKA, "青木123", None]


def test_every_prefecture_is_dropped() -> None:
    out = normalise("address", [p + "テスト町1-2" for p in PREFECTURES])
    assert out == ["テスト町1-2"] * len(PREFECTURES)


def test_known_collision_prefecture_less_addresses_in_two_prefectures() -> None:
    # Documented ambiguity: 府中市 exists in 東京都 and 広島県.
    out = normalise("address", ["東京都府中市本町1-2", "広島県府中市本町1-2"])
    assert out[0] == out[1] == "府中市本町1-2"


def test_address_rule_keys_are_nfkc_stable() -> None:
    import unicodedata

    for key in address_rules():
        assert unicodedata.normalize("NFKC", key) == key, repr(key)


def _with(variant):  # type: ignore[no-untyped-def]
    return lambda value: st.tuples(st.just(value), variant(value))


@PROPERTY_SETTINGS
@given(batches(realistic_address()))
def test_address_idempotent_and_never_empty_for_a_real_address(addresses: list[str]) -> None:
    out = check_idempotent("address", addresses)
    assert None not in out


@PROPERTY_SETTINGS
@given(batches(address_parts().flatmap(lambda p: st.tuples(render_address(p), render_address(p)))))
def test_two_notations_of_one_address_agree(pairs: list[tuple[str, str]]) -> None:
    check_same_outputs("address", pairs)


@PROPERTY_SETTINGS
@given(batches(realistic_address().flatmap(_with(width_variant))))
def test_address_width_insensitive(pairs: list[tuple[str, str]]) -> None:
    check_same_outputs("address", pairs)


@PROPERTY_SETTINGS
@given(batches(realistic_address().flatmap(_with(dash_variant))))
def test_address_hyphen_insensitive(pairs: list[tuple[str, str]]) -> None:
    check_same_outputs("address", pairs)


@PROPERTY_SETTINGS
@given(batches(st.text(max_size=40)))
def test_address_of_any_text_is_null_or_non_empty_and_idempotent(texts: list[str]) -> None:
    check_idempotent("address", texts)
