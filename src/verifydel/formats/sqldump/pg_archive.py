"""pg_dump custom (-Fc), directory (-Fd) and tar (-Ft) archives: each table's data via pg_restore.

Recognised by content: the "PGDMP" magic (a custom archive, or the toc.dat of a
directory archive) or a tar whose first member is toc.dat. verifydel reads the
archive's table of contents itself (table names, column lists, which entries
hold data), then for each table runs ``pg_restore --data-only -L <that entry>
-f -`` and reads the plain SQL it writes to a pipe with the pg_dump plain
reader, as it streams: nothing is written to disk, and every compression the
local pg_restore knows (gzip; lz4 and zstd from PostgreSQL 16) works.
pg_restore never connects to a database here; its messages are only classified,
never passed on (they may quote names from the archive).

A directory archive is one unit, its toc.dat. The data files beside it
(NNNN.dat, NNNN.dat.gz, blob_NNNN.dat, blobs.toc...) are recognised too, as
parts of the archive: they yield no rows of their own (their rows are read once,
through toc.dat), so a walked dump folder is not scanned twice.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, BinaryIO, Final

import polars as pl

from verifydel.core.tempfiles import discard, new_private_file
from verifydel.core.limits import LimitExceeded
from verifydel.decoders import TextDecoder
from verifydel.errors import FormatError, SourceError
from verifydel.formats.sqldump import pg as sqldump_pg
from verifydel.core.headers import unique_column_names
from verifydel.formats._probe import Probe
from verifydel.formats.sqldump._sql import (
    READ_BYTES,
    Batcher,
    DumpIndex,
    Place,
    Window,
    arrange,
    column_list,
    create_table_columns,
    unquote_identifier,
)
from verifydel.core.table import Table
from verifydel.core.unit import Unit

KIND: Final = "pg_dump"
MAGIC: Final = b"PGDMP"
#: Archive versions whose table of contents this reader knows (pg_dump 9.0 to 17).
OLDEST_VERSION: Final = (1, 12, 0)
NEWEST_VERSION: Final = (1, 16, 0)
#: Bounds on a hostile table of contents.
MAX_TOC_STRING: Final = 256 << 20
MAX_TOC_ENTRIES: Final = 10_000_000
#: pg_restore may write at most this many times the archive's size for one table
#: (after RESTORE_GRACE_BYTES): a decompression bomb is cut off, not read for ever.
RESTORE_RATIO: Final = 200
RESTORE_GRACE_BYTES: Final = 1 << 30

_CUSTOM = 1
#: The format byte of a toc.dat: a directory archive's records "tar" (3), like a tar's own.
_TOC_DAT_FORMATS: Final = frozenset({3, 5})
_NO_DATA: Final = 3  # K_OFFSET_NO_DATA
_DATA_FILE: Final = re.compile(r"(?:\d+|blob_\d+)\.dat(?:\.gz|\.lz4|\.zst)?|blobs(?:_\d+)?\.toc")
_COPY_COLUMNS: Final = re.compile(
    rb"COPY\s+.*?(\((?:[^()\"]|\"(?:[^\"]|\"\")*\")*\))\s*FROM", re.DOTALL
)
_ENCODING: Final = re.compile(rb"client_encoding\s*=\s*'([A-Za-z0-9_]+)'")
PART_NOTE: Final = (
    "part of the pg_dump directory archive in this folder: its rows are read once, "
    "through the archive's toc.dat"
)
BLOBS_NOTE: Final = "the archive's large objects are not scanned"


@dataclass
class TocEntry:
    dump_id: int
    desc: str
    namespace: bytes  # UTF-8 once the table of contents is read
    tag: bytes
    defn: bytes
    copy_stmt: bytes
    has_data: bool

    @property
    def name(self) -> str:
        parts = [p.decode("utf-8", "replace") for p in (self.namespace, self.tag) if p]
        return ".".join(parts)


@dataclass
class Toc:
    version: tuple[int, int, int]
    format: int
    encoding: str = "utf-8"
    entries: list[TocEntry] = field(default_factory=list)


class _TocReader:
    """pg_dump's archive integers and strings, every length checked against the file."""

    def __init__(self, stream: BinaryIO, size: int) -> None:
        self.stream, self.size, self.int_size = stream, size, 4

    def read(self, count: int) -> bytes:
        data = self.stream.read(count)
        if len(data) != count:
            raise FormatError(
                "the archive's table of contents is truncated",
                hint="the archive is incomplete or corrupt",
            )
        return data

    def byte(self) -> int:
        return self.read(1)[0]

    def int(self) -> int:
        sign = self.byte()
        value = int.from_bytes(self.read(self.int_size), "little")
        return -value if sign else value

    def string(self) -> bytes | None:
        length = self.int()
        if length < 0:
            return None
        if length > MAX_TOC_STRING or length > self.size:
            raise FormatError(
                "the archive's table of contents is corrupt (a string longer than the file)",
                hint="the archive is damaged",
            )
        return self.read(length)


