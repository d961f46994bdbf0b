"""Microsoft Access databases (.mdb Jet3/Jet4, .accdb ACE), read through mdbtools.

Recognised by the header page ("Standard Jet DB" / "Standard ACE DB" after
00 01 00 00), whatever the file is called. One Table per user table, labelled
``<unit label>!/<table>``; rows numbered in mdbtools' storage order (data pages
in the table's usage map, rows in page order), which is how Access itself
returns a table without an ORDER BY.

mdbtools (Debian package ``mdbtools``) does the reading: ``mdb-tables -1``
lists the user tables, ``mdb-count`` gives the row count the table definition
holds, and ``mdb-export`` streams each table as CSV through a pipe, parsed in
bounded chunks: memory stays at about one chunk plus one batch whatever the
table's size. The CSV uses the unit separator (0x1f) between cells (a column
name can hold no control character, so the header splits exactly), text-like
cells in double quotes with quotes doubled, so a line break or a quote inside
a memo survives; binary cells (OLE objects, attachments) are left out.

Jet3 (Access 97) text is in the code page of the machine that wrote it: read
as CP932 unless ``--encoding`` says otherwise (mdbtools' MDB_JET3_CHARSET);
Jet4/ACE text is UCS-2. Output is always UTF-8 (MDBICONV).

A table ends ``partial`` (rows before the problem kept) when mdb-export exits
with an error, prints a warning (its messages are summarised, never quoted: one
names a table), returns fewer rows than the table definition counts, or when
the file is not a whole number of pages (truncated: mdbtools would read the
missing part as empty rows). Without mdbtools, the file is one ``failed``
source saying so.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from typing import IO, Final

import polars as pl

from verifydel.errors import FormatError, SourceError
from verifydel.core.headers import unique_column_names
from verifydel.formats._probe import Probe
from verifydel.core.table import BATCH_ROWS, Table
from verifydel.core.unit import Unit

KIND: Final = "access"
JET_MAGIC: Final = b"\x00\x01\x00\x00Standard Jet DB"
ACE_MAGIC: Final = b"\x00\x01\x00\x00Standard ACE DB"
TABLE_SEPARATOR: Final = "!/"

#: Byte 0x14 of the header page: the engine version (as mdb-ver names it).
VERSIONS: Final = {0: "JET3", 1: "JET4", 2: "ACE12", 3: "ACE14", 4: "ACE15", 5: "ACE16"}
_VERSION_AT: Final = 0x14
JET3_PAGE: Final = 2048
JET4_PAGE: Final = 4096

#: Jet3 text encoding without --encoding: verifydel is built for Japanese data.
DEFAULT_JET3_CHARSET: Final = "CP932"
#: Cell separator of the CSV asked from mdb-export (ASCII unit separator).
SEPARATOR: Final = "\x1f"
#: mdb-export's options: that separator, text-like cells in double quotes (a quote in a
#: cell doubled), binary cells left out (as raw bytes they would break the CSV).
_EXPORT_OPTIONS: Final = ("-d", SEPARATOR, "-q", '"', "-b", "strip")
#: Bytes read from mdb-export's output per parse.
CHUNK_BYTES: Final = 8 << 20
#: A record longer than this (cells are at most mdbtools' bind size each) is malformed.
MAX_RECORD_BYTES: Final = 256 << 20
#: Bytes of table names or of a header line read at most.
MAX_LISTING_BYTES: Final = 4 << 20
#: Seconds allowed to the catalog and count look-ups (they read a few pages).
LOOKUP_SECONDS: Final = 120

MDBTOOLS_MISSING: Final = "mdbtools is not installed: Access files cannot be read"
MDBTOOLS_HINT: Final = "apt install mdbtools"
_TOOLS: Final = ("mdb-tables", "mdb-export", "mdb-count")

#: mdbtools warnings that lose no row (a usage map it cannot use: it reads every page instead).
_BENIGN: Final = ("defaulting to brute force read", "unrecognized usage map type")
#: What a warning line says, by a fixed phrase of it: the summary quoted instead of the line.
_WARNING_KINDS: Final = (
    ("beyond eof", "pages beyond the end of the file"),
    ("doesn't match", "pages listed for the table that belong to something else"),
    ("invalid page buffer", "rows that could not be decoded"),
    ("memo", "memo values that could not be read"),
    ("ole field", "OLE values that could not be read"),
)


def sniff(probe: Probe) -> bool:
    return probe.head.startswith((JET_MAGIC, ACE_MAGIC))


def _find_tool(name: str) -> str | None:
    return shutil.which(name)


def open_tables(unit: Unit, probe: Probe) -> list[Table]:
    tools = {name: _find_tool(name) for name in _TOOLS}
    if any(path is None for path in tools.values()):
        return [_failed(unit, SourceError(MDBTOOLS_MISSING, hint=MDBTOOLS_HINT))]
    reader = _Reader(unit, probe, {k: v for k, v in tools.items() if v is not None})
    return reader.tables()


def _failed(
    unit: Unit, error: SourceError, details: dict[str, str | int | bool | None] | None = None
) -> Table:
    """The whole file as one source that fails with ``error`` when read."""

    def batches() -> Iterator[pl.DataFrame]:
        raise error
        yield  # pragma: no cover - makes this a generator

    return Table(label=unit.label, kind=KIND, columns=[], batches=batches(), details=details or {})


def _iconv_name(encoding: str) -> str:
    """A Python codec name (as --encoding is canonicalised) as iconv spells it."""
    if encoding in ("shift_jis", "cp932", "ms932", "sjis"):
        return "CP932"
    return encoding.upper().replace("_", "-")


def _warnings_summary(lines: list[str]) -> tuple[int, list[str]]:
    """(count of warnings that may lose rows, what they were about) - never the lines themselves."""
    kinds: list[str] = []
    count = 0
    for line in lines:
        low = line.lower()
        if not low.strip() or any(b in low for b in _BENIGN):
            continue
        count += 1
        kind = next((k for pattern, k in _WARNING_KINDS if pattern in low), "other problems")
        if kind not in kinds:
            kinds.append(kind)
    return count, kinds


def last_record_end(buf: bytes | bytearray) -> int:
    """Index just after the last line break that ends a CSV record, 0 if none does.

    ``buf`` starts at a record boundary; a break inside quotes (an odd number of
    quote characters before it: doubled quotes count twice) is inside a cell.
    """
    pos = buf.rfind(b"\n")
    if pos < 0:
        return 0
    quotes = buf.count(b'"', 0, pos)
    while quotes % 2:
        previous = buf.rfind(b"\n", 0, pos)
        if previous < 0:
            return 0
        quotes -= buf.count(b'"', previous, pos)
        pos = previous
    return pos + 1


class _Reader:
    """The mdbtools runs for one Access file."""

    def __init__(self, unit: Unit, probe: Probe, tools: dict[str, str]) -> None:
        assert unit.path is not None
        self.unit = unit
        self.path = str(unit.path.resolve())  # absolute: never taken for an option
        self.tools = tools
        version = probe.head[_VERSION_AT] if len(probe.head) > _VERSION_AT else -1
        self.jet3 = version == 0
        self.version = VERSIONS.get(version, f"unknown ({version})")
        self.page = JET3_PAGE if self.jet3 else JET4_PAGE
        self.truncated = probe.size % self.page != 0
        charset = (
            _iconv_name(probe.encoding_override)
            if probe.encoding_override
            else DEFAULT_JET3_CHARSET
        )
        self.charset = charset if self.jet3 else None
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("MDBOPTS", "MDBPATH", "MDB_JET3_CHARSET")
        }
        env["MDBICONV"] = "UTF-8"
        env["MDB_JET3_CHARSET"] = charset
        self.env = env

    def details(self) -> dict[str, str | int | bool | None]:
        facts: dict[str, str | int | bool | None] = {"access_version": self.version}
        if self.charset:
            facts["jet3_charset"] = self.charset
        return facts

    def _run(self, tool: str, *args: str) -> tuple[int, bytes, list[str]]:
        """(exit status, stdout up to MAX_LISTING_BYTES, stderr lines) of a short look-up."""
        try:
            done = subprocess.run(
                [self.tools[tool], *args],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                env=self.env,
                timeout=LOOKUP_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise SourceError(
                f"{tool} did not finish within {LOOKUP_SECONDS} s", hint="the file may be corrupt"
            ) from None
        except OSError as exc:
            raise SourceError(
                f"cannot run {tool}: {(exc.strerror or type(exc).__name__).lower()}"
            ) from None
        if len(done.stdout) > MAX_LISTING_BYTES:
            raise FormatError(
                f"{tool} printed more than {MAX_LISTING_BYTES} bytes",
                hint="the file may be corrupt",
            )
        return done.returncode, done.stdout, done.stderr.decode("utf-8", "replace").splitlines()

    def tables(self) -> list[Table]:
        try:
            status, out, errors = self._run("mdb-tables", "-1", "--", self.path)
        except SourceError as exc:
            return [_failed(self.unit, exc, self.details())]
        if status != 0:
            error = FormatError(
                f"mdbtools cannot read the catalog (mdb-tables exit status {status})",
                hint="the file looks corrupt, encrypted with a password, or is not an Access database",
            )
            return [_failed(self.unit, error, self.details())]
        names = [
            line for line in out.decode("utf-8", "surrogateescape").split("\n") if line.strip()
        ]
        tables = [self._table(name) for name in names]
        count, kinds = _warnings_summary(errors)
        if count:
            error = FormatError(
                f"mdbtools reported {count} problem(s) reading the catalog ({', '.join(kinds)})",
                hint="some tables may be missing from this scan; the file looks corrupt",
            )
            tables.append(_failed(self.unit, error, self.details()))
        if not tables:
            notes = ["no user table"]
            empty = iter(())
            return [Table(self.unit.label, KIND, [], empty, notes=notes, details=self.details())]
        return tables

    def _table(self, name: str) -> Table:
        shown = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        label = f"{self.unit.label}{TABLE_SEPARATOR}{shown}"
        if name.startswith("-"):  # mdbtools' option parser takes it for an option, even after "--"
            error = SourceError(
                "mdbtools cannot export a table whose name starts with '-'",
                hint="export that table by hand (Access: External Data > Text File) and scan the export",
            )
            return _failed(Unit(label=label, path=None), error, self.details())
        try:
            raw = self._header(name)
        except SourceError as exc:
            return _failed(Unit(label=label, path=None), exc, self.details())
        reading = _TableReading(self, name, raw)
        return Table(
            label=label,
            kind=KIND,
            columns=reading.columns,
            batches=reading.batches(),
            encoding=self.charset.lower() if self.charset else None,
            details=reading.details,
        )

    def _export_command(self, name: str) -> list[str]:
        return [self.tools["mdb-export"], *_EXPORT_OPTIONS, "--", self.path, name]

    def _header(self, name: str) -> list[str]:
        """The table's column names: the first line of an mdb-export stopped right after it."""
        with self.export(name) as (process, _):
            assert process.stdout is not None
            line = process.stdout.readline(MAX_LISTING_BYTES)
        if not line.endswith(b"\n"):
            status = process.returncode
            raise FormatError(
                f"mdbtools cannot read the table definition (mdb-export exit status {status})",
                hint="the file looks corrupt",
            )
        return line[:-1].decode("utf-8", "replace").split(SEPARATOR)

    @contextlib.contextmanager
    def export(self, name: str) -> Iterator[tuple[subprocess.Popen[bytes], IO[bytes]]]:
        """mdb-export of table ``name`` running, its stderr going to a private unnamed file.

        Leaving the block stops the process if it still runs, and reaps it.
        """
        with tempfile.TemporaryFile() as stderr:
            try:
                process = subprocess.Popen(
                    self._export_command(name),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=stderr,
                    env=self.env,
                )
            except OSError as exc:
                raise SourceError(
                    f"cannot run mdb-export: {(exc.strerror or type(exc).__name__).lower()}"
                ) from None
            try:
                yield process, stderr
            finally:
                if process.poll() is None:
                    process.kill()
                assert process.stdout is not None
                process.stdout.close()
                process.wait()

    def announced_rows(self, name: str) -> int | None:
        """The row count the table definition holds (mdb-count), None if it cannot be had."""
        try:
            status, out, _ = self._run("mdb-count", "--", self.path, name)
        except SourceError:
            return None
        text = out.decode("ascii", "replace").strip()
        return int(text) if status == 0 and text.isdigit() else None


