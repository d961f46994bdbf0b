"""MariaDB sessions against a hostile broker (issue 9, finding 7), real server.

Views that cannot be evaluated say why (never "the table no longer exists"), a
function that sleeps is cut by a time limit, the session is read-only with its
limits set, and a nasty password appears in no label, error or report.
"""

from __future__ import annotations

import secrets
import time
from urllib.parse import quote

import pytest

from verifydel.exitcodes import ExitCode
from verifydel.scan import LoadedPack, scan
from verifydel.sources import expand
from verifydel.sources.databases import mariadb
from verifydel.core.db_tables import SessionLimits
from verifydel.sources.databases._uri import parse_uri

pytestmark = pytest.mark.mariadb
pymysql = pytest.importorskip("pymysql")


@pytest.fixture
def broker(mariadb_database: tuple[str, str, object]) -> tuple[str, str, object]:
    uri, name, cur = mariadb_database
    run = cur.execute  # type: ignore[attr-defined]
    run("CREATE TABLE 会員 (id INT PRIMARY KEY, 氏名 VARCHAR(50), 電話番号 VARCHAR(30))")
    run("INSERT INTO 会員 VALUES (1, '山田太郎', '090-1111-2222')")
    return uri, name, cur


def test_a_view_over_a_dropped_table_says_why_it_failed(
    broker: tuple[str, str, object], leaked_pack: LoadedPack
) -> None:
    uri, _, cur = broker
    run = cur.execute  # type: ignore[attr-defined]
    run("CREATE TABLE gone (id INT, 電話番号 VARCHAR(30))")
    run("CREATE VIEW v_gone AS SELECT id, 電話番号 FROM gone")
    run("DROP TABLE gone")
    report = scan([f"{uri}?table=v_gone&table=会員"], leaked_pack)
    by_name = {s.path.rsplit("!/", 1)[1]: s for s in report.sources}
    assert by_name["会員"].status == "scanned"
    failed = by_name["v_gone"]
    assert failed.status == "failed"
    assert "the table no longer exists" not in failed.error
    assert "view could not be evaluated" in failed.error and "1356" in failed.error
    assert report.exit_code == ExitCode.FOUND


def test_a_view_whose_function_raises_says_so_without_the_message(
    broker: tuple[str, str, object], leaked_pack: LoadedPack
) -> None:
    uri, _, cur = broker
    run = cur.execute  # type: ignore[attr-defined]
    # The broker's message quotes a value: it must not reach the report.
    run("CREATE FUNCTION boom(p VARCHAR(30)) RETURNS VARCHAR(30) DETERMINISTIC"
        " BEGIN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = p; RETURN p; END")  # fmt: skip
    run("CREATE VIEW v_boom AS SELECT id, 氏名, boom(電話番号) AS 電話番号 FROM 会員")
    report = scan([f"{uri}?table=v_boom"], leaked_pack)
    [source] = report.sources
    assert source.status == "failed"
    assert "090" not in source.error and "1111" not in source.error
    assert "the table no longer exists" not in source.error
    assert "1644" in source.error and "stored routine" in source.error
    assert report.exit_code == ExitCode.INCOMPLETE


def test_a_conversion_error_quoting_a_value_is_reported_without_it(
    broker: tuple[str, str, object], leaked_pack: LoadedPack
) -> None:
    uri, _, cur = broker
    run = cur.execute  # type: ignore[attr-defined]
    run("SET SESSION sql_mode = 'STRICT_ALL_TABLES'")  # the function keeps it
    run("CREATE FUNCTION strict_int(p VARCHAR(30)) RETURNS INT DETERMINISTIC"
        " BEGIN DECLARE n INT; SET n = CAST(p AS SIGNED); RETURN n; END")  # fmt: skip
    run("CREATE VIEW v_int AS SELECT id, strict_int(電話番号) AS n FROM 会員")
    report = scan([f"{uri}?table=v_int"], leaked_pack)
    [source] = report.sources
    assert source.status == "failed", source.error
    # The server says "Truncated incorrect INTEGER value: '090-1111-2222'".
    assert "090" not in source.error and "1111" not in source.error
    assert "error 1292" in source.error


