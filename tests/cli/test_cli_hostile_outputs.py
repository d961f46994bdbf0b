"""Issue 9, findings 8 (id column) and 9: the CLI refuses what would leak or lie, and a killed
or starved run leaves nothing behind (real processes for the signals)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from verifydel.cli import main
from verifydel.core import tempfiles
from verifydel.errors import OutputError
from verifydel.report import _files


def test_an_id_column_holding_phones_is_refused(workdir: Path, runner: CliRunner) -> None:
    (workdir / "leaked.csv").write_text("氏名,住所,電話番号\n山田 太郎,東京都港区芝公園4-2-8,090-1111-2222\n", encoding="utf-8")
    assert runner.invoke(main, ["keygen", "k.key"]).exit_code == 0
    res = runner.invoke(main, ["fingerprint", "leaked.csv", "--key", "k.key", "--out", "p.vdpack", "--id-column", "電話番号"])
    assert res.exit_code == 2 and "--id-column '電話番号' holds the phone field" in res.output
    assert "090-1111-2222" not in res.output and not (workdir / "p.vdpack").exists()
    res = runner.invoke(main, ["fingerprint", "leaked.csv", "--key", "k.key", "--out", "p.vdpack",
                               "--id-column", "電話番号", "--allow-personal-id"])  # fmt: skip
    assert res.exit_code == 0, res.output
    (workdir / "b.csv").write_text("名前,TEL\n山田太郎,09011112222\n", encoding="utf-8")
    res = runner.invoke(main, ["scan", "b.csv", "--pack", "p.vdpack", "--key", "k.key", "--json", "r.json", "-q"])
    assert res.exit_code == 3
    assert json.loads((workdir / "r.json").read_text(encoding="utf-8"))["pack"]["id_column_personal"] is True


def test_a_map_column_that_is_not_there_stops_fingerprint(workdir: Path, runner: CliRunner) -> None:
    (workdir / "leaked.csv").write_text("氏名,住所,電話番号\n山田 太郎,東京都港区芝公園4-2-8,090-1111-2222\n", encoding="utf-8")
    assert runner.invoke(main, ["keygen", "k.key"]).exit_code == 0
    res = runner.invoke(main, ["fingerprint", "leaked.csv", "--key", "k.key", "--out", "p.vdpack", "--map", "phone=NOSUCH"])
    assert res.exit_code == 2 and "--map phone=NOSUCH: no such column" in res.output
    assert not (workdir / "p.vdpack").exists()


def test_a_report_that_does_not_fit_is_not_written_and_the_verdict_stands(
    sealed: Path, broker_match: str, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_files.shutil, "disk_usage", lambda _: type("U", (), {"free": 1000})())
    res = runner.invoke(main, ["scan", broker_match, "--pack", "p.vdpack", "--key", "k.key",
                               "--json", "r.json", "--html", "r.html", "-q"])  # fmt: skip
    assert res.exit_code == 3, res.output  # found stays found, never exit 1
    assert "bytes needed" in res.output and "the report was not written" in res.output
    # The journal stays: --resume writes the report without reading the sources again.
    assert sorted(p.name for p in sealed.iterdir() if p.name.startswith("r.")) == ["r.json.journal"]
    assert "--resume" in res.output


def test_an_output_folder_that_does_not_exist_stops_the_scan_before_it_starts(
    sealed: Path, broker_clean: str, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = []
    monkeypatch.setattr("verifydel.scan.read", lambda *a, **k: started.append(1) or [])
    res = runner.invoke(main, ["scan", broker_clean, "--pack", "p.vdpack", "--key", "k.key",
                               "--json", "no/such/folder/r.json", "-q"])  # fmt: skip
    assert res.exit_code == 2, res.output
    assert "folder no/such/folder does not exist" in res.output and "verifydel bug" not in res.output
    assert started == []


@pytest.mark.parametrize(
    ("option", "target", "says"),
    [
        ("--json", "k.key", "would overwrite an input"),
        ("--html", ".", "is a directory"),
    ],
)
def test_outputs_that_cannot_be_right_are_refused_up_front(
    sealed: Path, broker_clean: str, runner: CliRunner, option: str, target: str, says: str
) -> None:
    res = runner.invoke(main, ["scan", broker_clean, "--pack", "p.vdpack", "--key", "k.key", option, target, "-q"])
    assert res.exit_code == 2, res.output
    assert says in res.output


def test_a_clean_scan_whose_report_is_lost_is_not_clean(
    sealed: Path, broker_clean: str, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    def vanish(*_: object) -> None:
        raise OutputError("cannot write r.json: no such file or directory")

    monkeypatch.setattr("verifydel.cli.outputs.write_bytes_atomically", vanish)
    res = runner.invoke(main, ["scan", broker_clean, "--pack", "p.vdpack", "--key", "k.key",
                               "--json", "r.json", "-q"])  # fmt: skip
    assert res.exit_code == 4, res.output
    assert "cannot write" in res.output and "verifydel bug" not in res.output


def test_a_crash_while_writing_leaves_no_file_under_the_final_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_files.os, "fsync", full)
    with pytest.raises(Exception, match="no space left on device"):
        _files.write_text_atomically("{}" * 1000, tmp_path / "r.json")
    assert list(tmp_path.iterdir()) == []


def test_a_report_being_written_is_a_file_a_signal_removes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A second Ctrl-C while a report is written ends the process at once: the .partial beside
    the report is registered with the temporary files, so it goes with them."""
    seen: list[list[str]] = []
    real_fsync = _files.os.fsync

    def watching(fd: int) -> None:
        seen.append(tempfiles.live_files())
        real_fsync(fd)

    monkeypatch.setattr(_files.os, "fsync", watching)
    _files.write_text_atomically("{}", tmp_path / "r.json")
    assert seen == [[str(tmp_path / "r.json.partial")]]
    assert tempfiles.live_files() == [] and [p.name for p in tmp_path.iterdir()] == ["r.json"]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_killed_scan_leaves_no_temporary_file(sealed: Path, signum: int) -> None:
    """A real process scanning a zip member (spooled to a temporary file) is stopped mid-scan:
    it writes its report (the member and its archive interrupted), exits 4, and no temporary
    file survives it (the spooled member, the report's own .partial)."""
    rows = 600_000
    frame = pl.DataFrame({"名前": [f"別人{i}" for i in range(rows)], "TEL": [f"03-{i % 10000:04d}-{i % 9973:04d}" for i in range(rows)]})
    frame.write_csv(sealed / "big.csv")
    with zipfile.ZipFile(sealed / "big.zip", "w", zipfile.ZIP_DEFLATED) as z:
        z.write(sealed / "big.csv", "big.csv")
    (sealed / "big.csv").unlink()
    spool = sealed / "spool"
    spool.mkdir()
    env = {**os.environ, "TMPDIR": str(spool)}
    process = subprocess.Popen(
        [sys.executable, "-m", "verifydel", "scan", "big.zip", "--pack", "p.vdpack", "--key", "k.key", "-q", "--json", "r.json"],
        cwd=sealed, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    def spooled() -> bool:  # a file of ours, not Python's own probe of the folder
        return any(p.name.startswith(tempfiles.PREFIX) for p in spool.iterdir())

    while not spooled() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert spooled(), "the member was never spooled (the test proves nothing)"
    process.send_signal(signum)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 4, err.decode()
    assert "interrupted" in err.decode()
    assert list(spool.iterdir()) == []
    report = json.loads((sealed / "r.json").read_text(encoding="utf-8"))
    statuses = {s["path"]: s["status"] for s in report["sources"]}
    assert statuses == {"big.zip": "interrupted", "big.zip!/big.csv": "interrupted"}, statuses
    assert report["summary"]["sources_interrupted"] == 2 and report["verdict"] == "not_confirmed"
    assert sorted(p.name for p in sealed.iterdir() if p.name.startswith("r.json")) == ["r.json", "r.json.journal"]
