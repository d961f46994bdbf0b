"""One table read batch by batch into its coverage entry: what every command that sweeps
sources (scan, attestation requests) does with a table the reader hands it.

``consume_table`` reads the table's numbered batches in order, has ``work`` do the
command's part of each batch on ``threads`` workers (only once a phone or address
column was found: no other row can match), and fills the table's ``SourceResult``:
rows, columns chosen, notes, status (a read error after some rows makes it partial,
with everything before it kept), the digest of a live table's rows, the time taken.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

import polars as pl

from verifydel._parallel import ordered_map
from verifydel.core.coverage import FAILED, INTERRUPTED, PARTIAL, SCANNED, SourceResult, safe_reason
from verifydel.core.digest import RowDigest
from verifydel.core.stop import (
    STOPPED_BEFORE_READING,
    STOPPED_WHILE_READING,
    ScanStopped,
    StopRequest,
    stop_requested,
)
from verifydel.core.table import Table
from verifydel.pipeline.columns import ChosenColumns, numbered_batches
from verifydel.pipeline.reader import Outcome


class _RowsObserver(Protocol):
    def rows_done(self, label: str, rows: int) -> None: ...


#: work(batch, rows before it, the columns of each field) → the payload of that batch, or None.
BatchWork = Callable[[pl.DataFrame, int, Mapping[str, Sequence[str]]], Any]


def consume_table(
    table: Table,
    mapping: Mapping[str, Sequence[str]] | None,
    work: BatchWork,
    *,
    threads: int,
    observer: _RowsObserver | None = None,
    unit_label: str | None = None,
    live: bool = False,
    stop: StopRequest | None = None,
) -> Outcome:
    """Read ``table``'s batches in order and run ``work`` on each, on ``threads`` workers.

    Rows count as read once their batch is done (and are told to ``observer`` under
    ``unit_label``, the label of the unit the table is in); ``work``'s non-None results
    are the outcome's payload, in order. A ``live`` table (no bytes to hash: a
    database's) gets the digest of its rows as streamed. Once ``stop`` is requested it ends
    after the batch in hand: ``interrupted``, those rows counted, no row digest.
    """
    told_as = table.label if unit_label is None else unit_label
    result = SourceResult(path=table.label, kind=table.kind, status=SCANNED, encoding=table.encoding)
    result.notes = list(table.notes)
    result.details = table.details  # shared: a reader may add facts while its batches run
    out = Outcome(result)
    started = time.perf_counter()
    chosen = ChosenColumns()

    def noted(choice: ChosenColumns) -> None:
        result.columns = choice.shown_fields()
        result.notes += choice.notes

    rows_digest = RowDigest() if live else None

    def run(item: tuple[pl.DataFrame, int]) -> tuple[int, Any, bytes]:
        batch, first_row = item
        done = work(batch, first_row, chosen.fields) if chosen.matchable else None
        as_read = RowDigest.encode(batch, header=first_row == 0) if rows_digest else b""
        return batch.height, done, as_read

    if stop_requested(stop):  # a table of a unit being read when the stop came
        result.status, result.error = INTERRUPTED, STOPPED_BEFORE_READING
        _close(table.batches)
        return out
    try:
        batches = numbered_batches(table, mapping, chosen, on_chosen=noted)
        done_batches = ordered_map(run, batches, threads)
        for rows, done, as_read in done_batches:
            if done is not None:
                out.payload.append(done)
            if rows_digest is not None:
                rows_digest.update_encoded(as_read, rows)
            result.rows += rows
            if observer:
                observer.rows_done(told_as, rows)
            if stop_requested(stop):
                result.status, result.error = INTERRUPTED, STOPPED_WHILE_READING
                _close(done_batches)  # batches in flight are dropped; the reader closes its file
                _close(batches)
                _close(table.batches)
                break
    except ScanStopped:  # a reader that polls the stop itself (a compressed stream)
        result.status, result.error = INTERRUPTED, STOPPED_WHILE_READING
    except Exception as exc:  # noqa: BLE001 - every failure is recorded, the sweep goes on
        result.status = PARTIAL if result.rows else FAILED
        result.error = safe_reason(exc)
    if result.status == INTERRUPTED:
        rows_digest = None  # a digest of some of the rows would pass for the table's
    if rows_digest is not None:
        result.row_digest = rows_digest.hexdigest()
    # Notes a reader added while its batches ran (e.g. bytes that were not text, replaced).
    result.notes += [note for note in table.notes if note not in result.notes]
    result.seconds = round(time.perf_counter() - started, 3)
    return out


def _close(iterator: object) -> None:
    close = getattr(iterator, "close", None)
    if close is not None:
        close()


__all__ = ["BatchWork", "consume_table"]
