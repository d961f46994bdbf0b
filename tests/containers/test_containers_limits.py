"""Every container limit, one test each: hitting it makes the container partial and keeps what came before.

A limit on one member (ratio, bytes per member) cuts that member short (partial, with the
reason) and the container goes on with the next member; a limit on the whole source
(bytes, members, time, depth) stops the rest of it.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from containers_testkit import (
    MIB,
    RawMember,
    broker_csv,
    clean_csv,
    compress,
    deflated,
    deflated_zeros,
    found_in,
    gzip_of_zeros,
    make_pack,
    nested_zip,
    run_scan,
    statuses,
    tar_bytes,
    write_7z,
    write_raw_zip,
    write_zip,
    zip_bytes,
)

from verifydel.containers import Limits, gzip_stream, zip_archive
from verifydel.core.limits import Budget, LimitExceeded
from verifydel.exitcodes import ExitCode
from verifydel.scan import LoadedPack
from verifydel.core.unit import Unit

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> LoadedPack:
    return make_pack(tmp_path_factory.mktemp("pack"))


def _own(report, path: Path) -> tuple[str, str | None]:  # type: ignore[no-untyped-def]
    return statuses(report)[str(path)]


def test_default_limits_are_named_and_sane() -> None:
    limits = Limits()
    assert limits.max_depth >= 10 and limits.max_ratio == 100 and limits.ratio_grace_bytes == MIB
    assert limits.max_member_bytes <= limits.max_source_bytes


def test_depth_limit_on_30_nested_zips(tmp_path: Path, pack: LoadedPack) -> None:
    arc = tmp_path / "deep.zip"
    arc.write_bytes(nested_zip(30, ("leak.csv", broker_csv())))
    report = run_scan([arc], pack)
    containers = [s for s in report.sources if s.kind == "zip"]
    assert len(containers) == Limits().max_depth + 1  # depths 0..12 opened, the 13th refused
    deepest = containers[-1]
    assert deepest.status == "failed" and deepest.error.startswith("limit depth")
    assert report.matches.height == 0 and report.exit_code == ExitCode.INCOMPLETE


def test_handlers_guard_the_depth_themselves(tmp_path: Path) -> None:
    arc = write_zip(tmp_path / "a.zip", [("a.csv", clean_csv())])
    with pytest.raises(LimitExceeded) as err:
        next(zip_archive.members(Unit(label="a.zip", path=arc, depth=3), Limits(max_depth=3)))
    assert err.value.code == "depth"


def test_member_bytes_limit_ignores_the_declared_size(tmp_path: Path, pack: LoadedPack) -> None:
    big = os.urandom(3 * MIB)  # incompressible: the ratio stays near 1
    arc = write_raw_zip(
        tmp_path / "lies.zip",
        [
            RawMember(
                "leak.csv",
                [deflated(broker_csv())],
                crc=zlib.crc32(broker_csv()),
                declared_size=len(broker_csv()),
            ),
            RawMember(
                "big.bin", [deflated(big)], crc=zlib.crc32(big), declared_size=10
            ),  # claims 10 bytes
            RawMember(
                "after.csv",
                [deflated(clean_csv())],
                crc=zlib.crc32(clean_csv()),
                declared_size=len(clean_csv()),
            ),
        ],
    )
    report = run_scan([arc], pack, Limits(max_member_bytes=MIB))
    status, error = _own(report, arc)
    assert status == "partial" and error.startswith("limit member-bytes")
    assert found_in(report) == [f"{arc}!/leak.csv"]  # the member before the limit was scanned
    cut = next(s for s in report.sources if s.path == f"{arc}!/big.bin")
    assert MIB // 2 < cut.bytes <= MIB  # what was read up to the limit, not a byte more
    # partial when its random bytes were searched as unstructured data, failed when no reader takes them
    assert cut.status in ("partial", "failed") and cut.error.startswith("limit member-bytes: member 2")
    assert statuses(report)[f"{arc}!/after.csv"] == ("scanned", None)  # the next member was read
    assert report.exit_code == ExitCode.FOUND


def test_zip_bomb_stops_at_the_limit_with_small_memory(tmp_path: Path) -> None:
    """4 GiB of zeros in a 4 MB zip (its header says 100 bytes): stopped at 32 MiB, memory flat."""
    bomb = write_raw_zip(
        tmp_path / "bomb.zip", [RawMember("zeros.csv", deflated_zeros(4 << 30), declared_size=100)]
    )
    assert bomb.stat().st_size < 8 * MIB
    script = f"""
