"""Rules every field shares: NFKC, dashes, whitespace, blanks and placeholders.

Everything here builds polars expressions or the literal tables that
``str.replace_many`` applies (Aho-Corasick: one pass over the text whatever the
number of patterns).

NFKC is applied as a table, not with ``str.normalize("NFKC")``: for every code
point that NFKC changes (4,866 of them below U+30000: full-width ASCII,
half-width kana, compatibility ideographs, circled numbers, ㈱ ...) the table
maps it to its NFKC form, and for every base + combining mark pair that NFC
composes (か + U+3099, ｶ + ﾞ, e + U+0301 ...) to the composed form. The field's
own literal rules are composed into the same table, so NFKC and the field's
character work cost one pass (measured: ``str.normalize`` alone cost more than
the whole composed pass; docs/normalisation.md). The result equals
``str.normalize("NFKC")`` followed by the field's rules except for sequences of
several combining marks on one base (not composed in canonical order), which
Japanese personal data does not hold; tests check the equality on realistic
values and on every single code point. One deliberate difference: the spacing
sound marks ゛ ゜ after a kana compose with it (か゛ is が), where NFKC would
leave a space between them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Final

import polars as pl

#: Dash-like characters as they can stand after NFKC. NFKC already turns
#: U+FF0D (full-width hyphen-minus) and U+FE63 into "-", U+2011 into U+2010 and
#: U+FF70 (half-width long vowel mark) into U+30FC, so these are the ones left.
#: Every one of them next to a digit means "-". The katakana long vowel mark
#: U+30FC (ー) is a letter in words (サーバー), so it becomes "-" only next to a
#: digit; the others are never letters and become "-" wherever they stand.
NON_LETTER_DASHES: Final[str] = "\u2010\u2012\u2013\u2014\u2015\u2212\u2500\u2501\u2043"
LONG_VOWEL_MARK: Final[str] = "\u30fc"
#: Every dash-like character after NFKC, as a regex character class body.
DASH_CLASS: Final[str] = "\\-" + NON_LETTER_DASHES + LONG_VOWEL_MARK

#: Combining (sound) marks NFKC leaves alone when nothing precedes them that
#: they can combine with (NFKC turns the spacing mark ゛ into space + U+3099).
COMBINING_KANA_MARKS: Final[str] = "\u3099\u309a"

#: Whitespace characters that can survive NFKC (it maps U+3000, NBSP and the
#: typographic spaces to U+0020), plus zero-width characters that data
#: exports leave behind.
WHITESPACE_CHARS: Final[str] = " \t\n\r\f\v\u200b\u200c\u200d\u2060\ufeff"

#: Variation selectors (standardised and ideographic, U+FE00-FE0F and
#: U+E0100-E01EF): they pick a glyph, not a character, so they are dropped.
VARIATION_SELECTORS: Final[tuple[str, ...]] = tuple(
    [chr(c) for c in range(0xFE00, 0xFE10)] + [chr(c) for c in range(0xE0100, 0xE01F0)]
)

#: Values that stand for "no value" in exported data; compared after the
#: field's own normalisation (so in lower case, without spaces).
PLACEHOLDERS: Final[frozenset[str]] = frozenset(
    {
        "-", "--", "ー", "null", "none", "nil", "nan", "n/a", "na", "#n/a", "undefined",
        "x", "xx", "xxx", "xxxx", "不明", "なし", "無し", "該当なし", "未設定", "未入力",
        "未記入", "未定", "空欄", "記入なし",
    }
)  # fmt: skip

def ascii_lowercase_table() -> dict[str, str]:
    """A-Z and the Latin-1 capitals À-Þ to lower case (after NFKC full-width
    Latin letters are ASCII). Cheaper than ``str.to_lowercase`` because it
    joins the field's single character pass."""
    table = {chr(c): chr(c + 32) for c in range(ord("A"), ord("Z") + 1)}
    table.update({chr(c): chr(c + 32) for c in range(0xC0, 0xDF) if c != 0xD7})
    return table


def removal_table(chars: Iterable[str]) -> dict[str, str]:
    """Patterns that are simply dropped."""
    return {c: "" for c in chars}


def non_letter_dash_table() -> dict[str, str]:
    """Dashes that are never letters: to "-" wherever they stand."""
    return {c: "-" for c in NON_LETTER_DASHES}


#: NFKC changes no code point at or above this one that personal data holds
#: (planes 0-2: everything up to the CJK compatibility supplement).
NFKC_SCAN_END: Final[int] = 0x30000
#: Kana sound marks and their NFKC-variant spellings: the half-width ﾞ ﾟ and
#: the spacing ゛ ゜, each with the combining mark it stands for.
_SOUND_MARK_SPELLINGS: Final[dict[str, str]] = {
    "\u3099": "\u3099", "\u309a": "\u309a", "\uff9e": "\u3099", "\uff9f": "\u309a",
    "\u309b": "\u3099", "\u309c": "\u309a",
}  # fmt: skip


