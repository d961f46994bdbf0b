"""Reading keys: a name's reading in one reduced romanisation, from kana or from romaji.

A broker writes 佐藤太郎 as `さとう たろう`, `ｻﾄｳ ﾀﾛｳ`, `SATO TARO`, `Taro Sato`,
`Satō Tarō` or `SATOH TARO`; the leaked set holds 佐藤太郎 and its reading
サトウ タロウ. All of these give the *reading key* `satotaro`: the reading
romanised by one table (kana) or folded into the same spelling (romaji), with
the distinctions romanisations disagree on dropped on both sides.

A value yields keys when, after the table below, it holds only Latin letters
and separators (spaces, ・, =, commas): a value written in kana, in romaji, or
in both. A kanji name yields none (reading kanji needs a dictionary: a name's
reading is not a function of its kanji). Keys are the tokens joined: as written,
and for exactly two tokens also swapped, since romaji is written given name first
as often as family name first (`Taro Sato`).

The reduced spelling (one step per line; the kana table produces it directly,
romaji is folded into it; tests hold the two together with jaconv's Hepburn as
an independent oracle):

1. NFKC (half-width kana, full-width Latin), hiragana and katakana to romaji
   syllable by syllable, small kana as large (キャ = キヤ = `kiya`, ッ = ツ =
   `tu`: legacy systems write only large kana, and ``name_kana`` already folds
   them so), ー dropped, Latin letters lower-cased, accents and macrons dropped
   (ō → o), apostrophes and hyphens dropped (`Shin'ichi`, `Jun-ichi`).
2. `oh` before a consonant or at the end of a token is `o` (`SATOH`, `OHNO`).
3. A doubled consonant is っ: `tu` + the consonant (`Hattori` = ハツトリ);
   `tch`/`cch` too; `m` before b, p, m is ん (`Homma`, `Namba`).
4. Hepburn to kunrei: shi→si, chi→ti, tsu→tu, fu→hu, ji/di→zi, zu/du/dzu→zu,
   sh→sy, ch→ty, j/jy→zy, dy→zy, f+vowel→hu+vowel, v→bu, wo→o.
5. Yōon as large kana: consonant + y + a/u/o → consonant + iy + vowel
   (`kyo`/`kyo` = キヨ = `kiyo`); not after n (`Shinya` is しんや).
6. Long vowels: `ou`, `oo` (and longer runs of o/u after o) → `o`; `aa`, `ii`,
   `uu`, `ee` → one vowel (さとう = SATO = Satō = SATOH = `sato`).

Placeholders (`none`, `n/a`, `なし` ...) yield no key. The costs of the folding
(different readings that share a key) are listed in docs/normalisation.md.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from functools import cache
from typing import Final

import polars as pl

from verifydel.normalise import _text
from verifydel.normalise.name import NAME_PART_SEPARATORS

#: Katakana syllables (large and small) to their reduced romaji. Hiragana are
#: mapped through these (0x60 below). Small kana are read as the large ones.
KANA_ROMAJI: Final[dict[str, str]] = {
    "ア": "a", "イ": "i", "ウ": "u", "エ": "e", "オ": "o",
    "カ": "ka", "キ": "ki", "ク": "ku", "ケ": "ke", "コ": "ko",
    "ガ": "ga", "ギ": "gi", "グ": "gu", "ゲ": "ge", "ゴ": "go",
    "サ": "sa", "シ": "si", "ス": "su", "セ": "se", "ソ": "so",
    "ザ": "za", "ジ": "zi", "ズ": "zu", "ゼ": "ze", "ゾ": "zo",
    "タ": "ta", "チ": "ti", "ツ": "tu", "テ": "te", "ト": "to",
    "ダ": "da", "ヂ": "zi", "ヅ": "zu", "デ": "de", "ド": "do",
    "ナ": "na", "ニ": "ni", "ヌ": "nu", "ネ": "ne", "ノ": "no",
    "ハ": "ha", "ヒ": "hi", "フ": "hu", "ヘ": "he", "ホ": "ho",
    "バ": "ba", "ビ": "bi", "ブ": "bu", "ベ": "be", "ボ": "bo",
    "パ": "pa", "ピ": "pi", "プ": "pu", "ペ": "pe", "ポ": "po",
    "マ": "ma", "ミ": "mi", "ム": "mu", "メ": "me", "モ": "mo",
    "ヤ": "ya", "ユ": "yu", "ヨ": "yo",
    "ラ": "ra", "リ": "ri", "ル": "ru", "レ": "re", "ロ": "ro",
    "ワ": "wa", "ヰ": "i", "ヱ": "e", "ヲ": "o", "ン": "n",
    "ヴ": "bu", "ヷ": "ba", "ヸ": "bi", "ヹ": "be", "ヺ": "bo",
    "ァ": "a", "ィ": "i", "ゥ": "u", "ェ": "e", "ォ": "o", "ッ": "tu",
    "ャ": "ya", "ュ": "yu", "ョ": "yo", "ヮ": "wa", "ヵ": "ka", "ヶ": "ke",
    "ㇰ": "ku", "ㇱ": "si", "ㇲ": "su", "ㇳ": "to", "ㇴ": "nu", "ㇵ": "ha",
    "ㇶ": "hi", "ㇷ": "hu", "ㇸ": "he", "ㇹ": "ho", "ㇺ": "mu", "ㇻ": "ra",
    "ㇼ": "ri", "ㇽ": "ru", "ㇾ": "re", "ㇿ": "ro",
    "ー": "",
}  # fmt: skip

#: Between the parts of a name: one token boundary each.
TOKEN_SEPARATORS: Final[str] = " \t\n\r\f\v" + NAME_PART_SEPARATORS + ",、"
#: Dropped inside a romaji token (`Shin'ichi`, `Jun-ichi`).
IN_TOKEN_MARKS: Final[str] = "'’‘ʼ`-" + _text.NON_LETTER_DASHES

#: Honorifics after a name written in kana (or kanji: `サトウ タロウ 様`), in the
#: spellings they have before NFKC; the name normaliser's list.
_HONORIFICS_RAW: Final[tuple[str, ...]] = (
    "様", "樣", "さま", "サマ", "ｻﾏ", "殿", "どの", "ドノ", "ﾄﾞﾉ", "さん", "サン", "ｻﾝ",
    "君", "くん", "クン", "ｸﾝ", "ちゃん", "チャン", "ﾁｬﾝ", "御中", "氏", "先生",
)  # fmt: skip
#: The placeholders a reading could be made of (Latin or kana: `N/A`, `none`, `なし`),
#: matched on the value as written, before romanisation (so that ナ is not `na`).
_PLACEHOLDERS_RAW: Final[tuple[str, ...]] = tuple(
    sorted(
        (p for p in _text.PLACEHOLDERS if all(c.isascii() or "\u3040" <= c <= "\u30ff" for c in p)),
        key=lambda p: (-len(p), p),
    )
)
#: One pass on the value as written: a placeholder is emptied, honorifics at the end dropped.
NO_READING_PARTS: Final[str] = (
    r"(?i)^[\s\u3000]*(?:" + "|".join(re.escape(p) for p in _PLACEHOLDERS_RAW) + r")[\s\u3000]*$"
    + r"|[\s\u3000]*(?:" + "|".join(_HONORIFICS_RAW) + r")+[\s\u3000]*$"
)

#: Step 2: `oh` before a consonant, a space or the end.
OH_LONG_VOWEL: Final[str] = "oh([^aeiou]|$)"
#: Step 5: yōon written as a consonant + y (not n: `Shinya`).
YOON: Final[str] = "([kgsztdhbpmr])y([auo])"
#: Step 6: long vowels, by a literal table (a regex with one group per vowel cost 3.7
#: times as much): o then o/u, and runs of one vowel, up to this many letters (longer
#: runs are no name; they fold in part).
LONG_VOWEL_RUN: Final[int] = 6
#: A value holding a kanji (any Han character) is no reading: callers may skip it.
HAN: Final[str] = r"\p{Han}"
#: After step 1, a value holding anything but Latin letters and spaces is no reading.
NOT_A_READING: Final[str] = r"(?s)^.*[^a-z ].*$"

#: Consonants that double for っ (`n` never: `Kanna` is かんな; `m` is ん, step 3).
_GEMINATES: Final[str] = "kgszjtdhbpfrvc"


def _latin_base(char: str) -> str | None:
    """A Latin letter with accents or a macron (À-ſ), as its lower-case base letter."""
    base = unicodedata.normalize("NFD", char)[0].lower()
    return base if "a" <= base <= "z" and base != char else None


@cache
def reading_rules() -> dict[str, str]:
    """Step 1's own literal rules (composed after NFKC into one table)."""
    table: dict[str, str] = {}
    for kata, roman in KANA_ROMAJI.items():
        table[kata] = roman
        hira = chr(ord(kata) - 0x60)
        if 0x3041 <= ord(hira) <= 0x3096 and unicodedata.name(hira, "").startswith("HIRAGANA"):
            table[hira] = roman
    table["ゔ"] = "bu"
    table.update({c: " " for c in TOKEN_SEPARATORS})
    table.update(_text.removal_table(IN_TOKEN_MARKS))
    table.update(_text.removal_table("\u200b\u200c\u200d\u2060\ufeff"))
    table.update(_text.removal_table(_text.VARIATION_SELECTORS))
    table.update(_text.removal_table(_text.COMBINING_KANA_MARKS))
    table.update(_text.ascii_lowercase_table())
    for code in range(0xC0, 0x180):
        base = _latin_base(chr(code))
        if base is not None:
            table[chr(code)] = base
    return table


