"""Deleted rows recovered from an SQLite database file, its WAL or its rollback journal.

Where cells are searched
    Database file: the freeblocks and the unallocated gap (between the cell pointer
    array and the cell content) of every leaf page of every rowid table; every page
    on the freelist (a leaf's cell pointers, freeblocks and gap when its b-tree
    header survived, else its bytes from the end of the trunk list when it is a
    trunk page). WAL: every frame that is a table leaf (cells, freeblocks, gap),
    the newest committed frame of each page first. Journal: every page record
    (cells, freeblocks, gap). Page 1 (the schema) is never searched. Overflow chains
    are followed through the file (for a WAL or journal, through the newest image
    of a page, else the database beside it).

Outputs
    One per table of the schema (the Shape whose column count, INTEGER PRIMARY KEY
    and the page's owner agree with the cell), plus one for cells whose table cannot
    be told (intact cells of another column count, or fitting several tables
    equally), with generic columns c1..cN. A cell whose values were already
    emitted for the same output (the same row found again in an older frame, a
    freed page and a freeblock) is emitted once; a WAL's live cells come first, so
    that an older copy of a live row is not reported as recovered.

Passes
    The tables of one file are read one after the other. The first output read
    walks the whole file, emits its own cells and notes which pages hold cells of
    the others; each later output carves only the pages noted for it. Every page
    is carved at most twice; memory is a page number per page with cells for a
    later output, plus the set of emitted rows' hashes (at most DEDUPE_LIMIT).
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Final

import polars as pl

from verifydel.errors import SourceError
from verifydel.formats.sqlite._cells import Carved, Carver
from verifydel.formats.sqlite._pages import table_leaf
from verifydel.core.table import BATCH_ROWS

#: Distinct emitted rows remembered per file to skip copies; beyond it, copies are emitted.
DEDUPE_LIMIT: Final = 1_000_000
#: Failed attempts at carving a cell allowed in one region: bounds the time a page crafted
#: to look like cells everywhere can take (real regions fail a few dozen times at most).
MAX_FAILED_ATTEMPTS: Final = 1024
#: Batch column names of the location columns (made unique against the data columns).
LOCATION_NAMES: Final = ("page", "offset", "recovered")

_NONZERO: Final = re.compile(rb"[^\x00]")


@dataclass
class Image:
    """One page image to search and what is known about it."""

    data: bytes
    pgno: int
    base: int  # file offset of data[0]
    hint: int = -1  # output index of the table owning the page, -1 when unknown
    #: Its cell pointers' cells are reported (a freed page, a WAL frame, a journal record) ...
    pointers: bool = False
    #: ... as recovered (False: the newest WAL frame of a page, live).
    pointers_recovered: bool = True
    #: > 0: no b-tree header survives (a freelist trunk): search [scan_from, usable).
    scan_from: int = 0
    freed: bool = False  # a freelist leaf page of the database file
    #: No b-tree structure to trust (bytes past the database's declared size): search it all.
    raw: bool = False

    @property
    def hdr(self) -> int:
        return 100 if self.pgno == 1 else 0


@dataclass
class Session:
    """One open pass over a file's page images: ``slots`` in walk order, ``image`` of each."""

    carver: Carver
    slots: Callable[[], Iterable[int]]
    image: Callable[[int], Image | None]
    close: Callable[[], None]
    problems: list[str] = field(default_factory=list)


@dataclass
class Evidence:
    """Whether the freed space seen was zeroed (what secure_delete does) or kept its bytes."""

    zeroed: int = 0
    kept: int = 0

    def note(self, data: bytes, start: int, end: int) -> None:
        if end - start >= 4:
            if data.count(0, start, end) == end - start:
                self.zeroed += 1
            else:
                self.kept += 1

    @property
    def verdict(self) -> str:
        if self.zeroed and self.kept:
            return "mixed"
        return "on" if self.zeroed else ("off" if self.kept else "unknown")


class RegionCut(Exception):
    """A region had more failed attempts than MAX_FAILED_ATTEMPTS: the rest of it was left."""


