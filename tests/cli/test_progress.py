"""ObserverProgress: the pipeline's calls routed to the right bar (issue 10, item 8).

With --jobs 2 a 134 MB file's bar stayed at 0: every source's rows went to the bar of
whichever source had started last. Each source runs on a thread of its own, its members
on the same thread: the calls of a thread go to that thread's source.
"""

from __future__ import annotations

import io
import threading

from rich.console import Console

from verifydel.cli.progress import ObserverProgress
from verifydel.core.coverage import PARTIAL, SCANNED, SourceResult

MB = 1_000_000


def _terminal() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=True, width=200, color_system=None), out


def _line(progress: ObserverProgress, label: str) -> str:
    return next(line for line in progress.display.lines() if line.startswith(label))


def test_two_sources_at_once_each_bar_follows_its_own_source() -> None:
    console, _ = _terminal()
    a_started, b_started, a_read = threading.Event(), threading.Event(), threading.Event()

    def source_a(progress: ObserverProgress) -> None:
        progress.unit_started("a.csv", 134 * MB)
        a_started.set()
        b_started.wait(5)  # b started after a: it is the last one started
        progress.bytes_read("a.csv", 67 * MB)
        progress.rows_done("a.csv", 500_000)
        a_read.set()

    def source_b(progress: ObserverProgress) -> None:
        a_started.wait(5)
        progress.unit_started("b.csv", 10 * MB)
        b_started.set()
        a_read.wait(5)

    with ObserverProgress(console) as progress:
        threads = [threading.Thread(target=f, args=(progress,)) for f in (source_a, source_b)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert "67.0/134.0 MB" in _line(progress, "a.csv") and "500,000 rows" in _line(progress, "a.csv")
        assert "0.0/10.0 MB" not in _line(progress, "b.csv")  # b has read nothing it can tell
        assert " 0 rows" in _line(progress, "b.csv")


def test_a_zip_and_its_members() -> None:
    """Members' bars move and count into the zip's line; every bar goes when its unit ends."""
    console, out = _terminal()
    with ObserverProgress(console) as progress:
        progress.unit_started("z.zip", 10 * MB)
        progress.unit_started("z.zip!/m1.csv", 34 * MB)
        progress.bytes_read("z.zip!/m1.csv", 17 * MB)
        progress.rows_done("z.zip!/m1.csv", 200_000)
        assert "17.0/34.0 MB" in _line(progress, "z.zip!/m1.csv")
        assert "200,000 rows" in _line(progress, "z.zip ")
        progress.source_finished(SourceResult("z.zip!/m1.csv", "csv", PARTIAL))
        progress.unit_finished("z.zip!/m1.csv")
        progress.source_finished(SourceResult("z.zip", "zip", SCANNED))
        progress.unit_finished("z.zip")
        assert [line for line in progress.display.lines() if "z.zip" in line] == []
        assert "(1 done)" in _line(progress, "all sources")
    assert "partial: z.zip!/m1.csv" in out.getvalue()


def test_nothing_at_all_in_a_pipe() -> None:
    out = io.StringIO()
    with ObserverProgress(Console(file=out, force_terminal=False)) as progress:
        progress.unit_started("a.csv", 10)
        progress.bytes_read("a.csv", 5)
        progress.rows_done("a.csv", 1)
        progress.source_finished(SourceResult("a.csv", "csv", PARTIAL))
        progress.unit_finished("a.csv")
    assert out.getvalue() == ""
