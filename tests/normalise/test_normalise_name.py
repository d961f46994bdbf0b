"""Name and name reading: example pairs per rule, then properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from normalise_testkit import (
    PROPERTY_SETTINGS,
    batches,
    check_idempotent,
    check_same_outputs,
    kana_variant,
    name_pair,
    normalise,
    normalise_parts,
    realistic_name,
    width_variant,
)

NAME_EXAMPLES = [
    ("山田太郎", "山田太郎"),
    ("山田 太郎", "山田太郎"),
    ("山田\u3000太郎", "山田太郎"),
    (" 山田　太郎 ", "山田太郎"),
    ("山田・太郎", "山田太郎"),
    ("山田･太郎", "山田太郎"),  # half-width middle dot
    ("ジョン・スミス", "ジョンスミス"),
    ("ジョン=スミス", "ジョンスミス"),
    ("ｼﾞｮﾝ･ｽﾐｽ", "ジョンスミス"),
    ("John Smith", "johnsmith"),
    ("ＪＯＨＮ　ＳＭＩＴＨ", "johnsmith"),
    # honorifics dropped
    ("山田太郎様", "山田太郎"),
    ("山田太郎 様", "山田太郎"),
    ("山田太郎さま", "山田太郎"),
    ("山田太郎殿", "山田太郎"),
    ("山田太郎さん", "山田太郎"),
    ("山田太郎君", "山田太郎"),
    ("山田太郎くん", "山田太郎"),
    ("山田花子ちゃん", "山田花子"),
    ("株式会社山田商事御中", "株式会社山田商事"),
    ("山田様様", "山田"),
    ("山田樣", "山田"),  # old form of 様, folded first
    # variant kanji (the brief's list)
    ("髙橋一郎", "高橋一郎"),
    ("山﨑", "山崎"),
    ("渡邊", "渡辺"),
    ("渡邉", "渡辺"),
    ("澤田", "沢田"),
    ("濱田", "浜田"),
    ("濵田", "浜田"),
    ("齋藤", "斎藤"),
    ("齊藤", "斎藤"),
    ("斉藤", "斎藤"),
    ("國分", "国分"),
    ("廣瀬", "広瀬"),
    ("嶋田", "島田"),
    ("冨田", "富田"),
    ("德永", "徳永"),
    ("眞鍋", "真鍋"),
    ("櫻井", "桜井"),
    ("𠮷田", "吉田"),
    ("惠子", "恵子"),
    ("龜井", "亀井"),
    ("榮一", "栄一"),
    ("藪内", "薮内"),
    ("森鷗外", "森鴎外"),
    ("神\ufe00田", "神田"),  # variation selector dropped
    ("葛\U000e0100城", "葛城"),  # ideographic variation selector dropped
    ("館\uf92c", "館郎"),  # U+F92C compatibility ideograph: NFKC to 郎
    # digits are kept; a dash next to a digit is "-"
    ("山田2世", "山田2世"),
    ("山田太郎3ー1", "山田太郎3-1"),
    # no real value
    ("", None),
    ("  ", None),
    ("・", None),
    ("様", None),
    ("不明", None),
    ("N/A", None),
    ("???", None),
    (None, None),
]


@pytest.mark.parametrize(("raw", "expected"), NAME_EXAMPLES)
def test_name_examples(raw: str | None, expected: str | None) -> None:
    assert normalise("name", [raw]) == [expected]


def test_surname_and_given_name_columns_are_joined_in_order() -> None:
    rows = [("髙橋", "一郎"), ("高橋", None), (None, "一郎"), (None, None), ("高橋", "一郎 様")]
    assert normalise_parts("name", rows) == ["高橋一郎", "高橋", "一郎", None, "高橋一郎"]


KANA_EXAMPLES = [
    ("ヤマダ タロウ", "ヤマダタロウ"),
    ("やまだ たろう", "ヤマダタロウ"),
    ("ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダタロウ"),
    ("ヤマダ・タロウ", "ヤマダタロウ"),
    ("ジョン=スミス", "ジヨンスミス"),
    # small kana to large
    ("キャッシュ", "キヤツシユ"),
    ("きゃっしゅ", "キヤツシユ"),
    ("ァィゥェォッャュョヮヵヶ", "アイウエオツヤユヨワカケ"),
    ("ぁぃぅぇぉっゃゅょゎゕゖ", "アイウエオツヤユヨワカケ"),
    ("ㇰㇱㇲ", "クシス"),
    # voiced marks in every spelling
    ("ガ", "ガ"),
    ("が", "ガ"),
    ("か\u3099", "ガ"),
    ("か゛", "ガ"),
    ("ｶﾞ", "ガ"),
    ("ﾊﾟ", "パ"),
    ("ゔ", "ヴ"),
    ("ｳﾞｧｲｵﾚｯﾄ", "ヴアイオレツト"),
    # the long vowel mark is kept
    ("サトー", "サトー"),
    ("ｻﾄｰ", "サトー"),
    ("", None),
    ("\u3000", None),
    ("・", None),
    (None, None),
]


@pytest.mark.parametrize(("raw", "expected"), KANA_EXAMPLES)
def test_name_kana_examples(raw: str | None, expected: str | None) -> None:
    assert normalise("name_kana", [raw]) == [expected]


def test_kana_columns_are_joined_in_order() -> None:
    assert normalise_parts("name_kana", [("やまだ", "ﾀﾛｳ"), (None, None)]) == ["ヤマダタロウ", None]


@PROPERTY_SETTINGS
@given(batches(name_pair()))
def test_written_names_agree_with_their_standard_spelling(pairs: list[tuple[str, str]]) -> None:
    check_same_outputs("name", pairs)


@PROPERTY_SETTINGS
@given(batches(realistic_name()))
def test_name_idempotent_and_never_empty_for_a_real_name(names: list[str]) -> None:
    assert None not in check_idempotent("name", names)


@PROPERTY_SETTINGS
@given(batches(realistic_name().flatmap(lambda n: st.tuples(st.just(n), width_variant(n)))))
def test_name_width_insensitive(pairs: list[tuple[str, str]]) -> None:
    check_same_outputs("name", pairs)


@PROPERTY_SETTINGS
@given(batches(st.sampled_from(["山田", "Ｊｏｈｎ", "ﾔﾏﾀﾞ"]).flatmap(
    lambda n: st.tuples(st.integers(0, 99), st.sampled_from(["-", "ー", "－", "‐", "−", "ｰ"])).map(
        lambda t: (f"{n}{t[0]}-1", f"{n}{t[0]}{t[1]}1")))))
def test_name_hyphen_insensitive(pairs: list[tuple[str, str]]) -> None:
    check_same_outputs("name", pairs)


@PROPERTY_SETTINGS
@given(batches(st.text(max_size=30)))
def test_name_of_any_text_is_null_or_non_empty_and_idempotent(texts: list[str]) -> None:
    check_idempotent("name", texts)


@PROPERTY_SETTINGS
@given(batches(kana_variant()))
def test_readings_in_any_script_and_width_agree(pairs: list[tuple[str, str]]) -> None:
    check_same_outputs("name_kana", pairs)
    assert None not in check_idempotent("name_kana", [p[0] for p in pairs])


@PROPERTY_SETTINGS
@given(batches(kana_variant().flatmap(lambda p: st.tuples(st.just(p[0]), width_variant(p[0])))))
def test_name_kana_width_insensitive(pairs: list[tuple[str, str]]) -> None:
    check_same_outputs("name_kana", pairs)


@PROPERTY_SETTINGS
@given(batches(st.text(max_size=30)))
def test_name_kana_of_any_text_is_null_or_non_empty_and_idempotent(texts: list[str]) -> None:
    check_idempotent("name_kana", texts)
