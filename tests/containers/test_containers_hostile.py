"""Hostile and damaged archives: nothing crashes, hangs, or is written by name; damage is reported."""

from __future__ import annotations

import gzip
import io
import os
import random
import stat
import tarfile
import zipfile
import zlib
from pathlib import Path

import py7zr
import pytest
from containers_testkit import (
    RawMember,
    aes_encrypt,
    aes_extra,
    broker_csv,
    clean_csv,
    compress,
    deflated,
    found_in,
    make_pack,
    run_scan,
    statuses,
    tar_bytes,
    write_7z,
    write_raw_zip,
    write_zip,
    zip_bytes,
    zipcrypto_encrypt,
)

from verifydel import containers
from verifydel.exitcodes import ExitCode
from verifydel.scan import LoadedPack

LOCKED = "encrypted member is locked (give --password)"
WRONG = "the password given does not open this encrypted member"


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> LoadedPack:
    return make_pack(tmp_path_factory.mktemp("pack"))


def _truncate(path: Path, keep: float) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


# --- truncated and corrupt -----------------------------------------------------
def test_truncated_gzip_keeps_the_rows_before_the_cut(tmp_path: Path, pack: LoadedPack) -> None:
    arc = tmp_path / "members.csv.gz"
    arc.write_bytes(gzip.compress(broker_csv(40_000)))
    _truncate(arc, 0.5)
    report = run_scan([arc], pack)
    status, error = statuses(report)[str(arc)]
    assert status == "partial" and "ends early" in error
    assert found_in(report) == [f"{arc}!/members.csv"]  # the leaked row came before the cut
    member = next(s for s in report.sources if s.path == f"{arc}!/members.csv")
    assert 1000 < member.rows < 40_000
    assert report.exit_code == ExitCode.FOUND


@pytest.mark.parametrize("fmt", ["bz2", "xz", "zst"])
def test_truncated_streams_are_partial(tmp_path: Path, pack: LoadedPack, fmt: str) -> None:
    arc = tmp_path / f"members.csv.{fmt}"
    arc.write_bytes(compress(broker_csv(40_000), fmt))
    _truncate(arc, 0.7)
    report = run_scan([arc], pack)
    status, error = statuses(report)[str(arc)]
    assert status == "partial" and "ends early" in error and report.exit_code == ExitCode.FOUND


def test_truncated_zip_is_walked_from_its_local_headers(tmp_path: Path, pack: LoadedPack) -> None:
    arc = write_zip(
        tmp_path / "a.zip",
        [("leak.csv", broker_csv()), ("big.csv", broker_csv(40_000, leaked_first=False))],
    )
    _truncate(arc, 0.6)  # the end record and half of big.csv are gone
    report = run_scan([arc], pack)
    status, error = statuses(report)[str(arc)]
    assert status == "partial" and "central directory is missing" in error
    assert found_in(report) == [f"{arc}!/leak.csv"]
    assert (
        next(s for s in report.sources if s.path == f"{arc}!/big.csv").rows > 1000
    )  # read up to the cut


@pytest.mark.parametrize(
    "fmt, reason", [("", "ends inside member 2"), ("gz", "gzip data ends early")]
)
def test_truncated_tar_keeps_the_members_before_the_cut(
    tmp_path: Path, pack: LoadedPack, fmt: str, reason: str
) -> None:
    tar = tar_bytes(
        [("leak.csv", broker_csv()), ("big.csv", broker_csv(40_000, leaked_first=False))]
    )
    arc = tmp_path / ("a.tar." + fmt if fmt else "a.tar")
    arc.write_bytes(compress(tar, fmt) if fmt else tar)
    _truncate(arc, 0.5)
    report = run_scan([arc], pack)
    status, error = statuses(report)[str(arc)]
    assert status == "partial" and reason in error
    assert found_in(report) == [f"{arc}!/leak.csv"]
    assert next(s for s in report.sources if s.path == f"{arc}!/big.csv").rows > 1000


