"""CSV and TSV (and ";" or "|" separated text): the delimiter sniffed, polars streams the rows.

UTF-8 files (with or without BOM) are read by polars from their own path; other
encodings, and UTF-8 with invalid bytes or NUL bytes, are first transcoded into a
private temporary file in which invalid sequences are U+FFFD and NUL bytes are
dropped: every row is read, and the table notes how many bytes were replaced and
where (``decoders.replace``). The header row, the
delimiter and whether there is a header at all are decided from the decoded head
of the file, quote-aware (a quoted field may hold the delimiter or a newline).
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator, Sequence
from itertools import islice
from pathlib import Path
from typing import Final

import polars as pl

from verifydel.core.tempfiles import private_temp_path
from verifydel.errors import DecodeError, FormatError, SourceError
from verifydel.decoders.utf8 import readable_as_utf8
from verifydel.formats._frames import POLARS_CSV_ENCODINGS, ReadPosition, note_replacements, stream_frames
from verifydel.core.headers import positional_names, unique_column_names
from verifydel.formats._probe import Probe
from verifydel.core.table import Table
from verifydel.core.unit import Span, Unit

KIND: Final = "csv"
TSV_KIND: Final = "tsv"

#: Delimiters considered, in order of preference when the sniff cannot tell.
DELIMITERS: Final[tuple[str, ...]] = (",", "\t", ";", "|")
#: Records of the head the delimiter is sniffed from.
SNIFF_RECORDS: Final = 50

HEADERLESS_NOTE: Final = (
    "no header row: the first row looks like data, so it is kept as data and the "
    "columns are named column_1, column_2, ..."
)

# Shapes of a first-row cell that make it data rather than a header name
# (matched after NFKC, so full-width digits count).
_PHONE: Final = re.compile(r"\+?[0-9][0-9()\- .]{8,18}[0-9]")
_POSTAL: Final = re.compile(r"〒?\s*[0-9]{3}-?[0-9]{4}")
_EMAIL: Final = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_NUMBER: Final = re.compile(r"[+-]?[0-9][0-9,]*(\.[0-9]+)?")
_DATE: Final = re.compile(r"[0-9]{4}[-/.][0-9]{1,2}[-/.][0-9]{1,2}")


def sniff(probe: Probe) -> bool:
    """Any text: CSV is the reader of last resort for text files."""
    return not probe.is_binary


def _complete_records(probe: Probe) -> str:
    """The decoded head without its last, possibly cut, line (unless it is the whole file)."""
    text = probe.text_head
    if probe.text_head_is_whole_file:
        return text
    cut = max(text.rfind("\n"), text.rfind("\r"))
    return text[: cut + 1] if cut > 0 else text


def _records(text: str, delimiter: str) -> list[list[str]]:
    """The records of ``text`` (blank lines included, as []), up to any it cannot parse."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"')
    records: list[list[str]] = []
    with contextlib.suppress(csv.Error):  # e.g. a field over csv's size limit
        records.extend(reader)
    return records


def _is_blank(record: list[str]) -> bool:
    return all(not cell.strip() for cell in record)


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first records into the most consistent field counts.

    Consistency first (share of records with the commonest field count, to a tenth),
    then more fields, then the order of DELIMITERS. One field everywhere: ",".
    """
    best, best_key = DELIMITERS[0], (0.0, 0)
    for delimiter in DELIMITERS:
        records = (r for r in _records(text, delimiter) if not _is_blank(r))
        counts = [len(record) for record in islice(records, SNIFF_RECORDS)]
        if not counts:
            continue
        fields, frequency = Counter(counts).most_common(1)[0]
        if fields < 2:
            continue
        key = (round(frequency / len(counts), 1), fields)
        if key > best_key:
            best, best_key = delimiter, key
    return best


def looks_like_data(cells: Sequence[str]) -> bool:
    """True when a first row is data, not a header: a cell shaped like a phone, postal
    code, e-mail address or date, or every non-empty cell a number."""
    values = [unicodedata.normalize("NFKC", cell).strip() for cell in cells]
    values = [value for value in values if value]
    if not values:
        return False
    if any(
        pattern.fullmatch(value) for value in values for pattern in (_PHONE, _POSTAL, _EMAIL, _DATE)
    ):
        return True
    return all(_NUMBER.fullmatch(value) for value in values)


def open_tables(unit: Unit, probe: Probe) -> list[Table]:
    """The file's one table; of a ``Unit.span``, the records starting in those bytes: the first
    part is read as the whole file's head (its header row skipped or scanned as data), a later
    one from its first byte, with the whole file's table (``Table.whole``) to choose columns."""
    if unit.span is None or unit.span.start == 0:
        return [_open(unit, probe)]
    head = unit.span.head
    whole = _open(dataclasses.replace(unit, span=Span(0, head, head)), probe)
    part = _open(unit, probe, whole=whole)
    return [part]


