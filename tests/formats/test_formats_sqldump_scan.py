"""Leaked rows planted in SQL dumps are found end to end, with the dump's table and row."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from verifydel.formats.sqldump import pg_archive as pgdump_archive
from verifydel.scan import LoadedPack, scan

from planted import BROKER, LEAKED_CSV  # noqa: E402


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory, pack_factory) -> LoadedPack:
    return pack_factory(tmp_path_factory.mktemp("pack"), LEAKED_CSV)


def found(report) -> list[tuple[str, int, str]]:
    matches = report.matches.sort("source", "row")
    return list(zip(matches["source"], matches["row"], matches["record_id"], strict=True))


def quoted(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def test_mysqldump(tmp_path: Path, pack: LoadedPack) -> None:
    rows = [f"({i},{','.join(quoted(v) for v in row)})" for i, row in enumerate(BROKER, 1)]
    text = (
        "-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)\n/*!40101 SET NAMES utf8mb4 */;\n"
        "CREATE TABLE `orders` (`id` int, `amount` int);\n"
        "INSERT INTO `orders` VALUES (1,100),(2,200);\n"
        "CREATE TABLE `会員` (\n  `id` int NOT NULL,\n  `氏名` varchar(50),\n  `住所` text,\n"
        "  `電話番号` varchar(20),\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB;\n"
        f"INSERT INTO `会員` VALUES {','.join(rows[:3])};\n"
        f"INSERT INTO `会員` VALUES {','.join(rows[3:])};\n"
    )
    dump = tmp_path / "broker.sql"
    dump.write_text(text, encoding="utf-8")
    report = scan([str(dump)], pack)
    assert found(report) == [(f"{dump}!/会員", 3, "L001"), (f"{dump}!/会員", 5, "L002")]
    kinds = {s.path: (s.kind, s.status, s.rows) for s in report.sources}
    assert kinds == {
        f"{dump}!/orders": ("mysqldump", "scanned", 2),
        f"{dump}!/会員": ("mysqldump", "scanned", 5),
    }


def _required(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        _unavailable(f"{tool} is not installed")
    assert path is not None
    return path


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: these tests must run)")
    pytest.skip(reason)


PG = ["-h", "127.0.0.1", "-d", "test"]


@pytest.fixture(scope="module")
def schema() -> Iterator[str]:
    name = f"vd_test_{secrets.token_hex(4)}"
    values = ",".join(
        f"({i}," + ",".join("'" + v.replace("'", "''") + "'" for v in row) + ")"
        for i, row in enumerate(BROKER, 1)
    )
    sql = (
        f"CREATE SCHEMA {name}; CREATE TABLE {name}.orders (id int, amount int);"
        f"INSERT INTO {name}.orders VALUES (1, 100);"
        f'CREATE TABLE {name}.members (id int, "氏名" text, "住所" text, "電話番号" text);'
        f"INSERT INTO {name}.members VALUES {values};"
    )
    done = subprocess.run(
        [_required("psql"), *PG, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql], check=False
    )
    if done.returncode != 0:
        _unavailable("PostgreSQL at 127.0.0.1:5432 is not reachable")
    try:
        yield name
    finally:
        subprocess.run(
            [_required("psql"), *PG, "-q", "-c", f"DROP SCHEMA {name} CASCADE"], check=False
        )


@pytest.mark.parametrize(
    "options", [[], ["--inserts"], ["-Fc"]], ids=["plain", "inserts", "custom"]
)
def test_pg_dump(tmp_path: Path, pack: LoadedPack, schema: str, options: list[str]) -> None:
    out = tmp_path / "dump"
    subprocess.run([_required("pg_dump"), *PG, "-n", schema, "-f", str(out), *options], check=True)
    report = scan([str(out)], pack)
    table = f"{out}!/{schema}.members"
    assert found(report) == [(table, 3, "L001"), (table, 5, "L002")]
    assert {s.path: s.rows for s in report.sources} == {f"{out}!/{schema}.orders": 1, table: 5}


@pytest.mark.parametrize("compressed", [False, True], ids=["Z0", "gzip"])
def test_pg_dump_directory_folder_is_scanned_once(
    tmp_path: Path, pack: LoadedPack, schema: str, compressed: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "dumpdir"
    options = ["-Fd"] if compressed else ["-Fd", "-Z0"]
    subprocess.run([_required("pg_dump"), *PG, "-n", schema, "-f", str(out), *options], check=True)
    report = scan([str(out)], pack)
    table = f"{out}/toc.dat!/{schema}.members"
    assert found(report) == [(table, 3, "L001"), (table, 5, "L002")]
    parts = [s for s in report.sources if "toc.dat" not in s.path]
    assert len(parts) == 2 and all(s.rows == 0 and s.status == "scanned" for s in parts)
    assert all(pgdump_archive.PART_NOTE in s.notes for s in parts)


def test_pg_dump_tar_is_read_whole(
    tmp_path: Path, pack: LoadedPack, schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "dump.tar"
    subprocess.run([_required("pg_dump"), *PG, "-n", schema, "-f", str(out), "-Ft"], check=True)
    report = scan([str(out)], pack)
    table = f"{out}!/{schema}.members"
    assert found(report) == [(table, 3, "L001"), (table, 5, "L002")]
