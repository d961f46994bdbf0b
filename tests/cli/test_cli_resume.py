"""Never lose a run (issue 10, item 6), on real processes (``python -m verifydel scan``):

- killed with SIGKILL halfway through a folder of 20 sources, the same command with
  ``--resume`` reads only the sources the journal does not hold and writes the report an
  uninterrupted scan writes (timestamps and the run record aside);
- SIGINT stops the scan: the report lists the sources not read as ``interrupted``, exit 4
  (3 when something was found before the signal); a second signal ends it at once;
- the journal holds no clear value, and no temporary file survives any of it.

Every wait is bounded, so a regression fails, never hangs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner

from verifydel.cli import main
from verifydel.core.tempfiles import PREFIX

SOURCES = 20
ROWS = 60_000  # per source: long enough to stop a scan between two of them, never mid-way by luck
#: The planted survivor, as the broker keeps it (leaked record C001 of tests/cli/conftest.py).
PLANTED = ("山田太郎様", "港区芝公園4-2-8", "+81-90-1111-2222")
#: Pieces of the planted values no journal may hold, in any notation.
CLEAR = ("山田", "芝公園", "1111-2222", "11112222", "港区")
WAIT = 120.0


def _broker(folder: Path, planted_in: tuple[int, ...]) -> Path:
    broker = folder / "broker"
    broker.mkdir()
    i = pl.int_range(ROWS, eager=True)
    for k in range(SOURCES):
        frame = pl.DataFrame(
            {
                "名前": "別人" + i.cast(pl.String),
                "住所": "京都府京都市左京区" + (i % 97).cast(pl.String) + "-1-1",
                "TEL": "03-" + (i % 10_000).cast(pl.String).str.zfill(4) + "-" + ((i + k) % 9_973).cast(pl.String).str.zfill(4),
            }
        )
        if k in planted_in:
            frame = pl.concat([frame.head(ROWS // 2), pl.DataFrame([PLANTED], schema=frame.columns, orient="row"), frame.tail(ROWS // 2)])
        frame.write_csv(broker / f"s{k:02d}.csv")
    return broker


def _command(*extra: str) -> list[str]:
    return [sys.executable, "-m", "verifydel", "scan", "broker", "--pack", "p.vdpack", "--key", "k.key", "-q", *extra]


def _env(tmp: Path) -> dict[str, str]:
    return {**os.environ, "TMPDIR": str(tmp), "PYTHONIOENCODING": "utf-8"}


def _start(folder: Path, tmp: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(_command(*extra), cwd=folder, env=_env(tmp), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _run(folder: Path, tmp: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(_command(*extra), cwd=folder, env=_env(tmp), capture_output=True, text=True, timeout=WAIT, check=False)


def _lines(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def _when_journal_holds(process: subprocess.Popen[str], journal: Path, lines: int) -> None:
    deadline = time.monotonic() + WAIT
    while _lines(journal) < lines and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert process.poll() is None, "the scan ended before it could be stopped (the test proves nothing)"
    assert _lines(journal) >= lines


def _comparable(path: Path) -> dict[str, Any]:
    """The report without what differs between two runs of one scan: when, by which command."""
    report = json.loads(path.read_text(encoding="utf-8"))
    for key in ("started_at", "finished_at", "run"):
        report.pop(key)
    return report


def _leftovers(tmp: Path, folder: Path) -> list[str]:
    ours = [p.name for p in tmp.iterdir() if p.name.startswith(PREFIX)]
    return ours + [p.name for p in folder.iterdir() if p.name.endswith(".partial")]


@pytest.fixture
def tmp(sealed: Path) -> Path:
    folder = sealed / "tmp"
    folder.mkdir()
    return folder


def test_a_scan_killed_halfway_and_resumed_gives_the_uninterrupted_report(sealed: Path, tmp: Path) -> None:
    _broker(sealed, planted_in=(2, 15))
    whole = _run(sealed, tmp, "--json", "whole.json")
    assert whole.returncode == 3, whole.stderr[-2000:]
    assert not (sealed / "whole.json.journal").exists()  # a complete scan leaves no journal

    journal = sealed / "r.json.journal"
    process = _start(sealed, tmp, "--json", "r.json")
    _when_journal_holds(process, journal, 5)  # the header and at least 4 sources
    process.kill()
    process.communicate(timeout=WAIT)
    assert process.returncode == -signal.SIGKILL
    finished = _lines(journal) - 1
    assert 4 <= finished < SOURCES and not (sealed / "r.json").exists()
    text = journal.read_text(encoding="utf-8", errors="replace")
    assert not [c for c in CLEAR if c in text], "the journal holds a clear value"
    journaled = [json.loads(line)["item"]["unit"] for line in text.splitlines()[1 : finished + 1]]
    assert journaled == [f"broker/s{k:02d}.csv" for k in range(finished)]
    # A source of the journal is not read again: emptied now, it still counts as first read.
    (sealed / "broker" / "s00.csv").write_text("名前,住所,TEL\n", encoding="utf-8")

    resumed = _run(sealed, tmp, "--json", "r.json", "--resume")
    assert resumed.returncode == 3, resumed.stderr[-2000:]
    assert f"resuming: {finished:,} source(s) already scanned" in resumed.stderr
    assert _comparable(sealed / "r.json") == _comparable(sealed / "whole.json")
    report = json.loads((sealed / "r.json").read_text(encoding="utf-8"))
    assert report["run"]["options"]["resume"] is True
    assert not journal.exists()
    assert _leftovers(tmp, sealed) == []


@pytest.mark.parametrize(("planted_in", "code"), [((19,), 4), ((0,), 3)], ids=["nothing-found-yet", "found-before"])
def test_sigint_writes_the_report_with_interrupted_sources(sealed: Path, tmp: Path, planted_in: tuple[int, ...], code: int) -> None:
    _broker(sealed, planted_in=planted_in)
    journal = sealed / "r.json.journal"
    process = _start(sealed, tmp, "--json", "r.json", "--html", "r.html")
    _when_journal_holds(process, journal, 3)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=WAIT)
    assert process.returncode == code, err[-2000:]
    assert "interrupted (SIGINT)" in err and "--resume" in err
    report = json.loads((sealed / "r.json").read_text(encoding="utf-8"))
    statuses = [s["status"] for s in report["sources"]]
    assert len(statuses) == SOURCES  # nothing silently missing
    assert statuses[0] == "scanned" and statuses[-1] == "interrupted"
    assert set(statuses) == {"scanned", "interrupted"}
    assert report["summary"]["sources_interrupted"] == statuses.count("interrupted")
    assert report["verdict"] == ("found" if code == 3 else "not_confirmed") and report["exit_code"] == code
    assert "interrupted" in (sealed / "r.html").read_text(encoding="utf-8")
    assert _leftovers(tmp, sealed) == []
    checked = CliRunner().invoke(main, ["verify", "r.json", "--allow-unsigned"])
    assert checked.exit_code == 0, checked.output  # consistent: interrupted counts as a gap
    assert journal.exists()  # kept: --resume finishes the scan

    resumed = _run(sealed, tmp, "--json", "r.json", "--html", "r.html", "--resume")
    assert resumed.returncode == 3, resumed.stderr[-2000:]
    statuses = [s["status"] for s in json.loads((sealed / "r.json").read_text(encoding="utf-8"))["sources"]]
    assert statuses == ["scanned"] * SOURCES and not journal.exists()


def test_a_second_signal_ends_the_scan_at_once(sealed: Path, tmp: Path) -> None:
    _broker(sealed, planted_in=())
    process = _start(sealed, tmp, "--json", "r.json")
    _when_journal_holds(process, sealed / "r.json.journal", 2)
    process.send_signal(signal.SIGINT)
    process.send_signal(signal.SIGTERM)  # another signal: never merged with the first
    _, err = process.communicate(timeout=WAIT)
    assert process.returncode == 4, err[-2000:]
    assert "ended at once" in err
    assert not (sealed / "r.json").exists()
    assert _leftovers(tmp, sealed) == []


def test_resume_refuses_what_it_cannot_do(sealed: Path, broker_match: str, runner: CliRunner) -> None:
    base = ["scan", broker_match, "--pack", "p.vdpack", "--key", "k.key", "-q"]
    res = runner.invoke(main, [*base, "--json", "r.json", "--resume", "--show-values"])
    assert res.exit_code == 2 and "--show-values" in res.output
    res = runner.invoke(main, [*base, "--resume"])
    assert res.exit_code == 2 and "give the same --json FILE" in res.output
    # An unfinished scan's journal, then another command: refused, the journal kept.
    (sealed / "r.json.journal").write_text("", encoding="utf-8")
    res = runner.invoke(main, [*base, "--json", "r.json"])  # starts over: the journal is replaced
    assert res.exit_code == 3 and not (sealed / "r.json.journal").exists()


def test_resume_of_another_command_is_refused(sealed: Path, broker_match: str, runner: CliRunner) -> None:
    from verifydel.report.journal import Journal, scan_tag

    # The journal a killed `scan b.csv --json r.json` left (header only: killed at once).
    res = runner.invoke(main, ["scan", broker_match, "--pack", "p.vdpack", "--key", "k.key", "-q", "--json", "first.json"])
    pack_sha = json.loads((sealed / "first.json").read_text(encoding="utf-8"))["pack"]["sha256"]
    Journal.start(sealed / "r.json.journal", key=b"x" * 32, pack_sha256=pack_sha, tag=scan_tag(b"x" * 32, [broker_match], {}),
                  started_at="t").close()  # fmt: skip
    res = runner.invoke(main, ["scan", broker_match, "--pack", "p.vdpack", "--key", "k.key", "-q", "--json", "r.json",
                               "--map", "phone=TEL", "--resume"])  # fmt: skip
    assert res.exit_code == 2, res.output
    assert "belongs to another scan" in res.output and "same command" in res.output
    assert (sealed / "r.json.journal").exists() and not (sealed / "r.json").exists()


def test_resume_without_a_journal_scans_everything(sealed: Path, broker_match: str, runner: CliRunner) -> None:
    res = runner.invoke(main, ["scan", broker_match, "--pack", "p.vdpack", "--key", "k.key", "--json", "r.json", "-q", "--resume"])
    assert res.exit_code == 3, res.output
    assert "no journal" in res.output and "scanning every source" in res.output
    assert not (sealed / "r.json.journal").exists()


def test_the_journal_is_never_scanned_as_a_source(sealed: Path, broker_clean: str, runner: CliRunner) -> None:
    """A scan of the folder its report (and journal) is written to does not read its own journal."""
    res = runner.invoke(main, ["scan", ".", "--pack", "p.vdpack", "--key", "k.key", "--json", "r.json", "-q"])
    assert res.exit_code in (0, 3, 4), res.output
    paths = [s["path"] for s in json.loads((sealed / "r.json").read_text(encoding="utf-8"))["sources"]]
    assert "./b.csv" in paths and not [p for p in paths if "journal" in p]