def read_toc(stream: BinaryIO, size: int) -> Toc:
    """The header and table of contents of a custom, directory or tar archive."""
    toc = _TocReader(stream, size)
    if toc.read(5) != MAGIC:
        raise FormatError("not a pg_dump archive", hint="the file lost its PGDMP header")
    version = (toc.byte(), toc.byte(), toc.byte())
    if not OLDEST_VERSION <= version <= NEWEST_VERSION:
        raise FormatError(
            f"pg_dump archive version {'.'.join(map(str, version))} is not supported",
            hint="convert it with its own pg_restore (pg_restore -f dump.sql ARCHIVE) and scan dump.sql",
        )
    toc.int_size, offset_size, archive_format = toc.byte(), toc.byte(), toc.byte()
    if not 1 <= toc.int_size <= 8 or not 1 <= offset_size <= 16:
        raise FormatError("the archive header is corrupt", hint="the archive is damaged")
    if version >= (1, 15, 0):
        toc.byte()  # compression algorithm
    else:
        toc.int()  # compression level
    for _ in range(7):  # creation time
        toc.int()
    for _ in range(3):  # database name, server version, pg_dump version
        toc.string()
    result = Toc(version, archive_format)
    count = toc.int()
    if not 0 <= count <= MAX_TOC_ENTRIES:
        raise FormatError(
            "the archive's table of contents is corrupt", hint="the archive is damaged"
        )
    for _ in range(count):
        result.entries.append(_entry(toc, version, archive_format, offset_size))
    for entry in result.entries:
        if entry.desc == "ENCODING" and (found := _ENCODING.search(entry.defn)):
            result.encoding = sqldump_pg.pg_codec(found.group(1).decode()) or "utf-8"
    if result.encoding not in ("utf-8", "ascii"):  # names and statements are in the dump's encoding
        for entry in result.entries:
            entry.namespace, entry.tag = (
                _utf8(n, result.encoding) for n in (entry.namespace, entry.tag)
            )
            entry.defn, entry.copy_stmt = (
                _utf8(t, result.encoding) for t in (entry.defn, entry.copy_stmt)
            )
    return result


def _utf8(raw: bytes, encoding: str) -> bytes:
    return raw.decode(encoding, "replace").encode("utf-8")


def _entry(toc: _TocReader, version: tuple[int, int, int], kind: int, offset_size: int) -> TocEntry:
    dump_id = toc.int()
    toc.int()  # had dumper
    toc.string()  # table oid
    toc.string()  # oid
    tag, desc = toc.string() or b"", toc.string() or b""
    toc.int()  # section
    defn = toc.string() or b""
    toc.string()  # drop statement
    copy_stmt = toc.string() or b""
    namespace = toc.string() or b""
    toc.string()  # tablespace
    if version >= (1, 14, 0):
        toc.string()  # table access method
    if version >= (1, 16, 0):
        toc.int()  # relkind
    toc.string()  # owner
    toc.string()  # with oids
    while toc.string() is not None:  # dependencies
        pass
    if kind == _CUSTOM:
        has_data = toc.byte() != _NO_DATA
        toc.read(offset_size)
    else:
        has_data = bool(toc.string())  # the data file's name
    return TocEntry(
        dump_id, desc.decode("ascii", "replace"), namespace, tag, defn, copy_stmt, has_data
    )


