"""What a format reader hands the scanner: tables of text, in bounded batches."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import polars as pl

#: Rows per batch the readers aim for: bounds memory whatever the file size.
BATCH_ROWS = 200_000


@dataclass
class Table:
    """One table of a source: a CSV file, one sheet of a workbook, ...

    ``batches`` yields DataFrames whose columns are exactly ``columns``, every
    one of dtype ``pl.String`` (cells read as text, never inferred), in row
    order, header excluded, each at most about ``BATCH_ROWS`` rows. It may raise
    a ``verifydel.errors.SourceError`` part-way (a truncated or corrupt file):
    the rows already yielded count as scanned and the source ends ``partial``.
    """

    label: str  # the report path: the unit's label, plus "!/<sheet>" for a workbook sheet
    kind: str  # "csv", "tsv", "jsonl", "parquet", "xlsx", "xls"
    columns: list[str]  # header names, made unique ("TEL", "TEL_2") and never empty
    batches: Iterator[pl.DataFrame]
    encoding: str | None = None  # the text encoding used, None for binary formats
    notes: list[str] = field(default_factory=list)  # e.g. "sheet is hidden"
    #: Where each row was found, for sources that are not plain row lists: maps an
    #: optional match column of the report ("offset", "page", "recovered"; see
    #: ``verifydel.report.model.OPTIONAL_MATCH_SCHEMA``) to the batch column holding it.
    #: These batch columns are extra: they are not in ``columns``, never taken for
    #: data, and their dtypes are the report's (Int64, Int64, Boolean).
    location: dict[str, str] = field(default_factory=dict)
    #: False when rows have no meaningful number (a match in unstructured bytes is
    #: located by ``offset`` alone): the report's ``row`` is then null.
    numbered: bool = True
    #: Facts about the source for the report's ``details`` (no personal value).
    details: dict[str, str | int | bool | None] = field(default_factory=dict)
    #: For rows that are spans found in unstructured bytes: ``window_texts(batch, rows)``
    #: gives (``_row`` u32, ``text``) readings of the text around those rows of a batch;
    #: the scan upgrades a hit when the same leaked record's name or address is in it
    #: (``verifydel.match.window``).
    window_texts: Callable[[pl.DataFrame, pl.Series], pl.DataFrame] | None = None
    #: The header row's cells as read (one per column, None where empty), when the
    #: names came from a first row that might itself be data (a CSV header, a sheet's
    #: first row); None when the format has no header row or the names are positional.
    #: The pipeline scans it as data (row 0) when it looks like data, not like labels.
    header_row: list[str | None] | None = None
    #: How many bytes of the unit's file the batches yielded so far were read from, for
    #: the progress display: set by a reader that can tell (counted, or estimated from the
    #: rows read; never more than the file's size, all of it once the batches are done).
    #: None when the reader cannot tell: progress then counts rows only.
    position: Callable[[], int] | None = None
    #: For a table read from a part of its file past the first (``Unit.span``): the table of
    #: the whole file. Its header row and first batch choose the columns (and whether it is
    #: read as text), as a reading of the whole file would; this part's rows are numbered
    #: from its own start (the caller adds the rows before it).
    whole: Table | None = None