class _TableReading:
    """Streams one table out of mdb-export into batches of text."""

    def __init__(self, reader: _Reader, name: str, raw_columns: list[str]) -> None:
        self.reader = reader
        self.name = name
        self.raw_columns = raw_columns
        self.columns = unique_column_names(raw_columns)
        self.details = reader.details()
        self._schema = {f"c{i}": pl.String for i in range(len(self.columns))}

    def _parse(self, chunk: bytes | bytearray) -> pl.DataFrame:
        try:
            frame = pl.read_csv(
                io.BytesIO(chunk),
                has_header=False,
                separator=SEPARATOR,
                quote_char='"',
                schema=self._schema,
                encoding="utf8-lossy",
            )
        except pl.exceptions.PolarsError:
            raise FormatError(
                "mdb-export wrote CSV verifydel cannot parse",
                hint="the table may hold values mdbtools cannot export",
            ) from None
        return frame.rename(dict(zip(self._schema, self.columns, strict=True)))

    def batches(self) -> Iterator[pl.DataFrame]:
        reader = self.reader
        announced = reader.announced_rows(self.name)
        if announced is not None:
            self.details["rows_in_table_definition"] = announced
        rows = 0
        with reader.export(self.name) as (process, stderr):
            assert process.stdout is not None
            header = process.stdout.readline(MAX_LISTING_BYTES)
            if header[:-1].decode("utf-8", "replace").split(SEPARATOR) != self.raw_columns:
                raise FormatError(
                    "mdb-export gave different columns on a second read",
                    hint="the file may be changing",
                )
            pending: list[pl.DataFrame] = []
            pending_rows = 0
            buf = bytearray()
            while True:
                data = process.stdout.read(CHUNK_BYTES)
                buf += data
                # At the end, a record cut short is left out: the exit status says why.
                end = last_record_end(buf)
                if end:
                    frame = self._parse(buf[:end])
                    del buf[:end]
                    pending.append(frame)
                    pending_rows += frame.height
                elif len(buf) > MAX_RECORD_BYTES:
                    raise FormatError(
                        f"a record after data row {rows} is longer than {MAX_RECORD_BYTES} bytes",
                        hint="the table may be corrupt",
                    )
                while pending_rows >= BATCH_ROWS or (not data and pending_rows):
                    whole = pl.concat(pending) if len(pending) > 1 else pending[0]
                    batch, rest = whole.slice(0, BATCH_ROWS), whole.slice(BATCH_ROWS)
                    pending = [rest] if rest.height else []
                    pending_rows = rest.height
                    rows += batch.height
                    yield batch
                if not data:
                    break
            status = process.wait()
            if buf and status == 0:
                raise FormatError(
                    f"mdb-export's output ended inside a record after data row {rows}"
                )
            stderr.seek(0)
            warnings = stderr.read(MAX_LISTING_BYTES).decode("utf-8", "replace").splitlines()
        self.details["rows_exported"] = rows
        self._check(status, warnings, rows, announced)

    def _check(self, status: int, warnings: list[str], rows: int, announced: int | None) -> None:
        """Raises the reason the rows read are not the whole table, if there is one."""
        if status != 0:
            raise FormatError(
                f"mdb-export stopped with exit status {status} after data row {rows}",
                hint="the file looks corrupt",
            )
        count, kinds = _warnings_summary(warnings)
        if count:
            raise FormatError(
                f"mdbtools reported {count} problem(s) after data row {rows} ({', '.join(kinds)})",
                hint="rows may be missing: the file looks corrupt",
            )
        if announced is not None and rows < announced:
            raise FormatError(
                f"mdb-export returned {rows} rows of the {announced} the table definition counts",
                hint="rows are missing: the file looks corrupt",
            )
        if self.reader.truncated:
            raise FormatError(
                f"the file is not a whole number of {self.reader.page}-byte pages: it looks truncated",
                hint="rows on the missing part were not read; scan a complete copy",
            )
