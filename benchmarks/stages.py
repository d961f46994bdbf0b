"""Where a verifydel scan spends its time: the library's stage functions, driven batch by batch.

    python benchmarks/stages.py broker.csv --pack P --key K

Stages, timed one after the other in this one process (the CLI overlaps them on
worker threads, so their sum is more than the CLI's wall time; the shares are
what this measures):

- read: the format reader's batches (``open_tables`` → ``Table.batches``), decode excluded;
- decode: transcoding a non-UTF-8 file to UTF-8 (``decoders.utf8.transcode_into``,
  which the CSV reader runs before its first batch); 0 for UTF-8 and Parquet;
- normalise: ``normalise_batch``;
- hash: ``combination_fingerprints`` of every row, ``field_fingerprints`` of rows with a hit;
- match: ``lookup`` in the pack, ``grade``, record ids;
- report: ``render_json`` of a Report holding every match.

With ``--by-field``, normalise calls ``normalise_batch`` once per candidate field
(the other fields absent), so each field's share shows (``detail``: "normalise
name", "normalise address", ...; "normalise hit rows" is the full normalisation of
the rows with a hit). The result is the same frame; the CLI's one call overlaps a
multi-column address with the other fields on a worker thread, so this sum is
the one-after-the-other cost. ``detail`` also splits match into "lookup" and
"grade", and times "digest": the SHA-256 of the whole file (``FileDigest``),
which the CLI computes on a thread of its own beside the scan (not in the sum).

Mirrors ``verifydel.match.match_batch`` and ``verifydel.scan._match_batch``;
if those change, change this too (run.py prints the sum next to the CLI's time).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

sys.path.insert(0, str(Path(__file__).parent))
from _childkit import report_peak_at_exit, report_result  # noqa: E402

STAGES = ("read", "decode", "normalise", "hash", "match", "report")


def _timed_decode(times: dict[str, float]) -> None:
    """Wrap the library's transcode so its time is counted as decode (and not as read)."""
    from verifydel.decoders import utf8 as _frames

    original: Callable[..., Any] | None = getattr(_frames, "transcode_into", None)
    if original is None:
        return

    def transcode_into(*args: Any, **kwargs: Any) -> Any:
        t = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            times["decode"] += time.perf_counter() - t

    _frames.transcode_into = transcode_into  # type: ignore[attr-defined]


def _normalise(batch: pl.DataFrame, cols: dict[str, list[str]], by_field: bool, detail: dict[str, float]) -> pl.DataFrame:
    """normalise_batch on the candidate fields: one call, or (``by_field``) one call per field, timed."""
    from verifydel.match import CANDIDATE_FIELDS
    from verifydel.normalise.batch import normalise_batch

    wanted = {f: c for f, c in cols.items() if f in CANDIDATE_FIELDS}
    if not by_field:
        return normalise_batch(batch, wanted)
    out: pl.DataFrame | None = None
    for field, columns in wanted.items():
        t = time.perf_counter()
        one = normalise_batch(batch, {field: columns})
        detail[f"normalise {field}"] = detail.get(f"normalise {field}", 0.0) + time.perf_counter() - t
        out = one if out is None else out.with_columns(one.get_column(field))
    return out if out is not None else normalise_batch(batch, {})


