"""verifydel's throughput per kind of source, over the test corpus built at a larger scale.

    python benchmarks/corpus.py                        # scale 100 (~100k rows per table): a few minutes on 2 cores
    python benchmarks/corpus.py --scale 2 --out /tmp/corpus-smoke --results /tmp/corpus-smoke/RESULTS.md

Builds the corpus of tests/corpus (every container, dump, database, office,
deleted-record, unstructured and hostile case; ``--scale`` multiplies the rows of
every table), then runs ``verifydel scan --json`` once per kind of source (once
per password/encoding the kind's cases need), each in a child process: wall
seconds, peak RSS, the rows the report says were scanned, the bytes of the
scanned files on disk. Rates are given on the wall time less the CLI's start-up
(interpreter, imports, pack load: measured once on an empty file). Every case's
answer key is checked against the report: a survivor missed or a decoy matched
is counted in the table. Cases whose reader is still being added (``pending``)
are measured when the reader exists, marked so. Writes the table to
benchmarks/CORPUS_RESULTS.md (or ``--results``) with the machine and the command.

Database cases fill the PostgreSQL schema / MariaDB database ``verifydel_corpus``
on the local servers; they are dropped at the end (``--keep-databases`` keeps them).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests" / "corpus"))
from corpus_build import MANIFEST, build_corpus, drop_databases  # noqa: E402
from corpus_check import problems  # noqa: E402
from corpus_registry import CASES, KINDS, Built, from_json, reader_present, resolve  # noqa: E402

#: Runs the CLI given as arguments; prints its exit code, peak RSS (bytes) and stderr tail as JSON.
MEASURE = (
    "import json, resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
    "wall = time.perf_counter() - t\n"
    "use = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "print(json.dumps({'rc': done.returncode, 'wall': wall, 'peak': use.ru_maxrss * 1024,\n"
    "                  'cpu': use.ru_utime + use.ru_stime, 'stderr': done.stderr[-2000:]}))\n"
)
MIB = 1 << 20
#: Below this many net seconds a rate says more about the noise than about verifydel: not shown.
MIN_NET_SECONDS = 0.5


def _busy_cpu_seconds() -> float:
    """CPU seconds the whole machine has been busy (all processes), from /proc/stat."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError, IndexError):
        return 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _cli(out: Path, manifest: dict[str, Any], sources: list[str], report: Path, built: Built | None) -> dict[str, Any]:
    """One `verifydel scan` in a child process, measured."""
    cmd = [sys.executable, "-m", "verifydel", "scan", *sources, "--pack", str(out / manifest["pack"]),
           "--key", str(out / manifest["key"]), "--json", str(report), "-q"]  # fmt: skip
    if built is not None and built.password:
        cmd += ["--password", built.password]
    if built is not None and built.encoding:
        cmd += ["--encoding", built.encoding]
    busy = _busy_cpu_seconds()
    run = subprocess.run([sys.executable, "-c", MEASURE, *cmd], capture_output=True, text=True, check=True, cwd=out)
    result: dict[str, Any] = json.loads(run.stdout)
    busy = _busy_cpu_seconds() - busy
    result["other_cores"] = max(0.0, busy - result["cpu"]) / result["wall"] if result["wall"] else 0.0
    if result["rc"] not in (0, 3, 4):
        sys.exit(f"verifydel scan failed (exit {result['rc']}):\n{result['stderr']}")
    return result


def _bytes_on_disk(source: str) -> int:
    """Bytes of the files a source names (a file, a folder, an sqlite:// URI); 0 for a server."""
    if source.startswith("sqlite://"):
        source = source[len("sqlite://") :].split("?", 1)[0]
    elif "://" in source:
        return 0
    path = Path(source)
    if path.is_file():
        return path.stat().st_size
    total = 0
    for folder, _, files in os.walk(path):
        total += sum(Path(folder, f).lstat().st_size for f in files)
    return total


