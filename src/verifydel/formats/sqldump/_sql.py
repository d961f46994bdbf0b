"""Shared plumbing of the SQL dump readers: windows over the bytes, the index, the tables.

A dump is read twice. The *index* pass walks every statement once, cheaply,
and notes for each table its columns (from CREATE TABLE or the statements'
column lists) and where its data runs start (a run: consecutive INSERT
statements of one table, or one COPY block). A table's ``batches`` then read
only its own runs, from those offsets, with the vectorised row readers. So a
dump is never held whole, tables come out one at a time as the scanner asks
for them, and rows are numbered in dump order within each table.

Everything works on UTF-8 bytes: a dump in another encoding is first copied
to a private UTF-8 file (removed when no table needs it any more).
"""

from __future__ import annotations

import os
import re
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Final

import polars as pl

from verifydel.decoders import bom_encoding
from verifydel.decoders.detect import plausibility, strict_decode_prefix
from verifydel.errors import DecodeError, FormatError, SourceError
from verifydel.core.tempfiles import discard, new_private_file
from verifydel.decoders.replace import Replacements
from verifydel.decoders.utf8 import transcode_into
from verifydel.core.headers import positional_names, unique_column_names
from verifydel.formats._probe import Probe
from verifydel.core.table import BATCH_ROWS, Table

#: Bytes read from the dump per step: the vectorised readers work a block at a time.
READ_BYTES: Final = 8 << 20
#: One row (one VALUES tuple, one COPY line) may be at most this long; a longer one is refused.
MAX_ROW_BYTES: Final = 256 << 20
#: A statement that holds no data (CREATE TABLE, a function...) may be at most this long.
MAX_STATEMENT_BYTES: Final = 64 << 20
#: Bytes looked at to recognise a statement's head (INSERT INTO name (columns) VALUES).
HEAD_BYTES: Final = 1 << 20
#: Data runs recorded per dump; a dump interleaving tables more often than this is refused.
MAX_RUNS: Final = 1_000_000

_UTF8_NAMES: Final = frozenset({"utf-8", "ascii"})

TableKey = tuple[str, ...]


class Window:
    """A sliding window over a binary stream: ``buf[pos:]`` is what is left to read.

    ``base`` is the stream offset of ``buf[0]``; ``ensure`` reads more (dropping what
    was consumed), so the bytes held stay about one block plus the longest row.
    """

    def __init__(self, stream: BinaryIO, start: int = 0) -> None:
        self.stream = stream
        self.buf = b""
        self.pos = 0
        self.base = start
        self.eof = False

    @property
    def available(self) -> int:
        return len(self.buf) - self.pos

    @property
    def offset(self) -> int:
        """The stream offset of the next byte to read."""
        return self.base + self.pos

    def ensure(self, count: int) -> bool:
        """At least ``count`` bytes after ``pos`` (False at the end of the stream)."""
        while self.available < count and not self.eof:
            want = max(READ_BYTES, count - self.available)
            chunk = self.stream.read(want)
            if not chunk:
                self.eof = True
                break
            self.buf = self.buf[self.pos :] + chunk
            self.base += self.pos
            self.pos = 0
        return self.available >= count

    def grow(self) -> None:
        """Twice the bytes after ``pos`` (for a row longer than a block), within MAX_ROW_BYTES."""
        if self.available >= MAX_ROW_BYTES:
            raise FormatError(
                f"a row of more than {MAX_ROW_BYTES >> 20} MiB at byte {self.offset:,}",
                hint="the rows before it were scanned; no broker table has rows this long: "
                "the dump may be corrupt",
            )
        self.ensure(max(2 * self.available, READ_BYTES))


@dataclass(frozen=True)
class Place:
    """Says where an offset of the bytes being read is, for error messages (never their content)."""

    path: Path | None  # the bytes read, to count lines in; None for a stream
    exact_bytes: bool = True  # offsets are those of the scanned file itself
    stream: str = "the dump"

    def __call__(self, offset: int) -> str:
        if self.path is None:
            return f"byte {offset:,} of {self.stream}"
        line = line_number(self.path, offset)
        return f"line {line:,} (byte {offset:,})" if self.exact_bytes else f"line {line:,}"


def line_number(path: Path, offset: int) -> int:
    """The 1-based line of ``path`` that byte ``offset`` is on."""
    newlines = 0
    with open(path, "rb") as fh:
        remaining = offset
        while remaining > 0 and (chunk := fh.read(min(READ_BYTES, remaining))):
            newlines += chunk.count(b"\n")
            remaining -= len(chunk)
    return newlines + 1