@cache
def reading_table() -> _text.LiteralTable:
    """Step 1 in one table (NFKC composed in)."""
    return _text.LiteralTable.build(_text.with_nfkc(reading_rules()))


@cache
def gemination_table() -> _text.LiteralTable:
    """Step 3."""
    table = {c + c: "tu" + c for c in _GEMINATES}
    table.update({"tch": "tuch", "cch": "tuch", "mm": "nm", "mb": "nb", "mp": "np"})
    return _text.LiteralTable.build(table)


#: Step 4, Hepburn (and the other spellings) to the kunrei-like reduced form.
KUNREI: Final[dict[str, str]] = {
    "shi": "si", "she": "sie", "sh": "sy", "chi": "ti", "che": "tie", "ch": "ty",
    "tsu": "tu", "ts": "t", "dzu": "zu", "dz": "z", "ji": "zi", "je": "zie", "jy": "zy", "j": "zy",
    "di": "zi", "du": "zu", "dy": "zy", "fu": "hu", "f": "hu", "vu": "bu", "v": "bu", "wo": "o",
}  # fmt: skip


@cache
def kunrei_table() -> _text.LiteralTable:
    return _text.LiteralTable.build(KUNREI)


@cache
def long_vowel_table() -> _text.LiteralTable:
    """Step 6."""
    table: dict[str, str] = {}
    for n in range(2, LONG_VOWEL_RUN + 1):
        table.update({"o" + "".join(rest): "o" for rest in itertools.product("ou", repeat=n - 1)})
        table.update({v * n: v for v in "aiue"})
    return _text.LiteralTable.build(table)


