"""SQL dump and live database cases.

mysqldump text is written here (extended INSERT, escapes, a hex literal, one
line of several MB, UTF-16); pg_dump output (plain COPY and INSERT, -Fc, -Fd,
-Ft) and a mariadb-dump are made by the machine's own tools from the real
servers. Live tables go into the corpus schema (PostgreSQL) or database
(MariaDB), and into an SQLite file read through ``sqlite://``.
"""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path
from urllib.parse import quote, urlencode

import polars as pl
from corpus_ctx import Ctx
from corpus_people import Placed
from corpus_registry import OUT, Built, State, case

SCANNED = ("scanned",)
#: Rows per extended INSERT statement (mysqldump packs about 1 MB; the first line is made far longer).
ROWS_PER_INSERT = 1000
_MYSQL_ESCAPES = (["\\", "'", '"', "\n", "\r", "\x00", "\x1a"], ["\\\\", "\\'", '\\"', "\\n", "\\r", "\\0", "\\Z"])
MYSQL_HEADER = (
    "-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)\n--\n-- Host: localhost    Database: broker\n"
    "-- ------------------------------------------------------\n-- Server version\t8.0.36\n\n"
    "/*!40101 SET NAMES utf8mb4 */;\n/*!40103 SET TIME_ZONE='+00:00' */;\n\n"
)
MEMO = "O'Brien said \"call back\"\\n; (x, y); \n\r\t\x1a \\ 0x41 "


def _mysql_literal(expr: pl.Expr) -> pl.Expr:
    quoted = pl.concat_str([pl.lit("'"), expr.str.replace_many(*_MYSQL_ESCAPES), pl.lit("'")])
    return pl.when(expr.is_null()).then(pl.lit("NULL")).otherwise(quoted)


