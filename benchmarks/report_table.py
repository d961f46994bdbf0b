"""Renders run.py's results: the side-by-side table, the stage shares, the targets (Markdown).

    python benchmarks/report_table.py benchmarks/out/results-latest.json     # print a run's tables again
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from generate import size_label

GIB_MIB = 1024.0
#: Targets of issue 3, as (name, test) over the derived numbers; see _targets.
TARGET_RATE = 1_000_000
TARGET_DUCKDB_SPEEDUP = 2.0
TARGET_FINGERPRINT_S = 30.0
TARGET_LOAD_S = 2.0
TARGET_SCAN_RSS_MIB = 1024.0
TARGET_CP932_RATIO = 1.5
STAGES = ("read", "decode", "normalise", "hash", "match", "report")


def _rate(rows: int, seconds: float) -> str:
    return f"{rows / seconds:,.0f}" if seconds > 0 else "-"


def _answer(check: dict[str, Any] | None) -> str:
    if not check:
        return ""
    if "error" in check:
        return f"FAILED: {check['error']}"
    text = f"{check['found']:,}/{check['planted']:,} strong, {check['strong_not_planted']:,} other strong"
    if check["rows_scanned"] is not None and not check["ok"] and check["missed"] == 0 and not check[
        "strong_not_planted"
    ]:
        text += f", rows scanned {check['rows_scanned']:,}"
    return ("ok: " if check["ok"] else "WRONG: ") + text


def _layout(entry: dict[str, Any]) -> str:
    return entry.get("layout", "split")  # runs before the layouts were all split


def _by(results: dict[str, Any]) -> dict[tuple[int, str], dict[str, Any]]:
    """The split layout's scans by (rows, format): what the original tables and targets read."""
    return {(e["rows"], e["format"]): e for e in results["scans"] if _layout(e) == "split"}


def _scan_rows(entry: dict[str, Any]) -> list[list[str]]:
    rows, fmt = entry["rows"], entry["format"]
    layout = _layout(entry)
    floor = entry["floor"]["wall_s"]
    vd = entry["verifydel"]["wall_s"]
    out: list[list[str]] = []
    for tool, label in (("floor", "floor: polars read only"), ("verifydel", "verifydel scan"), ("duckdb", "DuckDB SQL")):
        run = entry.get(tool)
        if run is None:
            continue
        wall = run["wall_s"]
        speedup = f"{wall / vd:.2f}" if tool == "duckdb" else ""
        out.append([
            size_label(rows), layout, fmt, label, f"{wall:.1f}", _rate(rows, wall), f"{wall / floor:.1f}", speedup,
            f"{run['cpu_s']:.0f}", f"{run['peak_rss_mib']:,.0f}", f"{run['other_cores']:.1f}", _answer(run.get("check")),
        ])
    return out


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


SCAN_HEADER = ["broker rows", "layout", "format", "tool", "wall s", "rows/s", "× floor", "DuckDB ÷ verifydel", "CPU s",
               "peak RSS MiB", "others' cores", "answer"]


def _cp932_ratios(results: dict[str, Any]) -> list[str]:
    by = _by(results)
    lines = []
    for size in results["sizes"]:
        utf8, cp = by.get((size, "csv")), by.get((size, "cp932"))
        if not (utf8 and cp):
            continue
        parts = [f"{tool} {cp[tool]['wall_s'] / utf8[tool]['wall_s']:.2f}×"
                 for tool in ("verifydel", "floor", "duckdb") if tool in cp and tool in utf8]
        lines.append(f"CP932 ÷ UTF-8 wall time at {size_label(size)} rows: " + ", ".join(parts))
    return lines


