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

Read-only, and limited in time
    ``SET SESSION TRANSACTION READ ONLY``, then every read inside ``START
    TRANSACTION READ ONLY``: the server refuses INSERT, UPDATE, DELETE and DDL,
    from our statements and from any stored function a view calls (temporary
    tables excepted; what a read-only session does not prevent is in
    docs/databases.md). ``SessionLimits`` (``limits=`` or ``DEFAULT_LIMITS``):
    ``max_statement_time`` (MariaDB; MySQL: ``max_execution_time``) cuts every
    statement at ``statement_seconds`` except the streaming read of a table,
    which lasts as long as the scan takes to match it; that read, like every
    other, is bounded instead by the driver's read timeout, so the server may
    keep us waiting for the next rows ``statement_seconds`` at most (a view
    calling ``SLEEP`` or a slow function). ``lock_wait_timeout`` and
    ``innodb_lock_wait_timeout`` are ``lock_seconds``.

Errors
    Once connected, the server's message is kept only for errors that name
    objects (access denied, unknown table, lost connection): others, such as a
    conversion error or a broker's ``SIGNAL`` in a view's function, may quote a
    value and are reported by their error number. A view that cannot be
    evaluated (error 1356: it references a dropped table, a column or function
    it may not use) says so.

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
    KeyRange,
    CONNECT_HINT,
    CONNECT_TIMEOUT_SECONDS,
    PRIVILEGE_HINT,
    SessionLimits,
    TableRef,
    batches,
    one_line,
    seconds,
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

#: The limits a session gets when the caller passes none (read at call time, so a
#: caller may replace it).
DEFAULT_LIMITS = SessionLimits()


def _session(limits: SessionLimits, mariadb_server: bool) -> tuple[str, ...]:
    if mariadb_server:
        statement_limit = f"SET SESSION max_statement_time = {limits.statement_seconds:g}"
    else:  # MySQL: milliseconds, and SELECT statements only
        statement_limit = (
            f"SET SESSION max_execution_time = {round(limits.statement_seconds * 1000)}"
        )
    # Lock waits are whole seconds, at least 1 (0 would mean "do not wait at all").
    lock = max(1, round(limits.lock_seconds)) if limits.lock_seconds else 31536000
    return (
        "SET SESSION TRANSACTION READ ONLY",
        f"SET SESSION net_write_timeout = {NET_WRITE_TIMEOUT_SECONDS}",
        f"SET SESSION lock_wait_timeout = {lock}",
        f"SET SESSION innodb_lock_wait_timeout = {min(lock, 1073741824)}",
        statement_limit,
        "START TRANSACTION READ ONLY",
    )


#: Errors whose message names objects only (users, hosts, databases, tables), never
#: a value: kept in reasons. Any other message may quote a value and is not shown.
_NAMES_ONLY_ERRORS: Final = frozenset(
    {1044, 1045, 1049, 1142, 1143, 1146, 1227, 1792, 2003, 2005, 2006, 2013}
)

#: Errors reported by a fixed description.
_DESCRIBED_ERRORS: Final = {
    1356: "view could not be evaluated: error 1356 (it references a missing table, column"
    " or function, or one its definer may not use)",
    1644: "a stored routine raised an error (SIGNAL, error 1644); its message is not shown",
    1205: "lock wait timeout (error 1205)",
    1317: "the query was interrupted (error 1317)",
}


def quote_name(name: str) -> str:
    """An identifier in backticks (a backtick inside doubled)."""
    return "`" + name.replace("`", "``") + "`"


