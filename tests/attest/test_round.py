"""pack → request → answer → finish finds what `scan` with the full pack finds: rows, records, strengths, fields."""

from __future__ import annotations

import json
import os
from pathlib import Path

import polars as pl
from click.testing import CliRunner

from verifydel.cli import main
from verifydel.demo import check_matches
from verifydel.exitcodes import ExitCode
from verifydel.report.json_report import render_json
from verifydel.scan import ScanOptions, load_pack, scan

KEYS = ["source", "row", "record_id", "strength", "fields", "disagreed", "missing"]


def _with_pack_ids(matches: pl.DataFrame, pack_ids: pl.Series) -> pl.DataFrame:
    """Attestation record ids (#n: the n-th record of the pack) → the pack's own ids."""
    n = matches["record_id"].str.strip_prefix("#").cast(pl.Int64) - 1
    return matches.with_columns(pack_ids.gather(n).alias("record_id"))


def test_the_round_finds_exactly_what_the_full_scan_finds(demo_round) -> None:
    r = demo_round
    pack = load_pack(r.pack, r.secret)
    old = Path.cwd()
    os.chdir(r.dir)
    try:
        full = scan(["broker"], pack, ScanOptions())
    finally:
        os.chdir(old)
    attested = r.finished.report
    assert attested.matches.height > 20
    mine = _with_pack_ids(attested.matches, pack.contents.records["record_id"]).select(KEYS)
    theirs = full.matches.select(KEYS)
    assert mine.sort(KEYS[:3]).equals(theirs.sort(KEYS[:3]))
    assert attested.summary == full.summary
    assert [s.path for s in attested.sources] == [s.path for s in full.sources]
    assert [(s.status, s.rows, s.sha256, s.columns) for s in attested.sources] == [
        (s.status, s.rows, s.sha256, s.columns) for s in full.sources
    ]
    assert attested.exit_code == full.exit_code == ExitCode.FOUND


def test_the_round_finds_every_planted_survivor_and_no_decoy_strong(demo_round) -> None:
    r = demo_round
    pack = load_pack(r.pack, r.secret)
    matches = _with_pack_ids(r.finished.report.matches, pack.contents.records["record_id"])
    check = check_matches(r.manifest, matches.iter_rows(named=True))
    assert check.ok, check


def test_the_report_names_the_tier_and_the_attestation_pack(demo_round) -> None:
    doc = json.loads(render_json(demo_round.finished.report))
    assert doc["pack"]["tier"] == "attestation"
    assert doc["pack"]["format"] == "verifydel-attest/1"
    assert doc["pack"]["key_id"] == demo_round.secret.key_id()
    assert doc["pack"]["records"] == 300
    import hashlib

    assert doc["pack"]["sha256"] == hashlib.sha256(demo_round.attest.read_bytes()).hexdigest()
    assert all(m["record_id"].startswith("#") for m in doc["matches"])
    assert doc["media"] and all(m["sha256"] for m in doc["media"])


