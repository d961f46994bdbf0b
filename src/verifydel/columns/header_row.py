"""Header cells that are personal values: a first row that is a record, names not to report.

A table's names come from its first row (a CSV header, a sheet's first row), a
JSON key or a schema; the broker chooses them all. Two questions, answered with
the value shapes column sniffing uses (``_synonyms.value_shapes``), vectorised
over the cells:

- ``could_be_data(cells)``: is this header row perhaps a record? Yes when a cell
  is shaped like a phone, e-mail address, postal code or birth date, or like an
  address value rather than a label (see ``_ADDRESS_VALUE``). A name alone does not
  make a row data: many labels (ランク, 地域) are short kanji or kana too, and no
  record matches without its phone or address.
- ``personal_names(names)``: which names must not be shown in a report: those
  above, and name- or address-shaped names that are no header word (no synonym,
  blocker or neutral word of the dictionary says anything about them).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Final

import polars as pl

from verifydel.columns import MIN_BIRTH_AGE_YEARS, says_something
from verifydel.columns._synonyms import DASHES, PREF_ALTERNATION, value_shapes

__all__ = ["could_be_data", "personal_names", "shown_name"]

#: An address value, not a label naming address parts (お届け先市区町村2): it starts
#: with a prefecture and holds a number, or holds block numbers (2丁目, 8番地, 3号,
#: 2-8-1). Over NFKC text, so full-width digits are ASCII.
_NUMERAL: Final = r"[0-9一二三四五六七八九十]"
_ADDRESS_VALUE: Final = (
    rf"^(?:{PREF_ALTERNATION}).*{_NUMERAL}"
    rf"|{_NUMERAL}\s*(?:丁目|番地|番|号)"
    rf"|\d+[{DASHES}]\d+[{DASHES}]?\d*"
)

_UNIQUE_SUFFIX: Final = re.compile(r"_\d+$")


def _shapes(cells: Sequence[str | None]) -> pl.DataFrame:
    """Per cell: ``data`` (a value no label has), ``personal`` (that, or a name-like non-label)."""
    says = pl.Series([c is not None and says_something(c) for c in cells], dtype=pl.Boolean)
    v = pl.col("v")
    shapes = value_shapes(v, latest_birth_year=date.today().year - MIN_BIRTH_AGE_YEARS)
    address_value = shapes["address"] & v.str.contains(_ADDRESS_VALUE)
    data = (
        shapes["phone"] | shapes["email"] | shapes["postal"] | shapes["birth_date"] | address_value
    )
    named = (shapes["name"] | shapes["kana"] | shapes["address"]) & ~pl.col("says")
    return (
        pl.DataFrame({"v": pl.Series(list(cells), dtype=pl.String), "says": says})
        .with_columns(
            v.str.normalize("NFKC").str.replace_all(r"\s+", " ").str.strip_chars().replace("", None)
        )
        .select(
            data.fill_null(False).alias("data"),
            (data | named).fill_null(False).alias("personal"),
        )
    )


def could_be_data(cells: Sequence[str | None]) -> bool:
    """Whether a header row might be a record: scan it as data too."""
    if not any(cells):
        return False
    return bool(_shapes(cells)["data"].any())


def personal_names(names: Sequence[str]) -> list[bool]:
    """For each column name: True when it looks like a personal value, not a label."""
    if not names:
        return []
    # "山田 太郎_2": a repeated cell made unique (``core.headers.unique_column_names``).
    return _shapes([_UNIQUE_SUFFIX.sub("", name) for name in names])["personal"].to_list()


def shown_name(index: int) -> str:
    """What a report shows for the column at 0-based ``index`` whose name is personal."""
    return f"column_{index + 1}"
