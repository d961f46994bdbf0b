"""Name (氏名): one column, or 姓 + 名 joined in order.

1. NFKC (as a table, in the same pass as step 2: see ``_text``).
2. One literal pass (Aho-Corasick): old and variant kanji folded
   (``_variant_kanji``: 髙→高, 﨑→崎, 邊/邉→辺 ...), spaces (U+3000 included),
   middle dots (・ · ･) and "=" between the parts dropped, dashes that are
   never letters to "-", Latin letters lower-cased, variation selectors dropped.
3. ー next to a digit to "-" (digits are kept as they are).
4. Trailing honorifics dropped (様, 殿, さん, 君, くん, ちゃん, 御中 ..., repeated
   ones too: 山田様様).
5. Empty, placeholder (不明, なし, n/a ...) or punctuation-only values: null.
"""

from __future__ import annotations

from functools import cache
from typing import Final

import polars as pl

from verifydel.normalise import _text
from verifydel.normalise._variant_kanji import VARIANT_KANJI

#: Separators written between name parts (山田・太郎, ジョン=スミス, 山田 太郎).
NAME_PART_SEPARATORS: Final[str] = "・·•‧=゠"

#: Honorifics and titles dropped from the end of a name, after variant
#: folding (so 樣 is 様 by then). Longest first is not needed: the regex
#: repeats the group up to the end.
HONORIFICS: Final[tuple[str, ...]] = (
    "様", "さま", "サマ", "殿", "どの", "さん", "サン", "君", "くん", "クン",
    "ちゃん", "チャン", "御中", "氏", "先生",
)  # fmt: skip

HONORIFIC_SUFFIX_REGEX: Final[str] = "(?:" + "|".join(HONORIFICS) + ")+$"


@cache
def name_separator_rules() -> dict[str, str]:
    """What a name and its reading both drop or fold: spaces and part separators,
    variation selectors, stray combining kana marks, dashes between letters, ASCII case."""
    table: dict[str, str] = {}
    table.update(_text.removal_table(_text.WHITESPACE_CHARS))
    table.update(_text.removal_table(NAME_PART_SEPARATORS))
    table.update(_text.removal_table(_text.VARIATION_SELECTORS))
    table.update(_text.removal_table(_text.COMBINING_KANA_MARKS))
    table.update(_text.non_letter_dash_table())
    table.update(_text.ascii_lowercase_table())
    return table


@cache
def name_rules() -> dict[str, str]:
    """The name's own literal rules (applied after NFKC, in the same pass)."""
    table: dict[str, str] = {}
    table.update(VARIANT_KANJI)
    table.update(name_separator_rules())
    return table


@cache
def name_table() -> _text.LiteralTable:
    """Steps 1 and 2 in one table."""
    return _text.LiteralTable.build(_text.with_nfkc(name_rules()))


def normalise_name(value: pl.Expr) -> pl.Expr:
    """The canonical name, or null."""
    text = name_table().apply(value)
    text = _text.long_vowel_mark_next_to_digit_to_hyphen(text)
    text = text.str.replace(HONORIFIC_SUFFIX_REGEX, "")
    return _text.real_value_or_null(text)