def test_tar_cut_at_a_member_boundary_is_partial(tmp_path: Path, pack: LoadedPack) -> None:
    data = tar_bytes([("a.csv", clean_csv()), ("leak.csv", broker_csv())])
    arc = tmp_path / "cut.tar"
    arc.write_bytes(data[:1024])  # header + data block of a.csv: no end marker
    report = run_scan([arc], pack)
    assert (
        statuses(report)[str(arc)][0] == "partial"
        and "without its end marker" in statuses(report)[str(arc)][1]
    )


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_corrupt_member_data_is_reported_and_the_next_member_read(
    tmp_path: Path, pack: LoadedPack, seed: int
) -> None:
    data = broker_csv(2000)
    bad = bytearray(deflated(data))
    # Seeded, so the run is repeatable: random garbage sometimes inflates to text that
    # fails decoding before the checksum is reached (then the archive carries the reason).
    bad[len(bad) // 2 : len(bad) // 2 + 40] = random.Random(seed).randbytes(40)
    arc = write_raw_zip(
        tmp_path / "c.zip",
        [
            RawMember("broken.csv", [bytes(bad)], crc=zlib.crc32(data), declared_size=len(data)),
            RawMember(
                "leak.csv",
                [deflated(broker_csv())],
                crc=zlib.crc32(broker_csv()),
                declared_size=len(broker_csv()),
            ),
        ],
    )
    report = run_scan([arc], pack)
    found = statuses(report)
    member_status, member_reason = found[f"{arc}!/broken.csv"]
    assert member_status in ("failed", "partial")
    reasons = (member_reason or "") + " | " + (found[str(arc)][1] or "")
    assert "corrupt" in reasons or "checksum" in reasons, reasons
    assert f"{arc}!/leak.csv" in found_in(report) and report.incomplete_sources >= 1


def test_checksum_mismatch_is_reported(tmp_path: Path, pack: LoadedPack) -> None:
    arc = write_raw_zip(
        tmp_path / "crc.zip",
        [
            RawMember(
                "leak.csv", [deflated(broker_csv())], crc=12345, declared_size=len(broker_csv())
            ),
        ],
    )
    report = run_scan([arc], pack)
    assert found_in(report) == [f"{arc}!/leak.csv"]  # what it held was scanned
    assert statuses(report)[f"{arc}!/leak.csv"] == (
        "failed",
        statuses(report)[f"{arc}!/leak.csv"][1],
    )
    assert "checksum" in statuses(report)[f"{arc}!/leak.csv"][1]


@pytest.mark.parametrize(
    "name, content",
    [
        ("junk.zip", b"PK\x03\x04" + os.urandom(3000)),
        ("junk.tar.gz", b"\x1f\x8b\x08\x00" + os.urandom(3000)),
        ("junk.7z", b"7z\xbc\xaf\x27\x1c" + os.urandom(3000)),
        ("junk.bz2", b"BZh91AY&SY" + os.urandom(3000)),
        ("junk.xz", b"\xfd7zXZ\x00" + os.urandom(3000)),
        ("junk.zst", b"\x28\xb5\x2f\xfd" + os.urandom(3000)),
    ],
)
def test_corrupt_archives_fail_with_a_reason(
    tmp_path: Path, pack: LoadedPack, name: str, content: bytes
) -> None:
    arc = tmp_path / name
    arc.write_bytes(content)
    report = run_scan([arc], pack)
    own = report.sources[0]
    assert own.path == str(arc) and own.status in ("failed", "partial") and own.error
    assert "unexpected" not in own.error  # a recognised failure, not a crash
    assert report.exit_code == ExitCode.INCOMPLETE


def test_data_after_the_compressed_stream_is_reported(tmp_path: Path, pack: LoadedPack) -> None:
    arc = tmp_path / "x.csv.gz"
    arc.write_bytes(gzip.compress(broker_csv()) + bytes(100) + b"hidden payload")
    report = run_scan([arc], pack)
    status, error = statuses(report)[str(arc)]
    assert status == "partial" and "after the end of the gzip data" in error
    assert found_in(report) == [f"{arc}!/x.csv"]


def test_zero_padding_after_the_stream_is_fine(tmp_path: Path, pack: LoadedPack) -> None:
    arc = tmp_path / "x.csv.gz"
    arc.write_bytes(gzip.compress(broker_csv()) + bytes(4096))
    assert statuses(run_scan([arc], pack))[str(arc)] == ("scanned", None)


def test_data_after_the_tar_end_is_reported_and_a_second_tar_read(
    tmp_path: Path, pack: LoadedPack
) -> None:
    arc = tmp_path / "two.tar"
    arc.write_bytes(tar_bytes([("a.csv", clean_csv())]) + tar_bytes([("leak.csv", broker_csv())]))
    report = run_scan([arc], pack)
    assert found_in(report) == [f"{arc}!/leak.csv"] and statuses(report)[str(arc)] == (
        "scanned",
        None,
    )
    junk = tmp_path / "junk.tar"
    junk.write_bytes(tar_bytes([("leak.csv", broker_csv())]) + b"hidden" * 200)
    status, error = statuses(run_scan([junk], pack))[str(junk)]
    assert status == "partial" and "after the end of the tar" in error


def test_overlapping_zip_members_stop_the_archive(tmp_path: Path, pack: LoadedPack) -> None:
    arc = write_zip(tmp_path / "o.zip", [("leak.csv", broker_csv())])
    raw = bytearray(arc.read_bytes())
    cd = raw.index(b"PK\x01\x02")
    end = raw.index(b"PK\x05\x06")
    entry = bytes(raw[cd:end])
    twice = raw[:cd] + entry + entry.replace(b"leak.csv", b"copy.csv")
    eocd = bytearray(raw[end:])
    eocd[8:10] = eocd[10:12] = (2).to_bytes(2, "little")
    eocd[12:16] = (2 * len(entry)).to_bytes(4, "little")
    arc.write_bytes(bytes(twice) + bytes(eocd))
    report = run_scan([arc], pack)
    status, error = statuses(report)[str(arc)]
    assert status == "partial" and "overlaps" in error
    assert found_in(report) == [f"{arc}!/leak.csv"]


# --- names and links -----------------------------------------------------------
TRAVERSAL = ["../../etc/passwd.csv", "/abs.csv", "..\\..\\windows.csv", "a/../../../up.csv"]


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_path_traversal_names_are_only_labels(
    tmp_path: Path, pack: LoadedPack, kind: str, monkeypatch: pytest.MonkeyPatch, spool_dir: Path
) -> None:
    members = [(name, broker_csv()) for name in TRAVERSAL]
    arc = tmp_path / "in" / f"evil.{kind}"
    arc.parent.mkdir()
    arc.write_bytes(zip_bytes(members) if kind == "zip" else compress(tar_bytes(members), "gz"))
    cwd = tmp_path / "work" / "deep" / "er"
    cwd.mkdir(parents=True)
    monkeypatch.chdir(cwd)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    report = run_scan([arc], pack)
    assert sorted(found_in(report)) == sorted(f"{arc}!/{name}" for name in TRAVERSAL)
    assert (
        sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
    )  # nothing written anywhere
    assert list(cwd.iterdir()) == [] and list(spool_dir.iterdir()) == []
    assert not Path("/abs.csv").exists()


def test_tar_links_are_reported_not_followed(tmp_path: Path, pack: LoadedPack) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for name, kind, target in [
            ("sym.csv", tarfile.SYMTYPE, "/etc/passwd"),
            ("hard.csv", tarfile.LNKTYPE, "leak.csv"),
        ]:
            info = tarfile.TarInfo(name)
            info.type, info.linkname = kind, target
            t.addfile(info)
        info = tarfile.TarInfo("fifo")
        info.type = tarfile.FIFOTYPE
        t.addfile(info)
        info = tarfile.TarInfo("dir")
        info.type = tarfile.DIRTYPE
        t.addfile(info)
        data = broker_csv()
        info = tarfile.TarInfo("leak.csv")
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
    arc = tmp_path / "links.tar"
    arc.write_bytes(buf.getvalue())
    report = run_scan([arc], pack)
    found = statuses(report)
    assert found[f"{arc}!/sym.csv"] == ("failed", "link member not followed")
    assert found[f"{arc}!/hard.csv"] == ("failed", "link member not followed")
    assert f"{arc}!/fifo" not in found and f"{arc}!/dir" not in found
    assert found_in(report) == [f"{arc}!/leak.csv"]


def test_zip_symlinks_are_reported_not_followed(tmp_path: Path, pack: LoadedPack) -> None:
    arc = tmp_path / "links.zip"
    with zipfile.ZipFile(arc, "w") as z:
        info = zipfile.ZipInfo("passwd.csv")
        info.create_system = 3
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        z.writestr(info, "/etc/passwd")
        z.writestr("folder/", b"")
        z.writestr("clean.csv", clean_csv())
    found = statuses(run_scan([arc], pack))
    assert found[f"{arc}!/passwd.csv"] == ("failed", "link member not followed")
    assert f"{arc}!/folder/" not in found and found[f"{arc}!/clean.csv"] == ("scanned", None)


def test_7z_symlinks_are_reported_not_followed(tmp_path: Path, pack: LoadedPack) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "leak.csv").write_bytes(broker_csv())
    (src / "passwd.csv").symlink_to("/etc/passwd")
    arc = tmp_path / "links.7z"
    with py7zr.SevenZipFile(arc, "w") as z:
        z.writeall(src, "src")
    report = run_scan([arc], pack)
    found = statuses(report)
    assert found[f"{arc}!/src/passwd.csv"] == ("failed", "link member not followed")
    assert found_in(report) == [f"{arc}!/src/leak.csv"]