class DumpBytes:
    """The dump as UTF-8 bytes: the file itself, or a private UTF-8 copy of it.

    The copy (mode 0600, random name) is removed when this object is garbage
    collected, i.e. once no table of the dump can be read any more.
    """

    def __init__(self, path: Path, encoding: str) -> None:
        self.encoding = encoding
        self.decode_error: DecodeError | None = None
        #: Bytes of a transcoded dump that were not text (replaced; see decoders.replace).
        self.replaced = Replacements()
        self.start = 0
        if encoding in _UTF8_NAMES or encoding == "utf-8-sig":
            self.path = path
            with open(path, "rb") as fh:
                self.start = 3 if fh.read(3) == b"\xef\xbb\xbf" else 0
            self.place = Place(path)
            return
        fd, self.path = new_private_file(".sql")
        os.close(fd)
        weakref.finalize(self, discard, self.path)
        # Invalid sequences and NUL bytes are replaced: every line is read, and noted.
        self.replaced = transcode_into(path, encoding, self.path)
        self.place = Place(self.path, exact_bytes=False)

    def open(self) -> BinaryIO:
        return open(self.path, "rb")


# --- the index ---------------------------------------------------------------


@dataclass
class Segment:
    """One data run of a table: where it starts and how its rows are laid out."""

    offset: int  # stream offset of its first row ("(" of a VALUES list, or the first COPY line)
    names: list[str] | None  # the statement's own column list, if it has one
    width: int | None  # values per row
    reader: object  # what the dialect needs to read the run again (a values Run, a COPY marker)


@dataclass
class TableIndex:
    name: str  # shown in the label: "members", "public.members"
    columns: list[str] = field(default_factory=list)  # from CREATE TABLE
    segments: list[Segment] = field(default_factory=list)
    error: SourceError | None = None  # where the index pass stopped inside this table's data


@dataclass
class DumpIndex:
    tables: dict[TableKey, TableIndex] = field(default_factory=dict)
    error: SourceError | None = None  # a failure outside any table's data
    runs: int = 0

    def table(self, key: TableKey, name: str) -> TableIndex:
        if key not in self.tables:
            self.tables[key] = TableIndex(name)
        return self.tables[key]

    def add_segment(self, key: TableKey, name: str, segment: Segment) -> None:
        self.runs += 1
        if self.runs > MAX_RUNS:
            raise FormatError(
                f"more than {MAX_RUNS:,} separate runs of table data",
                hint="the dump interleaves its tables row by row; restore it and scan the database",
            )
        self.table(key, name).segments.append(segment)


#: Reads one segment's rows: frames whose columns are c0..c{width-1}, raw positional.
SegmentReader = Callable[[Window, Segment], Iterator[pl.DataFrame]]


def table_columns(entry: TableIndex) -> tuple[list[str], list[list[int | None]]]:
    """The table's column names and, per segment, which frame column fills each of them.

    CREATE TABLE's columns first; names only a statement's column list has are
    added; values beyond every known name get positional names.
    """
    raw = list(entry.columns)
    for segment in entry.segments:
        for name in segment.names or ():
            if name not in raw:
                raw.append(name)
    widest = max((s.width or 0 for s in entry.segments if s.names is None), default=0)
    if widest > len(raw):
        raw += positional_names(widest)[len(raw) :]
    sources: list[list[int | None]] = []
    for segment in entry.segments:
        order: list[int | None] = [None] * len(raw)
        if segment.names is not None:
            for i, name in enumerate(segment.names):
                order[raw.index(name)] = i
        else:
            for i in range(min(segment.width or 0, len(raw))):
                order[i] = i
        sources.append(order)
    return unique_column_names(raw), sources


def make_tables(
    unit_label: str,
    kind: str,
    index: DumpIndex,
    open_stream: Callable[[], BinaryIO],
    read_segment: SegmentReader,
    *,
    encoding: str | None,
    keep_alive: object = None,
) -> list[Table]:
    """One Table per indexed table (in order of first appearance), read lazily."""
    tables: list[Table] = []
    for entry in index.tables.values():
        columns, sources = table_columns(entry)
        batches = _table_batches(entry, columns, sources, open_stream, read_segment, keep_alive)
        notes = [] if entry.segments or entry.error else ["the dump holds no rows of this table"]
        tables.append(Table(f"{unit_label}!/{entry.name}", kind, columns, batches, encoding, notes))
    if index.error is not None or not tables:
        # A failure outside every table's data, or a dump without tables: still accounted for.
        error = index.error
        notes = [] if error is not None else ["the dump defines no table and holds no rows"]
        tables.append(Table(unit_label, kind, [], _raising(error), encoding, notes))
    if isinstance(keep_alive, DumpBytes) and keep_alive.replaced:
        # Bytes of the dump that were not text: every table read from it says so.
        for table in tables:
            table.notes.append(keep_alive.replaced.note())
            table.details.update(keep_alive.replaced.details())
    return tables


