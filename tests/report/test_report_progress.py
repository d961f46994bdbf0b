"""ScanProgress: live bars on a terminal that tell the truth, nothing at all on a pipe.

Issue 10, item 8: a first rate of 224.9 GB/s, a bar at 149.4/134.0 MB, bars that never
move. The clock is the console's (``Console(get_time=...)``), so every rate here is exact.
"""

from __future__ import annotations

import io
import re
import threading

from rich.console import Console

from verifydel.report import ScanProgress
from verifydel.report.progress import MIN_RATE_SECONDS

MB = 1_000_000


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _terminal(clock: Clock | None = None, width: int = 200) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=width, color_system=None, get_time=clock)
    return console, out


def _line(progress: ScanProgress, label: str) -> str:
    return next(line for line in progress.lines() if line.startswith(label))


def _rates(line: str) -> list[float]:
    """Every bytes-per-second figure on a line, in bytes per second."""
    scale = {"": 1, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}
    return [float(n) * scale[p] for n, p in re.findall(r"([\d.]+) ([kMGT]?)B/s", line)]


def test_silent_when_the_console_is_not_a_terminal() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=False)
    with ScanProgress(console, total_sources=2) as progress:
        assert not progress.enabled
        handle = progress.start_source("顧客名簿.csv", 3 * MB)
        progress.read_to(handle, MB)
        progress.advance(handle, 1_000)
        progress.note("partial", "顧客名簿.csv")
        progress.end_source(handle)
        assert progress.lines() == []
    assert out.getvalue() == ""


def test_first_rate_is_bytes_read_over_time_elapsed() -> None:
    """Two batches reported a microsecond apart once gave 224.9 GB/s: the rate is now the
    bytes read over the time since the source started, and none before a second has passed."""
    clock = Clock()
    console, _ = _terminal(clock)
    with ScanProgress(console) as progress:
        handle = progress.start_source("big.csv", 134 * MB)
        clock.now += 0.2
        progress.read_to(handle, 16 * MB)
        assert MIN_RATE_SECONDS > 0.2 and _rates(_line(progress, "big.csv")) == []  # too early
        clock.now += 2.0
        progress.read_to(handle, 33 * MB)
        clock.now += 1e-6
        progress.read_to(handle, 50 * MB)
        progress.advance(handle, 400_000)
        line = _line(progress, "big.csv")
        assert _rates(line) == [22.7 * MB]  # 50 MB in 2.2 s, never 50 MB in a microsecond
        assert "400,000 rows" in line and "181,818 rows/s" in line
        total = _line(progress, "all sources")
        assert _rates(total) == [22.7 * MB] and "400,000 rows" in total


def test_bytes_read_never_exceed_the_size() -> None:
    """A CP932 file's bar read 149.4/134.0 MB: a position past the size is the size."""
    clock = Clock()
    console, _ = _terminal(clock)
    with ScanProgress(console) as progress:
        handle = progress.start_source("cp932.csv", 134 * MB)
        progress.read_to(handle, 149_400_000)
        assert "134.0/134.0 MB" in _line(progress, "cp932.csv")
        progress.read_to(handle, 10 * MB)  # never backwards
        assert "134.0/134.0 MB" in _line(progress, "cp932.csv")


def test_unknown_position_or_size_is_shown_as_unknown() -> None:
    clock = Clock()
    console, _ = _terminal(clock)
    with ScanProgress(console) as progress:
        sized = progress.start_source("book.xlsx", 5 * MB)  # a reader that cannot tell its position
        unsized = progress.start_source("db.example!/customers", None)
        progress.advance(sized, 10)
        progress.advance(unsized, 10)
        clock.now += 3
        line = _line(progress, "book.xlsx")
        assert "?/5.0 MB" in line and _rates(line) == []  # no fraction, no rate made up
        assert "10 rows" in line and "3 rows/s" in line
        line = _line(progress, "db.example")
        assert "B" not in line.split("rows")[0].replace("db.example!/customers", "")  # no bytes at all
        assert "10 rows" in line


