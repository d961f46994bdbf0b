"""Unstructured bytes: logs, call notes, disk images, unknown binaries, scanned for phones.

What no table format claims is read as bytes, in chunks, and searched for
phone-shaped spans in UTF-8, CP932, EUC-JP, UTF-16LE and UTF-16BE at once
(``_carve``). The spans become the rows of a one-column table (``PHONE_COLUMN``)
that the scan matches like any other table: normalise, fingerprint, look up,
grade. Each row carries its byte offset (the report's ``offset``; rows are not
numbered) and, for the scan, a way to read the text around it
(``UnstructuredTable.window_texts``): a hit becomes strong when the same leaked
record's name or address is written within ``WINDOW_BYTES`` of it
(``verifydel.match.window``).

A text file read as a table in which no phone or address column is found (free
text, call notes, a one-column export) is better read this way:
``verifydel.pipeline`` decides that for every command, with the user's --map.

The scan calls both: ``window_texts`` after matching a batch of this table (and
``verifydel.match.window.corroborate`` with it); the reader decides on text after
opening a unit's tables. ``UnstructuredTable`` carries ``window_texts`` until
``Table`` itself does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Final

import polars as pl

from verifydel.decoders import canonical_encoding
from verifydel.errors import DecodeError, SourceError
from verifydel.formats.unstructured._carve import (
    ASCII,
    ASCII_COMPATIBLE,
    ENCODINGS,
    UTF16,
    Span,
    carve,
    searches_for,
    window_start,
)
from verifydel.formats._probe import Probe
from verifydel.core.table import BATCH_ROWS, Table
from verifydel.normalise.batch import ROW
from verifydel.core.unit import Span as UnitSpan
from verifydel.core.unit import Unit

KIND: Final = "text"
BINARY_KIND: Final = "binary"

#: The one data column: the phone-shaped span as written.
PHONE_COLUMN: Final = "phone"
#: Hidden batch columns: where each span starts and ends (absolute byte offsets), and
#: the encoding it was read in (``_carve.ASCII`` when it could be any ASCII-compatible one).
OFFSET_COLUMN: Final = "__offset"
END_COLUMN: Final = "__end"
ENCODING_COLUMN: Final = "__encoding"

#: Column of ``window_texts``'s frames holding a reading (``verifydel.match.window.TEXT``).
TEXT: Final = "text"

#: Bytes read at a time (plus a few hundred of the next chunk).
CHUNK_BYTES: Final = 8 << 20
#: A batch (maybe small) at least every this many bytes read, so that the scan's progress
#: moves through a large file with few spans.
BATCH_BYTES: Final = 64 << 20
#: Bytes on each side of a span searched for the same record's name or address.
WINDOW_BYTES: Final = 256

#: Kinds of text tables that the reader (``verifydel.pipeline``) may read as text instead.
TEXT_TABLE_KINDS: Final = frozenset({"csv", "tsv", "jsonl"})
#: A header longer than this is taken for a line of text, not a column name.
HEADER_MAX_CHARS: Final = 32
AS_TEXT_NOTE: Final = (
    "read as text: no phone or address column was found in it as a table, so it was "
    "searched for phone numbers (and names and addresses around them) instead"
)


def sniff(probe: Probe) -> bool:
    """Anything: the reader of last resort (registered last)."""
    return True


#: --encoding names (after ``canonical_encoding``, "_" as "-") and the encoding searched.
_NAMED: Final = {
    "utf-8": "utf-8", "utf-8-sig": "utf-8", "cp932": "cp932", "shift-jis": "cp932",
    "euc-jp": "euc_jp",
}  # fmt: skip


def encodings_for(override: str | None) -> tuple[str, ...]:
    """The encodings searched: all of ENCODINGS, or the one --encoding names (both
    UTF-16 byte orders for "utf-16"); an encoding verifydel does not search for: all."""
    if override is None:
        return ENCODINGS
    name = canonical_encoding(override).replace("_", "-")
    if name.startswith("utf-16"):
        return tuple(e for e in UTF16 if name.endswith(e[-3:])) or UTF16
    return (_NAMED[name],) if name in _NAMED else ENCODINGS


def _text_encoding(probe: Probe) -> str | None:
    """The encoding of a text file (None for binary, or text in no known encoding)."""
    if probe.is_binary:
        return None
    try:
        return probe.encoding
    except DecodeError:
        return None


@dataclass
class UnstructuredTable(Table):
    """A table of phone-shaped spans, with the text around each at hand for the scan.

    ``window_texts(batch, rows)`` gives (_row u32, text) readings of the text around
    the given rows of a batch of this table, in every encoding the span may be in.
    """

    window_texts: Callable[[pl.DataFrame, pl.Series], pl.DataFrame] | None = field(
        default=None, repr=False
    )


def open_tables(unit: Unit, probe: Probe) -> list[Table]:
    encodings = encodings_for(probe.encoding_override)
    return [
        open_unstructured(unit, encodings, encoding=_text_encoding(probe), binary=probe.is_binary)
    ]


def open_unstructured(
    unit: Unit,
    encodings: Sequence[str] = ENCODINGS,
    *,
    encoding: str | None = None,
    binary: bool = True,
    chunk_bytes: int = CHUNK_BYTES,
    window: int = WINDOW_BYTES,
) -> UnstructuredTable:
    """The unit's bytes as a table of phone-shaped spans (see the module docstring)."""
    if unit.path is None:
        raise SourceError(f"{unit.label} holds no bytes to read")
    reading = _Reading(unit.path, tuple(encodings), chunk_bytes, window, unit.span)
    return UnstructuredTable(
        position=reading.position,
        label=unit.label,
        kind=BINARY_KIND if binary else KIND,
        columns=[PHONE_COLUMN],
        batches=reading.batches(),
        encoding=encoding,
        location={"offset": OFFSET_COLUMN},
        numbered=False,
        details={"encodings": ",".join(encodings)},
        window_texts=reading.window_texts,
    )


