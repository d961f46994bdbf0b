"""The terminal summary: per-source table, counts, verdict line, hostile text kept inert."""

from __future__ import annotations

import io
from typing import Any

import pytest
from rich.console import Console

from verifydel.report import FAILED, PARTIAL, SCANNED, SourceResult, render_summary, terminal
from verifydel.report.model import Status


def _rendered(report: Any, width: int = 200) -> str:
    console = Console(record=True, width=width, force_terminal=False, color_system=None)
    render_summary(report, console)
    return console.export_text()


def _line_of(text: str, needle: str) -> str:
    return next(line for line in text.splitlines() if needle in line)


def test_table_has_each_source_with_status_and_counts(samples: Any) -> None:
    text = _rendered(samples.sample_report())
    csv_line = _line_of(text, samples.CSV_PATH)
    cells = [cell.strip() for cell in csv_line.split("│")[2:8]]
    assert cells == ["csv", "scanned", "1,200", "2", "1", "1"]  # kind .. matched, strong, weak
    assert "failed" in _line_of(text, samples.BROKEN_PATH)
    assert "partial" in _line_of(text, "backup.tar.gz")
    assert "Rows scanned 1,540 · matched rows 6 (3 strong, 3 weak) · leaked records 5" in text
    assert "sources 5 (1 failed, 1 partial)" in text
    assert "address: column addr chosen from its values" in text  # a source's notes


@pytest.mark.parametrize(
    ("status", "with_match", "verdict"),
    [(SCANNED, True, "FOUND"), (PARTIAL, False, "NOT CONFIRMED"), (SCANNED, False, "CLEAN")],
)
def test_verdict_line(samples: Any, status: Status, with_match: bool, verdict: str) -> None:
    matches = (
        [{"source": "a.csv", "row": 1, "record_id": "R1", "fields": ["phone"], "strength": "weak"}]
        if with_match
        else []
    )
    text = _rendered(samples.report_with([SourceResult("a.csv", "csv", status, rows=3)], matches))
    assert text.rstrip().splitlines()[-1].startswith(f" {verdict} ")


def test_interrupted_sources_are_counted_and_listed(samples: Any) -> None:
    sources = [SourceResult("a.csv", "csv", SCANNED, rows=3), SourceResult("b.csv", "csv", "interrupted")]
    text = _rendered(samples.report_with(sources, []))
    assert "sources 2 (0 failed, 0 partial, 1 interrupted)" in text
    assert "interrupted" in _line_of(text, "b.csv")
    assert text.rstrip().splitlines()[-1].startswith(" NOT CONFIRMED ")


def test_status_colours(samples: Any) -> None:
    console = Console(record=True, width=200, force_terminal=True, color_system="truecolor")
    render_summary(samples.sample_report(), console)
    styled = console.export_text(styles=True)
    assert "\x1b[1;31mfailed" in styled and "\x1b[33mpartial" in styled
    assert "\x1b[32mscanned" in styled


def test_hostile_path_is_neither_markup_nor_escape_sequence(samples: Any) -> None:
    path = "[bold red]x[/][/] \x1b[2J\x1b]0;owned\x07 \u202etxt.exe"
    report = samples.report_with(
        [SourceResult(path, "csv", FAILED, error="[link=file:///etc]x[/link]")]
    )
    console = Console(record=True, width=200, force_terminal=True, color_system="truecolor")
    render_summary(report, console)  # an unbalanced [/] would raise MarkupError if parsed
    text = console.export_text(styles=True)
    assert "[bold red]x[/][/]" in text and "\\x1b[2J\\x1b]0;owned" in text and "\\u202e" in text
    assert "\x1b[2J" not in text and "\u202e" not in text and "\x07" not in text
    assert "[link=file:///etc]x[/link]" in text


def test_clean_sources_beyond_the_limit_are_summed_up(
    samples: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(terminal, "MAX_CLEAN_SOURCES_LISTED", 3)
    sources = [SourceResult(f"clean{i:02d}.csv", "csv", SCANNED, rows=1) for i in range(10)]
    sources += [SourceResult("broken.csv", "csv", FAILED, error="bad")]
    sources += [SourceResult("noted.csv", "csv", SCANNED, notes=["no phone or address column"])]
    matches = [
        {
            "source": "clean09.csv",
            "row": 1,
            "record_id": "R",
            "fields": ["phone"],
            "strength": "weak",
        }
    ]
    text = _rendered(samples.report_with(sources, matches))
    assert [f"clean{i:02d}.csv" in text for i in range(10)] == [True] * 3 + [False] * 6 + [True]
    assert "broken.csv" in text and "noted.csv" in text
    assert "6 more sources scanned completely, no match" in text


def test_without_a_terminal_a_long_path_stays_whole(samples: Any) -> None:
    """Issue 10, item 8: in a pipe or a file (80 columns) the table folded paths mid-name."""
    path = "ブローカー共有/2023年度/顧客データ/エクスポート/会員一覧_最終版_コピー(2)/members_export_2023-12-01_final.csv"
    sheet = "backup/old_exports_of_the_members_database.tar.gz!/2022/members_archive.zip!/名簿.xlsx!/退会者「旧」"
    report = samples.report_with([SourceResult(path, "csv", SCANNED, rows=3), SourceResult(sheet, "xlsx", FAILED, error="bad")])
    for console in (
        Console(record=True, width=80, force_terminal=False, color_system=None),
        Console(file=io.StringIO(), width=80, force_terminal=False, color_system=None, soft_wrap=True),
    ):
        render_summary(report, console)
        text = console.export_text() if console.record else console.file.getvalue()  # type: ignore[attr-defined]
        rows = [line for line in text.splitlines() if "│" in line]
        assert any(path in line for line in rows), text  # the whole path on one table row
        assert any(sheet in line for line in rows), text
        assert "csv" in next(line for line in rows if path in line)  # with its kind, on its row
        assert f"{sheet} (failed)" in text.splitlines()  # and under "Errors and notes"


def test_on_a_narrow_terminal_the_table_fits_the_screen(samples: Any) -> None:
    path = "a/" * 60 + "members.csv"
    report = samples.report_with([SourceResult(path, "csv", SCANNED, rows=3)])
    console = Console(record=True, width=80, force_terminal=True, color_system=None)
    render_summary(report, console)
    assert all(len(line) <= 80 for line in console.export_text().splitlines())
