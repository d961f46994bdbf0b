"""The value cache's lookup cost against a full table (``verifydel.normalise._cache``).

A long scan fills the caches (the address heads' up to 1M entries): what a lookup of one
batch costs then is what every later batch pays. Fills a cache with --kept values, then
looks up batches of --batch values (three quarters kept values, one quarter new) and
prints the CPU milliseconds per lookup.

    PYTHONPATH=src python benchmarks/value_cache.py
"""

from __future__ import annotations

import argparse
import time

import polars as pl

from verifydel.normalise._cache import ValueCache


def _compute(values: pl.Series) -> pl.DataFrame:
    return pl.DataFrame({"upper": values.str.to_uppercase(), "bytes": values.str.len_bytes()})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kept", type=int, default=1_000_000)
    ap.add_argument("--batch", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=10)
    a = ap.parse_args(argv)
    cache = ValueCache(_compute, max_entries=a.kept + a.rounds * a.batch)
    kept = [f"兵庫県豊岡市加広町{i}" for i in range(a.kept)]
    for start in range(0, a.kept, a.batch):
        cache.lookup(pl.Series(kept[start : start + a.batch]))
    quarter = a.batch // 4
    batches = [
        pl.Series(kept[k * quarter : (k + 1) * quarter] * 3 + [f"new {k} {j}" for j in range(a.batch - 3 * quarter)])
        for k in range(a.rounds)
    ]
    started = time.process_time()
    for values in batches:
        cache.lookup(values)
    ms = (time.process_time() - started) * 1000 / a.rounds
    print(f"{a.batch:,} values a lookup against {a.kept:,} kept: {ms:.1f} ms CPU per lookup")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
