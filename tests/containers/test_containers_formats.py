"""Every container format, end to end: the planted leaked row is found under its `!/` path."""

from __future__ import annotations

import gzip
import zipfile
import zlib
from pathlib import Path

import openpyxl
import pytest
from containers_testkit import (
    RawMember,
    broker_csv,
    clean_csv,
    compress,
    deflated,
    found_in,
    gzip_named,
    make_pack,
    run_scan,
    statuses,
    tar_bytes,
    write_7z,
    write_raw_zip,
    write_zip,
    zip_bytes,
)

from verifydel import containers, formats
from verifydel.containers import (
    bzip2_stream,
    gzip_stream,
    sevenzip_archive,
    tar_archive,
    xz_stream,
    zip_archive,
    zstd_stream,
)
from verifydel.containers._single import inner_name
from verifydel.exitcodes import ExitCode
from verifydel.scan import LoadedPack
from verifydel.core.unit import Unit


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> LoadedPack:
    return make_pack(tmp_path_factory.mktemp("pack"))


@pytest.mark.parametrize(
    "method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA]
)
def test_zip_methods(tmp_path: Path, pack: LoadedPack, method: int) -> None:
    arc = write_zip(
        tmp_path / "a.zip", [("clean.csv", clean_csv()), ("dir/leak.csv", broker_csv(50))], method
    )
    report = run_scan([arc], pack)
    assert found_in(report) == [f"{arc}!/dir/leak.csv"]
    assert statuses(report) == {
        str(arc): ("scanned", None),
        f"{arc}!/clean.csv": ("scanned", None),
        f"{arc}!/dir/leak.csv": ("scanned", None),
    }
    assert report.sources[0].kind == "zip"
    assert report.exit_code == ExitCode.FOUND


def test_zip64(tmp_path: Path, pack: LoadedPack, monkeypatch: pytest.MonkeyPatch) -> None:
    """Written with the zip64 thresholds at zero: zip64 end record, zip64 sizes and offsets in every entry."""
    arc = tmp_path / "big.zip"
    with monkeypatch.context() as m:
        m.setattr(zipfile, "ZIP64_LIMIT", 0)
        m.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 1)
        write_zip(
            arc, [(f"part{i}.csv", clean_csv()) for i in range(3)] + [("leak.csv", broker_csv(10))]
        )
    raw = arc.read_bytes()
    assert b"PK\x06\x06" in raw and b"PK\x06\x07" in raw  # zip64 end record and locator
    with zipfile.ZipFile(arc) as z:  # a valid zip64 archive for the standard library too
        assert len(z.namelist()) == 4
    report = run_scan([arc], pack)
    assert found_in(report) == [f"{arc}!/leak.csv"]
    assert report.incomplete_sources == 0


@pytest.mark.parametrize("fmt", ["", "gz", "bz2", "xz", "zst"])
def test_tar_plain_and_compressed(tmp_path: Path, pack: LoadedPack, fmt: str) -> None:
    tar = tar_bytes([("2022/clean.csv", clean_csv()), ("2022/members.csv", broker_csv(20))])
    arc = tmp_path / (f"backup.tar.{fmt}" if fmt else "backup.tar")
    arc.write_bytes(compress(tar, fmt) if fmt else tar)
    report = run_scan([arc], pack)
    assert found_in(report) == [
        f"{arc}!/2022/members.csv"
    ]  # one level: the tar is read inside the stream
    assert [s.path for s in report.sources] == [
        str(arc),
        f"{arc}!/2022/clean.csv",
        f"{arc}!/2022/members.csv",
    ]
    assert report.incomplete_sources == 0


@pytest.mark.parametrize(
    "fmt, kind", [("gz", "gzip"), ("bz2", "bzip2"), ("xz", "xz"), ("zst", "zstd")]
)
def test_single_file_streams(tmp_path: Path, pack: LoadedPack, fmt: str, kind: str) -> None:
    arc = tmp_path / f"members.csv.{fmt}"
    arc.write_bytes(compress(broker_csv(30), fmt))
    report = run_scan([arc], pack)
    assert found_in(report) == [f"{arc}!/members.csv"]
    assert report.sources[0].kind == kind and report.sources[1].rows == 31
    assert report.incomplete_sources == 0