def measure(out: Path, manifest: dict[str, Any], kinds: list[str]) -> dict[str, Any]:
    runs = [_cli(out, manifest, [str(out / "empty")], out / "startup.json", None) for _ in range(3)]
    startup = sorted(runs, key=lambda r: r["wall"])[1]  # the median of three
    rows: list[dict[str, Any]] = []
    for kind in kinds:
        cases = {}
        for name, entry in manifest["cases"].items():
            if entry["kind"] != kind or entry["skip"]:
                continue
            if entry["pending"] and not reader_present(entry["pending"]):
                continue
            cases[name] = from_json(entry)
        if not cases:
            continue
        groups: dict[tuple[str | None, str | None], list[str]] = defaultdict(list)
        for name, b in cases.items():
            groups[(b.password, b.encoding)].append(name)
        line = {"kind": kind, "cases": len(cases), "rows": 0, "bytes": 0, "wall": 0.0, "net": 0.0, "peak": 0,
                "cpu": 0.0, "other_cores": 0.0, "expected": 0, "problems": 0, "known": 0, "servers": False,
                "pending": any(manifest["cases"][n]["pending"] for n in cases)}  # fmt: skip
        for i, names in enumerate(groups.values()):
            sources = [resolve(s, out) for n in names for s in cases[n].sources]
            report = out / f"report-{kind}-{i}.json"
            run = _cli(out, manifest, sources, report, cases[names[0]])
            doc = json.loads(report.read_text(encoding="utf-8"))
            line["rows"] += doc["summary"]["rows_scanned"]
            line["bytes"] += sum(_bytes_on_disk(s) for s in sources)
            line["servers"] = line["servers"] or any(s.startswith(("postgresql:", "mariadb:")) for s in sources)
            line["wall"] += run["wall"]
            line["net"] += max(0.001, run["wall"] - startup["wall"])
            line["peak"] = max(line["peak"], run["peak"])
            line["cpu"] += run["cpu"]
            line["other_cores"] = max(line["other_cores"], run["other_cores"])
            for n in names:
                line["expected"] += len(cases[n].expect)
                wrong = problems(cases[n], doc, out)
                excused = cases[n].xfail or manifest["cases"][n]["pending"]
                line["known" if excused else "problems"] += len(wrong)
        rows.append(line)
        print(_format_line(line), flush=True)
    return {"startup_s": startup["wall"], "startup_peak": startup["peak"], "kinds": rows}


HEADER = ("| kind | cases | rows | MB | wall s | net s | rows/s | MB/s | CPU s | peak RSS MiB | others' cores | "
          "survivors | answer |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|")  # fmt: skip


def _format_line(k: dict[str, Any]) -> str:
    mb = k["bytes"] / MIB
    short = k["net"] < MIN_NET_SECONDS
    mbs = "— (server)" if k["servers"] or not k["bytes"] else "— (too short)" if short else f"{mb / k['net']:,.1f}"
    rows = "— (too short)" if short else f"{k['rows'] / k['net']:,.0f}"
    answer = "ok" if not k["problems"] else f"{k['problems']} problems"
    if k["known"]:
        answer += f" (+{k['known']} in known-bug or pending cases)"
    kind = k["kind"] + (" (pending reader)" if k["pending"] else "")
    return (f"| {kind} | {k['cases']} | {k['rows']:,} | {mb:,.1f} | {k['wall']:.1f} | {k['net']:.1f} | "
            f"{rows} | {mbs} | {k['cpu']:.1f} | {k['peak'] / MIB:,.0f} | {k['other_cores']:.1f} | "
            f"{k['expected']} | {answer} |")  # fmt: skip


def _machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())  # fmt: skip
    mem = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
               if line.startswith("MemTotal"))  # fmt: skip
    import polars

    from verifydel import __version__

    return (f"{cpu}, {os.cpu_count()} cores, {mem / 2**20:.0f} GiB RAM, Linux {platform.release()}; "
            f"Python {platform.python_version()}, polars {polars.__version__}, verifydel {__version__}")  # fmt: skip


