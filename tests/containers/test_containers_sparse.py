"""Sparse tar members: a few KiB declaring 100 GiB of holes are cut by the ratio rule, even in a
plain tar (no compression), and the archive's other members are still scanned.

The ratio of a sparse member is taken against the bytes the archive really stores
for it; its holes come out as zeros that were never stored.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from containers_testkit import MIB, broker_csv, found_in, make_pack, run_scan, statuses
from sparse_tar_kit import FORMATS, SparseMember, sparse_tar_bytes

from verifydel.core.limits import Limits
from verifydel.scan import LoadedPack

DECLARED = 100 << 30  # 100 GiB of zeros declared by a member storing 10 KiB


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> LoadedPack:
    return make_pack(tmp_path_factory.mktemp("pack"))


def _bomb_tar(fmt: str) -> bytes:
    bomb = SparseMember("bomb.csv", [(0, b"a,b\n" + b"1,2\n" * 2559)], DECLARED)  # 10 KiB stored
    return sparse_tar_bytes(
        [("normal.csv", broker_csv()), bomb, ("normal2.csv", broker_csv(5, leaked_first=False))], fmt
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_sparse_bomb_in_a_plain_tar_is_cut_by_the_ratio(
    tmp_path: Path, pack: LoadedPack, fmt: str
) -> None:
    arc = tmp_path / "b.tar"
    arc.write_bytes(_bomb_tar(fmt))
    assert arc.stat().st_size < 64 * 1024
    report = run_scan([arc], pack)
    assert found_in(report) == [f"{arc}!/normal.csv", f"{arc}!/normal2.csv"]
    status, error = statuses(report)[f"{arc}!/bomb.csv"]
    assert status == "partial"
    assert error.startswith("limit ratio: sparse member 2 expanded more than 100:1")
    assert next(s for s in report.sources if s.path == f"{arc}!/bomb.csv").bytes <= 3 * MIB
    own = statuses(report)[str(arc)]
    assert own[0] == "partial" and own[1].startswith("limit ratio: sparse member 2")
    assert report.incomplete_sources  # never a clean exit


def test_a_sparse_bomb_in_a_tar_gz_is_cut_too(tmp_path: Path, pack: LoadedPack) -> None:
    arc = tmp_path / "b.tar.gz"
    arc.write_bytes(gzip.compress(_bomb_tar("pax-1.0")))
    report = run_scan([arc], pack)
    assert found_in(report) == [f"{arc}!/normal.csv", f"{arc}!/normal2.csv"]
    status, error = statuses(report)[f"{arc}!/bomb.csv"]
    assert status == "partial" and error.startswith("limit ratio: sparse member 2")


def test_a_sparse_member_within_the_ratio_is_scanned_whole(tmp_path: Path, pack: LoadedPack) -> None:
    """A real sparse file (data, a hole, data) is not a bomb: read whole, survivors found."""
    head, tail = broker_csv(), "\n別人,03-0000-0001\n".encode()
    member = SparseMember("data.csv", [(0, head), (len(head) + 4096, tail)], len(head) + 4096 + len(tail))
    arc = tmp_path / "s.tar"
    arc.write_bytes(sparse_tar_bytes([member], "gnu"))
    report = run_scan([arc], pack, Limits(ratio_grace_bytes=4096))
    assert statuses(report)[f"{arc}!/data.csv"][0] != "failed"
    assert "limit" not in (statuses(report)[str(arc)][1] or "")
    assert found_in(report) == [f"{arc}!/data.csv"]
