"""The benchmark harness still runs, end to end, at tiny size, and still checks the answer.

No timing is asserted: only that every path ran and that the survivors check
(every planted row found strong, no other row strong, every row scanned) passed.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).parents[2]
RUN = ROOT / "benchmarks" / "run.py"
FORMATS = {"csv", "cp932", "parquet"}


def _duckdb_installed() -> bool:
    return importlib.util.find_spec("duckdb") is not None


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    out = tmp_path_factory.mktemp("bench")
    proc = subprocess.run(
        [sys.executable, str(RUN), "--smoke", "--out", str(out)], capture_output=True, text=True, timeout=120
    )
    latest = out / "results-latest.json"
    results = json.loads(latest.read_text(encoding="utf-8")) if latest.exists() else {}
    return proc, results


def test_smoke_run_exits_zero_and_writes_results(smoke: tuple[subprocess.CompletedProcess[str], dict[str, Any]]) -> None:
    proc, results = smoke
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert {e["format"] for e in results["scans"]} == FORMATS
    assert "Targets:" in proc.stdout


def test_verifydel_found_every_survivor_and_nothing_else(
    smoke: tuple[subprocess.CompletedProcess[str], dict[str, Any]],
) -> None:
    _, results = smoke
    for entry in results["scans"]:
        check = entry["verifydel"]["check"]
        assert check["ok"], (entry["format"], check)
        assert check["planted"] > 0 and check["found"] == check["planted"]
        assert check["strong_not_planted"] == 0
        assert check["rows_scanned"] == entry["rows"]


def test_smoke_covers_every_layout(smoke: tuple[subprocess.CompletedProcess[str], dict[str, Any]]) -> None:
    """One 住所 column and 住所1/住所2 beside the split columns, scanned, checked and profiled."""
    proc, results = smoke
    scanned = {(e.get("layout"), e["format"]) for e in results["scans"]}
    assert {("split", f) for f in FORMATS} | {("single", "csv"), ("two", "csv")} <= scanned
    for entry in results["scans"]:
        assert entry["distinct_address"]["address"] > 0
        check = entry["verifydel"]["check"]
        assert 0 < check["address_agreed"] <= check["planted"], (entry["layout"], check)
    assert {"single csv", "two csv"} <= set(results["stages"])
    for label in ("single csv", "two csv"):
        detail = results["stages"][label]["result"]["detail"]
        assert {"normalise address", "normalise phone", "lookup", "digest"} <= set(detail), label
    assert "Layouts side by side" in proc.stdout
    assert "single layout: scan" in proc.stdout


def test_floor_read_every_row(smoke: tuple[subprocess.CompletedProcess[str], dict[str, Any]]) -> None:
    _, results = smoke
    for entry in results["scans"]:
        assert entry["floor"]["result"]["rows"] == entry["rows"], entry["format"]


def test_stage_breakdown_covers_every_stage(smoke: tuple[subprocess.CompletedProcess[str], dict[str, Any]]) -> None:
    _, results = smoke
    for fmt, run in results["stages"].items():
        stages = run["result"]["stages"]
        assert set(stages) == {"read", "decode", "normalise", "hash", "match", "report"}, fmt
        assert run["result"]["rows"] == run["rows"]
        assert run["result"]["strong_rows"] == results["scans"][0]["verifydel"]["check"]["planted"]


def test_duckdb_baseline_found_every_survivor(smoke: tuple[subprocess.CompletedProcess[str], dict[str, Any]]) -> None:
    if not _duckdb_installed():
        pytest.skip("duckdb is not installed (pip install -e '.[bench]'): the DuckDB baseline was not run")
    _, results = smoke
    assert results["duckdb"] is True
    for entry in results["scans"]:
        check = entry["duckdb"]["check"]
        assert check["ok"], (entry["format"], check)
        assert check["found"] == check["planted"] > 0


def _run_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_run", RUN)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_check_rejects_a_missed_survivor_an_extra_strong_row_and_a_short_scan() -> None:
    check = _run_module()._check
    manifest = {"planted_rows": [3, 7], "broker_rows": 10}
    assert check({3, 7}, 10, manifest)["ok"]
    assert not check({3}, 10, manifest)["ok"]
    assert not check({3, 7, 8}, 10, manifest)["ok"]
    assert not check({3, 7}, 9, manifest)["ok"]