def mysql_dump_text(frame: pl.DataFrame, table: str, *, long_first_line: int, hex_rows: set[int]) -> str:
    """A mysqldump of ``frame`` (id, 氏名, 住所, 電話番号, memo): ``hex_rows`` (0-based) get their
    name as a 0x hex literal; the first INSERT line is padded to about ``long_first_line`` bytes."""
    n = frame.height
    first = max(1, min(n, ROWS_PER_INSERT))
    pad = max(0, long_first_line // first)
    hexed = pl.Series([i in hex_rows for i in range(n)])
    name_hex = pl.lit("0x") + pl.col("氏名").map_batches(
        lambda s: pl.Series([v.encode().hex().upper() for v in s.to_list()]), return_dtype=pl.String
    )
    memo = pl.when(pl.int_range(pl.len()) < first).then(pl.lit(MEMO * (pad // len(MEMO) + 1))).otherwise(pl.lit(MEMO))
    rows = frame.with_columns(hexed.alias("_hex")).select(
        pl.concat_str(
            [pl.lit("("), pl.int_range(1, n + 1).cast(pl.String), pl.lit(","),
             pl.when(pl.col("_hex")).then(name_hex).otherwise(_mysql_literal(pl.col("氏名"))), pl.lit(","),
             _mysql_literal(pl.col("住所")), pl.lit(","), _mysql_literal(pl.col("電話番号")), pl.lit(","),
             _mysql_literal(memo), pl.lit(")")]
        ).alias("t"),
        pl.when(pl.int_range(pl.len()) < first).then(0)
        .otherwise((pl.int_range(pl.len()) - first) // ROWS_PER_INSERT + 1).alias("g"),
    )  # fmt: skip
    lines = rows.group_by("g", maintain_order=True).agg(pl.col("t").str.join(","))["t"]
    inserts = "".join(f"INSERT INTO `{table}` VALUES {line};\n" for line in lines)
    create = (
        f"DROP TABLE IF EXISTS `{table}`;\nCREATE TABLE `{table}` (\n  `id` int NOT NULL,\n  `氏名` varchar(64),\n"
        "  `住所` text,\n  `電話番号` varchar(20),\n  `memo` mediumtext,\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB;\n"
        f"LOCK TABLES `{table}` WRITE;\n"
    )
    return create + inserts + "UNLOCK TABLES;\n"


def _orders(table: str) -> str:
    return (f"CREATE TABLE `{table}` (`id` int, `amount` int, `note` varchar(20));\n"
            f"INSERT INTO `{table}` VALUES (1,100,'it\\'s'),(2,200,NULL),(3,0x3039302D,'\\\\');\n")  # fmt: skip


def _mysqldump(ctx: Ctx, name: str, encoding: str, factor: float) -> Built:
    path = ctx.dir(name) / "broker.sql"
    label = ctx.label(path)
    built = Built([label], states=[State(f"{label}!/会員", SCANNED), State(f"{label}!/orders", SCANNED)])
    frame, placed = ctx.table(ctx.rows(factor))
    frame = frame.select("氏名", "住所", "電話番号")
    hex_rows = {placed.survivors[0][0] - 1}  # one survivor's name as a hex literal
    ctx.plant(built, f"{label}!/会員", placed)
    built.rows += frame.height
    body = mysql_dump_text(frame, "会員", long_first_line=3 << 20, hex_rows=hex_rows)
    path.write_bytes((MYSQL_HEADER + _orders("orders") + body + "-- Dump completed\n").encode(encoding))
    return built


@case("mysqldump-extended", "dump")
def mysqldump_extended(ctx: Ctx) -> Built:
    built = _mysqldump(ctx, "mysqldump-extended", "utf-8", 1.0)
    longest = max(len(line) for line in (ctx.dir("mysqldump-extended") / "broker.sql").read_bytes().split(b"\n"))
    assert longest > 3 << 20, "the first INSERT line should be several MB"
    return built


@case("mysqldump-utf16", "dump")
def mysqldump_utf16(ctx: Ctx) -> Built:
    return _mysqldump(ctx, "mysqldump-utf16", "utf-16", 0.5)


@case("mariadb-dump-real", "dump", needs=("mariadb", "mariadb-dump"))
def mariadb_dump_real(ctx: Ctx) -> Built:
    """mariadb-dump --hex-blob of a real table: its own escaping, line splitting and hex BLOBs."""
    database = ctx.servers.schema + "_dump"
    frame, placed = ctx.table(ctx.rows())
    db = ctx.servers.maria()
    try:
        cur = db.cursor()
        cur.execute(f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
        cur.execute(f"USE `{database}`")
        cur.execute("CREATE TABLE 会員 (id INT PRIMARY KEY, 氏名 VARCHAR(64), 住所 TEXT, 電話番号 VARCHAR(30),"
                    " 写真 BLOB)")  # fmt: skip
        rows = [(i, *r, b"\x89PNG\xff'\\") for i, r in enumerate(frame.select("氏名", "住所", "電話番号").rows(), 1)]
        cur.executemany("INSERT INTO 会員 VALUES (%s, %s, %s, %s, %s)", rows)
        path = ctx.dir("mariadb-dump-real") / "nightly.sql"
        args = ctx.servers.maria_args or {}
        with open(path, "wb") as fh:
            subprocess.run(["mariadb-dump", "-h", str(args["host"]), "-P", str(args["port"]), "-u", str(args["user"]),
                            "--hex-blob", "--skip-dump-date", database], stdout=fh, check=True)  # fmt: skip
    finally:
        db.cursor().execute(f"DROP DATABASE IF EXISTS `{database}`")
        db.close()
    label = ctx.label(path)
    built = Built([label], states=[State(f"{label}!/会員", SCANNED)], rows=frame.height)
    ctx.plant(built, f"{label}!/会員", placed)
    return built


# --- pg_dump ------------------------------------------------------------------------------
def _pg_schema(ctx: Ctx) -> tuple[str, dict[str, tuple[Placed, int]]]:
    """The dumped schema, made once: a members table (integer key) and a 顧客 table (split columns)."""
    if "pg_dump" in ctx.shared:
        return ctx.shared["pg_dump"]  # type: ignore[no-any-return]
    schema = ctx.servers.schema + "_dump"
    tables = _pg_tables(ctx, schema, {"members": ("joined", 1.0), "顧客": ("split", 0.3)}, heap_order=True)
    ctx.shared["pg_dump"] = (schema, tables)
    return schema, tables


def _renumber(placed: Placed, position: dict[int, int]) -> Placed:
    return Placed(*([(position[row], rid) for row, rid in rows]
                    for rows in (placed.survivors, placed.namesakes, placed.reassigned)))  # fmt: skip


def _pg_tables(
    ctx: Ctx, schema: str, specs: dict[str, tuple[str, float]], *, heap_order: bool = False
) -> dict[str, tuple[Placed, int]]:
    """Tables with an integer key (the row's place in the frame). ``heap_order``: rows renumbered
    in the order they sit in the heap, which is the order pg_dump writes them (not always the
    order they were copied in: the free space map may put a later row on an earlier page)."""
    out: dict[str, tuple[Placed, int]] = {}
    with ctx.servers.pg() as db:
        db.execute(f'CREATE SCHEMA "{schema}"')
        for table, (layout, factor) in specs.items():
            frame, placed = ctx.table(ctx.rows(factor), layout)
            cols = ", ".join(f'"{c}" text' for c in frame.columns[1:])
            db.execute(f'CREATE TABLE "{schema}"."{table}" (id integer PRIMARY KEY, {cols})')
            with db.cursor() as cur, cur.copy(f'COPY "{schema}"."{table}" FROM STDIN') as copy:
                for i, row in enumerate(frame.drop(frame.columns[0]).iter_rows(), 1):
                    copy.write_row((i, *row))
            if heap_order:
                ids = db.execute(f'SELECT id FROM "{schema}"."{table}" ORDER BY ctid').fetchall()
                placed = _renumber(placed, {key: n for n, (key,) in enumerate(ids, 1)})
            out[table] = (placed, frame.height)
        db.execute(f'CREATE TABLE "{schema}".orders (id int, amount int)')
        db.execute(f'INSERT INTO "{schema}".orders VALUES (1, 100), (2, 200)')
    return out


def _pg_dump(name: str, options: list[str], directory: bool = False):  # type: ignore[no-untyped-def]
    def build(ctx: Ctx) -> Built:
        schema, tables = _pg_schema(ctx)
        path = ctx.dir(name) / ("dumpdir" if directory else "backup.dump")
        subprocess.run(["pg_dump", "-d", ctx.servers.pg_uri or "", "-n", schema, "-f", str(path), *options],
                       check=True)  # fmt: skip
        source = ctx.label(path)
        label = f"{source}/toc.dat" if directory else source
        built = Built([source])
        for table, (placed, rows) in tables.items():
            ctx.plant(built, f"{label}!/{schema}.{table}", placed)
            built.states.append(State(f"{label}!/{schema}.{table}", SCANNED))
            built.rows += rows
        return built

    return build


for _name, _options, _dir in [
    ("pgdump-plain-copy", [], False),
    ("pgdump-plain-inserts", ["--inserts"], False),
    ("pgdump-custom", ["-Fc"], False),
    ("pgdump-directory", ["-Fd"], True),
    ("pgdump-tar", ["-Ft"], False),
]:
    case(_name, "dump", needs=("postgresql", "pg_dump", "pg_restore"))(_pg_dump(_name, _options, _dir))


@case("pgdump-plain-handwritten", "dump")
def pgdump_handwritten(ctx: Ctx) -> Built:
    """A plain pg_dump written here (no server needed): COPY with escapes, then INSERTs."""
    path = ctx.dir("pgdump-plain-handwritten") / "pg.sql"
    label = ctx.label(path)
    built = Built([label])
    frame, placed = ctx.table(ctx.rows(0.5))
    frame = frame.select("氏名", "住所", "電話番号", "備考").with_columns(pl.lit("tab\there\\back").alias("備考"))
    esc = (["\\", "\t", "\n", "\r"], ["\\\\", "\\t", "\\n", "\\r"])
    copy_lines = frame.select(
        pl.concat_str([pl.int_range(1, pl.len() + 1).cast(pl.String)]
                      + [pl.col(c).str.replace_many(*esc).fill_null("\\N") for c in frame.columns], separator="\t")
    ).to_series().str.join("\n")[0]  # fmt: skip
    ins, ins_placed = ctx.table(ctx.rows(0.2), "english")
    quoted = ins.select(
        pl.concat_str([pl.lit("INSERT INTO public.contacts VALUES ("), pl.int_range(1, pl.len() + 1).cast(pl.String)]
                      + [pl.concat_str([pl.lit(", '"), pl.col(c).str.replace("'", "''", literal=True), pl.lit("'")])
                         for c in ins.columns[1:]] + [pl.lit(");")])
    ).to_series().str.join("\n")[0]  # fmt: skip
    text = (
        "--\n-- PostgreSQL database dump\n--\n\nSET client_encoding = 'UTF8';\n\n"
        'CREATE TABLE public.members (id integer, "氏名" text, "住所" text, "電話番号" text, "備考" text);\n'
        "CREATE TABLE public.contacts (id integer, \"NAME\" text, \"ADDRESS\" text, \"PHONE\" text);\n\n"
        'COPY public.members (id, "氏名", "住所", "電話番号", "備考") FROM stdin;\n' + copy_lines + "\n\\.\n\n"
        + quoted + "\n\n--\n-- PostgreSQL database dump complete\n--\n"
    )
    path.write_text(text, encoding="utf-8")
    ctx.plant(built, f"{label}!/public.members", placed)
    ctx.plant(built, f"{label}!/public.contacts", ins_placed)
    built.states += [State(f"{label}!/public.members", SCANNED), State(f"{label}!/public.contacts", SCANNED)]
    built.rows = frame.height + ins.height
    return built


# --- live databases -------------------------------------------------------------------------
@case("live-postgresql", "database", needs=("postgresql",))
def live_postgresql(ctx: Ctx) -> Built:
    schema = ctx.servers.schema
    tables = _pg_tables(ctx, schema, {"会員": ("joined", 1.0), "customers": ("split", 0.5)})
    base = ctx.servers.pg_uri or ""
    uri = f"{base}?{urlencode([('table', f'{schema}.{t}') for t in tables])}"
    built = Built([uri])
    for table, (placed, rows) in tables.items():
        ctx.plant(built, f"{base}!/{schema}.{table}", placed)
        built.states.append(State(f"{base}!/{schema}.{table}", SCANNED))
        built.rows += rows
    return built


@case("live-mariadb", "database", needs=("mariadb",))
def live_mariadb(ctx: Ctx) -> Built:
    database = ctx.servers.schema
    uri = ctx.servers.maria_uri or ""
    built = Built([uri])
    db = ctx.servers.maria()
    try:
        cur = db.cursor()
        cur.execute(f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
        cur.execute(f"USE `{database}`")
        for table, layout, factor in [("会員", "joined", 1.0), ("顧客", "english", 0.5)]:
            frame, placed = ctx.table(ctx.rows(factor), layout)
            cols = ", ".join(f"`{c}` VARCHAR(200)" for c in frame.columns[1:])
            cur.execute(f"CREATE TABLE `{table}` (id INT PRIMARY KEY, {cols})")
            marks = ", ".join(["%s"] * frame.width)
            data = [(i, *row) for i, row in enumerate(frame.drop(frame.columns[0]).iter_rows(), 1)]
            for start in range(0, len(data), 5000):
                cur.executemany(f"INSERT INTO `{table}` VALUES ({marks})", data[start : start + 5000])
            ctx.plant(built, f"{uri}!/{table}", placed)
            built.states.append(State(f"{uri}!/{table}", SCANNED))
            built.rows += frame.height
    finally:
        db.close()
    return built


def sqlite_db(path: Path, tables: dict[str, pl.DataFrame]) -> None:
    db = sqlite3.connect(path)
    try:
        for table, frame in tables.items():
            cols = ", ".join(f'"{c}" TEXT' for c in frame.columns)
            db.execute(f'CREATE TABLE "{table}" (id INTEGER PRIMARY KEY, {cols})')
            marks = ", ".join(["?"] * frame.width)
            db.executemany(f'INSERT INTO "{table}" ({", ".join(chr(34) + c + chr(34) for c in frame.columns)}) '
                           f"VALUES ({marks})", frame.iter_rows())  # fmt: skip
        db.commit()
    finally:
        db.close()


@case("live-sqlite", "database")
def live_sqlite(ctx: Ctx) -> Built:
    path = ctx.dir("live-sqlite") / "broker.db"
    frame, placed = ctx.table(ctx.rows(), "split")
    sqlite_db(path, {"members": frame})
    uri = "sqlite://" + OUT + "/" + quote(path.relative_to(ctx.out).as_posix())
    built = Built([uri], rows=frame.height, states=[State(f"{uri}!/members", SCANNED)])
    ctx.plant(built, f"{uri}!/members", placed)
    return built


@case("sqlite-file-romanised", "sqlite")
def sqlite_file(ctx: Ctx) -> Built:
    """An SQLite file met in a folder: read table by table, romanised column names recognised."""
    folder = ctx.dir("sqlite-file-romanised")
    path = folder / "crm.sqlite3"
    frame, placed = ctx.table(ctx.rows(), "romanised")
    other, other_placed = ctx.table(ctx.rows(0.2), "english")
    sqlite_db(path, {"kokyaku": frame, "contacts": other})
    label = ctx.label(path)
    built = Built([ctx.label(folder)], rows=frame.height + other.height)
    ctx.plant(built, f"{label}!/kokyaku", placed)
    ctx.plant(built, f"{label}!/contacts", other_placed)
    built.states += [State(f"{label}!/kokyaku", SCANNED), State(f"{label}!/contacts", SCANNED)]
    return built
