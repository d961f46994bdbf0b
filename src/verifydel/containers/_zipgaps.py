"""The byte ranges of a zip its entries claim, and reading what they leave over.

``Extents`` keeps the ranges members claim (strictly: members whose data overlap
are the construction of non-recursive zip bombs) and those the archive's own
structure and members not read take (noted, may overlap); ``gaps`` is what is left.
``read_range`` copies such a range into a unit ``#unaccounted@OFFSET`` that the
reader opens by content.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Iterator
from typing import BinaryIO, Final

from verifydel.containers._spool import MemberCuts, member_label, spool_member
from verifydel.containers._streams import CountingReader
from verifydel.core.limits import CHUNK_BYTES, Budget, LimitExceeded, Meter
from verifydel.core.unit import Unit, UnitFailure

#: The name (after "!/") of bytes no directory entry accounts for, read by content.
UNACCOUNTED: Final = "#unaccounted"
#: Unaccounted ranges shorter than this are not read: no phone number or address fits.
MIN_UNACCOUNTED_BYTES: Final = 8


class Extents:
    """Byte ranges of the file already claimed by a member (``claim``: strictly, no overlap), and
    by the archive's own structure or members not read here (``note``: may overlap)."""

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._noted: list[tuple[int, int]] = []

    def claim(self, start: int, end: int) -> bool:
        i = bisect.bisect_right(self._starts, start)
        if (i > 0 and self._ends[i - 1] > start) or (
            i < len(self._starts) and self._starts[i] < end
        ):
            return False
        self._starts.insert(i, start)
        self._ends.insert(i, end)
        return True

    def note(self, start: int, end: int) -> None:
        if end > start:
            self._noted.append((start, end))

    def gaps(self, size: int) -> list[tuple[int, int]]:
        """The ranges of ``[0, size)`` nothing claimed or noted."""
        self._noted.sort()
        out: list[tuple[int, int]] = []
        pos = 0
        for start, end in heapq.merge(zip(self._starts, self._ends), self._noted):
            if start > pos:
                out.append((pos, min(start, size)))
            pos = max(pos, end)
            if pos >= size:
                break
        if pos < size:
            out.append((pos, size))
        return [(a, b) for a, b in out if b > a]


def all_zero(fh: BinaryIO, start: int, end: int) -> bool:
    fh.seek(start)
    left = end - start
    while left > 0:
        chunk = fh.read(min(CHUNK_BYTES, left))
        if not chunk or chunk.count(0) != len(chunk):
            return not chunk
        left -= len(chunk)
    return True


def read_range(
    unit: Unit, fh: BinaryIO, start: int, end: int, budget: Budget, cuts: MemberCuts
) -> Iterator[Unit | UnitFailure]:
    """``[start, end)`` of the archive, copied as a unit ``#unaccounted@START`` read by content."""
    fh.seek(start)
    raw = CountingReader(fh, budget, limit=end - start)
    label = member_label(unit, f"{UNACCOUNTED}@{start}")
    try:
        yield from spool_member(unit, label, raw.read, Meter(budget, "unaccounted bytes"))
    except LimitExceeded as exc:
        if not cuts.note(exc):
            raise


__all__ = ["MIN_UNACCOUNTED_BYTES", "UNACCOUNTED", "Extents", "all_zero", "read_range"]
