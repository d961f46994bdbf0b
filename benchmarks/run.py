"""Benchmark: fingerprint N leaked rows, scan M broker rows; rows/s per stage and peak RSS.

    python benchmarks/run.py --leaked 1000000 --broker 1000000     # numbers for RESULTS.md
    python benchmarks/run.py --smoke                               # CI: tiny, proves it still runs

Stages are timed by driving the library's own stage functions batch by batch
(read → normalise → hash → match); the end-to-end numbers come from running the
real `verifydel` command in a child process. Every run checks that all planted
survivors were found: a fast wrong answer does not count.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).parent))
from generate import generate  # noqa: E402

from verifydel.fingerprint.keys import generate_secret, write_key  # noqa: E402
from verifydel.fingerprint.rows import combination_fingerprints, field_fingerprints  # noqa: E402
from verifydel.formats import open_tables  # noqa: E402
from verifydel.formats.columns import detect_columns  # noqa: E402
from verifydel.match.grade import grade  # noqa: E402
from verifydel.match.index import lookup  # noqa: E402
from verifydel.normalise.batch import ROW, normalise_batch  # noqa: E402
from verifydel.scan import load_pack  # noqa: E402
from verifydel.sources import expand  # noqa: E402


#: Runs the real CLI in a child and reports that child's own peak RSS (KiB) on its last stderr line.
#: VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forking parent across exec.
_WRAPPER = """
import atexit, re, sys
def _peak():
    status = open("/proc/self/status").read()
    print("PEAK_RSS_KIB", re.search(r"VmHWM:\\s+(\\d+)", status).group(1), file=sys.stderr)
atexit.register(_peak)
from verifydel.cli import main
sys.argv[0] = "verifydel"
main()
"""


def _run_cli(args: list[str]) -> tuple[float, int, subprocess.CompletedProcess[str]]:
    """Wall seconds and peak RSS (KiB) of one verifydel child process."""
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _WRAPPER, *args], capture_output=True, text=True)
    wall = time.perf_counter() - t
    peaks = [int(line.split()[1]) for line in proc.stderr.splitlines() if line.startswith("PEAK_RSS_KIB")]
    return wall, peaks[-1] if peaks else 0, proc


def _stages(broker: Path, pack) -> dict[str, float]:  # noqa: ANN001
    times = dict.fromkeys(("read", "normalise", "hash", "match"), 0.0)
    rows = 0
    (unit,) = [u for u in expand(str(broker))]
    t = time.perf_counter()
    tables = open_tables(unit)
    cols = None
    for table in tables:
        batches = iter(table.batches)
        while True:
            try:
                batch = next(batches)
            except StopIteration:
                break
            times["read"] += time.perf_counter() - t
            if cols is None:
                cols = {f: c for f, c in detect_columns(table.columns, batch, None).fields.items() if c}
            t = time.perf_counter()
            norm = normalise_batch(batch, cols)
            times["normalise"] += time.perf_counter() - t
            t = time.perf_counter()
            entries = combination_fingerprints(norm, pack.secret)
            times["hash"] += time.perf_counter() - t
            t = time.perf_counter()
            hits = lookup(entries, pack.contents)
            if hits.height:
                sub = norm.filter(pl.col(ROW).is_in(hits[ROW].unique().implode()))
                grade(hits, field_fingerprints(sub, pack.secret), pack.contents.records)
            times["match"] += time.perf_counter() - t
            rows += batch.height
            t = time.perf_counter()
    times["rows"] = rows
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--leaked", type=int, default=1_000_000)
    ap.add_argument("--broker", type=int, default=1_000_000)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/out"))
    ap.add_argument("--smoke", action="store_true", help="tiny sizes, for CI")
    a = ap.parse_args()
    if a.smoke:
        a.leaked, a.broker = 2_000, 2_000
    data = a.out / f"L{a.leaked}-B{a.broker}"
    t = time.perf_counter()
    manifest = generate(a.leaked, a.broker, data)
    gen_s = time.perf_counter() - t
    key = data / "bench.key"
    if key.exists():
        key.unlink()
    write_key(key, generate_secret())
    pack_path = data / "leaked.vdpack"

    fp_wall, fp_rss, proc = _run_cli(
        ["fingerprint", str(data / "leaked.csv"), "--key", str(key), "--out", str(pack_path), "--id-column", "顧客ID"]
    )
    if proc.returncode != 0:
        sys.exit(f"fingerprint failed: {proc.stderr}")
    from verifydel.fingerprint.keys import read_key

    t = time.perf_counter()
    pack = load_pack(pack_path, read_key(key))
    load_s = time.perf_counter() - t
    stages = _stages(data / "broker.csv", pack)

    report = data / "report.json"
    scan_wall, scan_rss, proc = _run_cli(
        ["scan", str(data / "broker.csv"), "--pack", str(pack_path), "--key", str(key), "--json", str(report), "-q"]
    )
    if proc.returncode not in (0, 3):
        sys.exit(f"scan failed ({proc.returncode}): {proc.stderr}")
    found = json.loads(report.read_text(encoding="utf-8"))
    strong_rows = {m["row"] for m in found["matches"] if m["strength"] == "strong"}
    missing = sorted(set(manifest["planted_rows"]) - strong_rows)
    extra = sorted(strong_rows - set(manifest["planted_rows"]))

    rows = stages.pop("rows")
    total = sum(stages.values())
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}, polars {pl.__version__}")
    print(f"generated {a.leaked:,} leaked + {a.broker:,} broker rows in {gen_s:.1f} s")
    print(f"fingerprint (CLI, end to end): {fp_wall:.2f} s = {a.leaked / fp_wall:,.0f} rows/s, peak RSS {fp_rss / 1024:.0f} MiB")
    print(f"pack: {pack_path.stat().st_size / 2**20:.1f} MiB on disk, load {load_s:.2f} s")
    print(f"scan (CLI, end to end):       {scan_wall:.2f} s = {a.broker / scan_wall:,.0f} rows/s, peak RSS {scan_rss / 1024:.0f} MiB")
    print("scan stages (in-process, same batches):")
    for name, s in stages.items():
        rate = rows / s if s else float("inf")
        print(f"  {name:<10} {s:7.2f} s  {rate:>14,.0f} rows/s  {100 * s / total:5.1f} %")
    print(f"planted survivors: {len(manifest['planted_rows']):,}, found strong: "
          f"{len(manifest['planted_rows']) - len(missing):,}, missed: {len(missing)}, strong non-planted: {len(extra)}")
    if missing or extra:
        sys.exit("FAIL: the scan's answer is wrong")


if __name__ == "__main__":
    main()