@cache
def nfkc_table() -> dict[str, str]:
    """{text: its NFKC form} for every single code point NFKC changes, and
    for every base + combining mark pair NFC composes (also written with the
    half-width or spacing kana marks, and with a half-width kana base)."""
    table: dict[str, str] = {}
    for code in range(NFKC_SCAN_END):
        char = chr(code)
        if unicodedata.decomposition(char) and not 0xD800 <= code < 0xE000:
            normal = unicodedata.normalize("NFKC", char)
            if normal != char:
                table[char] = normal
    half_width_of: dict[str, list[str]] = {}
    for char, normal in table.items():
        if 0xFF61 <= ord(char) <= 0xFF9F:
            half_width_of.setdefault(normal, []).append(char)
    for code in range(NFKC_SCAN_END):
        decomposition = unicodedata.decomposition(chr(code))
        if not decomposition or decomposition.startswith("<"):
            continue
        parts = [chr(int(p, 16)) for p in decomposition.split()]
        if len(parts) != 2 or unicodedata.normalize("NFC", "".join(parts)) != chr(code):
            continue
        base, mark = parts
        composed = unicodedata.normalize("NFKC", chr(code))
        table.setdefault(base + mark, composed)
        if mark in "\u3099\u309a":
            for base_spelling in [base, *half_width_of.get(base, [])]:
                for mark_spelling, meaning in _SOUND_MARK_SPELLINGS.items():
                    if meaning == mark:
                        table.setdefault(base_spelling + mark_spelling, composed)
    return table


def apply_table(table: Mapping[str, str], text: str, *, longest: int | None = None) -> str:
    """What ``LiteralTable.apply`` does, in Python, for building tables and
    tests: leftmost match, longest pattern first. ``longest`` is the length
    of the longest pattern (computed when not given)."""
    if longest is None:
        longest = max(map(len, table), default=0)
    out: list[str] = []
    i = 0
    while i < len(text):
        for length in range(min(longest, len(text) - i), 0, -1):
            replacement = table.get(text[i : i + length])
            if replacement is not None:
                out.append(replacement)
                i += length
                break
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


@cache
def composing_marks() -> frozenset[str]:
    """The combining marks that some base + mark pair of ``nfkc_table`` composes."""
    return frozenset(
        text[1] for text in nfkc_table() if len(text) == 2 and unicodedata.combining(text[1])
    )


def with_nfkc(field_table: Mapping[str, str]) -> dict[str, str]:
    """The field's literal table composed after NFKC: one table that does
    both. Every key of ``field_table`` must be NFKC-stable (tested).

    A composing mark left alone (after a space, or a second mark on one
    base) is dropped: otherwise removing the space would bring it next to a
    letter it composes with on the next pass, and normalising would not be
    idempotent (A + ´ is "a", space, U+0301 after NFKC).
    """
    extended = {**{mark: "" for mark in composing_marks()}, **field_table}
    longest = max(map(len, extended), default=0)
    composed = dict(extended)
    for text, normal in nfkc_table().items():
        composed.setdefault(text, apply_table(extended, normal, longest=longest))
    return composed


@dataclass(frozen=True)
class LiteralTable:
    """A literal replacement table, ready for ``str.replace_many``.

    Applied leftmost-first with the patterns ordered longest first: where
    several patterns start at the same place the longest wins (二十三 before
    二十), which is what ``apply_table`` does in Python.
    """

    mapping: Mapping[str, str]
    patterns: pl.Series
    replacements: pl.Series
    longest: int

    @classmethod
    def build(cls, mapping: Mapping[str, str]) -> LiteralTable:
        patterns = sorted(mapping, key=lambda p: (-len(p), p))
        return cls(
            mapping=dict(mapping),
            patterns=pl.Series("patterns", patterns, dtype=pl.String),
            replacements=pl.Series("replacements", [mapping[p] for p in patterns], dtype=pl.String),
            longest=len(patterns[0]) if patterns else 0,
        )

    def apply_to_text(self, text: str) -> str:
        """The same replacement on one Python string (constants and tests)."""
        return apply_table(self.mapping, text, longest=self.longest)

    def apply(self, value: pl.Expr) -> pl.Expr:
        """One Aho-Corasick pass over ``value``."""
        return value.str.replace_many(
            pl.lit(self.patterns).implode(), pl.lit(self.replacements).implode(), leftmost=True
        )


@cache
def nfkc_only() -> LiteralTable:
    """NFKC alone, for the fields whose other rules are regexes."""
    return LiteralTable.build(nfkc_table())


#: ー (or a run of them) next to a digit, on either side. The replacement
#: "${1}-${2}" works for both alternatives because only one group is set.
LONG_VOWEL_NEXT_TO_DIGIT: Final[str] = "([0-9])\u30fc+|\u30fc+([0-9])"


def long_vowel_mark_next_to_digit_to_hyphen(value: pl.Expr) -> pl.Expr:
    """ー next to a digit means "-" (２ー３ is 2-3, never a long vowel)."""
    return value.str.replace_all(LONG_VOWEL_NEXT_TO_DIGIT, "${1}-${2}")


def join_parts(cols: Sequence[pl.Expr]) -> pl.Expr:
    """Join the parts of a single-valued field (姓 + 名, 都道府県 + 市区町村 +
    番地 + 建物) in order, null parts skipped.

    The separator is a space: every field removes spaces, and the address
    uses a space after a number to see where the block number ends and a
    building name starts (番地 "1-2-3" + 建物 "コーポ201").
    """
    if len(cols) == 1:
        return cols[0]
    return pl.concat_str(list(cols), separator=" ", ignore_nulls=True)


#: Only punctuation, symbols or nothing (no letter or number in any script).
_NO_LETTER_OR_NUMBER: Final[str] = r"^[^\p{L}\p{N}]*$"


def real_value_or_null(value: pl.Expr, *, need_letter_or_number: bool = True) -> pl.Expr:
    """Null for what is no real value: empty, placeholder ("不明", "n/a"...),
    or (by default) nothing but punctuation. Never returns "".

    Written so that ``value`` is referenced once: polars does not share a
    sub-expression used twice in an eager ``select``, it computes it twice.
    """
    if need_letter_or_number:
        value = value.str.replace(_NO_LETTER_OR_NUMBER, "")
    return value.replace(["", *sorted(PLACEHOLDERS)], None)
