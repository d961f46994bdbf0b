"""The HTML report: self-contained, escaped, the right verdict, capped, no clear values."""

from __future__ import annotations

import re
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from verifydel.report import (
    FAILED,
    MATCH_SCHEMA,
    PARTIAL,
    SCANNED,
    SourceResult,
    html_report,
    render_html,
    write_html,
)
from verifydel.report.model import Status

HOSTILE_PATH = "<script>alert(1)</script>.csv"


class _TagCollector(HTMLParser):
    """Every start tag and attribute, and whether each element is closed in order."""

    VOID = frozenset({"meta", "br", "link", "img"})

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []
        self.open: list[str] = []
        self.misnested = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend(attrs)
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.open and self.open[-1] == tag:
            self.open.pop()
        else:
            self.misnested += 1


def _tags(page: str) -> _TagCollector:
    collector = _TagCollector()
    collector.feed(page)
    return collector


def _match(source: str, row: int, record_id: str, strength: str = "weak") -> dict[str, Any]:
    return {
        "source": source,
        "row": row,
        "record_id": record_id,
        "fields": ["phone"],
        "strength": strength,
    }


def test_page_is_self_contained_japanese_utf8(samples: Any) -> None:
    page = render_html(samples.sample_report())
    assert page.startswith('<!DOCTYPE html>\n<html lang="ja">')
    assert '<meta charset="utf-8">' in page
    parsed = _tags(page)
    assert "script" not in parsed.tags and "link" not in parsed.tags and "img" not in parsed.tags
    assert not any(name in {"src", "href"} for name, _ in parsed.attributes)
    assert "default-src 'none'" in page  # CSP: nothing may be fetched or run
    assert "http://" not in page and "https://" not in page
    assert parsed.open == [] and parsed.misnested == 0


def test_hostile_path_is_escaped(samples: Any) -> None:
    sources = [
        SourceResult(HOSTILE_PATH, "csv", FAILED, error=f"cannot read {HOSTILE_PATH}"),
        SourceResult("a&b\"'.csv\x1b[31m\u202e", "csv", SCANNED, rows=2),
    ]
    report = samples.report_with(
        sources, [_match(HOSTILE_PATH, 1, "<b>R1</b>"), _match("a&b\"'.csv\x1b[31m\u202e", 2, "R2")]
    )
    page = render_html(report)
    assert "<script>" not in page and "<b>R1" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;.csv" in page
    assert "a&amp;b&quot;&#x27;.csv\\x1b[31m\\u202e" in page  # controls made visible
    assert "\x1b" not in page and "\u202e" not in page
    assert "script" not in _tags(page).tags


@pytest.mark.parametrize(
    ("statuses", "with_match", "verdict", "css_class"),
    [
        ([SCANNED, FAILED], True, "FOUND", "found"),
        ([SCANNED, PARTIAL], False, "NOT CONFIRMED", "incomplete"),
        ([SCANNED, FAILED], False, "NOT CONFIRMED", "incomplete"),
        ([SCANNED, SCANNED], False, "CLEAN", "clean"),
    ],
)
def test_verdict_banner_mirrors_the_exit_code(
    samples: Any, statuses: list[Status], with_match: bool, verdict: str, css_class: str
) -> None:
    sources = [
        SourceResult(f"s{i}.csv", "csv", status, rows=5) for i, status in enumerate(statuses)
    ]
    report = samples.report_with(sources, [_match("s0.csv", 1, "R1")] if with_match else [])
    page = render_html(report)
    banner = re.search(r'<header class="verdict (\w+)"><p class="label">([^<]+)</p>', page)
    assert banner is not None and banner.groups() == (css_class, verdict)
    assert f"<title>verifydel 検査報告書: {verdict}</title>" in page


def test_matches_grouped_by_record_strong_first(samples: Any) -> None:
    page = render_html(samples.sample_report())
    records = re.findall(r"レコード <code>([^<]+)</code> <span class=\"badge (\w+)\"", page)
    assert records == [
        ("C0000001", "strong"),
        ("C0000017", "strong"),
        ("C0000042", "strong"),
        ("C0000009", "weak"),
        ("C0000003", "weak"),
    ]
    assert "オフセット 3,320 / ページ 12 / 削除領域から復元" in page
    assert "stopped at row 41" in page and samples.SHEET_PATH in page


@pytest.mark.parametrize("values_in", ["frame", "column"])
def test_no_clear_value_unless_asked(samples: Any, values_in: str) -> None:
    report = samples.sample_report(values_in=values_in)
    hidden = render_html(report)
    assert not any(value in hidden for value in samples.CLEAR_VALUES)
    shown = render_html(report, show_values=True)
    assert all(value in shown for value in samples.CLEAR_VALUES)
    assert "個人情報が平文で含まれます" in shown and "個人情報が平文" not in hidden


def test_source_errors_and_notes_are_shown(samples: Any) -> None:
    page = render_html(samples.sample_report())
    assert '<span class="note">address: column addr chosen from its values' in page
    assert '<span class="error">not a Parquet file' in page


def test_records_beyond_the_cap_are_counted_not_rendered(
    samples: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(html_report, "MAX_RECORDS", 3)
    monkeypatch.setattr(html_report, "MAX_LOCATIONS_PER_RECORD", 2)
    matches = [_match("a.csv", row, f"R{row % 5}") for row in range(1, 21)]
    report = samples.report_with([SourceResult("a.csv", "csv", SCANNED, rows=20)], matches)
    page = render_html(report)
    assert page.count('<article class="record">') == 3
    assert "2 more records in the JSON report" in page
    assert page.count("2 more in the JSON report") == 3  # each record: 4 rows, 2 shown


def test_many_matches_render_up_to_the_record_cap(samples: Any) -> None:
    n = 200_000
    matches = pl.DataFrame(
        {
            "source": ["a.csv"] * n,
            "row": range(1, n + 1),
            "record_id": [f"R{i:06d}" for i in range(n)],
            "fields": [["phone"]] * n,
            "strength": ["weak"] * n,
        },
        schema=MATCH_SCHEMA,
    )
    base = samples.report_with([SourceResult("a.csv", "csv", SCANNED, rows=n)])
    page = render_html(replace(base, matches=matches))
    assert page.count('<article class="record">') == html_report.MAX_RECORDS
    assert f"{n - html_report.MAX_RECORDS:,} more records in the JSON report" in page


def test_write_html(samples: Any, tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    write_html(samples.sample_report(), path)
    assert path.read_bytes() == render_html(samples.sample_report()).encode("utf-8")
