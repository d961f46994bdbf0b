"""Phone numbers: the shapes brokers write most, without the NFKC table and regexes.

``normalise_phone`` runs NFKC (a table of ~5,000 patterns), a cut regex, a
noise regex and the national-number extraction on every value. Most cells
are simpler, and for them the same result follows from cheap operations:

1. An ASCII value is its own NFKC form (NFKC changes no ASCII code point,
   and every composed pair of the table holds a combining mark). A value
   whose other characters are all in ``WIDE_TO_ASCII`` (full-width digits,
   ＋, brackets, －, U+3000, dashes) becomes ASCII by that small table; each
   entry is the character's NFKC form or, for the dashes, a character that
   steps 2 to 4 treat alike (neither digit, "+", "(", whitespace nor a cut
   marker; tested). So ``text`` below is, to the phone, the NFKC form.
2. If ``text`` holds nothing but digits, "+", "-", brackets and spaces, and
   no "(0)", the cut regex finds nothing to cut and the noise regex removes
   exactly the "-", brackets and spaces: ``digits`` is what step 2 leaves.
3. The extraction, for two shapes of ``digits`` (tests hold each against the
   regex): "0" + a national number (``^0(?:N)$``) gives itself (only the
   domestic "0" parse fits: 0081/01081 would leave too few digits, and a
   national number never starts with 0 or with 10); "+81" + digits gives "0"
   + the digits without one leading 0 when that is a national number, else
   null.

Everything else (labels, extensions, "(0)", other shapes) goes through the
steps after NFKC on ``text`` (when it is ASCII) or through ``normalise_phone``.
The sets are split by filtering, not when/then (polars evaluates every
branch of a when/then for every row), and put back in row order.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from verifydel.normalise._distinct import apply_expr
from verifydel.normalise.phone import PHONE_NATIONAL_NUMBER, normalise_phone, phone_after_nfkc

#: Non-ASCII characters a phone cell holds, and what they are to the phone.
WIDE_TO_ASCII: Final[dict[str, str]] = {
    **{chr(0xFF10 + i): str(i) for i in range(10)},  # full-width digits
    "＋": "+", "（": "(", "）": ")", "－": "-", "\u3000": " ",
    # dashes that NFKC keeps (or maps to another dash): noise to step 2, like "-"
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
    "\u2015": "-", "\u2212": "-", "\u30fc": "-", "\uff70": "-",
}  # fmt: skip

#: What step 2 removes from a value of the simple shape.
_SEPARATORS: Final[str] = r"[-() ]"
#: "(0)" with spaces inside: the noise regex removes it whole.
_TRUNK_IN_BRACKETS: Final[str] = r"\( *0 *\)"
_DOMESTIC: Final[str] = rf"^0(?:{PHONE_NATIONAL_NUMBER})$"
_PLUS_81: Final[str] = r"^\+81[0-9]*$"

_T, _D = "text", "digits"


def _narrowed(values: pl.Series) -> pl.Series:
    patterns = list(WIDE_TO_ASCII)
    return apply_expr(
        values,
        lambda v: v.str.replace_many(
            pl.lit(pl.Series(patterns, dtype=pl.String)).implode(),
            pl.lit(pl.Series([WIDE_TO_ASCII[p] for p in patterns], dtype=pl.String)).implode(),
        ),
    )


def _is_ascii(values: pl.Expr) -> pl.Expr:
    return (values.str.len_bytes() == values.str.len_chars()).fill_null(False)


def normalise_phones(values: pl.Series) -> pl.Series:
    """``normalise_phone`` of every value (a String Series), row for row."""
    height = values.len()
    frame = pl.DataFrame({_T: values}).with_columns(_is_ascii(pl.col(_T)).alias("ascii"))
    text = frame.get_column(_T)
    nfkc = frame.get_column("ascii")  # text is (as good as) the NFKC form: fact 1
    wide = (values.is_not_null() & ~nfkc).arg_true()
    if wide.len():
        narrowed = _narrowed(values.gather(wide))
        text = text.scatter(wide, narrowed)
        nfkc = nfkc.scatter(
            wide, pl.DataFrame({_T: narrowed}).select(_is_ascii(pl.col(_T))).to_series()
        )
    frame = pl.DataFrame({_T: text, "nfkc": nfkc}).with_columns(
        pl.col(_T).str.replace_all(_SEPARATORS, "").alias(_D)
    )
    digits = pl.col(_D)
    simple = pl.col("nfkc") & ~pl.col(_T).str.contains(_TRUNK_IN_BRACKETS)  # fact 2
    frame = frame.select(
        _D,
        "nfkc",
        (simple & digits.str.contains(_DOMESTIC)).alias("domestic"),
        (simple & digits.str.starts_with("+81")).alias("plus_81"),
    )
    # fact 3: "0" + a national number is itself
    domestic = frame.get_column("domestic")
    out = frame.get_column(_D).zip_with(
        domestic, pl.repeat(None, height, dtype=pl.String, eager=True)
    )
    done = domestic | values.is_null()
    plus_81 = frame.get_column("plus_81").arg_true()
    if plus_81.len():
        # fact 3: "+81" + digits is "0" + the digits without one leading 0, if national
        found = pl.DataFrame({_D: frame.get_column(_D).gather(plus_81)}).select(
            digits.str.contains(_PLUS_81).alias("shaped"),
            pl.concat_str([pl.lit("0"), digits.str.slice(3).str.strip_prefix("0")])
            .str.extract(f"({_DOMESTIC})", 1)
            .alias(_D),
        )
        shaped = found.get_column("shaped")
        out = out.scatter(plus_81, found.get_column(_D))
        done = done.scatter(plus_81, shaped)
    for rows, source, normaliser in (
        ((~done & frame.get_column("nfkc")).arg_true(), text, phone_after_nfkc),
        ((~done & ~frame.get_column("nfkc")).arg_true(), values, normalise_phone),
    ):
        if rows.len():
            out = out.scatter(rows, apply_expr(source.gather(rows), normaliser))
    return out.alias(values.name)
