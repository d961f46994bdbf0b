"""Seconds to normalise 1M realistic rows (not collected by pytest).

Run from the repository root:

    PYTHONPATH=src python tests/normalise/bench_normalise.py [--rows 1000000] [--fields] [--batch]

``--fields`` (the default when neither is given): each field's expression
(``field_expr``) on 1M values sampled (vectorised) from a few thousand Faker
ja_JP values and notation variants of them (full-width digits, kanji
numerals, +81, postal prefixes), so the per-row work is realistic while
generation stays cheap.

``--readings``: the reading keys (``normalise.reading.reading_keys``) on 1M
kanji names (no key), kana readings, romaji names (Faker's, given name first,
some upper-case, some with macrons or "oh"), then ``normalise_batch`` of a
氏名 + フリガナ table with and without the readings.

``--batch``: ``normalise_batch`` against ``normalise_batch_reference`` on the
benchmark generator's broker table (姓, 名 / 都道府県, 市区町村, 番地, 建物 /
TEL; ``--broker-csv`` or generated into ``--data``), as the scan calls it:
one call on all rows, batches of 200,000 one after the other, and batches on
two threads. "cold" is the first pass with the caches emptied, "warm" the
best of ``--repeat`` passes after it. Both outputs are compared (they must be
equal) before anything is timed.
"""

from __future__ import annotations

import argparse
import importlib.util
import platform
import random
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import polars as pl
from faker import Faker

from verifydel.normalise import field_expr
from verifydel.normalise.batch import clear_caches, normalise_batch, normalise_batch_reference

BROKER_COLUMNS = {
    "name": ["姓", "名"], "address": ["都道府県", "市区町村", "番地", "建物"], "phone": ["TEL"],
}  # fmt: skip
BATCH_ROWS = 200_000

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


def bench_fields(args: argparse.Namespace) -> None:
    pools = _pools(args.pool, seed=1)
    idx = np.random.default_rng(0).integers(0, args.pool, args.rows)
    frame = pl.DataFrame({k: pl.Series(k, v, dtype=pl.String)[idx] for k, v in pools.items()})
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


_MACRONS = str.maketrans({"o": "ō", "u": "ū"})


def bench_readings(args: argparse.Namespace) -> None:
    from verifydel.normalise.reading import reading_keys

    fake = Faker("ja_JP")
    Faker.seed(2)
    rnd = random.Random(2)
    kanji, kana, romaji = [], [], []
    for _ in range(args.pool):
        kanji.append(fake.name())
        kana.append(fake.kana_name())
        name = fake.romanized_name()
        style = rnd.random()
        if style < 0.3:
            name = name.upper()
        elif style < 0.4:
            name = name.translate(_MACRONS)
        elif style < 0.5:
            name = name.replace("o ", "oh ")
        romaji.append(name)
    idx = np.random.default_rng(0).integers(0, args.pool, args.rows)
    frame = pl.DataFrame({k: pl.Series(k, v, dtype=pl.String)[idx] for k, v in
                          (("kanji", kanji), ("kana", kana), ("romaji", romaji))})
    start = time.perf_counter()
    frame.head(10).select(reading_keys(pl.col("kana")))
    print(f"first use (building the reading tables): {time.perf_counter() - start:.2f} s")
    for column in frame.columns:
        for label, expr in (("name_kana (katakana)", field_expr("name_kana", [pl.col(column)])),
                            ("reading_keys", reading_keys(pl.col(column)))):
            seconds = min(_timed(lambda: frame.select(expr))[0] for _ in range(args.repeat))
            nulls = frame.select(expr).to_series().null_count()
            print(f"{column:7s} {label:22s} {seconds:6.2f} s  ({args.rows / seconds / 1e6:5.2f} M rows/s, nulls {nulls})")
    table = pl.DataFrame({"氏名": frame["kanji"], "フリガナ": frame["kana"], "romaji": frame["romaji"]})
    for label, cols in (
        ("kanji 氏名 only", {"name": ["氏名"]}),
        ("kanji 氏名 + フリガナ", {"name": ["氏名"], "name_kana": ["フリガナ"]}),
        ("romaji 氏名 + フリガナ", {"name": ["romaji"], "name_kana": ["フリガナ"]}),
    ):
        for how, run in (("1 call", lambda: normalise_batch(table, cols)),
                         ("batches", lambda: [normalise_batch(table.slice(i, BATCH_ROWS), cols)
                                              for i in range(0, table.height, BATCH_ROWS)])):
            clear_caches()
            cold, _ = _timed(run)
            warm = min(_timed(run)[0] for _ in range(args.repeat))
            print(f"normalise_batch {label:30s} {how:8s} cold {cold:6.2f} s  warm {warm:6.2f} s")


