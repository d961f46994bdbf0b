"""``report.diff``: records still present / gone / new, sources, coverage worse, the verdict.

Reports are built here as the JSON documents ``scan --json`` writes, reduced to what the
diff reads (as old reports were: no run, media, sha256, notes or verdict unless given).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from verifydel.errors import DifferentPacksError, InvalidReportError, UsageError
from verifydel.exitcodes import ExitCode
from verifydel.report.diff import LoadedReport, diff_reports
from verifydel.report.diff_html import render_diff_html
from verifydel.report.diff_json import render_diff_json

PACK = "ab" * 32


def _source(
    path: str,
    status: str = "scanned",
    sha256: str | None = "11" * 32,
    size: int | None = 100,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "path": path,
        "kind": "csv",
        "status": status,
        "rows": 10,
        "error": None,
        "bytes": size,
        "sha256": sha256,
        **extra,
    }


def _match(
    record_id: str | None, source: str, row: int, strength: str = "strong"
) -> dict[str, Any]:
    return {
        "source": source,
        "row": row,
        "record_id": record_id,
        "fields": ["name", "phone"],
        "strength": strength,
    }


def _report(
    name: str,
    sources: list[dict[str, Any]],
    matches: list[dict[str, Any]],
    *,
    pack: str = PACK,
    started: str = "2024-01-01T00:00:00+00:00",
    **extra: Any,
) -> LoadedReport:
    document = {
        "format": "verifydel-report/1",
        "pack": {"sha256": pack, "records": 10, "normalisation": "jp-1"},
        "started_at": started,
        "finished_at": started,
        "sources": sources,
        "summary": {},
        "matches": matches,
        **extra,
    }
    return LoadedReport.of(name, json.dumps(document).encode(), document)


def _changes(diff: Any, step: int = -1) -> dict[str, str]:
    return {r.record_id: r.change for r in diff.steps[step].record_changes()}


def test_records_still_present_gone_and_new_with_strengths() -> None:
    old = _report(
        "q1.json",
        [_source("a.csv")],
        [_match("R1", "a.csv", 1), _match("R2", "a.csv", 2, "weak"), _match("R3", "a.csv", 3)],
    )
    new = _report(
        "q2.json",
        [_source("a.csv", sha256="22" * 32)],
        [
            _match("R2", "a.csv", 1),
            _match("R2", "a.csv", 5, "weak"),
            _match("R4", "a.csv", 2, "weak"),
        ],
    )
    diff = diff_reports([old, new])
    assert _changes(diff) == {"R2": "still_present", "R4": "new", "R1": "gone", "R3": "gone"}
    assert [r.record_id for r in diff.last.record_changes()] == [
        "R2",
        "R4",
        "R1",
        "R3",
    ]  # present first, then by id
    r2 = diff.last.record_changes()[0]
    assert (r2.old_strength, r2.new_strength, r2.old_locations, r2.new_locations) == (
        "weak",
        "strong",
        1,
        2,
    )
    assert r2.confirmed is None and all(
        r.confirmed for r in diff.last.record_changes() if r.change == "gone"
    )
    assert diff.exit_code == ExitCode.FOUND and diff.verdict == "found"
    assert diff.last.summary["still_present_strong"] == 1


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ({"sha256": "11" * 32, "bytes": 100}, {"sha256": "11" * 32, "bytes": 100}, "unchanged"),
        ({"sha256": "11" * 32, "bytes": 100}, {"sha256": "22" * 32, "bytes": 100}, "changed"),
        (
            {"sha256": None, "bytes": 100},
            {"sha256": "22" * 32, "bytes": 100},
            "unchanged",
        ),  # old report: size only
        ({"sha256": None, "bytes": 100}, {"sha256": "22" * 32, "bytes": 101}, "changed"),
        ({"sha256": None, "bytes": None}, {"sha256": None, "bytes": None}, "unknown"),
        (
            {"sha256": None, "bytes": None, "row_digest": "x"},
            {"sha256": None, "bytes": None, "row_digest": "y"},
            "changed",
        ),
    ],
)
def test_source_identity(old: dict[str, Any], new: dict[str, Any], expected: str) -> None:
    a = _report("a.json", [{**_source("t"), **old}], [])
    b = _report("b.json", [{**_source("t"), **new}], [])
    assert diff_reports([a, b]).last.sources[0].change == expected


def test_sources_added_and_removed_in_order() -> None:
    a = _report("a.json", [_source("x.csv"), _source("gone.csv")], [])
    b = _report("b.json", [_source("y.csv"), _source("x.csv")], [])
    sources = diff_reports([a, b]).last.sources
    assert [(s.path, s.change) for s in sources] == [
        ("y.csv", "added"),
        ("x.csv", "unchanged"),
        ("gone.csv", "removed"),
    ]


@pytest.mark.parametrize("status", ["partial", "failed", "interrupted"])
def test_scanned_then_a_gap_is_coverage_worse_exit_4(status: str) -> None:
    a = _report("a.json", [_source("x.csv")], [])
    b = _report("b.json", [_source("x.csv", status=status)], [])
    diff = diff_reports([a, b])
    assert diff.last.sources[0].coverage_worse and diff.coverage_worse == ("x.csv",)
    assert diff.exit_code == ExitCode.INCOMPLETE == 4 and diff.verdict == "not_confirmed"


def test_a_gap_before_and_after_is_not_worse() -> None:
    a = _report("a.json", [_source("x.csv", status="partial")], [])
    b = _report("b.json", [_source("x.csv", status="failed")], [])
    assert diff_reports([a, b]).exit_code == ExitCode.CLEAN


def test_gone_from_a_source_not_read_completely_again_is_not_confirmed() -> None:
    a = _report("a.json", [_source("x.csv", status="partial")], [_match("R1", "x.csv", 1)])
    b = _report("b.json", [_source("x.csv", status="partial")], [])
    diff = diff_reports([a, b])
    assert diff.last.record_changes()[0].confirmed is False and diff.gone_unconfirmed == ("R1",)
    assert diff.exit_code == ExitCode.INCOMPLETE


def test_all_gone_and_read_again_exits_0() -> None:
    a = _report("a.json", [_source("x.csv", status="partial")], [_match("R1", "x.csv", 1)])
    b = _report("b.json", [_source("x.csv", sha256="22" * 32)], [])
    diff = diff_reports([a, b])
    assert diff.last.record_changes()[0].confirmed is True and diff.exit_code == ExitCode.CLEAN == 0
    assert diff.verdict == "clean"


def _run(*sources: str) -> dict[str, Any]:
    return {"run": {"command": [], "options": {"sources": list(sources)}, "fail_on": "any"}}


def test_file_deleted_from_a_folder_the_new_scan_read_is_removed_not_worse() -> None:
    a = _report(
        "a.json",
        [_source("broker/a.csv"), _source("broker/b.csv")],
        [_match("R1", "broker/b.csv", 1)],
        **_run("broker/"),
    )
    b = _report("b.json", [_source("broker/a.csv")], [], **_run("broker/"))
    diff = diff_reports([a, b])
    removed = diff.last.sources[-1]
    assert (removed.change, removed.within_new_scan, removed.coverage_worse) == (
        "removed",
        True,
        False,
    )
    assert diff.last.record_changes()[0].confirmed is True and diff.exit_code == ExitCode.CLEAN


def test_source_the_new_scan_was_not_given_is_coverage_worse() -> None:
    a = _report(
        "a.json",
        [_source("broker/a.csv"), _source("backup/b.csv")],
        [_match("R1", "backup/b.csv", 1)],
        **_run("broker", "backup"),
    )
    b = _report("b.json", [_source("broker/a.csv")], [], **_run("broker"))
    diff = diff_reports([a, b])
    removed = diff.last.sources[-1]
    assert (removed.within_new_scan, removed.coverage_worse) == (False, True)
    assert diff.gone_unconfirmed == ("R1",) and diff.exit_code == ExitCode.INCOMPLETE


def test_without_a_recorded_run_a_removed_source_is_worse() -> None:
    a = _report("a.json", [_source("broker/a.csv"), _source("broker/b.csv")], [])
    b = _report("b.json", [_source("broker/a.csv")], [])
    diff = diff_reports([a, b])
    assert diff.last.sources[-1].within_new_scan is False and diff.exit_code == ExitCode.INCOMPLETE


def test_member_missing_from_an_archive_read_partly_is_not_within_the_scan() -> None:
    member = "broker/b.zip!/m.csv"
    a = _report(
        "a.json",
        [_source("broker/b.zip"), _source(member)],
        [_match("R1", member, 1)],
        **_run("broker"),
    )
    b = _report("b.json", [_source("broker/b.zip", status="partial")], [], **_run("broker"))
    diff = diff_reports([a, b])
    assert diff.last.sources[-1].within_new_scan is False
    assert set(diff.coverage_worse) == {"broker/b.zip", member} and diff.gone_unconfirmed == ("R1",)


def test_fail_on_strong_ignores_weak_matches_in_the_newest() -> None:
    a = _report("a.json", [_source("x.csv")], [_match("R1", "x.csv", 1)])
    b = _report("b.json", [_source("x.csv")], [_match("R1", "x.csv", 1, "weak")])
    assert diff_reports([a, b]).exit_code == ExitCode.FOUND
    strong_only = diff_reports([a, b], fail_on="strong")
    assert strong_only.exit_code == ExitCode.CLEAN and _changes(strong_only) == {
        "R1": "still_present"
    }


def test_different_packs_are_refused_unless_allowed() -> None:
    a = _report("a.json", [_source("x.csv")], [_match("R1", "x.csv", 1)])
    b = _report("b.json", [_source("x.csv")], [], pack="cd" * 32)
    with pytest.raises(DifferentPacksError) as refused:
        diff_reports([a, b])
    message = str(refused.value)
    assert (
        "different packs" in message and "--allow-different-pack" in message and "salt" in message
    )
    allowed = diff_reports([a, b], allow_different_pack=True)
    assert not allowed.same_pack and any("different packs" in n for n in allowed.notes)
    assert _changes(allowed) == {"R1": "gone"}


def test_fewer_than_two_reports_or_malformed_matches_are_refused() -> None:
    a = _report("a.json", [_source("x.csv")], [])
    with pytest.raises(UsageError):
        diff_reports([a])
    bad = _report("b.json", [_source("x.csv")], ["not a match"])  # type: ignore[list-item]
    with pytest.raises(InvalidReportError):
        diff_reports([a, bad])


def test_matches_without_record_id_count_as_present_but_are_not_listed() -> None:
    a = _report("a.json", [_source("x.csv")], [])
    b = _report("b.json", [_source("x.csv")], [_match(None, "x.csv", 1)])
    diff = diff_reports([a, b])
    assert diff.last.records.height == 0 and diff.reports[1].matches_without_record_id == 1
    assert diff.exit_code == ExitCode.FOUND and any("without a record id" in n for n in diff.notes)


def _quarter(name: str, status: str, matches: list[dict[str, Any]], month: int) -> LoadedReport:
    return _report(
        name,
        [_source("x.csv", status=status), _source("y.csv")],
        matches,
        started=f"2024-{month:02d}-01T00:00:00+00:00",
    )


def test_series_compares_the_newest_with_every_earlier_report() -> None:
    # R1 in x.csv in Q1; x.csv fails from Q3 on: the last step sees no change, the series does
    quarters = [
        _quarter("Q1.json", "scanned", [_match("R1", "x.csv", 1), _match("R2", "y.csv", 1)], 1),
        _quarter("Q2.json", "scanned", [_match("R2", "y.csv", 1)], 4),
        _quarter("Q3.json", "failed", [], 7),
        _quarter("Q4.json", "failed", [], 10),
    ]
    diff = diff_reports(quarters)
    assert [(s.old, s.new) for s in diff.steps] == [(0, 1), (1, 2), (2, 3)]
    assert _changes(diff, 0) == {"R2": "still_present", "R1": "gone"} and _changes(diff, 1) == {
        "R2": "gone"
    }
    assert diff.last.summary["coverage_worse"] == 0
    assert diff.coverage_worse == ("x.csv",) and diff.exit_code == ExitCode.INCOMPLETE
    assert [f.records_present for f in diff.reports] == [2, 1, 0, 0]
    assert [f.sources_gaps for f in diff.reports] == [0, 0, 1, 1]
    page = render_diff_html(diff)
    assert "報告書の推移 (series)" in page and page.count("Q4.json") >= 2
    assert not diff.notes


def test_reports_out_of_order_are_noted() -> None:
    later = _quarter("Q2.json", "scanned", [], 4)
    earlier = _quarter("Q1.json", "scanned", [], 1)
    assert any("oldest first" in n for n in diff_reports([later, earlier]).notes)


def test_renderings_escape_hostile_ids_and_paths() -> None:
    path = "evil<script>alert(1)</script>\u202e.csv"
    a = _report("a.json", [_source(path)], [_match("<b>R1</b>", path, 1)])
    b = _report("b.json", [_source(path)], [])
    diff = diff_reports([a, b])
    page = render_diff_html(diff)
    assert "<script>" not in page and "<b>R1" not in page and "\u202e" not in page
    assert "&lt;b&gt;R1&lt;/b&gt;" in page and '<html lang="ja">' in page
    document = json.loads(render_diff_json(diff))
    assert document["steps"][0]["records"][0]["record_id"] == "<b>R1</b>"


def test_json_is_stable_and_ordered() -> None:
    a = _report("a.json", [_source("x.csv")], [_match("R2", "x.csv", 2), _match("R1", "x.csv", 1)])
    b = _report("b.json", [_source("x.csv")], [_match("R1", "x.csv", 1)])
    first = render_diff_json(diff_reports([a, b]))
    assert first == render_diff_json(diff_reports([a, b])) and first.endswith("}\n")
    document = json.loads(first)
    assert list(document)[:6] == [
        "format",
        "tool",
        "fail_on",
        "same_pack",
        "id_column_personal",
        "verdict",
    ]
    assert document["format"] == "verifydel-diff/1" and document["exit_code"] == 3
    assert list(document["steps"][0]["records"][0]) == [
        "record_id",
        "change",
        "old_strength",
        "new_strength",
        "old_locations",
        "new_locations",
        "old_sources",
        "new_sources",
        "confirmed",
    ]


def test_personal_record_ids_are_flagged() -> None:
    a = _report("a.json", [_source("x.csv")], [])
    a.document["pack"]["id_column_personal"] = True
    diff = diff_reports([a, a])
    assert diff.id_column_personal and "個人情報" in render_diff_html(diff)


def test_json_text_is_the_document_even_with_ids_and_paths_that_spell_its_slots() -> None:
    from verifydel.report.diff_json import diff_document

    path, record = "\x00records1\x00", "\x00sources0\x00"
    series = [
        _report(
            f"q{i}.json",
            [_source(path), _source("\x00sources1\x00")],
            [_match(record, path, 1)] if i < 2 else [],
        )
        for i in range(3)
    ]
    diff = diff_reports(series)
    text = render_diff_json(diff)
    assert json.loads(text) == diff_document(diff)
    assert text.count("\n") > 40  # indented, one record or source a line
    assert json.loads(text)["steps"][1]["records"][0]["record_id"] == record
