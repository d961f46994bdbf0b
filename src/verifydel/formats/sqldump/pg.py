"""pg_dump plain-format output: one table per dumped table, rows from COPY blocks or INSERTs.

Recognised by content: the "-- PostgreSQL database dump" header, or a
"COPY ... FROM stdin;" line. COPY blocks (tab-separated, \\N for NULL, backslash
escapes including octal and hex, ended by a "\\." line) are read by polars a block
of lines at a time; --inserts, --column-inserts, --rows-per-insert and
--on-conflict-do-nothing statements by the vectorised VALUES reader (standard
strings with doubled quotes, E'' strings, B''/X'' bit strings). Labels are
schema-qualified (public.members); after a psql \\connect (pg_dumpall) the
database comes first.

The encoding is --encoding, a BOM, the dump's SET client_encoding, else
detected; a dump not in UTF-8 is read through a private UTF-8 copy. The same
reader reads what pg_restore writes for custom and directory archives.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Final

import numpy as np
import polars as pl

from verifydel.errors import FormatError, SourceError
from verifydel.formats._probe import Probe
from verifydel.formats.sqldump._sql import (
    READ_BYTES,
    DumpBytes,
    DumpIndex,
    Place,
    Segment,
    TableKey,
    Window,
    ascii_head,
    column_list,
    create_table_columns,
    dump_encoding,
    make_tables,
    name_parts,
    next_statement,
    skip_blanks,
    unquote_identifier,
)
from verifydel.formats.sqldump._sql_run import Literals, Run
from verifydel.formats.sqldump._sql_values import escaping, patch_cells, read_values
from verifydel.core.table import Table
from verifydel.formats.sqldump.mysql import utf8_or_hex
from verifydel.core.unit import Unit

KIND: Final = "pg_dump"

_RECOGNISED: Final = re.compile(
    rb"^-- PostgreSQL database (?:cluster )?dump|^COPY [^\n;]{1,4096} FROM stdin;\r?$", re.MULTILINE
)
_CLIENT_ENCODING: Final = re.compile(
    rb"SET\s+client_encoding\s*(?:=|TO)\s*'([A-Za-z0-9_]+)'", re.IGNORECASE
)
#: PostgreSQL encodings as Python codecs (SQL_ASCII holds raw bytes: read as UTF-8, else hex).
PG_ENCODINGS: Final = {
    "utf8": "utf-8", "unicode": "utf-8", "sql_ascii": "utf-8", "sjis": "cp932",
    "shift_jis_2004": "shift_jis_2004", "euc_jp": "euc_jp", "euc_jis_2004": "euc_jis_2004",
    "latin1": "latin-1", "win1252": "cp1252",
}  # fmt: skip


def pg_codec(name: str) -> str | None:
    """The Python codec of a PostgreSQL encoding name, None when unknown."""
    key = name.lower()
    if key in PG_ENCODINGS:
        return PG_ENCODINGS[key]
    try:
        return codecs.lookup(key).name
    except LookupError:
        return None


# --- literals of INSERT statements ---------------------------------------------------

_STD_STRING: Final = rb"'[^']*+(?:''[^']*+)*+'"
_BS_STRING: Final = rb"'[^'\\]*+(?:(?:\\.|'')[^'\\]*+)*+'"
_E_STRING: Final = rb"[Ee]" + _BS_STRING
_CAST: Final = rb"(?:\s*+::[^,()'\"]*+)?"
_TAIL: Final = rb"(?i:ON\s++CONFLICT\s++DO\s++NOTHING)?"
_PARTS: Final = re.compile(rb"([EeBbXxNn]|[Uu]&)?'(.*)'\s*(?:::.*)?", re.DOTALL)
_E_ESCAPE: Final = re.compile(
    rb"\\(?:([0-7]{1,3})|x([0-9A-Fa-f]{1,2})|u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))", re.DOTALL
)
_C_ESCAPES: Final = {b"b": b"\b", b"f": b"\f", b"n": b"\n", b"r": b"\r", b"t": b"\t", b"v": b"\v"}


def _c_unescape(body: bytes) -> bytes:
    """Backslash escapes as E'' strings (and COPY) take them: \\n, octal, hex, \\u..., \\c → c."""

    def one(m: re.Match[bytes]) -> bytes:
        octal, hexa, short, long, other = m.groups()
        if octal is not None:
            return bytes([int(octal, 8) & 0xFF])
        if hexa is not None:
            return bytes([int(hexa, 16)])
        if short is not None or long is not None:
            code = int(short or long, 16)
            return chr(code).encode("utf-8", "surrogatepass") if code < 0x110000 else b""
        return _C_ESCAPES.get(other, other)

    return _E_ESCAPE.sub(one, body)


def _decoder(standard: bool) -> Callable[[bytes], str | None]:
    def decode(raw: bytes) -> str | None:
        raw = raw.strip()
        if raw.upper() == b"NULL":
            return None
        parts = _PARTS.fullmatch(raw)
        if parts is None:  # a bare number or word, maybe cast
            return utf8_or_hex(raw.split(b"::", 1)[0].strip())
        prefix, body = (parts.group(1) or b"").lower(), parts.group(2).replace(b"''", b"'")
        if prefix in (b"b", b"x"):
            return raw.decode("ascii", "replace")  # bit strings as written
        if prefix == b"e" or (not standard and prefix != b"u&"):
            body = _c_unescape(body)
        return utf8_or_hex(body)

    return decode


def _literals(standard: bool) -> Literals:
    string = _STD_STRING if standard else _BS_STRING
    escapes = {} if standard else _copy_escapes(skip="01234567xuU")
    return Literals(
        dialect="PostgreSQL",
        backslash_escapes=not standard,
        escapes=escapes,
        unusual=b'"$',
        e_strings=True,
        value=re.compile(
            rb"\s*+((?:" + _E_STRING + rb"|(?:[BbXxNn]|[Uu]&)?" + string + rb")" + _CAST
            + rb"|[^,()'\"\s]++)\s*+",
            re.DOTALL,
        ),
        open_literal=re.compile(
            rb"\s*+(?:[Ee]'[^'\\]*+(?:(?:\\.|'')[^'\\]*+)*+\\?|(?:[BbXxNn]|[Uu]&)?"
            + string[:-1] + (rb"" if standard else rb"\\?") + rb")",
            re.DOTALL,
        ),
        tail=_TAIL,
        decode=_decoder(standard),
    )  # fmt: skip


def _copy_escapes(skip: str) -> dict[str, str]:
    named = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
    return {
        "\\" + chr(c): named.get(chr(c), chr(c)) for c in range(0x20, 0x7F) if chr(c) not in skip
    }


STANDARD_LITERALS: Final = _literals(standard=True)
BACKSLASH_LITERALS: Final = _literals(standard=False)

# --- COPY blocks ----------------------------------------------------------------------

#: Escapes of COPY text polars decodes; octal and hex escapes are decoded in Python.
COPY_ESCAPES: Final = _copy_escapes(skip="01234567x")
_COPY_FAST = np.zeros(256, dtype=bool)
_COPY_FAST[[ord(key[1]) for key in COPY_ESCAPES]] = True


@dataclass
class CopyRun:
    """A COPY block's rows: ``width`` fields per line (None: from the first line)."""

    width: int | None


