"""The address's characters, prefix and block grammar: the tables and regexes of
``address`` (the place rules that need the gazetteer are in ``_address_place``).

Everything here is a constant or a table built once per process; the functions
that apply them are in ``address``.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Final

from verifydel.normalise import _text
from verifydel.normalise._numerals import KANJI_DIGITS, THOUSANDS_MARK, kanji_numeral_table
from verifydel.normalise._variant_kanji import VARIANT_KANJI

#: The 47 prefectures (都道府県), as written in full, in JIS X 0401 order.
PREFECTURES: Final[tuple[str, ...]] = (
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県",
    "茨城県", "栃木県", "群馬県", "埼玉県", "千葉県", "東京都", "神奈川県",
    "新潟県", "富山県", "石川県", "福井県", "山梨県", "長野県", "岐阜県",
    "静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府", "兵庫県",
    "奈良県", "和歌山県", "鳥取県", "島根県", "岡山県", "広島県", "山口県",
    "徳島県", "香川県", "愛媛県", "高知県", "福岡県", "佐賀県", "長崎県",
    "熊本県", "大分県", "宮崎県", "鹿児島県", "沖縄県",
)  # fmt: skip

#: ヶ and the characters written in its place anywhere (ひばりが丘, 霞ケ関, 鎌ヵ谷).
SMALL_KE_VARIANTS: Final[str] = "ケがヵ"
#: ... and those written in its place only before a kanji, after a kanji or kana
#: (竜ガ崎, 霞か関): elsewhere they are words (ガス, か).
SMALL_KE_BEFORE_KANJI: Final[str] = "ガか"
#: の and the characters written in its place (一ノ瀬, 相之町).
NO_VARIANTS: Final[str] = "之ノ"

#: Old numerals used in addresses (大字 numerals: 壱 for 一 ...), folded by a pass of
#: their own before the kanji numerals are read (弐拾 is 二十, 20).
OLD_NUMERALS: Final[dict[str, str]] = {"壱": "一", "壹": "一", "弐": "二", "貳": "二", "参": "三", "參": "三", "拾": "十"}

#: Place-name variant kanji beyond the name table (which folds 鰺, 舘, 槇, 冨, 﨑, 條 ...
#: already): the same place written with either character (塩竈/塩竃/塩釜, 莵/菟).
#: Folded in addresses only: in names 竈 and 釜 are different family names.
PLACE_VARIANT_KANJI: Final[dict[str, str]] = {"竈": "釜", "竃": "釜", "莵": "菟"}

#: Dash look-alikes NFKC leaves alone and the shared table does not know
#: (heavy minus ➖, modifier minus ˗, two- and three-em dashes ⸺ ⸻, small and
#: full-width hyphen variants, the box-drawing lines): "-" in an address.
ADDRESS_DASHES: Final[str] = "\u2796\u02d7\u2e3a\u2e3b\u2e40\u2053\u23af\u2574\u2576"

#: 字 (小字) marker: the literal pass writes it for 字, the place step drops the
#: 小字 name that follows it (up to the block numbers).
KOAZA_MARK: Final[str] = "\x01"

#: Written after 一 typed as a dash between arabic digits (3一20一12): found on the raw text.
KANJI_ONE_AS_DASH: Final[str] = "([0-9０-９])一([0-9０-９])"


def address_rules(protected: tuple[str, ...] = (), replaced: tuple[tuple[str, str], ...] = ()) -> dict[str, str]:
    """The address's own literal rules (applied after NFKC, in the same pass).

    ``protected``: names kept verbatim (their numeral is a word, 一番町); ``replaced``:
    (pattern, replacement) pairs of the gazetteer (a county form to its municipality).
    """
    table: dict[str, str] = {}
    table.update(VARIANT_KANJI)
    table.update(PLACE_VARIANT_KANJI)
    table.update(kanji_numeral_table())
    table.update({c: "ヶ" for c in SMALL_KE_VARIANTS})
    table.update({c: "の" for c in NO_VARIANTS})
    table.update({"大字": "", "字": KOAZA_MARK})
    table.update({c: " " for c in _text.WHITESPACE_CHARS})
    # the rest of Unicode's White_Space that NFKC leaves (the raw cut reads them as spaces)
    table.update({c: " " for c in "\x85\u1680\u2028\u2029"})
    table.update({c: " " for c in "、,;"})  # list separators act as spaces
    table["\x00"] = ""  # marks the end of the block run
    table[KOAZA_MARK] = ""
    table[THOUSANDS_MARK] = ""  # the numeral table writes it
    table.update(_text.removal_table(_text.VARIATION_SELECTORS))
    table.update(_text.removal_table(_text.COMBINING_KANA_MARKS))
    table.update(_text.non_letter_dash_table())
    table.update({c: "-" for c in ADDRESS_DASHES})
    table.update(_text.ascii_lowercase_table())
    for pattern, replacement in replaced:
        table[pattern] = replacement
    table.update({name: name for name in protected})
    table.update({"麻布十番": "麻布十番"})
    return table


_DASH = "[-\u30fc]"
_POSTAL = rf"[0-9]{{3}}{_DASH}?[0-9]{{4}}"


@cache
def prefecture_alternation(folded: tuple[str, ...]) -> str:
    return "|".join(re.escape(p) for p in sorted(folded, key=len, reverse=True))


def prefix_regex(prefectures: tuple[str, ...]) -> str:
    """Groups: 1, 2 or 3 the prefecture (as the literal pass leaves it) or none; 4 the rest.

    At the start, as many leads as there are: 〒 or 郵便番号: with or without a code,
    a postal code, 日本/日本国/japan; then an optional prefecture."""
    lead = rf"(?:〒|郵便番号 *:?) *(?:{_POSTAL})? *|{_POSTAL} *"
    pref = prefecture_alternation(prefectures)
    # 日本 only before a prefecture (日本橋 is a town); 日本国 and japan always
    return rf"^ *(?:{lead})*(?:日本 *(?:{lead})*({pref})|(?:日本国|japan) *(?:{lead})*({pref})?|({pref}))? *(.*)$"


#: ガ/か for ヶ: after a kanji, kana or a (kanji) numeral, before a kanji (三か日 is
#: 3か日 by then). Replaced by "${1}ヶ${2}".
SMALL_KE_REGEX: Final[str] = rf"([\p{{Han}}\p{{Hiragana}}\p{{Katakana}}0-9])[{SMALL_KE_BEFORE_KANJI}](\p{{Han}})"

# --- the block run -------------------------------------------------------------------
#: A marker between two block numbers, with the spaces and a dash around it.
_SEP = rf" *(?:(?:丁目|番地の?|番|号|の|丁)(?: *{_DASH})?|{_DASH}) *"
#: A space alone between two numbers is made a dash before the run is read, where
#: the number after it has one or two digits (a form's 住所1 = "…町3", 住所2 = "20-12";
#: 3 20 12): a room number (405) has three or more and stays apart.
SPACE_IN_RUN_REGEX: Final[str] = "([0-9]) +([0-9]{1,2})([^0-9]|$)"
SPACE_IN_RUN_REPLACEMENT: Final[str] = "${1}-${2}${3}"
#: A sub-lot letter or a direction before a number (14番地イ22, 8丁目南2-24, 1号北44),
#: maybe with a dash after it (14-イ-22); without a marker before it too (14イ22).
_LOT_CLASS = "[東西南北イロハニホヘトチリヌa-z甲乙丙]"
#: Glued to the number before it only a lot letter, never a direction (3西6 is Sapporo's).
_LOT_GLUED = "[イロハニホヘトチリヌa-z甲乙丙]"
_LOT = rf"(?:{_SEP}({_LOT_CLASS})?|({_LOT_GLUED})) *(?:{_DASH} *)?"
_LOT3 = _LOT
#: Sapporo's 北3条西6(丁目): "3条西6" is one block, 条 and 丁目 optional (北3西6);
#: the 丁目 is read as the separator after it.
_JO = r" *(?:条 *)?([東西南北]) *([0-9]+)"

#: The first block run. Alternatives (groups):
#: A: a number (1), Sapporo's 条 block (2, 3) or not, then one or two more
#:    numbers, each after a marker or a lot letter or direction, or both
#:    (letter: 4 or 5, number 6; letter 7 or 8, number 9);
#: C: a number and Sapporo's 条 block alone (10, 11, 12);
#: B: one number followed by a marker, a dash, a space or the end (13).
BLOCK_RUN_REGEX: Final[str] = (
    rf"([0-9]+)(?:{_JO})?{_LOT}([0-9]+)(?:{_LOT3}([0-9]+))?"
    rf"|([0-9]+){_JO}"
    rf"|([0-9]+)(?: *(?:丁目|番地|号|{_DASH})| |(?:番|丁)(?: |号|{_DASH}|$)|$)"
)
#: The run written canonically, then NUL (where the rest is cut): "a条Db-Lc-Ld";
#: "条" stands only where Sapporo's block was read (``BLOCK_FIXUPS`` remove it otherwise).
BLOCK_RUN_REPLACEMENT: Final[str] = "${1}${10}${13}条${2}${11}${3}${12}-${4}${5}${6}-${7}${8}${9}\x00"
#: Applied to the replaced text, in order.
BLOCK_FIXUPS: Final[tuple[tuple[str, str], ...]] = (("条-", "-"), ("-+\x00", "\x00"), ("-+", "-"))

#: Every character a block run can read (the fast path cuts a value's tail only at a
#: space followed by a character outside this set).
BLOCK_ALPHABET: Final[frozenset[str]] = frozenset(
    "0123456789 丁目番地の号条-\u30fc東西南北イロハニホヘトチリヌabcdefghijklmnopqrstuvwxyz甲乙丙"
)
#: Lot letters in katakana (イロハ order, the first ten: lots are rarely lettered further),
#: raw in both widths, and ノ (3番地ノ5): a katakana character outside these ends the
#: tail (a building: コーポ, ハイツ, メゾン), even glued to the numbers.
LOT_KATAKANA_RAW: Final[str] = "イロハニホヘトチリヌノｲﾛﾊﾆﾎﾍﾄﾁﾘﾇﾉ"
#: Raw characters (before NFKC) that may continue a block: digits of both widths,
#: dashes, markers, letters, kanji numerals. The fast path's raw tail cut uses it.
RAW_BLOCK_CHARS: Final[str] = (
    "0-9０-９\\-－ー‐‑‒–—―−ｰ─━➖˗⸺⸻丁目番地の之ノ号条東西南北"
    "イロハニホヘトチリヌa-zA-Zａ-ｚＡ-Ｚ甲乙丙" + KANJI_DIGITS + "十百千壱弐参拾"
)
