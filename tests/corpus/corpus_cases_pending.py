"""Cases for the readers added last: deleted SQLite records, unstructured bytes, Access files.

(A case for a reader still being written is registered with ``pending=``: skipped
while the reader is absent, a non-strict xfail once it lands, until the ``pending=``
is removed. None is pending now.) Survivors in
deleted space are expected with ``recovered: true`` (and a page or offset);
those in unstructured bytes with a byte offset inside the planted text. Their
source labels are patterns (``crm.db*``): which file a recovered row is
reported under (the database, its -wal, its -journal) is the reader's choice.
"""

from __future__ import annotations

import importlib.util
import shutil
import sqlite3
import sys
from pathlib import Path

import numpy as np
import polars as pl
from corpus_ctx import Ctx
from corpus_people import Placed
from corpus_registry import Built, Decoy, Expect, case

MAKE_ACCESS = Path(__file__).resolve().parents[1] / "formats" / "access_fixtures" / "make_access.py"


# --- SQLite: deleted records -------------------------------------------------------------
def _create(db: sqlite3.Connection, table: str, frame: pl.DataFrame, *, memo_first: int = 0) -> None:
    cols = ", ".join(f'"{c}" TEXT' for c in frame.columns)
    memo = '"memo" TEXT, ' if memo_first else ""
    db.execute(f'CREATE TABLE IF NOT EXISTS "{table}" (id INTEGER PRIMARY KEY, {memo}{cols})')
    names = (["memo"] if memo_first else []) + list(frame.columns)
    rows = frame.iter_rows() if not memo_first else (("備考" * memo_first, *r) for r in frame.iter_rows())
    db.executemany(f'INSERT INTO "{table}" ({", ".join(chr(34) + n + chr(34) for n in names)}) '
                   f"VALUES ({', '.join(['?'] * len(names))})", rows)  # fmt: skip


def _phone_of(frame: pl.DataFrame, row: int) -> bytes:
    return str(frame.row(row - 1, named=True)["電話番号"]).encode()


def _recovered(built: Built, pattern: str, placed: Placed, *, rows: list[int] | None = None) -> None:
    """Survivors (all, or those at ``rows``) expected as recovered; planted decoys must stay silent."""
    for row, rid in placed.survivors:
        if rows is None or row in rows:
            built.expect.append(Expect(pattern, rid, "strong", recovered=True))
    _decoys(built, pattern, placed)


def _decoys(built: Built, label: str, placed: Placed) -> None:
    """A namesake must not match at all; a reassigned phone may match weakly, never strongly."""
    built.decoys += [Decoy(label, rid, "none") for _, rid in placed.namesakes]
    built.decoys += [Decoy(label, rid, "weak") for _, rid in placed.reassigned]


@case("sqlite-deleted-freeblocks", "deleted")
def sqlite_freeblocks(ctx: Ctx) -> Built:
    """Rows deleted with secure_delete off: their cells stay in the b-tree pages as freeblocks.
    Half the survivors are deleted (recovered), half stay (read as rows, renumbered)."""
    path = ctx.dir("sqlite-deleted-freeblocks") / "crm.db"
    frame, placed = ctx.table(ctx.rows(), survivors=max(4, ctx.survivors_for(ctx.rows())))
    frame = frame.drop("会員番号")
    deleted_survivors = [row for row, _ in placed.survivors[::2]]
    gone = sorted(deleted_survivors + [r for r, _ in placed.namesakes + placed.reassigned])
    db = sqlite3.connect(path)
    db.execute("PRAGMA secure_delete=OFF")
    _create(db, "members", frame)
    db.commit()
    db.executemany("DELETE FROM members WHERE id = ?", [(r,) for r in gone])
    db.commit()
    db.close()
    raw = path.read_bytes()
    assert all(_phone_of(frame, r) in raw for r in gone), "deleted cells should still be in the file"
    label = ctx.label(path)
    built = Built([label], rows=frame.height)
    _recovered(built, f"{label}*", placed, rows=deleted_survivors)
    for row, rid in placed.survivors[1::2]:  # still live: numbered among the rows left
        built.expect.append(Expect(f"{label}!/members", rid, "strong", row - sum(g < row for g in gone)))
    return built