# --- encryption ------------------------------------------------------------------
def _zipcrypto_zip(path: Path, password: bytes) -> Path:
    data = broker_csv()
    crc = zlib.crc32(data)
    member = RawMember(
        "leak.csv",
        [zipcrypto_encrypt(deflated(data), password, crc)],
        crc=crc,
        declared_size=len(data),
        flags=0x1,
    )
    return write_raw_zip(
        path,
        [
            member,
            RawMember(
                "open.csv",
                [deflated(clean_csv())],
                crc=zlib.crc32(clean_csv()),
                declared_size=len(clean_csv()),
            ),
        ],
    )


def test_zipcrypto_member_is_locked_without_the_password(tmp_path: Path, pack: LoadedPack) -> None:
    arc = _zipcrypto_zip(tmp_path / "enc.zip", b"secret")
    with zipfile.ZipFile(
        arc
    ) as z:  # a standard ZipCrypto member: the standard library opens it too
        assert z.read("leak.csv", pwd=b"secret") == broker_csv()
    report = run_scan([arc], pack)
    found = statuses(report)
    assert found[f"{arc}!/leak.csv"] == ("failed", LOCKED) and found[f"{arc}!/open.csv"] == (
        "scanned",
        None,
    )
    assert report.exit_code == ExitCode.INCOMPLETE