def copy_cell(raw: bytes) -> str | None:
    """One field of COPY text as its value."""
    if raw == b"\\N":
        return None
    return utf8_or_hex(_c_unescape(raw) if b"\\" in raw else raw)


def read_copy(
    window: Window, width: int | None, place: Place, *, build: bool
) -> Iterator[pl.DataFrame]:
    """The rows of a COPY block, from its first line to after its "\\." line."""
    while True:
        window.ensure(READ_BYTES)
        buf, at = window.buf, window.pos
        stop, after = _copy_end(buf, at, window.eof)
        data_to = stop if stop is not None else buf.rfind(b"\n", at) + 1
        data_to = max(data_to, at)
        if data_to > at and build:
            frame, bad, width = _copy_rows(buf, at, data_to, width)
            if frame.height:
                yield frame
            if bad is not None:
                raise FormatError(
                    f"a COPY line with the wrong number of fields at {place(window.base + bad)}",
                    hint="the rows before it were scanned; the dump may be truncated or corrupt",
                )
        if after is not None:
            window.pos = after
            return
        window.pos = data_to
        if data_to == at:
            if window.eof:
                raise FormatError(
                    f"the dump ends inside a COPY block at {place(window.offset)}",
                    hint="the rows before it were scanned; the dump is truncated",
                )
            window.grow()


