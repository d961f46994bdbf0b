"""Fast, vectorised generator of large realistic inputs for the benchmarks.

Not Faker per row: Faker ja_JP only supplies the pools (surnames with readings,
given names, prefectures, cities, towns, building names); rows are drawn with
numpy and assembled with polars expressions. Broker files get the demo's
reformattings (no prefecture, kanji numerals, 1-2-3 vs 丁目番号, +81 and
full-width phones, spaces and honorifics in names) on the planted survivors.

    python benchmarks/generate.py --leaked 1000000 --broker 1000000 --out benchmarks/out/1m
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import polars as pl
from faker.providers.address.ja_JP import Provider as AddressProvider
from faker.providers.person.ja_JP import Provider as PersonProvider

_KANJI_DIGITS = "〇一二三四五六七八九"


def _kanji_number(n: int) -> str:
    if n < 10:
        return _KANJI_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _KANJI_DIGITS[tens]) + "十" + ("" if ones == 0 else _KANJI_DIGITS[ones])


KANJI_NUMBERS = {str(i): _kanji_number(i) for i in range(1, 100)}
FULLWIDTH = {str(d): chr(0xFF10 + d) for d in range(10)} | {"-": "－"}


def _pools() -> dict[str, list[str]]:
    surnames = list(PersonProvider.last_name_pairs)
    given = list(PersonProvider.first_name_pairs)
    return {
        "surname": [s[0] for s in surnames],
        "surname_kana": [s[1] for s in surnames],
        "given": [g[0] for g in given],
        "given_kana": [g[1] for g in given],
        "pref": list(AddressProvider.prefectures),
        "city": list(AddressProvider.cities),
        "town": list(AddressProvider.towns),
        "building": list(AddressProvider.building_names),
    }


def _people(n: int, rng: np.random.Generator, phone_offset: int, gou: tuple[int, int] = (1, 30)) -> pl.DataFrame:
    p = _pools()
    si = rng.integers(0, len(p["surname"]), n)
    gi = rng.integers(0, len(p["given"]), n)
    # Unique phones: a random permutation slice of the 11-digit mobile space, offset per set.
    serial = rng.permutation(n).astype(np.int64) * 7919 % 100_000_000
    prefix = rng.choice(np.array(["090", "080", "070"]), n)
    return pl.DataFrame(
        {
            "surname": np.array(p["surname"])[si],
            "given": np.array(p["given"])[gi],
            "surname_kana": np.array(p["surname_kana"])[si],
            "given_kana": np.array(p["given_kana"])[gi],
            "pref": np.array(p["pref"])[rng.integers(0, len(p["pref"]), n)],
            "city": np.array(p["city"])[rng.integers(0, len(p["city"]), n)],
            "town": np.array(p["town"])[rng.integers(0, len(p["town"]), n)],
            "chome": rng.integers(1, 10, n),
            "ban": rng.integers(1, 40, n),
            "gou": rng.integers(gou[0], gou[1], n),
            "building": np.array(p["building"])[rng.integers(0, len(p["building"]), n)],
            "room": rng.integers(101, 1000, n),
            "has_building": rng.random(n) < 0.3,
            "phone_prefix": prefix,
            "phone_serial": (serial + phone_offset) % 100_000_000,
        }
    )


def _leaked_columns(df: pl.DataFrame) -> pl.DataFrame:
    serial = pl.col("phone_serial").cast(pl.String).str.zfill(8)
    building = pl.when(pl.col("has_building")).then(
        pl.concat_str([pl.lit(" "), pl.col("building"), pl.col("room").cast(pl.String)])
    ).otherwise(pl.lit(""))
    return df.select(
        pl.format("C{}", pl.int_range(1, pl.len() + 1).cast(pl.String).str.zfill(8)).alias("顧客ID"),
        pl.concat_str([pl.col("surname"), pl.lit(" "), pl.col("given")]).alias("氏名"),
        pl.concat_str([pl.col("surname_kana"), pl.lit(" "), pl.col("given_kana")]).alias("フリガナ"),
        pl.concat_str(
            [pl.col("pref"), pl.col("city"), pl.col("town"),
             pl.col("chome").cast(pl.String), pl.lit("丁目"), pl.col("ban").cast(pl.String), pl.lit("番"),
             pl.col("gou").cast(pl.String), pl.lit("号"), building]
        ).alias("住所"),
        pl.concat_str([pl.col("phone_prefix"), pl.lit("-"), serial.str.slice(0, 4), pl.lit("-"), serial.str.slice(4, 4)]).alias("電話番号"),
    )


def _broker_columns(df: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Split columns and mixed notations, chosen per row by a style number."""
    n = df.height
    style = pl.Series("style", rng.integers(0, 4, n))
    serial = pl.col("phone_serial").cast(pl.String).str.zfill(8)
    digits = pl.concat_str([pl.col("phone_prefix"), serial])
    phone = (
        pl.when(pl.col("style") == 0).then(digits)
        .when(pl.col("style") == 1).then(pl.concat_str([pl.lit("+81-"), pl.col("phone_prefix").str.slice(1), pl.lit("-"), serial.str.slice(0, 4), pl.lit("-"), serial.str.slice(4, 4)]))
        .when(pl.col("style") == 2).then(pl.concat_str([pl.col("phone_prefix"), pl.lit("-"), serial.str.slice(0, 4), pl.lit("-"), serial.str.slice(4, 4)]).str.replace_many(FULLWIDTH))
        .otherwise(pl.concat_str([pl.lit("("), pl.col("phone_prefix"), pl.lit(")"), serial.str.slice(0, 4), pl.lit("-"), serial.str.slice(4, 4)]))
    )
    num = lambda c: pl.col(c).cast(pl.String)  # noqa: E731
    kanji = lambda c: pl.col(c).cast(pl.String).replace_strict(KANJI_NUMBERS)  # noqa: E731
    block = (
        pl.when(pl.col("style") == 0).then(pl.concat_str([num("chome"), pl.lit("-"), num("ban"), pl.lit("-"), num("gou")]))
        .when(pl.col("style") == 1).then(pl.concat_str([kanji("chome"), pl.lit("丁目"), kanji("ban"), pl.lit("番"), kanji("gou"), pl.lit("号")]))
        .when(pl.col("style") == 2).then(pl.concat_str([num("chome"), pl.lit("-"), num("ban"), pl.lit("-"), num("gou")]).str.replace_many(FULLWIDTH))
        .otherwise(pl.concat_str([num("chome"), pl.lit("丁目"), num("ban"), pl.lit("の"), num("gou")]))
    )
    return df.with_columns(style).select(
        pl.col("surname").alias("姓"),
        pl.when(pl.col("style") == 3).then(pl.concat_str([pl.col("given"), pl.lit("様")])).otherwise(pl.col("given")).alias("名"),
        pl.when(pl.col("style") == 0).then(pl.lit(None, dtype=pl.String)).otherwise(pl.col("pref")).alias("都道府県"),
        pl.concat_str([pl.col("city"), pl.col("town")]).alias("市区町村"),
        block.alias("番地"),
        pl.when(pl.col("has_building")).then(pl.concat_str([pl.col("building"), pl.col("room").cast(pl.String)])).alias("建物"),
        phone.alias("TEL"),
    )


