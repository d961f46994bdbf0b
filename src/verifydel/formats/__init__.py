"""Formats: files to tables of text, in bounded batches, recognised by content.

Public API: ``open_tables(unit, *, encoding=None) -> list[Table]``, and ``reads_whole(unit)``:
whether a format reads a file whole that a container could also open (the reader asks it
before walking a container).

Families live in sub-packages (``excel/``, ``sqlite/``, ``sqldump/``, ``unstructured/``);
column detection is not a format: it is ``verifydel.columns``.

A format is a module with ``KIND``, ``sniff(probe) -> bool`` and
``open_tables(unit, probe) -> list[Table]``; adding one is one module plus one
line in ``FORMAT_READERS``.
"""

from __future__ import annotations

from types import ModuleType
from typing import Final

from verifydel.core.table import BATCH_ROWS, Table
from verifydel.core.unit import Unit
from verifydel.errors import UnsupportedFormatError
from verifydel.formats import access, delimited, jsonl, parquet
from verifydel.formats._probe import Probe
from verifydel.formats.excel import xls, xlsx
from verifydel.formats.sqldump import mysql as sqldump_mysql
from verifydel.formats.sqldump import pg as sqldump_pg
from verifydel.formats.sqldump import pg_archive as pgdump_archive
from verifydel.formats.sqlite import database as sqlite_file
from verifydel.formats.unstructured import reader as unstructured

#: Asked in order; the first whose sniff recognises the content reads the file.
#: Binary formats recognised by magic bytes come first (their bytes are never
#: taken for text, and their sniffs are cheap): Parquet, SQLite files and their
#: WAL/journal/index companions, Excel, Access (Jet/ACE header page), then pg_dump
#: archives ("PGDMP", and the data files beside a directory archive's toc.dat).
#: Then the text formats, the most specific first: SQL dumps by their headers
#: and statements, before JSON Lines (whose sniff decodes the head: a mysqldump
#: holding BLOBs would not decode), and before delimited text, which takes any
#: text. Last, unstructured bytes: what nothing else claims (an unknown binary, a
#: disk image, UTF-16 text without a BOM) is searched for phone numbers.
FORMAT_READERS: Final[tuple[ModuleType, ...]] = (
    parquet,
    sqlite_file,
    xlsx,
    xls,
    access,
    pgdump_archive,
    sqldump_mysql,
    sqldump_pg,
    jsonl,
    delimited,
    unstructured,
)


def reads_whole(unit: Unit) -> bool:
    """True when a format reads this file whole although a container could open it: a
    workbook holding only its own parts (a zip), a pg_dump -Ft archive (a tar), a data file
    of a pg_dump directory archive (gzip or zstd, read through its toc.dat)."""
    path = unit.path
    if path is None:
        return False
    return (
        xlsx.layout(path) is xlsx.Layout.WHOLE
        or pgdump_archive.is_pgdump_tar(path)
        or pgdump_archive.is_directory_data_file(path)
    )


def reader_kind(unit: Unit, *, encoding: str | None = None, prefer_text: bool = False) -> str | None:
    """The ``KIND`` of the format that reads this file (its head sniffed as ``open_tables``
    does), without opening it; None when none does. Raises SourceError if it cannot be read."""
    if unit.path is None:
        return None
    probe = Probe.read(unit.path, encoding, prefer_text=prefer_text)
    for reader in FORMAT_READERS:
        if reader.sniff(probe):
            return str(reader.KIND)
    return None


def open_tables(unit: Unit, *, encoding: str | None = None, prefer_text: bool = False) -> list[Table]:
    """The tables of one unit, its format chosen by content (never by file extension).

    ``encoding`` overrides text encoding detection (the CLI's --encoding); binary
    formats ignore it. ``prefer_text`` (the CLI's --map): NUL bytes never make a file
    binary (see ``Probe.is_binary``); --encoding implies it. Raises UnsupportedFormatError when no reader recognises the
    content, DecodeError when text is in no encoding verifydel can tell, FormatError
    when the content is malformed; batches may raise a SourceError part-way.
    """
    if unit.opener is not None:
        return unit.opener()
    if unit.path is None:
        raise UnsupportedFormatError(f"{unit.label} holds no bytes to read")
    probe = Probe.read(unit.path, encoding, prefer_text=prefer_text)
    for reader in FORMAT_READERS:
        if reader.sniff(probe):
            tables: list[Table] = reader.open_tables(unit, probe)
            return tables
    raise UnsupportedFormatError(
        "not a table format verifydel reads",
        hint="verifydel reads CSV/TSV, JSON Lines, Parquet, Excel (.xlsx, .xls), Access (.mdb, .accdb), mysqldump and pg_dump (plain, custom, directory, tar) by content; "
        "export the data to one of them",
    )


__all__ = ["BATCH_ROWS", "FORMAT_READERS", "Table", "open_tables", "reader_kind", "reads_whole"]
