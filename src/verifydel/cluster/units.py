"""A scan's sources as work units for the cluster's workers, planned on the client.

Every source is expanded as a local scan expands it (``sources.expand``: files, the
files of folders, database tables), in the same order. Each top-level unit becomes:

- one ``Part`` read whole by a worker, exactly as a local scan reads it (``read_unit``):
  a small file, a container (tar, gzip, xz, 7z, zip), a SQLite file, a SQL dump, a
  workbook. A live database table (its unit opens its own connection) is found again
  by the worker from the source it came from and its label.
- for a large file (over ``part_bytes``) that one of the two splittable readers reads:
  several ``Part`` s, each a ``Unit.span`` of the file, and one more that hashes the whole
  file for the manifest. Delimited text is cut just after a line feed outside any quoted
  field (quote parity counted from the file's start: a quoted field may hold line
  breaks), in an encoding where a line feed or a quote byte is never part of another
  character; unstructured bytes anywhere (the reader searches from before a part's start
  and keeps the spans starting in it, so a phone across a cut is found once).
- for a zip over ``part_bytes`` that ``zip_archive.member_slots`` can split: one ``Part``
  per member (``Part.slot``; the worker opens the zip at that member only) and the digest
  part. The worker tells the client when the zip must be read whole after all (see
  ``worker.MemberRead``); the client then plans it again as one part (``whole``).
- for a live PostgreSQL/MariaDB table with a one-column integer primary key and more than
  ``table_rows`` rows: one ``Part`` per key range (``Part.key_range``; the rows streamed in
  key order, as a local scan streams them), and one that computes the row digest over
  the whole table (a SHA-256 cannot be put together from parts).

``merge`` (``verifydel.cluster.client``) makes of the parts' outcomes what a local scan of
the file gives: one entry, rows added up, match rows renumbered.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

import numpy as np

from verifydel import containers, formats
from verifydel.containers import zip_archive
from verifydel.core.db_tables import KeyRange
from verifydel.core.options import ReadOptions
from verifydel.core.unit import Span, Unit, UnitFailure
from verifydel.decoders import canonical_encoding
from verifydel.decoders.parallel import SPLITTABLE
from verifydel.errors import SourceError, UsageError
from verifydel.formats import delimited
from verifydel.formats.excel import xlsx
from verifydel.formats.unstructured import reader as unstructured
from verifydel.pipeline.columns import header_as_data
from verifydel.pipeline.reader import is_excluded
from verifydel.sources import databases, expand

#: A file larger than this is cut into parts of about this size (when its reader can be).
PART_BYTES: Final = 256 << 20
#: A live table with more rows than this (and a one-column integer primary key) is read in
#: key ranges of about this many rows.
TABLE_ROWS: Final = 2_000_000
#: Bytes read at a time while delimited text's cuts are looked for.
_BLOCK_BYTES: Final = 64 << 20
#: Between a label and what part of it a ``Part.key`` names: no label holds a NUL.
_SEP: Final = "\x00"

#: Encodings in which bytes 0x0A (line feed) and 0x22 (quote) are only ever themselves.
_CUTTABLE: Final = frozenset(canonical_encoding(e) for e in (*SPLITTABLE, "utf-8", "utf-8-sig"))

#: How a top-level unit's parts come back together.
#:   whole: one part, its outcomes as read; rows: delimited text in parts (renumbered);
#:   spans: unstructured bytes in parts; members: a zip's members each a part (random
#:   access), the zip's own entry made by the client; ranges: a live table in primary-key
#:   ranges (renumbered), its row digest a part of its own; failure: nothing to read (expand's UnitFailure).
Layout = Literal["whole", "rows", "spans", "members", "ranges", "failure"]


@dataclass(frozen=True)
class Part:
    """One work unit: what one worker task reads (see the module docstring).

    ``key`` names it in the scan's journal: the top-level ``label`` for a unit read whole
    (as a local scan's journal names it), else the label, a NUL, and the part's bytes
    (``START-END``) or ``sha256`` for the whole file's digest."""

    key: str
    label: str
    #: The file (or part of one) to read; None for a live table (see ``source``).
    unit: Unit | None
    #: A live database table: the source string the worker expands again to find ``label``.
    source: str | None = None
    #: Only hash ``unit``'s whole file (its SHA-256 for the manifest).
    digest: bool = False
    #: Bytes this part reads (progress); None when not known.
    size: int | None = None
    #: One member of the zip ``unit`` (layout "members"): the worker opens the zip at it only.
    slot: zip_archive.MemberSlot | None = None
    #: The rows of the live table ``label`` in this range of its primary key (layout "ranges").
    key_range: KeyRange | None = None
    #: The range of the table's first rows (the others choose columns from the whole table's).
    first: bool = False


@dataclass
class Planned:
    """A top-level unit of the scan, in source order, and its parts."""

    label: str
    item: Unit | UnitFailure
    layout: Layout
    parts: list[Part] = field(default_factory=list)
    #: Delimited text whose header row is scanned as data (row 0, in the first part).
    led: bool = False

    @property
    def reads(self) -> list[Part]:
        """The parts that read rows (not the digest)."""
        return [p for p in self.parts if not p.digest]

    @property
    def digest(self) -> Part | None:
        return next((p for p in self.parts if p.digest), None)


def plan(
    sources: Sequence[str],
    options: ReadOptions,
    *,
    part_bytes: int = PART_BYTES,
    exclude: Sequence[Path] = (),
    table_rows: int = TABLE_ROWS,
) -> list[Planned]:
    """Every source's top-level units, in the order a local scan reads them, with their parts."""
    if part_bytes < 1 or table_rows < 1:
        raise UsageError("the part size must be at least one byte, and one row")
    planned: list[Planned] = []
    for source in sources:
        for item in expand(source, tables=options.tables, follow_symlinks=options.follow_symlinks):
            if is_excluded(item, exclude):
                continue
            if isinstance(item, Unit) and item.path is not None and not item.path.is_absolute():
                # a worker on another machine has another working directory: it reads the
                # file at this one's absolute path (the label, the report's path, stays as given)
                item = dataclasses.replace(item, path=item.path.absolute())
            planned.append(_plan_one(source, item, options, part_bytes, table_rows))
    return planned


def _plan_one(source: str, item: Unit | UnitFailure, options: ReadOptions, part_bytes: int, table_rows: int) -> Planned:
    if isinstance(item, UnitFailure):
        return Planned(item.label, item, "failure")
    if item.opener is not None or item.path is None:  # a live table: the worker opens it again
        ranges = None
        if item.path is None and item.kind in databases.ENGINES and databases.claims(source):
            ranges = databases.table_ranges(source, item.label, options.tables, table_rows)
        if ranges is not None:
            parts = [
                Part(f"{item.label}{_SEP}keys:{r.low}-{r.high}", item.label, None, source=source, key_range=r, first=i == 0)
                for i, r in enumerate(ranges)
            ]
            parts.append(Part(f"{item.label}{_SEP}row_digest", item.label, None, source=source, digest=True))
            return Planned(item.label, item, "ranges", parts)
        part = Part(item.label, item.label, None, source=source, size=item.size)
        return Planned(item.label, item, "whole", [part])
    if item.budget is not None:  # never sent: a budget is the worker's own
        item = dataclasses.replace(item, budget=None)
    split = _split(item, options, part_bytes)
    if split is not None:
        return split
    return Planned(item.label, item, "whole", [Part(item.label, item.label, item, size=item.size)])


def _split(unit: Unit, options: ReadOptions, part_bytes: int) -> Planned | None:
    """The file in parts, when it is large and one of the splittable readers reads it; else None."""
    assert unit.path is not None
    if unit.size is None or unit.size <= part_bytes:
        return None
    try:
        handler = containers.detect(unit)
        if handler is zip_archive and not formats.reads_whole(unit):
            return _split_zip(unit, options)
        if handler is not None or formats.reads_whole(unit):
            return None
        kind = formats.reader_kind(unit, encoding=options.encoding, prefer_text=bool(options.mapping))
    except (SourceError, OSError):
        return None  # the worker reading it whole says why
    if kind == delimited.KIND:
        return _split_delimited(unit, options, part_bytes)
    if kind == unstructured.KIND:
        bounds = list(range(0, unit.size, part_bytes)) + [unit.size]
        return _planned(unit, "spans", bounds, led=False)
    return None


def _split_zip(unit: Unit, options: ReadOptions) -> Planned | None:
    """A zip, one part per member (``zip_archive.member_slots``), when it can be split: two
    members or more, and not a workbook holding other members (read as a workbook first)."""
    assert unit.path is not None
    if options.limits.max_depth <= 1 or xlsx.layout(unit.path) is xlsx.Layout.WITH_MEMBERS:
        return None
    slots = zip_archive.member_slots(unit, options.limits)
    if slots is None or len(slots) < 2:
        return None
    parts = [
        Part(f"{unit.label}{_SEP}member:{s.index}", unit.label, unit, size=s.entry.compressed_size or 0, slot=s)
        for s in slots
    ]
    parts.append(Part(f"{unit.label}{_SEP}sha256", unit.label, unit, digest=True, size=0))
    return Planned(unit.label, unit, "members", parts)


def whole(planned: Planned) -> Planned:
    """``planned`` read as one unit (a zip the workers found it cannot split after all)."""
    item = planned.item
    assert isinstance(item, Unit)
    return Planned(planned.label, item, "whole", [Part(item.label, item.label, item, size=item.size)])


def _split_delimited(unit: Unit, options: ReadOptions, part_bytes: int) -> Planned | None:
    assert unit.path is not None and unit.size is not None
    try:
        tables = formats.open_tables(unit, encoding=options.encoding, prefer_text=bool(options.mapping))
    except (SourceError, OSError):
        return None
    if len(tables) != 1 or tables[0].encoding is None:
        return None
    table = tables[0]
    led = header_as_data(table) is not None
    close = getattr(table.batches, "close", None)
    if close is not None:
        close()
    if canonical_encoding(table.encoding) not in _CUTTABLE:
        return None
    bounds = record_cuts(unit.path, part_bytes)
    if len(bounds) <= 2:
        return None
    return _planned(unit, "rows", bounds, led=led)


def _planned(unit: Unit, layout: Layout, bounds: list[int], *, led: bool) -> Planned:
    head = bounds[1]
    parts = [
        Part(f"{unit.label}{_SEP}{a}-{b}", unit.label, dataclasses.replace(unit, span=Span(a, b, head)), size=b - a)
        for a, b in zip(bounds[:-1], bounds[1:])
    ]
    parts.append(Part(f"{unit.label}{_SEP}sha256", unit.label, unit, digest=True, size=0))
    return Planned(unit.label, unit, layout, parts, led=led)


def record_cuts(path: Path, every: int, *, block: int = _BLOCK_BYTES) -> list[int]:
    """Bounds of parts of about ``every`` bytes of delimited text: 0, offsets just after a
    line feed outside any quoted field, and the file's size.

    One pass over the file: quotes are counted (``bytes.count``) in every block; in a block
    where a cut is due, numpy finds the line feeds preceded by an even number of quotes
    since the file's start. A file in which no such line feed follows a cut point is one part.
    """
    size = os.path.getsize(path)
    cuts = [0]
    target = every
    quotes = 0
    with open(path, "rb") as fh:
        pos = 0
        while target < size and (data := fh.read(block)):
            while target < size and target < pos + len(data):
                at = _first_record_end(data, max(target - pos, 0), quotes)
                if at is None:
                    break  # in a later block
                cut = pos + at
                if cut >= size:
                    target = size
                    break
                cuts.append(cut)
                target = cut + every
            quotes += data.count(b'"')
            pos += len(data)
    cuts.append(size)
    return cuts


def _first_record_end(data: bytes, start: int, quotes_before: int) -> int | None:
    """The offset just after the first line feed at or after ``start`` in ``data`` preceded by
    an even number of quotes (``quotes_before`` of them before ``data``); None if none."""
    arr = np.frombuffer(data, dtype=np.uint8)
    feeds = np.flatnonzero(arr == 0x0A)
    feeds = feeds[feeds >= start]
    if feeds.size == 0:
        return None
    quote_at = np.flatnonzero(arr == 0x22)
    even = (quotes_before + np.searchsorted(quote_at, feeds)) % 2 == 0
    found = feeds[even]
    return int(found[0]) + 1 if found.size else None


def iter_parts(planned: Sequence[Planned]) -> Iterator[Part]:
    for p in planned:
        yield from p.parts


__all__ = ["PART_BYTES", "TABLE_ROWS", "Part", "Planned", "iter_parts", "plan", "record_cuts", "whole"]