def carve_region(b: bytes, s: int, e: int, carver: Carver, hint: int) -> Iterator[Carved]:
    """Cells in ``b[s:e]``, jumping over each cell found.

    Where a cell must start (the region's start, the end of the cell before) every
    alignment is tried. Elsewhere only where ``Carver.starts`` finds a run of serial
    types that fits a table, or (no schema) at every byte but runs of zeros.
    Raises RegionCut, after the cells found, past MAX_FAILED_ATTEMPTS.
    """
    starts: list[int] | None = None
    searched = False  # starts computed (once, when first needed)
    at = 0  # next index into starts
    failed = 0
    p = known = s  # known: where a cell must start
    while p + 4 < e:
        if p != known:
            if not searched:
                starts, searched = carver.starts(b, p, e), True
            if starts is not None:
                while at < len(starts) and starts[at] < p:
                    at += 1
                if at == len(starts):
                    return
                p = starts[at]
            elif not (b[p] or b[p + 1] or b[p + 2] or b[p + 3]):
                m = _NONZERO.search(b, p, e)
                if m is None:
                    return
                p = max(p, m.start() - 3)  # a freeblock header (next, size) never has 4 zero bytes
        if p == known:
            cell = carver.carve(b, p, e, hint=hint, weak=True)
        else:
            cell = carver.carve(b, p, e, hint=hint, weak=True, look=False)
            for q in range(p + 1, min(p + 4, e)):
                if cell is None or cell.strength == 3:
                    break
                other = carver.carve(b, q, e, hint=hint, weak=True, look=False)
                if other is not None and other.strength > cell.strength:
                    cell = other  # a surer cell just after a guess found amid other bytes
        if cell is None:
            failed += 1
            if failed > MAX_FAILED_ATTEMPTS:
                raise RegionCut
            p += 1
        else:
            yield cell
            p = known = cell.end


def carve_image(
    img: Image, carver: Carver, evidence: Evidence | None = None
) -> Iterator[tuple[Carved, bool]]:
    """(cell, recovered) of one page image."""
    b, u = img.data, carver.usable
    if evidence is not None and img.freed:
        evidence.note(b, 0, u)
    if img.raw and table_leaf(b, img.hdr, u) is None:
        for cell in carve_region(b, 0, len(b), carver, img.hint):
            yield cell, True
        return
    if img.scan_from:
        for cell in carve_region(b, img.scan_from, u, carver, img.hint):
            yield cell, True
        return
    leaf = table_leaf(b, img.hdr, u)
    if leaf is None:
        return
    if img.pointers:
        for at in leaf.cells:
            cell = carver.carve(b, at, u, intact_only=True, hint=img.hint)
            if cell is not None:
                yield cell, img.pointers_recovered
    for at, size in leaf.freeblocks:
        if evidence is not None:
            evidence.note(b, at + 4, at + size)
        for cell in carve_region(b, at, at + size, carver, img.hint):
            yield cell, True
    g0, g1 = leaf.gap
    if g1 > g0 and b.count(0, g0, g1) != g1 - g0:
        for cell in carve_region(b, g0, g1, carver, img.hint):
            yield cell, True


@dataclass
class _Rows:
    width: int
    values: list[list[str | None]] = field(default_factory=list)
    pages: list[int] = field(default_factory=list)
    offsets: list[int] = field(default_factory=list)
    recovered: list[bool] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.values = [[] for _ in range(self.width)]

    def __len__(self) -> int:
        return len(self.pages)

    def add(self, values: list[str | None], page: int, offset: int, recovered: bool) -> None:
        for column, value in zip(self.values, values, strict=False):
            column.append(value)
        for column in self.values[len(values) :]:
            column.append(None)
        self.pages.append(page)
        self.offsets.append(offset)
        self.recovered.append(recovered)

    def frame(self, columns: list[str], location: list[str]) -> pl.DataFrame:
        data = [
            pl.Series(name, col, dtype=pl.String)
            for name, col in zip(columns, self.values, strict=True)
        ]
        data += [
            pl.Series(location[0], self.pages, dtype=pl.Int64),
            pl.Series(location[1], self.offsets, dtype=pl.Int64),
            pl.Series(location[2], self.recovered, dtype=pl.Boolean),
        ]
        return pl.DataFrame(data)


def location_names(columns: list[str]) -> list[str]:
    """Batch column names for page, offset and recovered that no data column has."""
    taken = set(columns)
    out = []
    for name in LOCATION_NAMES:
        name = "__" + name
        while name in taken:
            name = "_" + name
        out.append(name)
    return out


