"""SQLite database files found among the sources (a folder, an archive member), and their companions.

A database file is read table by table, read-only, through the same reader as a
`sqlite:///` source. Its companions are recognised by content so that none of
them is reported as an unknown binary:

- the write-ahead log (`-wal`, magic 0x377f0682/3) and the rollback journal
  (`-journal`, magic d9d505f920a163d7) may still hold rows deleted from the
  database; until a page walker searches them they are reported *partial*, so a
  scan that meets one never reads as clean;
- the WAL index (`-shm`) holds no row data and is reported scanned with a note.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

import polars as pl

from verifydel.errors import SourceError
from verifydel.formats._probe import Probe
from verifydel.formats.base import Table
from verifydel.sources.base import Unit

KIND: Final = "sqlite"
DATABASE_MAGIC: Final = b"SQLite format 3\x00"
WAL_MAGICS: Final = (b"\x37\x7f\x06\x82", b"\x37\x7f\x06\x83")
JOURNAL_MAGIC: Final = b"\xd9\xd5\x05\xf9\x20\xa1\x63\xd7"
SHM_VERSION: Final = 3007000  # iVersion of the WAL-index header, in native byte order
UNSEARCHED_NOTE: Final = "may hold deleted rows; verifydel does not search SQLite WAL or journal files yet"


def _is_shm(probe: Probe) -> bool:
    head = probe.head[:4]
    return probe.path.name.endswith("-shm") and head in (
        SHM_VERSION.to_bytes(4, "little"),
        SHM_VERSION.to_bytes(4, "big"),
    )


def sniff(probe: Probe) -> bool:
    head = probe.head
    return head.startswith(DATABASE_MAGIC) or head[:4] in WAL_MAGICS or head.startswith(JOURNAL_MAGIC) or _is_shm(probe)


def _companion(unit: Unit, kind: str, note: str, error: str | None) -> list[Table]:
    def batches() -> Iterator[pl.DataFrame]:
        if error is not None:
            raise SourceError(error, hint="search it by hand with a forensic SQLite tool")
        yield from ()

    return [Table(label=unit.label, kind=kind, columns=[], batches=batches(), notes=[note])]


def open_tables(unit: Unit, probe: Probe) -> list[Table]:
    head = probe.head
    if head[:4] in WAL_MAGICS:
        return _companion(unit, "sqlite-wal", UNSEARCHED_NOTE, "WAL frames not searched for deleted rows")
    if head.startswith(JOURNAL_MAGIC):
        return _companion(unit, "sqlite-journal", UNSEARCHED_NOTE, "journal pages not searched for deleted rows")
    if not head.startswith(DATABASE_MAGIC):
        return _companion(unit, "sqlite-shm", "WAL index: holds no row data", None)
    from verifydel.sources.databases import sqlite as engine
    from verifydel.sources.databases._uri import parse_uri

    assert unit.path is not None
    uri = parse_uri("sqlite://" + str(unit.path.resolve()))
    return [
        engine.open_table(uri, ref, f"{unit.label}!/{ref.name}")
        for ref in engine.list_tables(uri, "main")
        if ref.by_default
    ]
