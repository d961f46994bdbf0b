"""ScanProgress: live bars on a terminal, nothing at all on a pipe."""

from __future__ import annotations

import io
import re
import threading

from rich.console import Console

from verifydel.report import ScanProgress


def _drive(progress: ScanProgress, label: str) -> None:
    handle = progress.start_source(label, 3_000_000)
    progress.advance(1_000, 1_000_000)
    progress.advance(2_000, 2_000_000, handle=handle)
    unknown = progress.start_source("stdin", None)
    progress.advance(10, 100, handle=unknown)
    progress.end_source("scanned", handle=unknown)
    progress.end_source("partial", handle=handle)


def test_silent_when_the_console_is_not_a_terminal() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=False)
    with ScanProgress(console, total_sources=2) as progress:
        assert not progress.enabled
        _drive(progress, "顧客名簿.csv")
    assert out.getvalue() == ""


def test_draws_rows_and_bytes_per_second_on_a_terminal() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=160, color_system=None)
    with ScanProgress(console, total_sources=2) as progress:
        assert progress.enabled
        _drive(progress, "会員/顧客名簿.csv")
        console.print("scan finished")  # the CLI keeps printing through the same console
    drawn = out.getvalue()
    assert "3,010 rows" in drawn  # the total line, drawn once more when the bars stop
    assert re.search(r"[\d,]+ rows/s", drawn) and re.search(r"\d+\.\d [kMGT]B/s", drawn)
    assert "partial: 会員/顧客名簿.csv" in drawn  # a source with gaps leaves a line
    assert "scanned: stdin" not in drawn
    assert "all sources (2/2 done)" in drawn


def test_hostile_label_is_plain_text() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=160, color_system=None)
    with ScanProgress(console) as progress:
        handle = progress.start_source("[/][red]x\x1b[2J.csv", 10)
        progress.advance(1, 5)
        progress.end_source("failed", handle=handle)
    drawn = out.getvalue()
    assert "[/][red]x\\x1b[2J.csv" in drawn and "\x1b[2J" not in drawn


def test_sources_from_several_threads() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=160, color_system=None)

    def scan(label: str) -> None:
        handle = progress.start_source(label, None)
        for _ in range(100):
            progress.advance(10, 1_000, handle=handle)
        progress.end_source("scanned", handle=handle)

    with ScanProgress(console, total_sources=4) as progress:
        threads = [threading.Thread(target=scan, args=(f"t{i}.csv",)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    drawn = out.getvalue()
    assert "all sources (4/4 done)" in drawn and "4,000 rows" in drawn  # every thread counted


def test_calls_outside_the_context_do_nothing() -> None:
    console = Console(file=io.StringIO(), force_terminal=True)
    progress = ScanProgress(console)
    assert progress.start_source("a.csv", 1) == -1
    progress.advance(1, 1)
    progress.end_source("scanned")
