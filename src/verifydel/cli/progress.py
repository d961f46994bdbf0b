"""Adapts the reader's observer (``verifydel.pipeline.Observer``) to the terminal progress display."""

from __future__ import annotations

import threading
import time
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from verifydel.core.coverage import SCANNED, SourceResult
from verifydel.report.progress import ScanProgress


class ObserverProgress:
    """An observer that draws each source's bytes read, rows and rates on a terminal; silent
    in a pipe.

    The reader calls about a unit (and its members) from the thread that started it: each
    thread keeps the units it has in flight, innermost last, so that every call reaches the
    line of its own unit, whichever other source started last (``--jobs``), and a member's
    line is a child of its container's.
    """

    def __init__(self, console: Console) -> None:
        self.display = ScanProgress(console)
        self._local = threading.local()

    def __enter__(self) -> ObserverProgress:
        self.display.__enter__()
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.display.__exit__(et, e, tb)

    def _in_flight(self) -> list[tuple[str, int]]:
        """This thread's units in flight: (label, handle), innermost last."""
        units: list[tuple[str, int]] | None = getattr(self._local, "units", None)
        if units is None:
            units = self._local.units = []
        return units

    def _handle(self, label: str) -> int | None:
        for shown, handle in reversed(self._in_flight()):
            if shown == label:
                return handle
        return None

    def unit_started(self, label: str, total_bytes: int | None) -> None:
        if not self.display.enabled:
            return
        units = self._in_flight()
        parent = units[-1][1] if units else None
        units.append((label, self.display.start_source(label, total_bytes, parent=parent)))

    def bytes_read(self, label: str, position: int) -> None:
        handle = self._handle(label) if self.display.enabled else None
        if handle is not None:
            self.display.read_to(handle, position)

    def rows_done(self, label: str, rows: int) -> None:
        handle = self._handle(label) if self.display.enabled else None
        if handle is not None:
            self.display.advance(handle, rows)

    def source_finished(self, result: SourceResult) -> None:
        if result.status != SCANNED:
            self.display.note(result.status, result.path)

    def unit_finished(self, label: str) -> None:
        if not self.display.enabled:
            return
        units = self._in_flight()
        for i in range(len(units) - 1, -1, -1):
            if units[i][0] == label:
                self.display.end_source(units.pop(i)[1])
                return


class ClusterProgress:
    """``scan --cluster``'s progress on a terminal (silent in a pipe): work units done of all,
    rows and bytes read with their rates, and the workers the cluster has now."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._lock = threading.Lock()
        self._rows = 0
        self._bytes = 0
        self._started = time.monotonic()

    def __enter__(self) -> ClusterProgress:
        if self.console.is_terminal:
            self._progress = Progress(
                TextColumn("cluster"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("units  {task.fields[stats]}"),
                TimeElapsedColumn(),
                console=self.console,
                transient=True,
            )
            self._progress.__enter__()
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        if self._progress is not None:
            self._progress.__exit__(et, e, tb)

    def planned(self, units: int, total_bytes: int, workers: int) -> None:
        self._started = time.monotonic()
        if self._progress is not None:
            self._task = self._progress.add_task("scan", total=units, stats=self._stats(workers))

    def unit_done(self, read_bytes: int, rows: int, workers: int) -> None:
        with self._lock:
            self._rows += rows
            self._bytes += read_bytes
            if self._progress is not None and self._task is not None:
                self._progress.update(self._task, advance=1, stats=self._stats(workers))

    def _stats(self, workers: int) -> str:
        seconds = max(time.monotonic() - self._started, 1e-6)
        return (
            f"{self._rows:,} rows  {self._rows / seconds:,.0f} rows/s  "
            f"{self._bytes / seconds / 1e6:,.1f} MB/s  {workers} worker{'s' if workers != 1 else ''}"
        )
