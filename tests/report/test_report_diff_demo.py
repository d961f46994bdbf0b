"""``verifydel diff`` on the demo: scan, delete half of the planted survivors, scan again, diff.

The deleted survivors, and only they, are listed as gone; the rest as still present; the
JSON is pinned by a golden file (hashes and times aside: the pack's salt is random, the
rewritten parquet and workbook carry their writers' versions). Regenerate deliberately
with VERIFYDEL_UPDATE_GOLDEN=1.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
import pytest
from click.testing import CliRunner

from verifydel.cli import main
from verifydel.demo import DemoManifest, PlantedSurvivor, make_demo
from verifydel.demo._tables import TABLES
from verifydel.fingerprint.build import build_pack
from verifydel.fingerprint.keys import Secret
from verifydel.report.json_report import render_json
from verifydel.scan import ScanOptions, load_pack, scan

GOLDEN = Path(__file__).parent / "golden" / "demo_diff.json"
SECRET = Secret(bytes(range(32)))  # fixed key: fingerprints are deterministic
HEADERLESS = {spec.label for spec in TABLES if spec.header is None}


def _delete_rows(broker: Path, label: str, rows: set[int]) -> None:
    """Rewrite one broker table without its data rows ``rows`` (1-based, header excluded)."""
    file, _, sheet = label.partition("!/")
    path = broker / file
    if path.suffix == ".parquet":
        frame = pl.read_parquet(path)
        frame.filter(~pl.int_range(1, frame.height + 1).is_in(list(rows))).write_parquet(path)
    elif path.suffix == ".xlsx":
        book = openpyxl.load_workbook(path)
        for row in sorted(rows, reverse=True):
            book[sheet].delete_rows(row + 1)  # the sheet's row 1 is the header
        book.save(path)
    else:  # CSV, TSV, JSON Lines: one row a line, no quoted line break in the demo
        lines = path.read_bytes().splitlines(keepends=True)
        first = 0 if label in HEADERLESS or path.suffix == ".jsonl" else 1
        kept = [line for i, line in enumerate(lines) if i < first or (i - first + 1) not in rows]
        path.write_bytes(b"".join(kept))


def _scan_to(base: Path, out: str) -> dict[str, Any]:
    text = render_json(scan(["broker"], load_pack(base / "p.vdpack", SECRET), ScanOptions(jobs=2)))
    (base / out).write_text(text, encoding="utf-8")
    return json.loads(text)


@pytest.fixture(scope="module")
def follow_up(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("follow-up")
    manifest = make_demo(base, seed=11, records=400)
    build_pack([str(manifest.leaked)], SECRET, base / "p.vdpack", id_column="顧客ID")
    old_cwd = Path.cwd()
    os.chdir(base)  # relative source paths in the reports
    try:
        old = _scan_to(base, "old.json")
        survivors = sorted(manifest.survivors, key=lambda s: (s.file, s.row))
        deleted: list[PlantedSurvivor] = survivors[::2]  # half of them, from every table
        by_table: dict[str, set[int]] = {}
        for survivor in deleted:
            by_table.setdefault(survivor.file, set()).add(survivor.row)
        for label, rows in by_table.items():
            _delete_rows(manifest.broker, label, rows)
        new = _scan_to(base, "new.json")
        result = CliRunner().invoke(
            main, ["diff", "old.json", "new.json", "--json", "diff.json", "--html", "diff.html"]
        )
    finally:
        os.chdir(old_cwd)
    return {
        "manifest": manifest,
        "old": old,
        "new": new,
        "deleted": {s.record_id for s in deleted},
        "kept": {s.record_id for s in survivors[1::2]},
        "tables": set(by_table),
        "result": result,
        "diff": json.loads((base / "diff.json").read_text(encoding="utf-8")),
        "html": (base / "diff.html").read_text(encoding="utf-8"),
    }


def _ids(diff: dict[str, Any], change: str) -> set[str]:
    return {r["record_id"] for r in diff["steps"][0]["records"] if r["change"] == change}


def test_exactly_the_deleted_survivors_are_gone(follow_up: dict[str, Any]) -> None:
    manifest: DemoManifest = follow_up["manifest"]
    diff, deleted, kept = follow_up["diff"], follow_up["deleted"], follow_up["kept"]
    assert len(deleted) >= 10 and len(follow_up["tables"]) == len(
        {s.file for s in manifest.survivors}
    )
    # the precondition that makes "exactly" meaningful: each deleted one was in the old report
    old_ids = {m["record_id"] for m in follow_up["old"]["matches"]}
    assert deleted <= old_ids and kept <= old_ids
    assert _ids(diff, "gone") == deleted
    assert kept <= _ids(diff, "still_present")
    assert not _ids(diff, "still_present") & deleted
    assert _ids(diff, "new") == set()
    assert all(r["confirmed"] for r in diff["steps"][0]["records"] if r["change"] == "gone")
    assert diff["summary"]["gone"] == len(deleted) and diff["summary"]["gone_unconfirmed"] == 0


def test_follow_up_exits_3_while_survivors_remain(follow_up: dict[str, Any]) -> None:
    result = follow_up["result"]
    assert result.exit_code == 3, result.output
    assert f"gone {len(follow_up['deleted'])} (0 not confirmed)" in result.output
    assert follow_up["diff"]["verdict"] == "found" and follow_up["diff"]["exit_code"] == 3


def test_edited_files_are_changed_sources_and_coverage_did_not_get_worse(
    follow_up: dict[str, Any],
) -> None:
    sources = {s["path"]: s for s in follow_up["diff"]["steps"][0]["sources"]}
    edited = {f"broker/{label}" for label in follow_up["tables"]}
    assert {p for p, s in sources.items() if s["change"] == "changed"} == edited
    assert all(s["change"] == "unchanged" for p, s in sources.items() if p not in edited)
    assert not any(s["coverage_worse"] for s in sources.values())


def test_html_lists_the_series_and_holds_no_value(follow_up: dict[str, Any]) -> None:
    page = follow_up["html"]
    assert (
        page.startswith("<!DOCTYPE html>") and '<html lang="ja">' in page and "<script" not in page
    )
    assert "報告書の推移 (series)" in page
    for record_id in follow_up["deleted"]:
        assert record_id in page
    leaked = pl.read_csv(follow_up["manifest"].leaked, infer_schema=False)
    for value in leaked["電話番号"].head(50).to_list() + leaked["氏名"].head(50).to_list():
        assert value not in page and value not in json.dumps(follow_up["diff"], ensure_ascii=False)


def _stable(diff: dict[str, Any]) -> dict[str, Any]:
    doc = json.loads(json.dumps(diff))
    doc["tool"]["version"] = "<version>"
    for report in doc["reports"]:
        report["sha256"] = report["pack_sha256"] = "<sha256>"
        report["started_at"] = report["finished_at"] = "<time>"
    for step in doc["steps"]:
        for source in step["sources"]:
            for key in ("old_sha256", "new_sha256"):
                source[key] = source[key] and "<sha256>"
            if source["path"].endswith((".parquet", ".xlsx")) or ".xlsx!/" in source["path"]:
                source["old_bytes"] = source["new_bytes"] = source["old_bytes"] and "<bytes>"
    return doc


def test_diff_json_matches_golden(follow_up: dict[str, Any]) -> None:
    got = _stable(follow_up["diff"])
    if os.environ.get("VERIFYDEL_UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(got, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    assert got == json.loads(GOLDEN.read_text(encoding="utf-8"))


#: Keys reports gained after the first version (evidence core): a report without them must diff.
_NEW_TOP_KEYS = ("run", "verdict", "exit_code", "signer", "media")
_NEW_SOURCE_KEYS = ("sha256", "notes", "row_digest", "details")
_FIRST_SUMMARY_KEYS = (
    "rows_scanned",
    "matched_rows",
    "matched_records",
    "strong",
    "weak",
    "sources_failed",
)


def _first_version(document: dict[str, Any]) -> dict[str, Any]:
    doc = json.loads(json.dumps(document))
    for key in _NEW_TOP_KEYS:
        doc.pop(key, None)
    doc["tool"].pop("normalisation", None)
    doc["pack"].pop("key_id", None)
    for source in doc["sources"]:
        for key in _NEW_SOURCE_KEYS:
            source.pop(key, None)
    doc["summary"] = {key: doc["summary"][key] for key in _FIRST_SUMMARY_KEYS}
    for match in doc["matches"]:
        match.pop("disagreed", None)
        match.pop("missing", None)
    return doc


def test_reports_of_the_first_version_still_diff(follow_up: dict[str, Any], tmp_path: Path) -> None:
    for name in ("old", "new"):
        doc = _first_version(follow_up[name])
        assert "media" not in doc and "sha256" not in doc["sources"][0] and "run" not in doc
        (tmp_path / f"{name}.json").write_text(
            json.dumps(doc, ensure_ascii=False), encoding="utf-8"
        )
    out = tmp_path / "diff.json"
    result = CliRunner().invoke(
        main, ["diff", str(tmp_path / "old.json"), str(tmp_path / "new.json"), "--json", str(out)]
    )
    assert result.exit_code == 3, result.output
    diff = json.loads(out.read_text(encoding="utf-8"))
    assert _ids(diff, "gone") == follow_up["deleted"]
    assert all(r["confirmed"] for r in diff["steps"][0]["records"] if r["change"] == "gone")
    changes = {s["path"]: s["change"] for s in diff["steps"][0]["sources"]}
    # without SHA-256 the size tells (sheets have none of their own: unknown, never "unchanged")
    assert (
        changes["broker/members_2023.csv"] == "changed"
        and changes["broker/customers.xlsx!/退会者"] == "unknown"
    )
