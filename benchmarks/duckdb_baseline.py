"""The alternative a data engineer would write instead of verifydel: DuckDB and SQL.

Both sides are normalised with DuckDB's own string functions (the same rules as
docs/normalisation.md as far as SQL reasonably allows: see LEFT_OUT), the leak
is stored in a DuckDB database file (``prepare``: its "pack"), and a broker file
is matched against it with equi-joins on (name, phone), (name, address),
(address, phone) for strong matches and on phone or address alone for weak ones
(``scan``). Values are compared in the clear: no keyed hashing.

    python benchmarks/duckdb_baseline.py prepare leaked.csv --db leak.duckdb
    python benchmarks/duckdb_baseline.py scan broker.csv --db leak.duckdb --matches m.csv
    python benchmarks/duckdb_baseline.py scan broker-single.csv --layout single --db leak.duckdb --matches m.csv

The broker's columns follow generate.py's layouts (``--layout``): split (姓 名,
都道府県 市区町村 番地 建物, TEL), single (氏名, 住所, TEL) and two (氏名, 住所1
住所2, TEL). A layout's columns of one field are joined with a space
(``concat_ws``: a null part is skipped) and go through the same macros, so the
single 住所 column and the split parts are compared alike: the prefecture
stripped at the start, the address cut after its block-number run (building and
room dropped), normalised, then equal or not.

Each run reports its timings on stderr (see _childkit.py); the matches file holds
``row,id,strength`` (row 1-based, header excluded), ordered by row.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).parent))
from _childkit import report_peak_at_exit, report_result, transcode_to_utf8  # noqa: E402

#: The rules of docs/normalisation.md this SQL version does not implement (stated in RESULTS.md).
LEFT_OUT = (
    "NFKC beyond full-width digits, ＋－（） and U+3000 (full-width Latin letters, half-width kana, circled "
    "digits, ㈱ ...): DuckDB has nfc_normalize only, and translate() slows with every character it maps",
    "the 395-entry variant-kanji table: 20 common family-name variants only",
    "kanji numerals from 百 up (1-99 only), 万/壱弐参 alike",
    "address: 〒/postal code, 日本, 大字/字, ヶ/ケ/が folding, 4th number and glued rooms, 麻布十番-style names",
    "phone: +81(0), 0081/010-81, extensions, lists of numbers, a lost leading 0",
    "name_kana, postal, e-mail and birth-date fields and their combinations",
    "reading CP932: DuckDB's encodings extension is not installed (offline), so Python transcodes to a "
    "temporary UTF-8 file first (timed)",
)

PREFECTURES = (
    "北海道 青森県 岩手県 宮城県 秋田県 山形県 福島県 茨城県 栃木県 群馬県 埼玉県 千葉県 東京都 神奈川県 "
    "新潟県 富山県 石川県 福井県 山梨県 長野県 岐阜県 静岡県 愛知県 三重県 滋賀県 京都府 大阪府 兵庫県 "
    "奈良県 和歌山県 鳥取県 島根県 岡山県 広島県 山口県 徳島県 香川県 愛媛県 高知県 福岡県 佐賀県 長崎県 "
    "熊本県 大分県 宮崎県 鹿児島県 沖縄県"
).split()
VARIANT_PAIRS = "髙高 﨑崎 嵜崎 邉辺 邊辺 濵浜 濱浜 齋斎 齊斎 斉斎 澤沢 櫻桜 廣広 國国 德徳 眞真 嶋島 冨富 槇槙 𠮷吉".split()
HONORIFICS = "様 さま サマ 殿 どの さん サン 君 くん クン ちゃん チャン 御中 氏 先生".split()
#: The part of NFKC the data needs, by translate(): full-width digits, ＋－（） and the ideographic
#: space. (All of full-width ASCII would be 95 characters: DuckDB's translate() costs per
#: character of its table, per row, 2 s per million values for that one.)
FULLWIDTH_FROM = "０１２３４５６７８９＋－（）\u3000"
FULLWIDTH_TO = "0123456789+-() "
DASHES = "‐‑‒–—―−─━⁃"  # always "-"; ー and ｰ only next to a digit
SPACES = "\\s\u3000"  # regex class members: ASCII whitespace and the ideographic space

LEAKED_COLUMNS = {"id": ["顧客ID"], "name": ["氏名"], "address": ["住所"], "phone": ["電話番号"]}
BROKER_COLUMNS = {"name": ["姓", "名"], "address": ["都道府県", "市区町村", "番地", "建物"], "phone": ["TEL"]}
#: The broker columns of each of generate.py's layouts.
LAYOUT_COLUMNS = {
    "split": BROKER_COLUMNS,
    "single": {"name": ["氏名"], "address": ["住所"], "phone": ["TEL"]},
    "two": {"name": ["氏名"], "address": ["住所1", "住所2"], "phone": ["TEL"]},
}


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _macros() -> str:
    prefs = "|".join(PREFECTURES)
    hon = "|".join(HONORIFICS)
    var_from = "".join(p[0] for p in VARIANT_PAIRS)
    var_to = "".join(p[1] for p in VARIANT_PAIRS)
    return f"""
