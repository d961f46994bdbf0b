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
- ``manifest-<size>.json``: the planted survivors of that broker table, exact:
  ``planted_rows`` (1-based data rows, header excluded) and the leaked
  ``planted_record_ids`` at the same positions.

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

from verifydel.demo.pools import block_notation, draw_people, faker_pools, phone_notation

#: Rows generated and appended per step (bounds memory: about 1 GiB at 2M rows).
CHUNK_ROWS = 2_000_000
FORMATS = ("csv", "cp932", "parquet")
#: Bump when the generated content changes, so cached data sets are rebuilt.
GENERATOR_VERSION = 2

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


def broker_path(out: Path, size: int, fmt: str) -> Path:
    suffix = {"csv": ".csv", "cp932": ".cp932.csv", "parquet": ".parquet"}[fmt]
    return out / f"broker-{size_label(size)}{suffix}"


def manifest_path(out: Path, size: int) -> Path:
    return out / f"manifest-{size_label(size)}.json"


def _pools() -> dict[str, pl.Series]:
    return faker_pools()


def _people(
    n: int, rng: np.random.Generator, pools: dict[str, pl.Series], *,
    phone_prefix: np.ndarray, phone_serial: np.ndarray, gou: tuple[int, int],
) -> pl.DataFrame:
    """Raw attributes of ``n`` people (the source of both the leaked and the broker columns)."""
    return draw_people(n, rng, pools, gou=gou).with_columns(
        pl.Series("phone_prefix", phone_prefix), pl.Series("phone_serial", phone_serial)
    )


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
                   pools: dict[str, pl.Series], cp932: bool) -> dict[int, tuple[list[int], list[str]]]:
    """Writes every size's UTF-8 (and CP932) CSV in one pass; returns each size's planted rows and ids."""
    total = max(sizes)
    planted_rows: list[np.ndarray] = []
    planted_ids: list[pl.Series] = []
    used = 0
    files: dict[int, BinaryIO] = {s: open(broker_path(out, s, "csv"), "wb") for s in sizes}  # noqa: SIM115
    cp_files: dict[int, BinaryIO] = (
        {s: open(broker_path(out, s, "cp932"), "wb") for s in sizes} if cp932 else {}  # noqa: SIM115
    )
    try:
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
            frame = _broker_columns(both.drop("record_index"), rng)
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
                files[size].write(text.encode("utf-8"))
                if cp932:
                    cp_files[size].write(text.encode("cp932"))
    finally:
        for f in [*files.values(), *cp_files.values()]:
            f.close()
    rows = np.concatenate(planted_rows) if planted_rows else np.array([], dtype=np.int64)
    ids = pl.concat(planted_ids) if planted_ids else pl.Series([], dtype=pl.Int64)
    result: dict[int, tuple[list[int], list[str]]] = {}
    for size in sizes:
        keep = rows <= size
        id_text = pl.format("C{}", (ids.filter(pl.Series(keep)) + 1).cast(pl.String).str.zfill(8))
        result[size] = (rows[keep].tolist(), pl.select(id_text).to_series().to_list())
    return result


def _write_parquet(csv: Path, target: Path) -> None:
    """Streams the CSV into Parquet (bounded memory), every column String as in the CSV."""
    header = csv.open(encoding="utf-8").readline().rstrip("\n").split(",")
    schema = dict.fromkeys(header, pl.String)
    pl.scan_csv(csv, schema=schema).sink_parquet(target, row_group_size=200_000)


def _cached(out: Path, params: dict[str, object], sizes: list[int], formats: list[str]) -> bool:
    if not (out / "leaked.csv").exists():
        return False
    for size in sizes:
        m = manifest_path(out, size)
        if not m.exists() or not all(broker_path(out, size, f).exists() for f in formats):
            return False
        if json.loads(m.read_text(encoding="utf-8")).get("params") != params:
            return False
    return True


def generate(
    out: Path, leaked: int, sizes: list[int], *, formats: list[str] | tuple[str, ...] = ("csv",),
    survivors: float = 0.01, seed: int = 7, chunk: int = CHUNK_ROWS, force: bool = False,
) -> dict[int, dict[str, object]]:
    """Writes the leak and every size's broker files (reused when already there); returns the manifests."""
    out.mkdir(parents=True, exist_ok=True)
    sizes = sorted(set(sizes))
    formats = list(formats)
    total = max(sizes)
    params: dict[str, object] = {
        "generator": GENERATOR_VERSION, "leaked_rows": leaked, "largest": total, "survivors": survivors, "seed": seed,
        "chunk": chunk,
    }
    manifests: dict[int, dict[str, object]] = {}
    if not force and _cached(out, params, sizes, formats):
        for size in sizes:
            manifests[size] = json.loads(manifest_path(out, size).read_text(encoding="utf-8"))
            manifests[size]["cached"] = True
        return manifests
    t0 = time.perf_counter()
    pools = _pools()
    rng = np.random.default_rng([seed, 2])
    wanted = sum(min(round(n * survivors), n) for _, n in _chunks(total, chunk))
    pool_index = np.sort(rng.choice(leaked, min(wanted, leaked), replace=False))
    pool = _write_leaked(out, leaked, pool_index, seed, chunk, pools)
    pool = pool.select(pl.all().gather(pl.Series(rng.permutation(pool.height))))  # which survivor lands in which chunk
    t_leaked = time.perf_counter() - t0
    planted = _write_brokers(out, sizes, pool, survivors, seed, chunk, pools, "cp932" in formats)
    t_csv = time.perf_counter() - t0 - t_leaked
    if "parquet" in formats:
        for size in sizes:
            _write_parquet(broker_path(out, size, "csv"), broker_path(out, size, "parquet"))
    for size in sizes:
        rows, ids = planted[size]
        manifests[size] = {
            "params": params, "broker_rows": size, "survivors": len(rows),
            "planted_rows": rows, "planted_record_ids": ids,
            "seconds": {"leaked": round(t_leaked, 1), "brokers_csv": round(t_csv, 1),
                        "total": round(time.perf_counter() - t0, 1)},
        }
        manifest_path(out, size).write_text(json.dumps(manifests[size]), encoding="utf-8")
        manifests[size]["cached"] = False
    return manifests


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--leaked", type=parse_count, default=100_000, help="leaked records (e.g. 10M)")
    ap.add_argument("--sizes", default="100k", help="broker rows per file, comma-separated (e.g. 10M,50M)")
    ap.add_argument("--formats", default="csv", help=f"comma-separated subset of {','.join(FORMATS)}")
    ap.add_argument("--survivors", type=float, default=0.01, help="share of broker rows planted from the leak")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--chunk", type=parse_count, default=CHUNK_ROWS, help="rows generated per step")
    ap.add_argument("--force", action="store_true", help="regenerate even if the files are there")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/out/data"))
    a = ap.parse_args()
    sizes = [parse_count(s) for s in a.sizes.split(",")]
    formats = [f.strip() for f in a.formats.split(",")]
    manifests = generate(a.out, a.leaked, sizes, formats=formats, survivors=a.survivors, seed=a.seed,
                         chunk=a.chunk, force=a.force)
    for size, m in manifests.items():
        print(json.dumps({"broker_rows": size, "survivors": m["survivors"], "cached": m["cached"],
                          "seconds": m["seconds"]}))


if __name__ == "__main__":
    main()
