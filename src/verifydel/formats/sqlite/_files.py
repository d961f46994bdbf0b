"""The three SQLite files searched for deleted rows, each described once and walked by passes.

``describe_*`` reads what the tables need before any row is read (the schema, the
facts for the report) and returns an opener of walk sessions (see
``_sqlite_recover``). A file whose header cannot be read raises FormatError.

Details (facts about the whole file, the same dict on every table of the file)
    database: ``page_size``; ``freelist_pages`` (header offset 36: pages SQLite
    freed and has not reused, searched whole); ``journal_mode`` ("wal" when the
    header's read/write versions at 18/19 are 2, else "rollback": which rollback
    mode cannot be told from the file); ``auto_vacuum`` ("none", "full",
    "incremental": with auto-vacuum SQLite gives freed pages back to the file
    system, so fewer deleted rows survive); ``secure_delete``: what the freed space
    found says, since the pragma is a per-connection setting the file does not
    record: "on" (every freed page and freeblock seen was zeroed), "off" (none
    was), "mixed", or "unknown" (no freed space seen); ``recovered_cells``
    (rows reported, after copies were skipped), ``duplicate_cells`` (copies skipped),
    ``overflow_unreadable`` (rows whose overflow chain broke: their last values
    are null); ``pages_past_declared_size`` and ``bytes_past_last_page`` when the file
    holds more than the size its header declares (SQLite never reads those bytes, and
    ``integrity_check`` does not see them): they are searched for cells too, a table
    leaf's cells, freeblocks and gap, any other page (and the bytes after the last
    whole page) byte by byte, and rows found there are reported as recovered.
    WAL: ``page_size``, ``frames``, ``committed_frames`` (up to the last commit of the
    current log), ``stale_frames`` (left from an earlier log), ``live_cells`` (rows in
    the newest committed frame of their page), ``recovered_cells``. Journal:
    ``page_size``, ``page_records``, ``recovered_cells``. Both also carry
    ``secure_delete`` (from the freeblocks in their page images) and
    ``duplicate_cells`` / ``overflow_unreadable`` when there are any.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from verifydel.errors import FormatError
from verifydel.formats.sqlite._cells import Carver
from verifydel.formats.sqlite._logs import Log, read_journal, read_wal
from verifydel.formats.sqlite._pages import (
    DATABASE_MAGIC,
    FREE_LEAF,
    FREE_TRUNK,
    HEADER_BYTES,
    UNSEEN,
    DbHeader,
    PagedFile,
    PageMap,
    map_pages,
    parse_header,
    schema_rows,
    table_shapes,
    u32,
)
from verifydel.formats.sqlite._records import Shape
from verifydel.formats.sqlite._recover import Image, Session

Details = dict[str, str | int | bool | None]


@dataclass
class Described:
    shapes: list[Shape]
    details: Details
    opener: Callable[[], Session]
    notes: list[str] = field(default_factory=list)


def _header(path: Path) -> DbHeader:
    with open(path, "rb") as f:
        return parse_header(f.read(HEADER_BYTES))


def describe_database(path: Path) -> Described:
    hdr = _header(path)
    pf = PagedFile(path, hdr.page_size)
    try:
        shapes, notes = table_shapes(schema_rows(pf.page, hdr))
        past = _past_declared_size(hdr, pf)
    finally:
        pf.close()
    details: Details = {
        "page_size": hdr.page_size,
        "freelist_pages": hdr.freelist_pages,
        "journal_mode": "wal" if hdr.wal else "rollback",
        "auto_vacuum": hdr.auto_vacuum,
        "secure_delete": "unknown",
    }
    if past is not None:
        details["pages_past_declared_size"] = past[0]
        details["bytes_past_last_page"] = past[1]
    cache: list[PageMap] = []

    def opener() -> Session:
        pf = PagedFile(path, hdr.page_size)
        count = pf.pages
        problems = []
        if hdr.page_count > count:
            problems.append(
                f"the file holds {count} whole pages, its header says {hdr.page_count} (truncated)"
            )
        elif pf.size % hdr.page_size and past is None:
            problems.append(f"the file ends inside page {count + 1} (truncated)")
        declared = hdr.page_count if past is not None else count
        if not cache:
            cache.append(
                map_pages(pf.page, count, hdr, [(s.root, i + 1) for i, s in enumerate(shapes)])
            )
        pm = cache[0]
        role = pm.role
        per_trunk = hdr.usable // 4 - 2

        tail = pf.size - count * hdr.page_size if past is not None else 0

        def slots() -> Iterator[int]:
            yield from (
                n
                for n in range(1, len(role))
                if role[n] > 0 or role[n] in (FREE_LEAF, FREE_TRUNK) or n > declared
            )
            if tail:
                yield count + 1  # the bytes after the last whole page

        def image(n: int) -> Image | None:
            at = (n - 1) * hdr.page_size
            if n > count:
                return Image(pf.read(at, tail), n, at, raw=True) if tail else None
            b = pf.page(n)
            if b is None:
                return None
            r = role[n]
            if n > declared and r == UNSEEN:  # past the database's end: no structure to trust
                return Image(b, n, at, pointers=True, raw=True)
            if r > 0:
                return Image(b, n, at, hint=r - 1)
            if r == FREE_LEAF:
                return Image(b, n, at, pointers=True, freed=True)
            return Image(b, n, at, scan_from=8 + 4 * min(u32(b, 4), per_trunk))

        def trunk_bytes(n: int) -> int:
            if not 0 < n < len(role) or role[n] != FREE_TRUNK:
                return 0
            return 4 + 4 * min(u32(pf.page(n) or bytes(8), 4), per_trunk)

        carver = Carver(hdr.usable, hdr.codec, shapes, pf.page, trunk_bytes)
        return Session(carver, slots, image, pf.close, problems + pm.problems)

    return Described(shapes, details, opener, notes)


def _past_declared_size(hdr: DbHeader, pf: PagedFile) -> tuple[int, int] | None:
    """(whole pages, bytes of a last partial page) the file holds past the size its header
    declares; None when the header declares no size (then SQLite uses the file's) or the file
    holds nothing past it. SQLite never reads them; the walker searches them as freed space."""
    if not hdr.page_count or pf.size <= hdr.page_count * hdr.page_size:
        return None
    return max(0, pf.pages - hdr.page_count), (pf.size - pf.base) % hdr.page_size


def _neighbour(path: Path, suffix: str) -> Path | None:
    """The database beside a -wal or -journal file (same folder, the name without the suffix)."""
    if not path.name.endswith(suffix):
        return None
    db = path.with_name(path.name[: -len(suffix)])
    try:
        with open(db, "rb") as f:
            return db if f.read(len(DATABASE_MAGIC)) == DATABASE_MAGIC else None
    except OSError:
        return None


def _describe_log(
    path: Path, suffix: str, read: Callable[[PagedFile, int], Log], kind: str
) -> Described:
    neighbour = _neighbour(path, suffix)
    db_hdr = None
    if neighbour is not None:
        try:
            db_hdr = _header(neighbour)
        except (FormatError, OSError):
            neighbour = None
    f = PagedFile(path, 512)
    try:
        log = read(f, db_hdr.page_size if db_hdr is not None else 0)
    finally:
        f.close()
    if not log.page_size:
        raise FormatError(
            log.problems[0], hint="the file is corrupt or not a complete SQLite " + kind
        )
    size = log.page_size
    if db_hdr is not None and db_hdr.page_size != size:
        neighbour, db_hdr = None, None
    first: dict[int, int] = log.newest() if kind == "WAL" else {}
    if kind != "WAL":
        for i in reversed(range(len(log.pgnos))):
            first[log.pgnos[i]] = i  # the journal's first record of a page is its original

    def open_files() -> tuple[PagedFile, PagedFile | None, Callable[[int], bytes | None]]:
        lf = PagedFile(path, size)
        db = PagedFile(neighbour, size) if neighbour is not None else None

        def page(n: int) -> bytes | None:
            if n in first:
                return lf.read(log.offsets[first[n]], size)
            return db.page(n) if db is not None else None

        return lf, db, page

    lf, db, page = open_files()
    try:
        hdr = db_hdr
        if hdr is None and page(1) is not None:
            try:
                hdr = parse_header(page(1) or b"")
            except FormatError:
                hdr = None
        shapes, notes = table_shapes(schema_rows(page, hdr)) if hdr is not None else ([], [])
    finally:
        lf.close()
        if db is not None:
            db.close()
    if hdr is None:
        notes.append(
            "no schema found (no database beside it, no page 1 in it): columns are c1, c2, ..."
        )
    usable = hdr.usable if hdr is not None else size
    codec = hdr.codec if hdr is not None else "utf-8"
    details: Details = {"page_size": size, "recovered_cells": 0}
    if kind == "WAL":
        details.update(
            frames=len(log.pgnos),
            committed_frames=log.committed,
            stale_frames=log.stale,
            live_cells=0,
        )
        order = sorted(log.live) + [k for k in range(len(log.pgnos)) if k not in log.live]
    else:
        details["page_records"] = len(log.pgnos)
        order = list(range(len(log.pgnos)))

    def opener() -> Session:
        lf, db, page = open_files()

        def image(k: int) -> Image | None:
            pgno = log.pgnos[k]
            data = lf.read(log.offsets[k], size)
            if pgno == 1 or len(data) < size:
                return None  # page 1 holds the schema
            return Image(
                data, pgno, log.offsets[k], pointers=True, pointers_recovered=k not in log.live
            )

        def close() -> None:
            lf.close()
            if db is not None:
                db.close()

        return Session(
            Carver(usable, codec, shapes, page), lambda: order, image, close, list(log.problems)
        )

    return Described(shapes, details, opener, notes)


def describe_wal(path: Path) -> Described:
    return _describe_log(path, "-wal", lambda f, _: read_wal(f), "WAL")


def describe_journal(path: Path) -> Described:
    return _describe_log(path, "-journal", read_journal, "journal")
