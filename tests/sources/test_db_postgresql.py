"""PostgreSQL sources, real server: listing, row order, text values, read-only, streaming."""

from __future__ import annotations

import tracemalloc
from urllib.parse import urlencode

import polars as pl
import pytest

from verifydel.exitcodes import ExitCode
from verifydel.scan import LoadedPack, ScanOptions, scan
from verifydel.sources import Unit, UnitFailure, expand
from verifydel.sources.databases import postgresql
from verifydel.sources.databases._uri import parse_uri

pytestmark = pytest.mark.postgres
psycopg = pytest.importorskip("psycopg")

MEMBERS = [  # inserted out of key order: rows are numbered by primary key
    (3, "高橋三郎", "06-9999-0000", "兵庫県神戸市中央区加納町1-1", b"\x89PNG\xff"),
    (1, "田中次郎", "03-1234-5678", "神奈川県横浜市西区高島1-1", None),
    (10, None, None, None, None),  # "10" sorts before "2" as text: rows follow the key's type
    (
        2,
        "山田\u3000太郎",
        "０９０−１１１１−２２２２",
        "東京都千代田区千代田一丁目1番",
        "写真".encode(),
    ),  # L001
    (4, "佐藤花子", "08033334444", "大阪府大阪市北区梅田3-1-1", None),  # L002
]


def _create_broker(admin: object, schema: str) -> None:
    s = f'"{schema}"'
    run = admin.execute  # type: ignore[attr-defined]
    run(
        f'CREATE TABLE {s}."会員" (id integer PRIMARY KEY, "氏名" text, "電話番号" text, "住所" text, "写真" bytea)'
    )
    with admin.cursor() as cur:  # type: ignore[attr-defined]
        cur.executemany(f'INSERT INTO {s}."会員" VALUES (%s, %s, %s, %s, %s)', MEMBERS)
    run(f'CREATE TABLE {s}."連絡先" (id integer PRIMARY KEY, "氏名" text, "電話" bytea)')
    run(f'INSERT INTO {s}."連絡先" VALUES (2, %s, %s), (1, %s, %s)',
        ("別人", b"\xff\xfe", "鈴木一郎", b"070-5555-6666"))  # fmt: skip  # L003 at row 1
    run(f'CREATE TABLE {s}."ログ" ("氏名" text, "電話番号" text)')  # no primary key
    run(f'INSERT INTO {s}."ログ" VALUES (%s, %s), (%s, %s), (%s, %s)',
        ("伊藤", "03-0000-0001", "渡辺", "03-0000-0002", "高橋美咲", "090-7777-8888"))  # fmt: skip
    run(
        f'CREATE TABLE {s}."予約" (id integer PRIMARY KEY, "氏名" text, "電話番号" text) PARTITION BY RANGE (id)'
    )
    run(f'CREATE TABLE {s}."予約_1" PARTITION OF {s}."予約" FOR VALUES FROM (1) TO (100)')
    run(f'CREATE TABLE {s}."予約_2" PARTITION OF {s}."予約" FOR VALUES FROM (100) TO (200)')
    run(f'INSERT INTO {s}."予約" VALUES (150, %s, %s), (120, %s, %s), (5, %s, %s)',
        ("山田太郎", "090-1111-2222", "別人", "03-3333-0000", "別人", "03-3333-0001"))  # fmt: skip
    run(
        f'CREATE MATERIALIZED VIEW {s}."会員_mv" AS SELECT "氏名", "電話番号" FROM {s}."会員" ORDER BY id'
    )
    run(f'CREATE VIEW {s}."会員_v" AS SELECT "氏名", "電話番号" FROM {s}."会員"')


@pytest.fixture
def broker(pg_uri: str, pg_schema: tuple[str, object]) -> tuple[str, str, object]:
    schema, admin = pg_schema
    _create_broker(admin, schema)
    return pg_uri, schema, admin


def _with_tables(uri: str, *names: str) -> str:
    return f"{uri}?{urlencode([('table', n) for n in names])}"


def test_every_stored_table_is_one_unit_in_a_stable_order(broker: tuple[str, str, object]) -> None:
    uri, schema, _ = broker
    mine = [u for u in expand(uri) if f"!/{schema}." in u.label]
    assert all(isinstance(u, Unit) and u.kind == "postgresql" and u.path is None for u in mine)
    # Partitions, not their parent; the materialized view, not the plain view; code-point order.
    assert [u.label for u in mine] == [
        f"{uri}!/{schema}.{name}"
        for name in ["ログ", "予約_1", "予約_2", "会員", "会員_mv", "連絡先"]
    ]
    assert [u.label for u in expand(uri) if f"!/{schema}." in u.label] == [u.label for u in mine]


