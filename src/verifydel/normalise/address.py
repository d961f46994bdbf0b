"""Address: the canonical form keeps the place up to its block numbers.

The canonical form of ``東京都三鷹市下連雀三丁目二十番十二号 ビル101`` is
``3鷹市下連雀3-20-12``:

1. NFKC (as a table, in the same pass as step 2: see ``_text``).
2. In the same literal pass (Aho-Corasick): variant kanji folded (the name table),
   kanji numerals to arabic *everywhere* (三鷹 becomes 3鷹: harmless because
   both sides do the same, and it makes 北一条 agree with 北1条), ヶ/ケ/が/ヵ
   to ヶ, ノ to の, 大字 and 字 dropped, dashes that are never letters to "-",
   Latin letters lower-cased.
   Every whitespace character becomes a space, kept for now: after a number
   it means "the number ends here" (番地 1-2-3, then a space, then 405).
3. One anchored regex: a leading 〒/postal code, 日本/日本国 and prefecture
   name (one of the 47) dropped; one regex resolves kanji thousands
   (``_numerals``).
4. One regex pass: the first run of block numbers, written with 丁目/番地/番/
   丁/号/の or dashes (ー too), becomes "1-2-3" and everything after it (the
   building, the room, a 4th number) is dropped. A run qualifies when it has
   at least two numbers, or one number followed by 丁目/番地/番/丁/号, a dash,
   whitespace or the end: 3鷹 (3 then 鷹) or 8丁堀 (丁 then 堀) never does.
5. Spaces and trailing "-" dropped; empty or placeholder values become null.

An address with no qualifying run (青木123コーポ, the number glued to a
building name) keeps its whole text, normalised.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Final

import polars as pl

from verifydel.normalise import _text
from verifydel.normalise._numerals import THOUSANDS_MARK, THOUSANDS_REGEX, kanji_numeral_table
from verifydel.normalise._variant_kanji import VARIANT_KANJI

#: The 47 prefectures (都道府県), as written in full.
PREFECTURES: Final[tuple[str, ...]] = (
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県",
    "茨城県", "栃木県", "群馬県", "埼玉県", "千葉県", "東京都", "神奈川県",
    "新潟県", "富山県", "石川県", "福井県", "山梨県", "長野県", "岐阜県",
    "静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府", "兵庫県",
    "奈良県", "和歌山県", "鳥取県", "島根県", "岡山県", "広島県", "山口県",
    "徳島県", "香川県", "愛媛県", "高知県", "福岡県", "佐賀県", "長崎県",
    "熊本県", "大分県", "宮崎県", "鹿児島県", "沖縄県",
)  # fmt: skip

#: Place names whose kanji numeral + 番 is part of the name, not a block
#: number: kept verbatim by the literal pass (the longest match wins).
PROTECTED_PLACE_NAMES: Final[tuple[str, ...]] = ("麻布十番",)

#: ヶ and the characters written in its place (ひばりが丘, 霞ケ関, 鎌ヵ谷).
SMALL_KE_VARIANTS: Final[str] = "ケがヵ"


@cache
def address_rules() -> dict[str, str]:
    """The address's own literal rules (applied after NFKC, in the same pass)."""
    table: dict[str, str] = {}
    table.update(VARIANT_KANJI)
    table.update(kanji_numeral_table())
    table.update({c: "ヶ" for c in SMALL_KE_VARIANTS})
    table["ノ"] = "の"
    table.update({"大字": "", "字": ""})
    table.update({c: " " for c in _text.WHITESPACE_CHARS})
    table.update({c: " " for c in "、,;"})  # list separators act as spaces
    table["\x00"] = ""  # step 4 marks the end of the block run with it
    table[THOUSANDS_MARK] = ""  # the numeral table writes it
    table.update(_text.removal_table(_text.VARIATION_SELECTORS))
    table.update(_text.removal_table(_text.COMBINING_KANA_MARKS))
    table.update(_text.non_letter_dash_table())
    table.update(_text.ascii_lowercase_table())
    table.update({name: name for name in PROTECTED_PLACE_NAMES})
    return table


@cache
def address_table() -> _text.LiteralTable:
    """Step 1 and 2 in one table."""
    return _text.LiteralTable.build(_text.with_nfkc(address_rules()))


@cache
def _prefecture_alternation() -> str:
    """The 47 names as the literal pass leaves them (三重県 is 3重県 by then)."""
    folded = {address_table().apply_to_text(p) for p in PREFECTURES}
    return "|".join(re.escape(p) for p in sorted(folded, key=len, reverse=True))


_DASH = "[-\u30fc]"
_POSTAL = rf"[0-9]{{3}}{_DASH}?[0-9]{{4}}"


