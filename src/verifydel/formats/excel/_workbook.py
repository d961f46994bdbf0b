"""Excel workbooks through calamine: every sheet, hidden and very hidden ones too.

One Table per sheet, labelled ``<unit label>!/<sheet name>``. The first non-empty
row is the header. Cells become text the way a person reads them in Excel: a
whole number without ".0" (a phone stored as a number lost its leading 0; the
normaliser restores it), dates as ISO "YYYY-MM-DD", booleans "TRUE"/"FALSE".

calamine parses a whole sheet at once, so each sheet is parsed twice, once for
its header when the workbook is opened and once for its rows when the scanner
gets to it: only one sheet's cells are ever in memory.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterator, Sequence
from itertools import islice
from pathlib import Path
from typing import Any, Final

import polars as pl
import python_calamine as calamine

from verifydel.errors import FormatError
from verifydel.core.cells import EXACT_FLOAT_LIMIT
from verifydel.core.headers import unique_column_names
from verifydel.core.table import BATCH_ROWS, Table
from verifydel.core.unit import Unit

SHEET_SEPARATOR: Final = "!/"

HIDDEN_NOTE: Final = "hidden sheet"
VERY_HIDDEN_NOTE: Final = "very hidden sheet (can only be shown with VBA)"
CHART_NOTE: Final = "chart sheet: no cells"


def _sheet_notes(meta: calamine.SheetMetadata) -> list[str]:
    # calamine's enums are not hashable: compared, not looked up.
    if meta.visible == calamine.SheetVisibleEnum.Hidden:
        return [HIDDEN_NOTE]
    if meta.visible == calamine.SheetVisibleEnum.VeryHidden:
        return [VERY_HIDDEN_NOTE]
    return []


def _float_text(value: float) -> str:
    """9012345678.0 → "9012345678" (as whole_float_as_integer_text does for Parquet)."""
    if math.isfinite(value) and value.is_integer() and abs(value) < EXACT_FLOAT_LIMIT:
        return str(int(value))
    return repr(value)


def _datetime_text(value: dt.datetime) -> str:
    if value.time() == dt.time(0):
        return value.date().isoformat()
    return value.isoformat(sep=" ")


#: Cell text by exact Python type (looked up by type(value), so a bool is not taken for an int).
_CELL_TEXT: Final[dict[type, Callable[[Any], str | None]]] = {
    str: lambda value: value or None,
    float: _float_text,
    int: str,
    bool: lambda value: "TRUE" if value else "FALSE",
    dt.datetime: _datetime_text,
    dt.date: dt.date.isoformat,
    dt.time: dt.time.isoformat,
    dt.timedelta: str,
}


def cell_text(value: object) -> str | None:
    """One calamine cell as text; empty cells as None."""
    if value is None:
        return None
    convert = _CELL_TEXT.get(type(value))
    return convert(value) if convert is not None else str(value)


def column_text(values: tuple[object, ...]) -> pl.Series:
    """A column of calamine cells as a pl.String series.

    A column of text cells (the common case of an export) goes to polars as it is;
    only columns holding numbers, dates or booleans are converted cell by cell.
    """
    if set(map(type, values)) <= {str}:
        return pl.Series(values=values, dtype=pl.String).replace("", None)
    return pl.Series(values=[cell_text(value) for value in values], dtype=pl.String)


def _is_empty_row(row: Sequence[object]) -> bool:
    return all(value == "" or value is None for value in row)


def _workbook_error(kind: str, exc: Exception) -> FormatError:
    if isinstance(exc, calamine.PasswordError):
        return FormatError(
            f"the {kind} workbook is password-protected",
            hint="ask for the password or an unprotected copy",
        )
    return FormatError(
        f"not a readable {kind} workbook (corrupt, truncated or another kind of file)",
        hint="open it in Excel to check it, or export the sheets as CSV",
    )


def open_workbook_tables(unit: Unit, kind: str) -> list[Table]:
    try:
        with calamine.CalamineWorkbook.from_path(unit.path) as workbook:
            tables = [_sheet_table(unit, kind, workbook, meta) for meta in workbook.sheets_metadata]
    except (calamine.CalamineError, OSError) as exc:
        raise _workbook_error(kind, exc) from None
    return tables


def _sheet_table(
    unit: Unit, kind: str, workbook: calamine.CalamineWorkbook, meta: calamine.SheetMetadata
) -> Table:
    label = f"{unit.label}{SHEET_SEPARATOR}{meta.name}"
    notes = _sheet_notes(meta)
    if meta.typ == calamine.SheetTypeEnum.ChartSheet:
        return Table(label, kind, [], iter(()), notes=[*notes, CHART_NOTE])
    rows = workbook.get_sheet_by_name(meta.name).iter_rows()
    header = next((row for row in rows if not _is_empty_row(row)), None)
    if header is None:
        return Table(label, kind, [], iter(()), notes=[*notes, "empty sheet"])
    cells = [cell_text(value) for value in header]
    columns = unique_column_names(cells)
    batches = _sheet_batches(unit.path, kind, meta.name, columns)
    # The first row is always taken for names; the pipeline also scans it as data
    # (row 0) when it looks like a record rather than labels.
    return Table(label, kind, columns, batches, notes=notes, header_row=cells)


def _sheet_batches(path: Path, kind: str, sheet: str, columns: list[str]) -> Iterator[pl.DataFrame]:
    """The sheet's rows after its header, BATCH_ROWS at a time (parsed again, see module doc)."""
    try:
        with calamine.CalamineWorkbook.from_path(path) as workbook:
            rows = workbook.get_sheet_by_name(sheet).iter_rows()
            for row in rows:
                if not _is_empty_row(row):
                    break  # the header
            width = len(columns)
            while batch := list(islice(rows, BATCH_ROWS)):
                cells = zip(
                    *(row[:width] + [""] * (width - len(row)) for row in batch), strict=True
                )
                yield pl.DataFrame(
                    [
                        column_text(values).alias(name)
                        for name, values in zip(columns, cells, strict=True)
                    ]
                )
    except (calamine.CalamineError, OSError) as exc:
        raise _workbook_error(kind, exc) from None
