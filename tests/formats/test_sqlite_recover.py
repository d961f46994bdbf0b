"""Deleted SQLite rows recovered page by page: freeblocks, freed pages, overflow, WAL, journal.

Real database files built with the stdlib sqlite3 module (synthetic people),
rows deleted with secure_delete OFF (the Debian build defaults it ON), then read
by the walker directly (carved values) and by a scan (matches with page/offset).
"""

from __future__ import annotations

import random
import shutil
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import polars as pl
import pytest

from verifydel.errors import SourceError
from verifydel.formats import open_tables
from verifydel.formats.sqlite._cells import Carver
from verifydel.formats.sqlite._records import Shape
from verifydel.formats.sqlite._recover import RegionCut, carve_region
from verifydel.core.table import Table
from verifydel.report.json_report import render_json
from verifydel.report.model import Report
from verifydel.scan import ScanOptions, scan
from verifydel.core.unit import Unit

SURNAMES = ["山田", "佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "中村", "小林", "加藤"]
GIVEN = ["太郎", "花子", "一郎", "美咲", "健太", "陽子", "翔", "さくら"]
PLACES = [
    "東京都港区芝公園",
    "大阪府大阪市北区梅田",
    "愛知県名古屋市中区栄",
    "福岡県福岡市博多区博多駅前",
]
COLUMNS = ("shimei", "jusho", "denwa")

Row = tuple[str, str, str]


def people(n: int, seed: int = 1) -> list[Row]:
    """Synthetic people with unique phones (the phone's digits are the row index)."""
    rnd = random.Random(seed)
    return [
        (
            f"{rnd.choice(SURNAMES)} {rnd.choice(GIVEN)}",
            f"{rnd.choice(PLACES)}{rnd.randint(1, 9)}-{rnd.randint(1, 30)}-{rnd.randint(1, 20)}",
            f"090-{i // 10000:04d}-{i % 10000:04d}",
        )
        for i in range(n)
    ]


def build(
    path: Path,
    rows: Sequence[Row],
    delete: Sequence[int],
    *,
    secure_delete: str = "OFF",
    ipk: bool = True,
) -> sqlite3.Connection:
    """A database of ``rows`` (rowid i is rows[i - 1]) with the rowids ``delete`` deleted; left open."""
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA secure_delete = {secure_delete}")
    key = "id INTEGER PRIMARY KEY, " if ipk else ""
    db.execute(f"CREATE TABLE kokyaku ({key}shimei TEXT, jusho TEXT, denwa TEXT)")
    db.executemany("INSERT INTO kokyaku (shimei, jusho, denwa) VALUES (?, ?, ?)", rows)
    db.commit()
    db.executemany("DELETE FROM kokyaku WHERE rowid = ?", [(i,) for i in delete])
    db.commit()
    return db


def tables_of(path: Path) -> dict[str, Table]:
    return {t.label.split("!/", 1)[-1]: t for t in open_tables(Unit(label=path.name, path=path))}


def read(table: Table) -> pl.DataFrame:
    frames = list(table.batches)
    return pl.concat(frames) if frames else pl.DataFrame()


def values(frame: pl.DataFrame) -> set[Row]:
    return set(frame.select(COLUMNS).rows()) if frame.height else set()


# -- the walker, on the main file ---------------------------------------------
def test_cells_freed_into_freeblocks_come_back_with_their_values(tmp_path: Path) -> None:
    rows = people(600)
    deleted = list(range(5, 601, 5))  # scattered: freeblocks, no page freed
    path = tmp_path / "crm.db"
    build(path, rows, deleted).close()
    tables = tables_of(path)
    assert [t.kind for t in tables.values()] == ["sqlite", "sqlite-recovered", "sqlite-recovered"]
    got = read(tables["kokyaku#recovered"])
    assert values(got) == {rows[i - 1] for i in deleted}
    assert got.columns[:4] == ["id", "shimei", "jusho", "denwa"]
    assert got["__recovered"].all()
    raw = path.read_bytes()
    page_size = tables["kokyaku"].details["page_size"]
    for page, offset, phone in got.select("__page", "__offset", "denwa").rows():
        assert page == offset // page_size + 1  # offset: where the cell starts in the file
        assert raw.find(phone.encode(), offset, offset + 200) > offset
    assert read(tables["#recovered"]).height == 0
    details = tables["kokyaku"].details
    assert details["recovered_cells"] == len(deleted) and details["secure_delete"] == "off"
    assert details["journal_mode"] == "rollback" and details["auto_vacuum"] == "none"


def test_whole_freed_pages_give_their_rows_and_rowids(tmp_path: Path) -> None:
    rows = people(3000)
    deleted = list(range(1000, 2500))  # consecutive: whole leaf pages go to the freelist
    path = tmp_path / "crm.db"
    build(path, rows, deleted).close()
    tables = tables_of(path)
    got = read(tables["kokyaku#recovered"])
    assert tables["kokyaku"].details["freelist_pages"] > 10
    wanted = {rows[i - 1] for i in deleted}
    assert len(values(got) & wanted) >= 0.95 * len(
        wanted
    )  # a few cells are overwritten by the rebalancing
    with_id = got.filter(pl.col("id").is_not_null())
    assert with_id.height > 1000  # intact cells of freed pages keep their rowid
    for rowid, *value in with_id.select("id", *COLUMNS).rows():
        assert tuple(value) == rows[int(rowid) - 1]


def test_a_table_without_integer_primary_key(tmp_path: Path) -> None:
    rows = people(600)
    deleted = list(range(130, 600, 5))  # rowids of 2 bytes: the record header length is lost
    path = tmp_path / "crm.db"
    build(path, rows, deleted, ipk=False).close()
    got = read(tables_of(path)["kokyaku#recovered"])
    assert got.columns[:3] == list(COLUMNS)
    assert values(got) == {rows[i - 1] for i in deleted}


def test_rows_with_overflow_are_read_through_their_freed_overflow_pages(tmp_path: Path) -> None:
    rows = people(400)
    long = {
        i: (rows[i - 1][0], rows[i - 1][1] + "マンション" * (700 + 13 * i), rows[i - 1][2])
        for i in (50, 200, 350)
    }
    rows = [long.get(i, row) for i, row in enumerate(rows, 1)]
    path = tmp_path / "crm.db"
    db = build(path, rows, list(range(150, 190)))  # the freelist's trunk page comes from these
    db.executemany("DELETE FROM kokyaku WHERE id = ?", [(i,) for i in long])
    db.commit()
    db.close()
    tables = tables_of(path)
    got = read(tables["kokyaku#recovered"])
    phones = {row[2]: row for row in long.values()}
    found = [row for row in got.select(COLUMNS).rows() if row[2] in phones]
    # each address is 20-70 KB: several overflow pages, read whole; SQLite's rebalancing
    # after the delete overwrote one of the three cells
    assert len(found) >= 2 and all(row == phones[row[2]] for row in found)
    assert "overflow_unreadable" not in tables["kokyaku"].details


@pytest.mark.parametrize(
    "deleted", [range(5, 3000, 5), range(1000, 2000)], ids=["freeblocks", "freed-pages"]
)
def test_secure_delete_on_leaves_nothing_to_recover(tmp_path: Path, deleted: range) -> None:
    path = tmp_path / "crm.db"
    build(path, people(3000), deleted, secure_delete="ON").close()
    tables = tables_of(path)
    assert read(tables["kokyaku#recovered"]).height == 0
    assert read(tables["#recovered"]).height == 0
    assert tables["kokyaku"].details["secure_delete"] == "on"
    assert tables["kokyaku"].details["recovered_cells"] == 0


def test_secure_delete_misses_copies_that_rebalancing_left_behind(tmp_path: Path) -> None:
    """SQLite zeroes what it frees, not the stale bytes a page rebuild leaves below the
    cell content: a copy of a row deleted later survives there, and is found."""
    rows = people(3000)
    deleted = [*range(5, 3000, 5), *range(1000, 2000)]
    path = tmp_path / "crm.db"
    build(path, rows, deleted, secure_delete="ON").close()
    tables = tables_of(path)
    got = values(read(tables["kokyaku#recovered"]))
    assert got and got <= {rows[i - 1] for i in deleted}
    assert tables["kokyaku"].details["secure_delete"] == "on"


def test_a_dropped_table_is_recovered_with_generic_columns(tmp_path: Path) -> None:
    rows = people(2000)
    path = tmp_path / "crm.db"
    db = build(path, rows[:10], [])
    db.execute(
        "CREATE TABLE old_kokyaku (shimei TEXT, jusho TEXT, denwa TEXT, memo TEXT, kubun INTEGER)"
    )
    db.executemany("INSERT INTO old_kokyaku VALUES (?, ?, ?, 'x', 1)", rows)
    db.commit()
    db.execute("DROP TABLE old_kokyaku")
    db.commit()
    db.close()
    tables = tables_of(path)
    assert "old_kokyaku#recovered" not in tables  # its schema is gone
    got = read(tables["#recovered"])
    assert got.columns[:5] == ["c1", "c2", "c3", "c4", "c5"]
    found = set(got.select("c1", "c2", "c3").rows())
    assert len(found & set(rows)) >= 0.95 * len(rows)


def test_outputs_read_in_any_order_give_the_same_rows(tmp_path: Path) -> None:
    rows = people(600)
    path = tmp_path / "crm.db"
    build(path, rows, list(range(3, 600, 3))).close()
    forward = tables_of(path)
    first = values(read(forward["kokyaku#recovered"]))
    backward = tables_of(path)
    assert read(backward["#recovered"]).height == 0
    assert values(read(backward["kokyaku#recovered"])) == first
    abandoned = tables_of(path)
    batches = abandoned["kokyaku#recovered"].batches
    next(batches)
    batches.close()  # type: ignore[attr-defined]  # a reader that stopped part way
    with pytest.raises(SourceError, match="stopped before its end"):
        read(abandoned["#recovered"])


# -- WAL and journal ------------------------------------------------------------
def _wal_copy(tmp_path: Path, rows: list[Row], deleted: list[int]) -> Path:
    live = tmp_path / "live"
    live.mkdir()
    db = sqlite3.connect(live / "crm.db")
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA wal_autocheckpoint = 0")
    db.execute("PRAGMA secure_delete = OFF")
    db.execute("CREATE TABLE kokyaku (id INTEGER PRIMARY KEY, shimei TEXT, jusho TEXT, denwa TEXT)")
    db.executemany("INSERT INTO kokyaku (shimei, jusho, denwa) VALUES (?, ?, ?)", rows)
    db.commit()
    db.executemany("DELETE FROM kokyaku WHERE id = ?", [(i,) for i in deleted])
    db.commit()
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("crm.db", "crm.db-wal"):  # copied while the connection holds them open
        shutil.copy(live / name, copy / name)
    db.close()
    return copy


def test_a_wal_gives_live_and_deleted_rows(tmp_path: Path) -> None:
    rows = people(400)
    deleted = list(range(4, 401, 4))
    copy = _wal_copy(tmp_path, rows, deleted)
    wal = tables_of(copy / "crm.db-wal")
    assert [t.kind for t in wal.values()] == ["sqlite-wal", "sqlite-wal"]
    got = read(wal["kokyaku"])
    gone = {rows[i - 1] for i in deleted}
    assert values(got.filter(pl.col("__recovered"))) >= gone
    assert values(got.filter(~pl.col("__recovered"))) == set(rows) - gone
    details = wal["kokyaku"].details
    assert details["frames"] > 0 and details["committed_frames"] == details["frames"]
    assert details["live_cells"] == len(rows) - len(deleted)
    (copy / "crm.db").unlink()  # alone: the schema comes from page 1 in its frames
    assert (
        values(read(tables_of(copy / "crm.db-wal")["kokyaku"]).filter(pl.col("__recovered")))
        >= gone
    )


def _journal_copy(tmp_path: Path, rows: list[Row], deleted: list[int], spill: bool) -> Path:
    live = tmp_path / "live"
    live.mkdir()
    db = sqlite3.connect(live / "crm.db", isolation_level=None)
    db.execute("PRAGMA secure_delete = OFF")
    db.execute("CREATE TABLE kokyaku (id INTEGER PRIMARY KEY, shimei TEXT, jusho TEXT, denwa TEXT)")
    db.execute("BEGIN")
    db.executemany("INSERT INTO kokyaku (shimei, jusho, denwa) VALUES (?, ?, ?)", rows)
    db.execute("COMMIT")
    if (
        spill
    ):  # a cache too small for the transaction: SQLite syncs the journal and writes the database
        db.execute("PRAGMA cache_size = 2")
    db.execute("BEGIN")
    db.executemany("DELETE FROM kokyaku WHERE id = ?", [(i,) for i in deleted])
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("crm.db", "crm.db-journal"):  # mid-transaction: a hot journal
        shutil.copy(live / name, copy / name)
    db.execute("ROLLBACK")
    db.close()
    return copy


@pytest.mark.parametrize("spill", [False, True], ids=["magic-not-yet-written", "synced"])
def test_a_hot_journal_gives_the_rows_the_transaction_deletes(tmp_path: Path, spill: bool) -> None:
    rows = people(400)
    deleted = list(range(1, 401, 2))
    copy = _journal_copy(tmp_path, rows, deleted, spill)
    journal = tables_of(copy / "crm.db-journal")
    assert [t.kind for t in journal.values()] == ["sqlite-journal", "sqlite-journal"]
    got = read(journal["kokyaku"])
    assert got["__recovered"].all()
    assert len(values(got) & {rows[i - 1] for i in deleted}) >= 0.9 * len(deleted)
    assert journal["kokyaku"].details["page_records"] > 0


def test_a_persisted_journal_with_a_zeroed_header_is_still_read(tmp_path: Path) -> None:
    """journal_mode=PERSIST: on commit SQLite zeroes the journal's header, not its records."""
    rows = people(400)
    deleted = list(range(2, 401, 2))
    path = tmp_path / "crm.db"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = PERSIST")
    db.execute("PRAGMA secure_delete = ON")  # nothing left in the database file itself
    db.execute("CREATE TABLE kokyaku (id INTEGER PRIMARY KEY, shimei TEXT, jusho TEXT, denwa TEXT)")
    db.execute("BEGIN")
    db.executemany("INSERT INTO kokyaku (shimei, jusho, denwa) VALUES (?, ?, ?)", rows)
    db.execute("COMMIT")
    db.execute("BEGIN")
    db.executemany("DELETE FROM kokyaku WHERE id = ?", [(i,) for i in deleted])
    db.execute("COMMIT")
    db.close()
    journal = tmp_path / "crm.db-journal"
    assert journal.read_bytes()[:28] == bytes(28)
    gone = {rows[i - 1] for i in deleted}
    assert values(read(tables_of(path)["kokyaku#recovered"])) == set()
    found = values(read(tables_of(journal)["kokyaku"]))
    assert len(found & gone) >= 0.95 * len(gone)
    path.unlink()  # alone: its page size and schema from its own records
    assert len(values(read(tables_of(journal)["kokyaku"])) & gone) >= 0.95 * len(gone)


def test_an_overflow_chain_through_the_freelist_trunk_goes_on(tmp_path: Path) -> None:
    """The first page freed becomes the freelist's trunk: its list overwrites the start of the
    overflow content it held, and the next page's number. The chain goes on at the next page."""
    rows = people(40)
    path = tmp_path / "crm.db"
    db = sqlite3.connect(path)
    db.execute("PRAGMA secure_delete = OFF")
    db.execute(
        "CREATE TABLE memo (id INTEGER PRIMARY KEY, note TEXT, shimei TEXT, jusho TEXT, denwa TEXT)"
    )
    db.executemany(
        "INSERT INTO memo (note, shimei, jusho, denwa) VALUES (?, ?, ?, ?)",
        [("備考" * 3000, *r) for r in rows],
    )
    db.commit()
    db.execute("DELETE FROM memo")
    db.commit()
    db.close()
    tables = tables_of(path)
    got = read(tables["memo#recovered"])
    assert values(got) == set(rows)  # name and phone sit after ~12 KB of note, in overflow pages
    assert got.filter(pl.col("note").is_null()).height == 1  # the note the trunk overwrote
    assert tables["memo"].details["overflow_unreadable"] == 1


# -- corrupt files ----------------------------------------------------------------
def _statuses(report: Report, folder: Path) -> dict[str, tuple[str, str | None]]:
    return {s.path.removeprefix(f"{folder}/"): (s.status, s.error) for s in report.sources}


def test_a_truncated_database_is_partial_with_a_reason(tmp_path: Path, pack_factory) -> None:
    pack = pack_factory(tmp_path, "ID,氏名,電話番号\nA1,山田太郎,090-1111-2222\n")
    rows = people(3000)
    path = tmp_path / "src.db"
    build(path, rows, list(range(2, 3000, 2))).close()
    folder = tmp_path / "broker"
    folder.mkdir()
    raw = path.read_bytes()
    (folder / "cut.db").write_bytes(raw[: len(raw) // 2 + 100])
    report = scan([str(folder)], pack, ScanOptions(threads=1))
    got = _statuses(report, folder)
    status, error = got["cut.db!/kokyaku#recovered"]
    assert status == "partial" and "truncated" in (error or "")
    assert all("unexpected" not in (e or "") for _, e in got.values())


def test_a_truncated_wal_is_partial_and_a_garbage_one_failed(tmp_path: Path, pack_factory) -> None:
    pack = pack_factory(tmp_path, "ID,氏名,電話番号\nA1,山田太郎,090-1111-2222\n")
    copy = _wal_copy(tmp_path, people(400), list(range(4, 401, 4)))
    wal = (copy / "crm.db-wal").read_bytes()
    (copy / "crm.db-wal").write_bytes(wal[: len(wal) - 1000])
    report = scan([str(copy)], pack, ScanOptions(threads=1))
    status, error = _statuses(report, copy)["crm.db-wal!/kokyaku"]
    assert status == "partial" and "truncated" in (error or "")
    (copy / "crm.db-wal").write_bytes(wal[:8] + b"\xff" * 64)  # magic kept, header nonsense
    report = scan([str(copy)], pack, ScanOptions(threads=1))
    status, error = _statuses(report, copy)["crm.db-wal"]
    assert status == "failed" and "WAL" in (error or "")


@pytest.mark.parametrize("seed", range(6))
def test_damaged_pages_never_crash_the_walker(tmp_path: Path, seed: int) -> None:
    rows = people(1500, seed)
    path = tmp_path / "crm.db"
    build(path, rows, list(range(3, 1500, 3)) + list(range(600, 900))).close()
    raw = bytearray(path.read_bytes())
    rnd = random.Random(seed)
    for _ in range(
        400
    ):  # random bytes past the header: b-tree headers, pointers, freeblocks, cells
        raw[rnd.randrange(100, len(raw))] = rnd.randrange(256)
    path.write_bytes(bytes(raw))
    for table in open_tables(Unit(label="crm.db", path=path)):
        try:
            for batch in table.batches:
                assert set(batch.columns) >= set(table.columns)
        except Exception as exc:  # noqa: BLE001 - only our own errors are acceptable
            assert isinstance(exc, SourceError), repr(exc)


def test_bytes_that_look_like_cells_everywhere_cost_a_bounded_search() -> None:
    shape = Shape("t", ("id", "a", "b", "c"), ipk=0, root=2, text=(False, True, True, True))
    carver = Carver(65536, "utf-8", [shape], lambda n: None)
    crafted = b"\x00\x1b\x1b\x1b" * 8192  # serial types of a row at every 4th byte, no row
    with pytest.raises(RegionCut):
        list(carve_region(crafted, 0, len(crafted), carver, 0))


# -- end to end ---------------------------------------------------------------------
def test_scan_finds_deleted_survivors_as_recovered_with_page_and_offset(
    tmp_path: Path, pack_factory
) -> None:
    rows = people(800)
    planted = [17, 333, 640]  # leaked people the broker deleted
    leaked = "ID,氏名,住所,電話番号\n" + "".join(
        f"L{i},{rows[i - 1][0]},{rows[i - 1][1]},{rows[i - 1][2]}\n" for i in planted
    )
    pack = pack_factory(tmp_path, leaked)
    folder = tmp_path / "broker"
    folder.mkdir()
    build(folder / "crm.db", rows, [*planted, *range(400, 600)]).close()
    report = scan([str(folder)], pack, ScanOptions(threads=1))
    label = f"{folder}/crm.db!/kokyaku#recovered"
    got = report.matches.filter(pl.col("source") == label)
    assert sorted(got["record_id"].to_list()) == ["L17", "L333", "L640"]
    assert got["recovered"].all() and got["row"].is_null().all()
    assert got["page"].is_not_null().all() and got["offset"].is_not_null().all()
    assert (got["strength"] == "strong").all()
    live = report.matches.filter(pl.col("source") == f"{folder}/crm.db!/kokyaku")
    assert live.height == 0  # deleted from the live table
    source = next(s for s in report.sources if s.path == label)
    assert source.kind == "sqlite-recovered" and source.status == "scanned"
    assert source.columns["phone"] == ["denwa"] and source.columns["address"] == ["jusho"]
    text = render_json(report)
    assert '"recovered": true' in text and '"secure_delete": "off"' in text


def test_scan_finds_survivors_in_a_wal_beside_the_database(tmp_path: Path, pack_factory) -> None:
    rows = people(400)
    leaked = "ID,氏名,住所,電話番号\n" + "".join(
        f"L{i},{rows[i - 1][0]},{rows[i - 1][1]},{rows[i - 1][2]}\n" for i in (8, 9)
    )
    pack = pack_factory(tmp_path, leaked)
    copy = _wal_copy(tmp_path, rows, [8, *range(100, 200)])
    report = scan([str(copy)], pack, ScanOptions(threads=1))
    strong = report.matches.filter(pl.col("strength") == "strong")
    wal = strong.filter(pl.col("source") == f"{copy}/crm.db-wal!/kokyaku").sort("record_id")
    assert wal.select("record_id", "recovered").rows() == [("L8", True), ("L9", False)]
    assert wal["page"].is_not_null().all() and wal["offset"].is_not_null().all()
    assert strong.filter(pl.col("source") == f"{copy}/crm.db!/kokyaku")["record_id"].to_list() == [
        "L9"
    ]
