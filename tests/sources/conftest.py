"""Fixtures of the database source tests: the real servers, private schemas, a leaked-set pack.

The servers are PostgreSQL at 127.0.0.1:5432 (trust auth, user root or postgres,
database ``test``) and MariaDB at 127.0.0.1:3306 (root, no password, database
``test``); VERIFYDEL_TEST_POSTGRESQL_URI / VERIFYDEL_TEST_MARIADB_URI point
elsewhere. A server that cannot be reached skips its tests, except under
CI=true, where a skipped database test would hide a gap and fails instead.
Every test works in its own uniquely named schema (PostgreSQL) or database
(MariaDB), dropped afterwards.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest

from verifydel.scan import LoadedPack

PG_CANDIDATES = (
    [os.environ["VERIFYDEL_TEST_POSTGRESQL_URI"]]
    if os.environ.get("VERIFYDEL_TEST_POSTGRESQL_URI")
    else ["postgresql://root@127.0.0.1:5432/test", "postgresql://postgres@127.0.0.1:5432/test"]
)
MARIADB_URI = os.environ.get("VERIFYDEL_TEST_MARIADB_URI", "mariadb://root@127.0.0.1:3306/test")

#: The leaked set: synthetic people, never real ones.
LEAKED_CSV = (
    "ID,氏名,電話番号,住所\n"
    "L001,山田太郎,090-1111-2222,東京都千代田区千代田1-1\n"
    "L002,佐藤花子,080-3333-4444,大阪府大阪市北区梅田3-1-1\n"
    "L003,鈴木一郎,070-5555-6666,北海道札幌市中央区北一条西2-1\n"
    "L004,高橋美咲,090-7777-8888,福岡県福岡市博多区博多駅前1-1-1\n"
)


def unavailable(reason: str) -> None:
    """Skip: the server is not there. Under CI=true that is a failure, not a skip."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: database tests must run, not skip)")
    pytest.skip(reason)


def unique_name() -> str:
    return f"vd_test_{secrets.token_hex(4)}"


@pytest.fixture(scope="session")
def leaked_pack(tmp_path_factory: pytest.TempPathFactory, pack_factory) -> LoadedPack:
    return pack_factory(tmp_path_factory.mktemp("pack"), LEAKED_CSV, name="leaked.vdpack")


@pytest.fixture(scope="session")
def pg_uri() -> str:
    """The URI of a PostgreSQL database the tests may create schemas in."""
    psycopg = pytest.importorskip("psycopg")
    problems = []
    for uri in PG_CANDIDATES:
        try:
            psycopg.connect(uri, connect_timeout=5).close()
            return uri
        except psycopg.Error as exc:
            problems.append(str(exc).splitlines()[0])
    unavailable(f"PostgreSQL not reachable ({'; '.join(problems)})")
    raise AssertionError("unreachable")


@pytest.fixture
def pg_schema(pg_uri: str) -> Iterator[tuple[str, object]]:
    """A fresh schema (its name) and an autocommit admin connection; dropped afterwards."""
    import psycopg

    schema = unique_name()
    admin = psycopg.connect(pg_uri, autocommit=True)
    admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield schema, admin
    finally:
        admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        admin.close()


@pytest.fixture(scope="session")
def mariadb_server() -> dict[str, object]:
    """Connection arguments for the MariaDB server (pymysql.connect keywords)."""
    pymysql = pytest.importorskip("pymysql")
    from verifydel.sources.databases._uri import host_and_port, parse_uri, user_of

    uri = parse_uri(MARIADB_URI)
    host, port = host_and_port(uri, 3306)
    args: dict[str, object] = {
        "host": host, "port": port, "user": user_of(uri), "password": uri.password or "",
        "charset": "utf8mb4", "autocommit": True, "connect_timeout": 5,
    }  # fmt: skip
    try:
        pymysql.connect(**args).close()
    except pymysql.Error as exc:
        unavailable(f"MariaDB not reachable at {host}:{port} ({exc})")
    return args


@pytest.fixture
def mariadb_database(mariadb_server: dict[str, object]) -> Iterator[tuple[str, str, object]]:
    """A fresh database: its URI, its name and an autocommit admin cursor; dropped afterwards."""
    import pymysql

    name = unique_name()
    admin = pymysql.connect(**mariadb_server)
    cursor = admin.cursor()
    cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
    cursor.execute(f"USE `{name}`")
    base = MARIADB_URI.rsplit("/", 1)[0] if MARIADB_URI.count("/") > 2 else MARIADB_URI
    try:
        yield f"{base}/{name}", name, cursor
    finally:
        cursor.execute(f"DROP DATABASE `{name}`")
        admin.close()
