"""A scan asked to stop (issue 10, item 6): the table in hand ends ``interrupted`` with its rows so
far counted and its matches kept; every source not started is still listed, ``interrupted`` with
no row; an archive left part-way says so; nothing stopped part-way is journaled as finished."""

from __future__ import annotations

import zipfile
from pathlib import Path

import polars as pl
import pytest

from verifydel.core.coverage import INTERRUPTED, SCANNED, SourceResult
from verifydel.core.limits import Budget, Limits
from verifydel.core.stop import (
    STOPPED_BEFORE_READING,
    STOPPED_BETWEEN_MEMBERS,
    STOPPED_WHILE_READING,
    ScanStopped,
    StopRequest,
)
from verifydel.core.table import BATCH_ROWS
from verifydel.scan import LoadedPack, ScanOptions, scan

LEAKED = "ID,氏名,電話番号\nA1,山田太郎,090-1111-2222\n"
MATCH_ROW = "山田太郎,090-1111-2222\n"


class StopAfter:
    """An observer that asks the scan to stop at a chosen moment (as a SIGINT would)."""

    def __init__(self, stop: StopRequest, *, rows: int | None = None, finished: str | None = None) -> None:
        self.stop, self.rows, self.finished = stop, rows, finished
        self.seen = 0

    def unit_started(self, label: str, total_bytes: int | None) -> None:
        pass

    def bytes_read(self, label: str, position: int) -> None:
        pass

    def unit_finished(self, label: str) -> None:
        pass

    def rows_done(self, label: str, rows: int) -> None:
        self.seen += rows
        if self.rows is not None and self.seen >= self.rows:
            self.stop.request()

    def source_finished(self, result: SourceResult) -> None:
        if self.finished is not None and result.path.endswith(self.finished):
            self.stop.request()