@cache
def prefix_regex() -> str:
    """Step 3, removed: at the start, as many of these as there are (so that
    the rest never starts with one, and normalising twice changes nothing):
    〒 with or without a code; a code followed by a space, or glued to a
    prefecture; 日本/日本国 and/or a prefecture."""
    pref = _prefecture_alternation()
    country_pref = rf"(?:日本国 *(?:{pref})?|(?:日本 *)?(?:{pref})) *"
    lead = rf"〒 *(?:{_POSTAL})? *|{_POSTAL} +|{_POSTAL} *{country_pref}|{country_pref}"
    return rf"^ *(?:{lead})*"


@cache
def prefix_alphabet() -> frozenset[str]:
    """Every character a path of ``prefix_regex`` can read (tested against the
    pattern). A value with a character outside it cannot be consumed whole by
    the prefix, so the prefix of 都道府県 + " " + 市区町村 never reaches past it."""
    chars = set(" 〒0123456789-\u30fc日本国")
    for name in PREFECTURES:
        chars.update(address_table().apply_to_text(name))
    return frozenset(chars)


@cache
def prefix_lead_regex() -> str:
    """A lead of ``prefix_regex`` starting at the very start: 〒, a postal code,
    日本 or a prefecture. Every path of the prefix that reads on after a space
    reads one of these (or more spaces) next."""
    return rf"^(?:〒|{_POSTAL}|日本|{_prefecture_alternation()})"


#: Separator between two block numbers.
_SEP = rf" *(?:丁目|番地の?|番|丁|の|{_DASH})(?: *{_DASH})? *"
#: Step 4, replaced by "${4}${1}-${2}-${3}" + NUL (where the rest is cut):
#: A: two or three numbers (a fourth, the room, stays in the rest);
#: B: one number followed by a marker, a dash, a space or the end.
BLOCK_RUN_REGEX: Final[str] = (
    rf"([0-9]+){_SEP}([0-9]+)(?:{_SEP}([0-9]+))?"
    rf"|([0-9]+)(?: *(?:丁目|番地|号|{_DASH})| |(?:番|丁)(?: |号|{_DASH}|$)|$)"
)


#: What step 4 writes in place of a block run (NUL: the rest is cut there).
BLOCK_RUN_REPLACEMENT: Final[str] = "${4}${1}-${2}-${3}\x00"

#: Every character a path of ``BLOCK_RUN_REGEX`` can read (tested against the
#: pattern). A character outside it stops every match attempt: the fast
#: batch path (``_address_parts``) relies on this to know where a block run
#: cannot cross from one address column into the next.
BLOCK_RUN_ALPHABET: Final[frozenset[str]] = frozenset("0123456789 丁目番地の号-\u30fc")
#: What a path of ``BLOCK_RUN_REGEX`` can read right after reading a space
#: (more spaces, a marker, a dash, or the next number; never 目 or 地).
BLOCK_RUN_AFTER_SPACE: Final[frozenset[str]] = frozenset("0123456789 丁番の号-\u30fc")
#: ... and right after a number and one or more spaces: more spaces, a marker
#: or a dash (a number follows a space only after a marker: "3丁目 20").
BLOCK_RUN_AFTER_NUMBER_SPACE: Final[frozenset[str]] = frozenset(" 丁番の号-\u30fc")


def address_characters(value: pl.Expr) -> pl.Expr:
    """Steps 1 and 2: the literal pass (NFKC and the address's own characters).

    Context-free across a space: no pattern of the table but " " itself holds
    a space (tested), so the pass over 都道府県 + " " + 市区町村 is the pass
    over each part joined with " ". The fast batch path relies on this."""
    return address_table().apply(value)


def strip_prefix(text: pl.Expr) -> pl.Expr:
    """Step 3a: the leading 〒/postal code, 日本/日本国 and prefecture removed."""
    return text.str.replace(prefix_regex(), "")


def resolve_thousands(text: pl.Expr) -> pl.Expr:
    """Step 3b: kanji thousands resolved (a match never holds a space)."""
    return text.str.replace_all(THOUSANDS_REGEX, "${1}")


def cut_block_run(text: pl.Expr) -> pl.Expr:
    """Step 4 and the space removal of step 5: the first block run written
    1-2-3, everything after it dropped, spaces dropped (trailing "-" kept)."""
    text = text.str.replace(BLOCK_RUN_REGEX, BLOCK_RUN_REPLACEMENT)
    text = text.str.split_exact("\x00", 1).struct.field("field_0")
    return text.str.replace_all(" ", "", literal=True)


def finish_address(text: pl.Expr) -> pl.Expr:
    """Steps 3 to 5 on the output of ``address_characters``."""
    text = cut_block_run(resolve_thousands(strip_prefix(text))).str.strip_chars_end("-")
    return _text.real_value_or_null(text)


def normalise_address(value: pl.Expr) -> pl.Expr:
    """The canonical address (see the module docstring), or null."""
    return finish_address(address_characters(value))
