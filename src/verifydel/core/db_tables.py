"""What the database engines share: table references, batches from fetched rows, safe reasons."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final

import polars as pl

from verifydel.errors import SourceError
from verifydel.core.cells import binary_as_text
from verifydel.core.headers import unique_column_names

#: Seconds to wait for a server to accept the connection.
CONNECT_TIMEOUT_SECONDS: Final = 10

#: Seconds one statement may run on the server (PostgreSQL: each FETCH of a batch;
#: MariaDB: every statement but the streaming read, and each wait for its rows).
STATEMENT_TIMEOUT_SECONDS: Final = 600

#: Seconds to wait for a lock a broker's transaction holds (DDL in progress) before
#: the table is reported failed rather than hanging the scan.
LOCK_TIMEOUT_SECONDS: Final = 30

#: Seconds a transaction may stay idle between two batches (PostgreSQL ends the
#: session after that): the time verifydel may spend matching one batch.
IDLE_IN_TRANSACTION_TIMEOUT_SECONDS: Final = 600


@dataclass(frozen=True)
class SessionLimits:
    """How long a broker's server may keep a scan waiting, in seconds (0: no limit).

    ``statement_seconds``: one statement (a broker's function that sleeps or loops is
    cut there); ``lock_seconds``: waiting for a lock; ``idle_in_transaction_seconds``:
    the pause between two batches (PostgreSQL). Each engine's ``connect``,
    ``open_table``, ``list_tables`` and ``databases`` take ``limits=``; without it
    the engine module's ``DEFAULT_LIMITS`` applies, read at call time.
    """

    statement_seconds: float = STATEMENT_TIMEOUT_SECONDS
    lock_seconds: float = LOCK_TIMEOUT_SECONDS
    idle_in_transaction_seconds: float = IDLE_IN_TRANSACTION_TIMEOUT_SECONDS

    def __post_init__(self) -> None:
        for name in ("statement_seconds", "lock_seconds", "idle_in_transaction_seconds"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must be a number of seconds, 0 or more")


def seconds(value: float) -> str:
    """A limit as messages show it: "600 s", "1 s", "0.5 s"."""
    return f"{value:g} s"

#: Longest reason kept from a driver's message (they are one line; this is a guard).
MAX_REASON_CHARS: Final = 300

CONNECT_HINT: Final = (
    "check host, port, user, password and database in the URI, and that the server "
    "accepts connections from this machine"
)
PRIVILEGE_HINT: Final = "grant the inspector's user SELECT on every table to scan"


@dataclass(frozen=True)
class TableRef:
    """A table (or view) found in a database.

    ``qualified`` is what its label shows after "!/": "schema.name" on PostgreSQL,
    "name" on MariaDB and SQLite. ``relkind`` is the engine's own word for what it
    is; ``by_default`` says whether a scan without ``table=`` includes it (tables
    that store rows do; plain views and foreign tables only when named).
    """

    database: str
    schema: str
    name: str
    qualified: str
    relkind: str
    by_default: bool = True


@dataclass(frozen=True)
class KeyRange:
    """Rows whose one-column integer primary key is ``low`` <= key < ``high`` (None: no bound
    on that side): one work unit of a table a cluster reads in parts."""

    low: int | None
    high: int | None

    def bounds(self) -> list[tuple[str, int]]:
        """The range as comparisons of the key, (operator, integer), one per bounded side:
        each engine writes them in its own quoting (integers checked as such: literals,
        never text)."""
        return [(op, int(value)) for op, value in ((">=", self.low), ("<", self.high)) if value is not None]


def key_ranges(low: int, high: int, estimate: int, rows_per_part: int) -> list[KeyRange]:
    """Ranges of about ``rows_per_part`` rows each over keys ``low``..``high``, the rows
    estimated as ``estimate`` (the server's statistics; when it has none, one row per key):
    equal spans of keys, the first open below and the last open above (rows added while the
    scan runs, outside the keys seen when it was planned, are read all the same)."""
    span = high - low + 1
    rows = estimate if estimate > 0 else span
    parts = max(1, min(-(-rows // max(1, rows_per_part)), span))
    cuts = [low + (span * i) // parts for i in range(1, parts)]
    bounds: list[int | None] = [None, *cuts, None]
    return [KeyRange(a, b) for a, b in zip(bounds[:-1], bounds[1:])]


def named(refs: Sequence[TableRef], wanted: str) -> list[TableRef]:
    """The refs ``wanted`` names: "name", "schema.name" or "database.schema.name" (exact,
    else the one case-insensitive match when there is exactly one)."""
    forms = (lambda r: r.name, lambda r: r.qualified, lambda r: f"{r.database}.{r.qualified}")
    exact = [r for r in refs if any(form(r) == wanted for form in forms)]
    if exact:
        return exact
    folded = wanted.casefold()
    loose = [r for r in refs if any(form(r).casefold() == folded for form in forms)]
    return loose if len(loose) == 1 else []


def select_tables(
    refs: Sequence[TableRef], wanted: Sequence[str]
) -> tuple[list[TableRef], list[str]]:
    """The refs to scan (in listing order) and the wanted names that matched nothing."""
    if not wanted:
        return [r for r in refs if r.by_default], []
    chosen: set[TableRef] = set()
    missing: list[str] = []
    for name in dict.fromkeys(wanted):
        found = named(refs, name)
        if not found:
            missing.append(name)
        chosen.update(found)
    return [r for r in refs if r in chosen], missing


def table_columns(names: Sequence[str]) -> list[str]:
    """Column names as every Table has them (never empty, unique)."""
    return unique_column_names(list(names))


def rows_to_frame(
    rows: Sequence[Sequence[Any]], columns: Sequence[str], binary: Sequence[bool]
) -> pl.DataFrame:
    """One batch from fetched rows: a String column per column, built from column lists.

    The query already made every value text (or NULL) except ``binary`` columns,
    fetched as bytes: those become their UTF-8 text, or "0x" + hex when they are not
    UTF-8 (the rule every format reader follows).
    """
    values = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
    frame = pl.DataFrame(
        [
            pl.Series(name, column, dtype=pl.Binary if is_binary else pl.String)
            for name, column, is_binary in zip(columns, values, binary, strict=True)
        ]
    )
    return binary_as_text(frame) if any(binary) else frame


def batches(
    fetch: Callable[[], Sequence[Sequence[Any]]],
    columns: Sequence[str],
    binary: Sequence[bool],
    reason: Callable[[Exception], SourceError],
    close: Callable[[], None],
    driver_error: type[Exception] | tuple[type[Exception], ...],
) -> Iterator[pl.DataFrame]:
    """Frames of what ``fetch`` returns until it returns nothing; ``close`` runs at the end,
    however the consumer stops. A driver error becomes ``reason(exc)`` (a SourceError)."""
    try:
        while True:
            try:
                rows = fetch()
            except driver_error as exc:
                raise reason(exc) from None
            if not rows:
                return
            yield rows_to_frame(rows, columns, binary)
    finally:
        close()


def one_line(message: str) -> str:
    """A driver message as one short line: first line, whitespace collapsed, capped."""
    first = message.strip().splitlines()[0] if message.strip() else ""
    return re.sub(r"\s+", " ", first)[:MAX_REASON_CHARS]