class Recovery:
    """The recovered rows of one file, split into outputs (tables), read one after the other."""

    def __init__(
        self,
        opener: Callable[[], Session],
        outputs: list[list[str]],
        details: dict[str, str | int | bool | None],
        rowid_columns: list[int] | None = None,
        batch_rows: int = BATCH_ROWS,
    ) -> None:
        self._open = opener
        self.outputs = outputs  # columns of each output; the last is the one for untold tables
        #: Per output, the column holding the rowid (known in intact cells only), -1 for none:
        #: left out when telling copies of one row apart.
        self.rowid_columns = rowid_columns or [-1] * len(outputs)
        self.details = details
        self.batch_rows = batch_rows
        self._state = "new"
        self._walked = False  # the first pass went through the whole file
        self._pending: list[array] = [array("I") for _ in outputs]
        self._seen: set[int] = set()
        self._problems: list[str] = []
        self.evidence = Evidence()
        details.setdefault("recovered_cells", 0)

    def output_of(self, cell: Carved) -> int:
        return cell.shape if cell.shape >= 0 else len(self.outputs) - 1

    def batches(self, out: int) -> Iterator[pl.DataFrame]:
        if self._state == "walking":
            raise SourceError("tables of one SQLite file are read one after the other")
        first = self._state == "new"
        self._state = "walking"
        try:
            yield from self._pass(out, first)
            self._walked = self._walked or first
        except SourceError as exc:
            if first:  # the later outputs' pages were not all noted: they end partial too
                self._problems = [str(exc)]
            raise
        finally:
            self._state = "done"
        if not self._walked:
            raise SourceError("the walk of this file stopped before its end: rows may be missing")
        if self._problems:
            raise SourceError("; ".join(self._problems), hint="what was readable was searched")

    def _pass(self, out: int, first: bool) -> Iterator[pl.DataFrame]:
        columns = self.outputs[out]
        location = location_names(columns)
        rows = _Rows(len(columns))
        unreadable = cut = 0
        session = self._open()
        try:
            carver = session.carver
            slots: Iterable[int] = session.slots() if first else self._pending[out]
            for slot in slots:
                img = session.image(slot)
                if img is None:
                    continue
                cells: list[tuple[Carved, bool]] = []
                try:
                    for found in carve_image(img, carver, self.evidence if first else None):
                        cells.append(found)  # noqa: PERF402 - keeps what came before a cut
                except RegionCut:
                    cut += 1  # what was found before stays
                except (IndexError, ValueError, OverflowError):
                    unreadable += 1  # hostile or corrupt bytes: the rest of the page is left
                for cell, recovered in cells:
                    target = self.output_of(cell)
                    if target == out:
                        self._emit(rows, cell, img, recovered)
                    elif first:
                        pending = self._pending[target]
                        if not pending or pending[-1] != slot:
                            pending.append(slot)
                if len(rows) >= self.batch_rows:
                    yield rows.frame(columns, location)
                    rows = _Rows(len(columns))
            if first:
                self._problems = list(session.problems)
                if unreadable:
                    self._problems.append(f"{unreadable} pages could not be parsed")
                if cut:
                    self._problems.append(
                        f"{cut} pages with cell-like bytes everywhere were searched in part"
                    )
                if self.evidence.zeroed or self.evidence.kept:
                    self.details["secure_delete"] = self.evidence.verdict
        finally:
            session.close()
        if len(rows):
            yield rows.frame(columns, location)

    def _emit(self, rows: _Rows, cell: Carved, img: Image, recovered: bool) -> None:
        out = self.output_of(cell)
        values = cell.values
        if self.rowid_columns[out] >= 0:
            values = values.copy()
            values[self.rowid_columns[out]] = None
        key = hash((out, tuple(values)))
        if key in self._seen:
            self.details["duplicate_cells"] = int(self.details.get("duplicate_cells") or 0) + 1
            return
        if len(self._seen) < DEDUPE_LIMIT:
            self._seen.add(key)
        rows.add(cell.values, img.pgno, img.base + cell.start, recovered)
        name = "recovered_cells" if recovered else "live_cells"
        self.details[name] = int(self.details.get(name) or 0) + 1
        if cell.broken:
            self.details["overflow_unreadable"] = (
                int(self.details.get("overflow_unreadable") or 0) + 1
            )