@case("sqlite-deleted-freelist-overflow", "deleted")
def sqlite_freelist(ctx: Ctx) -> Built:
    """A block of rows deleted whole (its pages go to the freelist), and long rows whose names and
    phones sit in overflow pages, deleted too."""
    path = ctx.dir("sqlite-deleted-freelist-overflow") / "crm.db"
    head, _ = ctx.table(ctx.rows(0.5), survivors=0, namesakes=0, reassigned=0)
    mid, placed = ctx.table(max(400, ctx.rows(0.3)))
    tail, _ = ctx.table(ctx.rows(0.5), survivors=0, namesakes=0, reassigned=0)
    long_rows, long_placed = ctx.table(40, survivors=3)
    db = sqlite3.connect(path)
    db.execute("PRAGMA secure_delete=OFF")
    db.execute("PRAGMA auto_vacuum=NONE")
    _create(db, "members", pl.concat([head, mid, tail]).drop("会員番号"))
    _create(db, "notes", long_rows.drop("会員番号"), memo_first=3000)  # ~9 KB before the name: overflow pages
    db.commit()
    db.execute("DELETE FROM members WHERE id > ? AND id <= ?", (head.height, head.height + mid.height))
    db.execute("DELETE FROM notes")
    db.commit()
    freelist = db.execute("PRAGMA freelist_count").fetchone()[0]
    db.close()
    assert freelist > 2, "the deleted block should have freed whole pages"
    label = ctx.label(path)
    built = Built([label], rows=head.height + mid.height + tail.height + long_rows.height)
    # SQLite's rebalancing may overwrite a deleted cell: expect the survivors whose bytes remain
    raw = path.read_bytes()
    present = [row for row, _ in placed.survivors if _phone_of(mid, row) in raw]
    assert len(present) >= len(placed.survivors) // 2, "most deleted cells should still be in the file"
    _recovered(built, f"{label}*", placed, rows=present)
    _recovered(built, f"{label}*", long_placed)
    return built


def _history(ctx: Ctx, name: str, mode: str) -> tuple[Path, Built, Placed, pl.DataFrame]:
    """Filler rows committed in the database file, then planted rows inserted and deleted
    (secure_delete on) under ``mode``; copies of the files taken while the connection is open.

    ``mode`` "HOT": a one-page cache makes SQLite sync the rollback journal (the original
    pages) and spill the delete into the database file before the commit; both are copied
    then: what a backup taken mid-transaction (or a crash) leaves, a hot journal beside a
    database that lost the rows."""
    hot = mode == "HOT"
    mode = "DELETE" if hot else mode
    work = ctx.out / "work" / name
    work.mkdir(parents=True)
    filler, _ = ctx.table(ctx.rows(), survivors=0, namesakes=0, reassigned=0)
    planted, placed = ctx.table(30)
    db = sqlite3.connect(work / "crm.db", isolation_level=None)
    db.execute(f"PRAGMA journal_mode={mode}")
    db.execute("PRAGMA wal_autocheckpoint=0")
    db.execute("BEGIN")
    _create(db, "members", filler.drop("会員番号"))
    db.execute("COMMIT")
    if mode == "WAL":
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute("BEGIN")
    _create(db, "members", planted.drop("会員番号"))
    db.execute("COMMIT")
    db.execute("PRAGMA secure_delete=ON")
    db.execute("BEGIN")
    if hot:
        db.execute("PRAGMA cache_size=1")
    db.execute("DELETE FROM members WHERE id > ?", (filler.height,))
    if hot:  # rewrite every page: the one-page cache must spill, so the journal is synced first
        db.execute('UPDATE members SET "氏名" = "氏名"')
    else:
        db.execute("COMMIT")
    folder = ctx.dir(name)
    for file in work.iterdir():
        if not file.name.endswith("-shm"):
            shutil.copyfile(file, folder / file.name)
    if hot:
        db.execute("ROLLBACK")
    db.close()
    shutil.rmtree(ctx.out / "work")
    built = Built([ctx.label(folder)], rows=filler.height + planted.height)
    return folder / "crm.db", built, placed, planted


