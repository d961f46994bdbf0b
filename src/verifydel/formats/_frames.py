"""Shared plumbing of the readers: bounded batches streamed from polars, errors.

Polars error messages can quote the offending cell; none of them is passed on.
Our messages say where (data row, byte offset) and what to try next.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Final

import polars as pl

from verifydel.core.table import BATCH_ROWS, Table
from verifydel.decoders.replace import Replacements
from verifydel.errors import FormatError

#: Encodings polars reads itself (it drops a UTF-8 BOM in CSV headers).
POLARS_CSV_ENCODINGS: Final = frozenset({"utf-8", "utf-8-sig", "ascii"})


def stream_frames(
    lf: pl.LazyFrame,
    *,
    columns: list[str],
    what: str,
    on_error: Callable[[int, Exception], Exception] | None = None,
    finish: Callable[[pl.DataFrame], pl.DataFrame] | None = None,
) -> Iterator[pl.DataFrame]:
    """The rows of ``lf`` in order, in frames of at most BATCH_ROWS rows, streamed.

    A polars failure part-way becomes a FormatError naming the data row reached
    (``on_error(rows_done, polars_error)`` may build a more specific one, without
    quoting the polars message); the frames already yielded stand.
    """
    rows_done = 0

    def failure(exc: Exception) -> Exception:
        if on_error is not None:
            return on_error(rows_done, exc)
        return FormatError(
            f"malformed {what} after data row {rows_done}",
            hint="the rows before it were scanned; check whether the file is complete or corrupt",
        )

    batches = lf.collect_batches(chunk_size=BATCH_ROWS)
    while True:
        try:
            frame = next(batches)
        except StopIteration:
            return
        except (pl.exceptions.PolarsError, OSError) as exc:
            raise failure(exc) from None
        if finish is not None:
            frame = finish(frame)
        if frame.columns != columns:
            raise FormatError(
                f"{what} columns changed after data row {rows_done}",
                hint="the header could not be read consistently; convert the file to UTF-8 CSV",
            )
        for start in range(0, frame.height, BATCH_ROWS):
            part = frame.slice(start, BATCH_ROWS)
            rows_done += part.height
            yield part


class ReadPosition:
    """How far into its file the rows a reader yielded reach: the ``Table.position`` of a
    reader that hands its file to polars, which never says where it is in it.

    Each frame moves it on by the bytes its rows are estimated to take in the file:
    ``per_row`` each, plus ``per_text_byte`` times the UTF-8 bytes of their cells (the
    ratio the head of the file shows: its quotes, delimiters and line ends, its encoding).
    It never passes the file's size, and is the size once the reader has read to the end.
    """

    def __init__(self, size: int, *, per_row: float = 0.0, per_text_byte: float = 0.0) -> None:
        self.size = size
        self.per_row = per_row
        self.per_text_byte = per_text_byte
        self._at = 0.0

    @classmethod
    def from_head(cls, size: int, head_bytes: float, rows: Iterable[Iterable[str | None]]) -> ReadPosition:
        """Calibrated on the head of the file: ``head_bytes`` of it hold ``rows`` (their cells
        as text); a row counts one byte more than its cells (its line end)."""
        n = text = 0
        for row in rows:
            n += 1
            text += 1 + sum(len(cell.encode("utf-8", "replace")) for cell in row if cell)
        return cls(size, per_text_byte=head_bytes / text if text else 1.0)

    def add(self, frame: pl.DataFrame) -> None:
        """The rows of ``frame`` were read."""
        moved = self.per_row * frame.height
        if self.per_text_byte and frame.height:
            cells = frame.select(pl.col(pl.String).str.len_bytes().sum())
            text = frame.height + sum(v or 0 for v in cells.row(0)) if cells.width else frame.height
            moved += self.per_text_byte * text
        self._at = min(self._at + moved, float(self.size))

    def end(self) -> None:
        """The reader read the file to its end."""
        self._at = float(self.size)

    def __call__(self) -> int:
        return int(self._at)

    def tracking(self, frames: Iterator[pl.DataFrame]) -> Iterator[pl.DataFrame]:
        """``frames``, moving on with each one; at the end when they are done."""
        for frame in frames:
            self.add(frame)
            yield frame
        self.end()


def note_replacements(table: Table, replaced: Replacements) -> None:
    """Bytes of the file that were not text, on its table: a note and ``details``.

    Called before the first batch is yielded; the scan reads the table's notes and
    details once its batches are done."""
    if replaced:
        table.notes.append(replaced.note())
        table.details.update(replaced.details())
