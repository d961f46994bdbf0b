"""SQLite database files page by page: the header, b-tree pages, the freelist, the schema.

Everything here reads bytes the file holds, never through SQLite, so that a
corrupt or truncated file still gives what it has. Every walk is bounded: a page
is visited at most once, chains stop at a page seen before or out of range, and
what does not add up is counted as a problem (a reason without personal value).
"""

from __future__ import annotations

import mmap
import re
import sqlite3
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from verifydel.errors import FormatError
from verifydel.formats.sqlite._cells import Carver
from verifydel.formats.sqlite._records import CODECS, Shape, affinity_is_text

DATABASE_MAGIC: Final = b"SQLite format 3\x00"
HEADER_BYTES: Final = 100
TABLE_LEAF: Final = 0x0D
TABLE_INTERIOR: Final = 0x05

#: Page roles in a page map (a table's leaves hold its index + 1, so > 0).
UNSEEN: Final = 0
INTERNAL: Final = -1  # interior pages, SQLite's own tables
FREE_LEAF: Final = -2
FREE_TRUNK: Final = -3

_WITHOUT_ROWID: Final = re.compile(r"\bWITHOUT\s+ROWID\b", re.IGNORECASE)
_NO_COLLATION: Final = re.compile(r"no such collation sequence: (\S+)")
#: SQLite virtual machine steps a schema statement may take in the scratch database.
_SCHEMA_STEPS: Final = 10_000


def u16(b: bytes, i: int) -> int:
    return (b[i] << 8) | b[i + 1]


def u32(b: bytes, i: int) -> int:
    return int.from_bytes(b[i : i + 4], "big")


@dataclass(frozen=True)
class DbHeader:
    """What the 100-byte database header says (https://www.sqlite.org/fileformat2.html)."""

    page_size: int
    reserved: int
    page_count: int  # from offset 28 when valid for this version, else 0
    freelist_trunk: int
    freelist_pages: int
    text_encoding: int
    wal: bool  # read/write versions (offsets 18/19) of 2
    auto_vacuum: str  # "none", "full" or "incremental"

    @property
    def usable(self) -> int:
        return self.page_size - self.reserved

    @property
    def codec(self) -> str:
        return CODECS.get(self.text_encoding, "utf-8")


def page_size_of(raw: int) -> int:
    return 65536 if raw == 1 else raw


def valid_page_size(size: int) -> bool:
    return 512 <= size <= 65536 and size & (size - 1) == 0


def parse_header(head: bytes) -> DbHeader:
    if len(head) < HEADER_BYTES or not head.startswith(DATABASE_MAGIC):
        raise FormatError("not an SQLite database header", hint="the file may be truncated")
    size = page_size_of(u16(head, 16))
    reserved = head[20]
    if not valid_page_size(size) or size - reserved < 480:
        raise FormatError(
            "the database header gives an impossible page size", hint="the file is corrupt"
        )
    counter_ok = u32(head, 24) == u32(head, 92)
    largest_root = u32(head, 52)
    vacuum = "none" if largest_root == 0 else ("incremental" if u32(head, 64) else "full")
    return DbHeader(
        page_size=size,
        reserved=reserved,
        page_count=u32(head, 28) if counter_ok else 0,
        freelist_trunk=u32(head, 32),
        freelist_pages=u32(head, 36),
        text_encoding=u32(head, 56),
        wal=head[18] == 2 and head[19] == 2,
        auto_vacuum=vacuum,
    )