@case("sqlite-wal-deleted", "deleted")
def sqlite_wal(ctx: Ctx) -> Built:
    """Rows inserted then deleted (secure_delete on) while in WAL mode: only older WAL frames hold them."""
    path, built, placed, planted = _history(ctx, "sqlite-wal-deleted", "WAL")
    wal = path.with_name("crm.db-wal").read_bytes()
    phone = _phone_of(planted, placed.survivors[0][0])
    assert phone in wal and phone not in path.read_bytes(), "the survivors should be in the WAL only"
    _recovered(built, f"{ctx.label(path)}*", placed)
    return built


@case("sqlite-journal-deleted", "deleted")
def sqlite_journal(ctx: Ctx) -> Built:
    """Rows deleted with secure_delete on under journal_mode=PERSIST: the -journal keeps the old pages."""
    path, built, placed, planted = _history(ctx, "sqlite-journal-deleted", "PERSIST")
    journal = path.with_name("crm.db-journal").read_bytes()
    phone = _phone_of(planted, placed.survivors[0][0])
    assert phone in journal and phone not in path.read_bytes(), "the survivors should be in the journal only"
    _recovered(built, f"{ctx.label(path)}*", placed)
    return built


@case("sqlite-hot-journal", "deleted")
def sqlite_hot_journal(ctx: Ctx) -> Built:
    """A hot rollback journal (header intact) holding the pages a committed delete changed."""
    path, built, placed, planted = _history(ctx, "sqlite-hot-journal", "HOT")
    journal = path.with_name("crm.db-journal").read_bytes()
    phone = _phone_of(planted, placed.survivors[0][0])
    assert phone in journal and phone not in path.read_bytes(), "the survivors should be in the journal only"
    _recovered(built, f"{ctx.label(path)}*", placed)
    for e in built.expect:  # rolled back into live rows or recovered as deleted: the reader's choice
        e.recovered = None
    return built


# --- unstructured bytes --------------------------------------------------------------------
def _lines(frame: pl.DataFrame, template: list[pl.Expr | str]) -> pl.Series:
    parts = [pl.lit(p) if isinstance(p, str) else p for p in template]
    return frame.select(pl.concat_str(parts, ignore_nulls=True)).to_series()


def _text_case(ctx: Ctx, name: str, file: str, template: list[pl.Expr | str], encoding: str, rows: int) -> Built:
    """One text file, a line per broker row; survivors expected at the byte range of their line."""
    path = ctx.dir(name) / file
    label = ctx.label(path)
    frame, placed = ctx.table(rows)
    lines = _lines(frame, template)
    encoded = [line.encode(encoding) for line in lines.to_list()]
    starts = np.concatenate([[0], np.cumsum([len(b) for b in encoded])])
    path.write_bytes(b"".join(encoded))
    built = Built([label], rows=frame.height)
    for row, rid in placed.survivors:
        built.expect.append(Expect(label, rid, "strong", offset=(int(starts[row - 1]), int(starts[row]))))
    _decoys(built, label, placed)
    return built


@case("unstructured-log", "unstructured")
def unstructured_log(ctx: Ctx) -> Built:
    template = ["2024-03-01T10:00:00Z INFO [callcenter] callback requested by ", pl.col("氏名"), " (tel ",
                pl.col("電話番号"), ") ticket=", pl.col("会員番号"), "\n"]  # fmt: skip
    return _text_case(ctx, "unstructured-log", "app.log", template, "utf-8", ctx.rows())


@case("unstructured-notes-cp932", "unstructured")
def unstructured_notes(ctx: Ctx) -> Built:
    template = ["【対応メモ】", pl.col("氏名"), "様より入電。住所は", pl.col("住所"), "とのこと。折り返しは",
                pl.col("電話番号"), "まで。\r\n"]  # fmt: skip
    return _text_case(ctx, "unstructured-notes-cp932", "通話メモ.txt", template, "cp932", ctx.rows(0.5))


