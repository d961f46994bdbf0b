"""`verifydel fingerprint`: the leaked set → a sealed pack.

A leaked set that cannot be read completely is an error here, never a partial
pack: a pack that silently misses records would make a scan look cleaner than
it is.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl

from verifydel import __version__
from verifydel._parallel import ordered_map
from verifydel.core.coverage import SCANNED, SourceResult
from verifydel.core.options import ReadOptions
from verifydel.core.table import Table
from verifydel.core.unit import Unit
from verifydel.errors import SourceError, UsageError
from verifydel.fields import FIELDS
from verifydel.fingerprint.attest_file import RECORD_SCHEMA, attest_records, refuse_existing_output, write_attestation_pack
from verifydel.fingerprint.attest_keys import AttestKey
from verifydel.fingerprint.hashing import COMBINATION_IDS
from verifydel.fingerprint.keys import Secret
from verifydel.fingerprint.pack import PackContents, PackHeader, refuse_existing, write_pack
from verifydel.fingerprint.rows import combination_fingerprints, field_fingerprints
from verifydel.normalise import NORMALISATION_VERSION
from verifydel.normalise.batch import ROW, normalise_batch
from verifydel.normalise.gazetteer import gazetteer
from verifydel.core.unit import UnitFailure
from verifydel.pipeline import ChosenColumns, Observer, Outcome, numbered_batches, read_unit, top_units

#: Kinds of table that hold rows a database deleted (or superseded): not part of a leaked set.
DELETED_ROW_KINDS = frozenset({"sqlite-recovered", "sqlite-wal", "sqlite-journal"})


@dataclass
class BuildResult:
    path: Path
    sha256: str
    header: PackHeader
    columns: dict[str, dict[str, list[str]]]  # table label → field → columns used
    #: The attestation pack written beside the pack (``--attest-out``), and its SHA-256.
    attest_path: Path | None = None
    attest_sha256: str | None = None


@dataclass
class _Part:
    """One table's fingerprints: records (numbered from 0 within the table) and index entries."""

    label: str
    records: list[pl.DataFrame] = field(default_factory=list)
    entries: dict[int, list[pl.DataFrame]] = field(default_factory=dict)
    rows: int = 0
    attest: list[pl.DataFrame] = field(default_factory=list)  # attestation records, same order


def _fingerprint_table(
    table: Table,
    unit: Unit,
    secret: Secret,
    options: ReadOptions,
    id_column: str | None,
    threads: int,
    observer: Observer | None,
    allow_personal_id: bool = False,
    attest_key: AttestKey | None = None,
) -> tuple[_Part, dict[str, list[str]]]:
    """Every batch of ``table`` normalised and hashed, in order (rows told to ``observer``)."""
    chosen = ChosenColumns()
    part = _Part(table.label)

    def work(
        item: tuple[pl.DataFrame, int],
    ) -> tuple[pl.DataFrame, dict[int, pl.DataFrame], int, pl.DataFrame | None]:
        batch, first_row = item
        cols = chosen.fields
        norm = normalise_batch(batch, cols)
        fps = field_fingerprints(norm, secret).drop(ROW)
        ids = _record_ids(batch, id_column, first_row)
        recs = fps.with_columns(ids.alias("record_id")).select("record_id", *fps.columns)
        attested = attest_records(norm, attest_key) if attest_key is not None else None
        return recs, split_by_code(combination_fingerprints(norm, secret)), batch.height, attested

    def check(chosen: ChosenColumns) -> None:
        _check_columns(table, chosen, id_column, allow_personal_id)

    batches = numbered_batches(table, options.mapping, chosen, on_chosen=check)
    for recs, combos, rows, attested in ordered_map(work, batches, threads):
        part.records.append(recs)
        if attested is not None:
            part.attest.append(attested)
        for code, entries in combos.items():
            part.entries.setdefault(code, []).append(entries.with_columns(pl.col(ROW) + part.rows))
        part.rows += rows
        if observer:
            observer.rows_done(unit.label, rows)
    return part, chosen.shown_fields()


def _check_columns(
    table: Table, chosen: ChosenColumns, id_column: str | None, allow_personal_id: bool
) -> None:
    """A leaked table must say clearly which columns are which: a --map column that is not
    there, an id column that holds personal values (record ids reach every report) or no
    phone/address column stops the build."""
    missing = [n for n in chosen.notes if n.startswith("--map ")]
    if missing:
        raise UsageError(f"{table.label}: {missing[0]}", hint="check the header; --map FIELD=COL names a column")
    if id_column is not None and id_column not in table.columns:
        raise UsageError(f"--id-column {id_column!r} is not a column of {table.label}")
    personal = [f for f, cols in chosen.fields.items() if id_column in cols]
    if personal and not allow_personal_id:
        raise UsageError(
            f"--id-column {id_column!r} holds the {personal[0]} field of {table.label}: record ids "
            "appear in every report, so they must not be personal values",
            hint="name a customer-number column, leave --id-column out (row numbers), or give "
            "--allow-personal-id (the pack and every report then say so)",
        )
    if not chosen.matchable:
        raise UsageError(
            f"no phone or address column found in {table.label}",
            hint="name them with --map phone=COL --map address=COL",
        )


def _record_ids(batch: pl.DataFrame, id_column: str | None, first_row: int) -> pl.Series:
    rownum = pl.int_range(first_row + 1, first_row + 1 + batch.height, eager=True).cast(pl.String)
    if id_column is None:
        return rownum
    ids = batch[id_column].cast(pl.String).str.strip_chars()
    return ids.zip_with(ids.is_not_null() & (ids != ""), "row " + rownum).alias("record_id")


