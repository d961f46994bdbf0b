"""MariaDB sources, real server: listing, row order, text, history, read-only, streaming."""

from __future__ import annotations

import tracemalloc

import polars as pl
import pytest

from verifydel.exitcodes import ExitCode
from verifydel.scan import LoadedPack, scan
from verifydel.sources import Unit, UnitFailure, expand
from verifydel.sources.databases import mariadb
from verifydel.sources.databases._uri import parse_uri

pytestmark = pytest.mark.mariadb
pymysql = pytest.importorskip("pymysql")

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


@pytest.fixture
def broker(mariadb_database: tuple[str, str, object]) -> tuple[str, str, object]:
    uri, name, cur = mariadb_database
    run = cur.execute  # type: ignore[attr-defined]
    # 住所 is CP932 on the server: read through the utf8mb4 connection as text.
    run("CREATE TABLE 会員 (id INT PRIMARY KEY, 氏名 VARCHAR(50), 電話番号 VARCHAR(30),"
        " 住所 VARCHAR(100) CHARACTER SET cp932, 写真 BLOB)")  # fmt: skip
    cur.executemany("INSERT INTO 会員 VALUES (%s, %s, %s, %s, %s)", MEMBERS)  # type: ignore[attr-defined]
    run("CREATE TABLE 連絡先 (id INT PRIMARY KEY, 氏名 VARCHAR(50), 電話 VARBINARY(40))")
    run(
        "INSERT INTO 連絡先 VALUES (2, '別人', x'fffe'), (1, '鈴木一郎', %s)",
        (b"070-5555-6666",),
    )
    run(
        "CREATE TABLE ログ (氏名 VARCHAR(50), 電話番号 VARCHAR(30)) ENGINE=InnoDB"
    )  # no primary key
    run(
        "INSERT INTO ログ VALUES ('伊藤', '03-0000-0001'), ('高橋美咲', '090-7777-8888'), ('渡辺', '03-0000-0002')"
    )
    run(
        "CREATE TABLE 履歴 (id INT PRIMARY KEY, 氏名 VARCHAR(50), 電話番号 VARCHAR(30)) WITH SYSTEM VERSIONING"
    )
    run("INSERT INTO 履歴 VALUES (1, '別人', '03-3333-0000'), (2, '山田太郎', '090-1111-2222')")
    run("DELETE FROM 履歴 WHERE id = 2")  # "deleted": kept as history
    run("CREATE TABLE 顧客 (id INT PRIMARY KEY, 氏名 VARCHAR(50), 電話番号 VARCHAR(30) INVISIBLE)")
    run("INSERT INTO 顧客 (id, 氏名, 電話番号) VALUES (1, '佐藤花子', '080-3333-4444')")
    run("CREATE VIEW 会員_v AS SELECT 氏名, 電話番号 FROM 会員")
    return uri, name, cur


def test_every_table_is_one_unit_in_a_stable_order(broker: tuple[str, str, object]) -> None:
    uri, _, _ = broker
    items = list(expand(uri))
    assert all(isinstance(i, Unit) and i.kind == "mariadb" for i in items)
    assert [i.label for i in items] == [
        f"{uri}!/{n}" for n in ["ログ", "会員", "履歴", "連絡先", "顧客"]
    ]


def test_a_uri_without_database_lists_every_user_database(broker: tuple[str, str, object]) -> None:
    uri, name, _ = broker
    server = uri.rsplit("/", 1)[0]
    labels = [item.label for item in expand(server)]
    assert f"{server}/{name}!/会員" in labels
    assert not any(
        label.startswith(f"{server}/{system}") for label in labels for system in ("mysql", "sys")
    )


def test_planted_rows_are_found_with_labels_and_row_numbers(
    broker: tuple[str, str, object], leaked_pack: LoadedPack
) -> None:
    uri, _, _ = broker
    report = scan([uri], leaked_pack)
    assert report.exit_code == ExitCode.FOUND
    assert all(s.status == "scanned" and s.kind == "mariadb" for s in report.sources)
    by_path = {s.path: s for s in report.sources}
    assert by_path[f"{uri}!/会員"].rows == 5
    assert by_path[f"{uri}!/履歴"].rows == 2 and any(
        "system-versioned" in n for n in by_path[f"{uri}!/履歴"].notes
    )
    assert report.matches.select("source", "row", "record_id").rows() == [
        (f"{uri}!/ログ", 2, "L004"),  # no primary key: InnoDB's insertion order
        (f"{uri}!/会員", 2, "L001"),
        (f"{uri}!/会員", 4, "L002"),
        (f"{uri}!/履歴", 2, "L001"),  # a deleted row kept by system versioning
        (f"{uri}!/連絡先", 1, "L003"),  # a phone in VARBINARY, read as its UTF-8 text
        (f"{uri}!/顧客", 1, "L002"),  # an INVISIBLE column is read too
    ]


