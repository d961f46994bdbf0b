"""PostgreSQL: every table of a database, streamed read-only through a server-side cursor.

What is scanned
    Every relation that stores rows, in every schema except the system ones
    (``pg_*``, ``information_schema``): ordinary tables, each partition of a
    partitioned table (the partitioned parent itself is not, it would repeat
    them) and materialized views (a copy of data that may outlive its source).
    Plain views, foreign tables and partitioned parents are scanned only when
    named with ``table=`` (a view repeats its tables' rows and may run the
    broker's functions; a foreign table reaches another server). An inherited
    table is read with ONLY, its children being tables of their own. A URI
    without a database scans every database that accepts connections.

Row numbers
    1-based in the order the rows are streamed: by primary key when there is
    one, else by physical position (``ctid``); a view or foreign table in the
    order the server returns. ``SELECT ... ORDER BY <primary key> OFFSET row-1``
    finds the row again.

Values
    Every column is cast to text in SQL (``::text``), NULL stays null; ``bytea``
    is fetched as bytes and becomes its UTF-8 text, else "0x" + hex.

Read-only, three times over
    The session starts with ``default_transaction_read_only=on``, then runs
    ``SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY``, and every read
    happens inside ``BEGIN READ ONLY``. The session also sets
    ``row_security=off`` (a table whose row-level security would hide rows from
    the inspector fails instead of looking clean), ``search_path=pg_catalog``
    (no broker-defined function or operator is picked up by name) and a lock
    timeout. These are passed as startup options and win over ``options=`` in
    the URI. Other libpq parameters in the URI (sslmode, sslrootcert, ...) apply.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Final
from urllib.parse import quote, urlencode

import psycopg
from psycopg import sql

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
from verifydel.sources.databases._uri import DatabaseURI

KIND: Final = "postgresql"

#: Relation kinds scanned without ``table=``: ordinary tables (partitions included)
#: and materialized views. Views, foreign tables, partitioned parents: when named.
STORED_KINDS: Final = frozenset({"r", "m"})
NAMED_ONLY_KINDS: Final = frozenset({"v", "f", "p"})

#: Databases tried, in order, to list the databases of a URI that names none.
MAINTENANCE_DATABASES: Final = ("postgres", "template1")

_SESSION_OPTIONS: Final = " ".join(
    [
        "-c default_transaction_read_only=on",
        "-c row_security=off",
        "-c search_path=pg_catalog",
        "-c statement_timeout=0",
        "-c idle_in_transaction_session_timeout=0",  # matching a batch may take a while
        f"-c lock_timeout={LOCK_TIMEOUT_SECONDS * 1000}",
    ]
)

_RELATIONS: Final = """
SELECT n.nspname, c.relname, c.relkind::text
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'm', 'v', 'f')
  AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
"""

_RELATION_OID: Final = """
SELECT c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %s AND c.relname = %s
"""

_COLUMNS: Final = """
SELECT a.attname,
       COALESCE(NULLIF(t.typbasetype, 0), a.atttypid) = 'pg_catalog.bytea'::pg_catalog.regtype
FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
WHERE a.attrelid = %s AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
"""

_PRIMARY_KEY: Final = """
SELECT a.attname
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
WHERE i.indrelid = %s AND i.indisprimary
ORDER BY pg_catalog.array_position(i.indkey::pg_catalog.int2[], a.attnum)
"""


def _conninfo(uri: DatabaseURI) -> str:
    """The URI as libpq reads it: scheme without "+driver", without ``table=``."""
    query = urlencode(uri.params)
    path = quote(uri.database or "", safe="")
    return f"postgresql://{uri.netloc}/{path}" + (f"?{query}" if query else "")


def _reason(uri: DatabaseURI, exc: Exception, doing: str) -> SourceError:
    diag = getattr(exc, "diag", None)
    message = (diag.message_primary if diag is not None else None) or str(exc)
    message = one_line(uri.scrub(message)).removeprefix("connection failed: ")
    if doing == "connect":
        return SourceError(f"cannot connect to PostgreSQL: {message}", hint=CONNECT_HINT)
    if getattr(exc, "sqlstate", None) == "42501":  # insufficient_privilege, row security too
        hint = PRIVILEGE_HINT + " (and BYPASSRLS where row-level security is on)"
        return SourceError(f"PostgreSQL refused to {doing}: {message}", hint=hint)
    return SourceError(f"PostgreSQL failed to {doing}: {message}")


def connect(uri: DatabaseURI, database: str | None = None) -> psycopg.Connection:
    """A read-only session on ``database`` (default: the URI's), in a read-only transaction."""
    kwargs: dict[str, object] = {
        "connect_timeout": CONNECT_TIMEOUT_SECONDS,
        "application_name": "verifydel",
        "client_encoding": "UTF8",
        "options": _SESSION_OPTIONS,
        "autocommit": True,
    }
    if database is not None:
        kwargs["dbname"] = database
    try:
        conn = psycopg.connect(_conninfo(uri), **kwargs)
    except psycopg.Error as exc:
        raise _reason(uri, exc, "connect") from None
    try:
        conn.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        conn.autocommit = False
        conn.read_only = True  # psycopg opens every transaction with BEGIN READ ONLY
        conn.execute("SELECT 1")  # ... opened here, so the session is read-only from now on
    except psycopg.Error as exc:
        conn.close()
        raise _reason(uri, exc, "start a read-only session") from None
    return conn


def databases(uri: DatabaseURI) -> list[str]:
    """Every database that accepts connections, by name (for a URI that names none)."""
    failure: SourceError | None = None
    for maintenance in MAINTENANCE_DATABASES:
        try:
            conn = connect(uri, maintenance)
        except SourceError as exc:
            failure = failure or exc
            if "does not exist" in str(exc):
                continue
            raise
        try:
            rows = conn.execute(
                "SELECT datname FROM pg_catalog.pg_database"
                " WHERE datallowconn AND NOT datistemplate"
            ).fetchall()
        except psycopg.Error as exc:
            raise _reason(uri, exc, "list databases") from None
        finally:
            conn.close()
        return sorted(name for (name,) in rows)
    assert failure is not None
    raise failure


def list_tables(uri: DatabaseURI, database: str) -> list[TableRef]:
    """Every relation of ``database`` a scan may read, by schema then name (code points)."""
    conn = connect(uri, database)
    try:
        rows = conn.execute(_RELATIONS).fetchall()
    except psycopg.Error as exc:
        raise _reason(uri, exc, "list tables") from None
    finally:
        conn.close()
    return [
        TableRef(database, schema, name, f"{schema}.{name}", kind, by_default=kind in STORED_KINDS)
        for schema, name, kind in sorted(rows)
    ]


def _query(ref: TableRef, columns: list[tuple[str, bool]], primary_key: list[str]) -> sql.Composed:
    values = sql.SQL(", ").join(
        sql.Identifier(name)
        if is_bytea
        else sql.SQL("{}::pg_catalog.text").format(sql.Identifier(name))
        for name, is_bytea in columns
    )
    only = sql.SQL("") if ref.relkind == "p" else sql.SQL("ONLY ")
    # Sort keys are qualified: a bare name would sort by the output column (its text).
    if primary_key:
        keys = sql.SQL(", ").join(sql.Identifier("source", name) for name in primary_key)
        order = sql.SQL(" ORDER BY ") + keys
    elif ref.relkind in STORED_KINDS:
        order = sql.SQL(" ORDER BY source.ctid")
    else:
        order = sql.SQL("")
    table = sql.Identifier(ref.schema, ref.name)
    return sql.SQL("SELECT {} FROM {}{} AS source{}").format(values, only, table, order)


def open_table(uri: DatabaseURI, ref: TableRef, label: str, batch_rows: int = BATCH_ROWS) -> Table:
    """The table as one Table whose batches stream from a server-side cursor."""
    conn = connect(uri, ref.database)
    try:
        found = conn.execute(_RELATION_OID, (ref.schema, ref.name)).fetchone()
        if found is None:
            raise SourceError(
                "the table no longer exists", hint="run the scan again to list tables afresh"
            )
        columns = [(name, bool(b)) for name, b in conn.execute(_COLUMNS, found).fetchall()]
        primary_key = [name for (name,) in conn.execute(_PRIMARY_KEY, found).fetchall()]
        names = table_columns([name for name, _ in columns])
        if not columns:
            conn.close()
            return Table(label, KIND, [], iter(()), notes=["the table has no columns"])
        cursor = conn.cursor(name="verifydel_scan")
        cursor.execute(_query(ref, columns, primary_key))
    except psycopg.Error as exc:
        conn.close()
        raise _reason(uri, exc, "read the table") from None
    except BaseException:
        conn.close()
        raise

    def close() -> None:
        with suppress(Exception):
            conn.close()

    stream = batches(
        lambda: cursor.fetchmany(batch_rows),
        names,
        [is_bytea for _, is_bytea in columns],
        lambda exc: _reason(uri, exc, "read the table"),
        close,
        psycopg.Error,
    )
    notes = []
    if ref.relkind not in STORED_KINDS:
        notes.append("not a stored table: rows numbered in the order the server returns them")
    elif not primary_key:
        notes.append("no primary key: rows numbered in physical (ctid) order")
    return Table(label, KIND, names, stream, notes=notes)
