"""SQLite records: varints, serial types, values as text, and a table's record layout.

See https://www.sqlite.org/fileformat2.html#record_format. Used by the cell carver
(``_sqlite_cells``); pure functions over bytes, nothing here reads a file.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from typing import Final

#: Bytes of serial types 0..9 (10 and 11 are reserved, never valid).
_SIZES: Final = (0, 1, 2, 3, 4, 6, 8, 8, 0, 0)
#: Longest record header accepted (a table of ~2000 columns at most needs less).
MAX_HEADER: Final = 8192
#: SQLite text encodings (database header offset 56) to Python codecs.
CODECS: Final = {1: "utf-8", 2: "utf-16-le", 3: "utf-16-be"}


@dataclass(frozen=True)
class Shape:
    """A table's record layout: stored columns in record order and its INTEGER PRIMARY KEY."""

    table: str
    columns: tuple[str, ...]
    ipk: int = -1  # index of the rowid alias column (its record value is NULL), -1 if none
    root: int = 0  # root page in the database file (0: unknown)
    #: Columns of TEXT affinity: SQLite stores every value there as text, NULL or (rarely) a blob.
    text: tuple[bool, ...] = ()

    def fits(self, types: list[int]) -> bool:
        """NULL in the INTEGER PRIMARY KEY; text or NULL in every TEXT column."""
        if 0 <= self.ipk < len(types) and types[self.ipk] != 0:
            return False
        for t, is_text in zip(types, self.text, strict=False):
            if is_text and t and not (t >= 13 and t & 1):
                return False
        return True


def affinity_is_text(declared: str) -> bool:
    """SQLite's affinity rules: TEXT when the type names CHAR, CLOB or TEXT and not INT."""
    upper = declared.upper()
    return "INT" not in upper and any(word in upper for word in ("CHAR", "CLOB", "TEXT"))


def _class(ranges: list[tuple[int, int]], odd: bool = False) -> bytes:
    values = [v for lo, hi in ranges for v in range(lo, hi + 1) if not odd or v & 1]
    return b"[" + b"".join(b"\\x%02x" % v for v in values) + b"]"


#: A serial type as bytes: any (10 and 11 excluded), and a TEXT column's (NULL or text).
_ANY_TYPE: Final = b"(?:" + _class([(0, 9), (12, 0x7F)]) + b"|[\\x80-\\xff]{1,8}[\\x00-\\x7f])"
_TEXT_TYPE: Final = (
    b"(?:\\x00|"
    + _class([(13, 0x7F)], odd=True)
    + b"|[\\x80-\\xff]{1,2}"
    + _class([(0, 0x7F)], odd=True)
    + b")"
)


def types_pattern(shape: Shape, skip: int) -> bytes:
    """A regular expression for the serial types of ``shape``'s records, the first ``skip`` left out."""
    parts = []
    for i in range(skip, len(shape.columns)):
        if i == shape.ipk:
            parts.append(b"\\x00")
        elif i < len(shape.text) and shape.text[i]:
            parts.append(_TEXT_TYPE)
        else:
            parts.append(_ANY_TYPE)
    return b"".join(parts)


def varint(b: bytes, i: int, end: int) -> tuple[int, int] | None:
    """(value, next offset) of the varint at ``i``, or None when it runs past ``end``."""
    v = 0
    for k in range(i, min(i + 8, end)):
        c = b[k]
        if c < 0x80:
            return (v << 7) | c, k + 1
        v = (v << 7) | (c & 0x7F)
    if i + 8 < end:
        return (v << 8) | b[i + 8], i + 9
    return None


def varint_len(v: int) -> int:
    n = 1
    while v >= 0x80 and n < 9:
        v >>= 7
        n += 1
    return n


def size_of(t: int) -> int:
    """Bytes a value of serial type ``t`` takes; -1 for the reserved types."""
    if t >= 12:
        return (t - 12) >> 1
    return _SIZES[t] if t < 10 else -1


def serial_types(b: bytes, i: int, stop: int, count: int) -> tuple[list[int], int] | None:
    """``count`` serial types from ``i`` (count -1: up to ``stop`` exactly)."""
    out: list[int] = []
    while (i < stop) if count < 0 else (len(out) < count):
        if i >= stop:
            return None
        c = b[i]
        if c < 0x80:
            t, i = c, i + 1
        else:
            got = varint(b, i, stop)
            if got is None:
                return None
            t, i = got
        if t in (10, 11):
            return None
        out.append(t)
    if count < 0 and i != stop:
        return None
    return out, i


def value_text(t: int, raw: bytes, codec: str) -> str | None:
    """A stored value as the text the live reader would give (raises ValueError for bad text)."""
    if t == 0:
        return None
    if t <= 6:
        return str(int.from_bytes(raw, "big", signed=True))
    if t == 7:
        x = struct.unpack(">d", raw)[0]
        if math.isfinite(x) and abs(x) < 9007199254740992.0 and x == int(x):
            return str(int(x))
        return repr(x)
    if t in (8, 9):
        return str(t - 8)
    if t & 1:
        return raw.decode(codec)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return "0x" + raw.hex()
