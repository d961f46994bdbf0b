"""MariaDB and MySQL: every table of a database, streamed read-only through an unbuffered cursor.

What is scanned
    Every base table of the database in the URI; a URI without a database scans
    every database the user can see except the system ones (``mysql``,
    ``information_schema``, ``performance_schema``, ``sys``). A system-versioned
    table is read ``FOR SYSTEM_TIME ALL``: the row versions it keeps after an
    UPDATE or DELETE are data that survived, and are scanned too (the table gets
    a note). Views are scanned only when named with ``table=``. Every column is
    read, INVISIBLE ones included (``SELECT *`` would skip them).

Row numbers
    1-based in the order the rows are streamed: by primary key when there is one
    (history versions of a system-versioned row follow by their end time), else
    the storage engine's scan order (InnoDB: its hidden row id, i.e. insertion).

Values
    ``CAST(... AS CHAR)`` in SQL, in utf8mb4, NULL stays null; binary columns
    (BINARY, VARBINARY, BLOB, BIT, spatial) are fetched as bytes and become their
    UTF-8 text, else "0x" + hex.

Read-only
    ``SET SESSION TRANSACTION READ ONLY``, then every read inside ``START
    TRANSACTION READ ONLY``: the server refuses INSERT, UPDATE, DELETE and DDL.

URI parameters besides ``table``: ``unix_socket``, ``ssl_ca``, ``ssl_cert``,
``ssl_key``, ``ssl_verify_cert`` (true/false); anything else is refused.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any, Final

import pymysql
import pymysql.cursors

from verifydel.errors import SourceError
from verifydel.core.table import BATCH_ROWS, Table
from verifydel.core.db_tables import (
    CONNECT_HINT,
    CONNECT_TIMEOUT_SECONDS,
    LOCK_TIMEOUT_SECONDS,
    PRIVILEGE_HINT,
    TableRef,
    batches,
    one_line,
    table_columns,
)
from verifydel.sources.databases._uri import DatabaseURI, host_and_port, user_of

KIND: Final = "mariadb"
DEFAULT_PORT: Final = 3306

SYSTEM_DATABASES: Final = frozenset({"information_schema", "mysql", "performance_schema", "sys"})

#: information_schema TABLE_TYPE values scanned without ``table=``, and when named.
STORED_TYPES: Final = frozenset({"BASE TABLE", "SYSTEM VERSIONED"})
NAMED_ONLY_TYPES: Final = frozenset({"VIEW"})

#: DATA_TYPE values fetched as bytes (everything else is cast to text in SQL).
BINARY_TYPES: Final = frozenset(
    {
        "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob", "bit",
        "geometry", "point", "linestring", "polygon", "multipoint", "multilinestring",
        "multipolygon", "geometrycollection",
    }
)  # fmt: skip

#: Seconds the server waits for us to take rows off the socket before it aborts the
#: query: matching one batch can take a while, so far beyond the default 60.
NET_WRITE_TIMEOUT_SECONDS: Final = 3600

#: URI parameters passed to the driver; anything else is refused, not ignored.
ACCEPTED_PARAMS: Final = ("unix_socket", "ssl_ca", "ssl_cert", "ssl_key", "ssl_verify_cert")

_SESSION: Final = (
    "SET SESSION TRANSACTION READ ONLY",
    f"SET SESSION net_write_timeout = {NET_WRITE_TIMEOUT_SECONDS}",
    f"SET SESSION lock_wait_timeout = {LOCK_TIMEOUT_SECONDS}",
    "START TRANSACTION READ ONLY",
)


def quote_name(name: str) -> str:
    """An identifier in backticks (a backtick inside doubled)."""
    return "`" + name.replace("`", "``") + "`"


def _reason(uri: DatabaseURI, exc: Exception, doing: str) -> SourceError:
    code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
    message = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], str) else str(exc)
    message = one_line(uri.scrub(message)) or type(exc).__name__
    if doing == "connect":
        return SourceError(f"cannot connect to MariaDB: {message}", hint=CONNECT_HINT)
    if code in (1142, 1143, 1044):  # table/column/database access denied
        return SourceError(f"MariaDB refused to {doing}: {message}", hint=PRIVILEGE_HINT)
    return SourceError(f"MariaDB failed to {doing}: {message}")


def _driver_options(uri: DatabaseURI) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for key, value in uri.params:
        if key not in ACCEPTED_PARAMS:
            raise SourceError(
                f"unknown URI parameter {key!r}",
                hint=f"accepted: table, {', '.join(ACCEPTED_PARAMS)}",
            )
        options[key] = (
            value.lower() in ("1", "true", "yes", "on") if key == "ssl_verify_cert" else value
        )
    return options


def connect(uri: DatabaseURI, database: str | None = None) -> pymysql.Connection:
    """A read-only session on ``database`` (default: the URI's), in a read-only transaction."""
    options = _driver_options(uri)
    host, port = host_and_port(uri, DEFAULT_PORT)
    try:
        conn = pymysql.connect(
            host=host,
            port=port,
            user=user_of(uri),
            password=uri.password or "",
            database=database if database is not None else uri.database,
            charset="utf8mb4",
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            autocommit=True,
            program_name="verifydel",
            **options,
        )
    except pymysql.Error as exc:
        raise _reason(uri, exc, "connect") from None
    try:
        with conn.cursor() as cursor:
            for statement in _SESSION:
                cursor.execute(statement)
    except pymysql.Error as exc:
        conn.close()
        raise _reason(uri, exc, "start a read-only session") from None
    return conn


def databases(uri: DatabaseURI) -> list[str]:
    """Every database the user can see except the system ones (for a URI that names none)."""
    conn = connect(uri)
    try:
        with conn.cursor() as cursor:
            cursor.execute("SHOW DATABASES")
            names = [name for (name,) in cursor.fetchall()]
    except pymysql.Error as exc:
        raise _reason(uri, exc, "list databases") from None
    finally:
        conn.close()
    return sorted(name for name in names if name.lower() not in SYSTEM_DATABASES)


def list_tables(uri: DatabaseURI, database: str) -> list[TableRef]:
    """Every table and view of ``database``, by name (code points)."""
    conn = connect(uri, database)
    try:
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT table_name, table_type FROM information_schema.tables"
                " WHERE table_schema = %s",
                (database,),
            )
            rows = cursor.fetchall()
    except pymysql.Error as exc:
        raise _reason(uri, exc, "list tables") from None
    finally:
        conn.close()
    return [
        TableRef(database, database, name, name, kind, by_default=kind in STORED_TYPES)
        for name, kind in sorted(rows)
        if kind in STORED_TYPES or kind in NAMED_ONLY_TYPES
    ]


