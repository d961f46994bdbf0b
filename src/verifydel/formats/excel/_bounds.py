"""Bounds on an .xlsx before calamine reads it: every XML part, and every sheet's extent.

calamine reads the shared strings whole when it opens a workbook and lays a sheet
out as a dense grid from its first to its last cell: one cell at XFD1048576 is a
grid of 17 billion cells, a sharedStrings part of 1 GiB several GB of strings.
So before the worker (``_process``) is given a workbook, every XML part of it is
decompressed here, as an archive member is (``core.zipdir`` for the structure, a
``Meter`` for the ratio and the source's bytes, ``max_part_bytes`` per part), and
every sheet's XML is searched for the extent calamine will give it:

- the largest row and column any ``<c r=...>`` or ``<row r=...>`` names, plus one
  row (column) for each row (cell) without a reference, which calamine places
  after the previous one: an upper bound of the grid;
- the number of cells (a sheet repeating ``<c r="A1"/>`` is a small grid of many cells).

A sheet beyond ``max_cells`` or ``max_columns``, or whose part is a bomb, is refused
alone (its table fails with the reason); a bomb in any other part (the shared
strings, the styles, the workbook itself) refuses the whole workbook. What this
bound misses, the worker's memory limit still catches.
"""

from __future__ import annotations

import posixpath
import re
import xml.parsers.expat
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Final

from verifydel.core.limits import CHUNK_BYTES, Budget, LimitExceeded, Meter, human_size
from verifydel.core.zipdir import FLAG_ENCRYPTED, ZipEntry, central_entries, find_central_directory, local_data_offset
from verifydel.errors import FormatError, SourceError

WORKBOOK: Final = "xl/workbook.xml"
WORKBOOK_RELS: Final = "xl/_rels/workbook.xml.rels"
#: XML parts of one workbook checked at most (a workbook has a few dozen).
MAX_PARTS: Final = 10_000
#: Sheets named in xl/workbook.xml taken into account at most.
MAX_SHEETS: Final = 10_000
_STORED, _DEFLATED = 0, 8
_READ: Final = 64 << 10
#: Carried from one chunk to the next when no tag starts in it (a tag longer than this is forged).
_MAX_CARRY: Final = 64 << 10
#: Letters and digits of a reference read at most; a longer one is taken as beyond every limit.
_REF_CHARS: Final = 16

_PREFIX = rb"<(?:[A-Za-z_][\w.-]*:)?"
_ATTRS = rb"""(?:[^>"']|"[^"]*"|'[^']*')*?"""  # attribute values skipped whole
_REF = rb"""\sr\s*=\s*["']([A-Za-z]{0,16})([0-9]{0,16})"""
_CELL_TAG = re.compile(_PREFIX + rb"c(?=[\s/>])")
_ROW_TAG = re.compile(_PREFIX + rb"row(?=[\s/>])")
_CELL_REF = re.compile(_PREFIX + rb"c(?=[\s/>])" + _ATTRS + _REF)
_ROW_REF = re.compile(_PREFIX + rb"row(?=[\s/>])" + _ATTRS + _REF)
#: The way Excel and every common writer put it: ``r`` first, in double quotes, upper case.
#: A chunk where every cell and row is written so is measured with these (4 times faster).
_FAST_CELL_COLUMN = re.compile(rb'<c r="([A-Z]{1,3})[1-9][0-9]{0,6}"')
_FAST_CELL_ROW = re.compile(rb'<c r="[A-Z]{1,3}([1-9][0-9]{0,6})"')
_FAST_ROW_REF = re.compile(rb'<row r="([1-9][0-9]{0,6})"')


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n