def test_values_are_text_nulls_stay_null_and_rows_follow_the_key(
    broker: tuple[str, str, object],
) -> None:
    uri, _, _ = broker
    [unit] = expand(f"{uri}?table=会員")
    [table] = unit.opener()
    assert (table.label, table.kind) == (f"{uri}!/会員", "mariadb")
    assert table.columns == ["id", "氏名", "電話番号", "住所", "写真"]
    [batch] = list(table.batches)
    assert batch.dtypes == [pl.String] * 5
    assert batch["id"].to_list() == ["1", "2", "3", "4", "10"]
    assert batch["住所"][1] == "東京都千代田区千代田一丁目1番"  # from CP932
    assert batch.row(4) == ("10", None, None, None, None)
    assert batch["写真"].to_list() == [None, "写真", "0x89504e47ff", None, None]


def test_a_write_inside_verifydels_session_fails(broker: tuple[str, str, object]) -> None:
    uri, _, admin = broker
    conn = mariadb.connect(parse_uri(uri))
    try:
        cursor = conn.cursor()
        for statement in [
            "INSERT INTO 会員 (id) VALUES (99)",
            "DELETE FROM 会員",
            "CREATE TABLE intruder (a INT)",
        ]:
            with pytest.raises(pymysql.Error) as refused:
                cursor.execute(statement)
            assert (
                refused.value.args[0] == 1792
            )  # Cannot execute statement in a READ ONLY transaction
        cursor.execute("COMMIT")  # the next transaction is read-only too (the session's default)
        with pytest.raises(pymysql.Error) as refused:
            cursor.execute("UPDATE 会員 SET 氏名 = NULL")
        assert refused.value.args[0] == 1792
    finally:
        conn.close()
    admin.execute("SELECT count(*) FROM 会員")  # type: ignore[attr-defined]
    assert admin.fetchone() == (5,)  # type: ignore[attr-defined]


def test_connection_failures_are_unit_failures_without_the_password(
    broker: tuple[str, str, object],
) -> None:
    uri, _, _ = broker
    scheme, rest = uri.split("://", 1)
    user, hostpart = rest.split("@", 1)
    server = hostpart.rsplit("/", 1)[0]
    [denied] = expand(f"{scheme}://{user}:s3cret@{hostpart}")
    [unknown] = expand(f"{uri}_missing")
    [bad_param] = expand(f"{uri}?charset=latin1")
    assert all(
        isinstance(f, UnitFailure) and f.kind == "mariadb" for f in (denied, unknown, bad_param)
    )
    assert denied.label == f"{scheme}://{user}:***@{hostpart}" and "s3cret" not in denied.error
    assert "Access denied" in denied.error
    assert "Unknown database" in unknown.error and unknown.label.startswith(
        f"{scheme}://{user}@{server}/"
    )
    assert "unknown URI parameter 'charset'" in bad_param.error


def test_a_large_table_streams_in_bounded_batches(
    broker: tuple[str, str, object], leaked_pack: LoadedPack
) -> None:
    uri, _, cur = broker
    run = cur.execute  # type: ignore[attr-defined]
    run("CREATE TABLE 大量 (id INT PRIMARY KEY, 氏名 VARCHAR(50), 電話番号 VARCHAR(30))")
    run("INSERT INTO 大量 SELECT seq, CONCAT('会員', seq),"
        " CONCAT('03-', LPAD(seq % 10000, 4, '0'), '-', LPAD(seq % 9973, 4, '0')) FROM seq_1_to_300000")  # fmt: skip
    run("UPDATE 大量 SET 氏名 = '山田太郎', 電話番号 = '090-1111-2222' WHERE id = 250001")
    [unit] = expand(f"{uri}?table=大量")
    tracemalloc.start()
    try:
        table = mariadb.open_table(
            parse_uri(uri), unit.opener.args[2], unit.label, batch_rows=25_000
        )  # type: ignore[attr-defined]
        heights = [batch.height for batch in table.batches]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert heights == [25_000] * 12
    assert peak < 30 * 2**20, f"peak {peak / 2**20:.1f} MiB while streaming"  # all rows: ~100 MiB
    report = scan([f"{uri}?table=大量"], leaked_pack)
    assert report.sources[0].rows == 300_000
    assert report.matches.select("row", "record_id").rows() == [(250_001, "L001")]


def test_stopping_early_does_not_read_the_rest(
    broker: tuple[str, str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    uri, _, cur = broker
    cur.execute("CREATE TABLE 中量 (id INT PRIMARY KEY) SELECT seq AS id FROM seq_1_to_50000")  # type: ignore[attr-defined]
    [unit] = expand(f"{uri}?table=中量")
    table = mariadb.open_table(parse_uri(uri), unit.opener.args[2], unit.label, batch_rows=1_000)  # type: ignore[attr-defined]
    assert next(table.batches)["id"].to_list()[:3] == ["1", "2", "3"]
    reads = []
    real_read = pymysql.connections.Connection._read_packet
    monkeypatch.setattr(
        pymysql.connections.Connection,
        "_read_packet",
        lambda self, *a: reads.append(1) or real_read(self, *a),
    )
    table.batches.close()  # type: ignore[attr-defined]  # the scan stopped: 49,000 rows unread
    assert reads == []  # closed at once, not drained row by row