def _copy_end(buf: bytes, at: int, eof: bool) -> tuple[int | None, int | None]:
    """(where the "\\." line starts, where it ends) when the buffer holds it whole."""
    start = at if buf.startswith(b"\\.", at) else buf.find(b"\n\\.", at) + 1
    while start > 0 or (start == at and buf.startswith(b"\\.", at)):
        behind = start + 2
        if buf.startswith(b"\n", behind):
            return start, behind + 1
        if buf.startswith(b"\r\n", behind):
            return start, behind + 2
        if behind >= len(buf) - 1:
            return (start, len(buf)) if eof and behind >= len(buf) else (None, None)
        start = buf.find(b"\n\\.", behind) + 1  # "\\." followed by more: a (malformed) data line
    return None, None


def _copy_rows(
    buf: bytes, start: int, stop: int, width: int | None
) -> tuple[pl.DataFrame, int | None, int]:
    """The complete lines buf[start:stop] as rows; the offset of a line with the wrong
    number of fields (rows before it are returned); the width."""
    arr = np.frombuffer(buf, dtype=np.uint8, count=stop - start, offset=start)
    lines = np.flatnonzero(arr == 10)
    tabs = np.flatnonzero(arr == 9)
    fields = np.diff(np.searchsorted(tabs, lines), prepend=0) + 1
    width = width or int(fields[0])
    wrong = np.flatnonzero(fields != width)
    good = int(wrong[0]) if wrong.size else lines.size
    bad = None if not wrong.size else start + (int(lines[good - 1]) + 1 if good else 0)
    end = int(lines[good - 1]) + 1 if good else 0
    frame = _copy_frame(buf, start, end, width, arr, tabs[tabs < end], lines[:good])
    return frame, bad, width


def _copy_frame(
    buf: bytes,
    start: int,
    end: int,
    width: int,
    arr: np.ndarray,
    tabs: np.ndarray,
    lines: np.ndarray,
) -> pl.DataFrame:
    schema = {f"c{j}": pl.String for j in range(width)}
    if end == 0:
        return pl.DataFrame(schema=schema)
    try:
        frame = pl.read_csv(
            buf[start : start + end],
            has_header=False,
            separator="\t",
            quote_char=None,
            eol_char="\n",
            schema=schema,
            null_values=["\\N"],
            empty_string_is_null=False,
            raise_if_empty=False,
        )
    except pl.exceptions.PolarsError:
        frame = None  # not UTF-8: read line by line
    if frame is None or frame.height != lines.size:
        return _copy_slow(buf[start : start + end], width)
    if buf.find(b"\r", start, start + end) >= 0:  # CRLF line ends
        last = f"c{width - 1}"
        frame = frame.with_columns(pl.col(last).str.strip_suffix("\r"))
    if buf.find(b"\\", start, start + end) < 0:
        return frame
    escapes = escaping(np.flatnonzero(arr[:end] == 92))
    cell = np.searchsorted(tabs, escapes) + np.searchsorted(lines, escapes)  # fields before
    fast = _COPY_FAST[arr[escapes + 1]]
    unescape = np.zeros(lines.size * width, dtype=bool)
    unescape[cell[fast]] = True
    fixes: dict[int, list[tuple[int, str | None]]] = {}
    for at in np.unique(cell[~fast]).tolist():
        unescape[at] = False
        row, column = divmod(at, width)
        begin = int(lines[row - 1]) + 1 if row else 0
        line = buf[start + begin : start + int(lines[row])].rstrip(b"\r")
        fixes.setdefault(column, []).append((row, copy_cell(line.split(b"\t")[column])))
    return patch_cells(frame, fixes, unescape.reshape(-1, width), _COPY_PAIRS)


_COPY_PAIRS: Final = (list(COPY_ESCAPES), list(COPY_ESCAPES.values()))


def _copy_slow(block: bytes, width: int) -> pl.DataFrame:
    rows = [line.rstrip(b"\r").split(b"\t") for line in block.split(b"\n")[:-1]]
    return pl.DataFrame(
        {
            f"c{j}": pl.Series([copy_cell(row[j]) for row in rows], dtype=pl.String)
            for j in range(width)
        }
    )


# --- statements ----------------------------------------------------------------------