import json, resource, sys
sys.path.insert(0, {str(SRC)!r})
from pathlib import Path
from verifydel.containers import Limits, zip_archive
from verifydel.core.limits import LimitExceeded
from verifydel.core.unit import Unit
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
sizes, cuts, code = [], [], None
try:
    for m in zip_archive.members(Unit(label="bomb.zip", path=Path({str(bomb)!r})),
                                 Limits(max_member_bytes=32 << 20, max_ratio=10**9)):
        if isinstance(m, Unit):
            sizes.append(m.path.stat().st_size)
        else:
            cuts.append(m.follows)
except LimitExceeded as exc:
    code = exc.code
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
out = {{"code": code, "sizes": sizes, "cuts": cuts, "rss_kib": after - before}}
sys.stdout.write(json.dumps(out))
"""
    env = {**os.environ, "TMPDIR": str(tmp_path / "spool")}
    done = subprocess.run(
        [sys.executable, "-c", script],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert result["code"] == "member-bytes"
    assert result["cuts"] == [True]  # the member's cut notice follows what was kept of it
    (spooled,) = result["sizes"]  # the part before the limit, spooled to disk, nothing past it
    assert (31 << 20) < spooled <= (32 << 20)
    assert result["rss_kib"] < 24 * 1024  # decompressed in 1 MiB chunks, never held whole


def test_ratio_limit(tmp_path: Path, pack: LoadedPack) -> None:
    arc = write_zip(
        tmp_path / "ratio.zip", [("leak.csv", broker_csv()), ("zeros.csv", bytes(8 * MIB))]
    )
    report = run_scan([arc], pack)
    status, error = _own(report, arc)
    assert status == "partial" and error.startswith("limit ratio") and "100:1" in error
    assert found_in(report) == [f"{arc}!/leak.csv"]
    assert statuses(report)[f"{arc}!/zeros.csv"][1].startswith("limit ratio: member 2")


def test_ratio_limit_on_a_gzip_bomb(tmp_path: Path, pack: LoadedPack) -> None:
    arc = gzip_of_zeros(tmp_path / "bomb.csv.gz", 1 << 30)
    report = run_scan([arc], pack)
    status, error = _own(report, arc)
    assert error.startswith("limit ratio") and status == "partial"
    member = statuses(report)[f"{arc}!/bomb.csv"]
    assert member[0] == "partial" and member[1].startswith("limit ratio")  # the first MiB or so
    assert next(s for s in report.sources if s.path == f"{arc}!/bomb.csv").bytes <= 2 * MIB


def test_ratio_limit_in_a_7z(tmp_path: Path, pack: LoadedPack) -> None:
    arc = write_7z(
        tmp_path / "bomb.7z", [("leak.csv", broker_csv()), ("zeros.csv", bytes(16 * MIB))]
    )
    report = run_scan([arc], pack)
    status, error = _own(report, arc)
    assert status == "partial" and error.startswith("limit ratio")
    assert found_in(report) == [f"{arc}!/leak.csv"]
    # the ratio of a 7z is the whole archive's (a solid block has no per-member size): it stops it
    assert "the 7z archive" in error and "the rest of this source was not scanned" in error
    assert statuses(report)[f"{arc}!/zeros.csv"][0] in ("partial", "failed")


def test_member_bytes_limit_in_a_7z_cuts_that_member_only(tmp_path: Path, pack: LoadedPack) -> None:
    arc = write_7z(
        tmp_path / "big.7z",
        [("a.csv", broker_csv()), ("big.bin", os.urandom(3 * MIB)), ("b.csv", broker_csv())],
    )
    report = run_scan([arc], pack, Limits(max_member_bytes=MIB))
    status, error = _own(report, arc)
    assert status == "partial" and error.startswith("limit member-bytes")
    assert found_in(report) == [f"{arc}!/a.csv", f"{arc}!/b.csv"]
    big = statuses(report)[f"{arc}!/big.bin"]
    assert big[0] in ("partial", "failed") and big[1].startswith("limit member-bytes")


def test_member_bytes_limit_on_a_tar_inside_gzip(tmp_path: Path, pack: LoadedPack) -> None:
    arc = tmp_path / "b.tar.gz"
    big = os.urandom(3 * MIB)
    members = [("leak.csv", broker_csv()), ("big.bin", big), ("b.csv", broker_csv())]
    arc.write_bytes(compress(tar_bytes(members), "gz"))
    report = run_scan([arc], pack, Limits(max_member_bytes=MIB))
    status, error = _own(report, arc)
    assert status == "partial" and error.startswith("limit member-bytes")
    assert found_in(report) == [f"{arc}!/leak.csv", f"{arc}!/b.csv"]  # the rest of big.bin skipped
    assert statuses(report)[f"{arc}!/big.bin"][1].startswith("limit member-bytes")


def test_ratio_grace_lets_small_members_through(tmp_path: Path, pack: LoadedPack) -> None:
    arc = write_zip(
        tmp_path / "small.zip", [("zeros.bin", bytes(MIB // 2)), ("leak.csv", broker_csv())]
    )
    report = run_scan([arc], pack)
    assert _own(report, arc) == ("scanned", None) and found_in(report) == [f"{arc}!/leak.csv"]


def test_source_bytes_limit_is_shared_by_nested_containers(
    tmp_path: Path, pack: LoadedPack
) -> None:
    inner = zip_bytes([("a.bin", os.urandom(600 << 10)), ("b.bin", os.urandom(600 << 10))])
    arc = write_zip(tmp_path / "outer.zip", [("leak.csv", broker_csv()), ("inner.zip", inner)])
    report = run_scan([arc], pack, Limits(max_source_bytes=2 * MIB))
    errors = [
        s.error for s in report.sources if s.error and s.error.startswith("limit source-bytes")
    ]
    assert errors, [(s.path, s.status, s.error) for s in report.sources]
    assert found_in(report) == [f"{arc}!/leak.csv"] and report.incomplete_sources >= 1


def test_members_limit(tmp_path: Path, pack: LoadedPack) -> None:
    arc = write_zip(
        tmp_path / "many.zip",
        [("leak.csv", broker_csv())] + [(f"m{i}.csv", clean_csv()) for i in range(9)],
    )
    report = run_scan([arc], pack, Limits(max_members=4))
    status, error = _own(report, arc)
    assert status == "partial" and error.startswith("limit members")
    assert len([s for s in report.sources if "!/" in s.path]) == 4
    assert found_in(report) == [f"{arc}!/leak.csv"]


def test_members_limit_counts_across_nesting(tmp_path: Path) -> None:
    inner = zip_bytes([(f"i{i}.csv", clean_csv()) for i in range(3)])
    arc = write_zip(tmp_path / "outer.zip", [("inner.zip", inner), ("x.csv", clean_csv())])
    budget = Budget(Limits(max_members=3))
    outer = Unit(label="outer.zip", path=arc, budget=budget)
    gen = zip_archive.members(outer, budget.limits)
    inner_unit = next(gen)
    assert isinstance(inner_unit, Unit) and inner_unit.budget is budget
    with pytest.raises(LimitExceeded) as err:
        list(zip_archive.members(inner_unit, budget.limits))
    assert err.value.code == "members" and budget.members == 4
    gen.close()


def test_time_limit(tmp_path: Path, pack: LoadedPack) -> None:
    arc = tmp_path / "slow.csv.gz"
    arc.write_bytes(gzip_stream.MAGIC)  # never read: the time is up before
    report = run_scan([arc], pack, Limits(max_seconds=0))
    status, error = _own(report, arc)
    assert status == "failed" and error.startswith("limit time")
    assert report.exit_code == ExitCode.INCOMPLETE


# --- a bomb among members: that member is cut short, the others are read ----------
def _member(name: str, data: bytes) -> RawMember:
    return RawMember(name, [deflated(data)], crc=zlib.crc32(data), declared_size=len(data))


def _zip_with_a_bomb(path: Path, first: bytes, then: bytes) -> Path:
    bomb = RawMember("bomb.csv", deflated_zeros(1 << 30), declared_size=100)  # 1 GiB in 1 MB
    return write_raw_zip(path, [_member("normal.csv", first), bomb, _member("normal2.csv", then)])


def test_a_zip_bomb_between_members_cuts_only_the_bomb(tmp_path: Path, pack: LoadedPack) -> None:
    arc = _zip_with_a_bomb(tmp_path / "photos.zip", broker_csv(), broker_csv(5, leaked_first=False))
    report = run_scan([arc], pack)
    assert found_in(report) == [f"{arc}!/normal.csv", f"{arc}!/normal2.csv"]
    bomb = [s for s in report.sources if s.path == f"{arc}!/bomb.csv"]
    assert len(bomb) == 1 and bomb[0].status == "partial"  # one entry: its first MiB was scanned
    assert bomb[0].error.startswith("limit ratio: member 2 expanded more than 100:1")
    assert bomb[0].bytes is not None and bomb[0].bytes <= 2 * MIB
    assert statuses(report)[f"{arc}!/normal2.csv"] == ("scanned", None)
    status, error = _own(report, arc)  # the container never reads as clean
    assert status == "partial" and error.startswith("limit ratio: member 2")
    assert "the other members were" in error
    assert report.exit_code == ExitCode.FOUND


def test_a_clean_zip_with_a_bomb_is_not_confirmed(tmp_path: Path, pack: LoadedPack) -> None:
    arc = _zip_with_a_bomb(tmp_path / "clean.zip", clean_csv(), clean_csv())
    report = run_scan([arc], pack)
    assert report.matches.height == 0 and report.exit_code == ExitCode.INCOMPLETE
    assert statuses(report)[f"{arc}!/normal2.csv"] == ("scanned", None)
    assert report.incomplete_sources == 2  # the bomb and the archive


def test_two_bombs_are_both_cut_and_counted(tmp_path: Path, pack: LoadedPack) -> None:
    zeros = bytes(8 * MIB)
    arc = write_zip(
        tmp_path / "two.zip", [("z1.bin", zeros), ("z2.bin", zeros), ("leak.csv", broker_csv())]
    )
    report = run_scan([arc], pack)
    assert found_in(report) == [f"{arc}!/leak.csv"]
    assert all(statuses(report)[f"{arc}!/{n}"][0] == "partial" for n in ("z1.bin", "z2.bin"))
    status, error = _own(report, arc)
    assert status == "partial" and error.startswith("limit ratio: member 1")
    assert "2 members were cut short by a limit" in error


def test_a_bomb_cut_before_anything_was_kept_is_a_failed_member(
    tmp_path: Path, pack: LoadedPack
) -> None:
    """A member limit below one chunk: nothing of the member is kept, it stands alone, failed."""
    big = os.urandom(MIB)
    arc = write_zip(tmp_path / "tiny.zip", [("big.bin", big), ("leak.csv", broker_csv())])
    report = run_scan([arc], pack, Limits(max_member_bytes=1000))
    big_entries = [s for s in report.sources if s.path == f"{arc}!/big.bin"]
    assert [(s.status, s.kind) for s in big_entries] == [("failed", "member")]
    assert big_entries[0].error.startswith("limit member-bytes")
    assert found_in(report) == [f"{arc}!/leak.csv"]


def test_a_bomb_in_a_zip_without_its_directory_is_skipped_by_its_size(
    tmp_path: Path, pack: LoadedPack
) -> None:
    """Walking local headers, a cut member's compressed size says where the next one starts."""
    arc = _zip_with_a_bomb(tmp_path / "cut.zip", broker_csv(), broker_csv(5, leaked_first=False))
    data = arc.read_bytes()
    arc.write_bytes(data[: data.index(b"PK\x01\x02")])  # the central directory cut off
    report = run_scan([arc], pack)
    assert found_in(report) == [f"{arc}!/normal.csv", f"{arc}!/normal2.csv"]
    assert statuses(report)[f"{arc}!/bomb.csv"][1].startswith("limit ratio")
    status, error = _own(report, arc)
    assert status == "partial" and "central directory is missing" in error


