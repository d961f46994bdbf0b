"""Seconds per field to normalise 1M realistic rows (not collected by pytest).

Run from the repository root:

    PYTHONPATH=src python tests/normalise/bench_normalise.py [--rows 1000000]

Values are sampled (vectorised) from a few thousand Faker ja_JP values and
notation variants of them (full-width digits, kanji numerals, +81, postal
prefixes), so the per-row work is realistic while generation stays cheap.
"""

from __future__ import annotations

import argparse
import platform
import random
import time

import numpy as np
import polars as pl
from faker import Faker

from verifydel.normalise import field_expr

_FULL_WIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")
_KANJI = str.maketrans("0123456789", "〇一二三四五六七八九")


def _pools(size: int, seed: int) -> dict[str, list[str]]:
    fake = Faker("ja_JP")
    Faker.seed(seed)
    rnd = random.Random(seed)
    addresses, names, kana, phones = [], [], [], []
    postals, emails, births = [], [], []
    for _ in range(size):
        address = fake.address()
        style = rnd.random()
        if style < 0.2:
            address = address.translate(_FULL_WIDTH)
        elif style < 0.3:
            address = address.translate(_KANJI)
        elif style < 0.5:
            address = f"〒{fake.postcode()} {address}"
        addresses.append(address)
        name = fake.name()
        names.append(name + ("様" if rnd.random() < 0.1 else ""))
        kana.append(fake.kana_name() if rnd.random() < 0.5 else fake.first_kana_name())
        phone = fake.phone_number()
        style = rnd.random()
        if style < 0.2:
            phone = "+81-" + phone[1:]
        elif style < 0.4:
            phone = phone.replace("-", "")
        elif style < 0.5:
            phone = phone.translate(_FULL_WIDTH)
        phones.append(phone)
        postals.append(fake.postcode() if rnd.random() < 0.7 else "〒" + fake.postcode())
        emails.append(fake.email() if rnd.random() < 0.8 else fake.email().upper())
        born = fake.date_of_birth(minimum_age=18, maximum_age=90)
        kanji_date = f"{born.year}年{born.month}月{born.day}日"
        births.append(rnd.choice([born.isoformat(), born.strftime("%Y/%m/%d"), kanji_date]))
    return {
        "address": addresses, "name": names, "name_kana": kana, "phone": phones,
        "postal": postals, "email": emails, "birth_date": births,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--pool", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs per field")
    args = parser.parse_args()
    pools = _pools(args.pool, seed=1)
    idx = np.random.default_rng(0).integers(0, args.pool, args.rows)
    frame = pl.DataFrame({k: pl.Series(k, v, dtype=pl.String)[idx] for k, v in pools.items()})
    machine = platform.processor() or platform.machine()
    print(f"{args.rows} rows, polars {pl.__version__}, threads {pl.thread_pool_size()}, {machine}")
    start = time.perf_counter()
    frame.head(10).select(field_expr(f, [pl.col(f)]) for f in pools)  # builds the tables
    print(f"first use (building the literal tables): {time.perf_counter() - start:.2f} s")
    total = 0.0
    for field in pools:
        seconds = float("inf")
        for _ in range(args.repeat):
            start = time.perf_counter()
            out = frame.select(field_expr(field, [pl.col(field)]))
            seconds = min(seconds, time.perf_counter() - start)
        total += seconds
        nulls = out.to_series().null_count()
        rate = args.rows / seconds / 1e6
        print(f"{field:10s} {seconds:6.2f} s   ({rate:5.2f} M rows/s, nulls {nulls})")
    start = time.perf_counter()
    frame.select(field_expr(f, [pl.col(f)]) for f in pools)
    together = time.perf_counter() - start
    print(f"all {len(pools)} in one select: {together:.2f} s (sum of the above {total:.2f} s)")


if __name__ == "__main__":
    main()