def test_zipcrypto_member_opens_with_the_password(tmp_path: Path, pack: LoadedPack) -> None:
    arc = _zipcrypto_zip(
        tmp_path / "enc.zip", "秘密".encode("cp932")
    )  # as Japanese Windows tools encode it
    report = run_scan([arc], pack, password="秘密")
    assert found_in(report) == [f"{arc}!/leak.csv"] and report.incomplete_sources == 0
    assert statuses(run_scan([arc], pack, password="wrong"))[f"{arc}!/leak.csv"] == ("failed", WRONG)


def _aes_zip(path: Path, password: bytes, tamper: bool = False) -> Path:
    data = broker_csv(100)
    blob = bytearray(aes_encrypt(deflated(data), password))
    if tamper:
        blob[40] ^= 1
    member = RawMember(
        "leak.csv",
        [bytes(blob)],
        method=99,
        crc=0,
        declared_size=len(data),
        flags=0x1,
        extra=aes_extra(8),
    )
    return write_raw_zip(path, [member])


def test_aes_member(tmp_path: Path, pack: LoadedPack) -> None:
    arc = _aes_zip(tmp_path / "aes.zip", b"secret")
    assert statuses(run_scan([arc], pack))[f"{arc}!/leak.csv"] == ("failed", LOCKED)
    report = run_scan([arc], pack, password="secret")
    assert found_in(report) == [f"{arc}!/leak.csv"] and report.incomplete_sources == 0
    assert statuses(run_scan([arc], pack, password="wrong"))[f"{arc}!/leak.csv"] == ("failed", WRONG)


def test_aes_member_that_was_altered_fails_its_authentication(
    tmp_path: Path, pack: LoadedPack
) -> None:
    arc = _aes_zip(tmp_path / "aes.zip", b"secret", tamper=True)
    status, error = statuses(run_scan([arc], pack, password="secret"))[f"{arc}!/leak.csv"]
    assert status == "failed" and ("authentication" in error or "corrupt" in error)


def test_7z_encrypted(tmp_path: Path, pack: LoadedPack) -> None:
    arc = write_7z(tmp_path / "enc.7z", [("leak.csv", broker_csv())], password="secret")
    assert statuses(run_scan([arc], pack))[f"{arc}!/leak.csv"] == ("failed", LOCKED)
    report = run_scan([arc], pack, password="secret")
    assert found_in(report) == [f"{arc}!/leak.csv"] and report.incomplete_sources == 0
    wrong = run_scan([arc], pack, password="wrong")
    status, error = statuses(wrong)[str(arc)]
    # 7z's IV is random: a wrong key sometimes inflates a little garbage before LZMA
    # fails (partial), sometimes nothing (failed). Never clean, always the reason.
    assert status in ("failed", "partial") and "password" in error
    assert wrong.incomplete_sources >= 1 and wrong.matches.height == 0


def test_7z_with_encrypted_names(tmp_path: Path, pack: LoadedPack) -> None:
    arc = write_7z(
        tmp_path / "enc.7z", [("leak.csv", broker_csv())], password="secret", header_encryption=True
    )
    status, error = statuses(run_scan([arc], pack))[str(arc)]
    assert status == "failed" and "locked" in error
    assert found_in(run_scan([arc], pack, password="secret")) == [f"{arc}!/leak.csv"]