def _tar_gz_with_a_bomb(path: Path, bomb_bytes: int) -> Path:
    members = [
        ("normal.csv", broker_csv()),
        ("bomb.csv", bytes(bomb_bytes)),
        ("normal2.csv", broker_csv(5, leaked_first=False)),
    ]
    path.write_bytes(gzip.compress(tar_bytes(members), 9))
    return path


def test_a_tar_gz_bomb_between_members_is_cut_and_skipped(tmp_path: Path, pack: LoadedPack) -> None:
    arc = _tar_gz_with_a_bomb(tmp_path / "b.tar.gz", 32 * MIB)
    report = run_scan([arc], pack)
    assert found_in(report) == [f"{arc}!/normal.csv", f"{arc}!/normal2.csv"]
    bomb = statuses(report)[f"{arc}!/bomb.csv"]
    assert bomb[0] == "partial" and bomb[1].startswith("limit ratio: member 2 expanded")
    assert next(s for s in report.sources if s.path == f"{arc}!/bomb.csv").bytes <= 3 * MIB
    status, error = _own(report, arc)
    assert status == "partial" and error.startswith("limit ratio: member 2")


def test_a_tar_gz_bomb_too_big_to_skip_stops_at_once(tmp_path: Path, pack: LoadedPack) -> None:
    """The rest of the bomb does not fit in what is left of the source's budget: stop now."""
    arc = _tar_gz_with_a_bomb(tmp_path / "b.tar.gz", 32 * MIB)
    report = run_scan([arc], pack, Limits(max_source_bytes=8 * MIB))
    assert found_in(report) == [f"{arc}!/normal.csv"]
    assert f"{arc}!/normal2.csv" not in statuses(report)
    assert statuses(report)[f"{arc}!/bomb.csv"][1].startswith("limit ratio")
    status, error = _own(report, arc)
    assert status == "partial"
    assert error.startswith("limit source-bytes: skipping the rest of member 2")


