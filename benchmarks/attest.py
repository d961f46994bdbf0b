"""The attestation tier's cost: fingerprint --attest-out, attest request, answer, finish, and the OPRF per core.

    python benchmarks/attest.py                         # 1M leaked, 1M broker rows (~10 min on 2 cores)
    python benchmarks/attest.py --leaked 100k --rows 100k   # while developing
    python benchmarks/attest.py --smoke                 # CI: 2k rows, seconds; exit 1 on a wrong answer

Each step runs the CLI in its own child process (wall time, CPU time, peak RSS, and the
cores other processes kept busy meanwhile: on a shared machine they slow the step down).
The answer is checked: every planted survivor (benchmarks/generate.py) found strong, no
other row strong, every row read. Then, in this process: scalar multiplications per
CPU-second on one thread (the per-core rate), on two threads (does libsodium release the
GIL? CPU/wall near 2 says yes) and the 10M-row estimate from the measured per-question
costs. Results: benchmarks/out/attest-latest.json and the lines for RESULTS.md on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from generate import broker_path, generate, parse_count, size_label  # noqa: E402

ID_COLUMN = "顧客ID"
#: Runs one command as a child and prints its peak RSS (KiB) and CPU seconds as JSON.
_MEASURE = (
    "import json, resource, subprocess, sys\n"
    "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
    "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "print(json.dumps({'rc': p.returncode, 'peak_kib': u.ru_maxrss, 'cpu_s': u.ru_utime + u.ru_stime,"
    " 'stdout': p.stdout[-3000:], 'stderr': p.stderr[-3000:]}))\n"
)


def _busy_cpu_seconds() -> float:
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _run(name: str, args: list[str], cwd: Path, ok: tuple[int, ...] = (0,)) -> dict[str, Any]:
    cmd = [sys.executable, "-c", _MEASURE, sys.executable, "-m", "verifydel", *args]
    busy, t = _busy_cpu_seconds(), time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, check=False)
    wall = time.perf_counter() - t
    busy = _busy_cpu_seconds() - busy
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    if got["rc"] not in ok:
        sys.exit(f"{name} failed (exit {got['rc']}):\n{got['stderr']}")
    result = {
        "step": name, "command": "verifydel " + " ".join(args), "wall_s": round(wall, 1), "cpu_s": round(got["cpu_s"], 1),
        "peak_rss_mib": round(got["peak_kib"] / 1024), "other_cores": round(max(0.0, busy - got["cpu_s"]) / wall, 2),
        "exit": got["rc"], "stdout": got["stdout"],
    }  # fmt: skip
    print(f"  {name}: {result['wall_s']} s wall, {result['cpu_s']} s CPU, {result['peak_rss_mib']} MiB, "
          f"others' cores {result['other_cores']}", flush=True)  # fmt: skip
    return result


def _check(report: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    doc = json.loads(report.read_text(encoding="utf-8"))
    strong = {m["row"] for m in doc["matches"] if m["strength"] == "strong"}
    planted = set(manifest["planted_rows"])
    ok = strong == planted and doc["summary"]["rows_scanned"] == manifest["broker_rows"]
    return {"ok": ok, "planted": len(planted), "strong_found": len(strong & planted), "other_strong": len(strong - planted),
            "rows_scanned": doc["summary"]["rows_scanned"]}  # fmt: skip


def _rates(n: int) -> dict[str, Any]:
    """Scalar multiplications: per CPU-second on one thread, and on two threads."""
    from verifydel.fingerprint import oprf

    points = oprf.hash_to_group_all([i.to_bytes(8, "little") for i in range(n)], workers=1)
    k = oprf.random_scalar()
    out: dict[str, Any] = {"n": n}
    for threads in (1, 2):
        c, t = time.process_time(), time.perf_counter()
        oprf.evaluate_all(k, points, workers=threads)
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        out[f"threads_{threads}"] = {"per_s_wall": round(n / wall), "per_cpu_s": round(n / cpu), "cpu_per_wall": round(cpu / wall, 2)}
    c = time.process_time()
    oprf.hash_to_group_all([i.to_bytes(8, "little") for i in range(n)], workers=1)
    out["hash_to_group_per_cpu_s"] = round(n / (time.process_time() - c))
    return out


def _gil_released() -> bool:
    """With a thread switch interval of 10 s, a thread that held the GIL through its scalar
    multiplications would keep this one from running until it finished."""
    from verifydel.fingerprint import oprf

    points = oprf.hash_to_group_all([i.to_bytes(8, "little") for i in range(20_000)], workers=1)
    old = sys.getswitchinterval()
    sys.setswitchinterval(10.0)
    try:
        with ThreadPoolExecutor(1) as pool:
            job = pool.submit(oprf.evaluate_all, oprf.random_scalar(), points, 1)
            time.sleep(0.05)
            ticks = 0
            while not job.done():
                ticks += 1
                time.sleep(0)
            return ticks > 100
    finally:
        sys.setswitchinterval(old)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--leaked", type=parse_count, default=1_000_000)
    ap.add_argument("--rows", type=parse_count, default=1_000_000, help="broker rows")
    ap.add_argument("--out", type=Path, default=HERE / "out")
    ap.add_argument("--smoke", action="store_true", help="2k leaked, 2k rows: proves it runs")
    a = ap.parse_args()
    if a.smoke:
        a.leaked = a.rows = 2_000
    data = a.out / f"data-attest-L{size_label(a.leaked)}-B{size_label(a.rows)}"
    work = a.out / "attest-run"
    work.mkdir(parents=True, exist_ok=True)
    for old in work.iterdir():
        old.unlink()
    print(f"data in {data} (reused when there)", flush=True)
    manifest = generate(data, a.leaked, [a.rows], formats=["csv"])[a.rows]
    broker = broker_path(data, a.rows, "csv")
    fingerprint = ["fingerprint", str(data / "leaked.csv"), "--key", "k.key", "--out", "p.vdpack",
                   "--id-column", ID_COLUMN, "--attest-out", "p.vdattest"]  # fmt: skip
    finish = ["attest", "finish", "a.vdans", "--state", "q.vdreq.state", "--pack", "p.vdattest", "--json", "r.json", "-q"]
    steps = [
        _run("keygen", ["keygen", str(work / "k.key")], work),
        _run("fingerprint --attest-out", fingerprint, work),
        _run("attest request", ["attest", "request", str(broker), "--out", "q.vdreq"], work),
        _run("attest answer", ["attest", "answer", "q.vdreq", "--key", "k.key", "--out", "a.vdans"], work),
        _run("attest finish", finish, work, ok=(3,)),
    ]
    by = {s["step"]: s for s in steps}
    answer = _check(work / "r.json", manifest)
    questions = json.loads((work / "k.key.ledger").read_text(encoding="utf-8").splitlines()[-1])["points"]
    rates = _rates(2_000 if a.smoke else 20_000)
    scale = 10_000_000 / a.rows
    request_finish = by["attest request"]["wall_s"] + by["attest finish"]["wall_s"]
    results = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; Python {platform.python_version()}, polars {pl.__version__}",
        "command": "python benchmarks/attest.py" + (" --smoke" if a.smoke else f" --leaked {a.leaked} --rows {a.rows}"),
        "leaked": a.leaked, "broker_rows": a.rows, "questions": questions, "steps": steps, "answer": answer,
        "rates": rates, "gil_released": _gil_released(),
        "request_plus_finish_s": round(request_finish, 1),
        "estimate_10M_rows": {
            "request_plus_finish_s": round(request_finish * scale), "answer_s": round(by["attest answer"]["wall_s"] * scale),
            "basis": "linear in the questions (distinct phones and addresses), from this run",
        },
    }  # fmt: skip
    (a.out / "attest-latest.json").write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    print(json.dumps({k: v for k, v in results.items() if k != "steps"}, indent=1, ensure_ascii=False))
    if not answer["ok"]:
        sys.exit(f"wrong answer: {answer}")


if __name__ == "__main__":
    main()