def _input_of(unit: Unit, sha256: str | None) -> dict[str, object]:
    """What the pack's header says of one leaked input: its name, and the hash of a file
    (taken by the reader as it read the file: ``SourceResult.sha256``)."""
    if unit.path is not None and sha256 is not None:
        return {"name": unit.path.name, "sha256": sha256, "bytes": unit.size}
    return {"name": unit.label}


def build_pack(
    leaked: Sequence[str],
    secret: Secret,
    out: Path,
    *,
    id_column: str | None = None,
    mapping: Mapping[str, Sequence[str]] | None = None,
    encoding: str | None = None,
    observer: Observer | None = None,
    threads: int | None = None,
    options: ReadOptions | None = None,
    allow_personal_id: bool = False,
    overwrite: bool = False,
    attest_out: Path | None = None,
) -> BuildResult:
    """Read the leaked set with the same reader as ``scan`` (archives, compressed files,
    SQLite, dumps, live databases), normalise, hash under ``secret``, seal into ``out``.

    Rows SQLite deleted (or superseded in a WAL or journal) are not part of the leaked
    set. Anything not read completely, or not a table, stops the build: no partial pack.
    A file already at ``out`` is refused before anything is read, unless ``overwrite``.

    With ``attest_out``, the attestation pack of the same records (``attest_file``) is
    written there too: record ``n`` of one is record ``n`` of the other.
    """
    if not overwrite:
        refuse_existing(out)
        if attest_out is not None:
            refuse_existing_output(attest_out)
    if attest_out is not None and Path(attest_out).absolute() == Path(out).absolute():
        raise UsageError("--attest-out and --out name the same file", hint="give the attestation pack its own name")
    attest_key = AttestKey.from_secret(secret) if attest_out is not None else None
    gazetteer_used = gazetteer().metadata()  # before the leaked set is read: a broken install stops here
    threads = threads or os.cpu_count() or 1
    options = options or ReadOptions(encoding=encoding, mapping=mapping)
    options = dataclasses.replace(options, free_text=False)
    inputs: list[dict[str, object]] = []
    parts: list[_Part] = []
    used: dict[str, dict[str, list[str]]] = {}

    def consume(table: Table, unit: Unit) -> Outcome:
        result = SourceResult(path=table.label, kind=table.kind, status=SCANNED)
        if table.kind in DELETED_ROW_KINDS:  # deleted rows are not the leaked set: not read
            return Outcome(result)
        if not table.numbered:  # unstructured bytes: phone-shaped spans, not records
            raise UsageError(
                f"{table.label} is not a table: a leaked set must be records",
                hint="give the leaked set as CSV, Excel, JSON Lines or Parquet",
            )
        try:
            part, cols = _fingerprint_table(
                table, unit, secret, options, id_column, threads, observer, allow_personal_id, attest_key
            )
        except SourceError as exc:
            if isinstance(exc, UsageError):
                raise
            raise SourceError(f"cannot read leaked source {table.label}: {exc}") from None
        parts.append(part)
        used[table.label] = cols
        return Outcome(result)

    for item in top_units(leaked, options):
        if isinstance(item, UnitFailure):
            raise SourceError(f"cannot read leaked source {item.label}: {item.error}")
        outcomes = read_unit(item, options, consume, observer)
        for o in outcomes:
            if o.result.status != SCANNED:
                raise SourceError(f"cannot read leaked source {o.result.path}: {o.result.error}")
        inputs.append(_input_of(item, outcomes[0].result.sha256 if outcomes else None))
    if not inputs:
        raise UsageError("no leaked file found", hint="give the leaked CSV/Excel/JSONL/Parquet files or a folder")
    n = sum(p.rows for p in parts)
    if n >= 2**32:
        raise UsageError("the leaked set has more than 4 billion rows; split it into several packs")
    personal_ids = allow_personal_id and any(
        id_column in cols for fields in used.values() for cols in fields.values()
    )
    record_table, entries = _combine(parts, prefixed=len(parts) > 1 and id_column is None)
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
        gazetteer=gazetteer_used,
        extra={"id_column_personal": True} if personal_ids else {},
    )
    sha = write_pack(out, header, PackContents(records=record_table, index=index), secret, overwrite=overwrite)
    result = BuildResult(path=out, sha256=sha, header=header, columns=used)
    if attest_key is not None and attest_out is not None:
        attested = [frame for part in parts for frame in part.attest]
        records = pl.concat(attested) if attested else pl.DataFrame(schema=RECORD_SCHEMA)
        result.attest_path = Path(attest_out)
        result.attest_sha256 = write_attestation_pack(
            attest_out, records, attest_key, inputs=inputs, fields=present, pack_sha256=sha, overwrite=overwrite
        )
    return result


def _combine(parts: list[_Part], *, prefixed: bool) -> tuple[pl.DataFrame, dict[int, list[pl.DataFrame]]]:
    """Every table's records in one table, numbered on from the tables before; record ids
    that are row numbers prefixed with their table's label when there are several tables."""
    records: list[pl.DataFrame] = []
    entries: dict[int, list[pl.DataFrame]] = {}
    before = 0
    for part in parts:
        for recs in part.records:
            if prefixed:
                recs = recs.with_columns((pl.lit(part.label + ":") + pl.col("record_id")).alias("record_id"))
            records.append(recs)
        for code, frames in part.entries.items():
            entries.setdefault(code, []).extend(f.with_columns(pl.col(ROW) + before) for f in frames)
        before += part.rows
    return (pl.concat(records) if records else pl.DataFrame()), entries


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