@dataclass
class Extent:
    """How far a sheet's XML reaches, and how many cells it holds."""

    max_row: int = 0
    max_column: int = 0
    cells: int = 0
    cells_with_ref: int = 0
    rows: int = 0
    rows_with_ref: int = 0

    def feed(self, data: bytes) -> None:
        if b":c" in data or b":row" in data or not self._feed_fast(data):
            self._feed(data)

    def _feed_fast(self, data: bytes) -> bool:
        """Measure ``data`` if every cell and row in it starts with its reference; else False."""
        cells = data.count(b"<c ") + data.count(b"<c>") + data.count(b"<c/>")
        rows = data.count(b"<row ") + data.count(b"<row>") + data.count(b"<row/>")
        letters = _FAST_CELL_COLUMN.findall(data) if cells else []
        row_refs = _FAST_ROW_REF.findall(data) if rows else []
        if len(letters) != cells or len(row_refs) != rows:
            return False
        self.cells += cells
        self.cells_with_ref += cells
        self.rows += rows
        self.rows_with_ref += rows
        if letters:
            self.max_column = max(self.max_column, *map(_column_number, set(letters)))
            self.max_row = max(self.max_row, *map(int, set(_FAST_CELL_ROW.findall(data))))
        if row_refs:
            self.max_row = max(self.max_row, *map(int, set(row_refs)))
        return True

    def _feed(self, data: bytes) -> None:
        refs = _CELL_REF.findall(data)
        self.cells += len(_CELL_TAG.findall(data))
        self.cells_with_ref += len(refs)
        row_refs = _ROW_REF.findall(data)
        self.rows += len(_ROW_TAG.findall(data))
        self.rows_with_ref += len(row_refs)
        letters = {ref[0] for ref in refs}
        digits = {ref[1] for ref in refs} | {ref[1] for ref in row_refs}
        digits.discard(b"")
        if letters:
            self.max_column = max(self.max_column, *(self._far(x, _column_number) for x in letters))
        if digits:
            self.max_row = max(self.max_row, *(self._far(x, int) for x in digits))

    @staticmethod
    def _far(text: bytes, value: object) -> int:
        return 1 << 62 if len(text) >= _REF_CHARS else value(text)  # type: ignore[operator]

    @property
    def grid_rows(self) -> int:
        return self.max_row + max(0, self.rows - self.rows_with_ref)

    @property
    def grid_columns(self) -> int:
        return self.max_column + max(0, self.cells - self.cells_with_ref)

    def over(self, budget: Budget) -> LimitExceeded | None:
        """The limit this sheet's extent exceeds, if any."""
        limits = budget.limits
        if self.grid_columns > limits.max_columns:
            return LimitExceeded(
                "columns",
                f"the sheet reaches beyond column {limits.max_columns} (a forged cell reference)",
                hint="this sheet was not scanned",
            )
        grid = self.grid_rows * self.grid_columns
        if grid > limits.max_cells or self.cells > limits.max_cells:
            return LimitExceeded(
                "cells",
                f"the sheet spans {max(grid, self.cells):,} cells, more than {limits.max_cells:,} "
                "(a far-away cell makes the reader hold every empty cell before it)",
                hint="this sheet was not scanned",
            )
        return None


def _part_chunks(fh: BinaryIO, entry: ZipEntry, budget: Budget, kind: str) -> Iterator[bytes]:
    """The bytes of one part, decompressed CHUNK_BYTES at a time, within the limits."""
    what = f"the workbook part {entry.name[:120]}"
    if entry.flags & FLAG_ENCRYPTED or entry.method not in (_STORED, _DEFLATED):
        raise FormatError(
            f"not a readable {kind} workbook (a part is encrypted or compressed in a way Excel does not write)",
            hint="open it in Excel to check it, or export the sheets as CSV",
        )
    start = local_data_offset(fh, entry.header_offset or 0)
    if start is None or entry.compressed_size is None:
        raise FormatError(
            f"not a readable {kind} workbook (corrupt, truncated or another kind of file)",
            hint="open it in Excel to check it, or export the sheets as CSV",
        )
    left, used = entry.compressed_size, 0
    inflate = zlib.decompressobj(-15) if entry.method == _DEFLATED else None
    meter = Meter(budget, what, compressed=(lambda: used) if inflate else None, member_limit=False)
    limit = budget.limits.max_part_bytes

    def counted(out: bytes) -> bytes:
        meter.add(len(out))
        if meter.produced > limit:
            raise LimitExceeded("part-bytes", f"{what} expands to more than {human_size(limit)}")
        return out

    while left > 0:
        fh.seek(start + used)
        data = fh.read(min(_READ, left))
        if not data:
            break
        used += len(data)
        left -= len(data)
        if inflate is None:
            yield counted(data)
            continue
        try:
            out = inflate.decompress(data, CHUNK_BYTES)
            while out:
                yield counted(out)
                out = inflate.decompress(inflate.unconsumed_tail, CHUNK_BYTES) if inflate.unconsumed_tail else b""
        except zlib.error:
            raise FormatError(
                f"not a readable {kind} workbook (a part is corrupt)",
                hint="open it in Excel to check it, or export the sheets as CSV",
            ) from None
        if inflate.eof:
            break