class PagedFile:
    """A file read-only through mmap, in fixed-size pages numbered from 1 after ``base``."""

    def __init__(self, path: Path, page_size: int, base: int = 0) -> None:
        self.page_size = page_size
        self.base = base
        self._file = open(path, "rb")  # noqa: SIM115 - closed by close()
        self.size = self._file.seek(0, 2)
        self._map = (
            mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ) if self.size else None
        )

    @property
    def pages(self) -> int:
        """Whole pages the file holds."""
        return max(0, (self.size - self.base) // self.page_size)

    def read(self, offset: int, size: int) -> bytes:
        return self._map[offset : offset + size] if self._map is not None else b""

    def page(self, n: int) -> bytes | None:
        if n < 1 or n > self.pages:
            return None
        return self.read(self.base + (n - 1) * self.page_size, self.page_size)

    def close(self) -> None:
        if self._map is not None:
            self._map.close()
        self._file.close()


@dataclass
class Leaf:
    """A table leaf page's layout: cell pointers, freeblocks, the unallocated gap."""

    cells: list[int]
    freeblocks: list[tuple[int, int]]
    gap: tuple[int, int]


def table_leaf(b: bytes, hdr: int, usable: int) -> Leaf | None:
    """The layout of a table leaf page image, or None when it is not a sane one."""
    if len(b) < usable or b[hdr] != TABLE_LEAF:
        return None
    count = u16(b, hdr + 3)
    content = u16(b, hdr + 5) or 65536
    ptr_end = hdr + 8 + 2 * count
    if ptr_end > content or content > usable:
        return None
    cells = [c for c in (u16(b, i) for i in range(hdr + 8, ptr_end, 2)) if content <= c < usable]
    blocks: list[tuple[int, int]] = []
    at = u16(b, hdr + 1)
    while at and len(blocks) < usable // 4:
        if at < content or at + 4 > usable:
            break
        size = u16(b, at + 2)
        if size < 4 or at + size > usable:
            break
        blocks.append((at, size))
        nxt = u16(b, at)
        if nxt and nxt <= at + size:
            break  # freeblocks ascend; anything else is a loop or corruption
        at = nxt
    return Leaf(cells, blocks, (ptr_end, content))


def interior_children(b: bytes, hdr: int, usable: int) -> list[int]:
    """Child page numbers of a table interior page image (left children, then the right one)."""
    count = u16(b, hdr + 3)
    out = []
    for i in range(hdr + 12, min(hdr + 12 + 2 * count, usable), 2):
        at = u16(b, i)
        if at + 4 <= usable:
            out.append(u32(b, at))
    out.append(u32(b, hdr + 8))
    return out


@dataclass
class PageMap:
    """Which page is what: a table's leaf, free, or something not searched."""

    role: array  # per page number (index 0 unused): UNSEEN, INTERNAL, FREE_*, or table index + 1
    problems: list[str] = field(default_factory=list)
    free_leaves: int = 0
    trunks: int = 0


def map_pages(
    pages: Callable[[int], bytes | None], count: int, hdr: DbHeader, roots: list[tuple[int, int]]
) -> PageMap:
    """Walk the table b-trees from ``roots`` ((root page, role)) and the freelist."""
    pm = PageMap(array("i", bytes(4 * (count + 1))))
    role = pm.role
    bad = 0
    for root, tag in roots:
        stack = [root]
        while stack:
            n = stack.pop()
            if not 1 <= n <= count or role[n] != UNSEEN:
                bad += 1
                continue
            b = pages(n)
            h = HEADER_BYTES if n == 1 else 0
            if b is None or b[h] not in (TABLE_LEAF, TABLE_INTERIOR):
                bad += 1
                role[n] = INTERNAL
                continue
            if b[h] == TABLE_LEAF:
                role[n] = tag
            else:
                role[n] = INTERNAL
                stack.extend(interior_children(b, h, hdr.usable))
    trunk = hdr.freelist_trunk
    per_trunk = hdr.usable // 4 - 2
    while trunk:
        if not 1 <= trunk <= count or role[trunk] != UNSEEN:
            bad += 1
            break
        b = pages(trunk)
        if b is None:
            bad += 1
            break
        role[trunk] = FREE_TRUNK
        pm.trunks += 1
        leaves = u32(b, 4)
        if leaves > per_trunk:
            bad += 1
            leaves = per_trunk
        for i in range(leaves):
            n = u32(b, 8 + 4 * i)
            if 1 <= n <= count and role[n] == UNSEEN:
                role[n] = FREE_LEAF
                pm.free_leaves += 1
            else:
                bad += 1
        trunk = u32(b, 0)
    if bad:
        pm.problems.append(f"{bad} b-tree or freelist page references lead nowhere")
    if pm.free_leaves + pm.trunks != hdr.freelist_pages:
        pm.problems.append(
            f"the freelist holds {pm.free_leaves + pm.trunks} pages, the header says {hdr.freelist_pages}"
        )
    return pm


# -- the schema ----------------------------------------------------------------
@dataclass(frozen=True)
class SchemaRow:
    kind: str
    name: str
    root: int
    sql: str


def schema_rows(pages: Callable[[int], bytes | None], hdr: DbHeader) -> list[SchemaRow]:
    """The rows of sqlite_master, read from the b-tree rooted at page 1 (live cells only)."""
    carver = Carver(hdr.usable, hdr.codec, (), pages)
    rows: list[SchemaRow] = []
    stack, seen = [1], set()
    while stack and len(seen) < 100_000:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        b = pages(n)
        h = HEADER_BYTES if n == 1 else 0
        if b is None or len(b) < hdr.usable:
            continue
        if b[h] == TABLE_INTERIOR:
            stack.extend(interior_children(b, h, hdr.usable))
            continue
        leaf = table_leaf(b, h, hdr.usable)
        for at in leaf.cells if leaf else ():
            cell = carver.carve(b, at, hdr.usable, intact_only=True)
            if cell is None or len(cell.values) < 5:
                continue
            kind, name, _, root, sql = cell.values[:5]
            if kind and name and root and root.isdigit():
                rows.append(SchemaRow(kind, name, int(root), sql or ""))
    return rows


def _columns_by_sqlite(sql: str) -> list[tuple[str, int, str, int]] | None:
    """(name, pk, type, hidden) of the table a CREATE TABLE makes, in a scratch in-memory database."""
    conn = sqlite3.connect(":memory:")
    steps = [0]

    def progress() -> int:
        steps[0] += 1
        return 1 if steps[0] > _SCHEMA_STEPS else 0

    conn.set_progress_handler(progress, 100)
    try:
        for _ in range(8):
            try:
                conn.execute(sql)
                break
            except sqlite3.OperationalError as exc:
                missing = _NO_COLLATION.search(str(exc))
                if missing is None:
                    return None
                conn.create_collation(missing.group(1), lambda a, b: (a > b) - (a < b))
        names = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        if len(names) != 1:
            return None
        return conn.execute(
            "SELECT name, pk, type, hidden FROM pragma_table_xinfo(?)", names[0]
        ).fetchall()
    except (sqlite3.Error, ValueError):
        return None
    finally:
        conn.close()


def table_shapes(rows: list[SchemaRow]) -> tuple[list[Shape], list[str]]:
    """A Shape per ordinary rowid table (SQLite's own excluded), and notes on tables left out."""
    shapes: list[Shape] = []
    notes: list[str] = []
    for row in sorted(rows, key=lambda r: r.name):
        sql = row.sql.lstrip()
        if (
            row.kind != "table"
            or row.name.lower().startswith("sqlite_")
            or sql[:14].upper() == "CREATE VIRTUAL"
        ):
            continue
        if _WITHOUT_ROWID.search(sql):
            notes.append("WITHOUT ROWID tables are not searched for deleted rows")
            continue
        info = _columns_by_sqlite(sql) if sql.upper().startswith("CREATE") else None
        if not info:
            notes.append("a table definition could not be read: its deleted rows go to #recovered")
            continue
        stored = [(name, pk, kind) for name, pk, kind, hidden in info if hidden not in (1, 2)]
        keys = [i for i, (_, pk, _) in enumerate(stored) if pk]
        ipk = keys[0] if len(keys) == 1 and stored[keys[0]][2].upper() == "INTEGER" else -1
        text = tuple(affinity_is_text(kind or "") for _, _, kind in stored)
        shapes.append(Shape(row.name, tuple(name for name, _, _ in stored), ipk, row.root, text))
    return shapes, sorted(set(notes))