def test_a_uri_without_database_lists_every_database(broker: tuple[str, str, object]) -> None:
    uri, schema, _ = broker
    server = uri.rsplit("/", 1)[0]
    labels = [item.label for item in expand(server)]
    assert f"{uri}!/{schema}.会員" in labels
    assert all(label.startswith(server + "/") for label in labels)


def test_planted_rows_are_found_with_labels_and_row_numbers(
    broker: tuple[str, str, object], leaked_pack: LoadedPack
) -> None:
    uri, schema, _ = broker
    names = ["会員", "連絡先", "ログ", "予約_2", "会員_mv", "会員_v"]
    report = scan([_with_tables(uri, *(f"{schema}.{n}" for n in names))], leaked_pack)
    assert report.exit_code == ExitCode.FOUND
    by_path = {s.path: s for s in report.sources}
    label = {n: f"{uri}!/{schema}.{n}" for n in names}
    assert set(by_path) == set(label.values())
    assert all(s.status == "scanned" and s.kind == "postgresql" for s in report.sources)
    assert by_path[label["会員"]].rows == 5
    assert by_path[label["会員"]].columns["phone"] == ["電話番号"]
    found = {(m["source"], m["row"], m["record_id"]) for m in report.matches.iter_rows(named=True)}
    assert {
        (label["会員"], 2, "L001"),
        (label["会員"], 4, "L002"),
        (label["連絡先"], 1, "L003"),  # the phone is UTF-8 in a bytea column
        (label["ログ"], 3, "L004"),  # no primary key: physical order
        (label["予約_2"], 2, "L001"),
        (label["会員_mv"], 2, "L001"),
        (label["会員_mv"], 4, "L002"),
    } <= found
    # The view was named, so it was scanned too (in the server's order: rows not asserted).
    assert {r for s, _, r in found if s == label["会員_v"]} == {"L001", "L002"}
    assert len(found) == 9
    # Tables scanned in parallel (each opens its own connection in its worker): same findings.
    parallel = scan(
        [_with_tables(uri, *(f"{schema}.{n}" for n in names))], leaked_pack, ScanOptions(jobs=4)
    )
    assert parallel.matches.equals(report.matches)


def test_values_are_text_nulls_stay_null_and_rows_follow_the_key(
    broker: tuple[str, str, object],
) -> None:
    uri, schema, _ = broker
    [unit] = expand(_with_tables(uri, f"{schema}.会員"))
    [table] = unit.opener()
    assert (table.label, table.kind) == (f"{uri}!/{schema}.会員", "postgresql")
    assert table.columns == ["id", "氏名", "電話番号", "住所", "写真"]
    [batch] = list(table.batches)
    assert batch.dtypes == [pl.String] * 5
    assert batch["id"].to_list() == ["1", "2", "3", "4", "10"]
    assert batch.row(4) == ("10", None, None, None, None)
    assert batch["写真"].to_list() == [None, "写真", "0x89504e47ff", None, None]


def test_a_write_inside_verifydels_session_fails(broker: tuple[str, str, object]) -> None:
    uri, schema, admin = broker
    conn = postgresql.connect(parse_uri(uri))
    try:
        for statement in [
            f'INSERT INTO "{schema}"."会員" (id) VALUES (99)',
            f'DELETE FROM "{schema}"."会員"',
            f'CREATE TABLE "{schema}".intruder (a int)',
        ]:
            with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
                conn.execute(statement)
            conn.rollback()
        # A new transaction after COMMIT is read-only too (the session's default).
        conn.execute("COMMIT")
        assert conn.execute("SHOW transaction_read_only").fetchone() == ("on",)
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute(f'UPDATE "{schema}"."会員" SET "氏名" = NULL')
    finally:
        conn.close()
    assert admin.execute(f'SELECT count(*) FROM "{schema}"."会員"').fetchone() == (5,)  # type: ignore[attr-defined]


