"""Birth date: ISO ``YYYY-MM-DD``.

Read (after NFKC as a table, spaces anywhere): 1980/1/2, 1980-01-02, 1980.1.2,
1980年1月2日, 19800102, a trailing time (1980-01-02 00:00:00, ...T00:00),
Japanese eras 明治/大正/昭和/平成/令和 (also 明/大/昭/平/令 and M/T/S/H/R in
either case: S55.1.2, H2/3/4; 元年 is year 1), and an Excel date serial
(29221 is 1980-01-01). Invalid dates (month 13, 30 February, an era year
past the era's end) and anything else are null. Years before 1868 or after
2100 are null too: no living person's birth date.

Vectorised: one regex extraction, then arithmetic and a strict=False date
parse on the rebuilt ISO text.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import polars as pl

from verifydel.normalise import _text

#: Era name -> (year before its first year, its last year number).
ERAS: Final[dict[str, tuple[int, int]]] = {
    "明治": (1867, 45), "大正": (1911, 15), "昭和": (1925, 64), "平成": (1988, 31), "令和": (2018, 99),
}  # fmt: skip
#: Abbreviations of the eras, each mapped to the full name.
ERA_ABBREVIATIONS: Final[dict[str, str]] = {
    "明": "明治", "大": "大正", "昭": "昭和", "平": "平成", "令": "令和",
    "m": "明治", "t": "大正", "s": "昭和", "h": "平成", "r": "令和",
}  # fmt: skip

FIRST_YEAR: Final[int] = 1868
LAST_YEAR: Final[int] = 2100
#: Day 0 of Excel's (1900) date system, as the serials count in practice.
EXCEL_EPOCH: Final[dt.date] = dt.date(1899, 12, 30)

_SEP_Y = rf"\s*(?:年|[./{_text.DASH_CLASS}]|\s)\s*"
_SEP_M = rf"\s*(?:月|[./{_text.DASH_CLASS}]|\s)\s*"
_ERA = "明治|大正|昭和|平成|令和|[明大昭平令]|[MTSHRmtshr]"
_TIME = r"(?:\s*[T\s]\s*[0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?"
#: Groups: 1 era, 2 era year, 3 four-digit year, 4 month, 5 day | 6 7 8 the
#: compact YYYYMMDD | 9 an Excel serial.
BIRTH_DATE_REGEX: Final[str] = (
    rf"^\s*(?:(?:({_ERA})\s*\.?\s*(元|[0-9]{{1,2}})|([0-9]{{4}})){_SEP_Y}"
    rf"([0-9]{{1,2}}){_SEP_M}([0-9]{{1,2}})\s*日?(?:生まれ|生)?{_TIME}"
    rf"|([0-9]{{4}})([0-9]{{2}})([0-9]{{2}})"
    rf"|([0-9]{{5}})(?:\.0+)?)\s*$"
)


def _era_base_and_last() -> tuple[dict[str, int], dict[str, int]]:
    names = {**{name: name for name in ERAS}, **ERA_ABBREVIATIONS}
    base = {key: ERAS[name][0] for key, name in names.items()}
    last = {key: ERAS[name][1] for key, name in names.items()}
    return base, last


def normalise_birth_date(value: pl.Expr) -> pl.Expr:
    """The ISO date, or null.

    The regex runs once: every later step reads the fields of its struct
    (``struct.with_fields``), as an eager ``select`` would otherwise compute a
    sub-expression once per use.
    """
    base, last = _era_base_and_last()
    parts = _text.nfkc_only().apply(value).str.extract_groups(BIRTH_DATE_REGEX)
    era = pl.field("1").str.to_lowercase()
    era_year = (
        pl.when(pl.field("2") == "元").then(1).otherwise(pl.field("2").cast(pl.Int32, strict=False))
    )
    parts = parts.struct.with_fields(
        base=era.replace_strict(base, default=None, return_dtype=pl.Int32),
        last=era.replace_strict(last, default=None, return_dtype=pl.Int32),
        era_year=era_year,
    )
    era_ok = (pl.field("era_year") >= 1) & (pl.field("era_year") <= pl.field("last"))
    year = pl.coalesce(
        pl.when(era_ok).then(pl.field("base") + pl.field("era_year")),
        pl.field("3").cast(pl.Int32, strict=False),
        pl.field("6").cast(pl.Int32, strict=False),
    )
    month = pl.coalesce(pl.field("4"), pl.field("7")).str.zfill(2)
    day = pl.coalesce(pl.field("5"), pl.field("8")).str.zfill(2)
    iso = pl.concat_str([year.cast(pl.String).str.zfill(4), month, day], separator="-")
    serial = pl.field("9").cast(pl.Int32, strict=False)
    from_serial = (pl.lit(EXCEL_EPOCH) + pl.duration(days=serial)).cast(pl.Date)
    parts = parts.struct.with_fields(
        date=pl.coalesce(iso.str.to_date("%Y-%m-%d", strict=False), from_serial)
    )
    in_range = pl.field("date").dt.year().is_between(FIRST_YEAR, LAST_YEAR)
    parts = parts.struct.with_fields(
        iso=pl.when(in_range).then(pl.field("date").dt.to_string("%Y-%m-%d"))
    )
    return parts.struct.field("iso")