def _split_at_tag(carry: bytes, chunk: bytes) -> tuple[bytes, bytes]:
    """(what can be searched now, what to carry): cut before the last tag, which may go on."""
    data = carry + chunk
    cut = data.rfind(b"<")
    if cut <= 0 or len(data) - cut > _MAX_CARRY:
        return data, b""
    return data[:cut], data[cut:]


class _Names:
    """The sheets of xl/workbook.xml and the targets of its relations, read with expat (no tree)."""

    def __init__(self) -> None:
        self.sheets: list[tuple[str, str]] = []  # (name, relation id)
        self.targets: dict[str, str] = {}

    def parser(self, part: str) -> xml.parsers.expat.XMLParserType:
        p = xml.parsers.expat.ParserCreate(namespace_separator=" ")
        p.StartElementHandler = self._sheet if part == WORKBOOK else self._relation
        return p

    @staticmethod
    def _local(attrs: dict[str, str], name: str) -> str | None:
        return next((v for k, v in attrs.items() if k.rsplit(" ", 1)[-1] == name), None)

    def _sheet(self, tag: str, attrs: dict[str, str]) -> None:
        if tag.rsplit(" ", 1)[-1] == "sheet" and len(self.sheets) < MAX_SHEETS:
            name, rid = attrs.get("name"), self._local(attrs, "id")
            if name is not None and rid is not None:
                self.sheets.append((name, rid))

    def _relation(self, tag: str, attrs: dict[str, str]) -> None:
        if tag.rsplit(" ", 1)[-1] == "Relationship" and len(self.targets) < MAX_SHEETS:
            rid, target = attrs.get("Id"), attrs.get("Target")
            if rid is not None and target is not None:
                self.targets[rid] = target

    def sheet_parts(self) -> dict[str, str]:
        """Part name (lower case) → sheet name."""
        parts = {}
        for name, rid in self.sheets:
            target = self.targets.get(rid)
            if target is None:
                continue
            target = target.replace("\\", "/")
            path = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
            parts[posixpath.normpath(path).lower()] = name
        return parts


def check_xlsx(path: Path, kind: str, budget: Budget) -> dict[str, LimitExceeded]:
    """The sheets refused (name → the limit exceeded); raises when the whole workbook is refused."""
    names = _Names()
    extents: dict[str, Extent] = {}
    refused: dict[str, LimitExceeded] = {}
    with open(path, "rb") as fh:
        cd = find_central_directory(fh, fh.seek(0, 2))
        if cd is None:
            raise FormatError(
                f"not a readable {kind} workbook (corrupt, truncated or another kind of file)",
                hint="open it in Excel to check it, or export the sheets as CSV",
            )
        try:
            entries = [e for e in central_entries(fh, cd) if e.name.lower().endswith((".xml", ".rels"))]
        except SourceError:
            raise FormatError(
                f"not a readable {kind} workbook (its zip directory is damaged)",
                hint="open it in Excel to check it, or export the sheets as CSV",
            ) from None
        if len(entries) > MAX_PARTS:
            raise LimitExceeded("members", f"more than {MAX_PARTS} XML parts in this workbook")
        for entry in entries:
            part = posixpath.normpath(entry.name.replace("\\", "/")).lower()
            extent = extents.setdefault(part, Extent())
            parser = names.parser(entry.name) if entry.name in (WORKBOOK, WORKBOOK_RELS) else None
            carry = b""
            try:
                for chunk in _part_chunks(fh, entry, budget, kind):
                    if parser is not None:
                        parser.Parse(chunk, False)
                    now, carry = _split_at_tag(carry, chunk)
                    extent.feed(now)
                extent.feed(carry)
            except LimitExceeded as exc:
                if exc.code not in ("ratio", "part-bytes"):
                    raise
                refused.setdefault(part, exc)
            except xml.parsers.expat.ExpatError:
                raise FormatError(
                    f"not a readable {kind} workbook (its list of sheets is not XML)",
                    hint="open it in Excel to check it, or export the sheets as CSV",
                ) from None
    sheets = names.sheet_parts()
    for part, exc in refused.items():
        if part not in sheets:
            raise exc  # the shared strings, the styles, the workbook: read whenever it is opened
    out = {sheets[part]: exc for part, exc in refused.items()}
    for part, name in sheets.items():
        if name not in out and part in extents and (exc := extents[part].over(budget)) is not None:
            out[name] = exc
    return out
