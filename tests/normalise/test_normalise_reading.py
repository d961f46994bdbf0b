"""Reading keys (normalise.reading): kana and romaji spellings of one reading agree, others do not."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import jaconv
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from normalise_testkit import PROPERTY_SETTINGS, batches, kana_variant, width_variant

from verifydel.normalise._text import PLACEHOLDERS
from verifydel.normalise.batch import normalise_batch, normalise_batch_reference
from verifydel.normalise.reading import reading_keys


def keys(values: Sequence[str | None]) -> list[list[str] | None]:
    frame = pl.DataFrame({"v": list(values)}, schema={"v": pl.String})
    return frame.select(reading_keys(pl.col("v"))).to_series().to_list()


def agree(a: str, b: str) -> bool:
    ka, kb = keys([a, b])
    return bool(ka and kb and set(ka) & set(kb))


# Each class of spelling, against the reading as a leaked set writes it (katakana, family first).
AGREEING = [
    # kana scripts and widths
    ("hiragana", "さとう たろう", "サトウ タロウ"),
    ("half-width katakana", "ｻﾄｳ ﾀﾛｳ", "サトウ タロウ"),
    ("half-width, sound marks", "ｶﾞｸﾄ ｹﾞﾝ", "ガクト ゲン"),
    ("small kana as large (legacy systems)", "キヨウコ", "キョウコ"),
    ("small tsu as large", "ハツトリ", "ハットリ"),
    ("long vowel mark", "サトー", "サトウ"),
    ("honorific after a kana name", "サトウ タロウ 様", "サトウ タロウ"),
    ("no space", "サトウタロウ", "サトウ タロウ"),
    ("middle dot", "サトウ・タロウ", "サトウ タロウ"),
    # romaji: case, order, long vowels
    ("passport, family first", "SATO TARO", "サトウ タロウ"),
    ("given name first", "Taro Sato", "サトウ タロウ"),
    ("macrons", "Satō Tarō", "サトウ タロウ"),
    ("circumflex", "Satô Tarô", "サトウ タロウ"),
    ("oh for a long o", "TARO SATOH", "サトウ タロウ"),
    ("ou for a long o", "Satou Tarou", "サトウ タロウ"),
    ("full-width romaji", "ＳＡＴＯ　ＴＡＲＯ", "サトウ タロウ"),
    ("comma between the parts", "SATO, Taro", "サトウ タロウ"),
    ("oo for おお", "Oohashi", "オオハシ"),
    ("oh before a vowel is お + は", "OHASHI", "オオハシ"),
    ("oh before a consonant", "OHNO", "オオノ"),
    ("uu", "Yuuko", "ユウコ"),
    ("macron u", "Yūko", "ユウコ"),
    # Hepburn and kunrei
    ("shi/si", "Shimizu", "シミズ"),
    ("kunrei si", "Simizu", "シミズ"),
    ("chi/ti", "Chiba", "チバ"),
    ("kunrei ti", "Tiba", "チバ"),
    ("tsu/tu", "Tsutsumi", "ツツミ"),
    ("kunrei tu", "Tutumi", "ツツミ"),
    ("fu/hu", "Fujita", "フジタ"),
    ("kunrei hu zi", "Huzita", "フジタ"),
    ("sha/sya", "Shoji", "ショウジ"),
    ("kunrei syo", "Syozi", "ショウジ"),
    ("cha/tya", "Chōno", "チョウノ"),
    ("ja/zya", "Jun'ya", "ジュンヤ"),
    ("kunrei zyu", "Zyunya", "ジュンヤ"),
    ("di for ぢ", "Chidimi", "チヂミ"),
    ("du/dzu for づ", "Tsudzuki", "ツヅキ"),
    ("yoon", "Ryota", "リョウタ"),
    ("kyo", "Kyōko", "キョウコ"),
    # っ, ん
    ("double consonant", "Hattori", "ハットリ"),
    ("ssh", "Isshiki", "イッシキ"),
    ("tch", "Hotchi", "ホッチ"),
    ("m before m", "Homma", "ホンマ"),
    ("m before b", "Namba", "ナンバ"),
    ("n apostrophe", "Shin'ichi", "シンイチ"),
    ("n without apostrophe", "Shinichi", "シンイチ"),
    ("n before y is ん", "Shinya", "シンヤ"),
    ("n before n", "Kanna", "カンナ"),
    ("hyphen", "Jun-ichi", "ジュンイチ"),
]


@pytest.mark.parametrize(("kind", "written", "reading"), AGREEING, ids=[a[0] for a in AGREEING])
def test_spellings_of_one_reading_agree(kind: str, written: str, reading: str) -> None:
    assert agree(written, reading), (kind, keys([written, reading]))


NOT_AGREEING = [
    ("サトウ", "サイトウ"),
    ("ヤマダ タロウ", "ヤマダ ジロウ"),
    ("SATO TARO", "ヤマダ タロウ"),
    ("SAITO", "サトウ"),
    ("Hattori", "ハトリ"),  # っ is kept
    ("Kanna", "カナ"),  # ん is kept
    ("Keiko", "ケコ"),  # ei is not a long e
    ("Yamada Hanako", "ヤマダ タロウ"),
    ("さとう たろう", "SATO JIRO"),
    ("Shinya", "シニャ"),  # n + y is ん + や
    ("Taro", "サトウ タロウ"),  # a part of the name is not the name
    ("スズキ", "SUZUKA"),
]


@pytest.mark.parametrize(("a", "b"), NOT_AGREEING)
def test_different_readings_do_not_agree(a: str, b: str) -> None:
    assert not agree(a, b), keys([a, b])


@pytest.mark.parametrize(
    "value",
    ["佐藤太郎", "佐藤 タロウ", "山田 TARO", "ヤマダ2世", "N/A", "none", "なし", "NULL", "xxx", "", "  ", "様",
     "T. Sato", "a@b.jp", None],
)  # fmt: skip
def test_kanji_digits_placeholders_and_nothing_give_no_key(value: str | None) -> None:
    assert keys([value]) == [None]


def test_two_tokens_give_both_orders_others_as_written() -> None:
    assert keys(["Taro Sato", "サトウ", "John Ronald Smith"]) == [
        ["tarosato", "satotaro"], ["sato"], ["ziyonronaldsmith"],
    ]


# --- jaconv (MIT) as an independent Hepburn oracle ----------------------------------------
# The kana table and the romaji folding are written separately; jaconv's kana → Hepburn
# then the folding must land where the table lands. Left out: っ before ち (jaconv writes
# "xtsuchi"), にゃ/にゅ/にょ (Hepburn "nya" is read as ん + や) and ひゃ/ひゅ/ひょ (after an
# o, "ohya" is read as a long o: OHYAMA is オオヤマ): documented costs.
_SYLLABLES = [
    c for c in "あいうえおかきくけこがぎぐげごさしすせそざじずぜぞたちつてとだでどなにぬねの"
    "はひふへほばびぶべぼぱぴぷぺぽまみむめもやゆよらりるれろわ"
] + [k + s for k in "きぎしじちびぴみり" for s in "ゃゅょ"] + ["ぢ", "づ", "を"]
_GEMINABLE = [s for s in _SYLLABLES if s[0] in "かきくけこさしすせそたつてとぱぴぷぺぽ"]


@st.composite
def hiragana_name(draw: st.DrawFn) -> str:
    parts = [draw(st.sampled_from(_SYLLABLES))]  # っ or ん never start a name
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["plain", "plain", "plain", "geminate", "n", "long"]))
        if kind == "geminate":
            parts.append("っ" + draw(st.sampled_from(_GEMINABLE)))
        elif kind == "n":
            parts.append("ん" + draw(st.sampled_from([s for s in _SYLLABLES if s[0] not in "あいうえおやゆよを"])))
        elif kind == "long":
            parts.append(draw(st.sampled_from(["こう", "とう", "ゆう", "しょう", "きょう", "おお", "りょう"])))
        else:
            parts.append(draw(st.sampled_from(_SYLLABLES)))
    return "".join(parts)


@PROPERTY_SETTINGS
@given(batches(hiragana_name()))
def test_kana_table_agrees_with_jaconv_hepburn(names: list[str]) -> None:
    # a one-syllable name whose romaji is a placeholder (な → "na", read as N/A) is no
    # romaji name: only the kana says it is a name
    names = [n for n in names if jaconv.kana2alphabet(n).lower() not in PLACEHOLDERS]
    hepburn = [jaconv.kana2alphabet(n) for n in names]
    assert keys(names) == keys(hepburn), list(zip(names, hepburn))


# --- properties ---------------------------------------------------------------------------
_ROMAJI_PARTS = ["Sato", "SATOH", "Tarō", "Itō", "Ohno", "Kyoko", "Hattori", "Jun'ichi", "Homma",
                 "Yuuko", "shinya", "TSUTSUMI", "Fujita"]  # fmt: skip


@st.composite
def reading_value(draw: st.DrawFn) -> str:
    """A name written in kana (any script, width, separator) or in romaji."""
    if draw(st.booleans()):
        return draw(kana_variant())[0]
    if draw(st.booleans()):
        return draw(hiragana_name())
    parts = draw(st.lists(st.sampled_from(_ROMAJI_PARTS), min_size=1, max_size=3))
    return draw(st.sampled_from([" ", "　", ", ", "・"])).join(parts)


@PROPERTY_SETTINGS
@given(batches(reading_value()))
def test_keys_idempotent_and_never_empty_for_a_real_reading(values: list[str]) -> None:
    got = keys(values)
    for value, ks in zip(values, got):
        assert ks and all(ks), value
    # a key is its own key, but for the few spelled like a placeholder (ナ is "na", N/A's "na")
    every = [k for ks in got for k in ks if k not in PLACEHOLDERS]
    assert keys(every) == [[k] for k in every]


@PROPERTY_SETTINGS
@given(batches(reading_value().flatmap(lambda v: st.tuples(st.just(v), width_variant(v)))))
def test_keys_width_insensitive(pairs: list[tuple[str, str]]) -> None:
    assert keys([a for a, _ in pairs]) == keys([b for _, b in pairs])


@PROPERTY_SETTINGS
@given(batches(reading_value()))
def test_keys_of_the_nfkc_form_are_the_keys(values: list[str]) -> None:
    assert keys(values) == keys([unicodedata.normalize("NFKC", v) for v in values])


@PROPERTY_SETTINGS
@given(batches(st.text(max_size=30)))
def test_keys_of_any_text_are_null_or_non_empty(texts: list[str]) -> None:
    for ks in keys(texts):
        assert ks is None or (ks and all(ks))


# --- the batch ----------------------------------------------------------------------------
def test_a_rows_readings_come_from_its_kana_column_and_its_kana_or_romaji_name() -> None:
    batch = pl.DataFrame(
        {
            "氏名": ["佐藤 太郎", "SATO TARO", "さとう たろう", "佐藤 太郎", None, "Taro Sato"],
            "フリガナ": ["サトウ タロウ", None, None, "ｻﾄｳ ﾀﾛｳ", None, "サトウ タロウ"],
        }
    )
    columns = {"name": ["氏名"], "name_kana": ["フリガナ"]}
    expected = [
        ["satotaro", "tarosato"], ["satotaro", "tarosato"], ["satotaro", "tarosato"],
        ["satotaro", "tarosato"], [], ["satotaro", "tarosato"],
    ]  # fmt: skip
    big = pl.concat([batch] * 400)  # past FAST_MIN_ROWS: the distinct-value path
    assert normalise_batch(batch, columns)["name_kana"].to_list() == expected
    assert normalise_batch(big, columns)["name_kana"].to_list() == expected * 400
    assert normalise_batch_reference(big, columns)["name_kana"].to_list() == expected * 400


def test_split_name_and_kana_columns_are_joined() -> None:
    batch = pl.DataFrame({"姓": ["Sato"], "名": ["Taro"], "セイ": ["ｻﾄｳ"], "メイ": ["ﾀﾛｳ"]})
    got = normalise_batch(batch, {"name": ["姓", "名"], "name_kana": ["セイ", "メイ"]})["name_kana"]
    assert got.to_list() == [["satotaro", "tarosato"]]


def test_no_name_or_kana_column_gives_empty_lists() -> None:
    batch = pl.DataFrame({"tel": ["0312345678"]})
    assert normalise_batch(batch, {"phone": ["tel"]})["name_kana"].to_list() == [[]]