_BLANK: Final = re.compile(rb"(?:\s++|--[^\n]*+|/\*(?:[^*]++|\*(?!/))*+\*/)*+")
_OPENER: Final = re.compile(rb"/\*")
_IDENT: Final = rb'(?:"(?:[^"]|"")++"|[\w$\x80-\xff]++)'
_NAME: Final = _IDENT + rb"(?:\s*+\.\s*+" + _IDENT + rb"){0,2}"
_COLUMNS: Final = rb'\((?:[^()"]++|"(?:[^"]|"")*+")*+\)'
_COPY: Final = re.compile(
    rb"COPY\s++(" + _NAME + rb")\s*+(" + _COLUMNS + rb")?\s*+FROM\s++stdin\s*+;[ \t\r]*+\n",
    re.IGNORECASE,
)
_ANY_COPY: Final = re.compile(
    rb"COPY\s++(" + _NAME + rb")[^;]*?\bFROM\s++stdin\b[^;]*+;[ \t\r]*+\n", re.IGNORECASE
)
_INSERT: Final = re.compile(
    rb"INSERT\s++INTO\s++(" + _NAME + rb")(?:\s++AS\s++" + _IDENT + rb")?\s*+(" + _COLUMNS
    + rb")?\s*+(?:OVERRIDING\s++(?:SYSTEM|USER)\s++VALUE\s++)?VALUES(?=[\s(])\s*+",
    re.IGNORECASE,
)  # fmt: skip
_ANY_INSERT: Final = re.compile(rb"INSERT\s++INTO\s++(" + _NAME + rb")", re.IGNORECASE)
_CREATE: Final = re.compile(
    rb"CREATE\s++(?:(?:GLOBAL\s++|LOCAL\s++)?TEMP(?:ORARY)?\s++|UNLOGGED\s++|FOREIGN\s++)?"
    rb"TABLE\s++(?:IF\s++NOT\s++EXISTS\s++)?(" + _NAME + rb")",
    re.IGNORECASE,
)
_STRINGS_SETTING: Final = re.compile(
    rb"SET\s++standard_conforming_strings\s*+(?:=|TO)\s*+'?(on|off)'?\s*+;", re.IGNORECASE
)
_META: Final = re.compile(rb"\\[^\n]*+(?:\n|\Z)")
_CONNECT: Final = re.compile(
    rb"\\c(?:onnect)?[ \t]++(?:-reuse-previous=\S++[ \t]++)?(\"(?:[^\"]|\"\")*+\"|[^\s\"]++)"
)


def _statement(standard: bool) -> re.Pattern[bytes]:
    string = _STD_STRING if standard else _BS_STRING
    return re.compile(
        rb"(?:[^;'\"$/\-Ee]++|" + _E_STRING + rb"|" + string + rb"|\"(?:[^\"]|\"\")*+\""
        rb"|\$\$.*?\$\$|\$([A-Za-z_\x80-\xff][\w\x80-\xff]*+)\$.*?\$\1\$"
        rb"|--[^\n]*+|/\*(?:[^*]++|\*(?!/))*+\*/|[$/\-Ee])*+;",
        re.DOTALL,
    )  # fmt: skip


_STATEMENT: Final = {True: _statement(True), False: _statement(False)}


@dataclass(frozen=True)
class ValuesRun:
    run: Run
    literals: Literals


def sniff(probe: Probe) -> bool:
    return _RECOGNISED.search(ascii_head(probe.head)) is not None


def open_tables(unit: Unit, probe: Probe) -> list[Table]:
    assert unit.path is not None
    declared = _CLIENT_ENCODING.search(ascii_head(probe.head))
    encoding = dump_encoding(probe, pg_codec(declared.group(1).decode()) if declared else None)
    dump = DumpBytes(unit.path, encoding)
    index = DumpIndex()
    walker = Walker(dump.place, index)
    with dump.open() as stream:
        stream.seek(dump.start)
        try:
            for _ in walker.walk(Window(stream, dump.start), build=False):
                pass
        except SourceError as exc:
            if walker.current is not None:
                index.table(*walker.current).error = exc
            else:
                index.error = exc
    if dump.decode_error is not None:
        if walker.last_table is not None:
            index.tables[walker.last_table].error = dump.decode_error
        else:
            index.error = dump.decode_error

    def read(window: Window, segment: Segment) -> Iterator[pl.DataFrame]:
        return read_segment(window, segment, dump.place)

    return make_tables(unit.label, KIND, index, dump.open, read, encoding=encoding, keep_alive=dump)


def read_segment(window: Window, segment: Segment, place: Place) -> Iterator[pl.DataFrame]:
    """The rows of one data run (COPY block or INSERT statements) as c0, c1, ... frames."""
    if isinstance(segment.reader, CopyRun):
        return read_copy(window, segment.reader.width, place, build=True)
    assert isinstance(segment.reader, ValuesRun)
    return read_values(window, segment.reader.run, segment.reader.literals, place, build=True)


