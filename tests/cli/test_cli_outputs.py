"""Issue 10, item 7: outputs the ecosystem reads. ``--json -`` on standard output (the human
output stays on standard error), ``--csv`` and ``--sarif`` files (signed like the others), and
a pipe closed early (``| head``) that ends the scan quietly with its own exit code."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from verifydel.cli import main
from verifydel.cli.outputs import check_outputs, for_terminal, output_path
from verifydel.errors import UsageError

#: The broker row of conftest that matches leaked record C001 strongly.
MATCHING_ROW = "山田太郎様,港区芝公園4-2-8,+81-90-1111-2222\n"
ENV = {**os.environ, "PYTHONIOENCODING": "utf-8"}


def _scan(*args: str) -> list[str]:
    return ["scan", *args, "--pack", "p.vdpack", "--key", "k.key"]


def test_json_dash_writes_the_report_to_stdout_and_the_summary_to_stderr(broker_match: str, runner: CliRunner) -> None:
    res = runner.invoke(main, _scan(broker_match, "--json", "-"))
    assert res.exit_code == 3, res.output
    report = json.loads(res.stdout)  # nothing but the report on stdout, without -q
    assert report["format"] == "verifydel-report/1" and report["summary"]["strong"] == 1
    assert "FOUND" in res.stderr and "FOUND" not in res.stdout
    assert not Path("-").exists()


@pytest.mark.parametrize("option", ["--csv", "--sarif", "--html"])
def test_any_one_report_may_go_to_stdout(broker_match: str, runner: CliRunner, option: str) -> None:
    res = runner.invoke(main, _scan(broker_match, option, "-", "-q"))
    assert res.exit_code == 3, res.output
    assert res.stdout and res.stderr == ""
    if option == "--sarif":
        assert json.loads(res.stdout)["version"] == "2.1.0"


def test_csv_and_sarif_files_beside_the_json(broker_match: str, runner: CliRunner) -> None:
    res = runner.invoke(main, _scan(broker_match, "--json", "r.json", "--csv", "r.csv", "--sarif", "r.sarif", "-q"))
    assert res.exit_code == 3, res.output
    rows = list(csv.DictReader(io.StringIO(Path("r.csv").read_text(encoding="utf-8-sig"), newline="")))
    assert [(r["source"], r["row"], r["record_id"], r["strength"], r["fields"]) for r in rows] == [
        ("b.csv", "1", "C001", "strong", "name+address+phone")
    ]
    sarif = json.loads(Path("r.sarif").read_text(encoding="utf-8"))
    (result,) = sarif["runs"][0]["results"]
    assert result["ruleId"] == "strong-survivor" and result["level"] == "error"
    assert result["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "b.csv", "index": 0},
        "region": {"startLine": 2},
    }
    assert sarif["runs"][0]["invocations"][0]["exitCode"] == 3


def test_csv_and_sarif_are_signed_like_the_other_reports(broker_match: str, runner: CliRunner) -> None:
    assert runner.invoke(main, ["keygen", "--signing", "s.key"]).exit_code == 0
    res = runner.invoke(main, _scan(broker_match, "--csv", "r.csv", "--sarif", "r.sarif", "--sign", "s.key", "-q"))
    assert res.exit_code == 3, res.output
    for report in ("r.csv", "r.sarif"):
        assert Path(report + ".sig").is_file()
        res = runner.invoke(main, ["verify", report, "--public-key", "s.key.pub"])
        assert res.exit_code == 0, res.output
    Path("r.csv").write_bytes(Path("r.csv").read_bytes().replace(b"strong", b"weak"))
    assert runner.invoke(main, ["verify", "r.csv", "--public-key", "s.key.pub"]).exit_code == 2


def test_reports_hold_no_clear_value_unless_asked(broker_match: str, runner: CliRunner) -> None:
    res = runner.invoke(main, _scan(broker_match, "--csv", "r.csv", "--sarif", "r.sarif", "-q"))
    assert res.exit_code == 3
    for report in ("r.csv", "r.sarif"):
        text = Path(report).read_text(encoding="utf-8-sig")
        assert "山田" not in text and "1111" not in text and "芝公園" not in text
    res = runner.invoke(main, _scan(broker_match, "--csv", "r.csv", "--sarif", "r.sarif", "--show-values", "-q"))
    assert "山田太郎様" in Path("r.csv").read_text(encoding="utf-8-sig")
    assert "山田" not in Path("r.sarif").read_text(encoding="utf-8")  # never in SARIF


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--json", "-", "--csv", "-"], "--json - and --csv - both ask for standard output"),
        (["--sarif", "-", "--html", "-"], "--html - and --sarif - both ask for standard output"),
        (["--json", "-", "--sign", "s.key"], "--json - cannot be signed"),
    ],
)
def test_outputs_to_stdout_that_cannot_be_right_are_refused_up_front(
    broker_clean: str, runner: CliRunner, args: list[str], says: str
) -> None:
    assert runner.invoke(main, ["keygen", "--signing", "s.key"]).exit_code == 0
    res = runner.invoke(main, _scan(broker_clean, *args, "-q"))
    assert res.exit_code == 2, res.output
    assert says in res.output and res.stdout == ""


def test_check_outputs_refuses_two_stdouts_and_a_signed_stdout() -> None:
    check_outputs({"json": Path("-"), "csv": None, "sarif": None})
    with pytest.raises(UsageError, match="both ask for standard output"):
        check_outputs({"json": Path("-"), "csv": Path("-")})
    with pytest.raises(UsageError, match="cannot be signed"):
        check_outputs({"sarif": Path("-")}, signing=True)


def test_a_file_named_dash_is_spelt_dot_slash_dash(broker_match: str, runner: CliRunner) -> None:
    assert output_path("-") == Path("-") and output_path("./-") == Path.cwd() / "-"
    res = runner.invoke(main, _scan(broker_match, "--json", "./-", "-q"))
    assert res.exit_code == 3, res.output
    assert res.stdout == "" and json.loads(Path("-").read_text(encoding="utf-8"))["summary"]["strong"] == 1


def test_terminal_output_escapes_what_would_drive_the_terminal() -> None:
    # A hostile member name with CSI, a bidi override and a lone CR that would overwrite the line.
    text = '\ufeffsource,row\r\n"evil\x9b2J\u202egpj.csv\rclean.csv",1\r\n'
    shown = for_terminal(text)
    assert "\x9b" not in shown and "\u202e" not in shown and "\\u009b" in shown
    assert shown.count("\r\n") == 2 and shown.replace("\r\n", "").count("\r") == 0
    assert for_terminal('{\n  "a": "日本"\n}\n') == '{\n  "a": "日本"\n}\n'


@pytest.fixture
def many_matches(sealed: Path) -> str:
    """A broker file whose reports are far larger than a pipe's buffer (64 KiB)."""
    (sealed / "big.csv").write_text("名前,住所,TEL\n" + MATCHING_ROW * 4000, encoding="utf-8")
    return "big.csv"


