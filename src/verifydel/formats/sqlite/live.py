"""SQLite: every table of a database file, read through SQLite itself, read-only.

This reads the live rows the way the application sees them, for ``database``
(which also walks the space the file has freed: deleted cells, freelist pages,
WAL frames), whether the file was given by its path or as ``sqlite:///PATH``.

What is scanned
    Every table, WITHOUT ROWID ones included, except SQLite's own
    (``sqlite_*``) and virtual tables (their data lives in shadow tables, which
    are scanned; a virtual table's module may not even be available here).
    Views and virtual tables are scanned only when named with ``table=``.

Row numbers
    1-based in the order the rows are streamed: by rowid, or by primary key for
    a WITHOUT ROWID table (a view: in the order SQLite returns).

Values
    Every column is read as ``CAST(... AS TEXT)`` into bytes, then UTF-8 text,
    else "0x" + hex (a BLOB that is not text); a REAL holding a whole number
    is written without ".0" (a phone stored as a number); NULL stays null.

Read-only
    The file is opened ``mode=ro`` (not ``immutable=1``, which would ignore a WAL
    and so miss committed rows) with ``PRAGMA query_only`` on and
    ``trusted_schema`` off. A read-only connection never checkpoints: the WAL
    and the database file are left byte for byte as found. (Like any reader of a
    WAL database, SQLite may create the ``-shm`` index file when it is missing.)
"""

from __future__ import annotations

import os
import re
import sqlite3
from contextlib import suppress
from typing import Final
from urllib.parse import quote

from verifydel.errors import SourceError
from verifydel.core.table import BATCH_ROWS, Table
from verifydel.core.db_tables import TableRef, batches, one_line, table_columns

KIND: Final = "sqlite"

#: Seconds to wait while another process holds a write lock.
BUSY_TIMEOUT_SECONDS: Final = 10

#: Names SQLite accepts for a rowid table's rowid; the first not shadowed by a column is used.
ROWID_NAMES: Final = ("rowid", "_rowid_", "oid")

_WITHOUT_ROWID: Final = re.compile(r"\bWITHOUT\s+ROWID\b", re.IGNORECASE)

#: A REAL holding a whole number below 2**53 is written as an integer.
_TEXT_OF: Final = (
    "CASE WHEN typeof({c}) = 'real' AND {c} = CAST({c} AS INTEGER)"
    " AND abs({c}) < 9007199254740992.0"
    " THEN CAST(CAST({c} AS INTEGER) AS TEXT) ELSE CAST({c} AS TEXT) END"
)


def quote_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _reason(exc: Exception, doing: str) -> SourceError:
    # sqlite3 quotes the text it could not decode ("... with text '...'"): never pass that on
    message = one_line(str(exc)).split(" with text ", 1)[0] or type(exc).__name__
    hint = "is it an SQLite database? give the file itself as a source to read it page by page"
    return SourceError(
        f"SQLite failed to {doing}: {message}", hint=hint if "not a database" in message else None
    )


def connect(path: str) -> sqlite3.Connection:
    """The file at ``path`` opened read-only (``mode=ro``, ``query_only``)."""
    if not os.path.isfile(path):
        raise SourceError("no such database file")
    try:
        conn = sqlite3.connect(
            f"file:{quote(path)}?mode=ro",
            uri=True,
            timeout=BUSY_TIMEOUT_SECONDS,
            check_same_thread=False,
        )
    except sqlite3.Error as exc:
        raise _reason(exc, "open the file") from None
    try:
        conn.execute("PRAGMA query_only = ON")
        conn.execute("PRAGMA trusted_schema = OFF")
    except sqlite3.Error as exc:
        conn.close()
        raise _reason(exc, "open the file") from None
    return conn


def list_tables(path: str, database: str = "main") -> list[TableRef]:
    """Every table and view of the file, by name (code points)."""
    conn = connect(path)
    conn.text_factory = bytes  # decoded here: sqlite3's decode error would quote the bytes
    try:
        raw = conn.execute(
            "SELECT name, type, coalesce(sql, '') FROM sqlite_master"
            " WHERE type IN ('table', 'view')"
        ).fetchall()
        rows = [tuple(v.decode("utf-8") for v in row) for row in raw]
    except sqlite3.Error as exc:
        raise _reason(exc, "list tables") from None
    except UnicodeDecodeError:
        raise SourceError(
            "SQLite failed to list tables: a table name is not valid UTF-8",
            hint="give the file itself as a source: it is then read page by page",
        ) from None
    finally:
        conn.close()
    refs = []
    for name, kind, definition in sorted(rows):
        virtual = definition.lstrip().upper().startswith("CREATE VIRTUAL")
        internal = name.lower().startswith("sqlite_")
        relkind = "virtual" if virtual else kind
        refs.append(
            TableRef(
                database,
                "main",
                name,
                name,
                relkind,
                by_default=kind == "table" and not (virtual or internal),
            )
        )
    return refs


def _order(
    conn: sqlite3.Connection, ref: TableRef, names: list[str], primary_key: list[str]
) -> str:
    if ref.relkind != "table":
        return ""
    (definition,) = conn.execute(
        "SELECT coalesce(sql, '') FROM sqlite_master WHERE type = 'table' AND name = ?", (ref.name,)
    ).fetchone() or ("",)
    if _WITHOUT_ROWID.search(definition):
        return " ORDER BY " + ", ".join(f"source.{quote_name(key)}" for key in primary_key)
    taken = {name.lower() for name in names}
    usable = [alias for alias in ROWID_NAMES if alias not in taken]
    return f" ORDER BY source.{usable[0]}" if usable else ""


def open_table(path: str, ref: TableRef, label: str, batch_rows: int = BATCH_ROWS) -> Table:
    """The table as one Table whose batches are fetched ``batch_rows`` at a time.

    Sort keys are qualified ("source.rowid"): a bare name could mean an output column.
    """
    conn = connect(path)
    try:
        info = conn.execute(
            "SELECT name, pk, hidden FROM pragma_table_xinfo(?)", (ref.name,)
        ).fetchall()
        # hidden 1 is a virtual table's hidden column; 2 and 3 (generated columns) are read.
        columns = [name for name, _, hidden in info if hidden != 1]
        if not columns:
            raise SourceError(
                "the table no longer exists", hint="run the scan again to list tables afresh"
            )
        primary_key = [name for name, pk, _ in sorted(info, key=lambda row: row[1]) if pk > 0]
        order = _order(conn, ref, columns, primary_key)
        values = ", ".join(_TEXT_OF.format(c=quote_name(name)) for name in columns)
        conn.text_factory = bytes  # text as it is stored: decoded (or shown as hex) per batch
        cursor = conn.execute(f"SELECT {values} FROM {quote_name(ref.name)} AS source{order}")
    except sqlite3.Error as exc:
        conn.close()
        raise _reason(exc, "read the table") from None
    except BaseException:
        conn.close()
        raise

    def close() -> None:
        with suppress(Exception):
            conn.close()

    stream = batches(
        lambda: cursor.fetchmany(batch_rows),
        table_columns(columns),
        [True] * len(columns),
        lambda exc: _reason(exc, "read the table"),
        close,
        sqlite3.Error,
    )
    notes = ["view: rows in the order SQLite returns them"] if ref.relkind == "view" else []
    return Table(label, KIND, table_columns(columns), stream, notes=notes)
