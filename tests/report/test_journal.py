"""The scan journal (issue 10, item 6): what it keeps comes back exactly; a torn last line is
ignored and cut off; a journal of another scan, another pack or a damaged one is refused."""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

import polars as pl
import pytest

from verifydel.core.coverage import INTERRUPTED, PARTIAL, SCANNED, Medium, SourceResult
from verifydel.errors import UsageError
from verifydel.pipeline import Outcome
from verifydel.report.journal import JOURNAL_FORMAT, Journal, _framed, journal_path, scan_tag
from verifydel.report.model import MATCH_SCHEMA, OPTIONAL_MATCH_SCHEMA

PACK = "ab" * 32
KEY = b"k" * 32
TAG = scan_tag(KEY, ["broker"], {"encoding": None})
STARTED = "2024-05-01T09:00:00+00:00"


def _outcomes() -> list[Outcome]:
    """A container and two members: every field of a coverage entry set, and match frames with
    and without the optional columns (a null row beside an offset, a recovered page)."""
    archive = SourceResult(path="b.zip", kind="zip", status=SCANNED, bytes=300, seconds=0.25, sha256="1" * 64,
                           medium=Medium("b.zip", 300))  # fmt: skip
    table = SourceResult(
        path="b.zip!/m.csv", kind="csv", status=PARTIAL, rows=12, error="limit ratio: cut",
        columns={"name": ["column_1"], "phone": ["TEL"]}, encoding="cp932", bytes=None, seconds=1.5,
        notes=["a note"], details={"replaced_sequences": 2, "secure_delete": "off", "flag": True, "none": None},
        sha256="2" * 64, row_digest="3" * 64,
    )  # fmt: skip
    rows = pl.DataFrame(
        {"source": ["b.zip!/m.csv"] * 2, "row": [3, 7], "record_id": ["C1", "C2"],
         "fields": [["name", "phone"], ["phone"]], "strength": ["strong", "weak"],
         "disagreed": [[], ["address"]], "missing": [["address"], []]},
        schema={**MATCH_SCHEMA, "disagreed": OPTIONAL_MATCH_SCHEMA["disagreed"], "missing": OPTIONAL_MATCH_SCHEMA["missing"]},
    )  # fmt: skip
    spans = pl.DataFrame(
        {"source": ["b.zip!/log"], "row": [None], "record_id": ["C1"], "fields": [["phone"]], "strength": ["weak"],
         "offset": [4096], "page": [None], "recovered": [True]},
        schema={**MATCH_SCHEMA, **{c: OPTIONAL_MATCH_SCHEMA[c] for c in ("offset", "page", "recovered")}},
    )  # fmt: skip
    text = SourceResult(path="b.zip!/log", kind="text", status=SCANNED, rows=1)
    return [Outcome(archive), Outcome(table, [rows]), Outcome(text, [spans])]


def _same(a: list[Outcome], b: list[Outcome]) -> None:
    assert [o.result for o in a] == [o.result for o in b]
    for x, y in zip(a, b, strict=True):
        assert len(x.payload) == len(y.payload)
        for f, g in zip(x.payload, y.payload, strict=True):
            assert f.schema == g.schema and f.equals(g)


def test_what_is_recorded_comes_back_exactly(tmp_path: Path) -> None:
    path = journal_path(tmp_path / "r.json")
    assert path.name == "r.json.journal"
    journal = Journal.start(path, key=KEY, pack_sha256=PACK, tag=TAG, started_at=STARTED)
    journal.record("b.zip", _outcomes())
    journal.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    header = json.loads(path.read_text(encoding="utf-8").splitlines()[0])["item"]
    assert header == {"format": JOURNAL_FORMAT, "pack_sha256": PACK, "scan": TAG, "started_at": STARTED}
    again = Journal.resume(path, key=KEY, pack_sha256=PACK, tag=TAG)
    assert again.started_at == STARTED and list(again.known()) == ["b.zip"]
    _same(again.known()["b.zip"], _outcomes())
    again.close()


