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
from functools import lru_cache
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


#: A cell with none of these (past a trailing line number, 住所2) is no phone, postal
#: code, date, e-mail or address value.
_VALUE_CHAR: Final = re.compile(r"[0-9０-９一二三四五六七八九十@＠]")
_LINE_NUMBER: Final = re.compile(r"[\s_\-]*[0-9０-９]{1,2}$")
_POSITIONAL: Final = re.compile(r"column_[0-9]+")


def _candidate(cell: str | None, says: bool) -> bool:
    """Whether ``cell`` may be a personal value at all: a quick test in Python, so that a
    header of plain labels (氏名, 住所1, TEL, member_id) costs no polars evaluation."""
    if not cell or _POSITIONAL.fullmatch(cell):
        return False
    if not says:
        return not cell.isascii() or _VALUE_CHAR.search(cell) is not None
    return _VALUE_CHAR.search(_LINE_NUMBER.sub("", cell)) is not None


def _shapes(cells: Sequence[str | None]) -> pl.DataFrame:
    """Per cell: ``data`` (a value no label has), ``personal`` (that, or a name-like non-label)."""
    said = [c is not None and says_something(c) for c in cells]
    wanted = [_candidate(c, s) for c, s in zip(cells, said, strict=True)]
    if not any(wanted):
        return pl.DataFrame({"data": [False] * len(cells), "personal": [False] * len(cells)})
    cells = [c if w else None for c, w in zip(cells, wanted, strict=True)]
    says = pl.Series(said, dtype=pl.Boolean)
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


#: Headers up to this many characters in all are remembered (the tables of one export
#: often share theirs); a longer one (a 20 MB "header" line) is judged and forgotten.
_CACHED_CHARS: Final = 4096


def _judged(cells: tuple[str | None, ...]) -> tuple[tuple[bool, ...], tuple[bool, ...]]:
    """(data, personal) per cell."""
    if sum(len(c) for c in cells if c) <= _CACHED_CHARS:
        return _judged_cached(cells)
    return _judge(cells)


def _judge(cells: tuple[str | None, ...]) -> tuple[tuple[bool, ...], tuple[bool, ...]]:
    shapes = _shapes(cells)
    return tuple(shapes["data"].to_list()), tuple(shapes["personal"].to_list())


_judged_cached = lru_cache(maxsize=256)(_judge)


def could_be_data(cells: Sequence[str | None]) -> bool:
    """Whether a header row might be a record: scan it as data too."""
    if not any(cells):
        return False
    return any(_judged(tuple(cells))[0])


def personal_names(names: Sequence[str]) -> list[bool]:
    """For each column name: True when it looks like a personal value, not a label."""
    if not names:
        return []
    # "山田 太郎_2": a repeated cell made unique (``core.headers.unique_column_names``).
    return list(_judged(tuple(_UNIQUE_SUFFIX.sub("", name) for name in names))[1])


def shown_name(index: int) -> str:
    """What a report shows for the column at 0-based ``index`` whose name is personal."""
    return f"column_{index + 1}"
