"""Live databases (postgresql://, mysql://, mariadb://, sqlite:///): one unit per table.

A database URI expands to one Unit per table, labelled
``postgresql://user@host:5432/db!/schema.table`` (MariaDB, SQLite:
``...!/table``), of kind "postgresql", "mariadb" or "sqlite". Its opener
connects read-only and returns one Table whose batches stream from the server
(see each engine's module for what is scanned, in which order, and how the
session is kept read-only). verifydel never writes to a scanned database.

Tables: every table that stores rows, or only those named, either in the URI
(``?table=schema.name``, repeatable) or through ``expand(source, tables=...)``
(the CLI's ``--table``); a name may be "name", "schema.name" or
"database.schema.name". A name that matches nothing is a failure, so a typo
cannot pass for a clean scan.

Failures never raise out of ``expand``: a malformed URI, a server that is down,
bad credentials or an unknown database become a UnitFailure for the source; a
table that cannot be read fails when opened. No label or message carries the
password.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import partial
from types import ModuleType
from typing import Any, Final

from verifydel.errors import SourceError
from verifydel.core.table import Table
from verifydel.core.unit import Unit, UnitFailure
from verifydel.core.db_tables import KeyRange, TableRef, key_ranges, select_tables
from verifydel.sources.databases import mariadb, postgresql, sqlite
from verifydel.sources.databases._uri import (
    ENGINE_OF_SCHEME,
    DatabaseURI,
    parse_uri,
    redact_uri,
    scheme_of,
)

KIND: Final = "database"

#: URI schemes read here; "+driver" suffixes (postgresql+psycopg://) are accepted.
SCHEMES: Final[frozenset[str]] = frozenset(ENGINE_OF_SCHEME)

#: Engine kind → module with KIND, connect, databases, list_tables, open_table.
ENGINES: Final[dict[str, ModuleType]] = {
    "postgresql": postgresql,
    "mariadb": mariadb,
}


#: Options of `verifydel scan` this source kind takes (see sources.expand).
OPTIONS: Final = ("tables",)


def claims(source: str) -> bool:
    return scheme_of(source) in SCHEMES


def _open(engine: ModuleType, uri: DatabaseURI, ref: TableRef, label: str) -> list[Table]:
    return [engine.open_table(uri, ref, label)]


def _no_tables() -> list[Table]:
    return []


def expand(source: str, tables: Sequence[str] | None = None) -> Iterator[Unit | UnitFailure]:
    """One Unit per table of ``source`` (by database, schema, name), then a failure per
    table name asked for that matched nothing. ``tables`` adds to the URI's ``table=``."""
    scheme = scheme_of(source) or ""
    try:
        uri = parse_uri(source, tuple(tables or ()))
    except SourceError as exc:
        label = redact_uri(source)
        yield UnitFailure(label, ENGINE_OF_SCHEME.get(scheme, KIND), str(exc))
        return
    if uri.engine == "sqlite":  # a database file: read by the file's format reader
        yield from sqlite.expand(uri)
        return
    engine = ENGINES[uri.engine]
    if uri.database is not None:
        names = [uri.database]
    else:
        try:
            names = engine.databases(uri)
        except SourceError as exc:
            yield UnitFailure(uri.label(), engine.KIND, uri.scrub(str(exc)))
            return
    listing: list[tuple[str, list[TableRef] | UnitFailure]] = []
    for name in names:
        try:
            listing.append((name, engine.list_tables(uri, name)))
        except SourceError as exc:
            listing.append((name, UnitFailure(uri.label(name), engine.KIND, uri.scrub(str(exc)))))
    every = [ref for _, refs in listing if not isinstance(refs, UnitFailure) for ref in refs]
    chosen, missing = select_tables(every, uri.tables)
    for name, refs in listing:
        if isinstance(refs, UnitFailure):
            yield refs
            continue
        if not uri.tables and not any(ref.by_default for ref in refs):
            # A database without tables is still accounted for: scanned, 0 rows.
            yield Unit(label=uri.label(name), path=None, opener=_no_tables, kind=engine.KIND)
        for ref in (r for r in chosen if r.database == name):
            label = f"{uri.label(ref.database)}!/{ref.qualified}"
            yield Unit(
                label=label,
                path=None,
                opener=partial(_open, engine, uri, ref, label),
                kind=engine.KIND,
            )
    for name in missing:
        hint = "check the name: schema.table (PostgreSQL) or table (MariaDB, SQLite)"
        reason = str(SourceError("no such table or view", hint=hint))
        yield UnitFailure(f"{uri.label()}!/{name}", engine.KIND, reason)


# -- a table in key ranges (a cluster's work units) ---------------------------------


def _find(source: str, label: str, tables: Sequence[str] | None) -> tuple[ModuleType, DatabaseURI, TableRef] | None:
    """The engine, URI and table of the unit ``label`` that ``expand(source, tables)`` yields."""
    uri = parse_uri(source, tuple(tables or ()))
    if uri.engine == "sqlite":
        return None
    engine = ENGINES[uri.engine]
    for name in [uri.database] if uri.database is not None else engine.databases(uri):
        for ref in engine.list_tables(uri, name):
            if f"{uri.label(ref.database)}!/{ref.qualified}" == label:
                return engine, uri, ref
    return None


def table_ranges(
    source: str, label: str, tables: Sequence[str] | None, rows_per_part: int
) -> list[KeyRange] | None:
    """The key ranges the table ``label`` of ``source`` is read in (``KeyRange``), when its
    primary key is one integer column and it holds more than ``rows_per_part`` rows (by the
    server's estimate, or its span of keys); None: read it whole."""
    try:
        found = _find(source, label, tables)
        if found is None:
            return None
        engine, uri, ref = found
        span = engine.key_span(uri, ref)
    except SourceError:
        return None  # the worker reading it whole says why
    if span is None:
        return None
    _, low, high, estimate = span
    ranges = key_ranges(low, high, estimate, rows_per_part)
    return ranges if len(ranges) > 1 else None


def _closing(batches: Iterator[Any], other: Iterator[Any]) -> Iterator[Any]:
    """``batches``, then ``other`` closed (its connection ends even when it was never read)."""
    try:
        yield from batches
    finally:
        close = getattr(other, "close", None)
        if close is not None:
            close()


def range_unit(
    source: str, label: str, tables: Sequence[str] | None, key_range: KeyRange, *, first: bool
) -> Unit | None:
    """The rows of the table ``label`` in ``key_range`` as a unit; None when the table is no
    longer there. Columns are chosen from the whole table's first batch, as when it is read
    whole (``Table.whole``; not needed by the ``first`` range, whose first batch it is)."""
    found = _find(source, label, tables)
    if found is None:
        return None
    engine, uri, ref = found

    def opener() -> list[Table]:
        table = engine.open_table(uri, ref, label, key_range=key_range)
        if not first:
            whole = engine.open_table(uri, ref, label)
            table.whole, table.batches = whole, _closing(table.batches, whole.batches)
        return [table]

    return Unit(label=label, path=None, opener=opener, kind=engine.KIND)


__all__ = ["ENGINES", "KIND", "SCHEMES", "KeyRange", "claims", "expand", "range_unit", "redact_uri", "table_ranges"]
