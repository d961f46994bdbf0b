"""Live scan progress on a terminal: one line per source in flight plus a total line.

``ScanProgress`` draws with ``rich.progress`` when the CLI's console is a terminal and does
nothing at all otherwise (a pipe or a file stays quiet: no bars, no carriage returns). The
lines are transient: when the scan ends they vanish and leave the screen to the summary.

Every figure is one the reader could tell, or it is not shown:

- bytes: how far into its file a source's reader is (``read_to``, from ``Table.position``),
  never past the file's size; a source whose reader cannot tell shows "?" of its size and a
  bar without a fraction (it pulses), a source without a size (a database table) no bytes;
- rates: bytes (and rows) so far over the time since the source started, shown once
  ``MIN_RATE_SECONDS`` have passed (two batches told a microsecond apart are no measure);
- rows: rows dealt with; a container's line counts its members' rows, each member has a
  line of its own while it is read.

Several sources may be in flight at once (``--jobs``): ``start_source`` returns a handle
for ``read_to``/``advance``/``end_source``. The clock is the console's (``get_time``).
Safe to call from several threads.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from types import TracebackType

from rich.cells import cell_len
from rich.console import Console
from rich.filesize import decimal, pick_unit_and_suffix
from rich.progress import BarColumn, Progress, ProgressColumn, Task, TaskID
from rich.text import Text

from verifydel.report._text import visible
from verifydel.report.terminal import STATUS_STYLES

#: Terminal cells given to a source label; longer labels keep their end (the file name).
LABEL_WIDTH = 48
#: No rate is shown before a source (or the scan) has run this long: a rate over a
#: moment is noise, and the first batches of a file may arrive all at once.
MIN_RATE_SECONDS = 1.0

_UNITS = ["bytes", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"]


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


def _bytes_text(position: int | None, size: int | None) -> str:
    """"12.3/134.0 MB", "?/134.0 MB" (position unknown), "12.3 MB" (size unknown) or ""."""
    if size is None:
        return "" if position is None else decimal(position)
    unit, suffix = pick_unit_and_suffix(size, _UNITS, 1000)
    done = "?" if position is None else f"{position / unit:,.1f}"
    return f"{done}/{size / unit:,.1f} {suffix}"


class _BytesColumn(ProgressColumn):
    """Bytes of the source read, of its size: only what is known."""

    def render(self, task: Task) -> Text:
        text = _bytes_text(task.fields.get("position"), task.fields.get("size"))
        return Text(text, style="progress.download")


def _rate(amount: float, elapsed: float | None) -> float | None:
    if elapsed is None or elapsed < MIN_RATE_SECONDS:
        return None
    return amount / elapsed


class _RatesColumn(ProgressColumn):
    """Rows dealt with, and rows and bytes per second since the source started."""

    def render(self, task: Task) -> Text:
        rows: int = task.fields.get("rows", 0)
        position: int | None = task.fields.get("position")
        elapsed = task.elapsed
        parts = [f"{rows:,} rows"]
        row_rate = _rate(rows, elapsed)
        if row_rate is not None:
            parts.append(f"{row_rate:,.0f} rows/s")
        byte_rate = _rate(position, elapsed) if position is not None else None
        if byte_rate is not None:
            parts.append(f"{decimal(int(byte_rate))}/s")
        return Text(" ".join(parts), style="progress.data.speed")


class _ElapsedColumn(ProgressColumn):
    """Time since the source started, running until it ends (a source read to its last byte
    may still be matching its rows: rich's own column would stop when the bar is full)."""

    def render(self, task: Task) -> Text:
        seconds = int(task.elapsed or 0)
        return Text(f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}", style="progress.elapsed")


@dataclass
class _Source:
    task: TaskID
    label: str
    size: int | None
    parent: int | None
    rows: int = 0
    position: int | None = None


class ScanProgress:
    """Context manager showing each source's bytes read, rows and rates; silent off a terminal."""

    def __init__(self, console: Console, *, total_sources: int | None = None) -> None:
        self._console = console
        self._enabled = console.is_terminal
        self._total_sources = total_sources
        self._lock = threading.Lock()
        self._progress: Progress | None = None
        self._total_task: TaskID | None = None
        self._sources: dict[int, _Source] = {}
        self._total_rows = 0
        self._total_bytes = 0
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
            _BytesColumn(),
            _RatesColumn(),
            _ElapsedColumn(),
            console=self._console,
            transient=True,
            refresh_per_second=4,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._progress.start()
        self._total_task = self._progress.add_task(
            "", total=self._total_sources, label=self._total_label(), rows=0, position=0, total_line=True
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

    def start_source(self, label: str, total_bytes: int | None, *, parent: int | None = None) -> int:
        """A line for the source ``label`` (its size in bytes if known; ``parent``: the
        handle of the container it is a member of); returns its handle."""
        if self._progress is None:
            return -1
        with self._lock:
            shown = visible(label)
            # No fraction until the reader tells where it is: the bar pulses meanwhile.
            task = self._progress.add_task("", total=None, label=shown, rows=0, size=total_bytes)
            self._sources[int(task)] = _Source(task, shown, total_bytes, parent if parent in self._sources else None)
        return int(task)

    def read_to(self, handle: int, position: int) -> None:
        """The source's reader is ``position`` bytes into it (never counted backwards, nor past its size)."""
        if self._progress is None:
            return
        with self._lock:
            source = self._sources.get(handle)
            if source is None:
                return
            if source.size is not None:
                position = min(position, source.size)
            position = max(position, source.position or 0)
            self._total_bytes += position - (source.position or 0)
            source.position = position
            if source.size is not None:
                self._progress.update(source.task, total=max(source.size, 1), completed=position, position=position)
            else:
                self._progress.update(source.task, position=position)
            if self._total_task is not None:
                self._progress.update(self._total_task, position=self._total_bytes)

    def advance(self, handle: int, rows: int) -> None:
        """``rows`` more rows of the source dealt with (counted in its containers' lines too)."""
        if self._progress is None:
            return
        with self._lock:
            source = self._sources.get(handle)
            while source is not None:
                source.rows += rows
                self._progress.update(source.task, rows=source.rows)
                source = self._sources.get(source.parent) if source.parent is not None else None
            self._total_rows += rows
            if self._total_task is not None:
                self._progress.update(self._total_task, rows=self._total_rows)

    def end_source(self, handle: int) -> None:
        """The source is done: its line goes (a top-level source counts as done)."""
        if self._progress is None:
            return
        with self._lock:
            source = self._sources.pop(handle, None)
            if source is None:
                return
            self._progress.remove_task(source.task)
            if source.parent is None:
                self._sources_done += 1
                if self._total_task is not None:
                    self._progress.update(
                        self._total_task, label=self._total_label(), completed=self._sources_done
                    )

    def note(self, status: str, label: str) -> None:
        """A line above the bars that stays: a source not scanned completely."""
        if self._progress is None:
            return
        self._progress.console.print(
            Text.assemble((f"{status}: ", STATUS_STYLES.get(status, "")), visible(label))
        )

    def lines(self) -> list[str]:
        """The lines as drawn now, as plain text (empty when nothing is drawn)."""
        if self._progress is None:
            return []
        with self._lock:
            out = io.StringIO()
            plain = Console(file=out, width=self._console.width, color_system=None, force_terminal=False)
            plain.print(self._progress.get_renderable())
        return out.getvalue().splitlines()
