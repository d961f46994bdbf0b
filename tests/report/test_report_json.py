"""The JSON report: golden bytes, determinism, the contract's shape, no clear values."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from verifydel.report import SCANNED, SourceResult, render_json, write_json

GOLDEN_DIR = Path(__file__).parent / "golden"
#: Run with VERIFYDEL_UPDATE_GOLDEN=1 to rewrite the golden files on purpose (review the diff).
UPDATE_GOLDEN = os.environ.get("VERIFYDEL_UPDATE_GOLDEN") == "1"

TOP_KEYS = [
    "format", "tool", "pack", "run", "started_at", "finished_at", "verdict", "exit_code", "signer",
    "media", "sources", "summary", "matches",
]  # fmt: skip
SOURCE_KEYS = ["path", "kind", "status", "rows", "error", "columns", "encoding", "bytes", "sha256", "notes"]
SUMMARY_KEYS = [
    "rows_scanned",
    "matched_rows",
    "matched_records",
    "strong",
    "weak",
    "sources_failed",
    "sources_partial",
    "sources_interrupted",
    "strong_records",
    "weak_records",
]
MATCH_KEYS = ["source", "row", "record_id", "fields", "strength"]
OPTIONAL_MATCH_KEYS = ["offset", "page", "recovered"]


@pytest.mark.parametrize(
    ("golden", "show_values"), [("report.json", False), ("report_show_values.json", True)]
)
def test_matches_golden_file_byte_for_byte(samples: Any, golden: str, show_values: bool) -> None:
    rendered = render_json(samples.sample_report(), show_values=show_values).encode("utf-8")
    path = GOLDEN_DIR / golden
    if UPDATE_GOLDEN:
        path.write_bytes(rendered)
        pytest.skip(f"rewrote {path.name}: review the diff, rerun without VERIFYDEL_UPDATE_GOLDEN")
    assert rendered == path.read_bytes()


def test_same_report_gives_same_bytes_whatever_the_match_order(samples: Any) -> None:
    report = samples.sample_report()
    first = render_json(report)
    assert render_json(report) == first
    shuffled = replace(report, matches=report.matches.sample(fraction=1.0, shuffle=True, seed=7))
    assert not shuffled.matches.equals(report.matches)
    assert render_json(shuffled) == first


def test_has_exactly_the_contract_keys_in_order(samples: Any) -> None:
    document = json.loads(render_json(samples.sample_report()))
    assert list(document) == TOP_KEYS
    assert document["format"] == "verifydel-report/1"
    assert document["tool"] == {"name": "verifydel", "version": "0.1.0", "normalisation": "ja-normalise/1"}
    assert list(document["pack"]) == ["sha256", "records", "normalisation", "key_id"]
    assert all(list(source)[: len(SOURCE_KEYS)] == SOURCE_KEYS for source in document["sources"])
    assert document["media"] == [{"path": "顧客名簿/2023年 会員一覧.csv", "bytes": 204800, "sha256": "a1" * 32}]
    assert document["verdict"] == "found" and document["exit_code"] == 3
    assert list(document["summary"]) == SUMMARY_KEYS
    for match in document["matches"]:
        order = [
            key
            for key in [
                *MATCH_KEYS[:2],
                *OPTIONAL_MATCH_KEYS[:2],
                *MATCH_KEYS[2:4],
                "disagreed",
                "missing",
                MATCH_KEYS[4],
                OPTIONAL_MATCH_KEYS[2],
            ]
            if key in match
        ]
        assert list(match) == order
        assert set(MATCH_KEYS) - {"row"} <= set(match)
        assert "row" in match or "offset" in match


def test_summary_counts_rows_at_their_best_strength(samples: Any) -> None:
    summary = json.loads(render_json(samples.sample_report()))["summary"]
    assert summary == {
        "rows_scanned": 1540,
        "matched_rows": 6,
        "matched_records": 5,
        "strong": 3,
        "weak": 3,
        "sources_failed": 1,
        "sources_partial": 1,
        "sources_interrupted": 0,
        "strong_records": 3,
        "weak_records": 2,
    }


def test_matches_follow_source_order_then_row_then_record_id(samples: Any) -> None:
    matches = json.loads(render_json(samples.sample_report()))["matches"]
    where = [(m["source"], m.get("row"), m.get("offset"), m["record_id"]) for m in matches]
    csv, db = samples.CSV_PATH, samples.DB_PATH
    assert where[:4] == [
        (csv, 3, None, "C0000001"),
        (csv, 12, None, "C0000001"),
        (csv, 12, None, "C0000009"),
        (csv, 12, None, "C0000017"),
    ]
    assert where[4][0] == samples.SHEET_PATH and where[5][0] == samples.TEXT_PATH
    assert where[-2:] == [(db, 7, None, "C0000042"), (db, None, 3320, "C0000042")]
    assert matches[1]["fields"] == ["name", "address", "phone"]  # canonical field order


def test_optional_columns_only_where_present_and_non_null(samples: Any) -> None:
    matches = json.loads(render_json(samples.sample_report()))["matches"]
    text_match = next(m for m in matches if m["source"] == samples.TEXT_PATH)
    assert "row" not in text_match and text_match["offset"] == 1088
    recovered = [m for m in matches if "recovered" in m]
    assert len(recovered) == 1 and recovered[0]["recovered"] is True and recovered[0]["page"] == 12
    plain = samples.report_with(
        [SourceResult("a.csv", "csv", SCANNED, rows=3)],
        [{"source": "a.csv", "row": 2, "record_id": "R1", "fields": ["phone"], "strength": "weak"}],
    )
    (match,) = json.loads(render_json(plain))["matches"]
    assert list(match) == MATCH_KEYS


def test_no_clear_value_unless_asked(samples: Any) -> None:
    name, phone, address = samples.CLEAR_VALUES
    hidden = render_json(samples.sample_report())
    assert not any(value in hidden for value in samples.CLEAR_VALUES)
    assert '"values"' not in hidden
    shown = json.loads(render_json(samples.sample_report(), show_values=True))
    matches = shown["matches"]
    full = next(m for m in matches if m.get("row") == 12 and m["record_id"] == "C0000001")
    assert list(full["values"].items()) == [("name", name), ("address", address), ("phone", phone)]
    phone_only = next(m for m in matches if m["record_id"] == "C0000009")
    assert phone_only["values"] == {"phone": phone}  # only the fields that agreed
    assert all("values" in m for m in matches)


def test_empty_report_is_valid_json_with_empty_matches(samples: Any, tmp_path: Path) -> None:
    report = samples.report_with([SourceResult("空.csv", "csv", SCANNED, rows=0)])
    text = render_json(report)
    assert text == json.dumps(json.loads(text), ensure_ascii=False, indent=2) + "\n"
    assert json.loads(text)["matches"] == []
    path = tmp_path / "report.json"
    write_json(report, path)
    assert path.read_text(encoding="utf-8") == text
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_write_json_is_utf8_with_lf_and_no_ascii_escapes(samples: Any, tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    write_json(samples.sample_report(), path)
    raw = path.read_bytes()
    assert samples.CSV_PATH.encode("utf-8") in raw
    assert b"\\u" not in raw and b"\r\n" not in raw
    assert raw == render_json(samples.sample_report()).encode("utf-8")


_hostile_text = st.lists(
    st.sampled_from([*'ab"\\\n\t\x00\x1f\x7f\u2028\u202e/!会員', "</script>", "\U0001f600"]),
    max_size=6,
).map("".join)
_match_rows = st.lists(
    st.tuples(
        st.integers(0, 2),  # which source
        st.one_of(st.none(), st.integers(1, 5)),  # row
        _hostile_text,  # record id
        st.lists(st.sampled_from(["phone", "name", "address", "name_kana"]), max_size=3),
        st.sampled_from(["strong", "weak"]),
        st.one_of(st.none(), st.integers(0, 10**12)),  # offset
        st.one_of(st.none(), st.booleans()),  # recovered
        st.one_of(st.none(), _hostile_text),  # the row's clear value
    ),
    max_size=12,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(paths=st.lists(_hostile_text, min_size=1, max_size=3, unique=True), rows=_match_rows)
def test_vectorised_matches_equal_json_dumps_byte_for_byte(
    samples: Any, paths: list[str], rows: list[tuple[Any, ...]]
) -> None:
    matches = pl.DataFrame(
        [
            {
                "source": paths[s % len(paths)],
                "row": row,
                "record_id": rid,
                "fields": fields,
                "strength": strength,
                "offset": offset,
                "page": None,
                "recovered": recovered,
            }
            for s, row, rid, fields, strength, offset, recovered, _ in rows
        ],
        schema=samples.FULL_SCHEMA,
    )
    values = pl.DataFrame(
        [
            {"source": paths[s % len(paths)], "row": row, "phone": value, "name": value}
            for s, row, *_, value in rows
        ],
        schema={
            "source": pl.String(),
            "row": pl.Int64(),
            "phone": pl.String(),
            "name": pl.String(),
        },
    )
    base = samples.report_with([SourceResult(p, "csv", SCANNED) for p in paths])
    report = replace(base, matches=matches, values=values)
    for show_values in (False, True):
        rendered = render_json(report, show_values=show_values)
        assert rendered == samples.reference_render_json(report, show_values=show_values)
        assert len(json.loads(rendered)["matches"]) == len(rows)


def test_values_join_needs_every_location_column(samples: Any) -> None:
    """A span located by offset never borrows the values of another span of its source."""
    report = samples.sample_report()
    values = pl.DataFrame(
        {"source": [samples.TEXT_PATH], "row": [None], "phone": ["000-0000-9999"]},
        schema={"source": pl.String(), "row": pl.Int64(), "phone": pl.String()},
    )
    shown = json.loads(render_json(replace(report, values=values), show_values=True))
    text_match = next(m for m in shown["matches"] if m["source"] == samples.TEXT_PATH)
    assert text_match["values"] == {}
    keyed = values.with_columns(offset=pl.lit(1088, dtype=pl.Int64()))
    shown = json.loads(render_json(replace(report, values=keyed), show_values=True))
    text_match = next(m for m in shown["matches"] if m["source"] == samples.TEXT_PATH)
    assert text_match["values"] == {"phone": "000-0000-9999"}


def test_values_carried_in_the_matches_render_like_the_values_frame(samples: Any) -> None:
    inline = samples.sample_report(values_in="column")
    assert "values" in inline.matches.columns and inline.values is None
    assert render_json(inline, show_values=True) == render_json(
        samples.sample_report(), show_values=True
    )
    assert render_json(inline) == render_json(samples.sample_report())  # never without asking
    bare = json.loads(render_json(samples.sample_report(values_in="none"), show_values=True))
    assert all(match["values"] == {} for match in bare["matches"])
