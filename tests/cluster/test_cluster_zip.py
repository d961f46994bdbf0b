"""A zip's members as work units (random access) on a real LocalCluster: the local scan's report.

Every member of a zip larger than the part size is read by a worker that opens the zip
at that member only; the merged report equals the local scan's: survivors on their rows,
a corrupt member failed, an encrypted one locked (or opened with the password), per-member
limits cutting a member short. What the client cannot split safely (a central directory
that lies about sizes, bytes no entry accounts for, a missing directory) stays one unit;
what only reading shows (a nested archive, a stream ending before its declared size, the
limits of the whole archive) makes the client read the zip again as one unit.
"""

from __future__ import annotations

import struct
import sys
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest
from kit import comparable, differences

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "containers"))
from containers_testkit import RawMember, deflated, write_raw_zip, zip_bytes, zipcrypto_encrypt  # noqa: E402

from verifydel.cluster.client import scan_on_cluster  # noqa: E402
from verifydel.cluster.units import plan  # noqa: E402
from verifydel.core.limits import Limits  # noqa: E402
from verifydel.scan import LoadedPack, ScanOptions, scan  # noqa: E402

PEOPLE = 12


def _phone(i: int) -> str:
    return f"090-{1000 + i:04d}-{5000 + i:04d}"


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory, pack_factory: Any) -> LoadedPack:
    lines = ["ID,氏名,電話番号"] + [f"L{i},山田 太郎{i},{_phone(i)}" for i in range(PEOPLE)]
    return pack_factory(tmp_path_factory.mktemp("zpack"), "\n".join(lines) + "\n", id_column="ID")


def _csv(n: int, survivors: tuple[int, ...] = ()) -> bytes:
    """A broker's CSV of ``n`` rows; the rows ``survivors`` (1-based) hold a leaked person."""
    lines = ["氏名,電話番号"]
    for r in range(1, n + 1):
        if r in survivors:
            i = survivors.index(r) + r % 5
            lines.append(f"山田 太郎{i},{_phone(i)}")
        else:
            lines.append(f"佐藤 花子{r},080-{r % 10000:04d}-{(r * 7) % 10000:04d}")
    return ("\n".join(lines) + "\n").encode()


def _member(name: str, plain: bytes, *, method: int = 8, password: bytes | None = None) -> RawMember:
    crc = zlib.crc32(plain)
    data = deflated(plain) if method == 8 else plain
    if password is not None:
        return RawMember(name, [zipcrypto_encrypt(data, password, crc)], method=method, crc=crc, declared_size=len(plain), flags=1)
    return RawMember(name, [data], method=method, crc=crc, declared_size=len(plain))