def is_directory_data_file(path: Path | None) -> bool:
    """A data file of a directory archive: named as pg_dump names them, beside its toc.dat."""
    if path is None or not _DATA_FILE.fullmatch(path.name):
        return False
    try:
        with open(path.parent / "toc.dat", "rb") as fh:
            head = fh.read(11)
    except OSError:
        return False
    return head.startswith(MAGIC) and len(head) == 11 and head[10] in _TOC_DAT_FORMATS


def is_pgdump_tar(path: Path) -> bool:
    """A tar archive written by pg_dump -Ft (its first member is toc.dat): pg_restore reads
    it whole, so a tar container should leave it to this reader."""
    try:
        with open(path, "rb") as fh:
            return _is_pgdump_tar(fh.read(520))
    except OSError:
        return False


def _is_pgdump_tar(head: bytes) -> bool:
    return head[257:262] == b"ustar" and head[:8] == b"toc.dat\x00" and head[512:517] == MAGIC


def sniff(probe: Probe) -> bool:
    return (
        probe.starts_with(MAGIC) or _is_pgdump_tar(probe.head) or is_directory_data_file(probe.path)
    )


def open_tables(unit: Unit, probe: Probe) -> list[Table]:
    assert unit.path is not None
    if not probe.starts_with(MAGIC) and is_directory_data_file(unit.path):
        return [Table(unit.label, KIND, [], iter(()), None, [PART_NOTE])]
    tar = not probe.starts_with(MAGIC)  # a tar archive: toc.dat is its first member
    with open(unit.path, "rb") as stream:
        stream.seek(512 if tar else 0)
        toc = read_toc(stream, probe.size)
    directory = not tar and toc.format != _CUSTOM  # the toc.dat of a directory archive
    archive = unit.path.parent if directory else unit.path
    archive_bytes = _archive_bytes(archive)
    notes = [BLOBS_NOTE] if any(e.desc in ("BLOBS", "BLOB DATA") for e in toc.entries) else []
    definitions = {(e.namespace, e.tag): e.defn for e in toc.entries if e.desc == "TABLE"}
    tables = []
    for entry in toc.entries:
        if entry.desc != "TABLE DATA":
            continue
        columns = _columns(entry, definitions)
        names = unique_column_names(columns)
        batches = (
            _restored(unit, archive, directory, toc, entry, columns, names, archive_bytes)
            if entry.has_data
            else iter(())
        )
        tables.append(
            Table(f"{unit.label}!/{entry.name}", KIND, names, batches, toc.encoding, list(notes))
        )
    if not tables:
        tables.append(
            Table(unit.label, KIND, [], iter(()), toc.encoding, ["the archive holds no table data"])
        )
    return tables


def _columns(entry: TocEntry, definitions: dict[tuple[bytes, bytes], bytes]) -> list[str]:
    """The table's columns: its COPY statement's list, else its CREATE TABLE's."""
    if (found := _COPY_COLUMNS.match(entry.copy_stmt)) is not None:
        names = column_list(found.group(1))
        if names:
            return names
    definition = definitions.get((entry.namespace, entry.tag))
    return create_table_columns(definition, unquote_identifier) if definition else []


def _archive_bytes(archive: Path) -> int:
    if archive.is_dir():
        return sum(p.stat().st_size for p in archive.iterdir() if p.is_file())
    return archive.stat().st_size


def _restored(
    unit: Unit,
    archive: Path,
    directory: bool,
    toc: Toc,
    entry: TocEntry,
    columns: list[str],
    names: list[str],
    archive_bytes: int,
) -> Iterator[pl.DataFrame]:
    """The table's rows as pg_restore writes them, read from its pipe as they come."""
    program = shutil.which("pg_restore")
    if program is None:
        raise SourceError(
            "pg_restore is not installed: pg_dump archives are read through it",
            hint="install the PostgreSQL client tools, or convert the archive elsewhere "
            "(pg_restore -f dump.sql ARCHIVE) and scan dump.sql",
        )
    if directory and unit.path is not None and unit.path.name != "toc.dat":
        raise FormatError(
            "a directory archive's toc.dat without its data files",
            hint="scan the archive's folder itself (not from inside another archive)",
        )
    fd, listing = new_private_file(".list")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(f"{entry.dump_id};\n")
        with tempfile.TemporaryFile() as errors:
            # An absolute path: a relative one starting with "-" would read as an option.
            command = [program, "--data-only", "-L", listing, "-f", "-", os.path.abspath(archive)]
            process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errors, env=_env()
            )
            assert process.stdout is not None
            limit = max(RESTORE_GRACE_BYTES, RESTORE_RATIO * archive_bytes)
            try:
                yield from _frames(process.stdout, toc.encoding, limit, columns, names)
            finally:
                if process.poll() is None:
                    process.kill()
                process.wait()
                process.stdout.close()
            if process.returncode != 0:
                errors.seek(0)
                raise _restore_error(errors.read(1 << 16), toc, process.returncode)
    finally:
        discard(listing)