def test_bars_move_under_several_sources_at_once() -> None:
    """--jobs 2: each source's bar follows its own bytes, whichever started last."""
    clock = Clock()
    console, _ = _terminal(clock)
    with ScanProgress(console) as progress:
        a = progress.start_source("a.csv", 100 * MB)
        b = progress.start_source("b.csv", 100 * MB)
        progress.read_to(a, 40 * MB)
        progress.advance(a, 1_000)
        assert "40.0/100.0 MB" in _line(progress, "a.csv") and "1,000 rows" in _line(progress, "a.csv")
        assert "?/100.0 MB" in _line(progress, "b.csv") and " 0 rows" in _line(progress, "b.csv")


def test_members_count_into_their_container_and_every_bar_goes() -> None:
    """A zip's line counts its members' rows; when it ends its bar goes (it lingered at 0)."""
    clock = Clock()
    console, _ = _terminal(clock)
    with ScanProgress(console) as progress:
        archive = progress.start_source("z.zip", 10 * MB)
        member = progress.start_source("z.zip!/m1.csv", 34 * MB, parent=archive)
        progress.read_to(member, 17 * MB)
        progress.advance(member, 200_000)
        assert "17.0/34.0 MB" in _line(progress, "z.zip!/m1.csv")
        assert "200,000 rows" in _line(progress, "z.zip ")
        progress.end_source(member)
        assert "(0 done)" in _line(progress, "all sources")  # a member is not a source of its own
        progress.end_source(archive)
        assert [line for line in progress.lines() if "z.zip" in line] == []
        assert "(1 done)" in _line(progress, "all sources")


def test_draws_on_a_terminal_and_leaves_notes() -> None:
    console, out = _terminal()
    with ScanProgress(console, total_sources=2) as progress:
        assert progress.enabled
        handle = progress.start_source("会員/顧客名簿.csv", 3 * MB)
        progress.read_to(handle, MB)
        progress.advance(handle, 3_000)
        progress.note("partial", "会員/顧客名簿.csv")
        progress.end_source(handle)
        console.print("scan finished")  # the CLI keeps printing through the same console
    drawn = out.getvalue()
    assert "partial: 会員/顧客名簿.csv" in drawn  # a source with gaps leaves a line
    assert "all sources (1/2 done)" in drawn and "3,000 rows" in drawn


def test_hostile_label_is_plain_text() -> None:
    console, out = _terminal()
    with ScanProgress(console) as progress:
        handle = progress.start_source("[/][red]x\x1b[2J.csv", 10)
        progress.advance(handle, 1)
        progress.note("failed", "[/][red]x\x1b[2J.csv")
        progress.end_source(handle)
    drawn = out.getvalue()
    assert "[/][red]x\\x1b[2J.csv" in drawn and "\x1b[2J" not in drawn


def test_sources_from_several_threads() -> None:
    console, out = _terminal()

    def scan(label: str) -> None:
        handle = progress.start_source(label, None)
        for _ in range(100):
            progress.advance(handle, 10)
        progress.end_source(handle)

    with ScanProgress(console, total_sources=4) as progress:
        threads = [threading.Thread(target=scan, args=(f"t{i}.csv",)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert "all sources (4/4 done)" in _line(progress, "all sources")
        assert "4,000 rows" in _line(progress, "all sources")  # every thread counted


def test_calls_outside_the_context_do_nothing() -> None:
    console = Console(file=io.StringIO(), force_terminal=True)
    progress = ScanProgress(console)
    handle = progress.start_source("a.csv", 1)
    assert handle == -1
    progress.read_to(handle, 1)
    progress.advance(handle, 1)
    progress.end_source(handle)
    assert progress.lines() == []


def test_the_time_runs_on_after_the_last_byte_is_read() -> None:
    """Rows read to the end of the file may still be matching: the clock does not stop."""
    clock = Clock()
    console, _ = _terminal(clock)
    with ScanProgress(console) as progress:
        handle = progress.start_source("big.csv", 10 * MB)
        clock.now += 1.5
        progress.read_to(handle, 10 * MB)
        clock.now += 61
        line = _line(progress, "big.csv")
        assert "10.0/10.0 MB" in line and line.rstrip().endswith("0:01:02")
