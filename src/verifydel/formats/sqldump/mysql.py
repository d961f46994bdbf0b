"""mysqldump / mariadb-dump output: one table per dumped table, rows from its INSERT statements.

Recognised by content: the "-- MySQL dump" / "-- MariaDB dump" header, or CREATE
TABLE / INSERT INTO / LOCK TABLES with a backquoted name at the start of a line.
Extended INSERTs (many rows per statement), --skip-extended-insert,
--complete-insert (a column list), INSERT IGNORE and REPLACE are read;
consecutive statements of one table are one stream of rows. Strings take
backslash escapes and doubled quotes; 0x... / X'...' literals become UTF-8
text when they are valid UTF-8, else stay "0x" + hex; so do binary strings
(BLOB values dumped without --hex-blob). Routines and triggers (under DELIMITER)
and versioned comments (/*!...*/) hold no table data and are skipped.

The encoding is --encoding, a BOM (UTF-16 dumps), the dump's SET NAMES, else
detected; a dump not in UTF-8 is read through a private UTF-8 copy.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import Final

import polars as pl

from verifydel.errors import FormatError, SourceError
from verifydel.formats._probe import Probe
from verifydel.formats.sqldump._sql import (
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
from verifydel.formats.sqldump._sql_values import read_values
from verifydel.core.table import Table
from verifydel.core.unit import Unit

KIND: Final = "mysqldump"

_RECOGNISED: Final = re.compile(
    rb"^-- (?:MySQL|MariaDB) dump|^(?:CREATE TABLE|INSERT INTO|INSERT IGNORE INTO|REPLACE INTO"
    rb"|LOCK TABLES) `",
    re.MULTILINE,
)
_SET_NAMES: Final = re.compile(rb"SET\s+NAMES\s+'?([A-Za-z0-9_]+)", re.IGNORECASE)
#: MySQL character sets as Python codecs (latin1 is Windows-1252 in MySQL, utf16 big-endian).
MYSQL_CHARSETS: Final = {
    "utf8": "utf-8", "utf8mb3": "utf-8", "utf8mb4": "utf-8", "ascii": "ascii", "binary": "utf-8",
    "sjis": "cp932", "cp932": "cp932", "ujis": "euc_jp", "eucjpms": "euc_jp",
    "latin1": "cp1252", "utf16": "utf-16-be", "utf16le": "utf-16-le",
}  # fmt: skip

# --- literals ------------------------------------------------------------------------

_STRING: Final = rb"'[^'\\]*+(?:(?:\\.|'')[^'\\]*+)*+'"
_DSTRING: Final = rb'"[^"\\]*+(?:(?:\\.|"")[^"\\]*+)*+"'
_STRINGS: Final = rb"(?:" + _STRING + rb"|" + _DSTRING + rb")"
_INTRODUCER: Final = rb"(?:_[A-Za-z0-9]++\s*+|[NnXxBb](?=['\"]))"
_LITERAL: Final = (
    rb"(?:" + _INTRODUCER + rb"?" + _STRINGS + rb"(?:\s*+" + _STRINGS + rb")*+"
    rb"|_[A-Za-z0-9]++\s*+0[xX][0-9A-Fa-f]*+|[^,()'\"\s]++)"
)
_OPEN_LITERAL: Final = (
    rb"\s*+" + _INTRODUCER + rb"?(?:'[^'\\]*+(?:(?:\\.|'')[^'\\]*+)*+\\?"
    rb"|\"[^\"\\]*+(?:(?:\\.|\"\")[^\"\\]*+)*+\\?)"
)
#: Escapes as MySQL reads them; \% and \_ keep their backslash; any other \c is c.
_NAMED: Final = {"0": "\x00", "b": "\b", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a",
                 "%": "\\%", "_": "\\_"}  # fmt: skip
_ESCAPES: Final = {
    "\\" + chr(c): _NAMED.get(chr(c), chr(c)) for c in [*range(0x20, 0x7F), 0x09, 0x0A, 0x0D]
}
_BYTE_ESCAPES: Final = {k[1].encode(): v.encode() for k, v in _ESCAPES.items()}
_PARTS: Final = re.compile(rb"(?:(_[A-Za-z0-9]+)\s*|([NnXxBb])(?=['\"]))?", re.DOTALL)
_EACH_STRING: Final = re.compile(rb"'((?:[^'\\]|\\.|'')*)'|\"((?:[^\"\\]|\\.|\"\")*)\"", re.DOTALL)
_ESCAPE: Final = re.compile(rb"\\(.)", re.DOTALL)


def utf8_or_hex(data: bytes) -> str:
    """Bytes as UTF-8 text, or "0x" + hex when they are not text."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return "0x" + data.hex()