class Recorder:
    """A journal that keeps what the scan says it finished."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.started_at = "2024-01-01T00:00:00+00:00"
        self.finished: list[str] = []

    def known(self) -> dict:
        return {}

    def record(self, label: str, outcomes: list) -> None:
        self.finished.append(label)


@pytest.fixture
def pack(tmp_path: Path, pack_factory) -> LoadedPack:
    return pack_factory(tmp_path, LEAKED)


def _csv(path: Path, rows: int, *, match_first: bool = False) -> Path:
    body = "".join(f"別人{i},03-{i % 10000:04d}-{i % 9973:04d}\n" for i in range(rows))
    path.write_text("名前,TEL\n" + (MATCH_ROW if match_first else "") + body, encoding="utf-8")
    return path


def test_a_stop_before_the_scan_lists_every_source_as_interrupted(tmp_path: Path, pack: LoadedPack) -> None:
    folder = tmp_path / "broker"
    folder.mkdir()
    for name in ("a.csv", "b.csv", "c.csv"):
        _csv(folder / name, 3)
    stop = StopRequest()
    stop.request()
    journal = Recorder(tmp_path / "j")
    report = scan([str(folder)], pack, ScanOptions(stop=stop), journal=journal)
    assert [(s.path, s.status, s.rows, s.error) for s in report.sources] == [
        (f"{folder}/{n}", INTERRUPTED, 0, STOPPED_BEFORE_READING) for n in ("a.csv", "b.csv", "c.csv")
    ]
    assert report.summary["sources_interrupted"] == 3 and report.exit_code == 4
    assert journal.finished == []


def test_the_table_in_hand_keeps_its_rows_and_matches_and_the_rest_is_listed(tmp_path: Path, pack: LoadedPack) -> None:
    """Stopped after the first batch of a two-batch file: its rows and its match count, the
    second file is not read, neither is journaled as finished."""
    folder = tmp_path / "broker"
    folder.mkdir()
    _csv(folder / "a.csv", BATCH_ROWS + 1000, match_first=True)
    _csv(folder / "b.csv", 10, match_first=True)
    stop = StopRequest()
    journal = Recorder(tmp_path / "j")
    report = scan([str(folder)], pack, ScanOptions(stop=stop, threads=1), StopAfter(stop, rows=1), journal)
    a, b = report.sources
    assert (a.status, a.error) == (INTERRUPTED, STOPPED_WHILE_READING)
    assert 0 < a.rows < BATCH_ROWS + 1001  # the batches matched before the stop, not the rest
    assert (b.status, b.rows, b.error) == (INTERRUPTED, 0, STOPPED_BEFORE_READING)
    assert report.matches["source"].to_list() == [f"{folder}/a.csv"]
    assert report.summary["rows_scanned"] == a.rows
    assert report.exit_code == 3  # found before the stop: found
    assert journal.finished == []


def test_sources_finished_before_the_stop_are_journaled_and_clean(tmp_path: Path, pack: LoadedPack) -> None:
    folder = tmp_path / "broker"
    folder.mkdir()
    for name in ("a.csv", "b.csv", "c.csv"):
        _csv(folder / name, 3)
    stop = StopRequest()
    journal = Recorder(tmp_path / "j")
    report = scan([str(folder)], pack, ScanOptions(stop=stop), StopAfter(stop, finished="a.csv"), journal)
    assert [s.status for s in report.sources] == [SCANNED, INTERRUPTED, INTERRUPTED]
    assert report.sources[0].sha256 is not None and report.sources[0].rows == 3
    assert journal.finished == [f"{folder}/a.csv"]
    assert report.exit_code == 4


def test_an_archive_stopped_between_members_says_so(tmp_path: Path, pack: LoadedPack) -> None:
    """The archive's own entry is interrupted: it stands for the members never reached; the
    member being spooled when the stop came is listed, not read."""
    archive = tmp_path / "backup.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for name in ("m1.csv", "m2.csv", "m3.csv"):
            z.writestr(name, "名前,TEL\n別人,03-0000-0000\n")
    stop = StopRequest()
    report = scan([str(archive)], pack, ScanOptions(stop=stop), StopAfter(stop, finished="m1.csv"))
    entries = {s.path.removeprefix(str(archive)): (s.status, s.error) for s in report.sources}
    assert entries == {
        "": (INTERRUPTED, STOPPED_BETWEEN_MEMBERS),
        "!/m1.csv": (SCANNED, None),
        "!/m2.csv": (INTERRUPTED, STOPPED_BEFORE_READING),
    }
    assert report.sources[0].sha256 is None  # not read to its end: no digest claimed for it
    assert report.exit_code == 4


def test_a_member_handed_on_after_the_stop_is_listed_not_read(tmp_path: Path, pack: LoadedPack, monkeypatch: pytest.MonkeyPatch) -> None:
    """A member already spooled when the stop comes is not read, but listed (interrupted, no row)."""
    from verifydel.pipeline import reader

    archive = tmp_path / "backup.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for name in ("m1.csv", "m2.csv"):
            z.writestr(name, "名前,TEL\n別人,03-0000-0000\n")
    stop = StopRequest()
    members = reader._members

    def stop_after_first(*args: object):  # the stop arrives just after m2 is spooled
        for i, member in enumerate(members(*args)):  # type: ignore[arg-type]
            if i == 1:
                stop.request()
            yield member

    monkeypatch.setattr(reader, "_members", stop_after_first)
    report = scan([str(archive)], pack, ScanOptions(stop=stop))
    entries = {s.path.removeprefix(str(archive)): (s.status, s.rows, s.error) for s in report.sources}
    assert entries == {
        "": (INTERRUPTED, 0, STOPPED_BETWEEN_MEMBERS),
        "!/m1.csv": (SCANNED, 1, None),
        "!/m2.csv": (INTERRUPTED, 0, STOPPED_BEFORE_READING),
    }


def test_a_budget_ends_a_long_decompression_once_a_stop_is_requested() -> None:
    stop = StopRequest()
    budget = Budget(Limits(), stop=stop)
    budget.check_time()  # nothing asked yet
    assert stop.request() is True and stop.request() is False  # the first ask is told apart
    with pytest.raises(ScanStopped, match="interrupted"):
        budget.check_time()


def test_a_stop_during_a_compressed_member_ends_it_interrupted(tmp_path: Path, pack: LoadedPack) -> None:
    """A gzip stream polls the stop as it decompresses: the source ends interrupted, not failed."""
    import gzip

    rows = "".join(f"別人{i},03{i:08d}\n" for i in range(BATCH_ROWS * 2))
    path = tmp_path / "big.csv.gz"
    path.write_bytes(gzip.compress(("名前,TEL\n" + rows).encode(), 1))
    stop = StopRequest()
    report = scan([str(path)], pack, ScanOptions(stop=stop, threads=1), StopAfter(stop, rows=1))
    assert {s.status for s in report.sources} == {INTERRUPTED}, [(s.path, s.status, s.error) for s in report.sources]
    assert report.incomplete_sources == len(report.sources) and report.exit_code == 4


def test_without_a_stop_request_nothing_changes(tmp_path: Path, pack: LoadedPack) -> None:
    path = _csv(tmp_path / "a.csv", 5, match_first=True)
    report = scan([str(path)], pack)
    assert [s.status for s in report.sources] == [SCANNED]
    assert report.matches.height == 1 and isinstance(report.matches, pl.DataFrame)