def _raising(error: SourceError | None) -> Iterator[pl.DataFrame]:
    if error is not None:
        raise error
    yield from ()


def _table_batches(
    entry: TableIndex,
    columns: list[str],
    sources: list[list[int | None]],
    open_stream: Callable[[], BinaryIO],
    read_segment: SegmentReader,
    keep_alive: object,
) -> Iterator[pl.DataFrame]:
    # ``keep_alive`` (a private UTF-8 copy) is held by this generator's frame until it ends.
    pending = Batcher()
    try:
        if entry.segments:
            with open_stream() as stream:
                for segment, order in zip(entry.segments, sources, strict=True):
                    stream.seek(segment.offset)
                    window = Window(stream, segment.offset)
                    for frame in read_segment(window, segment):
                        yield from pending.add(arrange(frame, columns, order))
        yield from pending.flush()
    except SourceError as exc:
        yield from pending.flush()
        # Where the index pass stopped too, its error is the cause (e.g. undecodable bytes).
        raise (entry.error or exc) from None
    if entry.error is not None:
        raise entry.error
    del keep_alive


def arrange(frame: pl.DataFrame, columns: list[str], order: list[int | None]) -> pl.DataFrame:
    """A reader's positional frame (c0, c1, ...) as the table's columns, missing ones null
    (a column list longer than the rows: the server itself would refuse the statement)."""
    return frame.select(
        pl.col(f"c{src}").alias(name)
        if src is not None and src < frame.width
        else pl.lit(None, pl.String).alias(name)
        for name, src in zip(columns, order, strict=True)
    )


class Batcher:
    """Gathers frames into batches of BATCH_ROWS rows (the last one shorter)."""

    def __init__(self) -> None:
        self.frames: list[pl.DataFrame] = []
        self.rows = 0

    def add(self, frame: pl.DataFrame) -> Iterator[pl.DataFrame]:
        if frame.height:
            self.frames.append(frame)
            self.rows += frame.height
        if self.rows >= BATCH_ROWS:
            whole = pl.concat(self.frames, rechunk=False)
            cut = whole.height - whole.height % BATCH_ROWS
            for start in range(0, cut, BATCH_ROWS):
                yield whole.slice(start, BATCH_ROWS)
            rest = whole.slice(cut)
            self.frames = [rest] if rest.height else []
            self.rows = rest.height

    def flush(self) -> Iterator[pl.DataFrame]:
        if self.rows:
            yield pl.concat(self.frames, rechunk=True)
        self.frames, self.rows = [], 0


# --- statements ----------------------------------------------------------------


def skip_blanks(window: Window, blank: re.Pattern[bytes], opener: re.Pattern[bytes]) -> None:
    """Moves past whitespace and comments (``opener`` matches a comment's start)."""
    while True:
        window.ensure(HEAD_BYTES)
        found = blank.match(window.buf, window.pos)
        assert found is not None  # the blank pattern matches the empty string
        window.pos = found.end()
        if window.available and not opener.match(window.buf, window.pos):
            return
        if window.eof:
            window.pos = len(window.buf)  # an unterminated comment runs to the end
            return
        if window.available >= MAX_STATEMENT_BYTES:
            raise FormatError(
                f"a comment longer than {MAX_STATEMENT_BYTES >> 20} MiB at {window.offset:,}",
                hint="the dump may be corrupt",
            )
        window.ensure(window.available + READ_BYTES)


def next_statement(window: Window, statement: re.Pattern[bytes], place: Place) -> bytes:
    """The statement at ``pos`` up to its terminator, ``pos`` moved past it."""
    start = window.offset
    while True:
        found = statement.match(window.buf, window.pos)
        if found is not None:
            window.pos = found.end()
            return found.group()
        if window.eof:
            raise FormatError(
                f"a statement at {place(start)} is not terminated",
                hint="the rows before it were scanned; the dump is probably truncated",
            )
        if window.available >= MAX_STATEMENT_BYTES:
            raise FormatError(
                f"a statement longer than {MAX_STATEMENT_BYTES >> 20} MiB at {place(start)}",
                hint="the rows before it were scanned; the dump may be corrupt",
            )
        window.ensure(window.available + READ_BYTES)