def _keys_text(value: pl.Expr) -> pl.Expr:
    """The keys as one string, comma-separated ("" when no reading). One chain: a
    sub-expression used twice would be computed twice (the token swap works inside
    one struct for that reason)."""
    text = value.str.replace(NO_READING_PARTS, "")
    text = reading_table().apply(text)  # step 1
    text = text.str.replace(NOT_A_READING, "")  # kanji, digits ...: the rest is cheap on ""
    text = text.str.replace_all(OH_LONG_VOWEL, "o${1}")  # step 2
    text = gemination_table().apply(text)  # step 3
    text = kunrei_table().apply(text)  # step 4
    text = text.str.replace_all(YOON, "${1}iy${2}")  # step 5
    # the tokens joined as written, and for exactly two also swapped: "ab,ba"
    tokens = text.str.strip_chars(" ").str.replace_all("  +", " ").str.splitn(" ", 2)
    first, rest = pl.field("field_0"), pl.field("field_1")
    written = pl.concat_str(first, rest.str.replace_all(" ", "", literal=True), ignore_nulls=True)
    swapped = pl.when(rest.str.contains(" ", literal=True).not_()).then(pl.concat_str(rest, first))
    keys = pl.concat_str(written, swapped, separator=",", ignore_nulls=True)
    text = tokens.struct.with_fields(keys.alias("keys")).struct.field("keys")
    return long_vowel_table().apply(text)  # step 6


def reading_keys(value: pl.Expr) -> pl.Expr:
    """The reading keys of one (joined) name or reading: List[String] of one key,
    or two (two tokens: both orders), or null when the value is no reading
    (kanji, digits, a placeholder, nothing)."""
    return _keys_text(value).replace([""], None).str.split(",")


def row_readings(name_keys: pl.Expr | None, kana_keys: pl.Expr | None) -> pl.Expr:
    """A row's readings: the keys of its reading and of its name (each
    ``reading_keys`` or None when the row has no such column), distinct, in that
    order; an empty list when neither gives one."""
    empty = pl.lit([], dtype=pl.List(pl.String))
    parts = [k for k in (kana_keys, name_keys) if k is not None]
    if not parts:
        return empty
    if len(parts) == 1:
        return parts[0].fill_null(empty)
    a, b = parts
    return (
        pl.when(b.is_null()).then(a.fill_null(empty))
        .when(a.is_null()).then(b)
        .otherwise(pl.concat_list(a, b).list.unique(maintain_order=True))
    )  # fmt: skip


__all__ = ["HAN", "KANA_ROMAJI", "reading_keys", "row_readings"]