def hex_text(digits: bytes) -> str:
    """A hex literal's bytes as text when they are UTF-8, else the literal as written."""
    try:
        data = bytes.fromhex(("0" if len(digits) % 2 else "") + digits.decode("ascii"))
    except ValueError:
        return "0x" + digits.decode("ascii", "replace")
    return utf8_or_hex(data)


def _unescape(body: bytes, quote: bytes) -> bytes:
    body = _ESCAPE.sub(lambda m: _BYTE_ESCAPES.get(m.group(1), m.group(1)), body)
    return body.replace(quote + quote, quote)


def decode_literal(raw: bytes) -> str | None:
    """One MySQL literal as text (None for NULL)."""
    raw = raw.strip()
    if raw.upper() == b"NULL":
        return None
    if raw[:1] == b"'" and raw[-1:] == b"'" and raw.count(b"'", 1, -1) == 0:  # the common case
        body = raw[1:-1]
        return utf8_or_hex(_unescape(body, b"'") if b"\\" in body else body)
    parts = _PARTS.match(raw)
    assert parts is not None  # every part is optional
    prefix, body = (parts.group(2) or b"").lower(), raw[parts.end() :]
    if body[:1] in (b"'", b'"'):
        content = b"".join(
            _unescape(m.group(1), b"'") if m.group(1) is not None else _unescape(m.group(2), b'"')
            for m in _EACH_STRING.finditer(body)
        )
        if prefix == b"x":
            return hex_text(content)
        return raw.decode("ascii", "replace") if prefix == b"b" else utf8_or_hex(content)
    if body[:2].lower() == b"0x":
        return hex_text(body[2:])
    return utf8_or_hex(body)


MYSQL_LITERALS: Final = Literals(
    dialect="MySQL",
    backslash_escapes=True,
    escapes=_ESCAPES,
    unusual=b'"',
    e_strings=False,
    value=re.compile(rb"\s*+(" + _LITERAL + rb")\s*+", re.DOTALL),
    open_literal=re.compile(_OPEN_LITERAL, re.DOTALL),
    tail=b"",
    decode=decode_literal,
)

# --- statements ----------------------------------------------------------------------

_BLANK: Final = re.compile(rb"(?:\s++|--(?=\s)[^\n]*+|#[^\n]*+|/\*(?:[^*]++|\*(?!/))*+\*/)*+")
_OPENER: Final = re.compile(rb"/\*")
_IDENT: Final = rb"(?:`(?:[^`]|``)++`|[\w$\x80-\xff]++)"
_NAME: Final = _IDENT + rb"(?:\s*+\.\s*+" + _IDENT + rb")?"
_COLUMNS: Final = rb"\((?:[^()`'\"]++|`(?:[^`]|``)*+`)*+\)"
_INSERT: Final = re.compile(
    rb"(?:INSERT|REPLACE)(?:\s++(?:LOW_PRIORITY|DELAYED|HIGH_PRIORITY|IGNORE))*+(?:\s++INTO)?"
    rb"\s++(" + _NAME + rb")\s*+(" + _COLUMNS + rb")?\s*+VALUES?(?=[\s(])\s*+",
    re.IGNORECASE,
)
_ANY_INSERT: Final = re.compile(
    rb"(?:INSERT|REPLACE)\b(?:[^;'\"`]|`[^`]*+`){0,512}?\bINTO\s++(" + _NAME + rb")", re.IGNORECASE
)
_CREATE: Final = re.compile(
    rb"CREATE\s++(?:TEMPORARY\s++)?TABLE\s++(?:IF\s++NOT\s++EXISTS\s++)?(" + _NAME + rb")",
    re.IGNORECASE,
)
_USE: Final = re.compile(rb"USE\s++(" + _IDENT + rb")\s*+;", re.IGNORECASE)
_DELIMITER: Final = re.compile(rb"DELIMITER[ \t]++(\S++)[^\n]*+(?:\n|\Z)", re.IGNORECASE)


@cache
def _statement(delimiter: bytes) -> re.Pattern[bytes]:
    """A whole statement up to ``delimiter`` outside strings, identifiers and comments."""
    first, rest = re.escape(delimiter[:1]), re.escape(delimiter[1:])
    lone = first + (rb"(?!" + rest + rb")" if rest else rb"(?!)")
    return re.compile(
        rb"(?:[^'\"`#/\-" + first + rb"]++|" + _STRING + rb"|" + _DSTRING
        + rb"|`(?:[^`]++|``)*+`|--(?=\s)[^\n]*+|#[^\n]*+|/\*(?:[^*]++|\*(?!/))*+\*/|[/\-]|"
        + lone + rb")*+" + re.escape(delimiter),
        re.DOTALL,
    )  # fmt: skip