def generate(leaked: int, broker: int, out: Path, *, survivors: float = 0.01, seed: int = 7,
             cp932: bool = False, parquet: bool = False) -> dict[str, object]:
    """Write leaked.csv and broker.csv (+ broker_cp932.csv, broker.parquet); returns the manifest."""
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    people = _people(leaked, rng, phone_offset=0)
    _leaked_columns(people).write_csv(out / "leaked.csv")
    k = min(int(broker * survivors), leaked)
    planted_idx = np.sort(rng.choice(leaked, k, replace=False))
    # Fresh people get phones (050) and house numbers (号 30-59) no leaked record has, so that
    # no fresh row can agree with a leaked one on two fields by chance: every strong match is planted.
    fresh = _people(broker - k, rng, phone_offset=50_000_000, gou=(30, 60))
    fresh = fresh.with_columns(pl.lit("050").alias("phone_prefix"))  # 050 numbers: never in the leak
    both = pl.concat([people[planted_idx].with_columns(pl.lit(True).alias("_planted")),
                      fresh.with_columns(pl.lit(False).alias("_planted"))])
    order = rng.permutation(both.height)
    both = both[order]
    planted_rows = (np.nonzero(both["_planted"].to_numpy())[0] + 1).tolist()
    frame = _broker_columns(both.drop("_planted"), rng)
    frame.write_csv(out / "broker.csv")
    if cp932:
        _write_cp932(out / "broker.csv", out / "broker_cp932.csv")
    if parquet:
        frame.write_parquet(out / "broker.parquet")
    manifest = {
        "leaked_rows": leaked, "broker_rows": broker, "survivors": k, "seed": seed,
        "planted_record_ids": [f"C{i + 1:08d}" for i in planted_idx.tolist()],
        "planted_rows": planted_rows, "seconds": round(time.perf_counter() - t0, 2),
    }
    (out / "manifest.json").write_text(json.dumps(manifest))
    return manifest


def _write_cp932(src: Path, dst: Path) -> None:
    with open(src, encoding="utf-8") as fi, open(dst, "w", encoding="cp932", newline="") as fo:
        while chunk := fi.read(1 << 22):
            fo.write(chunk)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--leaked", type=int, default=100_000)
    ap.add_argument("--broker", type=int, default=100_000)
    ap.add_argument("--survivors", type=float, default=0.01, help="share of broker rows planted from the leak")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--cp932", action="store_true")
    ap.add_argument("--parquet", action="store_true")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/out/data"))
    a = ap.parse_args()
    m = generate(a.leaked, a.broker, a.out, survivors=a.survivors, seed=a.seed, cp932=a.cp932, parquet=a.parquet)
    print(json.dumps({k: v for k, v in m.items() if not k.startswith("planted")}))


if __name__ == "__main__":
    main()
