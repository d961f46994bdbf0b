"""Issue 9, finding 8 (key and pack files) and the --encoding item of finding 9, through the CLI.

Whatever might block (a FIFO) or read without end (/dev/zero) runs in a child
process with a timeout and an address-space limit, so a regression fails the
test instead of hanging it or eating the machine's memory.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from verifydel.cli import main
from verifydel.exitcodes import ExitCode
from verifydel.fingerprint.pack import MAGIC

#: Raw control characters a hostile header might carry: C0 (ESC, BEL), C1 (CSI), bidi overrides.
HOSTILE = "\x1b[31mred\x1b]0;title\x07 \x9b2J \u202egnp.exe\u202c \u2066x\u2069 \u0085"
RAW_CONTROLS = ["\x1b", "\x07", "\x9b", "\u202e", "\u202c", "\u2066", "\u2069", "\u0085"]


def _limit_memory() -> None:  # pragma: no cover - runs in the child
    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))


def _cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    try:
        return subprocess.run(
            [sys.executable, "-m", "verifydel", *args],
            capture_output=True, text=True, env=env, timeout=timeout,
            stdin=subprocess.DEVNULL, preexec_fn=_limit_memory,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"verifydel {' '.join(args)} did not finish within {timeout} s (it blocked)")


def _scan(runner: CliRunner, *extra: str, pack: str = "p.vdpack", key: str = "k.key"):
    return runner.invoke(main, ["scan", "b.csv", "--pack", pack, "--key", key, "--json", "r.json", *extra])


# --- key file permissions ---------------------------------------------------------------------
@pytest.mark.parametrize("mode", [0o644, 0o604, 0o640, 0o620, 0o602, 0o666])
def test_key_readable_or_writable_by_others_is_refused(broker_clean: str, runner: CliRunner, mode: int) -> None:
    os.chmod("k.key", mode)
    res = _scan(runner)
    assert res.exit_code == ExitCode.CANNOT_START, res.output
    assert "chmod 600 k.key" in res.output
    assert not Path("r.json").exists()
    res = runner.invoke(main, ["fingerprint", "leaked.csv", "--key", "k.key", "--out", "q.vdpack"])
    assert res.exit_code == 2 and "chmod 600 k.key" in res.output
    assert not Path("q.vdpack").exists()


@pytest.mark.parametrize("mode", [0o600, 0o400, 0o700])
def test_private_key_is_accepted(broker_clean: str, runner: CliRunner, mode: int) -> None:
    os.chmod("k.key", mode)
    assert _scan(runner).exit_code == ExitCode.CLEAN


def test_message_never_shows_key_bytes(broker_clean: str, runner: CliRunner) -> None:
    secret_hex = Path("k.key").read_text(encoding="ascii").split()[1]
    os.chmod("k.key", 0o644)
    res = _scan(runner)
    assert secret_hex not in res.output and secret_hex[:16] not in res.output


# --- key and pack must be regular files -------------------------------------------------------
def test_key_that_is_dev_zero_is_refused(broker_clean: str) -> None:
    proc = _cli("scan", "b.csv", "--pack", "p.vdpack", "--key", "/dev/zero", timeout=60)
    assert proc.returncode == ExitCode.CANNOT_START, proc.stderr
    assert "not a regular file" in proc.stderr


def test_key_that_is_a_fifo_is_refused(broker_clean: str) -> None:
    os.mkfifo("k.fifo", 0o600)
    proc = _cli("scan", "b.csv", "--pack", "p.vdpack", "--key", "k.fifo", timeout=60)
    assert proc.returncode == ExitCode.CANNOT_START, proc.stderr
    assert "not a regular file" in proc.stderr


def test_key_file_too_large_is_refused(broker_clean: str, runner: CliRunner) -> None:
    Path("big.key").write_text("verifydel-key-v1 " + "ab" * 500_000 + "\n", encoding="ascii")
    os.chmod("big.key", 0o600)
    res = _scan(runner, key="big.key")
    assert res.exit_code == 2 and "too large" in res.output


@pytest.mark.parametrize("command", ["info", "scan"])
def test_pack_that_is_a_fifo_is_refused(broker_clean: str, command: str) -> None:
    os.mkfifo("p.fifo", 0o600)
    args = ["info", "p.fifo"] if command == "info" else ["scan", "b.csv", "--pack", "p.fifo", "--key", "k.key"]
    proc = _cli(*args, timeout=60)
    assert proc.returncode == ExitCode.CANNOT_START, proc.stderr
    assert "not a regular file" in proc.stderr


@pytest.mark.parametrize("command", ["info", "scan"])
def test_pack_that_is_a_device_is_refused(broker_clean: str, command: str) -> None:
    args = ["info", "/dev/zero"] if command == "info" else ["scan", "b.csv", "--pack", "/dev/zero", "--key", "k.key"]
    proc = _cli(*args, timeout=60)
    assert proc.returncode == ExitCode.CANNOT_START, proc.stderr
    assert "not a regular file" in proc.stderr


def test_pack_that_is_a_folder_is_refused(broker_clean: str, runner: CliRunner) -> None:
    os.mkdir("d.vdpack")
    res = _scan(runner, pack="d.vdpack")  # click's own check: "is a directory"
    assert res.exit_code == 2 and "d.vdpack" in res.output
    res = runner.invoke(main, ["info", "d.vdpack"])
    assert res.exit_code == 2 and "d.vdpack" in res.output


def test_symlinks_to_regular_files_are_fine(broker_clean: str, runner: CliRunner) -> None:
    os.symlink("k.key", "link.key")
    os.symlink("p.vdpack", "link.vdpack")
    assert _scan(runner, pack="link.vdpack", key="link.key").exit_code == ExitCode.CLEAN


# --- --pack and --key swapped ------------------------------------------------------------------
def test_swapped_pack_and_key(broker_clean: str, runner: CliRunner) -> None:
    res = _scan(runner, pack="k.key", key="p.vdpack")
    assert res.exit_code == 2, res.output
    assert "--pack and --key seem swapped" in res.output
    assert "codec" not in res.output


def test_key_given_as_pack(broker_clean: str, runner: CliRunner) -> None:
    res = _scan(runner, pack="k.key", key="k.key")
    assert res.exit_code == 2 and "--pack and --key seem swapped" in res.output


def test_pack_given_as_key_to_fingerprint(sealed: Path, runner: CliRunner) -> None:
    res = runner.invoke(main, ["fingerprint", "leaked.csv", "--key", "p.vdpack", "--out", "q.vdpack"])
    assert res.exit_code == 2 and "is a verifydel pack, not a key file" in res.output
    assert "codec" not in res.output


# --- forged pack headers -----------------------------------------------------------------------
def forge_header(path: Path, header: bytes) -> None:
    """Replace the pack's header by ``header`` (the segments stay: authentication must fail)."""
    raw = path.read_bytes()
    hlen = int.from_bytes(raw[8:12], "little")
    path.write_bytes(MAGIC + len(header).to_bytes(4, "little") + header + raw[12 + hlen :])


