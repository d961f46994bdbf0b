"""SQLite cells and records: varints, serial types, and carving a deleted cell.

A table b-tree leaf cell (https://www.sqlite.org/fileformat2.html) is::

    P: record length (varint) | rowid (varint) | the record's first `local` bytes
    [| first overflow page (4 bytes), when the record does not fit in the page]

and a record is a header (its length H as a varint counting itself, then one serial
type per stored column) followed by the values.

Carving
    A cell SQLite left intact (a freed page's cell pointers, space given back by
    moving the content start) parses from its first byte, and P must equal the
    record's size: checked, not guessed.

    A cell freed into a freeblock lost its first 4 bytes to the freeblock header
    (next freeblock, size). They held P and the rowid and, when both are short, the
    header length H and the first serial type. With d = record start - cell start
    the carver tries, in this order:

    - the intact cell;
    - d = 4..12 with H surviving (the bytes between byte 4 and the record must be the
      tail of a rowid varint);
    - d = 3: H lost; a candidate table's column count n gives n serial types from byte 4;
    - d = 2: H and the first serial type lost: NULL when the table's first column is
      its INTEGER PRIMARY KEY; else, at a known cell start, the type whose size makes
      the cell end where the freeblock header at its start says (a stale one inside
      merged freeblocks), at the region's end, or where the next cell starts;

    and keeps the first alignment on which everything agrees: valid serial types,
    the table's column count (fewer for rows older than an ALTER TABLE ADD COLUMN),
    NULL in the INTEGER PRIMARY KEY column, text or NULL in TEXT columns, the cell
    inside its region, a P that leaves room for a rowid, at least one non-empty text
    or blob, and every text value valid in the database's encoding without control
    characters. The rowid (the INTEGER PRIMARY KEY's value) survives only in intact
    cells. A record whose header fits no table is kept only when intact (its table
    cannot be told: generic columns).

Cost: pure Python, per recovered cell a few varints and one decode per column
(about 15-20 µs a cell, measured with benchmarks/sqlite_recover.py). Inside a region
only positions a regular expression over the table's serial types points at are
tried (``Carver.starts``), so bytes without cells cost C-speed regex time.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final

from verifydel.formats.sqlite._records import (
    MAX_HEADER,
    Shape,
    serial_types,
    size_of,
    types_pattern,
    value_text,
    varint,
    varint_len,
)

#: Largest d tried with a surviving header: P (3 bytes) + rowid (up to 9 bytes).
MAX_D: Final = 12
#: Longest first value guessed for a cell that lost its first serial type amid merged cells.
MAX_GUESSED_FIRST: Final = 256
#: Serial type of an integer by its size in bytes.
_INT_TYPES: Final = {1: 1, 2: 2, 3: 3, 4: 4, 6: 5, 8: 6}
#: Text carrying these is taken for a misaligned read, not a value.
_CONTROL: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass
class Carved:
    """One recovered cell: where it lies in its page image, and its values as text."""

    start: int
    end: int
    shape: int  # index into the carver's shapes, -1 when no table could be told
    values: list[str | None]
    intact: bool
    broken: bool = False  # its overflow chain could not be read to the end
    #: How sure the alignment is: 3 intact (P checked), 2 its header survived or its
    #: size is what a freeblock header at its start says, 1 its column count was
    #: assumed, 0 its first value's size was guessed.
    strength: int = 3


@dataclass
class Carver:
    """Carves table-leaf cells out of page images of one database."""

    usable: int
    codec: str
    shapes: Sequence[Shape]
    page: Callable[[int], bytes | None]  # a page image by number, for overflow chains
    #: Bytes of a page's content (after its 4-byte next pointer) a freelist trunk's list
    #: overwrote: 0 for a page that is no trunk (None: not known).
    trunk_bytes: Callable[[int], int] | None = None
    _counts: list[int] = field(init=False)
    _starts: re.Pattern[bytes] | None = field(init=False)

    def __post_init__(self) -> None:
        self._counts = sorted({len(s.columns) for s in self.shapes})
        full = b"|".join(types_pattern(s, 0) for s in self.shapes)
        rest = b"|".join(types_pattern(s, 1) for s in self.shapes)
        self._starts = (
            re.compile(b"(?=(" + full + b")|(" + rest + b"))", re.DOTALL) if self.shapes else None
        )

    def starts(self, b: bytes, s: int, e: int) -> list[int] | None:
        """Where in ``b[s:e]`` a cell of one of the shapes may start (None: no shape to tell).

        A cell's serial types fit its table (``Shape.fits``); a regular expression
        finds every run of them. A whole run at t starts a cell 4 bytes before (the
        lost bytes and a lost header length) and, when the byte before it is the
        header length that ends the run, 3 to 13 bytes before (the cell's P and
        rowid); a run lacking the first type starts a cell 4 bytes before."""
        if self._starts is None:
            return None
        out: set[int] = set()
        for m in self._starts.finditer(b, s, e):
            t = m.start()
            end = m.end(1) if m.group(1) is not None else m.end(2)
            if b.count(0, t, end) == end - t:
                continue  # only NULLs: zeros are no evidence of a record
            if t - 4 >= s:
                out.add(t - 4)
            if m.group(1) is not None and t > s and b[t - 1] == m.end(1) - (t - 1):
                out.update(range(max(s, t - MAX_D - 1), t - 2))
        return sorted(out)

    def local_size(self, p: int) -> int:
        u = self.usable
        x = u - 35
        if p <= x:
            return p
        m = ((u - 12) * 32 // 255) - 23
        k = m + (p - m) % (u - 4)
        return k if k <= x else m

    # -- attribution ---------------------------------------------------------
    def _shapes_for(self, types: list[int], exact: bool | None, hint: int, only: int) -> list[int]:
        """Shapes a record with these types fits (``Shape.fits``) with the same column count
        (``exact``) or more (rows older than an ALTER TABLE ADD COLUMN; None: the same,
        else more); the hint alone when it fits; shape ``only`` alone when >= 0."""
        if exact is None:
            return self._shapes_for(types, True, hint, only) or self._shapes_for(
                types, False, hint, only
            )
        c = len(types)
        fits = [
            i
            for i, s in enumerate(self.shapes)
            if (len(s.columns) == c if exact else len(s.columns) > c)
            and s.fits(types)
            and only in (-1, i)
        ]
        return [hint] if hint in fits else fits

    # -- carving ---------------------------------------------------------------
    def carve(
        self,
        b: bytes,
        s: int,
        e: int,
        *,
        intact_only: bool = False,
        hint: int = -1,
        weak: bool = False,
        look: bool = True,
    ) -> Carved | None:
        """The cell starting at ``s`` and ending by ``e``, or None when nothing agrees.

        ``weak``: ``s`` is known to start a cell (a freeblock, the end of the cell
        before): the first serial type of a table without an INTEGER PRIMARY KEY
        first may then be inferred from where the cell must end."""
        got = varint(b, s, e)
        if got is not None and got[0] >= 2:
            p, i = got
            got = varint(b, i, e)
            if got is not None:
                rowid, r = got
                hdr = self._explicit(b, r, e)
                if hdr is not None:
                    found = self._try(b, s, e, r, hdr[1], hdr[0], None, p, rowid, hint, None)
                    if found is not None:
                        return found
        if intact_only or s + 4 >= e:
            return None
        later: list[tuple[int, int, list[int], int]] = []
        for d in range(4, MAX_D + 1):
            r = s + d
            if r >= e:
                break
            if d > 4 and b[r - 1] >= 0x80:
                continue  # the byte before the record ends the rowid varint
            if d > 5 and b[r - 2] < 0x80:
                break  # ... and the bytes before it continue it
            hdr = self._explicit(b, r, e)
            if hdr is None:
                continue
            types, hend = hdr
            if any(len(sh.columns) == len(types) for sh in self.shapes):
                found = self._try(b, s, e, r, hend, types, d, None, None, hint, True)
                if found is not None:
                    return found
            later.append((d, r, types, hend))
        for n in self._counts:  # d = 3: H lost, n serial types from byte 4
            got2 = serial_types(b, s + 4, e, n)
            if got2 is not None and got2[1] - (s + 3) < 0x80:
                found = self._try(b, s, e, s + 3, got2[1], got2[0], 3, None, None, hint, True)
                if found is not None:
                    return found
        for k, shape in enumerate(self.shapes):  # d = 2: H and the first serial type lost
            if shape.ipk == 0 or weak:
                found = self._lost_first(b, s, e, k, shape, hint, look)
                if found is not None:
                    return found
        for d, r, types, hend in later:  # rows older than an ALTER TABLE ADD COLUMN
            found = self._try(b, s, e, r, hend, types, d, None, None, hint, False)
            if found is not None:
                return found
        return None

    def _lost_first(
        self, b: bytes, s: int, e: int, k: int, shape: Shape, hint: int, look: bool
    ) -> Carved | None:
        """d = 2: the first serial type is NULL for an INTEGER PRIMARY KEY first column; for
        another, it is the one that makes the cell end where it must: where its freeblock
        header (perhaps a stale one inside merged freeblocks) says, else at ``e``."""
        n = len(shape.columns)
        got = serial_types(b, s + 4, e, n - 1)
        if got is None or got[1] - (s + 2) >= 0x80:
            return None
        rest, hend = got
        if shape.ipk == 0:
            return self._try(b, s, e, s + 2, hend, [0, *rest], 2, None, None, hint, True, k)
        if -1 in map(size_of, rest):
            return None
        body = sum(map(size_of, rest))
        stale = s + ((b[s + 2] << 8) | b[s + 3])  # the size its freeblock header gives
        for end in (stale, e) if look else (stale,):
            found = self._first_by_end(b, s, end, e, hend, rest, body, k, shape, hint)
            if found is not None:
                return found
        if not look:
            return None
        # the first of merged cells: where the next cell starts (it must not need guessing)
        for end in range(hend + body + 1, min(e, hend + body + MAX_GUESSED_FIRST) + 1):
            found = self._first_by_end(b, s, end, e, hend, rest, body, k, shape, hint)
            if found is not None and (
                e - end <= 3 or self.carve(b, end, e, hint=hint, weak=True, look=False) is not None
            ):
                return found
        return None

    def _first_by_end(
        self,
        b: bytes,
        s: int,
        end: int,
        e: int,
        hend: int,
        rest: list[int],
        body: int,
        k: int,
        shape: Shape,
        hint: int,
    ) -> Carved | None:
        size = end - hend - body
        if size < 0 or end > e or hend - (s + 2) + body + size > self.usable - 35:
            return None
        first = (
            [0] if size == 0 else ([2 * size + 13] if not shape.text[:1] or shape.text[0] else [])
        )
        first += [t for t in (_INT_TYPES.get(size), 2 * size + 12) if t is not None and size]
        for t in first:
            found = self._try(b, s, end, s + 2, hend, [t, *rest], 2, None, None, hint, True, k)
            if found is not None:
                return found
        return None

    def _explicit(self, b: bytes, r: int, e: int) -> tuple[list[int], int] | None:
        c = b[r] if r < e else 0
        if c < 0x80:
            h, j = c, r + 1
        else:
            got = varint(b, r, e)
            if got is None:
                return None
            h, j = got
        if h < 2 or h > MAX_HEADER or r + h > e:
            return None
        return serial_types(b, j, r + h, -1)

    def _try(
        self,
        b: bytes,
        s: int,
        e: int,
        r: int,
        hend: int,
        types: list[int],
        d: int | None,
        p_known: int | None,
        rowid: int | None,
        hint: int,
        exact: bool | None,
        only: int = -1,
    ) -> Carved | None:
        body = 0
        for t in types:
            n = size_of(t)
            if n < 0:
                return None
            body += n
        p = (hend - r) + body
        if p_known is not None and p != p_known:
            return None
        if d is not None:
            lp = varint_len(p)
            if d < lp + 1 or d - lp > 9:
                return None
        local = self.local_size(p)
        if local < hend - r:
            return None
        end = r + local + (4 if local < p else 0)
        if end > e:
            return None
        intact = p_known is not None
        fits = self._shapes_for(types, exact, hint, only)
        if not fits and not intact:
            return None
        shape = fits[0] if len(fits) == 1 else -1
        got = self._values(b, r, hend, local, p, types, intact)
        if got is None:
            return None
        values, broken = got
        if shape >= 0:
            sh = self.shapes[shape]
            values += [None] * (len(sh.columns) - len(values))
            if sh.ipk >= 0 and rowid is not None:
                values[sh.ipk] = str(rowid)
        if intact:
            strength = 3
        elif d is not None and d >= 3:
            strength = 2 if d >= 4 else 1
        else:
            strength = 1 if 0 <= only and self.shapes[only].ipk == 0 else 0
        if strength < 2 and s + 4 <= e and s + ((b[s + 2] << 8) | b[s + 3]) == end:
            strength = 2
        return Carved(s, end, shape, values, intact, broken, strength)

    def _values(
        self, b: bytes, r: int, hend: int, local: int, p: int, types: list[int], intact: bool
    ) -> tuple[list[str | None], bool] | None:
        """The values as text; None when a value in the page does not decode. Values in
        the overflow chain are read only then, and left null when they do not decode."""
        payload = b[r : r + local]
        out: list[str | None] = []
        pos = hend - r
        meaningful = False
        codec = self.codec
        for t in types:
            n = size_of(t)
            if pos + n > local:
                break
            try:
                v = value_text(t, payload[pos : pos + n], codec)
            except (ValueError, struct.error):
                return None
            if t >= 12:
                if t & 1 and _CONTROL.search(v or ""):
                    return None
                meaningful = meaningful or n > 0
            out.append(v)
            pos += n
        if intact:  # an intact cell needs a value; a carved one, a non-empty text or blob
            meaningful = any(v is not None for v in out) or len(out) < len(types)
        if not meaningful:
            return None
        broken = False
        if len(out) < len(types):
            more, lost = self._overflow(
                int.from_bytes(b[r + local : r + local + 4], "big"), p - local
            )
            payload += more
            broken = len(payload) < p
            for t in types[len(out) :]:
                n = size_of(t)
                raw = payload[pos : pos + n]
                hit = any(a < pos + n - local and pos - local < z for a, z in lost)
                pos += n
                try:
                    v = value_text(t, raw, codec) if len(raw) == n and not hit else None
                except (ValueError, struct.error):
                    v = None
                broken = broken or (v is None and t != 0)
                out.append(v)
            if all(v is None for v in out):
                return None  # nothing readable: no row
        return out, broken

    def _overflow(self, first: int, need: int) -> tuple[bytes, list[tuple[int, int]]]:
        """Up to ``need`` bytes of an overflow chain (short when it breaks), and the ranges
        of them a freelist trunk overwrote. A trunk also lost the next page's number: the
        chain goes on at the next page, where SQLite allocates a chain's pages when it can."""
        chunks: list[bytes] = []
        lost: list[tuple[int, int]] = []
        got = 0
        seen: set[int] = set()
        limit = need // max(1, self.usable - 4) + 2
        page = first
        while page and got < need and page not in seen and len(seen) < limit:
            seen.add(page)
            image = self.page(page)
            if image is None or len(image) < self.usable:
                break
            chunk = image[4 : self.usable][: need - got]
            chunks.append(chunk)
            gone = self.trunk_bytes(page) if self.trunk_bytes is not None else 0
            if gone:
                lost.append((got, got + gone))
                page += 1
            else:
                page = int.from_bytes(image[:4], "big")
            got += len(chunk)
        return b"".join(chunks), lost