def _open(unit: Unit, probe: Probe, *, whole: Table | None = None) -> Table:
    text = _complete_records(probe)
    if not text.strip():
        return Table(unit.label, KIND, [], iter(()), encoding=None, notes=["empty file"])
    delimiter = sniff_delimiter(text)
    records = _records(text, delimiter)
    first = next((i for i, record in enumerate(records) if not _is_blank(record)), None)
    if first is None:
        raise FormatError(
            "the first row cannot be read as CSV",
            hint="check the file is a CSV export; a field may be longer than 128 KiB",
        )
    first_row = records[first]
    # As wide as the widest row of the head: data wider than its header is kept,
    # in columns named by position.
    width = max(len(record) for record in records if not _is_blank(record))
    has_header = not looks_like_data(first_row)
    if has_header:
        columns = unique_column_names([*first_row, *[""] * (width - len(first_row))])
    else:
        columns = positional_names(width)
    kind = TSV_KIND if delimiter == "\t" else KIND
    reading = _CsvReading(
        path=unit.path,
        encoding=probe.encoding,
        delimiter=delimiter,
        eol="\r" if "\n" not in text and "\r" in text else "\n",
        # polars counts every record, blank ones too, when it skips rows; a later part of
        # the file (``whole`` given) starts at a record
        skip_rows=0 if whole is not None else first + 1 if has_header else first,
        columns=columns,
        what=kind.upper(),
        span=unit.span,
    )
    notes = [] if has_header else [HEADERLESS_NOTE]
    # The header cells as read: the pipeline also scans them as a data row (row 0)
    # when they look like a record rather than labels.
    header_row = _header_cells(first_row, width) if has_header and whole is None else None
    # polars does not say where in the file it is: the rows read tell, at the rate of the head
    position = ReadPosition.from_head(probe.size, probe.bytes_of_head_text(text), records)
    table = Table(unit.label, kind, columns, iter(()), encoding=probe.encoding, notes=notes,
                  header_row=header_row, position=position, whole=whole)
    table.batches = position.tracking(reading.batches(table))
    return table


def _header_cells(first_row: list[str], width: int) -> list[str | None]:
    """The first row's cells, ``width`` of them (a stray BOM dropped), None where empty."""
    cells = [cell.lstrip("\ufeff") if i == 0 else cell for i, cell in enumerate(first_row[:width])]
    return [cell if cell != "" else None for cell in cells] + [None] * (width - len(cells))


class _CsvReading:
    """How to read one delimited file; ``batches`` does it, lazily, when iterated."""

    def __init__(
        self,
        *,
        path: Path,
        encoding: str,
        delimiter: str,
        eol: str,
        skip_rows: int,
        columns: list[str],
        what: str,
        span: Span | None = None,
    ) -> None:
        self.path = path
        self.encoding = encoding
        self.delimiter = delimiter
        self.eol = eol
        self.skip_rows = skip_rows
        self.columns = columns
        self.what = what
        self.span = span

    def batches(self, table: Table) -> Iterator[pl.DataFrame]:
        # A generator: nothing is read (and no temporary file made) until the
        # scanner asks for the first batch; the temporary file goes when it is done.
        with self._bytes() as path, readable_as_utf8(
            path, self.encoding, direct=POLARS_CSV_ENCODINGS, suffix=".csv"
        ) as (readable, replaced):
            note_replacements(table, replaced)
            if readable.stat().st_size > 0:
                yield from self._scan(readable)

    @contextlib.contextmanager
    def _bytes(self) -> Iterator[Path]:
        """The file, or a private copy of the bytes of its span (polars reads whole files)."""
        if self.span is None:
            yield self.path
            return
        start, end = self.span.start, self.span.end
        with private_temp_path(".csv") as copy:
            try:
                with open(self.path, "rb") as src, open(copy, "wb") as out:
                    src.seek(start)
                    left = end - start
                    while left > 0 and (block := src.read(min(left, 16 << 20))):
                        out.write(block)
                        left -= len(block)
            except OSError as exc:
                raise SourceError(
                    f"cannot read the file: {(exc.strerror or type(exc).__name__).lower()}",
                    hint="check the medium",
                ) from None
            yield copy

    def _scan(self, path: Path) -> Iterator[pl.DataFrame]:
        # The header was read from the head of the file: polars skips it and reads
        # every row into exactly these columns (short rows padded with nulls, long
        # rows cut: ragged lines do not abort the file).
        lf = pl.scan_csv(
            path,
            has_header=False,
            skip_rows=self.skip_rows,
            schema=dict.fromkeys(self.columns, pl.String),
            missing_columns="insert",
            extra_columns="ignore",
            separator=self.delimiter,
            quote_char='"',
            eol_char=self.eol,
            truncate_ragged_lines=True,
            raise_if_empty=False,
        )
        return stream_frames(lf, columns=self.columns, what=self.what, on_error=self._error)

    def _error(self, rows_done: int, exc: Exception) -> Exception:
        # Looks at the polars message only to classify it; never passes it on.
        if "utf-8" in str(exc).lower() or "utf8" in str(exc).lower():
            return DecodeError(
                f"the file is not valid UTF-8 after data row {rows_done}",
                hint="the rows before it were scanned; try --encoding=cp932 (or euc_jp)",
            )
        return FormatError(
            f"malformed {self.what} after data row {rows_done}",
            hint="the rows before it were scanned; check whether the file is complete or corrupt",
        )