def _reason(
    uri: DatabaseURI, exc: Exception, doing: str, limits: SessionLimits | None = None
) -> SourceError:
    """A SourceError for a driver error: never the password, never a data value."""
    limits = limits or DEFAULT_LIMITS
    code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
    message = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], str) else str(exc)
    message = one_line(uri.scrub(message)) or type(exc).__name__
    if doing == "connect":
        return SourceError(f"cannot connect to MariaDB: {message}", hint=CONNECT_HINT)
    if code in (1142, 1143, 1044):  # table/column/database access denied
        return SourceError(f"MariaDB refused to {doing}: {message}", hint=PRIVILEGE_HINT)
    limit = seconds(limits.statement_seconds)
    if code in (1969, 3024):  # max_statement_time / max_execution_time exceeded
        described = (
            f"statement time limit: a statement ran longer than {limit}"
            " (SessionLimits.statement_seconds)"
        )
    elif code == 2013 and "timed out" in message:
        described = (
            f"no answer from the server for {limit} (SessionLimits.statement_seconds):"
            " a view's function or a slow query kept it busy"
        )
    elif code == 1205 or (code == 1317 and "lock" in message.lower()):
        described = (
            f"lock wait timeout: waited {seconds(limits.lock_seconds)} for a lock another"
            " session holds (SessionLimits.lock_seconds)"
        )
    elif code in _DESCRIBED_ERRORS:
        described = _DESCRIBED_ERRORS[code]
    elif code in _NAMES_ONLY_ERRORS:
        described = message
    else:
        number = f"error {code}" if code is not None else type(exc).__name__
        described = f"{number}; the server's message is not shown, it may quote a value"
    return SourceError(f"MariaDB failed to {doing}: {described}")


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


def _is_mariadb(conn: pymysql.Connection) -> bool:
    return "mariadb" in (conn.get_server_info() or "").lower()


def connect(
    uri: DatabaseURI, database: str | None = None, *, limits: SessionLimits | None = None
) -> pymysql.Connection:
    """A read-only session on ``database`` (default: the URI's), in a read-only
    transaction, with ``limits`` (default: ``DEFAULT_LIMITS``)."""
    limits = limits or DEFAULT_LIMITS
    options = _driver_options(uri)
    host, port = host_and_port(uri, DEFAULT_PORT)
    wait = limits.statement_seconds or None  # the longest wait for the server, per read
    try:
        conn = pymysql.connect(
            host=host,
            port=port,
            user=user_of(uri),
            password=uri.password or "",
            database=database if database is not None else uri.database,
            charset="utf8mb4",
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            read_timeout=wait,
            write_timeout=wait,
            autocommit=True,
            program_name="verifydel",
            **options,
        )
    except pymysql.Error as exc:
        raise _reason(uri, exc, "connect", limits) from None
    try:
        with conn.cursor() as cursor:
            for statement in _session(limits, _is_mariadb(conn)):
                cursor.execute(statement)
    except pymysql.Error as exc:
        conn.close()
        raise _reason(uri, exc, "start a read-only session", limits) from None
    return conn


def databases(uri: DatabaseURI, *, limits: SessionLimits | None = None) -> list[str]:
    """Every database the user can see except the system ones (for a URI that names none)."""
    conn = connect(uri, limits=limits)
    try:
        with conn.cursor() as cursor:
            cursor.execute("SHOW DATABASES")
            names = [name for (name,) in cursor.fetchall()]
    except pymysql.Error as exc:
        raise _reason(uri, exc, "list databases", limits) from None
    finally:
        conn.close()
    return sorted(name for name in names if name.lower() not in SYSTEM_DATABASES)


def list_tables(
    uri: DatabaseURI, database: str, *, limits: SessionLimits | None = None
) -> list[TableRef]:
    """Every table and view of ``database``, by name (code points)."""
    conn = connect(uri, database, limits=limits)
    try:
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT table_name, table_type FROM information_schema.tables"
                " WHERE table_schema = %s",
                (database,),
            )
            rows = cursor.fetchall()
    except pymysql.Error as exc:
        raise _reason(uri, exc, "list tables", limits) from None
    finally:
        conn.close()
    return [
        TableRef(database, database, name, name, kind, by_default=kind in STORED_TYPES)
        for name, kind in sorted(rows)
        if kind in STORED_TYPES or kind in NAMED_ONLY_TYPES
    ]


_INTEGER_TYPES: Final = frozenset({"tinyint", "smallint", "mediumint", "int", "bigint"})