def sniff(probe: Probe) -> bool:
    return _RECOGNISED.search(ascii_head(probe.head)) is not None


def open_tables(unit: Unit, probe: Probe) -> list[Table]:
    assert unit.path is not None
    declared = _SET_NAMES.search(ascii_head(probe.head))
    charset = declared.group(1).decode("ascii").lower() if declared else None
    encoding = dump_encoding(probe, MYSQL_CHARSETS.get(charset or ""))
    dump = DumpBytes(unit.path, encoding)
    index = DumpIndex()
    last_table = _index(dump, index)
    if dump.decode_error is not None:
        if last_table is not None:
            index.tables[last_table].error = dump.decode_error
        else:
            index.error = dump.decode_error

    def read(window: Window, segment: Segment) -> Iterator[pl.DataFrame]:
        assert isinstance(segment.reader, Run)
        return read_values(window, segment.reader, MYSQL_LITERALS, dump.place, build=True)

    return make_tables(unit.label, KIND, index, dump.open, read, encoding=encoding, keep_alive=dump)


def _index(dump: DumpBytes, index: DumpIndex) -> TableKey | None:
    """Indexes the dump; returns the table whose data came last (a cut copy ends there)."""
    walker = _Walker(dump.place, index)
    with dump.open() as stream:
        stream.seek(dump.start)
        try:
            walker.walk(Window(stream, dump.start))
        except SourceError as exc:
            if walker.current is not None:
                index.table(*walker.current).error = exc
            else:
                index.error = exc
    return walker.last_table


class _Walker:
    """Walks the statements of a dump, noting tables, their columns and their data runs."""

    def __init__(self, place: Place, index: DumpIndex) -> None:
        self.place = place
        self.index = index
        self.database: str | None = None
        self.delimiter = b";"
        self.current: tuple[TableKey, str] | None = None  # the table whose data is being read
        self.last_table: TableKey | None = None

    def _key(self, raw_name: bytes) -> tuple[TableKey, str]:
        parts = name_parts(raw_name)
        if len(parts) == 1 and self.database is not None:
            parts = [self.database, *parts]
        return tuple(parts), ".".join(parts)

    def walk(self, window: Window) -> None:
        while True:
            skip_blanks(window, _BLANK, _OPENER)
            if not window.available:
                return
            buf, at = window.buf, window.pos
            if (found := _DELIMITER.match(buf, at)) is not None:
                self.delimiter = found.group(1)
                window.pos = found.end()
            elif self.delimiter != b";":  # routines and triggers: no table data
                next_statement(window, _statement(self.delimiter), self.place)
            elif (found := _INSERT.match(buf, at)) is not None and buf[
                found.end() : found.end() + 1
            ] == b"(":
                self._data(window, found)
            elif (found := _CREATE.match(buf, at)) is not None:
                key, name = self._key(found.group(1))
                statement = next_statement(window, _statement(b";"), self.place)
                self.index.table(key, name).columns = create_table_columns(
                    statement, unquote_identifier
                )
            elif (found := _USE.match(buf, at)) is not None:
                self.database = unquote_identifier(found.group(1))
                window.pos = found.end()
            elif (found := _ANY_INSERT.match(buf, at)) is not None:
                key, name = self._key(found.group(1))
                table = self.index.table(key, name)
                table.error = table.error or FormatError(
                    f"an INSERT statement at {self.place(window.offset)} is not of the "
                    "INSERT ... VALUES form verifydel reads",
                    hint="the other rows were scanned; restore the dump and scan the database",
                )
                next_statement(window, _statement(b";"), self.place)
            else:
                next_statement(window, _statement(b";"), self.place)

    def _data(self, window: Window, head: re.Match[bytes]) -> None:
        key, name = self._key(head.group(1))
        run = Run(head=head.group().rstrip())
        window.pos = head.end()
        segment = Segment(window.offset, column_list(head.group(2)), None, run)
        self.index.add_segment(key, name, segment)
        self.current, self.last_table = (key, name), key
        try:
            for _ in read_values(window, run, MYSQL_LITERALS, self.place, build=False):
                pass
        finally:  # a run cut short keeps the width of its first row
            segment.width = run.width
        self.current = None