def _corrupt(name: str, plain: bytes) -> RawMember:
    m = _member(name, plain)
    data = bytearray(b"".join(m.data))
    data[len(data) // 2] ^= 0x55
    m.data = [bytes(data)]
    return m


def _broker_zip(path: Path) -> Path:
    return write_raw_zip(
        path,
        [
            _member("2023/a.csv", _csv(300, (3, 150, 299))),
            _member("2023/b.csv", _csv(200)),
            _corrupt("2023/c.csv", _csv(400, (10,))),
            _member("2023/d.csv", _csv(100, (7, 8)), password=b"pw"),
            RawMember("2023/", [b""], method=0),
            _member("e.csv", _csv(50, (50,)), method=0),
            _member("2023/a.csv", _csv(60, (1,))),  # a duplicate name
            _member("../../etc/f.csv", _csv(40, (40,))),
        ],
    )


def _same(sources: list[str], pack: LoadedPack, options: ScanOptions, client: Any) -> tuple[Any, Any]:
    local = scan(sources, pack, options)
    clustered = scan_on_cluster(sources, pack, options, client, part_bytes=1)
    diff = differences(comparable(local), comparable(clustered))
    assert not diff, "\n".join(diff)
    return local, clustered


def test_members_are_units_and_the_report_equals_the_local_scan(dask_client: Any, pack: LoadedPack, tmp_path: Path) -> None:
    path = _broker_zip(tmp_path / "broker.zip")
    sources = [str(path)]
    [planned] = plan(sources, ScanOptions().reading(), part_bytes=1)
    assert planned.layout == "members"
    assert len(planned.reads) == 7 and planned.digest is not None  # the folder entry is no unit
    assert len({p.key for p in planned.parts}) == len(planned.parts)
    assert plan(sources, ScanOptions().reading())[0].layout == "whole"  # a small zip: one unit
    local, clustered = _same(sources, pack, ScanOptions(), dask_client)
    status = {s.path.split("!/", 1)[-1]: (s.status, s.error or "") for s in clustered.sources}
    assert status["2023/c.csv"][0] in ("failed", "partial") and "locked" in status["2023/d.csv"][1]
    assert clustered.sources[0].sha256 == local.sources[0].sha256 is not None
    assert clustered.matches.height == local.matches.height >= 6
    # the password opens the encrypted member, on the workers as locally
    _, opened = _same(sources, pack, ScanOptions(password="pw"), dask_client)
    assert opened.matches.height == clustered.matches.height + 2


def _patch_central(path: Path, member: int, field_at: int, value: int) -> None:
    """Overwrite a 4-byte field of the ``member``-th central-directory entry."""
    data = bytearray(path.read_bytes())
    at = -1
    for _ in range(member + 1):
        at = data.index(b"PK\x01\x02", at + 1)
    struct.pack_into("<L", data, at + field_at, value)
    path.write_bytes(bytes(data))


def _hostile(kind: str, folder: Path) -> tuple[Path, str, Limits]:
    """A hostile zip, whether the client splits it ("members") or not ("whole"), the limits."""
    path = folder / f"{kind}.zip"
    plain = [_csv(120, (5,)), _csv(80, (80,)), _csv(90)]
    if kind == "sizes-too-large":  # the directory claims more bytes than the member has: overlap
        write_raw_zip(path, [_member(f"m{i}.csv", p) for i, p in enumerate(plain)])
        size = zipfile.ZipFile(path).infolist()[0].compress_size
        _patch_central(path, 0, 20, size + 40)
        return path, "whole", Limits()
    if kind == "sizes-too-small":  # fewer bytes than it has: the stream is cut, the rest unaccounted
        write_raw_zip(path, [_member(f"m{i}.csv", p) for i, p in enumerate(plain)])
        size = zipfile.ZipFile(path).infolist()[1].compress_size
        _patch_central(path, 1, 20, size - 25)
        return path, "whole", Limits()
    if kind == "uncompressed-size-lies":  # only the declared size lies: split, read as it is
        write_raw_zip(path, [_member(f"m{i}.csv", p) for i, p in enumerate(plain)])
        _patch_central(path, 0, 24, 7)
        _patch_central(path, 2, 24, 1 << 31)
        return path, "members", Limits()
    if kind == "slack":  # the stream ends before its declared size: only reading shows it
        tail = b"\x00junk 090-1000-5000 junk\x00" * 4
        members = [_member(f"m{i}.csv", p) for i, p in enumerate(plain)]
        members[1].data = [b"".join(members[1].data) + tail]
        write_raw_zip(path, members)
        return path, "members", Limits()
    if kind == "nested":
        inner = zip_bytes([("inner.csv", _csv(30, (2,)))])
        write_raw_zip(path, [_member("m0.csv", plain[0]), _member("inner.zip", inner, method=0), _member("m2.csv", plain[2])])
        return path, "members", Limits()
    if kind == "no-central-directory":
        write_raw_zip(path, [_member(f"m{i}.csv", p) for i, p in enumerate(plain)])
        data = path.read_bytes()
        path.write_bytes(data[: data.index(b"PK\x01\x02")])
        return path, "whole", Limits()
    if kind == "member-bytes":  # a per-member limit cuts two members short; the zip goes on
        write_raw_zip(path, [_member(f"m{i}.csv", p) for i, p in enumerate(plain)])
        return path, "members", Limits(max_member_bytes=2_500)
    if kind == "source-bytes":  # the whole archive's limit: known only once every member is read
        write_raw_zip(path, [_member(f"m{i}.csv", p) for i, p in enumerate(plain)])
        return path, "members", Limits(max_source_bytes=len(plain[0]) + len(plain[1]) // 2)
    if kind == "members":  # more entries than allowed: never split
        write_raw_zip(path, [_member(f"m{i}.csv", p) for i, p in enumerate(plain)])
        return path, "whole", Limits(max_members=2)
    raise AssertionError(kind)


HOSTILE = ["sizes-too-large", "sizes-too-small", "uncompressed-size-lies", "slack", "nested",
           "no-central-directory", "member-bytes", "source-bytes", "members"]  # fmt: skip


def test_hostile_zips_give_the_local_scans_report(dask_client: Any, pack: LoadedPack, tmp_path: Path) -> None:
    failures = []
    for kind in HOSTILE:
        path, layout, limits = _hostile(kind, tmp_path)
        options = ScanOptions(limits=limits)
        [planned] = plan([str(path)], options.reading(), part_bytes=1)
        if planned.layout != layout:
            failures.append(f"{kind}: planned {planned.layout}, not {layout}")
            continue
        local = scan([str(path)], pack, options)
        clustered = scan_on_cluster([str(path)], pack, options, dask_client, part_bytes=1)
        diff = differences(comparable(local), comparable(clustered))
        if diff:
            failures.append(f"{kind}: " + "; ".join(diff))
    assert not failures, "\n".join(failures)
