"""`verifydel fingerprint`: the leaked set → a sealed pack.

A leaked set that cannot be read completely is an error here, never a partial
pack: a pack that silently misses records would make a scan look cleaner than
it is.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl

from verifydel import __version__
from verifydel._parallel import ordered_map
from verifydel.errors import SourceError, UsageError
from verifydel.fields import ADDRESS, FIELDS, PHONE
from verifydel.fingerprint.hashing import COMBINATION_IDS
from verifydel.fingerprint.keys import Secret
from verifydel.fingerprint.pack import PackContents, PackHeader, file_sha256, write_pack
from verifydel.fingerprint.rows import combination_fingerprints, field_fingerprints
from verifydel.formats import open_tables
from verifydel.formats.base import Table
from verifydel.formats.columns import detect_columns
from verifydel.normalise import NORMALISATION_VERSION
from verifydel.normalise.batch import ROW, normalise_batch
from verifydel.sources import expand
from verifydel.sources.base import UnitFailure

#: progress(label, rows_done_in_batch, bytes_done) — the CLI draws it.
Progress = Callable[[str, int], None]


@dataclass
class BuildResult:
    path: Path
    sha256: str
    header: PackHeader
    columns: dict[str, dict[str, list[str]]]  # table label → field → columns used


def _fingerprint_table(
    table: Table,
    secret: Secret,
    mapping: Mapping[str, Sequence[str]] | None,
    id_column: str | None,
    prefix: str,
    threads: int,
    used: dict[str, dict[str, list[str]]],
) -> Iterator[tuple[pl.DataFrame, dict[int, pl.DataFrame], int]]:
    """Per batch, in order: (records with their field fingerprints, entries per combination code, rows)."""
    cols: dict[str, list[str]] = {}

    def numbered() -> Iterator[tuple[pl.DataFrame, int]]:
        read = 0
        for batch in table.batches:
            if not cols:
                cols.update(_choose_columns(table, batch, mapping, id_column))
                used[table.label] = dict(cols)
            yield batch, read
            read += batch.height

    def work(item: tuple[pl.DataFrame, int]) -> tuple[pl.DataFrame, dict[int, pl.DataFrame], int]:
        batch, first_row = item
        norm = normalise_batch(batch, cols)
        fps = field_fingerprints(norm, secret).drop(ROW)
        ids = _record_ids(batch, id_column, first_row, prefix)
        recs = fps.with_columns(ids.alias("record_id")).select("record_id", *fps.columns)
        return recs, split_by_code(combination_fingerprints(norm, secret)), batch.height

    return ordered_map(work, numbered(), threads)


def _choose_columns(
    table: Table, first: pl.DataFrame, mapping: Mapping[str, Sequence[str]] | None, id_column: str | None
) -> dict[str, list[str]]:
    choice = detect_columns(table.columns, first, mapping)
    cols = {f: list(c) for f, c in choice.fields.items() if c}
    if id_column is not None and id_column not in table.columns:
        raise UsageError(f"--id-column {id_column!r} is not a column of {table.label}")
    if not (cols.get(PHONE) or cols.get(ADDRESS)):
        raise UsageError(
            f"no phone or address column found in {table.label}",
            hint="name them with --map phone=COL --map address=COL",
        )
    return cols


def _record_ids(batch: pl.DataFrame, id_column: str | None, first_row: int, prefix: str) -> pl.Series:
    rownum = pl.int_range(first_row + 1, first_row + 1 + batch.height, eager=True).cast(pl.String)
    if id_column is None:
        return (prefix + rownum) if prefix else rownum
    ids = batch[id_column].cast(pl.String).str.strip_chars()
    return ids.zip_with(ids.is_not_null() & (ids != ""), "row " + rownum).alias("record_id")


def build_pack(
    leaked: Sequence[str],
    secret: Secret,
    out: Path,
    *,
    id_column: str | None = None,
    mapping: Mapping[str, Sequence[str]] | None = None,
    encoding: str | None = None,
    progress: Progress | None = None,
    threads: int | None = None,
) -> BuildResult:
    threads = threads or os.cpu_count() or 1
    records: list[pl.DataFrame] = []
    entries: dict[int, list[pl.DataFrame]] = {}
    inputs: list[dict[str, object]] = []
    used: dict[str, dict[str, list[str]]] = {}
    units = []
    for source in leaked:
        for item in expand(source):
            if isinstance(item, UnitFailure):
                raise SourceError(f"cannot read leaked source {item.label}: {item.error}")
            units.append(item)
    if not units:
        raise UsageError("no leaked file found", hint="give the leaked CSV/Excel/JSONL/Parquet files or a folder")
    many_tables = len(units) > 1
    n = 0
    for unit in units:
        if unit.path is not None:
            inputs.append({"name": unit.path.name, "sha256": file_sha256(unit.path), "bytes": unit.path.stat().st_size})
        else:
            inputs.append({"name": unit.label})
        tables = open_tables(unit, encoding=encoding)
        if any(not t.numbered for t in tables):  # unstructured bytes: phone-shaped spans, not records
            raise UsageError(
                f"{unit.label} is not a table: a leaked set must be records",
                hint="give the leaked set as CSV, Excel, JSON Lines or Parquet",
            )
        many_tables = many_tables or len(tables) > 1
        for table in tables:
            prefix = f"{table.label}:" if many_tables else ""
            batches = _fingerprint_table(table, secret, mapping, id_column, prefix, threads, used)
            for recs, combos, rows in batches:
                records.append(recs)
                for code, part in combos.items():
                    entries.setdefault(code, []).append(part.with_columns(pl.col(ROW) + n))
                n += rows
                if progress:
                    progress(table.label, rows)
    if n >= 2**32:
        raise UsageError("the leaked set has more than 4 billion rows; split it into several packs")
    record_table = pl.concat(records) if records else pl.DataFrame()
    index = build_index(entries)
    present = [f for f in FIELDS if any(f in c for c in used.values())]
    header = PackHeader(
        records=n,
        normalisation=NORMALISATION_VERSION,
        combinations=list(COMBINATION_IDS),
        fields=present,
        key_check="",
        inputs=inputs,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        tool=f"verifydel {__version__}",
    )
    sha = write_pack(out, header, PackContents(records=record_table, index=index), secret)
    return BuildResult(path=out, sha256=sha, header=header, columns=used)


def split_by_code(entries: pl.DataFrame) -> dict[int, pl.DataFrame]:
    """(_row, code, fp) → {code: (fp, _row)}."""
    if entries.height == 0:
        return {}
    return {int(code): part.select("fp", ROW) for (code,), part in entries.partition_by("code", as_dict=True).items()}


def build_index(parts: Mapping[int, Sequence[pl.DataFrame]]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Per combination code: fingerprints sorted ascending with their record numbers, pairs unique."""
    index: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for code, frames in sorted(parts.items()):
        both = pl.concat(frames).sort("fp", ROW, multithreaded=True)
        fps, rows = both["fp"].to_numpy(), both[ROW].to_numpy()
        keep = np.ones(len(fps), dtype=bool)
        keep[1:] = (fps[1:] != fps[:-1]) | (rows[1:] != rows[:-1])
        index[code] = (np.ascontiguousarray(fps[keep]), rows[keep].astype(np.uint32))
    return index
