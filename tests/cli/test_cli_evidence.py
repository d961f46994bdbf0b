"""Evidence: signed reports verify; a changed report, manifest or medium fails with the reason."""

from __future__ import annotations

import base64
import hashlib
import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from verifydel.cli import main
from verifydel.report.signing import SigningKey

SCAN = ["--pack", "p.vdpack", "--key", "k.key"]


@pytest.fixture
def signed(sealed: Path, broker_match: str, runner: CliRunner) -> Path:
    """A signed scan of b.csv (one strong match) with JSON and HTML reports."""
    res = runner.invoke(main, ["keygen", "--signing", "s.key"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(
        main,
        ["scan", broker_match, *SCAN, "--json", "r.json", "--html", "r.html", "--sign", "s.key",
         "--operator", "検査官A", "--case", "PPC-1", "-q"],
    )  # fmt: skip
    assert res.exit_code == 3, res.output
    return sealed


def _verify(runner: CliRunner, *args: str) -> tuple[int, str]:
    res = runner.invoke(main, ["verify", *args])
    return res.exit_code, res.output


def test_a_signed_report_verifies_with_its_public_key(signed: Path, runner: CliRunner) -> None:
    code, out = _verify(runner, "r.json", "--public-key", "s.key.pub")
    assert code == 0, out
    key = json.loads(Path("r.json").read_text(encoding="utf-8"))["signer"]["key_id"]
    assert f"signed by key {key}" in out and "consistent" in out
    code, out = _verify(runner, "r.html", "--public-key", "s.key.pub")
    assert code == 0, out


def test_one_changed_byte_in_the_report_fails(signed: Path, runner: CliRunner) -> None:
    data = bytearray(Path("r.json").read_bytes())
    at = data.index(b'"rows": ') + len(b'"rows": ')
    data[at] = ord("9") if data[at] != ord("9") else ord("8")
    Path("r.json").write_bytes(bytes(data))
    code, out = _verify(runner, "r.json", "--public-key", "s.key.pub")
    assert code == 2
    assert "signature does not match" in out


def _resign(path: Path, document: dict, key: SigningKey) -> None:
    document["signer"] = {"algorithm": "ed25519", "key_id": key.signer().key_id, "public_key": key.signer().public_key}
    data = (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode()
    path.write_bytes(data)
    path.with_name(path.name + ".sig").write_bytes(key.sign(data))


def test_a_changed_manifest_resigned_by_another_key_fails_against_the_real_one(signed: Path, runner: CliRunner) -> None:
    document = json.loads(Path("r.json").read_text(encoding="utf-8"))
    document["media"][0]["sha256"] = "0" * 64
    _resign(Path("r.json"), document, SigningKey(Ed25519PrivateKey.generate()))
    code, out = _verify(runner, "r.json", "--public-key", "s.key.pub")
    assert code == 2 and "signature does not match" in out


def test_a_tampered_run_fails_consistency_even_when_resigned(signed: Path, runner: CliRunner) -> None:
    """The broker drops its match and re-signs with its own key: the counts give it away."""
    document = json.loads(Path("r.json").read_text(encoding="utf-8"))
    document["matches"] = []
    _resign(Path("r.json"), document, SigningKey(Ed25519PrivateKey.generate()))
    code, out = _verify(runner, "r.json")
    assert code == 2
    assert "summary matched_rows is 1, but the sources and matches give 0" in out
    document["summary"].update(matched_rows=0, matched_records=0, strong=0, strong_records=0)
    _resign(Path("r.json"), document, SigningKey(Ed25519PrivateKey.generate()))
    code, out = _verify(runner, "r.json")
    assert code == 2 and "verdict 'found' (exit 3) does not follow" in out


def test_a_match_naming_an_unlisted_source_fails(signed: Path, runner: CliRunner) -> None:
    document = json.loads(Path("r.json").read_text(encoding="utf-8"))
    document["matches"][0]["source"] = "elsewhere.csv"
    key = SigningKey(Ed25519PrivateKey.generate())
    _resign(Path("r.json"), document, key)
    code, out = _verify(runner, "r.json")
    assert code == 2 and "names a source the report does not list" in out


def test_verify_media_rehashes_the_files_and_names_the_one_changed(signed: Path, runner: CliRunner) -> None:
    code, out = _verify(runner, "r.json", "--public-key", "s.key.pub", "--media", "b.csv")
    assert code == 0, out
    assert "media: 1 file(s) match the manifest" in out
    Path("b.csv").write_bytes(Path("b.csv").read_bytes().replace("別人".encode(), "他人".encode()))
    code, out = _verify(runner, "r.json", "--public-key", "s.key.pub", "--media", "b.csv")
    assert code == 2 and "b.csv differs from the manifest" in out


def test_unsigned_and_not_a_report_say_what_to_do(sealed: Path, broker_match: str, runner: CliRunner) -> None:
    assert runner.invoke(main, ["scan", broker_match, *SCAN, "--json", "u.json", "-q"]).exit_code == 3
    code, out = _verify(runner, "u.json")
    assert code == 2 and "not signed" in out and "--allow-unsigned" in out
    code, out = _verify(runner, "u.json", "--allow-unsigned")
    assert code == 0 and "not signed" in out and "consistent" in out
    code, out = _verify(runner, "leaked.csv")
    assert code == 2 and "not signed" in out
    Path("x.json").write_text("[1, 2]")
    code, out = _verify(runner, "x.json", "--allow-unsigned")
    assert code == 2 and "not a verifydel report" in out
    code, out = _verify(runner, "missing.json")
    assert code == 2 and "not found" in out


def test_an_old_report_without_evidence_keys_still_verifies_for_consistency(sealed: Path, broker_match: str, runner: CliRunner) -> None:
    assert runner.invoke(main, ["scan", broker_match, *SCAN, "--json", "u.json", "-q"]).exit_code == 3
    document = json.loads(Path("u.json").read_text(encoding="utf-8"))
    for key in ("run", "verdict", "exit_code", "signer", "media"):
        del document[key]
    for key in ("sources_interrupted", "strong_records", "weak_records"):
        del document["summary"][key]
    for source in document["sources"]:
        del source["sha256"], source["notes"]
    Path("old.json").write_text(json.dumps(document, ensure_ascii=False, indent=2))
    code, out = _verify(runner, "old.json", "--allow-unsigned")
    assert code == 0, out


def test_one_key_id_everywhere(sealed: Path, broker_match: str, runner: CliRunner) -> None:
    res = runner.invoke(main, ["keygen", "k2.key"])
    printed = res.output.split("(id ")[1].split(")")[0]
    assert runner.invoke(main, ["fingerprint", "leaked.csv", "--key", "k2.key", "--out", "p2.vdpack"]).exit_code == 0
    info = json.loads(runner.invoke(main, ["info", "p2.vdpack", "--json"]).output)
    assert runner.invoke(main, ["scan", broker_match, "--pack", "p2.vdpack", "--key", "k2.key", "--json", "r2.json", "-q"]).exit_code == 3
    report = json.loads(Path("r2.json").read_text(encoding="utf-8"))
    assert printed == info["key_check"] == report["pack"]["key_id"]


def test_the_run_record_names_who_and_how_but_no_secret(sealed: Path, broker_match: str, runner: CliRunner) -> None:
    res = runner.invoke(
        main,
        ["scan", broker_match, "postgresql://inspector:hunter2@127.0.0.1:1/none", *SCAN, "--password", "s3cret-pw",
         "--operator", "検査官A", "--case", "PPC-1", "--json", "r.json", "-q"],
    )  # fmt: skip
    text = Path("r.json").read_text(encoding="utf-8")
    assert "hunter2" not in text and "s3cret-pw" not in text
    run = json.loads(text)["run"]
    assert run["operator"] == "検査官A" and run["case"] == "PPC-1" and run["host"]
    assert run["command"][:2] == ["verifydel", "scan"]
    assert "--password" in run["command"] and "***" in run["command"]
    assert run["options"]["password"] == "given" and run["options"]["jobs"] == 1
    assert run["utc_offset"].startswith(("+", "-"))
    assert res.exit_code == 3


def test_manifest_hashes_are_of_the_bytes_read_files_and_members(sealed: Path, broker_match: str, runner: CliRunner) -> None:
    member = Path("b.csv").read_bytes()
    with zipfile.ZipFile("bundle.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("inner/b.csv", member)
    assert runner.invoke(main, ["scan", "bundle.zip", "b.csv", *SCAN, "--json", "r.json", "-q"]).exit_code == 3
    report = json.loads(Path("r.json").read_text(encoding="utf-8"))
    by_path = {s["path"]: s for s in report["sources"]}
    assert by_path["bundle.zip!/inner/b.csv"]["sha256"] == hashlib.sha256(member).hexdigest()
    assert by_path["bundle.zip"]["sha256"] == hashlib.sha256(Path("bundle.zip").read_bytes()).hexdigest()
    assert report["media"] == [
        {"path": "bundle.zip", "bytes": Path("bundle.zip").stat().st_size, "sha256": hashlib.sha256(Path("bundle.zip").read_bytes()).hexdigest()},
        {"path": "b.csv", "bytes": len(member), "sha256": hashlib.sha256(member).hexdigest()},
    ]  # fmt: skip


def test_fail_on_strong_gates_on_strong_alone(sealed: Path, runner: CliRunner) -> None:
    Path("weak.csv").write_text("TEL\n090-1111-2222\n", encoding="utf-8")  # a phone alone: weak
    args = ["scan", "weak.csv", *SCAN, "--json", "r.json", "-q"]
    assert runner.invoke(main, args).exit_code == 3
    assert runner.invoke(main, [*args, "--fail-on", "strong"]).exit_code == 0
    report = json.loads(Path("r.json").read_text(encoding="utf-8"))
    assert report["verdict"] == "clean" and report["exit_code"] == 0
    assert report["summary"]["weak_records"] == 1 and report["summary"]["strong_records"] == 0
    match = report["matches"][0]
    assert match["fields"] == ["phone"] and set(match["missing"]) == {"name", "address"}


def test_public_key_in_the_report_is_the_signers(signed: Path) -> None:
    report = json.loads(Path("r.json").read_text(encoding="utf-8"))
    raw = base64.b64decode(report["signer"]["public_key"])
    assert hashlib.sha256(raw).hexdigest()[:16] == report["signer"]["key_id"]


def test_the_terminal_separates_confirmed_from_to_review_and_shows_local_time(
    sealed: Path, broker_match: str, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    res = runner.invoke(main, ["scan", broker_match, *SCAN, "--operator", "検査官A", "--case", "PPC-1"])
    assert res.exit_code == 3
    assert "1 leaked record(s) confirmed (strong match), 0 to review" in res.output
    assert " JST (UTC " in res.output and "operator 検査官A" in res.output


def test_local_time_is_the_utc_time_moved_to_the_zone() -> None:
    from verifydel.report._verdict import local_time

    assert local_time("2024-05-01T15:30:00+00:00", "+09:00") == "2024-05-02 00:30:00"
    assert local_time("2024-05-01T15:30:00+00:00", "-05:30") == "2024-05-01 10:00:00"
    assert local_time("not a time", "+09:00") == "not a time"


@pytest.mark.parametrize(
    "body",
    [
        "[" * 100_000 + "]" * 100_000,  # deeper than the JSON parser goes
        '{"format": "verifydel-report/1", "pack": {}, "sources": [{"path": "a", "status": "scanned", "rows": "many"}],'
        ' "matches": [], "summary": {}}',
        '{"format": "verifydel-report/1", "pack": {}, "sources": [7], "matches": [[]], "summary": {"strong": {}}}',
    ],
)
def test_a_hostile_report_is_invalid_never_a_crash(workdir: Path, runner: CliRunner, body: str) -> None:
    Path("h.json").write_text(body)
    code, out = _verify(runner, "h.json", "--allow-unsigned")
    assert code == 2, out
    assert "verifydel bug" not in out


def test_a_fifo_as_report_is_refused_without_blocking(workdir: Path, runner: CliRunner) -> None:
    import os

    os.mkfifo("f.json")
    code, out = _verify(runner, "f.json", "--allow-unsigned")
    assert code == 2 and "not a regular file" in out


def test_media_takes_several_paths_after_one_flag(signed: Path, runner: CliRunner) -> None:
    Path("other.csv").write_text("x\n")
    code, out = _verify(runner, "r.json", "--public-key", "s.key.pub", "--media", "b.csv", "other.csv")
    assert code == 2 and "other.csv is not in the report's manifest" in out
    code, out = _verify(runner, "r.json", "other.json")
    assert code == 2 and "give one report" in out


def test_a_medium_no_source_comes_from_fails(signed: Path, runner: CliRunner) -> None:
    document = json.loads(Path("r.json").read_text(encoding="utf-8"))
    document["media"].append({"path": "b.cs", "bytes": 1, "sha256": "0" * 64})  # a prefix, not a source
    _resign(Path("r.json"), document, SigningKey(Ed25519PrivateKey.generate()))
    code, out = _verify(runner, "r.json")
    assert code == 2 and "the manifest names 'b.cs', which no source entry comes from" in out