def broker_frame(args: argparse.Namespace) -> pl.DataFrame:
    """The generator's broker table: ``--broker-csv``, or generated into ``--data``."""
    path = args.broker_csv
    if path is None:
        root = Path(__file__).resolve().parents[2]
        spec = importlib.util.spec_from_file_location(
            "bench_generate", root / "benchmarks" / "generate.py"
        )
        assert spec is not None and spec.loader is not None
        generate = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(generate)
        generate.generate(args.data, 100_000, [args.rows])
        path = generate.broker_path(args.data, args.rows, "csv")
    return pl.read_csv(path, infer_schema=False, n_rows=args.rows)


def _timed(run: Callable[[], object]) -> tuple[float, float]:
    """(wall, CPU) seconds of one run; CPU counts every thread of the process."""
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - wall, time.process_time() - cpu


def bench_batch(args: argparse.Namespace) -> None:
    frame = broker_frame(args)
    batches = [frame.slice(i, BATCH_ROWS) for i in range(0, frame.height, BATCH_ROWS)]
    print(f"broker frame: {frame.height} rows, {len(batches)} batches of {BATCH_ROWS}")
    for part in batches:  # the same output, row for row, before any timing
        fast = normalise_batch(part, BROKER_COLUMNS)
        if not fast.equals(normalise_batch_reference(part, BROKER_COLUMNS)):
            raise SystemExit("normalise_batch differs from normalise_batch_reference")

    def one_call(normalise: Callable[..., pl.DataFrame]) -> Callable[[], object]:
        return lambda: normalise(frame, BROKER_COLUMNS)

    def sequential(normalise: Callable[..., pl.DataFrame]) -> Callable[[], object]:
        return lambda: [normalise(b, BROKER_COLUMNS) for b in batches]

    def two_threads(normalise: Callable[..., pl.DataFrame]) -> Callable[[], object]:
        def run() -> object:
            with ThreadPoolExecutor(2) as pool:
                return list(pool.map(lambda b: normalise(b, BROKER_COLUMNS), batches))

        return run

    per_million = 1_000_000 / frame.height
    print(f"{'':34s} {'cold wall':>10s} {'warm wall':>10s} {'warm CPU':>10s}   (s per 1M rows)")
    for label, normalise in (
        ("reference", normalise_batch_reference),
        ("normalise_batch", normalise_batch),
    ):
        for how, make in (
            ("1 call", one_call),
            ("batches, 1 thread", sequential),
            ("batches, 2 threads", two_threads),
        ):
            clear_caches()
            cold, _ = _timed(make(normalise))
            warm = min((_timed(make(normalise)) for _ in range(args.repeat)), key=lambda t: t[0])
            print(
                f"{label:16s} {how:17s} {cold * per_million:10.2f} {warm[0] * per_million:10.2f} "
                f"{warm[1] * per_million:10.2f}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--pool", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs")
    parser.add_argument("--fields", action="store_true", help="each field_expr on sampled values")
    parser.add_argument("--batch", action="store_true", help="normalise_batch on the broker table")
    parser.add_argument("--readings", action="store_true", help="reading keys: kanji, kana, romaji")
    parser.add_argument(
        "--broker-csv", type=Path, help="a broker table with the generator's columns"
    )
    parser.add_argument(
        "--data", type=Path, default=Path("/tmp/normbench"), help="where to generate it"
    )
    args = parser.parse_args()
    machine = platform.processor() or platform.machine()
    print(f"{args.rows} rows, polars {pl.__version__}, threads {pl.thread_pool_size()}, {machine}")
    if args.fields or not (args.batch or args.readings):
        bench_fields(args)
    if args.readings:
        bench_readings(args)
    if args.batch:
        bench_batch(args)


if __name__ == "__main__":
    main()