def _splits(results: dict[str, Any]) -> list[str]:
    """Where the floor's and DuckDB's own time went (their children report it)."""
    lines = []
    for e in results["scans"]:
        where = f"{size_label(e['rows'])} {_layout(e)} {e['format']}"
        floor = e["floor"]["result"]
        if floor.get("decode_s"):
            lines.append(f"- floor {where}: Python CP932 → UTF-8 transcode {floor['decode_s']:.1f} s of {floor['seconds']:.1f} s")
        duck = e.get("duckdb", {}).get("result")
        if duck:
            decode = f"transcode {duck['decode_s']:.1f} s, " if duck.get("decode_s") else ""
            lines.append(f"- DuckDB {where}: {decode}read + normalise {duck['read_normalise_s']:.1f} s, "
                         f"joins {duck['join_s']:.1f} s, write matches {duck['write_s']:.1f} s")
    return lines


#: Finer parts of the stages (stages.py's ``detail``), shown under the stage table.
DETAIL = ("normalise address", "normalise phone", "normalise name", "normalise hit rows", "lookup", "grade")


def _stage_table(results: dict[str, Any]) -> str:
    """Seconds per million rows and shares of each stage, one column pair per layout and format."""
    stages = results.get("stages") or {}
    if not stages:
        return ""
    labels = list(stages)
    per_m = {f: 1e6 / max(stages[f]["result"]["rows"], 1) for f in labels}
    header = ["stage"] + [f"{f} s/M rows" for f in labels] + [f"{f} %" for f in labels]
    rows = []
    for name in STAGES:
        secs = [stages[f]["result"]["stages"][name] for f in labels]
        shares = [100 * s / sum(stages[f]["result"]["stages"].values()) for s, f in zip(secs, labels, strict=True)]
        rows.append([name] + [f"{s * per_m[f]:.2f}" for s, f in zip(secs, labels, strict=True)]
                    + [f"{p:.1f}" for p in shares])
    rows.append(["sum"] + [f"{sum(stages[f]['result']['stages'].values()) * per_m[f]:.2f}" for f in labels]
                + ["100.0"] * len(labels))
    for name in (*DETAIL, "digest"):
        if not any(name in stages[f]["result"].get("detail", {}) for f in labels):
            continue
        label = ("of which " + name) if name != "digest" else "digest (SHA-256 of the file, own thread, not in the sum)"
        vals = [stages[f]["result"].get("detail", {}).get(name) for f in labels]
        sums = [sum(stages[f]["result"]["stages"].values()) for f in labels]
        rows.append([label] + [f"{v * per_m[f]:.2f}" if v is not None else "-" for v, f in zip(vals, labels, strict=True)]
                    + [f"{100 * v / t:.1f}" if v is not None and name != "digest" else ""
                       for v, t in zip(vals, sums, strict=True)])
    by = {(e["rows"], _layout(e), e["format"]): e for e in results["scans"]}
    cli = [by.get((stages[f]["rows"], stages[f].get("layout", "split"), stages[f].get("format", f))) for f in labels]
    rows.append(["CLI scan wall per M rows (threads overlap stages; pack load included)"]
                + [f"{c['verifydel']['wall_s'] * 1e6 / c['rows']:.2f}" if c else "-" for c in cli] + [""] * len(labels))
    size = size_label(next(iter(stages.values()))["rows"])
    by_field = any(stages[f]["result"].get("by_field") for f in labels)
    how = " (normalise: each field's call apart)" if by_field else ""
    return (f"Stages of verifydel's scan, {size} rows, in-process, one after the other{how}, "
            "in seconds per million rows:\n\n" + _table(header, rows))