class Walker:
    """Walks the statements of a plain dump, noting tables, columns and data runs.

    With ``build`` it also reads the rows of each run as it passes (pg_restore's
    output is a stream, read once); without, it only finds where each run ends.
    """

    def __init__(self, place: Place, index: DumpIndex) -> None:
        self.place = place
        self.index = index
        self.standard = True  # standard_conforming_strings
        self.database: str | None = None
        self.current: tuple[TableKey, str] | None = None
        self.last_table: TableKey | None = None

    def _key(self, raw_name: bytes) -> tuple[TableKey, str]:
        parts = name_parts(raw_name)
        if self.database is not None:
            parts = [self.database, *parts]
        return tuple(parts), ".".join(parts)

    def walk(self, window: Window, *, build: bool) -> Iterator[tuple[Segment, pl.DataFrame]]:
        while True:
            skip_blanks(window, _BLANK, _OPENER)
            if not window.available:
                return
            buf, at = window.buf, window.pos
            statement = _STATEMENT[self.standard]
            if buf[at : at + 1] == b"\\":  # a psql meta-command line (\connect, \restrict)
                if (found := _CONNECT.match(buf, at)) is not None:
                    self.database = unquote_identifier(found.group(1))
                window.pos = _META.match(buf, at).end()  # type: ignore[union-attr]
            elif (found := _COPY.match(buf, at)) is not None:
                names = column_list(found.group(2))
                run = CopyRun(len(names) if names is not None else None)
                yield from self._run(window, found, names, run, build)
            elif (found := _ANY_COPY.match(buf, at)) is not None:
                self._unreadable(found.group(1), window, "a COPY statement with options")
                window.pos = found.end()
                for _ in read_copy(window, None, self.place, build=False):
                    pass
            elif (found := _INSERT.match(buf, at)) is not None and buf[
                found.end() : found.end() + 1
            ] == b"(":
                literals = STANDARD_LITERALS if self.standard else BACKSLASH_LITERALS
                values = ValuesRun(Run(head=found.group().rstrip()), literals)
                yield from self._run(window, found, column_list(found.group(2)), values, build)
            elif (found := _CREATE.match(buf, at)) is not None:
                key, name = self._key(found.group(1))
                text = next_statement(window, statement, self.place)
                if (
                    columns := create_table_columns(text, unquote_identifier)
                ) or key not in self.index.tables:
                    self.index.table(key, name).columns = columns
            elif (found := _ANY_INSERT.match(buf, at)) is not None:
                self._unreadable(
                    found.group(1), window, "an INSERT statement not of the VALUES form"
                )
                next_statement(window, statement, self.place)
            else:
                if (found := _STRINGS_SETTING.match(buf, at)) is not None:
                    self.standard = found.group(1).lower() == b"on"
                next_statement(window, statement, self.place)

    def _unreadable(self, raw_name: bytes, window: Window, what: str) -> None:
        key, name = self._key(raw_name)
        table = self.index.table(key, name)
        table.error = table.error or FormatError(
            f"{what} at {self.place(window.offset)} cannot be read",
            hint="the other rows were scanned; restore the dump and scan the database",
        )

    def _run(
        self,
        window: Window,
        head: re.Match[bytes],
        names: list[str] | None,
        reader: CopyRun | ValuesRun,
        build: bool,
    ) -> Iterator[tuple[Segment, pl.DataFrame]]:
        key, name = self._key(head.group(1))
        window.pos = head.end()
        segment = Segment(window.offset, names, None, reader)
        self.index.add_segment(key, name, segment)
        self.current, self.last_table = (key, name), key
        if isinstance(reader, CopyRun):
            if reader.width is None:  # no column list: as many fields as the first line has
                window.ensure(READ_BYTES)
                end = window.buf.find(b"\n", window.pos)
                if end > window.pos and not window.buf.startswith(b"\\.", window.pos):
                    reader.width = window.buf.count(b"\t", window.pos, end) + 1
            frames = read_copy(window, reader.width, self.place, build=build)
        else:
            frames = read_values(window, reader.run, reader.literals, self.place, build=build)
        try:
            for frame in frames:
                segment.width = segment.width or frame.width
                yield segment, frame
        finally:  # a run cut short keeps the width of its first row
            width = reader.run.width if isinstance(reader, ValuesRun) else reader.width
            segment.width = segment.width or width
        self.current = None
