"""Adapts the library's scan observer to the terminal progress display."""

from __future__ import annotations

import threading
from types import TracebackType

from rich.console import Console

from verifydel.report.model import SourceResult
from verifydel.report.progress import ScanProgress


class ObserverProgress:
    """A ScanObserver that draws rows/s and MB/s on a terminal; silent in a pipe."""

    def __init__(self, console: Console) -> None:
        self._progress = ScanProgress(console)
        self._lock = threading.Lock()
        self._current: str | None = None

    def __enter__(self) -> ObserverProgress:
        self._progress.__enter__()
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._progress.__exit__(et, e, tb)

    def source_started(self, label: str, total_bytes: int | None) -> None:
        with self._lock:
            self._progress.start_source(label, total_bytes)

    def rows_done(self, label: str, rows: int, nbytes: int) -> None:
        with self._lock:
            self._progress.advance(rows, nbytes)

    def source_finished(self, result: SourceResult) -> None:
        with self._lock:
            self._progress.end_source(result.status)

    def simple_advance(self, label: str, rows: int) -> None:
        with self._lock:
            if label != self._current:
                self._current = label
                self._progress.start_source(label, None)
            self._progress.advance(rows, 0)
