"""Excel workbooks through calamine: every sheet, hidden and very hidden ones too.

One Table per sheet, labelled ``<unit label>!/<sheet name>``. The first non-empty
row is the header. Cells become text the way a person reads them in Excel: a
whole number without ".0" (a phone stored as a number lost its leading 0; the
normaliser restores it), dates as ISO "YYYY-MM-DD", booleans "TRUE"/"FALSE".

calamine is native code that a forged workbook can crash or make allocate a
grid of billions of cells, so it never runs in this process: an .xlsx is first
bounded (``_bounds``: every XML part decompressed within the limits, every
sheet's extent measured; a sheet beyond them fails alone with the reason), then
read by a worker process under ``max_reader_memory`` (``_worker``, ``_process``).
calamine parses a whole sheet at once, so each sheet is parsed twice, once for
its header when the workbook is opened and once for its rows when the scanner
gets to it: only one sheet's cells are ever in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

import polars as pl

from verifydel.core.headers import unique_column_names
from verifydel.core.limits import Budget, LimitExceeded, Limits
from verifydel.core.table import BATCH_ROWS, Table
from verifydel.core.unit import Unit
from verifydel.formats.excel import _process
from verifydel.formats.excel._bounds import check_xlsx
from verifydel.formats.excel._worker import cell_text, column_texts, is_empty_row

SHEET_SEPARATOR: Final = "!/"

HIDDEN_NOTE: Final = "hidden sheet"
VERY_HIDDEN_NOTE: Final = "very hidden sheet (can only be shown with VBA)"
CHART_NOTE: Final = "chart sheet: no cells"
_VISIBILITY_NOTES: Final = {"hidden": [HIDDEN_NOTE], "very hidden": [VERY_HIDDEN_NOTE]}


def column_text(values: tuple[object, ...]) -> pl.Series:
    """A column of calamine cells as a pl.String series."""
    return pl.Series(values=column_texts(values), dtype=pl.String)


def _budget(unit: Unit) -> Budget:
    return unit.budget if isinstance(unit.budget, Budget) else Budget(Limits())


def open_workbook_tables(unit: Unit, kind: str) -> list[Table]:
    budget = _budget(unit)
    assert unit.path is not None
    refused = check_xlsx(unit.path, kind, budget) if kind == "xlsx" else {}
    request = {"op": "sheets", "path": str(unit.path), "skip": sorted(refused)}
    [answer] = _process.run(kind, budget, request)
    return [_sheet_table(unit, kind, budget, sheet, refused.get(sheet["name"])) for sheet in answer["sheets"]]


def _sheet_table(unit: Unit, kind: str, budget: Budget, sheet: dict[str, Any], refused: LimitExceeded | None) -> Table:
    name = str(sheet["name"])
    label = f"{unit.label}{SHEET_SEPARATOR}{name}"
    notes = list(_VISIBILITY_NOTES.get(sheet["visible"], []))
    if refused is not None:
        return Table(label, kind, [], _refuse(refused), notes=notes)
    if sheet["chart"]:
        return Table(label, kind, [], iter(()), notes=[*notes, CHART_NOTE])
    if sheet["header"] is None:
        return Table(label, kind, [], iter(()), notes=[*notes, "empty sheet"])
    cells = list(sheet["header"])
    columns = unique_column_names(cells)
    batches = _sheet_batches(unit, kind, budget, name, columns)
    # The first row is always taken for names; the pipeline also scans it as data
    # (row 0) when it looks like a record rather than labels.
    return Table(label, kind, columns, batches, notes=notes, header_row=cells)


def _refuse(exc: LimitExceeded) -> Iterator[pl.DataFrame]:
    raise exc
    yield  # pragma: no cover - makes this a generator: raised when the scanner reads the sheet


def _sheet_batches(unit: Unit, kind: str, budget: Budget, sheet: str, columns: list[str]) -> Iterator[pl.DataFrame]:
    """The sheet's rows after its header, BATCH_ROWS at a time (parsed again, see module doc)."""
    request = {"op": "rows", "path": str(unit.path), "sheet": sheet, "width": len(columns), "batch": BATCH_ROWS}
    for frame in _process.run(kind, budget, request):
        if "columns" in frame:
            yield pl.DataFrame(
                [
                    pl.Series(name, values, dtype=pl.String)
                    for name, values in zip(columns, frame["columns"], strict=True)
                ]
            )


__all__ = ["CHART_NOTE", "HIDDEN_NOTE", "SHEET_SEPARATOR", "VERY_HIDDEN_NOTE", "cell_text", "column_text", "is_empty_row",
           "open_workbook_tables"]  # fmt: skip
