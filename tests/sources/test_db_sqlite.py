"""SQLite URIs: listing, row order, text values, read-only, WAL left untouched, streaming.

``sqlite:///PATH`` expands to the database file (and its -wal/-journal beside it), read by the
same format reader as the file given by its path: live tables, then the deleted rows."""

from __future__ import annotations

import hashlib
import sqlite3
import tracemalloc
from pathlib import Path

import polars as pl
import pytest

from verifydel.exitcodes import ExitCode
from verifydel.scan import LoadedPack, scan
from verifydel.sources import Unit, UnitFailure, expand
from verifydel.formats.sqlite import live as sqlite
from verifydel.formats import open_tables


def _live_tables(source: str) -> list:
    """The live tables (not the recovered ones) of an sqlite URI's database file."""
    [unit, *_] = expand(source)
    assert isinstance(unit, Unit), unit
    return [t for t in open_tables(unit) if t.kind == "sqlite"]


def _broker(path: Path) -> Path:
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        CREATE TABLE 会員 (id INTEGER PRIMARY KEY AUTOINCREMENT, 氏名 TEXT, 電話番号, 住所 TEXT, 写真 BLOB);
        CREATE TABLE 連絡先 (電話 TEXT PRIMARY KEY, 氏名 TEXT) WITHOUT ROWID;
        CREATE TABLE "log ""x"" 2" (氏名 TEXT, 電話番号 TEXT);
        CREATE VIEW 会員_v AS SELECT 氏名, 電話番号 FROM 会員;
        CREATE INDEX 会員_氏名 ON 会員 (氏名, 電話番号);
        """
    )
    conn.executemany(
        "INSERT INTO 会員 VALUES (?, ?, ?, ?, ?)",
        [
            (3, "高橋三郎", "06-9999-0000", "兵庫県神戸市中央区加納町1-1", b"\x89PNG\xff"),
            (1, "田中次郎", 312345678, "神奈川県横浜市西区高島1-1", None),
            (10, None, None, None, None),  # "10" sorts before "2" as text
            (
                2,
                "山田\u3000太郎",
                "０９０−１１１１−２２２２",
                "東京都千代田区千代田一丁目1番",
                "写真".encode(),
            ),
            (
                4,
                "佐藤花子",
                8033334444.0,
                "大阪府大阪市北区梅田3-1-1",
                None,
            ),  # a phone stored as REAL
        ],
    )
    conn.executemany(
        "INSERT INTO 連絡先 VALUES (?, ?)",
        [("090-9999-0000", "別人"), ("070-5555-6666", "鈴木一郎"), ("080-0000-0000", "別人")],
    )
    conn.executemany(
        'INSERT INTO "log ""x"" 2" VALUES (?, ?)',
        [
            ("伊藤", "03-0000-0001"),
            ("高橋美咲", b"090-7777-8888"),
            ("渡辺", "03-0000-0002"),
        ],
    )
    conn.commit()
    conn.close()
    return path


def test_every_table_is_one_unit_views_and_internal_tables_are_not(tmp_path: Path) -> None:
    db = _broker(tmp_path / "broker.db")
    [unit] = expand(f"sqlite://{db}")
    assert isinstance(unit, Unit) and unit.kind == "sqlite" and unit.path == db
    # sqlite_sequence (AUTOINCREMENT) and the view are not listed; code-point order.
    assert [t.label for t in _live_tables(f"sqlite://{db}")] == [
        f"sqlite://{db}!/{n}" for n in ['log "x" 2', "会員", "連絡先"]
    ]


def test_planted_rows_are_found_with_labels_and_row_numbers(
    tmp_path: Path, leaked_pack: LoadedPack
) -> None:
    db = _broker(tmp_path / "broker.db")
    report = scan([f"sqlite://{db}"], leaked_pack)
    assert report.exit_code == ExitCode.FOUND
    assert all(s.status == "scanned" and s.kind.startswith("sqlite") for s in report.sources)
    found = report.matches.select("source", "row", "record_id").rows()
    label = f"sqlite://{db}!/"
    assert found == [
        (label + 'log "x" 2', 2, "L004"),  # a phone in a BLOB, read as its UTF-8 text
        (label + "会員", 2, "L001"),  # rowid order, not insertion order
        (label + "会員", 4, "L002"),  # REAL 8033334444.0 read as "8033334444"
        (label + "連絡先", 1, "L003"),  # WITHOUT ROWID: primary-key order
    ]


def test_values_are_text_in_rowid_order(tmp_path: Path) -> None:
    db = _broker(tmp_path / "broker.db")
    [table] = _live_tables(f"sqlite://{db}?table=会員")
    assert table.columns == ["id", "氏名", "電話番号", "住所", "写真"]
    [batch] = list(table.batches)
    assert batch.dtypes == [pl.String] * 5
    assert batch["id"].to_list() == ["1", "2", "3", "4", "10"]
    assert batch["電話番号"].to_list() == [
        "312345678",
        "０９０−１１１１−２２２２",
        "06-9999-0000",
        "8033334444",
        None,
    ]
    assert batch["写真"].to_list() == [None, "写真", "0x89504e47ff", None, None]


def test_a_named_view_is_scanned_and_a_missing_name_is_a_failure(tmp_path: Path) -> None:
    db = _broker(tmp_path / "broker.db")
    view, missing = _live_tables(f"sqlite://{db}?table=会員_v&table=nothing")
    assert view.label == f"sqlite://{db}!/会員_v"
    assert sum(b.height for b in view.batches) == 5
    assert missing.label == f"sqlite://{db}!/nothing"
    with pytest.raises(Exception, match="no such table"):
        list(missing.batches)


def test_the_tables_argument_adds_to_the_uri(tmp_path: Path) -> None:
    from verifydel.sources.databases import expand as expand_database

    db = _broker(tmp_path / "broker.db")
    [unit] = expand_database(f"sqlite://{db}?table=会員", tables=["連絡先"])
    labels = [t.label for t in open_tables(unit) if t.kind == "sqlite"]
    assert labels == [f"sqlite://{db}!/会員", f"sqlite://{db}!/連絡先"]


def test_a_write_inside_verifydels_session_fails(tmp_path: Path) -> None:
    db = _broker(tmp_path / "broker.db")
    before = db.read_bytes()
    conn = sqlite.connect(str(db))
    try:
        for statement in [
            "INSERT INTO 会員 (氏名) VALUES ('x')",
            "DELETE FROM 会員",
            "CREATE TABLE t (a)",
        ]:
            with pytest.raises(sqlite3.OperationalError, match="readonly|read-only|query_only"):
                conn.execute(statement)
    finally:
        conn.close()
    assert db.read_bytes() == before


def test_a_wal_database_is_read_with_its_wal_and_left_untouched(
    tmp_path: Path, leaked_pack: LoadedPack
) -> None:
    db = tmp_path / "live.db"
    writer = sqlite3.connect(db)  # the broker's application, still running
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("CREATE TABLE 会員 (氏名 TEXT, 電話番号 TEXT)")
    writer.execute("INSERT INTO 会員 VALUES ('山田太郎', '090-1111-2222')")  # only in the WAL
    writer.commit()
    digest = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (db, Path(f"{db}-wal"))}
    try:
        report = scan([f"sqlite://{db}"], leaked_pack)
        # the live table (row 1), and the same row in the WAL's newest frame (not recovered)
        assert report.matches.select("row", "record_id").rows() == [(1, "L001"), (None, "L001")]
        assert report.matches["recovered"].to_list() == [None, False]
        after = {
            p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (db, Path(f"{db}-wal"))
        }
        assert after == digest  # no checkpoint, no write
    finally:
        writer.close()


def test_files_that_cannot_be_read_are_failures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "notes.txt").write_text("not a database at all, just some text\n" * 100)
    [not_a_db] = expand(f"sqlite://{tmp_path}/notes.txt")  # read by content, as the file would be
    assert isinstance(not_a_db, Unit) and not_a_db.kind == "sqlite"
    [missing] = expand("sqlite:///broker.db")
    assert missing.error.startswith("no such database file") and "sqlite://PATH" in missing.error
    [unknown] = expand(f"sqlite://{tmp_path}/notes.txt?mode=rw")
    assert "unknown URI parameter 'mode'" in unknown.error
    _broker(tmp_path / "broker.db")
    monkeypatch.chdir(tmp_path)
    assert _live_tables("sqlite://broker.db")[0].label == 'sqlite://broker.db!/log "x" 2'


def test_a_large_table_streams_in_bounded_batches(tmp_path: Path, leaked_pack: LoadedPack) -> None:
    db = tmp_path / "big.db"
    conn = sqlite3.connect(db)
    conn.execute(
        "CREATE TABLE 大量 AS WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 300000)"
        " SELECT i AS id, '会員' || i AS 氏名, printf('03-%04d-%04d', i % 10000, i % 9973) AS 電話番号 FROM g"
    )
    conn.execute("UPDATE 大量 SET 氏名 = '山田太郎', 電話番号 = '090-1111-2222' WHERE id = 250001")
    conn.commit()
    conn.close()
    [ref] = [r for r in sqlite.list_tables(str(db)) if r.name == "大量"]
    tracemalloc.start()
    try:
        table = sqlite.open_table(str(db), ref, f"sqlite://{db}!/大量", batch_rows=25_000)
        heights = [batch.height for batch in table.batches]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert heights == [25_000] * 12
    assert peak < 30 * 2**20, f"peak {peak / 2**20:.1f} MiB while streaming"  # all rows: ~100 MiB
    report = scan([f"sqlite://{db}"], leaked_pack)
    assert report.sources[0].rows == 300_000
    assert report.matches.select("row", "record_id").rows() == [(250_001, "L001")]


def test_a_table_name_that_is_not_utf8_is_a_failure_without_its_bytes(tmp_path: Path, leaked_pack: LoadedPack) -> None:
    path = tmp_path / "odd.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE zzqq (TEL TEXT)")
    raw = path.read_bytes()
    assert raw.count(b"zzqq") >= 2  # name, tbl_name and the CREATE statement
    path.write_bytes(raw.replace(b"zzqq", b"zz\xff\xfe"))  # same length: the record stays well-formed
    report = scan([f"sqlite:///{path}"], leaked_pack)
    source = report.sources[0]
    assert source.status == "failed" and "not valid UTF-8" in (source.error or "")
    for s in report.sources:
        assert "\\xff" not in (s.error or "") and "zz" not in (s.error or "")