def _frames(
    stdout: IO[bytes], encoding: str, limit: int, columns: list[str], names: list[str]
) -> Iterator[pl.DataFrame]:
    stream: BinaryIO = _Bounded(stdout, limit)  # type: ignore[assignment]
    if encoding not in ("utf-8", "ascii"):
        stream = _Utf8(stream, encoding)  # type: ignore[assignment]
    if not columns:
        raise FormatError(
            "the archive does not say this table's columns",
            hint="convert it with pg_restore -f dump.sql ARCHIVE and scan dump.sql",
        )
    place = Place(None, stream="pg_restore's output for this table")
    walker = sqldump_pg.Walker(place, DumpIndex())
    batcher = Batcher()
    try:
        for segment, frame in walker.walk(Window(stream), build=True):
            if segment.names is not None:  # the statement's own column list
                order = [segment.names.index(c) if c in segment.names else None for c in columns]
            else:
                order = [i if i < frame.width else None for i in range(len(columns))]
            yield from batcher.add(arrange(frame, names, order))
        yield from batcher.flush()
    except SourceError:
        yield from batcher.flush()
        raise


def _env() -> dict[str, str]:
    """The environment without PG* settings (none may change what pg_restore writes)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PG")}


def _restore_error(message: bytes, toc: Toc, code: int) -> SourceError:
    """pg_restore's failure, classified (its message may name tables: never passed on)."""
    text = message.decode("utf-8", "replace").lower()
    version = ".".join(map(str, toc.version))
    if "unsupported version" in text:
        return FormatError(
            f"this pg_restore cannot read archive version {version}",
            hint="use the pg_restore of the pg_dump that made it (or newer): "
            "pg_restore -f dump.sql ARCHIVE, then scan dump.sql",
        )
    if "compress" in text or "not built with" in text:
        return FormatError(
            "this pg_restore cannot decompress the archive's data",
            hint="use a pg_restore built with its compression (lz4/zstd come with PostgreSQL 16+)",
        )
    if "could not open" in text or "no such file" in text:
        return FormatError(
            "a data file of the archive is missing or unreadable",
            hint="the rows before it were scanned; copy the whole archive folder again",
        )
    return FormatError(
        f"pg_restore could not read this table's data (exit code {code})",
        hint="the rows before it were scanned; the archive may be truncated or corrupt",
    )


class _Bounded:
    """A pipe that refuses to yield more than ``limit`` bytes (a decompression bomb)."""

    def __init__(self, raw: IO[bytes], limit: int) -> None:
        self.raw, self.limit, self.done = raw, limit, 0

    def read(self, count: int = -1) -> bytes:
        data = self.raw.read(count if count > 0 else READ_BYTES)
        self.done += len(data)
        if self.done > self.limit:
            raise LimitExceeded(
                "restore-ratio",
                f"pg_restore wrote more than {RESTORE_RATIO}x the archive's size for one table",
            )
        return data


class _Utf8:
    """A byte stream in ``encoding`` read as UTF-8, incrementally."""

    def __init__(self, raw: BinaryIO, encoding: str) -> None:
        self.raw, self.decoder, self.pending = raw, TextDecoder(encoding), b""

    def read(self, count: int) -> bytes:
        while len(self.pending) < count:
            block = self.raw.read(max(count, READ_BYTES))
            self.pending += self.decoder.decode(block, final=not block).encode("utf-8")
            if not block:
                break
        data, self.pending = self.pending[:count], self.pending[count:]
        return data
