"""``verifydel diff``: one test per exit code (0, 2, 3, 4), on reports of real scans."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from verifydel.cli import main
from verifydel.exitcodes import ExitCode

README = Path(__file__).parents[2] / "README.md"
CONTRACT = Path(__file__).parents[2] / "docs" / "contract.md"
BROKER_OTHER_CSV = """名前,住所,TEL
別人 次郎,京都府京都市左京区1-1-1,075-000-0000
別人 三郎,京都府京都市左京区1-1-2,075-000-0001
"""


def _scan(runner: CliRunner, out: str, *sources: str) -> None:
    res = runner.invoke(
        main, ["scan", *sources, "--pack", "p.vdpack", "--key", "k.key", "--json", out]
    )
    assert res.exit_code in (0, 3, 4), res.output
    assert Path(out).is_file()


def test_diff_has_help_and_is_documented(runner: CliRunner) -> None:
    res = runner.invoke(main, ["diff", "--help"])
    assert res.exit_code == 0 and "Usage:" in res.output and "--allow-different-pack" in res.output
    for doc in (README, CONTRACT):
        text = doc.read_text(encoding="utf-8")
        assert (
            "verifydel diff" in text
            and "--allow-different-pack" in text
            and "verifydel-diff/1" in text
        )


def test_exit_0_when_the_record_is_gone(broker_match: str, runner: CliRunner) -> None:
    _scan(runner, "q1.json", "b.csv")
    Path("b.csv").write_text(BROKER_OTHER_CSV, encoding="utf-8")
    _scan(runner, "q2.json", "b.csv")
    res = runner.invoke(
        main, ["diff", "q1.json", "q2.json", "--json", "d.json", "--html", "d.html"]
    )
    assert res.exit_code == ExitCode.CLEAN == 0, res.output
    assert "gone 1 (0 not confirmed), still present 0" in res.output and "CLEAN" in res.output
    diff = json.loads(Path("d.json").read_text(encoding="utf-8"))
    assert [(r["record_id"], r["change"]) for r in diff["steps"][0]["records"]] == [
        ("C001", "gone")
    ]
    assert diff["steps"][0]["sources"][0]["change"] == "changed"
    assert '<html lang="ja">' in Path("d.html").read_text(encoding="utf-8")


def test_exit_3_while_a_record_is_present(broker_match: str, runner: CliRunner) -> None:
    _scan(runner, "q1.json", "b.csv")
    _scan(runner, "q2.json", "b.csv")
    res = runner.invoke(main, ["diff", "q1.json", "q2.json", "--json", "-"])
    assert res.exit_code == ExitCode.FOUND == 3
    diff = json.loads(res.stdout)  # --json -: the diff on standard output, the summary on stderr
    assert diff["summary"]["still_present"] == 1 and "still present 1" in res.stderr
    for clear in ("山田", "芝公園", "1111-2222"):
        assert clear not in res.output


def test_exit_4_when_coverage_got_worse(broker_match: str, runner: CliRunner) -> None:
    Path("c.csv").write_text(BROKER_OTHER_CSV, encoding="utf-8")
    _scan(runner, "q1.json", "c.csv")
    Path("c.csv").write_bytes(b"PK\x03\x04" + b"\x00" * 40)  # a truncated zip: failed, not scanned
    _scan(runner, "q2.json", "c.csv")
    assert json.loads(Path("q2.json").read_text(encoding="utf-8"))["sources"][0]["status"] in (
        "partial",
        "failed",
    )
    res = runner.invoke(main, ["diff", "q1.json", "q2.json"])
    assert res.exit_code == ExitCode.INCOMPLETE == 4, res.output
    assert "coverage worse 1" in res.output and "NOT CONFIRMED" in res.output


def test_exit_2_for_reports_of_different_packs_unless_allowed(
    broker_match: str, runner: CliRunner
) -> None:
    _scan(runner, "q1.json", "b.csv")
    # the same leaked set fingerprinted again: same records, another pack (the salt is random)
    res = runner.invoke(
        main,
        [
            "fingerprint",
            "leaked.csv",
            "--key",
            "k.key",
            "--out",
            "p2.vdpack",
            "--id-column",
            "顧客ID",
        ],
    )
    assert res.exit_code == 0, res.output
    Path("b.csv").write_text(BROKER_OTHER_CSV, encoding="utf-8")
    res = runner.invoke(
        main, ["scan", "b.csv", "--pack", "p2.vdpack", "--key", "k.key", "--json", "q2.json"]
    )
    assert res.exit_code == 0, res.output
    refused = runner.invoke(main, ["diff", "q1.json", "q2.json", "--json", "d.json"])
    assert refused.exit_code == ExitCode.CANNOT_START == 2
    assert "different packs" in refused.output and "--allow-different-pack" in refused.output
    assert not Path("d.json").exists()
    allowed = runner.invoke(main, ["diff", "q1.json", "q2.json", "--allow-different-pack"])
    assert allowed.exit_code == 0, allowed.output
    assert "different packs" in allowed.output  # noted


def test_exit_2_for_what_is_not_two_reports(broker_match: str, runner: CliRunner) -> None:
    _scan(runner, "q1.json", "b.csv")
    one = runner.invoke(main, ["diff", "q1.json"])
    assert one.exit_code == 2 and "at least two reports" in one.output
    not_a_report = runner.invoke(main, ["diff", "q1.json", "b.csv"])
    assert not_a_report.exit_code == 2 and "not a JSON report" in not_a_report.output
    missing = runner.invoke(main, ["diff", "q1.json", "nowhere.json"])
    assert missing.exit_code == 2 and "not found" in missing.output
    overwrite = runner.invoke(main, ["diff", "q1.json", "q1.json", "--json", "q1.json"])
    assert overwrite.exit_code == 2 and "overwrite" in overwrite.output


def test_series_of_quarters(broker_match: str, runner: CliRunner) -> None:
    _scan(runner, "Q1.json", "b.csv")
    _scan(runner, "Q2.json", "b.csv")
    Path("b.csv").write_text(BROKER_OTHER_CSV, encoding="utf-8")
    _scan(runner, "Q3.json", "b.csv")
    res = runner.invoke(
        main, ["diff", "Q1.json", "Q2.json", "Q3.json", "--html", "series.html", "--json", "s.json"]
    )
    assert res.exit_code == 0, res.output
    assert "Q1.json → Q2.json" in res.output and "Q2.json → Q3.json" in res.output
    page = Path("series.html").read_text(encoding="utf-8")
    assert "報告書の推移 (series)" in page and all(
        q in page for q in ("Q1.json", "Q2.json", "Q3.json")
    )
    document = json.loads(Path("s.json").read_text(encoding="utf-8"))
    assert [r["records_present"] for r in document["reports"]] == [1, 1, 0] and len(
        document["steps"]
    ) == 2


def test_a_file_deleted_from_the_folder_scanned_is_removed_and_confirmed(
    broker_match: str, runner: CliRunner
) -> None:
    Path("broker").mkdir()
    Path("b.csv").rename("broker/hit.csv")
    Path("broker/other.csv").write_text(BROKER_OTHER_CSV, encoding="utf-8")
    _scan(runner, "q1.json", "broker/")
    Path("broker/hit.csv").unlink()  # what the broker was asked to do
    _scan(runner, "q2.json", "broker/")
    res = runner.invoke(main, ["diff", "q1.json", "q2.json", "--json", "d.json"])
    assert res.exit_code == ExitCode.CLEAN, res.output
    step = json.loads(Path("d.json").read_text(encoding="utf-8"))["steps"][0]
    removed = [s for s in step["sources"] if s["change"] == "removed"]
    assert [(s["path"], s["within_new_scan"], s["coverage_worse"]) for s in removed] == [
        ("broker/hit.csv", True, False)
    ]
    assert [(r["change"], r["confirmed"]) for r in step["records"]] == [("gone", True)]
    # the same file left out of the next scan's arguments: nobody looked, not confirmed
    _scan(runner, "q3.json", "broker/other.csv")
    res = runner.invoke(main, ["diff", "q1.json", "q3.json"])
    assert res.exit_code == ExitCode.INCOMPLETE, res.output


def test_both_outputs_on_standard_output_are_refused(broker_match: str, runner: CliRunner) -> None:
    _scan(runner, "q1.json", "b.csv")
    res = runner.invoke(main, ["diff", "q1.json", "q1.json", "--json", "-", "--html", "-"])
    assert res.exit_code == 2 and "standard output" in res.output


def test_a_signed_diff_verifies(broker_match: str, runner: CliRunner) -> None:
    _scan(runner, "q1.json", "b.csv")
    _scan(runner, "q2.json", "b.csv")
    assert runner.invoke(main, ["keygen", "--signing", "s.key"]).exit_code == 0
    res = runner.invoke(main, ["diff", "q1.json", "q2.json", "--html", "d.html", "--json", "d.json", "--sign", "s.key"])
    assert res.exit_code == 3, res.output
    for out in ("d.html", "d.json"):
        check = runner.invoke(main, ["verify", out, "--public-key", "s.key.pub"])
        assert check.exit_code == 0 and "signature valid" in check.output, check.output
