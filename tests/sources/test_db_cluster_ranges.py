"""Live tables split by primary-key ranges on a real LocalCluster: the local scan's report.

A table with a one-column integer primary key and more rows than the part's target is
read as ranges ``WHERE pk >= a AND pk < b ORDER BY pk`` (the first and last open-ended),
one work unit each, and its row digest in a unit of its own; row numbers, matches and the
digest merge to exactly what a local scan gives. Tables without such a key (none, a text
key, a composite key) stay one unit. Real PostgreSQL and MariaDB (skipped only off CI).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any


sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cluster"))
from kit import comparable, differences  # noqa: E402

from verifydel.cluster.client import scan_on_cluster  # noqa: E402
from verifydel.cluster.units import plan  # noqa: E402
from verifydel.scan import LoadedPack, ScanOptions, scan  # noqa: E402

ROWS = 3000
#: pk value → leaked person (of conftest's LEAKED_CSV): at the ends and next to range bounds.
SURVIVORS = {7: ("山田太郎", "090-1111-2222"), 3007: ("佐藤花子", "080-3333-4444"),
             3013: ("鈴木一郎", "070-5555-6666"), 8995: ("高橋美咲", "090-7777-8888"),
             4521: ("山田太郎", "09011112222")}  # fmt: skip


def _rows() -> list[tuple[int, str, str]]:
    """Sparse keys (gaps, not in insertion order): 7, 10, 13, ... and the survivors'."""
    keys = sorted({7 + 3 * i for i in range(ROWS)} | set(SURVIVORS), reverse=True)
    out = []
    for k in keys:
        name, phone = SURVIVORS.get(k, (f"別人{k}", f"03-{k % 10000:04d}-{(k * 7) % 10000:04d}"))
        out.append((k, name, phone))
    return out


def _check(sources: list[str], tables: tuple[str, ...], pack: LoadedPack, client: Any, split: str) -> None:
    options = ScanOptions(tables=tables)
    planned = {p.label.rsplit("/", 1)[-1].rsplit(".", 1)[-1]: p for p in plan(sources, options.reading(), table_rows=400)}
    assert planned["big"].layout == "ranges" and len(planned["big"].reads) >= 5, split
    assert planned["big"].digest is not None
    for name in ("nokey", "textkey", "pair"):
        assert planned[name].layout == "whole", name
    local = scan(sources, pack, options)
    clustered = scan_on_cluster(sources, pack, options, client, table_rows=400)
    diff = differences(comparable(local), comparable(clustered))
    assert not diff, "\n".join(diff)
    big = next(s for s in clustered.sources if s.path.endswith("big"))
    assert big.rows == len(_rows()) and big.row_digest is not None and big.status == "scanned"
    rows = clustered.matches.filter(clustered.matches["source"] == big.path)["row"].unique().sort().to_list()
    keys = [k for k, _, _ in sorted(_rows())]
    assert rows == sorted(keys.index(k) + 1 for k in SURVIVORS)  # numbered in key order


def test_postgresql_table_in_key_ranges(dask_client: Any, leaked_pack: LoadedPack, pg_uri: str, pg_schema: tuple[str, Any]) -> None:
    schema, admin = pg_schema
    admin.execute(f'CREATE TABLE "{schema}".big (id bigint PRIMARY KEY, 氏名 text, 電話番号 text)')
    admin.execute(f'CREATE TABLE "{schema}".nokey (氏名 text, 電話番号 text)')
    admin.execute(f'CREATE TABLE "{schema}".textkey (code text PRIMARY KEY, 氏名 text, 電話番号 text)')
    admin.execute(f'CREATE TABLE "{schema}".pair (a int, b int, 氏名 text, 電話番号 text, PRIMARY KEY (a, b))')
    with admin.cursor() as cur:
        cur.executemany(f'INSERT INTO "{schema}".big VALUES (%s, %s, %s)', _rows())
        cur.executemany(f'INSERT INTO "{schema}".nokey VALUES (%s, %s)', [r[1:] for r in _rows()[:50]])
        cur.executemany(f'INSERT INTO "{schema}".textkey VALUES (%s, %s, %s)', [(str(r[0]), *r[1:]) for r in _rows()[:900]])
        cur.executemany(f'INSERT INTO "{schema}".pair VALUES (%s, 1, %s, %s)', _rows()[:900])
    tables = tuple(f"{schema}.{t}" for t in ("big", "nokey", "textkey", "pair"))
    _check([pg_uri], tables, leaked_pack, dask_client, "postgresql")


def test_mariadb_table_in_key_ranges(dask_client: Any, leaked_pack: LoadedPack, mariadb_database: tuple[str, str, Any]) -> None:
    uri, _, cur = mariadb_database
    cur.execute("CREATE TABLE big (id INT PRIMARY KEY, 氏名 TEXT, 電話番号 TEXT)")
    cur.execute("CREATE TABLE nokey (氏名 TEXT, 電話番号 TEXT)")
    cur.execute("CREATE TABLE textkey (code VARCHAR(20) PRIMARY KEY, 氏名 TEXT, 電話番号 TEXT)")
    cur.execute("CREATE TABLE pair (a INT, b INT, 氏名 TEXT, 電話番号 TEXT, PRIMARY KEY (a, b))")
    cur.executemany("INSERT INTO big VALUES (%s, %s, %s)", _rows())
    cur.executemany("INSERT INTO nokey VALUES (%s, %s)", [r[1:] for r in _rows()[:50]])
    cur.executemany("INSERT INTO textkey VALUES (%s, %s, %s)", [(str(r[0]), *r[1:]) for r in _rows()[:900]])
    cur.executemany("INSERT INTO pair VALUES (%s, 1, %s, %s)", _rows()[:900])
    _check([uri], ("big", "nokey", "textkey", "pair"), leaked_pack, dask_client, "mariadb")


def test_a_key_range_reads_as_its_bounded_sides_in_each_engines_sql() -> None:
    from psycopg import sql

    from verifydel.core.db_tables import KeyRange, TableRef
    from verifydel.sources.databases import mariadb, postgresql

    assert KeyRange(5, 10).bounds() == [(">=", 5), ("<", 10)]
    assert KeyRange(None, 10).bounds() == [("<", 10)]
    assert KeyRange(5, None).bounds() == [(">=", 5)]
    assert KeyRange(None, None).bounds() == []
    my = TableRef("d", "d", "t", "t", "BASE TABLE")
    text = mariadb._query(my, [("id", False)], ["id"], True, KeyRange(5, 10))
    assert "WHERE `d`.`t`.`id` >= 5 AND `d`.`t`.`id` < 10 ORDER BY" in text
    assert "WHERE" not in mariadb._query(my, [("id", False)], ["id"], True, KeyRange(None, None))
    pg = TableRef("d", "s", "t", "s.t", "r")
    query = postgresql._query(pg, ["id"], ["id"], KeyRange(None, 10))
    assert isinstance(query, sql.Composed)
    assert 'WHERE "source"."id" < 10 ORDER BY' in query.as_string(None)