def _query(ref: TableRef, columns: list[tuple[str, bool]], primary_key: list[str]) -> str:
    values = ", ".join(
        quote_name(name) if is_binary else f"CAST({quote_name(name)} AS CHAR)"
        for name, is_binary in columns
    )
    table = f"{quote_name(ref.schema)}.{quote_name(ref.name)}"
    history = " FOR SYSTEM_TIME ALL" if ref.relkind == "SYSTEM VERSIONED" else ""
    # Sort keys are qualified, so they name the table's columns, never an output column.
    keys = ", ".join(f"{table}.{quote_name(name)}" for name in primary_key)
    order = f" ORDER BY {keys}" if keys else ""
    return f"SELECT {values} FROM {table}{history}{order}"


def open_table(uri: DatabaseURI, ref: TableRef, label: str, batch_rows: int = BATCH_ROWS) -> Table:
    """The table as one Table whose batches stream from an unbuffered (SSCursor) query."""
    conn = connect(uri, ref.database)
    try:
        with conn.cursor() as meta:
            meta.execute(
                "SELECT column_name, data_type FROM information_schema.columns"
                " WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
                (ref.schema, ref.name),
            )
            columns = [(name, kind.lower() in BINARY_TYPES) for name, kind in meta.fetchall()]
            # System-versioned tables list their hidden row_end here: history follows the row.
            meta.execute(
                "SELECT column_name FROM information_schema.key_column_usage"
                " WHERE table_schema = %s AND table_name = %s AND constraint_name = 'PRIMARY'"
                " ORDER BY ordinal_position",
                (ref.schema, ref.name),
            )
            primary_key = [name for (name,) in meta.fetchall()]
        if not columns:
            raise SourceError(
                "the table no longer exists", hint="run the scan again to list tables afresh"
            )
        cursor = conn.cursor(pymysql.cursors.SSCursor)
        cursor.execute(_query(ref, columns, primary_key))
    except pymysql.Error as exc:
        conn.close()
        raise _reason(uri, exc, "read the table") from None
    except BaseException:
        conn.close()
        raise

    def close() -> None:
        # pymysql would read every unread row to the end (on cursor close, or when its
        # result is collected): mark the result done instead, and close the connection,
        # which ends the query on the server at once.
        cursor.connection = None
        result = getattr(conn, "_result", None)
        if result is not None and getattr(result, "unbuffered_active", False):
            result.unbuffered_active = False
        with suppress(Exception):
            conn.close()

    names = table_columns([name for name, _ in columns])
    stream = batches(
        lambda: cursor.fetchmany(batch_rows),
        names,
        [is_binary for _, is_binary in columns],
        lambda exc: _reason(uri, exc, "read the table"),
        close,
        pymysql.Error,
    )
    notes = []
    if ref.relkind == "SYSTEM VERSIONED":
        notes.append("system-versioned: earlier row versions (updated or deleted rows) scanned too")
    if ref.relkind == "VIEW":
        notes.append("view: rows numbered in the order the server returns them")
    elif not primary_key:
        notes.append("no primary key: rows numbered in the storage engine's scan order")
    return Table(label, KIND, names, stream, notes=notes)