def test_a_table_the_inspector_may_not_fully_read_fails_never_looks_clean(
    broker: tuple[str, str, object], leaked_pack: LoadedPack
) -> None:
    uri, schema, admin = broker
    role = f"{schema}_inspector"
    run = admin.execute  # type: ignore[attr-defined]
    run(f'CREATE ROLE "{role}" LOGIN')
    try:
        run(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"')
        run(f'GRANT SELECT ON "{schema}"."ログ" TO "{role}"')
        run(
            f'ALTER TABLE "{schema}"."ログ" ENABLE ROW LEVEL SECURITY'
        )  # no policy: hides every row
        as_role = uri.replace(uri.split("://", 1)[1].split("@", 1)[0], role, 1)
        report = scan([_with_tables(as_role, f"{schema}.ログ", f"{schema}.会員")], leaked_pack)
        statuses = {s.path.rsplit(".", 1)[1]: (s.status, s.error) for s in report.sources}
        assert statuses["ログ"][0] == "failed" and "row-level security" in statuses["ログ"][1]
        assert statuses["会員"][0] == "failed" and "permission denied" in statuses["会員"][1]
        assert "grant the inspector's user SELECT" in statuses["会員"][1]
        assert report.exit_code == ExitCode.INCOMPLETE
    finally:
        run(f'DROP OWNED BY "{role}"')
        run(f'DROP ROLE "{role}"')


def test_a_password_never_shows_in_labels_or_reprs(broker: tuple[str, str, object]) -> None:
    uri, schema, _ = broker  # the test server trusts: any password is accepted
    user_at = uri.split("://", 1)[1].split("@", 1)[0] + "@"
    with_password = uri.replace(user_at, user_at[:-1] + ":s3cret@", 1)
    units = list(expand(_with_tables(with_password, f"{schema}.会員")))
    assert [u.label for u in units] == [
        f"{uri.replace(user_at, user_at[:-1] + ':***@', 1)}!/{schema}.会員"
    ]
    assert "s3cret" not in repr(units)  # the opener holds the parsed URI
    [table] = units[0].opener()
    assert sum(b.height for b in table.batches) == 5


def test_connection_failures_are_unit_failures_without_the_password(pg_uri: str) -> None:
    scheme, rest = pg_uri.split("://", 1)
    user, hostpart = rest.split("@", 1)
    missing_db = f"{scheme}://{user}:s3cret@{hostpart.rsplit('/', 1)[0]}/vd_no_such_database"
    [failure] = expand(missing_db)
    assert isinstance(failure, UnitFailure) and failure.kind == "postgresql"
    assert "s3cret" not in failure.label + failure.error
    assert failure.label.endswith(":***@" + hostpart.rsplit("/", 1)[0] + "/vd_no_such_database")
    assert "does not exist" in failure.error


def test_a_name_that_matches_nothing_is_a_failure(broker: tuple[str, str, object]) -> None:
    uri, schema, _ = broker
    items = list(expand(_with_tables(uri, f"{schema}.会員", f"{schema}.nothing")))
    assert [type(i) for i in items] == [Unit, UnitFailure]
    assert items[1].label == f"{uri}!/{schema}.nothing"
    assert items[1].error.startswith("no such table or view")


ROWS = 300_000


def test_a_large_table_streams_in_bounded_batches(
    broker: tuple[str, str, object], leaked_pack: LoadedPack
) -> None:
    uri, schema, admin = broker
    admin.execute(  # type: ignore[attr-defined]
        f'CREATE TABLE "{schema}"."大量" AS SELECT g AS id, \'会員\' || g AS "氏名",'
        f" '03-' || lpad((g % 10000)::text, 4, '0') || '-' || lpad((g % 9973)::text, 4, '0') AS \"電話番号\""
        f" FROM generate_series(1, {ROWS}) g;"
        f' ALTER TABLE "{schema}"."大量" ADD PRIMARY KEY (id);'
        f' UPDATE "{schema}"."大量" SET "氏名" = \'山田太郎\', "電話番号" = \'090-1111-2222\' WHERE id = 250001'
    )
    [unit] = expand(_with_tables(uri, f"{schema}.大量"))
    ref = unit.opener.args[2]  # type: ignore[attr-defined]
    tracemalloc.start()
    try:
        table = postgresql.open_table(parse_uri(uri), ref, unit.label, batch_rows=25_000)
        heights = [batch.height for batch in table.batches]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert heights == [25_000] * 12
    # Holding all 300k rows as Python tuples takes ~100 MB; one 25k batch a tenth of it.
    assert peak < 30 * 2**20, f"peak {peak / 2**20:.1f} MiB while streaming"
    report = scan([unit.label.replace("!/", "?table=", 1)], leaked_pack)
    assert report.sources[0].rows == ROWS
    assert report.matches.select("row", "record_id").rows() == [(250_001, "L001")]


def test_a_live_table_carries_its_row_count_and_a_digest_of_its_rows(
    broker: tuple[str, str, object], leaked_pack: LoadedPack
) -> None:
    """No bytes to hash: the rows as streamed are (same rows, same order: same digest)."""
    uri, schema, connection = broker
    source = _with_tables(uri, f"{schema}.会員")
    first = scan([source], leaked_pack).sources[0]
    assert first.rows == 5 and first.sha256 is None
    assert first.row_digest is not None and len(first.row_digest) == 64
    assert scan([source], leaked_pack, ScanOptions(jobs=2)).sources[0].row_digest == first.row_digest
    connection.execute(f'UPDATE "{schema}"."会員" SET "氏名" = "氏名" || \'様\' WHERE id = 1')  # type: ignore[attr-defined]
    assert scan([source], leaked_pack).sources[0].row_digest != first.row_digest