def _layout_table(results: dict[str, Any]) -> str:
    """The layouts side by side (CSV): verifydel, DuckDB and the floor in rows/s, and what the
    address agreed on (planted rows whose match holds the address too)."""
    csv = [e for e in results["scans"] if e["format"] == "csv"]
    if len({_layout(e) for e in csv}) < 2:
        return ""
    header = ["broker rows", "layout", "distinct raw addresses in the first rows: whole (per column)", "floor rows/s", "verifydel rows/s",
              "DuckDB rows/s", "DuckDB ÷ verifydel", "verifydel: planted rows agreeing on address",
              "DuckDB: rows agreeing on address"]
    rows = []
    for e in csv:
        d = e.get("distinct_address") or {}
        distinct = (f"{d['address']:,} of {d['rows']:,} ("
                    + ", ".join(f"{c} {v:,}" for c, v in d["per_column"].items()) + ")") if d else "-"
        vd, duck = e["verifydel"], e.get("duckdb")
        check = vd.get("check", {})
        agreed = f"{check['address_agreed']:,}/{check['planted']:,}" if "address_agreed" in check else "-"
        duck_agreed = duck["result"].get("address_agreed_rows") if duck and duck.get("result") else None
        rows.append([
            size_label(e["rows"]), _layout(e), distinct, _rate(e["rows"], e["floor"]["wall_s"]),
            _rate(e["rows"], vd["wall_s"]), _rate(e["rows"], duck["wall_s"]) if duck else "-",
            f"{duck['wall_s'] / vd['wall_s']:.2f}" if duck else "-", agreed,
            f"{duck_agreed:,}" if duck_agreed is not None else "-",
        ])
    return "Layouts side by side (UTF-8 CSV, end to end):\n\n" + _table(header, rows)


def _targets(results: dict[str, Any]) -> list[list[str]]:
    out: list[list[str]] = []
    by = _by(results)
    base = 10_000_000 if 10_000_000 in results["sizes"] else results["sizes"][0]
    csv = by.get((base, "csv"))
    if csv:
        vd = csv["verifydel"]["wall_s"]
        rate = base / vd
        out.append([f"scan ≥ 1,000,000 rows/s ({size_label(base)} CSV, end to end)", f"{rate:,.0f} rows/s",
                    _met(rate >= TARGET_RATE)])
        if "duckdb" in csv:
            speedup = csv["duckdb"]["wall_s"] / vd
            cpu = csv["duckdb"]["cpu_s"] / csv["verifydel"]["cpu_s"]
            out.append([f"≥ 2× faster than DuckDB ({size_label(base)} CSV)", f"{speedup:.2f}× wall ({cpu:.2f}× CPU)",
                        _met(speedup >= TARGET_DUCKDB_SPEEDUP)])
    for layout in ("single", "two"):
        other = next((e for e in results["scans"]
                      if e["rows"] == base and _layout(e) == layout and e["format"] == "csv"), None)
        if other:
            rate = base / other["verifydel"]["wall_s"]
            out.append([f"{layout} layout: scan ≥ 1,000,000 rows/s ({size_label(base)} CSV, end to end)",
                        f"{rate:,.0f} rows/s", _met(rate >= TARGET_RATE)])
    fp = results["fingerprint"]["wall_s"]
    out.append([f"fingerprint 10M ≤ 30 s (ran {size_label(results['leaked'])})", f"{fp:.1f} s",
                _met(fp <= TARGET_FINGERPRINT_S) if results["leaked"] == 10_000_000 else "n/a"])
    load = results["load"]["result"]["seconds"]
    out.append(["pack load ≤ 2 s", f"{load:.2f} s", _met(load <= TARGET_LOAD_S)])
    pack_mib = results["load"]["result"]["pack_rss_kib"] / 1024
    worst = max((e["verifydel"]["peak_rss_mib"] for e in results["scans"]), default=0.0)
    load_peak = results["load"]["peak_rss_mib"]
    out.append(["scan peak RSS ≤ 1 GiB + the pack's footprint (worst scan)",
                f"{worst:,.0f} MiB = pack {pack_mib:,.0f} + {worst - pack_mib:,.0f} (load_pack alone peaks at "
                f"{load_peak:,.0f})",
                _met(worst - pack_mib <= TARGET_SCAN_RSS_MIB)])
    for size in results["sizes"]:
        utf8, cp = by.get((size, "csv")), by.get((size, "cp932"))
        if utf8 and cp:
            ratio = cp["verifydel"]["wall_s"] / utf8["verifydel"]["wall_s"]
            out.append([f"CP932 ≤ 1.5× UTF-8 ({size_label(size)})", f"{ratio:.2f}×", _met(ratio <= TARGET_CP932_RATIO)])
    return out


