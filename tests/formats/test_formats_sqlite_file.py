"""SQLite files met in folders or archives: live tables, recovered rows, and their WAL searched."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from verifydel.scan import scan


@pytest.fixture
def pack(tmp_path: Path, pack_factory):
    return pack_factory(tmp_path, "ID,氏名,電話番号\nA1,山田太郎,090-1111-2222\n")


def _db(path: Path, *, wal: bool = False) -> sqlite3.Connection:
    db = sqlite3.connect(path)
    if wal:
        db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE shimei (id INTEGER PRIMARY KEY, shimei TEXT, denwa TEXT)")
    db.executemany(
        "INSERT INTO shimei (shimei, denwa) VALUES (?, ?)",
        [("別人", "0300000000"), ("山田太郎", "09011112222")],
    )
    db.commit()
    return db


def test_sqlite_file_in_a_folder_is_read_table_by_table(tmp_path: Path, pack) -> None:
    folder = tmp_path / "broker"
    folder.mkdir()
    _db(folder / "crm.sqlite3").close()
    report = scan([str(folder)], pack)
    assert [(s.path, s.kind, s.status, s.rows) for s in report.sources] == [
        (f"{folder}/crm.sqlite3!/shimei", "sqlite", "scanned", 2),
        (f"{folder}/crm.sqlite3!/shimei#recovered", "sqlite-recovered", "scanned", 0),
        (f"{folder}/crm.sqlite3!/#recovered", "sqlite-recovered", "scanned", 0),
    ]
    assert report.matches.select("source", "row", "record_id").rows() == [
        (f"{folder}/crm.sqlite3!/shimei", 2, "A1")
    ]
    details = report.sources[0].details
    assert details["journal_mode"] == "rollback" and details["freelist_pages"] == 0
    assert details["page_size"] == 4096 and details["recovered_cells"] == 0


def test_a_live_wal_is_searched_and_its_index_noted(tmp_path: Path, pack) -> None:
    folder = tmp_path / "broker"
    folder.mkdir()
    db = _db(folder / "crm.db", wal=True)  # kept open: the -wal and -shm files exist
    try:
        report = scan([str(folder)], pack)
    finally:
        db.close()
    kinds = {s.path.removeprefix(f"{folder}/"): s for s in report.sources}
    assert kinds["crm.db-wal!/shimei"].kind == "sqlite-wal"
    assert kinds["crm.db-wal!/shimei"].status == "scanned" and kinds["crm.db-wal!/shimei"].rows == 2
    assert kinds["crm.db-shm"].status == "scanned"
    # the committed row, read through the database and, live, in the WAL
    found = report.matches.select("source", "recovered").rows()
    assert sorted(found, key=str) == [
        (f"{folder}/crm.db!/shimei", None),
        (f"{folder}/crm.db-wal!/shimei", False),
    ]
    assert report.incomplete_sources == 0


def test_a_database_sqlite_cannot_open_still_gets_its_pages_walked(tmp_path: Path, pack) -> None:
    folder = tmp_path / "broker"
    folder.mkdir()
    _db(folder / "crm.db").close()
    raw = bytearray((folder / "crm.db").read_bytes())
    raw[100:108] = b"\xff" * 8  # page 1's b-tree header: SQLite refuses the schema
    (folder / "crm.db").write_bytes(bytes(raw))
    report = scan([str(folder)], pack)
    got = {s.path.removeprefix(f"{folder}/"): s.status for s in report.sources}
    assert got["crm.db"] == "failed"
    assert got["crm.db!/#recovered"] in ("scanned", "partial")
