"""Golden report: the same inputs give the same JSON, timestamps (and the pack's random salt) aside.

Regenerate deliberately with VERIFYDEL_UPDATE_GOLDEN=1 after a reviewed change of
normalisation or matching; never silently.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from verifydel.demo import check_matches, make_demo
from verifydel.fingerprint.build import build_pack
from verifydel.fingerprint.keys import Secret
from verifydel.report.json_report import render_json
from verifydel.scan import ScanOptions, load_pack, scan

GOLDEN = Path(__file__).parent / "golden" / "demo_report.json"
SECRET = Secret(bytes(range(32)))  # fixed key: fingerprints are deterministic


def _stable(report_json: str) -> dict:
    doc = json.loads(report_json)
    doc["started_at"] = doc["finished_at"] = "<time>"
    doc["pack"]["sha256"] = "<sha256>"  # the pack's salt and nonces are random on purpose
    doc["tool"]["version"] = "<version>"
    return doc


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, object]:
    base = tmp_path_factory.mktemp("golden")
    manifest = make_demo(base, seed=11, records=400)
    build_pack([str(manifest.leaked)], SECRET, base / "p.vdpack", id_column="顧客ID")
    old = Path.cwd()
    os.chdir(base)  # relative source paths in the report
    try:
        report = scan(["broker"], load_pack(base / "p.vdpack", SECRET), ScanOptions(jobs=2))
    finally:
        os.chdir(old)
    return render_json(report), (manifest, report)


def test_report_matches_golden(demo_report: tuple[str, object]) -> None:
    got = _stable(demo_report[0])
    if os.environ.get("VERIFYDEL_UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(got, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert got == expected


def test_same_inputs_same_json(demo_report: tuple[str, object], tmp_path: Path) -> None:
    manifest, report = demo_report[1]
    old = Path.cwd()
    os.chdir(manifest.directory)
    try:
        again = scan(["broker"], load_pack(manifest.directory / "p.vdpack", SECRET), ScanOptions(jobs=1))
    finally:
        os.chdir(old)
    assert _stable(render_json(again)) == _stable(demo_report[0])


def test_golden_scan_found_exactly_the_planted(demo_report: tuple[str, object]) -> None:
    manifest, report = demo_report[1]
    check = check_matches(manifest, report.matches.iter_rows(named=True))
    assert check.ok, (len(check.missed), len(check.strong_decoys), check.unplanned_rows[:5])
    assert len(check.found) == len(manifest.survivors) > 0
