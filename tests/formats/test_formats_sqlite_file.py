"""SQLite files met in folders or archives are read as tables; their WAL/journal are never taken as clean."""

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
    db.executemany("INSERT INTO shimei (shimei, denwa) VALUES (?, ?)", [("別人", "0300000000"), ("山田太郎", "09011112222")])
    db.commit()
    return db


def test_sqlite_file_in_a_folder_is_read_table_by_table(tmp_path: Path, pack) -> None:
    folder = tmp_path / "broker"
    folder.mkdir()
    _db(folder / "crm.sqlite3").close()
    report = scan([str(folder)], pack)
    assert [(s.path, s.kind, s.status, s.rows) for s in report.sources] == [
        (f"{folder}/crm.sqlite3!/shimei", "sqlite", "scanned", 2)
    ]
    assert report.matches.select("source", "row", "record_id").rows() == [(f"{folder}/crm.sqlite3!/shimei", 2, "A1")]


def test_a_live_wal_is_reported_partial_never_clean(tmp_path: Path, pack) -> None:
    folder = tmp_path / "broker"
    folder.mkdir()
    db = _db(folder / "crm.db", wal=True)  # kept open: the -wal and -shm files exist
    try:
        report = scan([str(folder)], pack)
    finally:
        db.close()
    kinds = {s.kind: s for s in report.sources}
    assert kinds["sqlite-wal"].status == "partial" or kinds["sqlite-wal"].status == "failed"
    assert "not searched" in kinds["sqlite-wal"].error
    assert kinds["sqlite-shm"].status == "scanned"
    assert report.matches.height == 1  # the committed row, read through the database
    assert report.incomplete_sources >= 1
