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
    Columns are selected as they are, never cast in SQL: the server sends every
    value in its text form (the type's output function) and a loader registered
    for every type OID takes that text as it is, so no broker-defined CAST runs.
    NULL stays null; ``bytea`` (and domains over it) is fetched as bytes and
    becomes its UTF-8 text, else "0x" + hex. Rows are ordered by the primary key
    only when its columns are built-in types (a broker's type would bring its own
    comparison functions): otherwise by ``ctid``, with a note.

Read-only, three times over
    The session starts with ``default_transaction_read_only=on``, then runs
    ``SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY``, and every read
    happens inside ``BEGIN READ ONLY``. The session also sets
    ``row_security=off`` (a table whose row-level security would hide rows from
    the inspector fails instead of looking clean), ``search_path=pg_catalog``
    (no broker-defined type, function or operator is picked up by name; tables
    and catalogs in our queries are schema-qualified) and three limits (``SessionLimits``):
    ``statement_timeout`` (each FETCH of a batch), ``lock_timeout`` and
    ``idle_in_transaction_session_timeout``. These are startup options: they win
    over ``options=`` in the URI and over ``ALTER ROLE``/``ALTER DATABASE``
    settings. Other libpq parameters in the URI (sslmode, sslrootcert, ...) apply.

What that does and does not prevent (docs/databases.md says more)
    A read-only transaction refuses writes made through this session's SQL, by
    our statements or by any function they call (INSERT, UPDATE, DELETE, DDL,
    nextval). It does not stop a function from acting elsewhere: dblink or
    postgres_fdw open another session that is not read-only, an untrusted
    language (plpython3u) reaches files and the network, a C function does
    anything. Broker code still runs where it cannot be avoided: the output
    function of a broker-defined base type (C, installed by a superuser), and
    everything in a view or foreign table the inspector names. The timeouts
    bound how long such code can keep the scan waiting (per statement, per
    lock, between batches); they are enforced by the server, which the broker
    controls.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Final
from urllib.parse import quote, urlencode

import psycopg
from psycopg import sql
from psycopg.types.string import ByteaLoader, TextLoader

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
from verifydel.sources.databases._uri import DatabaseURI

KIND: Final = "postgresql"

#: Relation kinds scanned without ``table=``: ordinary tables (partitions included)
#: and materialized views. Views, foreign tables, partitioned parents: when named.
STORED_KINDS: Final = frozenset({"r", "m"})
NAMED_ONLY_KINDS: Final = frozenset({"v", "f", "p"})

#: Databases tried, in order, to list the databases of a URI that names none.
MAINTENANCE_DATABASES: Final = ("postgres", "template1")

#: The limits a session gets when the caller passes none (read at call time, so a
#: caller may replace it).
DEFAULT_LIMITS = SessionLimits()

#: Oids below this are PostgreSQL's own objects (FirstNormalObjectId).
FIRST_NORMAL_OID: Final = 16384

BYTEA_OID: Final = 17


def _milliseconds(value: float) -> int:
    return max(round(value * 1000), 1) if value else 0


def _session_options(limits: SessionLimits) -> str:
    return " ".join(
        [
            "-c default_transaction_read_only=on",
            "-c row_security=off",
            "-c search_path=pg_catalog",
            f"-c statement_timeout={_milliseconds(limits.statement_seconds)}",
            f"-c lock_timeout={_milliseconds(limits.lock_seconds)}",
            "-c idle_in_transaction_session_timeout="
            f"{_milliseconds(limits.idle_in_transaction_seconds)}",
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
SELECT a.attname
FROM pg_catalog.pg_attribute a
WHERE a.attrelid = %s AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
"""

#: Every type of the database, for the raw-text loader (their wire form is text).
_TYPE_OIDS: Final = "SELECT t.oid FROM pg_catalog.pg_type t"

_PRIMARY_KEY: Final = """
SELECT a.attname, COALESCE(NULLIF(t.typbasetype, 0), a.atttypid) < %s
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
WHERE i.indrelid = %s AND i.indisprimary
ORDER BY pg_catalog.array_position(i.indkey::pg_catalog.int2[], a.attnum)
"""


def _conninfo(uri: DatabaseURI) -> str:
    """The URI as libpq reads it: hosts only (user and password go as separate
    arguments, so nothing they hold can break the URI), without ``table=``."""
    query = urlencode(uri.params)
    path = quote(uri.database or "", safe="")
    return f"postgresql://{uri.hosts}/{path}" + (f"?{query}" if query else "")


#: SQLSTATEs whose primary message names objects only (never a value), kept in reasons.
_NAMES_ONLY_STATES: Final = frozenset(
    {"42501", "42P01", "42703", "3D000", "28000", "28P01", "57P01", "57P03", "53300"}
)


def _limit_reason(exc: Exception, limits: SessionLimits) -> str | None:
    state = getattr(exc, "sqlstate", None)
    message = str(getattr(getattr(exc, "diag", None), "message_primary", None) or exc)
    if state == "57014" and "statement timeout" in message:
        return (
            f"statement timeout: a statement ran longer than {seconds(limits.statement_seconds)}"
            " (SessionLimits.statement_seconds); a broker's function or a very slow plan"
        )
    if state == "55P03":
        return (
            f"lock timeout: waited {seconds(limits.lock_seconds)} for a lock another session"
            " holds (SessionLimits.lock_seconds)"
        )
    if state == "25P03" or "idle-in-transaction timeout" in message:
        return (
            "idle-in-transaction timeout: the server ended the session after"
            f" {seconds(limits.idle_in_transaction_seconds)} between two batches"
            " (SessionLimits.idle_in_transaction_seconds)"
        )
    return None


def _reason(
    uri: DatabaseURI, exc: Exception, doing: str, limits: SessionLimits | None = None
) -> SourceError:
    """A SourceError for a driver error: never the password, never a data value.

    Connecting, the server's message is kept (scrubbed): it names hosts, users and
    databases. Once connected, a message may quote a value (``invalid input syntax
    for type integer: "090-..."``), so only limits, a few name-only states, and
    otherwise the SQLSTATE and its condition name are reported."""
    limits = limits or DEFAULT_LIMITS
    diag = getattr(exc, "diag", None)
    message = (diag.message_primary if diag is not None else None) or str(exc)
    message = one_line(uri.scrub(message)).removeprefix("connection failed: ")
    if doing == "connect":
        return SourceError(f"cannot connect to PostgreSQL: {message}", hint=CONNECT_HINT)
    state = getattr(exc, "sqlstate", None)
    if state == "42501":  # insufficient_privilege, row security too
        hint = PRIVILEGE_HINT + " (and BYPASSRLS where row-level security is on)"
        return SourceError(f"PostgreSQL refused to {doing}: {message}", hint=hint)
    limit = _limit_reason(exc, limits)
    if limit is not None:
        return SourceError(f"PostgreSQL failed to {doing}: {limit}")
    if state in _NAMES_ONLY_STATES or (state is None and isinstance(exc, psycopg.OperationalError)):
        return SourceError(f"PostgreSQL failed to {doing}: {message}")
    condition = type(exc).__name__
    code = f"SQLSTATE {state}" if state else "no SQLSTATE"
    return SourceError(
        f"PostgreSQL failed to {doing}: error {code} ({condition});"
        " the server's message is not shown, it may quote a value"
    )


def connect(
    uri: DatabaseURI, database: str | None = None, *, limits: SessionLimits | None = None
) -> psycopg.Connection:
    """A read-only session on ``database`` (default: the URI's), in a read-only
    transaction, with ``limits`` (default: ``DEFAULT_LIMITS``)."""
    limits = limits or DEFAULT_LIMITS
    kwargs: dict[str, object] = {
        "connect_timeout": CONNECT_TIMEOUT_SECONDS,
        "application_name": "verifydel",
        "client_encoding": "UTF8",
        "options": _session_options(limits),
        "autocommit": True,
    }
    if uri.user is not None:
        kwargs["user"] = uri.user
    if uri.password is not None:
        kwargs["password"] = uri.password
    if database is not None:
        kwargs["dbname"] = database
    try:
        conn = psycopg.connect(_conninfo(uri), **kwargs)
    except psycopg.Error as exc:
        raise _reason(uri, exc, "connect", limits) from None
    try:
        conn.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        conn.autocommit = False
        conn.read_only = True  # psycopg opens every transaction with BEGIN READ ONLY
        conn.execute("SELECT 1")  # ... opened here, so the session is read-only from now on
    except psycopg.Error as exc:
        conn.close()
        raise _reason(uri, exc, "start a read-only session", limits) from None
    return conn


def databases(uri: DatabaseURI, *, limits: SessionLimits | None = None) -> list[str]:
    """Every database that accepts connections, by name (for a URI that names none)."""
    failure: SourceError | None = None
    for maintenance in MAINTENANCE_DATABASES:
        try:
            conn = connect(uri, maintenance, limits=limits)
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
            raise _reason(uri, exc, "list databases", limits) from None
        finally:
            conn.close()
        return sorted(name for (name,) in rows)
    assert failure is not None
    raise failure


def list_tables(
    uri: DatabaseURI, database: str, *, limits: SessionLimits | None = None
) -> list[TableRef]:
    """Every relation of ``database`` a scan may read, by schema then name (code points)."""
    conn = connect(uri, database, limits=limits)
    try:
        rows = conn.execute(_RELATIONS).fetchall()
    except psycopg.Error as exc:
        raise _reason(uri, exc, "list tables", limits) from None
    finally:
        conn.close()
    return [
        TableRef(database, schema, name, f"{schema}.{name}", kind, by_default=kind in STORED_KINDS)
        for schema, name, kind in sorted(rows)
    ]


_INTEGER_KEY: Final = """
SELECT a.attname, c.reltuples
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
WHERE i.indrelid = %s AND i.indisprimary AND i.indnatts = 1 AND c.relkind = 'r'
  AND a.atttypid IN (20, 21, 23)
"""


def key_span(
    uri: DatabaseURI, ref: TableRef, *, limits: SessionLimits | None = None
) -> tuple[str, int, int, int] | None:
    """(key column, smallest key, largest key, estimated rows) of an ordinary table whose
    primary key is one integer column (smallint, integer, bigint); None for any other."""
    limits = limits or DEFAULT_LIMITS
    conn = connect(uri, ref.database, limits=limits)
    try:
        found = conn.execute(_RELATION_OID, (ref.schema, ref.name)).fetchone()
        key = conn.execute(_INTEGER_KEY, found).fetchone() if found else None
        if key is None:
            return None
        name, estimate = key
        column = sql.Identifier("source", name)
        table = sql.Identifier(ref.schema, ref.name)
        low, high = conn.execute(
            sql.SQL("SELECT min({}), max({}) FROM ONLY {} AS source").format(column, column, table)
        ).fetchone()  # type: ignore[misc]
    except psycopg.Error as exc:
        raise _reason(uri, exc, "read the table's key", limits) from None
    finally:
        conn.close()
    if low is None:
        return None
    return name, int(low), int(high), int(estimate)


def _query(
    ref: TableRef, columns: list[str], primary_key: list[str], key_range: KeyRange | None = None
) -> sql.Composed:
    """The table's columns as they are (no cast: the server sends their text form)."""
    values = sql.SQL(", ").join(sql.Identifier("source", name) for name in columns)
    only = sql.SQL("") if ref.relkind == "p" else sql.SQL("ONLY ")
    # Sort keys are qualified: a bare name could name an output column.
    if primary_key:
        keys = sql.SQL(", ").join(sql.Identifier("source", name) for name in primary_key)
        order = sql.SQL(" ORDER BY ") + keys
    elif ref.relkind in STORED_KINDS:
        order = sql.SQL(" ORDER BY source.ctid")
    else:
        order = sql.SQL("")
    table = sql.Identifier(ref.schema, ref.name)
    where = sql.SQL("")
    if key_range is not None and key_range.bounds():
        assert len(primary_key) == 1
        key = sql.Identifier("source", primary_key[0])
        bounds = [sql.SQL(f"{{}} {op} {{}}").format(key, sql.Literal(value)) for op, value in key_range.bounds()]
        where = sql.SQL(" WHERE ") + sql.SQL(" AND ").join(bounds)
    return sql.SQL("SELECT {} FROM {}{} AS source{}{}").format(values, only, table, where, order)


def _raw_text_cursor(conn: psycopg.Connection) -> psycopg.ServerCursor:
    """A server-side cursor in text format whose every column loads as the text the
    server sent (the type's output function), bytea as its bytes: nothing is parsed
    as a Python type, no cast runs on the server."""
    cursor = conn.cursor(name="verifydel_scan", binary=False)
    oids = [oid for (oid,) in conn.execute(_TYPE_OIDS).fetchall()]
    for oid in [0, *oids]:  # 0: what the server does not name (the fallback of any oid)
        cursor.adapters.register_loader(oid, TextLoader)
    cursor.adapters.register_loader(BYTEA_OID, ByteaLoader)  # domains arrive as their base
    return cursor


def open_table(
    uri: DatabaseURI,
    ref: TableRef,
    label: str,
    batch_rows: int = BATCH_ROWS,
    *,
    limits: SessionLimits | None = None,
    key_range: KeyRange | None = None,
) -> Table:
    """The table as one Table whose batches stream from a server-side cursor; with
    ``key_range``, only the rows whose one-column primary key is in it (a cluster's unit)."""
    limits = limits or DEFAULT_LIMITS
    conn = connect(uri, ref.database, limits=limits)
    try:
        found = conn.execute(_RELATION_OID, (ref.schema, ref.name)).fetchone()
        if found is None:
            raise SourceError(
                "the table no longer exists", hint="run the scan again to list tables afresh"
            )
        columns = [name for (name,) in conn.execute(_COLUMNS, found).fetchall()]
        keys = conn.execute(_PRIMARY_KEY, (FIRST_NORMAL_OID, *found)).fetchall()
        # A broker-defined type in the key would sort with the broker's functions.
        builtin_key = all(builtin for _, builtin in keys)
        primary_key = [name for name, _ in keys] if builtin_key else []
        names = table_columns(columns)
        if not columns:
            conn.close()
            return Table(label, KIND, [], iter(()), notes=["the table has no columns"])
        cursor = _raw_text_cursor(conn)
        if key_range is not None and len(primary_key) != 1:
            raise SourceError("the table's primary key changed since the scan was planned", hint="run the scan again")
        cursor.execute(_query(ref, columns, primary_key, key_range))
        binary = [column.type_code == BYTEA_OID for column in cursor.description or []]
    except psycopg.Error as exc:
        conn.close()
        raise _reason(uri, exc, "read the table", limits) from None
    except BaseException:
        conn.close()
        raise

    def close() -> None:
        with suppress(Exception):
            conn.close()

    stream = batches(
        lambda: cursor.fetchmany(batch_rows),
        names,
        binary,
        lambda exc: _reason(uri, exc, "read the table", limits),
        close,
        psycopg.Error,
    )
    notes = []
    if ref.relkind not in STORED_KINDS:
        notes.append("not a stored table: rows numbered in the order the server returns them")
    elif not keys:
        notes.append("no primary key: rows numbered in physical (ctid) order")
    elif not builtin_key:
        notes.append(
            "primary key of a database-defined type: rows numbered in physical (ctid) order"
        )
    return Table(label, KIND, names, stream, notes=notes)