def header_of(path: Path) -> dict:
    raw = path.read_bytes()
    return json.loads(raw[12 : 12 + int.from_bytes(raw[8:12], "little")])


def _with(path: Path, **changes: object) -> bytes:
    d = header_of(path)
    d.update(changes)
    return json.dumps(d, ensure_ascii=False, separators=(",", ":")).encode()


FORGERIES = {
    "nested-lists": lambda p: b'{"format":' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    "nested-objects": lambda p: b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    "records-string": lambda p: _with(p, records="3"),
    "records-bool": lambda p: _with(p, records=True),
    "records-negative": lambda p: _with(p, records=-1),
    "records-beyond-file": lambda p: _with(p, records=10**12),
    "huge-number": lambda p: _with(p).replace(b'"records":3', b'"records":' + b"9" * 6000),
    "nan": lambda p: _with(p).replace(b'"records":3', b'"records":NaN'),
    "segment-1GiB": lambda p: _with(p, segment_bytes=1 << 30),
    "segment-zero": lambda p: _with(p, segment_bytes=0),
    "segment-float": lambda p: _with(p, segment_bytes=1e400),
    "inputs-string": lambda p: _with(p, inputs="leaked.csv"),
    "inputs-without-name": lambda p: _with(p, inputs=[{"sha256": "00" * 32}]),
    "combinations-ints": lambda p: _with(p, combinations=[1, 2]),
    "fields-object": lambda p: _with(p, fields={"a": 1}),
    "tool-list": lambda p: _with(p, tool=["x"]),
    "salt-not-hex": lambda p: _with(p, salt="zz" * 16),
    "nonce-too-long": lambda p: _with(p, nonce_prefix="00" * 64),
    "not-an-object": lambda p: b"[1,2,3]",
    "not-utf8": lambda p: b'{"format":"\xff"}',
    "missing-records": lambda p: json.dumps({k: v for k, v in header_of(p).items() if k != "records"}).encode(),
}


