"""Live scan progress on a terminal: one bar per source in flight plus a total line.

``ScanProgress`` draws with ``rich.progress`` when the CLI's console is a terminal and does
nothing at all otherwise (a pipe or a file stays quiet: no bars, no carriage returns). The
bars are transient: when the scan ends they vanish and leave the screen to the summary.

Several sources may be in flight at once (``--jobs``): ``start_source`` returns a handle to
pass to ``advance``/``end_source``; without one they act on the last source started.
Safe to call from several threads.
"""

from __future__ import annotations

import threading
from types import TracebackType

from rich.cells import cell_len
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TimeElapsedColumn,
    TransferSpeedColumn,
)
from rich.text import Text

from verifydel.report._text import visible
from verifydel.report.terminal import STATUS_STYLES

#: Terminal cells given to a source label; longer labels keep their end (the file name).
LABEL_WIDTH = 48


class _LabelColumn(ProgressColumn):
    """The source label, as plain text (a hostile path is never parsed as markup)."""

    def render(self, task: Task) -> Text:
        label: str = task.fields.get("label", "")
        if cell_len(label) > LABEL_WIDTH:  # keep the end: the file or sheet name
            while cell_len(label) > LABEL_WIDTH - 1:
                label = label[1:]
            label = "…" + label
        padding = " " * (LABEL_WIDTH - cell_len(label))
        return Text(label + padding, style="bold" if task.fields.get("total_line") else "")


class _RowsColumn(ProgressColumn):
    """Rows read so far and rows per second since the task started."""

    def render(self, task: Task) -> Text:
        rows: int = task.fields.get("rows", 0)
        elapsed = task.elapsed or 0.0
        rate = f"{rows / elapsed:,.0f}" if elapsed > 0 else "?"
        return Text(f"{rows:,} rows {rate} rows/s", style="progress.data.speed")


class ScanProgress:
    """Context manager showing rows/s and MB/s per source, silent off a terminal."""

    def __init__(self, console: Console, *, total_sources: int | None = None) -> None:
        self._console = console
        self._enabled = console.is_terminal
        self._total_sources = total_sources
        self._lock = threading.Lock()
        self._progress: Progress | None = None
        self._total_task: TaskID | None = None
        self._last: TaskID | None = None
        self._rows: dict[TaskID, int] = {}
        self._labels: dict[TaskID, str] = {}
        self._total_rows = 0
        self._sources_done = 0

    @property
    def enabled(self) -> bool:
        """True when progress is drawn (the console is a terminal)."""
        return self._enabled

    def __enter__(self) -> ScanProgress:
        if not self._enabled:
            return self
        self._progress = Progress(
            _LabelColumn(),
            BarColumn(bar_width=24),
            DownloadColumn(),
            TransferSpeedColumn(),
            _RowsColumn(),
            TimeElapsedColumn(),
            console=self._console,
            transient=True,
            refresh_per_second=4,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._progress.start()
        self._total_task = self._progress.add_task(
            "", total=None, label=self._total_label(), rows=0, total_line=True
        )
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def _total_label(self) -> str:
        of = f"/{self._total_sources:,}" if self._total_sources is not None else ""
        return f"all sources ({self._sources_done:,}{of} done)"

    def start_source(self, label: str, total_bytes: int | None) -> int:
        """Show a bar for the source ``label`` (its size in bytes if known); returns a handle."""
        if self._progress is None:
            return -1
        with self._lock:
            shown = visible(label)
            task = self._progress.add_task("", total=total_bytes, label=shown, rows=0)
            self._rows[task] = 0
            self._labels[task] = shown
            self._last = task
        return int(task)

    def advance(self, rows: int, nbytes: int, *, handle: int | None = None) -> None:
        """Count ``rows`` more rows and ``nbytes`` more bytes read from a source."""
        if self._progress is None:
            return
        with self._lock:
            task = self._task(handle)
            if task is None:
                return
            self._rows[task] += rows
            self._total_rows += rows
            self._progress.update(task, advance=nbytes, rows=self._rows[task])
            if self._total_task is not None:
                self._progress.update(self._total_task, advance=nbytes, rows=self._total_rows)

    def end_source(self, status: str, *, handle: int | None = None) -> None:
        """Remove the source's bar; a source not scanned completely leaves a line above the bars."""
        if self._progress is None:
            return
        with self._lock:
            task = self._task(handle)
            if task is None:
                return
            self._progress.remove_task(task)
            del self._rows[task]
            label = self._labels.pop(task)
            if self._last == task:
                self._last = None
            self._sources_done += 1
            if self._total_task is not None:
                self._progress.update(self._total_task, label=self._total_label())
            if status != "scanned":
                self._progress.console.print(
                    Text.assemble((f"{status}: ", STATUS_STYLES.get(status, "")), label)
                )

    def _task(self, handle: int | None) -> TaskID | None:
        task = self._last if handle is None else TaskID(handle)
        return task if task in self._rows else None
