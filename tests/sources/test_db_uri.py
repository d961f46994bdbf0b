"""Database URIs without a server: parsing, labels, table choice, batches, failures."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from verifydel.errors import SourceError
from verifydel.exitcodes import ExitCode
from verifydel.scan import LoadedPack, scan
from verifydel.sources import UnitFailure, expand
from verifydel.sources.databases import claims
from verifydel.core.db_tables import TableRef, rows_to_frame, select_tables
from verifydel.sources.databases._uri import parse_uri


@pytest.mark.parametrize(
    ("source", "engine", "label", "database"),
    [
        (
            "postgresql://inspector@db.example:5432/broker",
            "postgresql",
            "postgresql://inspector@db.example:5432/broker",
            "broker",
        ),
        (
            "postgres://u:p%40ss@db/broker?sslmode=require&table=public.members",
            "postgresql",
            "postgres://u:***@db/broker",
            "broker",
        ),
        (
            "postgresql+psycopg://u@db/?dbname=other",
            "postgresql",
            "postgresql://u@db/other",
            "other",
        ),
        (
            "mysql://root:secret@127.0.0.1:3306/shop",
            "mariadb",
            "mysql://root:***@127.0.0.1:3306/shop",
            "shop",
        ),
        ("mariadb://root@127.0.0.1", "mariadb", "mariadb://root@127.0.0.1", None),
        (
            "sqlite:///var/lib/broker.db",
            "sqlite",
            "sqlite:///var/lib/broker.db",
            "/var/lib/broker.db",
        ),
        (
            "sqlite://data/%E4%BC%9A%E5%93%A1.db?table=t",
            "sqlite",
            "sqlite://data/%E4%BC%9A%E5%93%A1.db",
            "data/会員.db",
        ),
    ],
)
def test_uris_parse_to_labels_without_password_or_query(
    source: str, engine: str, label: str, database: str | None
) -> None:
    uri = parse_uri(source)
    assert (uri.engine, uri.label(), uri.database) == (engine, label, database)
    assert claims(source)


def test_the_password_is_known_to_scrub_and_never_shown() -> None:
    uri = parse_uri("postgresql://inspector:p%40ss%20w@db/broker?password=x")
    assert uri.password == "p@ss w"
    assert uri.scrub("failed for p@ss w and p%40ss%20w") == "failed for *** and ***"
    assert "p@ss" not in uri.label() and "p%40ss" not in uri.label()
    assert uri.scrub("bad password x") == "bad password ***"  # the password= parameter
    assert "p%40ss" not in repr(uri)


def test_tables_come_from_the_query_and_the_argument_in_order() -> None:
    uri = parse_uri(
        "postgresql://db/x?table=a.b&sslmode=disable&table=%E4%BC%9A%E5%93%A1", ("c.d",)
    )
    assert uri.tables == ("a.b", "会員", "c.d")
    assert uri.params == (("sslmode", "disable"),)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("postgresql://db/a/b", "more than a database name"),
        ("mysql://db/x?table=", "empty table name"),
        ("sqlite://", "no database file"),
    ],
)
def test_malformed_uris_are_failures(source: str, message: str) -> None:
    with pytest.raises(SourceError, match=message):
        parse_uri(source)
    [failure] = expand(source)
    assert isinstance(failure, UnitFailure) and message in failure.error


def test_things_that_are_not_database_uris_are_not_claimed() -> None:
    assert not claims("backup:2022.csv")
    assert not claims("https://example.com/x.csv")
    assert not claims("/var/lib/postgresql/data")


def _ref(schema: str, name: str, by_default: bool = True) -> TableRef:
    return TableRef("db", schema, name, f"{schema}.{name}", "r" if by_default else "v", by_default)


def test_table_choice() -> None:
    refs = [
        _ref("public", "members"),
        _ref("archive", "members"),
        _ref("public", "Orders"),
        _ref("public", "v", False),
    ]
    assert select_tables(refs, []) == (refs[:3], [])  # views only when named
    assert select_tables(refs, ["members"]) == (refs[:2], [])  # a bare name: every schema
    assert select_tables(refs, ["archive.members", "db.public.v"]) == ([refs[1], refs[3]], [])
    assert select_tables(refs, ["public.orders", "nothing"]) == (
        [refs[2]],
        ["nothing"],
    )  # case: one match


def test_batches_are_text_columns_binary_decoded_or_hex() -> None:
    rows = [("1", b"\xe5\x86\x99"), (None, b"\xff\x00"), ("3", None)]
    frame = rows_to_frame(rows, ["id", "blob"], [False, True])
    assert frame.schema == pl.Schema({"id": pl.String, "blob": pl.String})
    assert frame.rows() == [("1", "写"), (None, "0xff00"), ("3", None)]
    assert rows_to_frame([], ["a"], [False]).shape == (0, 1)


def test_a_server_that_is_down_is_a_failure_and_the_scan_ends_incomplete(
    tmp_path: Path, leaked_pack: LoadedPack
) -> None:
    pytest.importorskip("psycopg")
    pytest.importorskip("pymysql")
    clean = tmp_path / "clean.csv"
    clean.write_text("氏名,電話番号\n別人,03-0000-0000\n", encoding="utf-8")
    down = [
        "postgresql://inspector:s3cret@127.0.0.1:1/broker",
        "mysql://root:s3cret@127.0.0.1:1/shop",
    ]
    report = scan([*down, str(clean)], leaked_pack)
    assert [(s.path, s.status) for s in report.sources] == [
        ("postgresql://inspector:***@127.0.0.1:1/broker", "failed"),
        ("mysql://root:***@127.0.0.1:1/shop", "failed"),
        (str(clean), "scanned"),
    ]
    assert [s.kind for s in report.sources[:2]] == ["postgresql", "mariadb"]
    assert all(
        s.error.startswith("cannot connect") and "s3cret" not in s.error for s in report.sources[:2]
    )
    assert report.exit_code == ExitCode.INCOMPLETE