def measure(broker: Path, pack_path: Path, key: Path, by_field: bool = False) -> dict[str, Any]:
    from verifydel import __version__
    from verifydel.fingerprint.keys import read_key
    from verifydel.fingerprint.rows import combination_fingerprints, field_fingerprints
    from verifydel.columns import detect_columns
    from verifydel.core.digest import FileDigest
    from verifydel.formats import open_tables
    from verifydel.match import CANDIDATE_COMBINATIONS
    from verifydel.match.grade import grade
    from verifydel.match.index import REC, lookup
    from verifydel.normalise.batch import ROW, normalise_batch
    from verifydel.report.json_report import render_json
    from verifydel.report.model import MATCH_SCHEMA, SCANNED, Report, SourceResult
    from verifydel.scan import load_pack
    from verifydel.sources import expand

    pack = load_pack(pack_path, read_key(key))
    times = dict.fromkeys(STAGES, 0.0)
    detail: dict[str, float] = {}
    _timed_decode(times)
    (unit,) = list(expand(str(broker)))
    found: list[pl.DataFrame] = []
    rows = 0
    t = time.perf_counter()
    (table,) = open_tables(unit)
    result = SourceResult(path=table.label, kind=table.kind, status=SCANNED, encoding=table.encoding)
    cols: dict[str, list[str]] | None = None
    batches = iter(table.batches)
    while True:
        decode_before = times["decode"]
        try:
            batch = next(batches)
        except StopIteration:
            times["read"] += time.perf_counter() - t - (times["decode"] - decode_before)
            break
        times["read"] += time.perf_counter() - t - (times["decode"] - decode_before)
        if cols is None:
            cols = {f: list(c) for f, c in detect_columns(table.columns, batch, None).fields.items() if c}
            result.columns = cols
        t = time.perf_counter()
        norm = _normalise(batch, cols, by_field, detail)
        times["normalise"] += time.perf_counter() - t
        t = time.perf_counter()
        entries = combination_fingerprints(norm, pack.secret, CANDIDATE_COMBINATIONS)
        times["hash"] += time.perf_counter() - t
        t = time.perf_counter()
        hits = lookup(entries, pack.contents)
        elapsed = time.perf_counter() - t
        times["match"] += elapsed
        detail["lookup"] = detail.get("lookup", 0.0) + elapsed
        if hits.height:
            t = time.perf_counter()
            hit_rows = hits[ROW].unique().sort()
            full = normalise_batch(batch[hit_rows], cols).with_columns(hit_rows.alias(ROW))
            elapsed = time.perf_counter() - t
            times["normalise"] += elapsed
            detail["normalise hit rows"] = detail.get("normalise hit rows", 0.0) + elapsed
            t = time.perf_counter()
            row_fps = field_fingerprints(full, pack.secret)
            times["hash"] += time.perf_counter() - t
            t = time.perf_counter()
            graded = grade(hits, row_fps, pack.contents.records)
            ids = pack.contents.records["record_id"][graded[REC]]
            found.append(
                graded.with_columns(ids.alias("record_id"))
                .select(ROW, "record_id", "fields", "strength")
                .with_columns(pl.lit(table.label).alias("source"), (pl.col(ROW).cast(pl.Int64) + rows + 1).alias("row"))
                .select(list(MATCH_SCHEMA))
            )
            elapsed = time.perf_counter() - t
            times["match"] += elapsed
            detail["grade"] = detail.get("grade", 0.0) + elapsed
        rows += batch.height
        t = time.perf_counter()
    t = time.perf_counter()
    result.rows = rows
    matches = pl.concat(found) if found else pl.DataFrame(schema=MATCH_SCHEMA)
    matches = matches.sort("row", "record_id")
    report = Report(
        tool_version=__version__, pack=pack.summary(), started_at="", finished_at="", sources=[result],
        matches=matches,
    )
    text = render_json(report)
    times["report"] = time.perf_counter() - t
    strong_rows = matches.filter(pl.col("strength") == "strong")["row"].n_unique()
    t = time.perf_counter()
    FileDigest(broker).result()
    detail["digest"] = time.perf_counter() - t
    return {"rows": rows, "stages": times, "detail": detail, "by_field": by_field, "columns": cols,
            "matches": matches.height, "strong_rows": strong_rows, "report_bytes": len(text.encode("utf-8"))}


def main() -> None:
    report_peak_at_exit()
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("broker", type=Path)
    ap.add_argument("--pack", type=Path, required=True)
    ap.add_argument("--key", type=Path, required=True)
    ap.add_argument("--by-field", action="store_true", help="time each candidate field's normalisation apart")
    a = ap.parse_args()
    report_result(measure(a.broker, a.pack, a.key, a.by_field))


if __name__ == "__main__":
    main()
