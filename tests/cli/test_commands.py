from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from verifydel.cli import main

COMMANDS = ["keygen", "fingerprint", "scan", "info", "demo"]
README = Path(__file__).parents[2] / "README.md"
#: Clear values of the leaked record the broker file holds (see conftest).
CLEAR = ["山田", "太郎", "芝公園", "1111-2222", "09011112222", "1111"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_and_is_documented(runner: CliRunner, command: str) -> None:
    res = runner.invoke(main, [command, "--help"])
    assert res.exit_code == 0 and "Usage:" in res.output
    assert f"verifydel {command}" in README.read_text(encoding="utf-8")


def test_keygen_mode_and_refuses_overwrite(workdir: Path, runner: CliRunner) -> None:
    assert runner.invoke(main, ["keygen", "a.key"]).exit_code == 0
    assert stat.S_IMODE(Path("a.key").stat().st_mode) == 0o600
    again = runner.invoke(main, ["keygen", "a.key"])
    assert again.exit_code == 2 and "already exists" in again.output


def test_info_needs_no_key_and_shows_metadata(sealed: Path, runner: CliRunner) -> None:
    res = runner.invoke(main, ["info", "p.vdpack", "--json"])
    assert res.exit_code == 0
    meta = json.loads(res.output)
    assert meta["records"] == 3 and meta["format"] == "verifydel-pack/1"
    assert meta["inputs"][0]["name"] == "leaked.csv" and len(meta["inputs"][0]["sha256"]) == 64
    for value in CLEAR:
        assert value not in res.output


def test_pack_holds_no_clear_value(sealed: Path) -> None:
    raw = Path("p.vdpack").read_bytes()
    for value in CLEAR + ["C001", "C002", "梅田"]:
        assert value.encode("utf-8") not in raw
        assert value.encode("cp932", errors="ignore") not in raw or not value.isascii()


def test_reports_hold_no_clear_value_unless_asked(broker_match: str, runner: CliRunner) -> None:
    res = runner.invoke(main, ["scan", broker_match, "--pack", "p.vdpack", "--key", "k.key", "--json", "r.json", "--html", "r.html"])
    assert res.exit_code == 3
    for text in (Path("r.json").read_text(encoding="utf-8"), Path("r.html").read_text(encoding="utf-8"), res.output):
        for value in CLEAR:
            assert value not in text
    shown = runner.invoke(
        main,
        ["scan", broker_match, "--pack", "p.vdpack", "--key", "k.key", "--json", "v.json", "--show-values", "-q"],
    )
    assert shown.exit_code == 3
    assert "山田太郎" in Path("v.json").read_text(encoding="utf-8")


def test_map_option_overrides_detection(sealed: Path, runner: CliRunner) -> None:
    Path("odd.csv").write_text("a,b,c\n山田太郎,xx,090-1111-2222\n", encoding="utf-8")
    res = runner.invoke(
        main,
        ["scan", "odd.csv", "--pack", "p.vdpack", "--key", "k.key", "--json", "r.json", "-q",
         "--map", "name=a", "--map", "phone=c"],
    )
    assert res.exit_code == 3, res.output
    report = json.loads(Path("r.json").read_text(encoding="utf-8"))
    assert report["sources"][0]["columns"] == {"name": ["a"], "phone": ["c"]}
    assert report["matches"][0]["fields"] == ["name", "phone"]


def test_cp932_split_columns_found(sealed: Path, runner: CliRunner) -> None:
    Path("sj.csv").write_bytes(
        "姓,名,都道府県,市区町村,番地,携帯\r\n髙橋,花子,大阪府,大阪市北区梅田,１－２－３,０６－６６６６－７７７７\r\n".encode("cp932")
    )
    res = runner.invoke(main, ["scan", "sj.csv", "--pack", "p.vdpack", "--key", "k.key", "--json", "r.json", "-q"])
    assert res.exit_code == 3, res.output
    report = json.loads(Path("r.json").read_text(encoding="utf-8"))
    assert report["sources"][0]["encoding"] == "cp932"
    assert report["matches"] == [
        {"source": "sj.csv", "row": 1, "record_id": "C002", "fields": ["name", "address", "phone"],
         "disagreed": [], "missing": [], "strength": "strong"}
    ]  # fmt: skip


def test_real_subprocess_scan(broker_match: str) -> None:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run(
        [sys.executable, "-m", "verifydel", "scan", broker_match, "--pack", "p.vdpack", "--key", "k.key", "--json", "s.json"],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert proc.returncode == 3, proc.stderr
    report = json.loads(Path("s.json").read_text(encoding="utf-8"))
    assert report["format"] == "verifydel-report/1" and report["summary"]["strong"] == 1
    assert "\x1b[" not in proc.stderr  # a pipe gets no terminal control codes
    assert "FOUND" in proc.stderr


def test_fingerprint_refuses_unreadable_leak(workdir: Path, runner: CliRunner) -> None:
    runner.invoke(main, ["keygen", "k.key"])
    res = runner.invoke(main, ["fingerprint", "nope.csv", "--key", "k.key", "--out", "p.vdpack"])
    assert res.exit_code == 2 and "nope.csv" in res.output
    assert not Path("p.vdpack").exists()


def test_table_option_limits_a_database_source(sealed: Path, runner: CliRunner) -> None:
    import sqlite3

    db = sqlite3.connect("broker.db")
    db.execute("CREATE TABLE members (id INTEGER PRIMARY KEY, 名前 TEXT, TEL TEXT)")
    db.execute("CREATE TABLE other (id INTEGER PRIMARY KEY, 名前 TEXT, TEL TEXT)")
    db.execute("INSERT INTO members (名前, TEL) VALUES ('山田太郎', '090-1111-2222')")
    db.execute("INSERT INTO other (名前, TEL) VALUES ('山田太郎', '090-1111-2222')")
    db.commit()
    db.close()
    uri = f"sqlite://{sealed / 'broker.db'}"  # sqlite:///abs/path
    res = runner.invoke(
        main, ["scan", uri, "--pack", "p.vdpack", "--key", "k.key", "--json", "r.json", "-q", "--table", "members"]
    )
    assert res.exit_code == 3, res.output
    report = json.loads(Path("r.json").read_text(encoding="utf-8"))
    # the file's live table and the rows deleted from it, not the other table's
    assert [s["path"] for s in report["sources"]] == [
        f"{uri}!/members",
        f"{uri}!/members#recovered",
        f"{uri}!/#recovered",
    ]
    assert [(m["source"], m["row"], m["record_id"]) for m in report["matches"]] == [(f"{uri}!/members", 1, "C001")]


def test_nested_archive_found_with_bang_paths(sealed: Path, runner: CliRunner) -> None:
    import io
    import tarfile
    import zipfile

    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("members.csv", "名前,TEL\n別人,03-0000-0000\n山田太郎,09011112222\n")
    with tarfile.open("backup.tar.gz", "w:gz") as tf:
        info = tarfile.TarInfo("2022/members.zip")
        info.size = len(inner.getvalue())
        tf.addfile(info, io.BytesIO(inner.getvalue()))
    res = runner.invoke(main, ["scan", "backup.tar.gz", "--pack", "p.vdpack", "--key", "k.key", "--json", "r.json", "-q"])
    assert res.exit_code == 3, res.output
    report = json.loads(Path("r.json").read_text(encoding="utf-8"))
    assert [(m["source"], m["row"], m["record_id"]) for m in report["matches"]] == [
        ("backup.tar.gz!/2022/members.zip!/members.csv", 2, "C001")
    ]
    assert {s["status"] for s in report["sources"]} == {"scanned"}