def test_a_function_that_sleeps_is_cut_by_the_time_limit(
    broker: tuple[str, str, object],
    leaked_pack: LoadedPack,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    uri, _, cur = broker
    run = cur.execute  # type: ignore[attr-defined]
    run("CREATE VIEW v_slow AS SELECT id, 氏名, SLEEP(5) AS z FROM 会員")
    monkeypatch.setattr(mariadb, "DEFAULT_LIMITS", SessionLimits(statement_seconds=1))
    started = time.monotonic()
    report = scan([f"{uri}?table=v_slow"], leaked_pack)
    assert time.monotonic() - started < 4
    [source] = report.sources
    assert source.status == "failed"
    assert "statement_seconds" in source.error and "1 s" in source.error
    # ... and the same through open_table's keyword.
    [unit] = expand(f"{uri}?table=v_slow")
    started = time.monotonic()
    with pytest.raises(Exception, match="statement_seconds"):
        table = mariadb.open_table(
            parse_uri(uri), unit.opener.args[2], unit.label,  # type: ignore[attr-defined]
            limits=SessionLimits(statement_seconds=1),
        )  # fmt: skip
        list(table.batches)
    assert time.monotonic() - started < 4


def test_the_session_is_read_only_with_its_limits(broker: tuple[str, str, object]) -> None:
    uri, _, _ = broker
    conn = mariadb.connect(parse_uri(uri))
    try:
        cursor = conn.cursor()
        cursor.execute("SELECT @@session.max_statement_time, @@session.lock_wait_timeout,"
                       " @@session.tx_read_only, @@session.innodb_lock_wait_timeout")  # fmt: skip
        assert cursor.fetchone() == (600.0, 30, 1, 30)
        with pytest.raises(pymysql.Error) as refused:
            cursor.execute("INSERT INTO 会員 (id) VALUES (99)")
        assert refused.value.args[0] == 1792
    finally:
        conn.close()


NASTY = "s3c#r?e/t@x:y%zz&table=z"
NASTY_PARTS = ["s3c", "r?e", "e/t", "t@x", "x:y", "%zz", "table=z", "s3c%23"]


def _nowhere(text: str) -> None:
    for part in [NASTY, quote(NASTY, safe=""), *NASTY_PARTS]:
        assert part not in text, part


@pytest.mark.parametrize("written", ["raw", "encoded"])
def test_a_nasty_password_is_nowhere_in_labels_errors_or_the_report(
    broker: tuple[str, str, object], leaked_pack: LoadedPack, written: str
) -> None:
    from verifydel.report import render_json

    uri, name, cur = broker
    user = f"h9db_{secrets.token_hex(4)}"
    run = cur.execute  # type: ignore[attr-defined]
    run("CREATE USER %s@'%%' IDENTIFIED BY %s", (user, NASTY))
    run("CREATE USER %s@'localhost' IDENTIFIED BY %s", (user, NASTY))
    try:
        run("CREATE TABLE denied (id INT)")
        for host in ("%", "localhost"):
            run(f"GRANT SELECT ON `{name}`.`会員` TO %s@%s", (user, host))
        password = NASTY if written == "raw" else quote(NASTY, safe="")
        server = uri.split("@", 1)[1].rsplit("/", 1)[0]
        base = f"mariadb://{user}:{password}@{server}"
        wrong = f"mariadb://{user}:{password}x@{server}/{name}"
        sources = [
            f"{base}/{name}?table=会員&table=denied&table=none",
            f"{base}/h9db_no_such_database",
            f"{base}/{name}/extra",  # malformed
            wrong,  # access denied
        ]
        report = scan(sources, leaked_pack)
        by_status = {s.path: s.status for s in report.sources}
        assert by_status[f"mariadb://{user}:***@{server}/{name}!/会員"] == "scanned"
        assert report.exit_code == ExitCode.FOUND
        assert sum(s.status == "failed" for s in report.sources) >= 4
        for source in report.sources:
            _nowhere(source.path)
            _nowhere(source.error or "")
        _nowhere(render_json(report))
        _nowhere(repr(list(expand(sources[0]))))
    finally:
        for host in ("%", "localhost"):
            run("DROP USER IF EXISTS %s@%s", (user, host))