def _met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def _preamble(results: dict[str, Any]) -> list[str]:
    m = results["machine"]
    v = m["versions"]
    lines = [
        f"machine: {m['cpu']}, {m['nproc']} cores, {m['mem_gib']} GiB RAM, Linux {m['kernel']}; "
        f"Python {v['python']}, polars {v['polars']}, duckdb {v['duckdb']}, verifydel {v['verifydel']}",
        f"date: {results['date']}; command: `{results['command']}`; verifydel source sha256 "
        f"{results.get('source_sha256', '?')[:12]} (frozen for the run)",
    ]
    fp = results.get("fingerprint")
    if fp:
        leaked = results["leaked"]
        lines.append(f"fingerprint {leaked:,} leaked rows (CLI, end to end): {fp['wall_s']:.1f} s = "
                     f"{_rate(leaked, fp['wall_s'])} rows/s, CPU {fp['cpu_s']:.0f} s, peak RSS {fp['peak_rss_mib']:,.0f} MiB")
    load = results.get("load")
    if load:
        r = load["result"]
        mib = r["pack_rss_kib"] / 1024
        lines.append(f"pack: {r['pack_bytes'] / 2**20:,.0f} MiB on disk, load_pack {r['seconds']:.2f} s, holds "
                     f"{mib:,.0f} MiB in memory = {mib / max(r['records'], 1) * 1e6:,.0f} MiB per million leaked records "
                     f"(the loading process peaks at {load['peak_rss_mib']:,.0f} MiB)")
    prep = results.get("duckdb_prepare")
    if prep:
        lines.append(f"DuckDB prepare (normalise the leak into a DuckDB file): {prep['wall_s']:.1f} s, "
                     f"CPU {prep['cpu_s']:.0f} s, peak RSS {prep['peak_rss_mib']:,.0f} MiB")
    return lines


def render_text(results: dict[str, Any], only: dict[str, Any] | None = None, header_only: bool = False) -> str:
    """Markdown: the scan table's header (``header_only``), one scan entry's rows (``only``), or everything."""
    if header_only:
        return _table(SCAN_HEADER, [])
    if only is not None:
        return _table(SCAN_HEADER, _scan_rows(only)).split("\n", 2)[2]
    parts = ["\n".join("- " + line for line in _preamble(results))]
    rows = [r for e in results["scans"] for r in _scan_rows(e)]
    parts.append(_table(SCAN_HEADER, rows))
    parts += ["\n".join(_cp932_ratios(results))] if _cp932_ratios(results) else []
    if splits := _splits(results):
        parts.append("Where the others' time went:\n\n" + "\n".join(splits))
    if layouts := _layout_table(results):
        parts.append(layouts)
    if stage := _stage_table(results):
        parts.append(stage)
    parts.append("Targets:\n\n" + _table(["target", "measured", "met"], _targets(results)))
    return "\n\n".join(parts)


def write_outputs(results: dict[str, Any], out: Path) -> list[Path]:
    """results-<stamp>.json (everything) and results-<stamp>.md (the tables) in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    stamp = results["date"].replace(":", "").replace("-", "")[:15]
    js, md = out / f"results-{stamp}.json", out / f"results-{stamp}.md"
    js.write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    md.write_text(render_text(results) + "\n", encoding="utf-8")
    latest = out / "results-latest.json"
    latest.write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    return [js, md]


if __name__ == "__main__":
    for name in sys.argv[1:]:
        print(render_text(json.loads(Path(name).read_text(encoding="utf-8"))))