@case("unstructured-utf16-blob", "unstructured")
def unstructured_blob(ctx: Ctx) -> Built:
    """A binary file (random bytes) with UTF-16LE strings in it, as an application cache holds them."""
    path = ctx.dir("unstructured-utf16-blob") / "cache.bin"
    label = ctx.label(path)
    frame, placed = ctx.table(ctx.rows(0.3))
    strings = _lines(frame, [pl.col("氏名"), " ", pl.col("電話番号")]).to_list()
    rng = np.random.default_rng(5)
    parts, offsets, at = [], [], 0
    for text in strings:
        noise = rng.integers(0, 256, int(rng.integers(64, 512)), dtype=np.uint8).tobytes() + b"\x00\x00"
        blob = text.encode("utf-16-le")
        parts += [noise, blob]
        offsets.append((at + len(noise), at + len(noise) + len(blob)))
        at += len(noise) + len(blob)
    path.write_bytes(b"\x7fCACHE\x00\x01" + b"".join(parts))
    built = Built([label], rows=frame.height)
    for row, rid in placed.survivors:
        lo, hi = offsets[row - 1]
        built.expect.append(Expect(label, rid, "strong", offset=(lo + 8, hi + 8)))
    _decoys(built, label, placed)
    return built


@case("unstructured-disk-image", "unstructured")
def disk_image(ctx: Ctx) -> Built:
    """A raw disk image: zeros, noise, and the blocks of a deleted CSV (UTF-8) and of an EUC-JP list."""
    path = ctx.dir("unstructured-disk-image") / "disk.img"
    label = ctx.label(path)
    built = Built([label])
    rng = np.random.default_rng(6)
    image = bytearray(rng.integers(0, 256, 1 << 20, dtype=np.uint8).tobytes()) + bytearray(3 << 20)
    at = 1 << 20
    for encoding, layout in [("utf-8", "joined"), ("euc_jp", "joined")]:
        frame, placed = ctx.table(ctx.rows(0.2), layout)
        text = frame.write_csv().replace("\uff0d", "\u2212").encode(encoding)  # EUC-JP has no U+FF0D
        lines = text.split(b"\n")
        starts = np.concatenate([[0], np.cumsum([len(x) + 1 for x in lines])])
        at += 4096
        image[at : at + len(text)] = text
        for row, rid in placed.survivors:  # data row n is line n (line 0 is the header)
            built.expect.append(Expect(label, rid, "strong", offset=(at + int(starts[row]), at + int(starts[row + 1]))))
        _decoys(built, label, placed)
        built.rows += frame.height
        at += len(text)
    path.write_bytes(bytes(image))
    return built


# --- Access -----------------------------------------------------------------------------------
def _make_access():  # type: ignore[no-untyped-def]
    """The Access writer of the format tests (tests/formats/access_fixtures), or None."""
    if not MAKE_ACCESS.exists():
        return None
    spec = importlib.util.spec_from_file_location("corpus_make_access", MAKE_ACCESS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["corpus_make_access"] = module
    spec.loader.exec_module(module)
    return module


@case("access-mdb-accdb", "access", needs=("mdbtools",))
def access(ctx: Ctx) -> Built:
    m = _make_access()
    folder = ctx.dir("access-mdb-accdb")
    built = Built([ctx.label(folder)])
    if m is None or not hasattr(m, "write_database"):
        built.skip = "no Access writer (tests/formats/access_fixtures/make_access.py) in this tree"
        return built
    for file, fmt, encoding in [("people.accdb", m.ACE, "cp1252"), ("old_jet3.mdb", m.JET3, "cp932")]:
        frame, placed = ctx.table(ctx.rows(0.3))
        columns = [m.Column("ID", m.LONG), m.Column("氏名", m.TEXT, 60), m.Column("住所", m.TEXT, 120),
                   m.Column("電話番号", m.TEXT, 30)]  # fmt: skip
        rows = [[i, *r] for i, r in enumerate(frame.select("氏名", "住所", "電話番号").iter_rows(), 1)]
        m.write_database(folder / file, fmt, [m.TableSpec("顧客", columns, rows)], encoding=encoding)
        ctx.plant(built, f"{ctx.label(folder / file)}!/顧客", placed)
        built.rows += frame.height
    return built
