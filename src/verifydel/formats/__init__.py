"""Formats: files to tables of text, in bounded batches, recognised by content.

Public API: ``open_tables(unit, *, encoding=None) -> list[Table]``.

A format is a module with ``KIND``, ``sniff(probe) -> bool`` and
``open_tables(unit, probe) -> list[Table]``; adding one is one module plus one
line in ``FORMAT_READERS``.
"""

from __future__ import annotations

from types import ModuleType
from typing import Final

from verifydel.errors import UnsupportedFormatError
from verifydel.formats import (
    access,
    delimited,
    jsonl,
    parquet,
    pgdump_archive,
    sqldump_mysql,
    sqldump_pg,
    sqlite_file,
    unstructured,
    xls,
    xlsx,
)
from verifydel.formats._probe import Probe
from verifydel.formats.base import BATCH_ROWS, Table
from verifydel.sources.base import Unit

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


def open_tables(unit: Unit, *, encoding: str | None = None) -> list[Table]:
    """The tables of one unit, its format chosen by content (never by file extension).

    ``encoding`` overrides text encoding detection (the CLI's --encoding); binary
    formats ignore it. Raises UnsupportedFormatError when no reader recognises the
    content, DecodeError when text is in no encoding verifydel can tell, FormatError
    when the content is malformed; batches may raise a SourceError part-way.
    """
    if unit.opener is not None:
        return unit.opener()
    if unit.path is None:
        raise UnsupportedFormatError(f"{unit.label} holds no bytes to read")
    probe = Probe.read(unit.path, encoding)
    for reader in FORMAT_READERS:
        if reader.sniff(probe):
            tables: list[Table] = reader.open_tables(unit, probe)
            return tables
    raise UnsupportedFormatError(
        "not a table format verifydel reads",
        hint="verifydel reads CSV/TSV, JSON Lines, Parquet, Excel (.xlsx, .xls), Access (.mdb, .accdb), mysqldump and pg_dump (plain, custom, directory, tar) by content; "
        "export the data to one of them",
    )


__all__ = ["BATCH_ROWS", "FORMAT_READERS", "Table", "open_tables"]
