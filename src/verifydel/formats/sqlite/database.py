"""SQLite database files found among the sources (a folder, an archive member), and their companions.

A database file gives two sets of tables:

- its live tables, read table by table, read-only, through the same reader as a
  ``sqlite:///`` source (``<file>!/<table>``, kind ``sqlite``);
- the rows SQLite deleted but left on disk, found by a page walker that reads the
  file's bytes (``_sqlite_recover``): ``<file>!/<table>#recovered`` for each table
  of the schema (its columns, so that column detection works as for the live
  table) and ``<file>!/#recovered`` for cells whose table cannot be told (columns
  ``c1``..``cN``, recognised from their values). Kind ``sqlite-recovered``.

Its companions are recognised by content:

- the write-ahead log (``-wal``, magic 0x377f0682/3, kind ``sqlite-wal``) and the
  rollback journal (``-journal``, magic d9d505f920a163d7, kind ``sqlite-journal``)
  are walked the same way: ``<wal>!/<table>`` per table of the schema of the
  database beside it (same folder, the name without ``-wal``/``-journal``, else
  the schema on a page 1 the file holds) and ``<wal>!/#recovered``. A WAL's rows
  in the newest committed frame of their page are live (``recovered`` false);
  every other row (older frames, freed space, journal records) is recovered;
- the WAL index (``-shm``) holds no row data and is reported scanned with a note.

Recovered rows are not numbered (``row`` is null: the n-th recovered row means
nothing); each carries ``page`` (the page number in the database, for a WAL frame
or journal record the page it is an image of), ``offset`` (the byte offset in the
file where the cell starts; for a cell that lost its first bytes, where they
were) and ``recovered``. The facts every table of one file shares in ``details``
are listed in ``_sqlite_files``. A corrupt or truncated file's recovered tables end
``partial`` with the reason, after everything readable was searched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Final

import polars as pl

from verifydel.core.db_tables import select_tables
from verifydel.errors import SourceError
from verifydel.formats.sqlite import live
from verifydel.core.headers import unique_column_names as table_columns
from verifydel.formats._probe import Probe
from verifydel.formats.sqlite._files import (
    Described,
    describe_database,
    describe_journal,
    describe_wal,
)
from verifydel.formats.sqlite._logs import unsynced_journal, zeroed_journal
from verifydel.formats.sqlite._recover import Recovery, location_names
from verifydel.core.table import Table
from verifydel.core.unit import Unit

KIND: Final = "sqlite"
RECOVERED_KIND: Final = "sqlite-recovered"
DATABASE_MAGIC: Final = b"SQLite format 3\x00"
WAL_MAGICS: Final = (b"\x37\x7f\x06\x82", b"\x37\x7f\x06\x83")
JOURNAL_MAGIC: Final = b"\xd9\xd5\x05\xf9\x20\xa1\x63\xd7"
SHM_VERSION: Final = 3007000  # iVersion of the WAL-index header, in native byte order
#: Generic columns (c1..cN) of the table for cells whose table cannot be told, at least.
GENERIC_COLUMNS: Final = 16
UNTOLD: Final = "#recovered"


def _is_shm(probe: Probe) -> bool:
    head = probe.head[:4]
    return probe.path.name.endswith("-shm") and head in (
        SHM_VERSION.to_bytes(4, "little"),
        SHM_VERSION.to_bytes(4, "big"),
    )


def _is_journal(probe: Probe) -> bool:
    """A rollback journal: its magic, or a ``-journal`` file whose magic is not written yet or
    whose header SQLite zeroed (journal_mode=PERSIST)."""
    head = probe.head
    return head.startswith(JOURNAL_MAGIC) or (
        probe.path.name.endswith("-journal")
        and (unsynced_journal(head) or (zeroed_journal(head) and probe.size > 512))
    )


def sniff(probe: Probe) -> bool:
    head = probe.head
    return (
        head.startswith(DATABASE_MAGIC)
        or head[:4] in WAL_MAGICS
        or _is_journal(probe)
        or _is_shm(probe)
    )


def _failing(label: str, kind: str, error: SourceError) -> Table:
    def batches() -> Iterator[pl.DataFrame]:
        raise error
        yield  # pragma: no cover - a generator that fails when read

    return Table(label=label, kind=kind, columns=[], batches=batches())


def _recovered(
    described: Described, kind: str, label: Callable[[str], str], only: set[str] | None = None
) -> list[Table]:
    """A Table per table of the schema (of those in ``only``, when given), then one for cells
    whose table cannot be told. Every table's cells are carved all the same (a cell is told
    from its table by its shape): ``only`` chooses the tables reported."""
    shapes = described.shapes
    width = max([GENERIC_COLUMNS, *(len(s.columns) for s in shapes)])
    outputs = [table_columns(s.columns) for s in shapes] + [[f"c{i}" for i in range(1, width + 1)]]
    recovery = Recovery(
        described.opener, outputs, described.details, [s.ipk for s in shapes] + [-1]
    )
    names = [label(s.table) for s in shapes] + [label("")]
    tables = []
    for i, (name, columns) in enumerate(zip(names, outputs, strict=True)):
        if only is not None and i < len(shapes) and shapes[i].table not in only:
            continue
        page, offset, recovered = location_names(columns)
        tables.append(
            Table(
                label=name,
                kind=kind,
                columns=columns,
                batches=recovery.batches(i),
                notes=list(described.notes),
                location={"page": page, "offset": offset, "recovered": recovered},
                numbered=False,
                details=described.details,
            )
        )
    return tables


def _companion(unit: Unit, kind: str, describe: Callable[..., Described]) -> list[Table]:
    assert unit.path is not None
    try:
        described = describe(unit.path)
    except (SourceError, OSError) as exc:
        error = exc if isinstance(exc, SourceError) else SourceError("cannot read the file")
        return [_failing(unit.label, kind, error)]
    return _recovered(
        described, kind, lambda t: f"{unit.label}!/{t}" if t else f"{unit.label}!/{UNTOLD}"
    )


def _live(unit: Unit) -> tuple[list[Table], set[str] | None]:
    """The live tables (only those ``unit.tables`` names, if it names any), and the names of
    the tables chosen (None: every one, the schema could not be listed)."""
    assert unit.path is not None
    path = str(unit.path.resolve())
    try:
        refs = live.list_tables(path)
    except (SourceError, UnicodeDecodeError) as exc:  # SQLite cannot read it: the walker may
        return [_failing(unit.label, KIND, _unreadable(exc))], None
    chosen, missing = select_tables(refs, unit.tables or ())
    tables = []
    for ref in chosen:
        label = f"{unit.label}!/{ref.name}"
        try:
            tables.append(live.open_table(path, ref, label))
        except (SourceError, UnicodeDecodeError) as exc:
            tables.append(_failing(label, KIND, _unreadable(exc)))
    hint = "check the name: an SQLite table is named by its name alone"
    for name in missing:
        error = SourceError("no such table or view", hint=hint)
        tables.append(_failing(f"{unit.label}!/{name}", KIND, error))
    return tables, {ref.name for ref in chosen}


def _unreadable(exc: Exception) -> SourceError:
    """The reader's error, or one for a schema whose names are not UTF-8 (Python's sqlite3 raises)."""
    if isinstance(exc, SourceError):
        return exc
    return SourceError(
        "SQLite failed to read the schema: a name is not valid UTF-8",
        hint="the file may be corrupt",
    )


def open_tables(unit: Unit, probe: Probe) -> list[Table]:
    head = probe.head
    if head[:4] in WAL_MAGICS:
        return _companion(unit, "sqlite-wal", describe_wal)
    if _is_journal(probe):
        return _companion(unit, "sqlite-journal", describe_journal)
    if not head.startswith(DATABASE_MAGIC):
        return [
            Table(
                label=unit.label,
                kind="sqlite-shm",
                columns=[],
                batches=iter(()),
                notes=["WAL index: holds no row data"],
            )
        ]
    assert unit.path is not None
    live, chosen = _live(unit)
    try:
        described = describe_database(unit.path)
    except (SourceError, OSError) as exc:
        error = exc if isinstance(exc, SourceError) else SourceError("cannot read the file")
        return [*live, _failing(f"{unit.label}!/{UNTOLD}", RECOVERED_KIND, error)]
    for table in live:
        table.details = described.details
    return live + _recovered(
        described,
        RECOVERED_KIND,
        lambda t: f"{unit.label}!/{t}{UNTOLD}" if t else f"{unit.label}!/{UNTOLD}",
        chosen if unit.tables else None,
    )
