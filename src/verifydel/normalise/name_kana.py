"""Name reading (フリガナ): one column, or セイ + メイ joined in order.

1. NFKC (as a table, in the same pass as step 2: see ``_text``): half-width
   kana become full-width, ｶﾞ and か + U+3099 become ガ/が; so does か゛
   with the spacing mark.
2. One literal pass (Aho-Corasick): hiragana to katakana, small kana to
   large (ァ→ア ... ッ→ツ, ャュョ→ヤユヨ, ヮ→ワ, ヵ→カ, ヶ→ケ), spaces, middle
   dots and "=" dropped, Latin letters lower-cased.
3. ー next to a digit to "-"; empty, placeholder or punctuation-only: null.

The long vowel mark stays: サトー and サトウ are different spellings.
"""

from __future__ import annotations

from functools import cache
from typing import Final

import polars as pl

from verifydel.normalise import _text
from verifydel.normalise.name import name_separator_rules

#: Hiragana U+3041..U+3096 and ゝゞ sit exactly 0x60 below their katakana.
_HIRAGANA_RANGE: Final[range] = range(0x3041, 0x3097)
_ITERATION_MARKS: Final[dict[str, str]] = {"ゝ": "ヽ", "ゞ": "ヾ"}

#: Small katakana to large (after hiragana became katakana).
SMALL_TO_LARGE: Final[dict[str, str]] = {
    "ァ": "ア", "ィ": "イ", "ゥ": "ウ", "ェ": "エ", "ォ": "オ", "ッ": "ツ",
    "ャ": "ヤ", "ュ": "ユ", "ョ": "ヨ", "ヮ": "ワ", "ヵ": "カ", "ヶ": "ケ",
    "ㇰ": "ク", "ㇱ": "シ", "ㇲ": "ス", "ㇳ": "ト", "ㇴ": "ヌ", "ㇵ": "ハ",
    "ㇶ": "ヒ", "ㇷ": "フ", "ㇸ": "ヘ", "ㇹ": "ホ", "ㇺ": "ム", "ㇻ": "ラ",
    "ㇼ": "リ", "ㇽ": "ル", "ㇾ": "レ", "ㇿ": "ロ",
}  # fmt: skip


def _to_katakana(c: str) -> str:
    kata = _ITERATION_MARKS.get(c) or (chr(ord(c) + 0x60) if ord(c) in _HIRAGANA_RANGE else c)
    return SMALL_TO_LARGE.get(kata, kata)


@cache
def name_kana_rules() -> dict[str, str]:
    """The reading's own literal rules (applied after NFKC, in the same pass)."""
    table: dict[str, str] = {}
    for code in list(_HIRAGANA_RANGE) + [ord(c) for c in _ITERATION_MARKS]:
        table[chr(code)] = _to_katakana(chr(code))
    table.update(SMALL_TO_LARGE)
    table.update(name_separator_rules())
    return table


@cache
def name_kana_table() -> _text.LiteralTable:
    """Steps 1 and 2 in one table."""
    return _text.LiteralTable.build(_text.with_nfkc(name_kana_rules()))


def normalise_name_kana(value: pl.Expr) -> pl.Expr:
    """The canonical reading in large katakana, or null."""
    text = name_kana_table().apply(value)
    text = _text.long_vowel_mark_next_to_digit_to_hyphen(text)
    return _text.real_value_or_null(text)