def test_a_torn_last_line_is_ignored_and_cut_off_before_appending(tmp_path: Path) -> None:
    path = tmp_path / "r.json.journal"
    journal = Journal.start(path, key=KEY, pack_sha256=PACK, tag=TAG, started_at=STARTED)
    journal.record("a.csv", [Outcome(SourceResult(path="a.csv", kind="csv", status=SCANNED, rows=5))])
    journal.close()
    whole = path.read_bytes()
    line = _framed(KEY, TAG, {"unit": "b.csv", "entries": [{"source": {"path": "b.csv"}}]})[:-1]
    for torn in (line[: len(line) // 2], line[:-3] + b"\n"):  # no "\n" yet; or the "\n" but not all before it
        path.write_bytes(whole + torn)
        journal = Journal.resume(path, key=KEY, pack_sha256=PACK, tag=TAG)
        assert list(journal.known()) == ["a.csv"]
        journal.record("c.csv", [Outcome(SourceResult(path="c.csv", kind="csv", status=SCANNED, rows=1))])
        journal.close()
        assert list(Journal.resume(path, key=KEY, pack_sha256=PACK, tag=TAG).known()) == ["a.csv", "c.csv"]


def test_a_damaged_line_before_the_last_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.json.journal"
    journal = Journal.start(path, key=KEY, pack_sha256=PACK, tag=TAG, started_at=STARTED)
    journal.close()
    path.write_bytes(path.read_bytes() + b"{not json\n" + b'{"unit": "x", "entries": []}\n')
    with pytest.raises(UsageError, match="damaged .line 2") as caught:
        Journal.resume(path, key=KEY, pack_sha256=PACK, tag=TAG)
    assert "remove it" in str(caught.value)


@pytest.mark.parametrize(
    ("pack", "tag", "says"),
    [
        ("cd" * 32, TAG, "another pack"),
        (PACK, scan_tag(KEY, ["broker", "more"], {"encoding": None}), "another scan"),
        (PACK, scan_tag(KEY, ["broker"], {"encoding": "cp932"}), "another scan"),
        (PACK, scan_tag(b"other key" * 4, ["broker"], {"encoding": None}), "another scan"),
    ],
)
def test_a_journal_of_another_scan_is_refused(tmp_path: Path, pack: str, tag: str, says: str) -> None:
    path = tmp_path / "r.json.journal"
    Journal.start(path, key=KEY, pack_sha256=PACK, tag=TAG, started_at=STARTED).close()
    with pytest.raises(UsageError, match=says):
        Journal.resume(path, key=KEY, pack_sha256=pack, tag=tag)


def _one_source_journal(path: Path) -> None:
    journal = Journal.start(path, key=KEY, pack_sha256=PACK, tag=TAG, started_at=STARTED)
    journal.record("a.csv", [Outcome(SourceResult(path="a.csv", kind="csv", status=PARTIAL, rows=5, error="truncated"))])
    journal.record("b.csv", [Outcome(SourceResult(path="b.csv", kind="csv", status=SCANNED, rows=7))])
    journal.close()


def test_a_journal_changed_after_it_was_written_is_refused(tmp_path: Path) -> None:
    """The broker on site may reach the report folder between a crash and the resume: a forged
    "scanned", a line of another journal, a journal made under another key are all refused."""
    path = tmp_path / "r.json.journal"
    _one_source_journal(path)
    whole = path.read_bytes()
    forged = whole.replace(b'"status":"partial"', b'"status":"scanned"').replace(b'"error":"truncated"', b'"error":null')
    assert forged != whole
    path.write_bytes(forged)
    with pytest.raises(UsageError, match=r"changed since the scan wrote it \(line 2"):
        Journal.resume(path, key=KEY, pack_sha256=PACK, tag=TAG)
    other_tag = scan_tag(KEY, ["elsewhere"], {})
    path.write_bytes(whole + _framed(KEY, other_tag, {"unit": "c.csv", "entries": []}))
    with pytest.raises(UsageError, match=r"line 4"):
        Journal.resume(path, key=KEY, pack_sha256=PACK, tag=TAG)
    path.write_bytes(whole)
    with pytest.raises(UsageError, match=r"line 1"):
        Journal.resume(path, key=b"another key" * 3, pack_sha256=PACK, tag=TAG)
    assert list(Journal.resume(path, key=KEY, pack_sha256=PACK, tag=TAG).known()) == ["a.csv", "b.csv"]


def test_not_a_journal_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.json.journal"
    path.write_text('{"format": "verifydel-report/1"}\n', encoding="utf-8")
    with pytest.raises(UsageError, match="not a verifydel-journal/1 journal"):
        Journal.resume(path, key=KEY, pack_sha256=PACK, tag=TAG)


def test_the_tag_hides_the_password_it_covers() -> None:
    a = scan_tag(KEY, ["x.zip"], {"password": "hunter2"})
    assert a != scan_tag(KEY, ["x.zip"], {"password": "hunter3"})
    assert "hunter2" not in a and len(a) == 64


def test_records_from_many_threads_are_whole_lines(tmp_path: Path) -> None:
    path = tmp_path / "r.json.journal"
    journal = Journal.start(path, key=KEY, pack_sha256=PACK, tag=TAG, started_at=STARTED)
    threads = [
        threading.Thread(target=journal.record, args=(f"s{i}.csv", [Outcome(SourceResult(path=f"s{i}.csv", kind="csv", status=SCANNED))]))
        for i in range(16)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    journal.close()
    assert sorted(Journal.resume(path, key=KEY, pack_sha256=PACK, tag=TAG).known()) == sorted(f"s{i}.csv" for i in range(16))


def test_a_journal_that_cannot_be_written_stops_quietly_and_says_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "r.json.journal"
    journal = Journal.start(path, key=KEY, pack_sha256=PACK, tag=TAG, started_at=STARTED)

    def full(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    journal.record("a.csv", [Outcome(SourceResult(path="a.csv", kind="csv", status=INTERRUPTED))])
    assert journal.failed is not None and "no space left on device" in journal.failed
    journal.record("b.csv", [Outcome(SourceResult(path="b.csv", kind="csv", status=SCANNED))])  # no raise