def key_span(
    uri: DatabaseURI, ref: TableRef, *, limits: SessionLimits | None = None
) -> tuple[str, int, int, int] | None:
    """(key column, smallest key, largest key, estimated rows) of a base table whose
    primary key is one integer column; None for any other (a view, a system-versioned
    table, whose key holds its row_end too)."""
    if ref.relkind != "BASE TABLE":
        return None
    limits = limits or DEFAULT_LIMITS
    conn = connect(uri, ref.database, limits=limits)
    try:
        with conn.cursor() as meta:
            meta.execute(
                "SELECT k.column_name, c.data_type FROM information_schema.key_column_usage k"
                " JOIN information_schema.columns c ON c.table_schema = k.table_schema"
                " AND c.table_name = k.table_name AND c.column_name = k.column_name"
                " WHERE k.table_schema = %s AND k.table_name = %s AND k.constraint_name = 'PRIMARY'",
                (ref.schema, ref.name),
            )
            keys = meta.fetchall()
            if len(keys) != 1 or str(keys[0][1]).lower() not in _INTEGER_TYPES:
                return None
            name = keys[0][0]
            meta.execute(
                "SELECT table_rows FROM information_schema.tables WHERE table_schema = %s AND table_name = %s",
                (ref.schema, ref.name),
            )
            estimate = (meta.fetchone() or (0,))[0] or 0
            table = f"{quote_name(ref.schema)}.{quote_name(ref.name)}"
            meta.execute(f"SELECT min({quote_name(name)}), max({quote_name(name)}) FROM {table}")
            low, high = meta.fetchone()  # type: ignore[misc]
    except pymysql.Error as exc:
        raise _reason(uri, exc, "read the table's key", limits) from None
    finally:
        conn.close()
    if low is None:
        return None
    return name, int(low), int(high), int(estimate)


def _query(
    ref: TableRef,
    columns: list[tuple[str, bool]],
    primary_key: list[str],
    mariadb_server: bool,
    key_range: KeyRange | None = None,
) -> str:
    values = ", ".join(
        quote_name(name) if is_binary else f"CAST({quote_name(name)} AS CHAR)"
        for name, is_binary in columns
    )
    table = f"{quote_name(ref.schema)}.{quote_name(ref.name)}"
    history = " FOR SYSTEM_TIME ALL" if ref.relkind == "SYSTEM VERSIONED" else ""
    # Sort keys are qualified, so they name the table's columns, never an output column.
    keys = ", ".join(f"{table}.{quote_name(name)}" for name in primary_key)
    order = f" ORDER BY {keys}" if keys else ""
    # The streaming read lasts as long as matching takes: no statement limit on it (the
    # driver's read timeout still bounds every wait for its rows).
    where = ""
    if key_range is not None and key_range.bounds():
        assert len(primary_key) == 1
        key = f"{table}.{quote_name(primary_key[0])}"
        where = " WHERE " + " AND ".join(f"{key} {op} {value}" for op, value in key_range.bounds())
    select = f"{values} FROM {table}{history}{where}{order}"
    if mariadb_server:
        return f"SET STATEMENT max_statement_time = 0 FOR SELECT {select}"
    return f"SELECT /*+ MAX_EXECUTION_TIME(0) */ {select}"


def _why_no_columns(conn: pymysql.Connection, ref: TableRef) -> SourceError:
    """Why information_schema lists no column: a view that cannot be evaluated lists
    none (the server only warns there), so the relation is asked for directly."""
    with conn.cursor() as probe:
        probe.execute(
            f"SELECT 1 FROM {quote_name(ref.schema)}.{quote_name(ref.name)} LIMIT 0"
        )  # raises the real reason: 1356 (view), 1146 (gone), 1142 (denied)
    return SourceError(
        "no column of the table is visible to the inspector's user", hint=PRIVILEGE_HINT
    )


def open_table(
    uri: DatabaseURI,
    ref: TableRef,
    label: str,
    batch_rows: int = BATCH_ROWS,
    *,
    limits: SessionLimits | None = None,
    key_range: KeyRange | None = None,
) -> Table:
    """The table as one Table whose batches stream from an unbuffered (SSCursor) query; with
    ``key_range``, only the rows whose one-column primary key is in it (a cluster's unit)."""
    limits = limits or DEFAULT_LIMITS
    conn = connect(uri, ref.database, limits=limits)
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
            raise _why_no_columns(conn, ref)
        cursor = conn.cursor(pymysql.cursors.SSCursor)
        if key_range is not None and len(primary_key) != 1:
            raise SourceError("the table's primary key changed since the scan was planned", hint="run the scan again")
        cursor.execute(_query(ref, columns, primary_key, _is_mariadb(conn), key_range))
    except pymysql.Error as exc:
        conn.close()
        raise _reason(uri, exc, "read the table", limits) from None
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
        lambda exc: _reason(uri, exc, "read the table", limits),
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
