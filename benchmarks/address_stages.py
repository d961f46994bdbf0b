"""The address parser's cost per stage on one 住所 column of distinct addresses.

Addresses are drawn from the gazetteer's real (prefecture, municipality, town) triples
(the prefecture left out on 15 %), with block numbers in five notations and a building
and room on 30 %: nearly every value distinct, as in a broker's web-form export.

    PYTHONPATH=src python benchmarks/address_stages.py --rows 1000000

Prints, per stage, wall and CPU seconds per million rows, cold (empty caches) and warm
(the same values again: what a long scan's later batches see for the places they repeat).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import polars as pl

from verifydel.normalise import address as A
from verifydel.normalise.gazetteer import gazetteer


def addresses(rows: int, seed: int = 1) -> pl.Series:
    towns = gazetteer().towns
    rng = np.random.default_rng(seed)
    t = towns[rng.integers(0, towns.height, rows)]
    a, b, c = (pl.Series(rng.integers(lo, hi, rows)).cast(pl.String) for lo, hi in ((1, 9), (1, 40), (1, 30)))
    style = pl.Series(rng.integers(0, 5, rows))
    block = (
        pl.when(style == 0).then(a + "-" + b + "-" + c)
        .when(style == 1).then(a + "丁目" + b + "番" + c + "号")
        .when(style == 2).then(a + "丁目" + b + "-" + c)
        .when(style == 3).then(a + "ー" + b + "ー" + c)
        .otherwise(a + " " + b + "-" + c)
    )  # fmt: skip
    pref = pl.when(pl.Series(rng.random(rows)) < 0.15).then(pl.lit("")).otherwise(pl.col("prefecture"))
    building = pl.when(pl.Series(rng.random(rows)) < 0.3).then(
        pl.lit(" コーポ") + pl.Series(rng.integers(101, 909, rows)).cast(pl.String)
    ).otherwise(pl.lit(""))
    return t.select((pref + pl.col("municipality") + pl.col("town") + block + building).alias("住所")).to_series()


def _timed(fn):  # type: ignore[no-untyped-def]
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    args = ap.parse_args()
    values = addresses(args.rows)
    per = 1_000_000 / args.rows
    A.parse_addresses(values[:100])  # tables and automata built once per process
    head, tail = A._split(values)
    print(f"{args.rows:,} addresses: {values.n_unique():,} distinct, {head.n_unique():,} distinct heads, "
          f"{tail.n_unique():,} distinct tails")
    for label in ("cold", "warm"):
        if label == "cold":
            A.clear_address_caches()
        hc, tc, _ = A._caches()
        stages = [
            ("cut (leads, head, tail)", lambda: A._split(values)),
            ("heads (parse distinct + look up)", lambda: hc.lookup(head)),
            ("tails (parse distinct + look up)", lambda: tc.lookup(tail.fill_null(""))),
        ]
        for name, fn in stages:
            _, w, c = _timed(fn)
            print(f"{label:5} {name:34} wall {w * per:5.2f}  cpu {c * per:5.2f}  s per 1M rows")
        if label == "cold":
            A.clear_address_caches()
        _, w, c = _timed(lambda: A.parse_addresses(values))
        print(f"{label:5} {'parse_addresses end to end':34} wall {w * per:5.2f}  cpu {c * per:5.2f}  s per 1M rows")
    ref, w, c = _timed(lambda: A.parse_addresses(values, cached=False))
    print(f"      {'uncached (reference)':34} wall {w * per:5.2f}  cpu {c * per:5.2f}  s per 1M rows")


if __name__ == "__main__":
    main()