@pytest.mark.parametrize("encoding", ["utf-8", "cp932"])
def test_gzip_member_label_comes_from_the_header(
    tmp_path: Path, pack: LoadedPack, encoding: str
) -> None:
    arc = tmp_path / "upload.bin"
    arc.write_bytes(gzip_named(broker_csv(), "顧客一覧.csv".encode(encoding)))
    report = run_scan([arc], pack)
    assert found_in(report) == [f"{arc}!/顧客一覧.csv"]


@pytest.mark.parametrize(
    "label, suffixes, expected",
    [
        ("dir/x.csv.gz", gzip_stream.SUFFIXES, "x.csv"),
        ("a.zip!/b/backup.TGZ", gzip_stream.SUFFIXES, "backup.tar"),
        ("dump.sql.bz2", bzip2_stream.SUFFIXES, "dump.sql"),
        ("x.txz", xz_stream.SUFFIXES, "x.tar"),
        ("x.csv.zst", zstd_stream.SUFFIXES, "x.csv"),
        ("upload.bin", gzip_stream.SUFFIXES, "data"),
        (".gz", gzip_stream.SUFFIXES, "data"),
    ],
)
def test_inner_name(label: str, suffixes: dict[str, str], expected: str) -> None:
    assert inner_name(label, suffixes) == expected


def test_concatenated_gzip_members_are_one_stream(tmp_path: Path, pack: LoadedPack) -> None:
    arc = tmp_path / "two.csv.gz"
    arc.write_bytes(
        gzip.compress(f"{'名前,TEL'}\n別人,03-0000-0000\n".encode())
        + gzip.compress("山田太郎,09011112222\n".encode())
    )
    report = run_scan([arc], pack)
    assert found_in(report) == [f"{arc}!/two.csv"] and report.sources[1].rows == 2


def test_7z(tmp_path: Path, pack: LoadedPack) -> None:
    arc = write_7z(
        tmp_path / "a.7z",
        [("x/clean.csv", clean_csv()), ("x/leak.csv", broker_csv(40)), ("empty.csv", b"")],
    )
    report = run_scan([arc], pack)
    assert found_in(report) == [f"{arc}!/x/leak.csv"]
    assert report.sources[0].kind == "7z"
    assert {s.path for s in report.sources} == {
        str(arc),
        f"{arc}!/x/clean.csv",
        f"{arc}!/x/leak.csv",
        f"{arc}!/empty.csv",
    }
    assert report.incomplete_sources == 0


def test_nested_zip_in_tar_gz_in_zip(tmp_path: Path, pack: LoadedPack) -> None:
    inner = zip_bytes([("members.csv", broker_csv(5))])
    backup = compress(tar_bytes([("2022/members.zip", inner)]), "gz")
    arc = write_zip(tmp_path / "outer.zip", [("backup.tar.gz", backup), ("notes.csv", clean_csv())])
    report = run_scan([arc], pack)
    assert found_in(report) == [f"{arc}!/backup.tar.gz!/2022/members.zip!/members.csv"]
    kinds = {s.path: s.kind for s in report.sources}
    assert (
        kinds[f"{arc}!/backup.tar.gz"] == "gzip"
        and kinds[f"{arc}!/backup.tar.gz!/2022/members.zip"] == "zip"
    )
    assert report.incomplete_sources == 0


def test_an_extension_that_lies(tmp_path: Path, pack: LoadedPack) -> None:
    arc = tmp_path / "members.csv"
    arc.write_bytes(zip_bytes([("real.csv", broker_csv())]))
    report = run_scan([arc], pack)
    assert report.sources[0].kind == "zip" and found_in(report) == [f"{arc}!/real.csv"]


