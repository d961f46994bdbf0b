"""scan --cluster against a local scan: one folder of mixed sources, three runs, the same report.

The folder (written to --out, outside the repository) holds what a broker's backup holds,
about --mb megabytes in all: a broker table as CSV (UTF-8) and as CP932 CSV, the same rows as
a mysqldump (INSERT statements) and as a SQLite database, and a disk image (random bytes
with the leak's phones planted here and there). The leak (benchmarks/generate.py) is
fingerprinted once. Then, each as a CLI child with the same sources and options:

1. ``verifydel scan FOLDER`` (local: one process, every core for batch work);
2. ``verifydel scan FOLDER --cluster local:1`` (one worker process);
3. ``verifydel scan FOLDER --cluster local:2`` (two worker processes);

and every report is compared with the local one (timestamps, durations and the command line
aside): a run that differs fails the benchmark. Separately, the scheduler's overhead per
unit: a folder of --tiny tiny CSV files scanned locally and on ``local:1``, and the cost of
starting and stopping a LocalCluster alone.

    python benchmarks/cluster.py --mb 2048 --out /tmp/vd-cluster   # the RESULTS.md run
    python benchmarks/cluster.py --smoke                             # tiny, seconds: CI
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from generate import generate  # noqa: E402

COLUMNS = ["顧客ID", "姓", "名", "住所", "電話番号"]


def _cli(*args: str) -> tuple[float, int]:
    t = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "verifydel.cli", *args], capture_output=True, text=True)
    if done.returncode not in (0, 3, 4):
        sys.stderr.write(done.stderr)
        raise SystemExit(f"verifydel {args[0]} failed ({done.returncode})")
    return time.perf_counter() - t, done.returncode


def _sql_dump(frame: pl.DataFrame, path: Path) -> None:
    """A mysqldump-style file: CREATE TABLE, then INSERTs of 1,000 rows each (vectorised)."""
    cols = frame.columns
    quoted = frame.select(
        pl.concat_str(
            [pl.lit("'") + pl.col(c).fill_null("").str.replace_all("'", "''", literal=True) + pl.lit("'") for c in cols],
            separator=",",
        ).alias("v")
    )["v"]
    with open(path, "w", encoding="utf-8") as out:
        out.write("-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)\n\n")
        out.write("CREATE TABLE `customers` (\n" + ",\n".join(f"  `{c}` varchar(255)" for c in cols) + "\n);\n\n")
        for start in range(0, len(quoted), 1000):
            rows = quoted.slice(start, 1000)
            out.write("INSERT INTO `customers` VALUES (" + "),(".join(rows.to_list()) + ");\n")


def _sqlite(frame: pl.DataFrame, path: Path) -> None:
    path.unlink(missing_ok=True)
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE customers (" + ", ".join(f'"{c}" TEXT' for c in frame.columns) + ")")
        db.executemany(f"INSERT INTO customers VALUES ({','.join('?' * frame.width)})", frame.iter_rows())
    db.close()


def _disk_image(path: Path, size: int, phones: list[str], seed: int = 5) -> int:
    """Random bytes (no byte '0': no stray phone) with ``phones`` planted every few MB."""
    rng = np.random.default_rng(seed)
    chunk = 8 << 20
    planted = 0
    with open(path, "wb") as out:
        for start in range(0, size, chunk):
            data = bytearray(rng.integers(0, 256, min(chunk, size - start), dtype=np.uint8).tobytes().replace(b"0", b"a"))
            for k in range(0, len(data) - 64, 1 << 20):  # one phone a MB
                raw = phones[planted % len(phones)].encode("utf-8")
                data[k + 500 : k + 500 + len(raw)] = raw
                planted += 1
            out.write(data)
    return planted


def make_folder(out: Path, mb: int) -> tuple[Path, Path, dict[str, Any]]:
    """The leak, the pack's inputs and the broker folder of about ``mb`` MB (reused when there)."""
    data = out / "data"
    folder = out / "broker"
    stamp = out / f"folder-{mb}.json"
    # each table format gets ~1/5 of the bytes; a CSV row is ~110 bytes
    rows = max(2_000, mb * (1 << 20) // 5 // 110)
    leaked = max(1_000, rows // 10)
    generate(data, leaked, [rows], formats=["csv", "cp932"])
    if stamp.exists():
        return data / "leaked.csv", folder, json.loads(stamp.read_text())
    folder.mkdir(parents=True, exist_ok=True)
    csv = next(data.glob("broker-*.csv"))
    cp932 = next(p for p in data.glob("broker-*.cp932.csv"))
    for src, name in ((csv, "customers.csv"), (cp932, "customers_sjis.csv")):
        target = folder / name
        target.unlink(missing_ok=True)
        os.link(src, target)
    frame = pl.read_csv(csv, infer_schema=False)
    _sql_dump(frame, folder / "customers.sql")
    _sqlite(frame, folder / "customers.db")
    phones = pl.read_csv(data / "leaked.csv", infer_schema=False)["電話番号"].head(500).to_list()
    # the disk image tops the folder up to the asked size (the tables' rows are an estimate)
    tables = sum(p.stat().st_size for p in folder.iterdir() if p.name != "disk.img")
    image_bytes = max(mb * 1_000_000 - tables, mb * 1_000_000 // 5, 1 << 20)
    planted = _disk_image(folder / "disk.img", image_bytes, phones)
    info = {"rows": rows, "leaked": leaked, "image_phones": planted,
            "bytes": {p.name: p.stat().st_size for p in sorted(folder.iterdir())}}  # fmt: skip
    stamp.write_text(json.dumps(info))
    return data / "leaked.csv", folder, info


def _comparable(path: Path) -> dict[str, Any]:
    report = json.loads(path.read_text(encoding="utf-8"))
    for key in ("started_at", "finished_at", "run"):
        report.pop(key, None)
    for s in report["sources"]:
        s.pop("seconds", None)
    return report


def _cluster_start_seconds(workers: int) -> float:
    code = (
        "import time; t=time.perf_counter()\n"
        "from verifydel.cluster.client import ClusterSpec, connect\n"
        f"with connect(ClusterSpec.parse('local:{workers}')) as c: c.wait_for_workers({workers})\n"
        "print(time.perf_counter()-t)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=int, default=2048, help="size of the mixed folder in MB (default 2048)")
    ap.add_argument("--tiny", type=int, default=200, help="tiny files for the per-unit overhead")
    ap.add_argument("--out", type=Path, default=Path("/tmp/verifydel-cluster-bench"))
    ap.add_argument("--smoke", action="store_true", help="a few MB, every step, seconds (CI)")
    a = ap.parse_args(argv)
    if a.smoke:
        a.mb, a.tiny = 4, 20
    a.out.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    leaked, folder, info = make_folder(a.out, a.mb)
    generated = time.perf_counter() - t
    key, pack = a.out / "bench.key", a.out / "bench.vdpack"
    if not key.exists():
        _cli("keygen", str(key))
    if not pack.exists():
        _cli("fingerprint", str(leaked), "--key", str(key), "--out", str(pack), "--id-column", "顧客ID")
    total = sum(info["bytes"].values())
    common = ["scan", str(folder), "--pack", str(pack), "--key", str(key), "--quiet"]
    runs: dict[str, dict[str, float]] = {}
    reports = {}
    for name, extra in (("local", []), ("local:1", ["--cluster", "local:1"]), ("local:2", ["--cluster", "local:2"])):
        report = a.out / f"report-{name.replace(':', '')}.json"
        report.unlink(missing_ok=True)
        seconds, code = _cli(*common, "--json", str(report), *extra)
        runs[name] = {"seconds": round(seconds, 1), "MB/s": round(total / seconds / 1e6, 1), "exit": code}
        reports[name] = _comparable(report)
        print(f"{name:8} {seconds:7.1f} s  {total / seconds / 1e6:6.1f} MB/s  exit {code}", flush=True)
    same = {name: reports[name] == reports["local"] for name in reports}
    # the scheduler's overhead per unit: many tiny files, local vs local:1, minus the cluster's start
    tiny = a.out / "tiny"
    tiny.mkdir(exist_ok=True)
    for i in range(a.tiny):
        (tiny / f"t{i:05d}.csv").write_text("電話番号,氏名\n03-1234-5678,x\n", encoding="utf-8")
    tiny_common = ["scan", str(tiny), "--pack", str(pack), "--key", str(key), "--quiet"]
    tiny_local, _ = _cli(*tiny_common)
    tiny_cluster, _ = _cli(*tiny_common, "--cluster", "local:1")
    start1 = _cluster_start_seconds(1)
    start2 = _cluster_start_seconds(2)
    per_unit = (tiny_cluster - start1 - tiny_local) / a.tiny
    result = {
        "mb": a.mb, "bytes": info["bytes"], "total_bytes": total, "generate_seconds": round(generated, 1),
        "runs": runs, "same_report": same, "cluster_start_seconds": {"local:1": round(start1, 1), "local:2": round(start2, 1)},
        "tiny": {"files": a.tiny, "local_seconds": round(tiny_local, 2), "local1_seconds": round(tiny_cluster, 2),
                 "overhead_per_unit_ms": round(per_unit * 1000, 1)},
        "cpus": os.cpu_count(),
    }  # fmt: skip
    (a.out / "cluster-results.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    if not all(same.values()):
        print("the cluster's report differs from the local scan's", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
