"""One test per exit code of `verifydel scan` (CONTRACT.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from verifydel.cli import main
from verifydel.exitcodes import ExitCode, scan_exit_code


def _scan(runner: CliRunner, *sources: str, extra: tuple[str, ...] = ()) -> tuple[int, dict | None, str]:
    res = runner.invoke(main, ["scan", *sources, "--pack", "p.vdpack", "--key", "k.key", "--json", "r.json", *extra])
    report = json.loads(Path("r.json").read_text(encoding="utf-8")) if Path("r.json").exists() else None
    return res.exit_code, report, res.output


def test_exit_0_clean(broker_clean: str, runner: CliRunner) -> None:
    code, report, _ = _scan(runner, "b.csv")
    assert code == ExitCode.CLEAN == 0
    assert report["summary"]["matched_rows"] == 0 and report["sources"][0]["status"] == "scanned"


def test_exit_1_internal_error(broker_clean: str, runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    import verifydel.scan as scanmod

    def boom(*a: object, **k: object) -> None:
        raise RuntimeError("山田太郎 090-1111-2222")  # a bug whose message quotes a value

    monkeypatch.setattr(scanmod, "scan", boom)
    code, _, output = _scan(runner, "b.csv")
    assert code == ExitCode.INTERNAL_ERROR == 1
    assert "internal error" in output and "山田" not in output and "1111" not in output


@pytest.mark.parametrize(
    "setup",
    ["wrong-key", "tampered", "not-a-pack", "bad-map", "missing-key"],
)
def test_exit_2_cannot_start(broker_match: str, runner: CliRunner, setup: str) -> None:
    extra: tuple[str, ...] = ()
    if setup == "wrong-key":
        Path("k.key").unlink()
        runner.invoke(main, ["keygen", "k.key"])
    elif setup == "tampered":
        raw = bytearray(Path("p.vdpack").read_bytes())
        raw[-40] ^= 0x80
        Path("p.vdpack").write_bytes(bytes(raw))
    elif setup == "not-a-pack":
        Path("p.vdpack").write_text("hello")
    elif setup == "bad-map":
        extra = ("--map", "shoe_size=TEL")
    elif setup == "missing-key":
        Path("k.key").unlink()
    code, report, output = _scan(runner, "b.csv", extra=extra)
    assert code == ExitCode.CANNOT_START == 2, output
    assert report is None
    assert "error" in output


def test_exit_3_found(broker_match: str, runner: CliRunner) -> None:
    code, report, _ = _scan(runner, "b.csv")
    assert code == ExitCode.FOUND == 3
    assert [(m["row"], m["record_id"], m["strength"]) for m in report["matches"]] == [(1, "C001", "strong")]


def test_exit_3_wins_over_gaps(broker_match: str, runner: CliRunner) -> None:
    code, report, _ = _scan(runner, "b.csv", "does-not-exist.csv")
    assert code == ExitCode.FOUND
    assert report["summary"]["sources_failed"] == 1


@pytest.mark.parametrize("gap", ["missing", "undecodable"])
def test_exit_4_gaps_without_findings(broker_clean: str, runner: CliRunner, gap: str) -> None:
    other = "does-not-exist.csv"
    if gap == "undecodable":  # text in no encoding verifydel knows: failed, never clean
        other = "bad.csv"
        Path(other).write_bytes(b"name,phone\n\x81\x20\xff,1\n")
    code, report, _ = _scan(runner, "b.csv", other)
    assert code == ExitCode.INCOMPLETE == 4
    statuses = {s["path"]: s["status"] for s in report["sources"]}
    assert statuses == {"b.csv": "scanned", other: "failed"}
    assert all(s["error"] for s in report["sources"] if s["status"] == "failed")


@pytest.mark.parametrize(
    ("matches", "incomplete", "expected"),
    [(0, 0, 0), (1, 0, 3), (1, 5, 3), (0, 1, 4)],
)
def test_scan_exit_code_table(matches: int, incomplete: int, expected: int) -> None:
    assert scan_exit_code(matches=matches, incomplete_sources=incomplete) == expected