@pytest.mark.parametrize(
    "head, handler",
    [
        (zip_bytes([("a", b"x")]), zip_archive),
        (b"7z\xbc\xaf\x27\x1c\x00\x04", sevenzip_archive),
        (gzip.compress(b"x"), gzip_stream),
        (compress(b"x" * 100, "bz2"), bzip2_stream),
        (compress(b"x", "xz"), xz_stream),
        (compress(b"x", "zst"), zstd_stream),
        (tar_bytes([("a.csv", b"x")]), tar_archive),
        (b"ID,name\n1,x\n" * 50, None),
        (b"BZh9 not really bzip2" + bytes(500), None),
        (bytes(1024), None),
    ],
)
def test_detect_by_content(tmp_path: Path, head: bytes, handler: object) -> None:
    path = tmp_path / "unit.dat"
    path.write_bytes(head)
    assert containers.detect(Unit(label="unit.dat", path=path)) is handler


def _workbook(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["名前", "TEL"])
    ws.append(["山田太郎", "09011112222"])
    wb.save(path)
    return path


def test_a_plain_workbook_is_left_to_the_xlsx_reader(tmp_path: Path, pack: LoadedPack) -> None:
    book = _workbook(tmp_path / "book.xlsx")
    assert formats.reads_whole(Unit(label="book.xlsx", path=book))  # decided in one place
    report = run_scan([book], pack)
    assert [s.kind for s in report.sources] == ["xlsx"] and report.matches.height == 1


@pytest.mark.parametrize("hidden", ["hidden/leak.csv", "xl/media/leak.csv"])
def test_a_workbook_with_extra_members_is_opened_as_an_archive(
    tmp_path: Path, pack: LoadedPack, hidden: str
) -> None:
    book = _workbook(tmp_path / "book.xlsx")
    with zipfile.ZipFile(book, "a") as z:
        z.writestr(hidden, broker_csv())
    report = run_scan([book], pack)
    assert report.sources[0].kind == "zip"
    assert sorted(found_in(report)) == sorted([f"{book}!/Sheet", f"{book}!/{hidden}"])
    # the workbook's own parts are read as a workbook, not as members
    assert not any(s.path.endswith(".xml") for s in report.sources)


def test_members_are_streamed_to_private_temporary_files(tmp_path: Path, spool_dir: Path) -> None:
    arc = write_zip(
        tmp_path / "a.zip", [("../../secret name.csv", clean_csv()), ("b.csv", clean_csv())]
    )
    gen = zip_archive.members(Unit(label=str(arc), path=arc), containers.Limits())
    first = next(gen)
    assert isinstance(first, Unit) and first.path is not None and first.path.parent == spool_dir
    assert first.path.stat().st_mode & 0o777 == 0o600
    assert "secret" not in first.path.name and first.path.read_bytes() == clean_csv()
    assert (
        first.label == f"{arc}!/../../secret name.csv"
        and first.depth == 1
        and first.size == len(clean_csv())
    )
    second = next(gen)
    assert not first.path.exists()  # removed when the scanner asked for the next member
    assert isinstance(second, Unit) and second.budget is first.budget
    gen.close()
    assert not second.path.exists()  # and on every other way out


def test_control_characters_in_names_are_shown_as_question_marks(
    tmp_path: Path, pack: LoadedPack
) -> None:
    arc = tmp_path / "a.tar"
    arc.write_bytes(tar_bytes([("evil\x1b[2J\nname.csv", broker_csv())]))
    report = run_scan([arc], pack)
    assert found_in(report) == [f"{arc}!/evil?[2J?name.csv"]


def test_a_windows_zip_with_cp932_names(tmp_path: Path, pack: LoadedPack) -> None:
    """As Japanese Windows writes them: the name in CP932, no UTF-8 flag."""
    data = broker_csv()
    member = RawMember(
        name="",
        raw_name="名簿.csv".encode("cp932"),
        data=[deflated(data)],
        crc=zlib.crc32(data),
        declared_size=len(data),
    )
    arc = write_raw_zip(tmp_path / "win.zip", [member])
    report = run_scan([arc], pack)
    assert found_in(report) == [f"{arc}!/名簿.csv"]