CREATE OR REPLACE TEMP MACRO vd_width(x) AS
    translate(nfc_normalize(x), {_lit(FULLWIDTH_FROM + DASHES)}, {_lit(FULLWIDTH_TO + "-" * len(DASHES))});
CREATE OR REPLACE TEMP MACRO vd_name(x) AS nullif(
    regexp_replace(
        regexp_replace(lower(translate(nfc_normalize(x), {_lit(var_from)}, {_lit(var_to)})), '[{SPACES}・·･=]', '', 'g'),
        '({hon})+$', ''),
    '');
CREATE OR REPLACE TEMP MACRO vd_kanji_numerals(x) AS
    regexp_replace(regexp_replace(regexp_replace(regexp_replace(
        translate(x, '〇一二三四五六七八九', '0123456789'),
        '([0-9])十([0-9])', '\\1\\2', 'g'), '([0-9])十', '\\10', 'g'), '十([0-9])', '1\\1', 'g'), '十', '10', 'g');
CREATE OR REPLACE TEMP MACRO vd_blocks(x) AS
    regexp_replace(
        regexp_replace(
            regexp_replace(vd_kanji_numerals(vd_width(x)), '([0-9])[ーｰ]', '\\1-', 'g'),
            '([0-9])(丁目|番地|番|号|の)', '\\1-', 'g'),
        '^[{SPACES}]*({prefs})', '');
CREATE OR REPLACE TEMP MACRO vd_address_run(x) AS
    coalesce(nullif(regexp_extract(x, '^(.*?[0-9]+(-[0-9]+)+)', 1), ''), x);
CREATE OR REPLACE TEMP MACRO vd_address(x) AS
    nullif(lower(regexp_replace(vd_address_run(vd_blocks(x)), '[{SPACES}]', '', 'g')), '');
CREATE OR REPLACE TEMP MACRO vd_phone(x) AS nullif(
    regexp_extract(
        regexp_replace(regexp_replace(translate(x, '０１２３４５６７８９＋', '0123456789+'), '^[{SPACES}]*\\+81', '0'),
                       '[^0-9]', '', 'g'),
        '^(0[0-9]{{9,10}})$', 1),
    '');