@pytest.mark.parametrize("forgery", sorted(FORGERIES))
def test_forged_header_is_refused_with_exit_2(broker_clean: str, runner: CliRunner, forgery: str) -> None:
    forge_header(Path("p.vdpack"), FORGERIES[forgery](Path("p.vdpack")))
    res = runner.invoke(main, ["info", "p.vdpack"])
    assert res.exit_code == ExitCode.CANNOT_START, res.output
    assert "internal error" not in res.output and "pack" in res.output
    res = _scan(runner)
    assert res.exit_code == ExitCode.CANNOT_START, res.output
    assert "internal error" not in res.output
    assert not Path("r.json").exists()


# --- info escapes what it prints ---------------------------------------------------------------
def test_info_escapes_control_characters(sealed: Path, runner: CliRunner) -> None:
    forge_header(
        Path("p.vdpack"),
        _with(Path("p.vdpack"), tool=HOSTILE, normalisation=HOSTILE, fields=[HOSTILE],
              inputs=[{"name": HOSTILE + "顧客.csv", "sha256": "00" * 32, "bytes": 1}]),
    )
    text = runner.invoke(main, ["info", "p.vdpack"])
    assert text.exit_code == 0, text.output
    as_json = runner.invoke(main, ["info", "p.vdpack", "--json"])
    assert as_json.exit_code == 0, as_json.output
    for out in (text.output, as_json.output):
        for c in RAW_CONTROLS:
            assert c not in out, f"raw U+{ord(c):04X} printed"
    assert "顧客.csv" in text.output and "顧客.csv" in as_json.output  # Japanese stays readable
    assert "\\u202e" in text.output.lower() or "\\u202E" in text.output
    meta = json.loads(as_json.output)
    assert meta["tool"] == HOSTILE and meta["inputs"][0]["name"] == HOSTILE + "顧客.csv"


def test_info_refuses_a_lone_surrogate(sealed: Path) -> None:
    """No UTF-8 writer can write a lone surrogate; printing one used to crash (exit 1)."""
    forge_header(Path("p.vdpack"), _with(Path("p.vdpack")).replace(b'"tool":"', b'"tool":"\\ud800', 1))
    proc = _cli("info", "p.vdpack")
    assert proc.returncode == ExitCode.CANNOT_START, proc.stderr
    assert "damaged" in proc.stderr and "tool" in proc.stderr


# --- --encoding is checked before anything runs -------------------------------------------------
@pytest.mark.parametrize("encoding", ["foo", "rot13", "base64", ""])
def test_unknown_encoding_is_a_usage_error(broker_clean: str, runner: CliRunner, encoding: str) -> None:
    res = _scan(runner, "--encoding", encoding)
    assert res.exit_code == 2, res.output
    assert "bug" not in res.output and "utf-8" in res.output and "cp932" in res.output
    assert "euc_jp" in res.output and "utf-16" in res.output
    assert not Path("r.json").exists()
    res = runner.invoke(main, ["fingerprint", "leaked.csv", "--key", "k.key", "--out", "q.vdpack", "--encoding", encoding])
    assert res.exit_code == 2 and "bug" not in res.output and "cp932" in res.output
    assert not Path("q.vdpack").exists()


