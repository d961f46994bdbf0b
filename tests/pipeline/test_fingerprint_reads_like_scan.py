"""`fingerprint` reads the leaked set with the scan's reader: archives, compressed files,
SQLite and live databases give the same pack (fingerprints and record ids) as the plain CSV."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import sqlite3
import tarfile
import zipfile
from pathlib import Path

import polars as pl
import pytest

from verifydel.errors import UsageError
from verifydel.fingerprint.build import build_pack
from verifydel.fingerprint.keys import generate_secret
from verifydel.fingerprint.pack import read_pack


ROWS = [
    ("顧客ID", "氏名", "住所", "電話番号"),
    ("C001", "山田 太郎", "東京都港区芝公園4-2-8", "03-1234-5678"),
    ("C002", "佐藤 花子", "大阪府大阪市北区梅田1-1-1", "06-2345-6789"),
    ("C003", "鈴木 一郎", "北海道札幌市中央区北1条西2丁目", "011-222-3333"),
    ("C004", "髙橋 美咲", "神奈川県横浜市中区山下町1-2-3", "090-1111-2222"),
]
CSV = "".join(",".join(r) + "\n" for r in ROWS).encode("utf-8")
SECRET = generate_secret()


def _contents(path: Path) -> tuple[pl.DataFrame, dict[int, tuple[list[int], list[int]]]]:
    _, contents, _ = read_pack(path, SECRET)
    index = {code: (fps.tolist(), rows.tolist()) for code, (fps, rows) in contents.index.items()}
    return contents.records, index


def _build(tmp_path: Path, source: str, **kw: object) -> tuple[pl.DataFrame, dict]:
    out = tmp_path / f"p{len(list(tmp_path.glob('p*.vdpack')))}.vdpack"
    build_pack([source], SECRET, out, **kw)  # type: ignore[arg-type]
    return _contents(out)


@pytest.fixture
def plain(tmp_path: Path) -> tuple[pl.DataFrame, dict]:
    path = tmp_path / "leak.csv"
    path.write_bytes(CSV)
    return _build(tmp_path, str(path))


def _zip(tmp_path: Path) -> Path:
    path = tmp_path / "leak.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("leak.csv", CSV)
    return path


def _gz(tmp_path: Path) -> Path:
    path = tmp_path / "leak.csv.gz"
    path.write_bytes(gzip.compress(CSV))
    return path


def _tar_xz(tmp_path: Path) -> Path:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("backup/leak.csv")
        info.size = len(CSV)
        tar.addfile(info, io.BytesIO(CSV))
    path = tmp_path / "backup.tar.xz"
    path.write_bytes(lzma.compress(buf.getvalue()))
    return path


def _bz2_in_zip(tmp_path: Path) -> Path:
    path = tmp_path / "nested.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("inner/leak.csv.bz2", bz2.compress(CSV))
    return path


def _sqlite(tmp_path: Path) -> Path:
    path = tmp_path / "crm.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE 顧客 (顧客ID TEXT, 氏名 TEXT, 住所 TEXT, 電話番号 TEXT)")
    conn.executemany("INSERT INTO 顧客 VALUES (?, ?, ?, ?)", ROWS[1:])
    conn.execute("INSERT INTO 顧客 VALUES ('X', '削除 済', '京都府京都市', '075-000-0000')")
    conn.commit()
    conn.execute("DELETE FROM 顧客 WHERE 顧客ID = 'X'")  # deleted rows are not the leaked set
    conn.commit()
    conn.close()
    return path


@pytest.mark.parametrize("make", [_zip, _gz, _tar_xz, _bz2_in_zip, _sqlite], ids=lambda f: f.__name__[1:])
def test_the_same_pack_from_a_container_or_database_file(tmp_path: Path, plain: tuple, make) -> None:
    records, index = _build(tmp_path, str(make(tmp_path)))
    assert records.equals(plain[0]) and index == plain[1]
    assert records["record_id"].to_list() == ["1", "2", "3", "4"]


def test_the_same_pack_with_an_id_column(tmp_path: Path) -> None:
    path = tmp_path / "leak.csv"
    path.write_bytes(CSV)
    by_csv = _build(tmp_path, str(path), id_column="顧客ID")
    by_zip = _build(tmp_path, str(_zip(tmp_path)), id_column="顧客ID")
    assert by_zip[0].equals(by_csv[0]) and by_zip[1] == by_csv[1]
    assert by_zip[0]["record_id"].to_list() == ["C001", "C002", "C003", "C004"]


def test_the_same_pack_from_a_live_postgresql_table(tmp_path: Path, plain: tuple, pg_uri: str, pg_schema) -> None:
    schema, admin = pg_schema
    admin.execute(f'CREATE TABLE "{schema}".leak (顧客ID text PRIMARY KEY, 氏名 text, 住所 text, 電話番号 text)')
    with admin.cursor() as cur:
        cur.executemany(f'INSERT INTO "{schema}".leak VALUES (%s, %s, %s, %s)', ROWS[1:])
    from verifydel.core.options import ReadOptions

    records, index = _build(tmp_path, pg_uri, options=ReadOptions(tables=[f"{schema}.leak"]))
    assert records.equals(plain[0]) and index == plain[1]


def test_what_is_not_a_table_is_still_refused(tmp_path: Path) -> None:
    notes = tmp_path / "notes.zip"
    with zipfile.ZipFile(notes, "w") as z:
        z.writestr("call.bin", b"\x00\x01binary\x00 03-1234-5678 \xff\xfe" * 10)
    with pytest.raises(UsageError, match="not a table"):
        build_pack([str(notes)], SECRET, tmp_path / "x.vdpack")
    assert not (tmp_path / "x.vdpack").exists()


def test_a_damaged_archive_is_an_error_not_a_partial_pack(tmp_path: Path) -> None:
    whole = _gz(tmp_path).read_bytes()
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(Exception, match="cannot read leaked source"):
        build_pack([str(cut)], SECRET, tmp_path / "x.vdpack")
    assert not (tmp_path / "x.vdpack").exists()


def test_sqlite_uri_and_path_give_the_same_matches(tmp_path: Path, leaked_pack) -> None:
    """``sqlite:///PATH`` searches the freed space, WAL and journal as ``PATH`` does."""
    from verifydel.scan import ScanOptions, scan

    db = tmp_path / "shop.db"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA secure_delete = OFF")
    conn.execute("CREATE TABLE members (id INTEGER PRIMARY KEY, 氏名 TEXT, 電話番号 TEXT, 住所 TEXT)")
    conn.executemany(
        "INSERT INTO members (氏名, 電話番号, 住所) VALUES (?, ?, ?)",
        [("山田　太郎", "090-1111-2222", "東京都千代田区千代田一丁目1番"), ("別人", "03-0000-0000", "どこか")]
        + [(f"他{i}", f"03-9999-{i:04d}", "無関係") for i in range(50)],
    )
    conn.commit()
    conn.execute("DELETE FROM members WHERE 氏名 = '山田　太郎'")
    conn.commit()
    conn.close()

    def found(source: str) -> list[tuple]:
        report = scan([source], leaked_pack, ScanOptions(threads=1))
        rows = report.matches.select("source", "row", "record_id", "strength", "recovered").rows()
        return sorted((s.split("!/", 1)[1], *rest) for s, *rest in rows)

    by_path = found(str(db))
    assert by_path and all(r[-1] for r in by_path)  # the deleted row, recovered
    assert found(f"sqlite://{db}") == by_path