#: Standard output buffered (the default) and not (python -u): the raw file takes part of
#: the bytes and says so only by its count when the reader leaves.
BUFFERING = [
    pytest.param({k: v for k, v in ENV.items() if k != "PYTHONUNBUFFERED"}, id="buffered"),
    pytest.param({**ENV, "PYTHONUNBUFFERED": "1"}, id="unbuffered"),
]


@pytest.mark.parametrize("env", BUFFERING)
@pytest.mark.parametrize("option", ["--json", "--csv", "--sarif"])
def test_a_pipe_closed_after_one_line_ends_quietly_with_the_scans_code(
    many_matches: str, option: str, env: dict[str, str]
) -> None:
    """``verifydel scan ... --json - | head -1``: no traceback, no complaint, exit 3 still."""
    command = [sys.executable, "-m", "verifydel", *_scan(many_matches, option, "-")]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        first = proc.stdout.readline()
        proc.stdout.close()  # what head does after its line
        stderr = proc.stderr.read().decode("utf-8")
        code = proc.wait(timeout=120)
    assert first.strip() in (b"{", b"\xef\xbb\xbfsource,row,offset,page,record_id,strength,fields,disagreed,missing,recovered")
    assert code == 3, stderr
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr and "Exception ignored" not in stderr
    assert "error" not in stderr.lower() and "FOUND" in stderr


@pytest.mark.parametrize("env", BUFFERING)
def test_a_pipe_closed_before_anything_is_written_ends_quietly_too(many_matches: str, env: dict[str, str]) -> None:
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the scan writes anything
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "verifydel", *_scan(many_matches, "--json", "-", "-q")],
            stdout=write, stderr=subprocess.PIPE, env=env, timeout=120, check=False,
        )  # fmt: skip
    finally:
        os.close(write)
    assert proc.returncode == 3 and proc.stderr == b""


@pytest.mark.parametrize("env", BUFFERING)
def test_shell_pipe_into_head(many_matches: str, env: dict[str, str]) -> None:
    """The issue's own words, through a real shell; the scan's exit code seen with pipefail."""
    command = f"set -o pipefail; {sys.executable} -m verifydel scan {many_matches} --pack p.vdpack --key k.key --json - -q | head -1"
    proc = subprocess.run(["bash", "-c", command], capture_output=True, env=env, timeout=120, check=False)
    assert proc.stdout == b"{\n"
    assert proc.returncode == 3 and proc.stderr == b""


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_stdout_that_cannot_be_written_is_a_lost_report(broker_clean: str) -> None:
    """A full disk behind standard output is no closed pipe: the report is lost, never clean."""
    with open("/dev/full", "wb") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "verifydel", *_scan(broker_clean, "--json", "-", "-q")],
            stdout=full, stderr=subprocess.PIPE, env=ENV, timeout=120, check=False,
        )  # fmt: skip
    stderr = proc.stderr.decode("utf-8")
    assert proc.returncode == 4, stderr
    assert "cannot write to standard output" in stderr and "Traceback" not in stderr