_SCHEMA: Final = {
    PHONE_COLUMN: pl.String,
    OFFSET_COLUMN: pl.Int64,
    END_COLUMN: pl.Int64,
    ENCODING_COLUMN: pl.String,
}


class _Reading:
    """How to read one unit's bytes; ``batches`` does it, lazily, when iterated."""

    def __init__(
        self,
        path: Path,
        encodings: tuple[str, ...],
        chunk_bytes: int,
        window: int,
        span: UnitSpan | None = None,
    ) -> None:
        self.path = path
        self.searches = searches_for(encodings)
        self.chunk_bytes = chunk_bytes
        self.window = window
        self.span = span
        self._read = 0  # bytes of the file read for the batches yielded so far

    def position(self) -> int:
        """Bytes of the file read so far for the batches yielded (``Table.position``)."""
        return self._read

    def batches(self) -> Iterator[pl.DataFrame]:
        """The spans, in order of offset, about BATCH_ROWS a batch (fewer, maybe none, when
        BATCH_BYTES were read since the last one).

        At least one batch (maybe empty), so that the scan sees the columns."""
        pending: list[pl.DataFrame] = []
        rows = 0
        yielded = False
        origin, first, last = 0, 0, None  # the spans kept start in [first, last)
        try:
            with open(self.path, "rb") as file:
                stream: BinaryIO = file
                if self.span is not None:
                    first, last = self.span.start, self.span.end
                    origin = max(first - SPAN_LEAD_BYTES, 0)
                    stream = _Part(file, origin, last + SPAN_TAIL_BYTES)
                for found in carve(stream, chunk_bytes=self.chunk_bytes, searches=self.searches):
                    spans = found if self.span is None else _within(found, origin, first, last)
                    if spans:
                        frame = _frame(spans)
                        pending.append(frame)
                        rows += frame.height
                    read = stream.tell()
                    if rows >= BATCH_ROWS or read - self._read >= BATCH_BYTES:
                        self._read = read
                        yield pl.concat(pending) if pending else pl.DataFrame(schema=_SCHEMA)
                        yielded, pending, rows = True, [], 0
                self._read = stream.tell()
        except OSError as exc:
            raise SourceError(
                f"cannot read the file: {(exc.strerror or type(exc).__name__).lower()}",
                hint="the spans found before the error were scanned; check the medium",
            ) from None
        if pending or not yielded:
            yield pl.concat(pending) if pending else pl.DataFrame(schema=_SCHEMA)

    def window_texts(self, batch: pl.DataFrame, rows: pl.Series) -> pl.DataFrame:
        """(_row u32, text): the text around each of ``rows`` (batch positions), read
        in each encoding its span may be in; CP932 and EUC-JP text before a span is read
        from two starting bytes (the window may begin inside a two-byte character)."""
        numbered = pl.int_range(pl.len(), dtype=pl.UInt32).alias(ROW)
        wanted = batch.select(numbered, OFFSET_COLUMN, END_COLUMN, ENCODING_COLUMN).filter(
            pl.col(ROW).is_in(rows.implode())
        )
        out_rows: list[int] = []
        texts: list[str] = []
        try:
            with open(self.path, "rb") as stream:
                for row, start, end, encoding in wanted.iter_rows():
                    lo = window_start(start, encoding, self.window)
                    stream.seek(lo)
                    before = stream.read(start - lo)
                    stream.seek(end)
                    after = stream.read(self.window)
                    readings = _readings(before, after, encoding, lo, end)
                    out_rows += [row] * len(readings)
                    texts += readings
        except OSError as exc:
            raise SourceError(
                f"cannot read the file: {(exc.strerror or type(exc).__name__).lower()}",
                hint="check the medium",
            ) from None
        return pl.DataFrame({ROW: out_rows, TEXT: texts}, schema={ROW: pl.UInt32, TEXT: pl.String})