"""


def _joined(columns: list[str]) -> str:
    quoted = ", ".join('"' + c.replace('"', '""') + '"' for c in columns)
    return quoted if len(columns) == 1 else f"concat_ws(' ', {quoted})"


def _source(con: duckdb.DuckDBPyConnection, path: Path, fmt: str, workdir: Path) -> tuple[str, float]:
    """A SQL table expression reading ``path`` as text, and the seconds spent transcoding it first."""
    if fmt == "parquet":
        return f"read_parquet({_lit(str(path))})", 0.0
    if fmt == "cp932":
        t = time.perf_counter()
        copy = workdir / "broker-utf8.csv"
        transcode_to_utf8(path, copy)
        path = copy
        return f"read_csv({_lit(str(path))}, header=true, all_varchar=true)", time.perf_counter() - t
    return f"read_csv({_lit(str(path))}, header=true, all_varchar=true)", 0.0


def prepare(leaked: Path, db: Path, fmt: str) -> dict[str, object]:
    if db.exists():
        db.unlink()
    con = duckdb.connect(str(db))
    con.execute(_macros())
    with tempfile.TemporaryDirectory(prefix="vdbench-") as tmp:
        source, decode_s = _source(con, leaked, fmt, Path(tmp))
        t = time.perf_counter()
        c = LEAKED_COLUMNS
        con.execute(
            f"""CREATE TABLE leaked AS SELECT {_joined(c["id"])} AS id, vd_name({_joined(c["name"])}) AS n,
                vd_address({_joined(c["address"])}) AS a, vd_phone({_joined(c["phone"])}) AS p FROM {source}"""
        )
    rows = con.execute("SELECT count(*) FROM leaked").fetchall()[0][0]
    con.close()
    return {"rows": rows, "decode_s": decode_s, "normalise_s": time.perf_counter() - t}


def scan(broker: Path, db: Path, fmt: str, matches: Path, layout: str = "split") -> dict[str, object]:
    con = duckdb.connect(str(db), read_only=True)
    con.execute(_macros())
    timings: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="vdbench-") as tmp:
        source, timings["decode_s"] = _source(con, broker, fmt, Path(tmp))
        t = time.perf_counter()
        c = LAYOUT_COLUMNS[layout]
        # row_number() over the scan in file order (insertion order is preserved): the 1-based data row.
        con.execute(
            f"""CREATE TEMP TABLE b AS SELECT row_number() OVER () AS row, vd_name({_joined(c["name"])}) AS n,
                vd_address({_joined(c["address"])}) AS a, vd_phone({_joined(c["phone"])}) AS p FROM {source}"""
        )
    timings["read_normalise_s"] = time.perf_counter() - t
    t = time.perf_counter()
    con.execute(
        """CREATE TEMP TABLE strong AS
               SELECT b.row, l.id FROM b JOIN leaked l ON b.n = l.n AND b.p = l.p
               UNION SELECT b.row, l.id FROM b JOIN leaked l ON b.n = l.n AND b.a = l.a
               UNION SELECT b.row, l.id FROM b JOIN leaked l ON b.a = l.a AND b.p = l.p"""
    )
    con.execute(
        """CREATE TEMP TABLE weak AS
               SELECT * FROM (SELECT b.row, l.id FROM b JOIN leaked l ON b.p = l.p
                              UNION SELECT b.row, l.id FROM b JOIN leaked l ON b.a = l.a)
               WHERE row NOT IN (SELECT row FROM strong)"""
    )
    timings["join_s"] = time.perf_counter() - t
    t = time.perf_counter()
    con.execute(
        f"""COPY (SELECT row, id, 'strong' AS strength FROM strong
                  UNION ALL SELECT row, id, 'weak' FROM weak ORDER BY row, id)
            TO {_lit(str(matches))} (HEADER, DELIMITER ',')"""
    )
    timings["write_s"] = time.perf_counter() - t
    timings["rows"] = con.execute("SELECT count(*) FROM b").fetchall()[0][0]
    # after the timings, untimed: how many broker rows agree with a leaked record on the address
    # (what the address rules above manage on this layout)
    timings["address_agreed_rows"] = con.execute(
        "SELECT count(DISTINCT b.row) FROM b JOIN leaked l ON b.a = l.a").fetchall()[0][0]
    con.close()
    return timings


def main() -> None:
    report_peak_at_exit()
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("step", choices=("prepare", "scan"))
    ap.add_argument("path", type=Path)
    ap.add_argument("--db", type=Path, required=True)
    ap.add_argument("--format", choices=("csv", "cp932", "parquet"), default="csv")
    ap.add_argument("--matches", type=Path, help="scan: where to write row,id,strength")
    ap.add_argument("--layout", choices=tuple(LAYOUT_COLUMNS), default="split", help="scan: the broker's columns")
    a = ap.parse_args()
    t = time.perf_counter()
    if a.step == "prepare":
        result = prepare(a.path, a.db, a.format)
    else:
        if a.matches is None:
            ap.error("scan needs --matches")
        result = scan(a.path, a.db, a.format, a.matches, a.layout)
    result["seconds"] = time.perf_counter() - t
    report_result(result)


if __name__ == "__main__":
    main()
