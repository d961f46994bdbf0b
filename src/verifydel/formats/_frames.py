"""Shared plumbing of the readers: bounded batches streamed from polars, errors.

Polars error messages can quote the offending cell; none of them is passed on.
Our messages say where (data row, byte offset) and what to try next.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
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


def note_replacements(table: Table, replaced: Replacements) -> None:
    """Bytes of the file that were not text, on its table: a note and ``details``.

    Called before the first batch is yielded; the scan reads the table's notes and
    details once its batches are done."""
    if replaced:
        table.notes.append(replaced.note())
        table.details.update(replaced.details())
