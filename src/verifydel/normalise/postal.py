"""Postal code (郵便番号): seven digits, "1234567".

1. NFKC as a table (１２３－４５６７ is 123-4567).
2. Accepted: an optional label (〒, 郵便番号, ":"), three digits, an optional
   dash (any dash-like character) or space, four digits, then nothing or a
   non-digit (〒123-4567 東京都... keeps 1234567). Also six digits alone: a
   code starting with 0 that was stored as an integer (0600001 became 600001)
   gets its 0 back. Excel float text (1234567.0) is read as the integer.
3. Anything else is null.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from verifydel.normalise import _text

#: Groups: 1 and 2 (3 + 4 digits), or 3 (six digits, leading 0 lost).
POSTAL_REGEX: Final[str] = (
    rf"(?s)^[^0-9]*?(?:([0-9]{{3}})\s*[{_text.DASH_CLASS}]?\s*([0-9]{{4}})(?:\.0+)?"
    r"(?:[^0-9.].*)?|([0-9]{6})(?:\.0+)?)$"
)


def normalise_postal(value: pl.Expr) -> pl.Expr:
    """The seven-digit postal code, or null.

    The replacement leaves 6 or 7 digits exactly when the regex matched (a
    value it does not match is not 6-7 digits alone either, or it would have
    matched), so extracting ``^[0-9]{6,7}$`` afterwards is the validity test.
    """
    text = _text.nfkc_only().apply(value).str.replace(POSTAL_REGEX, "${1}${2}${3}")
    return text.str.extract(r"^([0-9]{6,7})$", 1).str.zfill(7)
