"""`verifydel demo --attest`: the attestation round on the demo data, checked against the scan."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from verifydel.cli import main


def test_demo_attest_runs_the_round_and_finds_what_the_scan_finds(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["demo", "--dir", str(tmp_path / "d"), "--records", "150", "--seed", "5", "--attest"])
    assert res.exit_code == 0, res.output
    assert "the same rows, records and strengths as the scan with the full pack" in res.output
    assert "demo passed" in res.output
    report = json.loads((tmp_path / "d" / "report-attest.json").read_text(encoding="utf-8"))
    assert report["pack"]["tier"] == "attestation" and report["summary"]["strong"] > 0
    assert (tmp_path / "d" / "demo.key.ledger").read_text(encoding="utf-8").count("\n") == 1
