"""Kanji numerals to arabic numbers, as a literal table plus one regex.

Every kanji numeral below 1000 is spelled out in full (二十三, 百五, also 一百)
so that the leftmost-longest match converts it at once; the single digits
〇一二…九 are patterns too, so positional numerals (二〇一 for 201, 一二 for 12)
fall out digit by digit.

Thousands would need 9,000 more patterns, and building the automaton is paid
on every call (a 12,000-pattern table cost 30 ms per call, measured), so a
thousands token instead becomes its digit, a mark and three zeros (二千 ->
"2" + THOUSANDS_MARK + "000"); ``THOUSANDS_REGEX`` then keeps the last three
digits of the run after the mark: 千二百三十四 -> 1·000234 -> 1234, 千五 ->
1·0005 -> 1005, 千 -> 1·000 -> 1000. Ten thousand and more (万) is not an
address number and is left alone.
"""

from __future__ import annotations

from functools import cache
from typing import Final

#: Digit characters, index = value. 〇 (U+3007) is the kanji zero.
KANJI_DIGITS: Final[str] = "〇一二三四五六七八九"
#: Every character that takes part in a kanji numeral.
KANJI_NUMERAL_CHARS: Final[str] = KANJI_DIGITS + "十百千"
#: Written after a thousands digit by the table, removed by THOUSANDS_REGEX.
THOUSANDS_MARK: Final[str] = "\x02"
#: Replaced by "${1}": the mark and the digits after it, but the last three.
THOUSANDS_REGEX: Final[str] = "\x02[0-9]*([0-9]{3})"

_UNITS: Final[tuple[tuple[int, str], ...]] = ((1000, "千"), (100, "百"), (10, "十"))


def kanji_numeral(n: int, *, explicit_one: frozenset[str] = frozenset()) -> str:
    """Spell 1 <= n <= 9999 in kanji: 23 -> 二十三, 1200 -> 千二百.

    ``explicit_one`` lists the units written with a leading 一 (一千, 一百).
    """
    if not 1 <= n <= 9999:
        raise ValueError("kanji numerals are spelled for 1..9999")
    out = []
    for value, unit in _UNITS:
        digit, n = divmod(n, value)
        if digit:
            one = digit == 1 and unit not in explicit_one
            out.append(("" if one else KANJI_DIGITS[digit]) + unit)
    if n:
        out.append(KANJI_DIGITS[n])
    return "".join(out)


@cache
def kanji_numeral_table() -> dict[str, str]:
    """{kanji numeral: arabic} for 0..999, and the thousands tokens."""
    table: dict[str, str] = {KANJI_DIGITS[0]: "0"}
    for n in range(1, 1000):
        for explicit in (frozenset(), frozenset({"百"})):
            table.setdefault(kanji_numeral(n, explicit_one=explicit), str(n))
    for digit in range(1, 10):
        table[KANJI_DIGITS[digit] + "千"] = f"{digit}{THOUSANDS_MARK}000"
    table["千"] = f"1{THOUSANDS_MARK}000"
    return table
