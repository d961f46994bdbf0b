"""Adapts the reader's observer (``verifydel.pipeline.Observer``) to the terminal progress display."""

from __future__ import annotations

import threading
from types import TracebackType

from rich.console import Console

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
