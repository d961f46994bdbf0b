"""Phone: the Japanese national number, digits only, with its leading 0.

1. NFKC (as a table: see ``_text``).
2. Two regex passes keep only digits and "+", after cutting what is not part
   of the number: an extension (内線 12, ext. 12, x12, #12), a second number
   after a list separator (/ , 、 ; ~ 〜: the first number of the cell is
   used), the trunk prefix written after the country code (+81 (0)3 ...), and
   Excel's float text ("9012345678.0" is 9012345678). Labels (TEL:, 電話,
   携帯), brackets, spaces, dots and dashes go with the non-digits.
3. One regex extraction: the country code (+81, 0081, 010-81, or a bare 81
   that leaves 9 or 10 digits, with or without a trunk 0 after it) becomes
   the leading 0; a number that lost its leading 0 (stored as an integer:
   9012345678, 312345678) gets it back. Only 10-digit numbers 0[1-9][1-9]...
   and 11-digit numbers 0[2-9]0... (mobile, IP, M2M, 0800) are phones; anything
   else (another country, too short or too long, a + left over) is null.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from verifydel.normalise import _text

#: Step 2a, replaced by "${1}${2}" (first match only): Excel float text
#: (group 1); a digit then an "x"/"ext" extension (the digit, group 2, is
#: kept, the rest cut); a cut marker and everything after it.
PHONE_CUT_REGEX: Final[str] = (
    r"(?s)^\s*([0-9]+)\.0+\s*$"
    r"|([0-9])\s*(?i:x|ext\.?|extension)\s*[0-9].*"
    r"|(?i:内線|ext\b|#|[/,、;~〜]|または|又は).*"
)
#: Step 2b, removed: the trunk prefix written after the country code, then
#: everything that is neither a digit nor "+" (a lone "(" last, so that
#: "(0)" is seen whole).
PHONE_NOISE_REGEX: Final[str] = r"\(\s*0\s*\)|[^0-9+(]+|\("

#: Steps 3 and 4, group 1 (no match: null): an optional country code (+81,
#: 0081, 010-81, or a bare 81) with an optional trunk 0 after it, or the
#: domestic 0, or nothing (an integer that lost its 0); then the national
#: number without its 0: 9 digits not starting [1-9]0 (0X0 numbers are 11
#: digits long), or 10 digits [2-9]0... (mobile, IP, M2M, 0800).
#: The national number without its leading 0.
PHONE_NATIONAL_NUMBER: Final[str] = r"[1-9][1-9][0-9]{7}|[2-9]0[0-9]{8}"
PHONE_NATIONAL_REGEX: Final[str] = rf"^(?:(?:\+|00|010)810?|810?|0)?({PHONE_NATIONAL_NUMBER})$"


def phone_from_digits(digits: pl.Expr) -> pl.Expr:
    """Steps 3 and 4 on what step 2 leaves (digits and "+")."""
    return pl.concat_str([pl.lit("0"), digits.str.extract(PHONE_NATIONAL_REGEX, 1)])


def phone_after_nfkc(text: pl.Expr) -> pl.Expr:
    """Steps 2 to 4 on the NFKC form of the value."""
    text = text.str.replace(PHONE_CUT_REGEX, "${1}${2}").str.replace_all(PHONE_NOISE_REGEX, "")
    return phone_from_digits(text)


def normalise_phone(value: pl.Expr) -> pl.Expr:
    """The national number with its leading 0 (09012345678), or null."""
    return phone_after_nfkc(_text.nfkc_only().apply(value))