def test_the_ledger_has_one_line_per_answer(demo_round) -> None:
    lines = [json.loads(x) for x in demo_round.ledger.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 1
    (entry,) = lines
    assert entry["points"] == demo_round.finished.answer.count > 0
    import hashlib

    assert entry["request_sha256"] == hashlib.sha256(demo_round.request.read_bytes()).hexdigest()
    assert entry["answer_sha256"] == hashlib.sha256(demo_round.answer.read_bytes()).hexdigest()
    assert {"time", "case", "key_id"} <= set(entry)


def test_the_cli_round_exit_codes_and_a_signed_verified_report(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    (tmp_path / "leaked.csv").write_text(
        "顧客ID,氏名,住所,電話番号\nC001,山田 太郎,東京都港区芝公園4丁目2番8号,090-1111-2222\n"
        "C002,髙橋 花子,大阪府大阪市北区梅田一丁目二番三号,06-6666-7777\n",
        encoding="utf-8",
    )
    (tmp_path / "found.csv").write_text("名前,住所,TEL\n山田太郎様,港区芝公園4-2-8,+81-90-1111-2222\n", encoding="utf-8")
    (tmp_path / "clean.csv").write_text("名前,住所,TEL\n別人 次郎,京都府京都市左京区1-1-1,075-000-0000\n", encoding="utf-8")

    def run(*args: str) -> int:
        res = runner.invoke(main, list(args))
        assert res.exit_code in (0, 3, 4), res.output
        return res.exit_code

    assert run("keygen", "k.key") == 0
    assert run("keygen", "--signing", "broker.sig.key") == 0
    assert run("fingerprint", "leaked.csv", "--key", "k.key", "--out", "p.vdpack", "--attest-out", "p.vdattest") == 0
    for source, expected in (("found.csv", ExitCode.FOUND), ("clean.csv", ExitCode.CLEAN)):
        stem = source.removesuffix(".csv")
        assert run("attest", "request", source, "--out", f"{stem}.vdreq", "--case", "B-7") == 0
        assert oct((tmp_path / f"{stem}.vdreq.state").stat().st_mode & 0o777) == "0o600"
        assert run("attest", "answer", f"{stem}.vdreq", "--key", "k.key", "--out", f"{stem}.vdans", "--max", "10") == 0
        code = run(
            "attest", "finish", f"{stem}.vdans", "--state", f"{stem}.vdreq.state", "--pack", "p.vdattest",
            "--json", f"{stem}.json", "--sign", "broker.sig.key", "-q",
        )  # fmt: skip
        assert code == expected
        assert run("verify", f"{stem}.json", "--public-key", "broker.sig.key.pub") == 0
    missing = runner.invoke(main, ["attest", "request", "clean.csv", "gone.csv", "--out", "gap.vdreq"])
    assert missing.exit_code == 0, missing.output
    assert run("attest", "answer", "gap.vdreq", "--key", "k.key", "--out", "gap.vdans") == 0
    code = run("attest", "finish", "gap.vdans", "--state", "gap.vdreq.state", "--pack", "p.vdattest", "-q")
    assert code == ExitCode.INCOMPLETE
    ledger = (tmp_path / "k.key.ledger").read_text(encoding="utf-8").splitlines()
    assert [json.loads(x)["case"] for x in ledger] == ["B-7", "B-7", None]


def test_info_shows_an_attestation_pack_and_checks_its_signature(demo_round, tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["info", str(demo_round.attest)])
    assert res.exit_code == 0, res.output
    assert "tier: attestation" in res.output and "signature: valid" in res.output
    assert f"key_id: {demo_round.secret.key_id()}" in res.output
    damaged = tmp_path / "d.vdattest"
    data = bytearray(demo_round.attest.read_bytes())
    data[-100] ^= 1
    damaged.write_bytes(bytes(data))
    res = CliRunner().invoke(main, ["info", str(damaged)])
    assert res.exit_code == ExitCode.CANNOT_START and "signature check" in res.output


def test_slices_of_points_give_the_same_report(demo_round, tmp_path: Path, monkeypatch) -> None:
    """Request and finish work on slices of values (bounded memory): any slice size, same result."""
    import importlib

    from verifydel.attest import answer_request, finish, make_request
    from verifydel.fingerprint.attest_keys import AttestKey

    # (the package exports functions named like its modules: import the modules by name)
    monkeypatch.setattr(importlib.import_module("verifydel.attest.request"), "SLICE", 7)
    monkeypatch.setattr(importlib.import_module("verifydel.attest.finish"), "SLICE", 5)
    monkeypatch.chdir(demo_round.dir)
    made = make_request(["broker"], tmp_path / "s.vdreq")
    answer_request(made.path, AttestKey.from_secret(demo_round.secret), tmp_path / "s.vdans", ledger=tmp_path / "l")
    report = finish(tmp_path / "s.vdans", made.state_path, demo_round.attest).report
    keys = ["source", "row", "record_id", "strength", "fields"]
    assert report.matches.select(keys).equals(demo_round.finished.report.matches.select(keys))