#: A part of a file (``Unit.span``) is searched from this many bytes before its start, so
#: that each search has found its footing (where it goes on after the matches before the
#: part) by the time it reaches the part, as one search of the whole file would have.
SPAN_LEAD_BYTES: Final = 64 << 10
#: ... and to this many bytes past its end, so that a span starting in it is read whole
#: (a span is at most a few hundred bytes, see ``_carve.MAX_SPAN_BYTES``).
SPAN_TAIL_BYTES: Final = 4 << 10


class _Part:
    """Bytes ``start``..``end`` of an open file as a stream (reads stop at ``end``)."""

    def __init__(self, file: BinaryIO, start: int, end: int) -> None:
        file.seek(start)
        self._file, self._left, self._start = file, end - start, start

    def read(self, n: int = -1) -> bytes:
        n = self._left if n < 0 else min(n, self._left)
        data = self._file.read(n) if n > 0 else b""
        self._left -= len(data)
        return data

    def tell(self) -> int:
        return self._file.tell() - self._start


def _within(spans: Sequence[Span], origin: int, first: int, last: int) -> list[Span]:
    """``spans`` (offsets from ``origin``) that start in [first, last), with file offsets."""
    moved = (s._replace(start=s.start + origin, end=s.end + origin) for s in spans)
    return [s for s in moved if first <= s.start < last]


def _readings(before: bytes, after: bytes, encoding: str, lo: int = 0, end: int = 0) -> list[str]:
    """The text before and after a span (joined by a line break, so that nothing reads
    across the span), in each encoding the span may be in; before a span in CP932 or
    EUC-JP also from its second byte (the window may start inside a two-byte character).

    A UTF-16 span may have been read in the wrong byte order one byte off (the digits
    of "+81-80-..." in UTF-16LE read as UTF-16BE from the byte after "+"), so its
    window is read in both byte orders at both byte alignments (``lo`` and ``end`` are
    the file offsets ``before`` and ``after`` start at)."""
    out = []
    if encoding in UTF16:
        for codec in UTF16:
            for parity in (0, 1):
                skip_before, skip_after = (parity - lo) % 2, (parity - end) % 2
                text = before[skip_before:].decode(codec, "replace"), after[skip_after:].decode(codec, "replace")
                out.append("\n".join(text))
        return out
    for codec in ASCII_COMPATIBLE if encoding == ASCII else (encoding,):
        for skip in (0, 1) if codec in ("cp932", "euc_jp") else (0,):
            text = before[skip:].decode(codec, "replace"), after.decode(codec, "replace")
            out.append("\n".join(text))
    return out


def _frame(spans: Sequence[tuple[int, int, str, str]]) -> pl.DataFrame:
    """The batch rows of ``spans``."""
    start, end, encoding, text = zip(*spans)
    columns = {PHONE_COLUMN: text, OFFSET_COLUMN: start, END_COLUMN: end, ENCODING_COLUMN: encoding}
    return pl.DataFrame(columns, schema=_SCHEMA)