def test_a_tar_gz_stream_ratio_still_covers_bytes_outside_its_members(
    tmp_path: Path, pack: LoadedPack
) -> None:
    """Zeros after the tar's end marker belong to no member: the stream's own ratio stops them."""
    arc = tmp_path / "padded.tar.gz"
    arc.write_bytes(gzip.compress(tar_bytes([("leak.csv", broker_csv())]) + bytes(64 * MIB), 9))
    report = run_scan([arc], pack)
    assert found_in(report) == [f"{arc}!/leak.csv"]
    status, error = _own(report, arc)
    assert status == "partial" and error.startswith("limit ratio: the gzip stream")
    assert statuses(report)[f"{arc}!/leak.csv"] == ("scanned", None)


def test_the_source_bytes_budget_still_stops_the_rest_of_a_zip(
    tmp_path: Path, pack: LoadedPack
) -> None:
    arc = write_zip(
        tmp_path / "big.zip",
        [("a.csv", broker_csv()), ("big.bin", os.urandom(3 * MIB)), ("b.csv", broker_csv())],
    )
    report = run_scan([arc], pack, Limits(max_source_bytes=2 * MIB))
    assert found_in(report) == [f"{arc}!/a.csv"]
    assert f"{arc}!/b.csv" not in statuses(report)
    big = statuses(report)[f"{arc}!/big.bin"]
    assert big[0] == "partial" and big[1].startswith("limit source-bytes")
    status, error = _own(report, arc)
    assert status == "partial" and error.startswith("limit source-bytes")
    assert "the rest of this source was not scanned" in error