_COLUMN_TOKENS: Final = re.compile(
    rb"'(?:[^'\\]|\\.|'')*'|\"(?:[^\"]|\"\")*\"|`(?:[^`]|``)*`|[(),]|[^'\"`(),]+", re.DOTALL
)
#: First words of CREATE TABLE items that are not columns.
_NOT_COLUMNS: Final = frozenset(
    b"PRIMARY KEY INDEX UNIQUE CONSTRAINT FOREIGN CHECK FULLTEXT SPATIAL EXCLUDE LIKE PERIOD".split()
)


def create_table_columns(statement: bytes, unquote: Callable[[bytes], str]) -> list[str]:
    """The column names of a CREATE TABLE statement (none when it has no column list)."""
    depth, items, current = 0, [], b""
    for token in _COLUMN_TOKENS.findall(statement):
        if token == b"(":
            depth += 1
            if depth == 1:
                continue
        elif token == b")":
            depth -= 1
            if depth == 0:
                items.append(current)
                break
        elif token == b"," and depth == 1:
            items.append(current)
            current = b""
            continue
        if depth >= 1:
            current += token
    columns = []
    for item in items:
        word = item.strip().split(None, 1)[0] if item.strip() else b""
        if word and word[:1] not in b'"`' and word.upper() in _NOT_COLUMNS:
            continue
        name = leading_identifier(item.strip())
        if name is not None:
            columns.append(unquote(name))
    return columns


_IDENTIFIER: Final = re.compile(rb'"(?:[^"]|"")+"|`(?:[^`]|``)+`|[^\s,()]+')


def leading_identifier(text: bytes) -> bytes | None:
    found = _IDENTIFIER.match(text)
    return found.group() if found else None


def unquote_identifier(raw: bytes) -> str:
    """An identifier as its name: `a``b` → a`b, "a""b" → a"b, bare as written."""
    raw = raw.strip()
    if len(raw) >= 2 and raw[:1] == raw[-1:] and raw[:1] in (b"`", b'"'):
        quote = raw[:1]
        raw = raw[1:-1].replace(quote + quote, quote)
    return raw.decode("utf-8", "replace")


_NAME_PARTS: Final = re.compile(rb'"(?:[^"]|"")*"|`(?:[^`]|``)*`|[^.\s"`]+')


def name_parts(raw: bytes) -> list[str]:
    """``schema.table`` (each part quoted or not) as its unquoted parts."""
    return [unquote_identifier(part) for part in _NAME_PARTS.findall(raw)]


def column_list(raw: bytes | None) -> list[str] | None:
    """``(a, "b", `c`)`` as names, None when absent."""
    if raw is None:
        return None
    inner = raw.strip()[1:-1]
    return [unquote_identifier(part) for part in _split_names(inner)]


def _split_names(inner: bytes) -> list[bytes]:
    parts, current = [], b""
    for token in _COLUMN_TOKENS.findall(inner):
        if token == b",":
            parts.append(current)
            current = b""
        else:
            current += token
    parts.append(current)
    return [part for part in parts if part.strip()]


# --- recognising a dump and its encoding ---------------------------------------------

#: Bytes of the head a dump is recognised from.
SNIFF_BYTES: Final = 1 << 16


def ascii_head(head: bytes) -> bytes:
    """The head as bytes an ASCII pattern can search: UTF-16 (BOM) decoded, UTF-8 BOM dropped."""
    sample = head[: SNIFF_BYTES * 2]
    announced = bom_encoding(sample)
    if announced == "utf-16":
        return sample.decode("utf-16", "ignore")[:SNIFF_BYTES].encode("utf-8")
    return sample[3:SNIFF_BYTES] if announced == "utf-8-sig" else sample[:SNIFF_BYTES]


def dump_encoding(probe: Probe, declared: str | None) -> str:
    """The dump's encoding: --encoding, else a BOM, else what the dump declares (SET NAMES,
    client_encoding), else detected from the head.

    The declared encoding wins when the head reads in it, and also when it does not
    but reads better in it than in the detected one: binary values (BLOBs dumped as
    strings) make a head undecodable in any encoding, or decodable in the wrong one
    by chance. A dump converted after it was written (CP932 text under SET NAMES
    utf8mb4) reads far better in the detected encoding.
    """
    if probe.encoding_override is not None:
        return probe.encoding_override
    announced = bom_encoding(probe.head)
    if announced is not None:
        return announced
    if declared is None:
        return probe.encoding
    if strict_decode_prefix(probe.head, declared) is not None:
        return declared
    try:
        detected = probe.encoding
    except DecodeError:
        return declared
    as_declared = probe.head.decode(declared, "replace")
    as_detected = strict_decode_prefix(probe.head, detected) or ""
    return detected if plausibility(as_detected) > plausibility(as_declared) else declared
