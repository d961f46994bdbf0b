"""The scanner's container hook: members scanned under `outer!/member` labels, limits make the container partial,
a member cut short by a limit is partial (failed when nothing of it was read) and never clean."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from verifydel import containers
from verifydel.core.limits import LimitExceeded, Limits
from verifydel.scan import ScanOptions, scan
from verifydel.core.unit import Unit, UnitFailure

MAGIC = b"FAKEARC\n"


def _members(unit: Unit, limits: Limits) -> Iterator[Unit | UnitFailure]:
    """A toy container: members separated by lines '=== name'; 'LIMIT' stops it; 'CUT name'
    yields the member then its cut notice, 'LOST name' a notice alone (nothing of it kept)."""
    assert unit.path is not None
    parts = unit.path.read_bytes()[len(MAGIC):].split(b"=== ")[1:]
    for part in parts:
        name, _, body = part.partition(b"\n")
        if name == b"LIMIT":
            raise LimitExceeded("member-bytes", "a member decompressed past its limit")
        if name == b"BROKEN":
            yield UnitFailure(f"{unit.label}!/broken", "member", "corrupt member header")
            continue
        if name.startswith(b"LOST "):
            yield containers.MemberCut(f"{unit.label}!/{name[5:].decode()}", "member", "limit ratio: lost", follows=False)
            continue
        cut = name.startswith(b"CUT ")
        name = name[4:] if cut else name
        with tempfile.NamedTemporaryFile(delete=False) as fh:
            fh.write(body)
        try:
            yield Unit(label=f"{unit.label}!/{name.decode()}", path=Path(fh.name), size=len(body), depth=unit.depth + 1)
        finally:
            Path(fh.name).unlink()
        if cut:
            yield containers.MemberCut(f"{unit.label}!/{name.decode()}", "member", "limit ratio: cut", follows=True)


FAKE = SimpleNamespace(KIND="fakearc", sniff=lambda head: head.startswith(MAGIC), members=_members)


@pytest.fixture
def pack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pack_factory):
    monkeypatch.setattr(containers, "CONTAINERS", (FAKE,))
    return pack_factory(tmp_path, "ID,氏名,電話番号\nA1,山田太郎,090-1111-2222\n")


def _archive(path: Path, *members: tuple[str, str]) -> str:
    body = b"".join(f"=== {n}\n".encode() + t.encode("utf-8") for n, t in members)
    path.write_bytes(MAGIC + body)
    return str(path)


def test_members_are_scanned_under_archive_labels(tmp_path: Path, pack) -> None:
    arc = _archive(tmp_path / "backup.bin", ("a.csv", "名前,TEL\n別人,03-0000-0000\n"), ("b.csv", "名前,TEL\n山田太郎,09011112222\n"))
    report = scan([arc], pack)
    assert [s.kind for s in report.sources] == ["fakearc", "csv", "csv"]
    assert [s.path for s in report.sources] == [arc, f"{arc}!/a.csv", f"{arc}!/b.csv"]
    assert report.matches["source"].to_list() == [f"{arc}!/b.csv"]
    assert report.incomplete_sources == 0


def test_limit_makes_the_container_partial_and_keeps_what_was_read(tmp_path: Path, pack) -> None:
    arc = _archive(tmp_path / "bomb.bin", ("b.csv", "名前,TEL\n山田太郎,09011112222\n"), ("LIMIT", ""), ("c.csv", "x\n"))
    report = scan([arc], pack)
    own = report.sources[0]
    assert own.status == "partial" and own.error.startswith("limit member-bytes")
    assert report.matches.height == 1  # the member before the limit was still scanned
    assert report.incomplete_sources == 1


def test_member_failure_is_reported(tmp_path: Path, pack) -> None:
    arc = _archive(tmp_path / "x.bin", ("BROKEN", ""), ("a.csv", "名前,TEL\n別人,03-0000-0000\n"))
    report = scan([arc], pack)
    statuses = {s.path: s.status for s in report.sources}
    assert statuses[f"{arc}!/broken"] == "failed" and statuses[f"{arc}!/a.csv"] == "scanned"


def test_depth_limit(tmp_path: Path, pack) -> None:
    arc = _archive(tmp_path / "deep.bin", ("a.csv", "名前,TEL\n別人,03-0000-0000\n"))
    report = scan([arc], pack, ScanOptions(limits=Limits(max_depth=0)))
    assert report.sources[0].status == "failed" and "depth" in report.sources[0].error


def test_a_member_cut_short_is_partial_and_the_next_member_scanned(tmp_path: Path, pack) -> None:
    arc = _archive(tmp_path / "cut.bin", ("CUT bomb.csv", "名前,TEL\n別人,03-0000-0000\n"), ("b.csv", "名前,TEL\n山田太郎,09011112222\n"))
    report = scan([arc], pack)
    assert [(s.path, s.status, s.error) for s in report.sources] == [
        (arc, "scanned", None),  # the toy container does not raise; real ones end partial (tests/containers)
        (f"{arc}!/bomb.csv", "partial", "limit ratio: cut"),
        (f"{arc}!/b.csv", "scanned", None),
    ]
    assert report.sources[1].rows == 1 and report.matches["source"].to_list() == [f"{arc}!/b.csv"]


def test_a_cut_member_that_failed_to_read_stays_failed_and_keeps_both_reasons(tmp_path: Path, pack) -> None:
    arc = _archive(tmp_path / "cut.bin", ("CUT bad.csv", "PAR1 a parquet file cut short"))
    report = scan([arc], pack)
    cut = report.sources[1]
    assert cut.path == f"{arc}!/bad.csv" and cut.status == "failed"
    assert cut.error.startswith("limit ratio: cut; ") and len(cut.error) > len("limit ratio: cut; ")


def test_a_cut_notice_alone_is_a_failed_member_even_after_a_namesake(tmp_path: Path, pack) -> None:
    """Two members with one name: the second, cut before anything was kept, does not mark the first."""
    arc = _archive(tmp_path / "dup.bin", ("a.csv", "名前,TEL\n別人,03-0000-0000\n"), ("LOST a.csv", ""))
    report = scan([arc], pack)
    assert [(s.path, s.status, s.error) for s in report.sources[1:]] == [
        (f"{arc}!/a.csv", "scanned", None),
        (f"{arc}!/a.csv", "failed", "limit ratio: lost"),
    ]
    assert report.exit_code == 4
