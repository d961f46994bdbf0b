"""PostgreSQL sessions against a hostile broker (issue 9, finding 7), real server.

The broker controls the database: its casts must not run, its functions cannot hang
the scan (statement, lock and idle timeouts), its role settings cannot switch those
off, and its error messages never bring a data value into the report.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from urllib.parse import quote, urlencode

import pytest

from verifydel.exitcodes import ExitCode
from verifydel.scan import LoadedPack, scan
from verifydel.sources import expand
from verifydel.sources.databases import postgresql
from verifydel.core.db_tables import SessionLimits
from verifydel.sources.databases._uri import parse_uri

pytestmark = pytest.mark.postgres
psycopg = pytest.importorskip("psycopg")


def _with_tables(uri: str, *names: str) -> str:
    return f"{uri}?{urlencode([('table', n) for n in names])}"


def _user_of(uri: str) -> str:
    return uri.split("://", 1)[1].split("@", 1)[0]


@pytest.fixture
def pg_database(pg_uri: str) -> Iterator[tuple[str, str, object]]:
    """A fresh database (dblink may be installed in it): its URI, name, an admin connection."""
    name = f"h9db_{secrets.token_hex(4)}"
    with psycopg.connect(pg_uri, autocommit=True) as server:
        server.execute(f'CREATE DATABASE "{name}"')
    uri = pg_uri.rsplit("/", 1)[0] + f"/{name}"
    admin = psycopg.connect(uri, autocommit=True)
    try:
        yield uri, name, admin
    finally:
        admin.close()
        with psycopg.connect(pg_uri, autocommit=True) as server:
            server.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def test_a_broker_cast_to_text_never_runs_even_one_writing_through_dblink(
    pg_database: tuple[str, str, object], leaked_pack: LoadedPack
) -> None:
    uri, name, admin = pg_database
    run = admin.execute  # type: ignore[attr-defined]
    run("CREATE EXTENSION dblink")
    run("CREATE TABLE public.audit (note text)")
    run("CREATE TYPE public.secret AS (v text)")
    dsn = f"dbname={name} host=127.0.0.1 user={_user_of(uri)}"
    run(
        "CREATE FUNCTION public.leak(public.secret) RETURNS text LANGUAGE plpgsql AS $f$"
        f" BEGIN PERFORM public.dblink_exec('{dsn}',"
        " 'INSERT INTO public.audit VALUES (''the cast ran'')');"
        " PERFORM pg_catalog.pg_sleep(3); RETURN ($1).v; END $f$"
    )
    run("CREATE CAST (public.secret AS text) WITH FUNCTION public.leak(public.secret)")
    run('CREATE TABLE public.members (id int PRIMARY KEY, s public.secret, "氏名" text, "電話番号" text)')
    run("INSERT INTO public.members VALUES (1, ROW('x'), '山田太郎', '090-1111-2222')")
    # The cast is real: any ``::text`` in the scan's query would call it.
    assert run("SELECT ROW('y')::public.secret::text").fetchone() == ("y",)
    assert run("SELECT count(*) FROM public.audit").fetchone() == (1,)
    run("DELETE FROM public.audit")

    started = time.monotonic()
    report = scan([_with_tables(uri, "public.members")], leaked_pack)
    assert time.monotonic() - started < 3  # the cast would sleep 3 s per row
    [source] = report.sources
    assert (source.status, source.rows, source.error) == ("scanned", 1, None)
    assert report.exit_code == ExitCode.FOUND
    assert run("SELECT count(*) FROM public.audit").fetchone() == (0,)
    # The value is the type's own text form (its output function), not the cast's result.
    [unit] = expand(_with_tables(uri, "public.members"))
    [table] = unit.opener()
    assert list(table.batches)[0]["s"].to_list() == ["(x)"]


def _slow_view(admin: object, schema: str) -> None:
    admin.execute(  # type: ignore[attr-defined]
        f'CREATE VIEW "{schema}".slow AS SELECT 1 AS id, \'山田太郎\'::text AS "氏名",'
        " (SELECT '090-1111-2222'::text FROM pg_catalog.pg_sleep(5)) AS \"電話番号\""
    )


def test_a_function_that_sleeps_is_cut_by_the_statement_timeout(
    pg_uri: str,
    pg_schema: tuple[str, object],
    leaked_pack: LoadedPack,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    schema, admin = pg_schema
    _slow_view(admin, schema)
    monkeypatch.setattr(postgresql, "DEFAULT_LIMITS", SessionLimits(statement_seconds=1))
    started = time.monotonic()
    report = scan([_with_tables(pg_uri, f"{schema}.slow")], leaked_pack)
    assert time.monotonic() - started < 4
    [source] = report.sources
    assert source.status == "failed"
    assert "statement timeout" in source.error and "1 s" in source.error
    assert report.exit_code == ExitCode.INCOMPLETE


def test_the_limits_are_a_keyword_of_open_table(
    pg_uri: str, pg_schema: tuple[str, object]
) -> None:
    schema, admin = pg_schema
    _slow_view(admin, schema)
    [unit] = expand(_with_tables(pg_uri, f"{schema}.slow"))
    ref = unit.opener.args[2]  # type: ignore[attr-defined]
    started = time.monotonic()
    table = postgresql.open_table(
        parse_uri(pg_uri), ref, unit.label, limits=SessionLimits(statement_seconds=1)
    )
    with pytest.raises(Exception, match="statement timeout"):
        list(table.batches)
    assert time.monotonic() - started < 4


def test_a_lock_held_by_the_broker_is_cut_by_the_lock_timeout(
    pg_uri: str, pg_schema: tuple[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    schema, admin = pg_schema
    run = admin.execute  # type: ignore[attr-defined]
    run(f'CREATE TABLE "{schema}".locked (id int PRIMARY KEY, "氏名" text)')
    monkeypatch.setattr(postgresql, "DEFAULT_LIMITS", SessionLimits(lock_seconds=1))
    with psycopg.connect(pg_uri) as holder:  # a transaction, left open while we scan
        holder.execute(f'LOCK TABLE "{schema}".locked IN ACCESS EXCLUSIVE MODE')
        started = time.monotonic()
        [unit] = expand(_with_tables(pg_uri, f"{schema}.locked"))
        with pytest.raises(Exception, match="lock timeout") as failed:
            unit.opener()
        assert time.monotonic() - started < 5
        holder.rollback()
    assert "lock_seconds" in str(failed.value)


def test_an_idle_transaction_is_ended_by_the_server_and_reported(
    pg_uri: str, pg_schema: tuple[str, object]
) -> None:
    schema, admin = pg_schema
    admin.execute(  # type: ignore[attr-defined]
        f'CREATE TABLE "{schema}".many AS SELECT g AS id FROM generate_series(1, 50) g'
    )
    [unit] = expand(_with_tables(pg_uri, f"{schema}.many"))
    limits = SessionLimits(idle_in_transaction_seconds=1)
    ref = unit.opener.args[2]  # type: ignore[attr-defined]
    table = postgresql.open_table(parse_uri(pg_uri), ref, unit.label, 10, limits=limits)
    assert next(table.batches).height == 10
    time.sleep(2.5)
    with pytest.raises(Exception, match="idle") as failed:
        list(table.batches)
    assert "idle_in_transaction_seconds" in str(failed.value)


def test_the_brokers_role_settings_cannot_lift_the_limits(
    pg_uri: str, pg_schema: tuple[str, object]
) -> None:
    schema, admin = pg_schema
    role = f"h9db_{secrets.token_hex(4)}"
    run = admin.execute  # type: ignore[attr-defined]
    run(f'CREATE ROLE "{role}" LOGIN')
    try:
        for setting in [
            "statement_timeout = 0",
            "lock_timeout = 0",
            "idle_in_transaction_session_timeout = 0",
            f'search_path = "{schema}", pg_catalog',
            "default_transaction_read_only = off",
            "row_security = on",
        ]:
            run(f'ALTER ROLE "{role}" SET {setting}')
        as_role = pg_uri.replace(_user_of(pg_uri), role, 1)
        conn = postgresql.connect(parse_uri(as_role))
        try:
            shown = {
                name: conn.execute(f"SHOW {name}").fetchone()[0]
                for name in [
                    "statement_timeout",
                    "lock_timeout",
                    "idle_in_transaction_session_timeout",
                    "search_path",
                    "transaction_read_only",
                    "row_security",
                ]
            }
        finally:
            conn.close()
        assert shown == {
            "statement_timeout": "10min",
            "lock_timeout": "30s",
            "idle_in_transaction_session_timeout": "10min",
            "search_path": "pg_catalog",
            "transaction_read_only": "on",
            "row_security": "off",
        }
    finally:
        run(f'DROP ROLE "{role}"')


def test_an_error_quoting_a_value_is_reported_without_the_value(
    pg_uri: str, pg_schema: tuple[str, object], leaked_pack: LoadedPack
) -> None:
    schema, admin = pg_schema
    run = admin.execute  # type: ignore[attr-defined]
    run(f'CREATE TABLE "{schema}".t (id int PRIMARY KEY, "電話番号" text)')
    run(f"INSERT INTO \"{schema}\".t VALUES (1, '090-1111-2222')")
    run(f'CREATE VIEW "{schema}".bad AS SELECT id, "電話番号"::int AS n FROM "{schema}".t')
    report = scan([_with_tables(pg_uri, f"{schema}.bad")], leaked_pack)
    [source] = report.sources
    assert source.status == "failed"
    assert "090" not in source.error and "1111" not in source.error
    assert "22P02" in source.error  # the SQLSTATE says what kind of error it was


NASTY = "s3c#r?e/t@x:y%zz&table=z"  # every character that broke labels, raw and encoded
NASTY_PARTS = ["s3c", "r?e", "e/t", "t@x", "x:y", "%zz", "table=z", "s3c%23"]


def _nowhere(text: str) -> None:
    for part in [NASTY, quote(NASTY, safe=""), *NASTY_PARTS]:
        assert part not in text, part


@pytest.mark.parametrize("written", ["raw", "encoded"])
def test_a_nasty_password_is_nowhere_in_labels_errors_or_the_report(
    pg_uri: str, pg_schema: tuple[str, object], leaked_pack: LoadedPack, written: str
) -> None:
    from verifydel.report import render_json

    schema, admin = pg_schema
    role = f"h9db_{secrets.token_hex(4)}"
    run = admin.execute  # type: ignore[attr-defined]
    run(f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{NASTY}'")
    try:
        run(f'CREATE TABLE "{schema}".ok (id int PRIMARY KEY, "氏名" text, "電話番号" text)')
        run(f"INSERT INTO \"{schema}\".ok VALUES (1, '山田太郎', '090-1111-2222')")
        run(f'CREATE TABLE "{schema}".denied (id int)')
        run(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"')
        run(f'GRANT SELECT ON "{schema}".ok TO "{role}"')
        password = NASTY if written == "raw" else quote(NASTY, safe="")
        server = pg_uri.rsplit("/", 1)[0].split("@", 1)[1]
        base = f"postgresql://{role}:{password}@{server}"
        sources = [
            _with_tables(f"{base}/test", f"{schema}.ok", f"{schema}.denied", f"{schema}.none"),
            f"{base}/h9db_no_such_database",
            f"{base}/a/b",  # malformed
        ]
        report = scan(sources, leaked_pack)
        by_status = {s.path: s.status for s in report.sources}
        assert by_status[f"postgresql://{role}:***@{server}/test!/{schema}.ok"] == "scanned"
        assert by_status[f"postgresql://{role}:***@{server}/test!/{schema}.denied"] == "failed"
        assert report.exit_code == ExitCode.FOUND
        assert sum(s.status == "failed" for s in report.sources) == 4
        for source in report.sources:
            _nowhere(source.path)
            _nowhere(source.error or "")
        _nowhere(render_json(report))
        _nowhere(repr(list(expand(sources[0]))))
    finally:
        run(f'DROP OWNED BY "{role}"')
        run(f'DROP ROLE "{role}"')