def write_results(path: Path, command: str, manifest: dict[str, Any], result: dict[str, Any], started: str) -> None:
    text = [
        "# Corpus benchmark: throughput per kind of source",
        "",
        "`benchmarks/corpus.py` builds the test corpus (`tests/corpus/build.py`: every container, dump, live",
        "database, office, deleted-record, unstructured and hostile case, each with planted survivors and decoys)",
        "at a larger scale, then times one `verifydel scan --json` per kind of source (per password/encoding the",
        "kind needs), each in a child process, and checks every case's answer key against the report.",
        "",
        "## How to re-run",
        "",
        "```sh",
        "python benchmarks/corpus.py                 # scale 100, the table below when run at that scale",
        "python benchmarks/corpus.py --scale 2 --out /tmp/corpus-smoke --results /tmp/corpus-smoke/RESULTS.md",
        "```",
        "",
        "## The run below",
        "",
        f"- command: `{command}`, started {started}",
        f"- machine: {_machine()}",
        f"- corpus: scale {manifest['scale']} ({sum(c['rows'] for c in manifest['cases'].values()):,} rows "
        f"written in {len(manifest['cases'])} cases, {manifest['leaked_records']:,} leaked records), built in "
        f"{manifest['build_seconds']:.0f} s",
        f"- start-up of the CLI (interpreter, imports, pack load; a scan of an empty file): "
        f"{result['startup_s']:.2f} s (median of 3), peak RSS {result['startup_peak'] / MIB:,.0f} MiB. *net s* = "
        f"wall s less this per run; rows/s and MB/s are on net s (not shown under {MIN_NET_SECONDS} s)",
        "- MB = bytes of the scanned files on disk (archives compressed); live PostgreSQL/MariaDB tables have "
        "no file. *survivors* = planted survivors the kind's cases expect; *answer* = problems found by the",
        "  answer key (a survivor missed, a decoy matched, a wrong status); those of cases marked as known bugs or",
        "  waiting for their reader are counted apart. *others' cores*: cores other processes kept busy meanwhile",
        "  (the machine is shared; the largest over the kind's runs)",
        *([f"- **scale {manifest['scale']} is below the default 100: each table holds {manifest['scale']:,}k rows, so "
             "per-table and start-up costs dominate and these rates understate verifydel on large sources. "
             "Run `python benchmarks/corpus.py` for the numbers.**"] if manifest["scale"] < 100 else []),
        "",
        HEADER,
        *(_format_line(k) for k in result["kinds"]),
        "",
        "Skipped cases (not built on this machine): "
        + (", ".join(f"{n} ({c['skip']})" for n, c in manifest["cases"].items() if c["skip"]) or "none"),
        "",
    ]
    path.write_text("\n".join(text), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=int, default=100, help="rows per table = 1,000 × scale (default 100)")
    ap.add_argument("--out", type=Path, default=HERE / "out" / "corpus", help="where the corpus is built")
    ap.add_argument("--results", type=Path, default=HERE / "CORPUS_RESULTS.md")
    ap.add_argument("--kinds", default=",".join(KINDS), help="comma-separated kinds to build and measure")
    ap.add_argument("--reuse", action="store_true",
                    help="reuse the corpus of the same scale in --out (its database tables too: build it with "
                         "--keep-databases)")  # fmt: skip
    ap.add_argument("--no-databases", action="store_true", help="leave the database servers alone")
    ap.add_argument("--keep-databases", action="store_true", help="do not drop the corpus schema afterwards")
    a = ap.parse_args(argv)
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    out = a.out.resolve()
    existing = out / MANIFEST
    kinds = [k.strip() for k in a.kinds.split(",")]
    if unknown := set(kinds) - set(KINDS):
        ap.error(f"unknown kinds {sorted(unknown)}: choose among {','.join(KINDS)}")
    t = time.perf_counter()
    if a.reuse and existing.exists() and json.loads(existing.read_text(encoding="utf-8"))["scale"] == a.scale:
        manifest = json.loads(existing.read_text(encoding="utf-8"))
    else:
        only = None if set(kinds) == set(KINDS) else [n for n, c in CASES.items() if c.kind in kinds]
        manifest = build_corpus(out, a.scale, databases=not a.no_databases, only=only)
    print(f"corpus: scale {a.scale}, built in {time.perf_counter() - t:.0f} s, in {out}", flush=True)
    (out / "empty").write_bytes(b"")
    print(HEADER, flush=True)
    try:
        result = measure(out, manifest, kinds)
    finally:
        if not a.keep_databases and not a.no_databases:
            drop_databases(manifest["schema"])
    command = "python benchmarks/corpus.py" + (" " + " ".join(argv if argv is not None else sys.argv[1:])).rstrip()
    write_results(a.results, command.strip(), manifest, result, started)
    print(f"written: {a.results}")
    bad = sum(k["problems"] for k in result["kinds"])
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
