"""The small benchmark children run.py starts, each in its own process (see _childkit.py).

    python benchmarks/children.py cli scan broker.csv --pack P --key K --json R -q
    python benchmarks/children.py floor broker.csv --format csv
    python benchmarks/children.py load P K

- ``cli``: the real ``verifydel`` command, unchanged, plus its peak RSS at exit.
- ``floor``: polars reading the same file and nothing else, in the batches
  verifydel reads (``scan_csv``/``scan_parquet`` ``.collect_batches``, every
  column as String). CP932 is first transcoded with Python's codec (polars
  reads UTF-8 only), as the plain way to do it.
- ``load``: ``verifydel.scan.load_pack`` timed, and the memory the loaded pack
  holds (RSS after the load minus RSS before it).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _childkit import report_peak_at_exit, report_result, rss_kib, transcode_to_utf8  # noqa: E402

#: Rows per batch of the floor: verifydel.core.table.BATCH_ROWS when this was written.
FLOOR_BATCH_ROWS = 200_000


def _cli(args: list[str]) -> None:
    from verifydel.cli import main

    sys.argv = ["verifydel", *args]
    main()


def _read_all(path: Path, fmt: str) -> int:
    import polars as pl

    if fmt == "parquet":
        lf = pl.scan_parquet(path)
        lf = lf.select(pl.all().cast(pl.String))
    else:
        with open(path, encoding="utf-8") as f:
            header = f.readline().rstrip("\r\n").lstrip("\ufeff").split(",")
        lf = pl.scan_csv(path, has_header=False, skip_rows=1, schema=dict.fromkeys(header, pl.String))
    rows = 0
    for batch in lf.collect_batches(chunk_size=FLOOR_BATCH_ROWS):
        rows += batch.height
    return rows


def _floor(path: Path, fmt: str) -> None:
    t = time.perf_counter()
    decode_s = 0.0
    if fmt == "cp932":
        with tempfile.TemporaryDirectory(prefix="vdbench-") as tmp:
            copy = Path(tmp) / "utf8.csv"
            transcode_to_utf8(path, copy)
            decode_s = time.perf_counter() - t
            rows = _read_all(copy, "csv")
    else:
        rows = _read_all(path, fmt)
    report_result({"rows": rows, "decode_s": decode_s, "seconds": time.perf_counter() - t})


def _load(pack: Path, key: Path) -> None:
    from verifydel.fingerprint.keys import read_key
    from verifydel.scan import load_pack

    secret = read_key(key)
    before = rss_kib()
    t = time.perf_counter()
    loaded = load_pack(pack, secret)
    seconds = time.perf_counter() - t
    report_result(
        {"seconds": seconds, "records": loaded.header.records, "pack_rss_kib": rss_kib() - before,
         "pack_bytes": pack.stat().st_size}
    )


def main() -> None:
    report_peak_at_exit()
    if len(sys.argv) > 1 and sys.argv[1] == "cli":
        _cli(sys.argv[2:])
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="what", required=True)
    floor = sub.add_parser("floor")
    floor.add_argument("path", type=Path)
    floor.add_argument("--format", choices=("csv", "cp932", "parquet"), default="csv")
    load = sub.add_parser("load")
    load.add_argument("pack", type=Path)
    load.add_argument("key", type=Path)
    a = ap.parse_args()
    if a.what == "floor":
        _floor(a.path, a.format)
    else:
        _load(a.pack, a.key)


if __name__ == "__main__":
    main()