@pytest.mark.parametrize("encoding", ["utf-8", "UTF8", "utf_8", "utf-8-sig"])
def test_known_encodings_are_accepted(broker_clean: str, runner: CliRunner, encoding: str) -> None:
    assert _scan(runner, "--encoding", encoding).exit_code == ExitCode.CLEAN


# --- fingerprint --out never overwrites without --force (issue 10, item 8) ---------------------
def test_fingerprint_refuses_an_existing_out(sealed: Path, runner: CliRunner) -> None:
    before = Path("p.vdpack").read_bytes()
    res = runner.invoke(main, ["fingerprint", "leaked.csv", "--key", "k.key", "--out", "p.vdpack"])
    assert res.exit_code == 2
    assert "p.vdpack already exists" in res.output and "--force" in res.output
    assert Path("p.vdpack").read_bytes() == before
    assert not Path("p.vdpack.part").exists()


def test_fingerprint_checks_out_before_reading_anything(sealed: Path, runner: CliRunner) -> None:
    """Refused at once: not after reading a large leaked set, nor on a missing input."""
    res = runner.invoke(main, ["fingerprint", "no-such-leak.csv", "--key", "k.key", "--out", "p.vdpack"])
    assert res.exit_code == 2 and "already exists" in res.output and "no-such-leak" not in res.output
    Path("anything").write_text("x", encoding="utf-8")
    res = runner.invoke(main, ["fingerprint", "leaked.csv", "--key", "k.key", "--out", "anything"])
    assert res.exit_code == 2 and "already exists" in res.output
    assert Path("anything").read_text(encoding="utf-8") == "x"


def test_fingerprint_force_replaces_the_pack(sealed: Path, runner: CliRunner) -> None:
    before = Path("p.vdpack").read_bytes()
    res = runner.invoke(main, ["fingerprint", "leaked.csv", "--key", "k.key", "--out", "p.vdpack", "--force"])
    assert res.exit_code == 0, res.output
    after = Path("p.vdpack").read_bytes()
    assert after != before and after[:8] == MAGIC  # a new pack (new salt), whole
    assert not Path("p.vdpack.part").exists()


def test_fingerprint_refuses_a_pack_that_appears_while_it_reads(sealed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The last step never replaces a file that appeared after the check."""
    from verifydel.errors import OutputError
    from verifydel.fingerprint import build
    from verifydel.fingerprint.build import build_pack
    from verifydel.fingerprint.keys import read_key

    def appears_after_the_check(path: Path) -> None:
        Path(path).write_bytes(b"someone else's file")

    monkeypatch.setattr(build, "refuse_existing", appears_after_the_check)
    with pytest.raises(OutputError, match="already exists"):
        build_pack(["leaked.csv"], read_key(Path("k.key")), Path("late.vdpack"), id_column="顧客ID")
    assert Path("late.vdpack").read_bytes() == b"someone else's file"
    assert not Path("late.vdpack.part").exists()


def test_a_pack_of_another_normalisation_version_is_refused(
    broker_clean: str, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    import verifydel.fingerprint.build as build

    monkeypatch.setattr(build, "NORMALISATION_VERSION", "jp-1")
    res = runner.invoke(main, ["fingerprint", "leaked.csv", "--key", "k.key", "--out", "old.vdpack", "--id-column", "顧客ID"])
    assert res.exit_code == 0, res.output
    monkeypatch.undo()
    res = _scan(runner, pack="old.vdpack")
    assert res.exit_code == ExitCode.CANNOT_START, res.output
    assert "normalised as jp-1" in res.output and "Fingerprint the leaked set again" in res.output
    assert not Path("r.json").exists()
