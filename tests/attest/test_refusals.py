"""Every refusal of the protocol: a clear message, exit 2, nothing answered or logged."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from verifydel.attest import answer_request, finish, make_request
from verifydel.attest.files import read_request, write_request
from verifydel.cli import main
from verifydel.errors import AnswerRefusedError, AttestationError, RequestRefusedError
from verifydel.exitcodes import ExitCode
from verifydel.fingerprint import oprf
from verifydel.fingerprint.attest_keys import AttestKey
from verifydel.fingerprint.keys import Secret, write_key


def _copy(r, tmp_path: Path, *names: str) -> list[Path]:
    out = []
    for name in names:
        target = tmp_path / name
        shutil.copy2(r.dir / name, target)
        out.append(target)
    return out


def _cli(args: list[str], cwd: Path) -> tuple[int, str]:
    old = Path.cwd()
    os.chdir(cwd)
    try:
        res = CliRunner().invoke(main, args)
    finally:
        os.chdir(old)
    return res.exit_code, res.output


def _finish_cli(tmp_path: Path, answer: str = "a.vdans", state: str = "q.vdreq.state", pack: str = "leak.vdattest") -> tuple[int, str]:
    return _cli(["attest", "finish", answer, "--state", state, "--pack", pack, "--json", "r.json", "-q"], tmp_path)


def _flip(path: Path, offset_from_end: int) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) - offset_from_end] ^= 0x01
    path.write_bytes(bytes(data))


# --- the broker refuses answers ------------------------------------------------------------------
def test_an_answer_from_another_key_is_refused(demo_round, tmp_path: Path) -> None:
    _copy(demo_round, tmp_path, "q.vdreq", "q.vdreq.state", "leak.vdattest")
    os.chmod(tmp_path / "q.vdreq.state", 0o600)
    other = AttestKey.from_secret(Secret(bytes(32)))
    answer_request(tmp_path / "q.vdreq", other, tmp_path / "a.vdans", ledger=tmp_path / "l")
    with pytest.raises(AnswerRefusedError, match="another key"):
        finish(tmp_path / "a.vdans", tmp_path / "q.vdreq.state", tmp_path / "leak.vdattest")
    code, output = _finish_cli(tmp_path)
    assert code == ExitCode.CANNOT_START and "made with another key" in output
    assert not (tmp_path / "r.json").exists()


@pytest.mark.parametrize("where", ["point", "header", "signature"])
def test_a_changed_answer_is_refused(demo_round, tmp_path: Path, where: str) -> None:
    _copy(demo_round, tmp_path, "a.vdans", "q.vdreq.state", "leak.vdattest")
    answer = tmp_path / "a.vdans"
    if where == "point":
        _flip(answer, 64 + 5)  # inside the last evaluated point
    elif where == "signature":
        _flip(answer, 3)
    else:  # a header byte: the case id
        data = answer.read_bytes()
        answer.write_bytes(data.replace(b'"case":null', b'"case":"XX"', 1) if b'"case":null' in data else data.replace(b'"tool":"verifydel', b'"tool":"Verifydel', 1))
    code, output = _finish_cli(tmp_path)
    assert code == ExitCode.CANNOT_START
    assert "failed its signature check" in output or "invalid point" in output


def test_an_answer_for_another_request_is_refused(demo_round, tmp_path: Path) -> None:
    _copy(demo_round, tmp_path, "leak.vdattest")
    os.chdir(demo_round.dir)
    try:
        make_request(["broker"], tmp_path / "other.vdreq")  # same sources, new blinds: another request
    finally:
        os.chdir(tmp_path)
    shutil.copy2(demo_round.answer, tmp_path / "a.vdans")
    with pytest.raises(AnswerRefusedError, match="another request"):
        finish(tmp_path / "a.vdans", tmp_path / "other.vdreq.state", tmp_path / "leak.vdattest")
    code, output = _finish_cli(tmp_path, state="other.vdreq.state")
    assert code == ExitCode.CANNOT_START and "answers another request" in output


def test_an_answer_with_another_count_is_refused(demo_round, tmp_path: Path) -> None:
    (request,) = _copy(demo_round, tmp_path, "q.vdreq")
    _copy(demo_round, tmp_path, "q.vdreq.state", "leak.vdattest")
    key = AttestKey.from_secret(demo_round.secret)
    shorter = read_request(request)
    from verifydel.attest.files import write_answer

    evaluated = oprf.evaluate_all(key.oprf_secret, shorter.points()[:-1])
    write_answer(tmp_path / "a.vdans", evaluated, shorter, key, case=None)
    with pytest.raises(AnswerRefusedError, match="the request asked"):
        finish(tmp_path / "a.vdans", tmp_path / "q.vdreq.state", tmp_path / "leak.vdattest")


def test_a_changed_attestation_pack_is_refused(demo_round, tmp_path: Path) -> None:
    _copy(demo_round, tmp_path, "a.vdans", "q.vdreq.state", "leak.vdattest")
    _flip(tmp_path / "leak.vdattest", 100)
    code, output = _finish_cli(tmp_path)
    assert code == ExitCode.CANNOT_START and "signature check" in output


def test_a_state_others_may_read_is_refused(demo_round, tmp_path: Path) -> None:
    _copy(demo_round, tmp_path, "a.vdans", "q.vdreq.state", "leak.vdattest")
    os.chmod(tmp_path / "q.vdreq.state", 0o644)
    code, output = _finish_cli(tmp_path)
    assert code == ExitCode.CANNOT_START and "chmod 600" in output


def test_files_given_the_wrong_way_round_are_named(demo_round, tmp_path: Path) -> None:
    _copy(demo_round, tmp_path, "a.vdans", "q.vdreq", "q.vdreq.state", "leak.vdattest")
    code, output = _finish_cli(tmp_path, answer="q.vdreq")
    assert code == ExitCode.CANNOT_START and "is not a verifydel attestation answer" in output
    code, output = _finish_cli(tmp_path, pack="a.vdans")
    assert code == ExitCode.CANNOT_START and "is not a verifydel attestation pack" in output


# --- the regulator refuses requests ----------------------------------------------------------------
def _regulator(tmp_path: Path) -> Path:
    write_key(tmp_path / "k.key", Secret(bytes(range(32))))
    return tmp_path / "k.key"


def _forged_request(tmp_path: Path, points: list[bytes]) -> Path:
    path = tmp_path / "forged.vdreq"
    write_request(path, points, {"case": "X"})
    return path


def _answer_cli(tmp_path: Path, request: str, *extra: str) -> tuple[int, str]:
    return _cli(["attest", "answer", request, "--key", "k.key", "--out", "a.vdans", *extra], tmp_path)


def test_a_request_over_max_is_refused_and_not_logged(demo_round, tmp_path: Path) -> None:
    _regulator(tmp_path)
    _copy(demo_round, tmp_path, "q.vdreq")
    n = read_request(tmp_path / "q.vdreq").count
    code, output = _answer_cli(tmp_path, "q.vdreq", "--max", str(n - 1))
    assert code == ExitCode.CANNOT_START and f"more than --max {n - 1:,}" in output
    assert not (tmp_path / "a.vdans").exists() and not (tmp_path / "k.key.ledger").exists()
    code, _ = _answer_cli(tmp_path, "q.vdreq", "--max", str(n))
    assert code == 0 and len((tmp_path / "k.key.ledger").read_text().splitlines()) == 1


def test_repeated_points_are_refused(tmp_path: Path) -> None:
    _regulator(tmp_path)
    _, blinded = oprf.blind_all([b"phone\x1f09011112222", b"phone\x1f09033334444"])
    _forged_request(tmp_path, [blinded[0], blinded[1], blinded[0]])
    code, output = _answer_cli(tmp_path, "forged.vdreq")
    assert code == ExitCode.CANNOT_START and "repeats 1 point" in output
    assert not (tmp_path / "a.vdans").exists() and not (tmp_path / "k.key.ledger").exists()


@pytest.mark.parametrize(
    "bad", [bytes(32), b"\xff" * 32, (2**255 - 19 + 2).to_bytes(32, "little")], ids=["identity", "not-canonical", "non-reduced"]
)
def test_invalid_and_identity_points_are_refused(tmp_path: Path, bad: bytes) -> None:
    _regulator(tmp_path)
    _, blinded = oprf.blind_all(["address\x1f東京都港区芝公園4-2-8".encode()])
    _forged_request(tmp_path, [*blinded, bad])
    with pytest.raises(RequestRefusedError, match="not valid group elements"):
        answer_request(tmp_path / "forged.vdreq", AttestKey.from_secret(Secret(bytes(range(32)))), tmp_path / "x", ledger=tmp_path / "l")
    code, output = _answer_cli(tmp_path, "forged.vdreq")
    assert code == ExitCode.CANNOT_START and "1 point(s) that are not valid group elements" in output
    assert not (tmp_path / "k.key.ledger").exists()


def test_a_truncated_or_foreign_request_is_refused(demo_round, tmp_path: Path) -> None:
    _regulator(tmp_path)
    (request,) = _copy(demo_round, tmp_path, "q.vdreq")
    request.write_bytes(request.read_bytes()[:-7])
    code, output = _answer_cli(tmp_path, "q.vdreq")
    assert code == ExitCode.CANNOT_START and "damaged or truncated" in output
    (tmp_path / "x.vdreq").write_bytes(b"name,phone\n")
    code, output = _answer_cli(tmp_path, "x.vdreq")
    assert code == ExitCode.CANNOT_START and "is not a verifydel attestation request" in output


def test_a_count_that_disagrees_with_the_points_is_refused(tmp_path: Path) -> None:
    _, blinded = oprf.blind_all([b"phone\x1f09011112222"])
    path = _forged_request(tmp_path, blinded)
    path.write_bytes(path.read_bytes().replace(b'"count":1', b'"count":2', 1))  # same header length
    with pytest.raises(AttestationError):
        read_request(path)


def test_no_existing_file_is_overwritten_without_force(demo_round, tmp_path: Path) -> None:
    _regulator(tmp_path)
    _copy(demo_round, tmp_path, "q.vdreq")
    (tmp_path / "a.vdans").write_text("mine")
    code, output = _answer_cli(tmp_path, "q.vdreq")
    assert code == ExitCode.CANNOT_START and "already exists" in output
    assert (tmp_path / "a.vdans").read_text() == "mine"
    (tmp_path / "b.csv").write_text("TEL\n09011112222\n")
    (tmp_path / "r.vdreq.state").write_text("mine")
    code, output = _cli(["attest", "request", "b.csv", "--out", "r.vdreq"], tmp_path)
    assert code == ExitCode.CANNOT_START and "already exists" in output and not (tmp_path / "r.vdreq").exists()


def test_a_signed_answer_with_an_invalid_point_is_refused(demo_round, tmp_path: Path) -> None:
    """Even signed by the regulator's key: an identity or non-canonical point is never unblinded."""
    from verifydel.attest.files import write_answer

    (request,) = _copy(demo_round, tmp_path, "q.vdreq")
    _copy(demo_round, tmp_path, "q.vdreq.state", "leak.vdattest")
    key = AttestKey.from_secret(demo_round.secret)
    req = read_request(request)
    evaluated = oprf.evaluate_all(key.oprf_secret, req.points())
    for bad in (bytes(32), b"\xff" * 32):
        evaluated[len(evaluated) // 2] = bad
        (tmp_path / "a.vdans").unlink(missing_ok=True)
        write_answer(tmp_path / "a.vdans", evaluated, req, key, case=None)
        code, output = _finish_cli(tmp_path)
        assert code == ExitCode.CANNOT_START and "holds 1 invalid point(s)" in output


def test_a_request_over_sources_not_read_completely_says_so(tmp_path: Path) -> None:
    """Nothing silently skipped: a source that could not be read is named, with what it means."""
    runner = CliRunner()
    old = Path.cwd()
    os.chdir(tmp_path)
    try:
        res = runner.invoke(main, ["attest", "request", "no-such-folder", "--out", "q.vdreq"])
    finally:
        os.chdir(old)
    assert res.exit_code == 0, res.output
    assert "warning: no-such-folder (failed)" in res.output
    assert "will not confirm deletion" in res.output
