"""`verifydel scan`: sources → formats → normalise → fingerprint → match → evidence.

Per-source failures never stop the scan: each ends in the report as scanned,
partial or failed with its reason. Only problems that stop the scan from
starting at all (bad pack, wrong key, bad options) are raised.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Protocol

import polars as pl

from verifydel import __version__
from verifydel._parallel import ordered_map
from verifydel import containers
from verifydel.containers.limits import LimitExceeded, Limits
from verifydel.errors import SourceError
from verifydel.fields import ADDRESS, PHONE
from verifydel.fingerprint.keys import Secret
from verifydel.fingerprint.pack import PackContents, PackHeader, read_pack
from verifydel.formats import open_tables
from verifydel.formats.base import Table
from verifydel.formats.columns import detect_columns
from verifydel.formats.unstructured import text_unless_matchable
from verifydel.fingerprint.hashing import COMBINATION_CODE
from verifydel.match import CANDIDATE_COMBINATIONS, match_batch
from verifydel.match.index import prepare as prepare_lookup
from verifydel.match.window import corroborate
from verifydel.normalise import NORMALISATION_VERSION
from verifydel.normalise.batch import ROW, normalise_batch
from verifydel.report.model import (
    FAILED,
    MATCH_SCHEMA,
    OPTIONAL_MATCH_SCHEMA,
    PARTIAL,
    SCANNED,
    PackSummary,
    Report,
    SourceResult,
)
from verifydel.sources import expand
from verifydel.sources.base import Unit, UnitFailure


class ScanObserver(Protocol):
    """What the CLI's progress display listens to. Every method may be called from worker threads."""

    def source_started(self, label: str, total_bytes: int | None) -> None: ...
    def rows_done(self, label: str, rows: int, nbytes: int) -> None: ...
    def source_finished(self, result: SourceResult) -> None: ...


@dataclass
class LoadedPack:
    path: Path
    header: PackHeader
    contents: PackContents
    sha256: str
    secret: Secret

    def summary(self) -> PackSummary:
        return PackSummary(
            sha256=self.sha256,
            records=self.header.records,
            normalisation=self.header.normalisation,
            format=self.header.format,
        )


def load_pack(path: Path, secret: Secret) -> LoadedPack:
    """Authenticate and load a pack, keeping in memory only what the scan looks up."""
    keep = {COMBINATION_CODE[c] for c in CANDIDATE_COMBINATIONS}
    header, contents, sha = read_pack(path, secret, keep=keep)
    prepare_lookup(contents)  # bucket directories, built while the first batches are read
    return LoadedPack(path=path, header=header, contents=contents, sha256=sha, secret=secret)


@dataclass
class ScanOptions:
    mapping: Mapping[str, Sequence[str]] | None = None
    encoding: str | None = None
    jobs: int = 1  # sources scanned in parallel
    threads: int = field(default_factory=lambda: os.cpu_count() or 1)  # batches matched in parallel
    show_values: bool = False
    limits: Limits = field(default_factory=Limits)
    tables: Sequence[str] | None = None  # database tables to scan (default: every one)


@dataclass
class _TableOutcome:
    result: SourceResult
    matches: list[pl.DataFrame] = field(default_factory=list)


def _safe_reason(exc: BaseException) -> str:
    """A failure reason that cannot carry a personal value.

    Our own errors are written never to include cell contents; anything else
    (a parser's message may quote the offending cell) is reduced to its type.
    """
    if isinstance(exc, SourceError):
        return str(exc)
    return f"unexpected {type(exc).__name__} while reading (a verifydel bug: please report it)"


def _match_batch(
    batch: pl.DataFrame,
    cols: Mapping[str, Sequence[str]],
    first_row: int,
    table: Table,
    pack: LoadedPack,
    show_values: bool,
) -> pl.DataFrame | None:
    """Normalise, fingerprint and match one batch; rows numbered from ``first_row`` + 1.

    The table's location columns (offset, page, recovered) are carried onto each
    match; a table whose rows are not numbered gives a null ``row``.
    """
    found = match_batch(batch, cols, pack.secret, pack.contents)
    if not found.height:
        return None
    if table.window_texts is not None:  # spans in unstructured bytes: look around them
        found = corroborate(found, table.window_texts(batch, found[ROW].unique()), pack.secret, pack.contents)
    if show_values:
        found = found.join(_clear_values(batch, cols), on=ROW, how="left")
    if table.location:
        where = batch.select(
            pl.int_range(pl.len(), dtype=pl.UInt32).alias(ROW),
            *(pl.col(src).cast(OPTIONAL_MATCH_SCHEMA[name]).alias(name) for name, src in table.location.items()),
        )
        found = found.join(where, on=ROW, how="left")
    row = (pl.col(ROW).cast(pl.Int64) + first_row + 1) if table.numbered else pl.lit(None, pl.Int64)
    return found.with_columns(pl.lit(table.label).alias("source"), row.alias("row")).drop(ROW)


def _scan_table(table: Table, pack: LoadedPack, options: ScanOptions, observer: ScanObserver | None) -> _TableOutcome:
    """Read batches in order and match them on ``options.threads`` workers.

    Rows count as scanned once their batch is matched; a read error after that
    makes the source partial, with everything before it kept.
    """
    result = SourceResult(path=table.label, kind=table.kind, status=SCANNED, encoding=table.encoding)
    result.notes = list(table.notes)
    result.details = table.details  # shared: a reader may add facts while its batches run
    out = _TableOutcome(result)
    started = time.perf_counter()
    cols: dict[str, list[str]] = {}

    def numbered() -> Iterator[tuple[pl.DataFrame, int]]:
        read = 0
        for batch in table.batches:
            if read == 0 and not result.columns:
                choice = detect_columns(table.columns, batch.select(table.columns), options.mapping)
                cols.update({f: list(c) for f, c in choice.fields.items() if c})
                result.columns = dict(cols)
                result.notes += list(choice.notes)
                if not (cols.get(PHONE) or cols.get(ADDRESS)):
                    result.notes.append("no phone or address column recognised: no row here can match")
            yield batch, read
            read += batch.height

    def work(item: tuple[pl.DataFrame, int]) -> tuple[int, int, pl.DataFrame | None]:
        batch, first_row = item
        found = None
        if cols.get(PHONE) or cols.get(ADDRESS):
            found = _match_batch(batch, cols, first_row, table, pack, options.show_values)
        return batch.height, int(batch.estimated_size()), found

    try:
        for rows, nbytes, found in ordered_map(work, numbered(), options.threads):
            if found is not None:
                out.matches.append(found)
            result.rows += rows
            if observer:
                observer.rows_done(table.label, rows, nbytes)
    except Exception as exc:  # noqa: BLE001 - every failure is recorded, the scan goes on
        result.status = PARTIAL if result.rows else FAILED
        result.error = _safe_reason(exc)
    result.seconds = round(time.perf_counter() - started, 3)
    return out


def _clear_values(batch: pl.DataFrame, cols: Mapping[str, Sequence[str]]) -> pl.DataFrame:
    """The broker's own cell values for each mapped field (only for --show-values)."""
    parts = [
        pl.concat_str([pl.col(c).cast(pl.String) for c in cs], separator=" ", ignore_nulls=True).alias(f)
        for f, cs in cols.items()
    ]
    return batch.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias(ROW), pl.struct(parts).alias("values"))


def _scan_unit(unit: Unit, pack: LoadedPack, options: ScanOptions, observer: ScanObserver | None) -> list[_TableOutcome]:
    if observer:
        observer.source_started(unit.label, unit.size)
    handler = containers.detect(unit) if unit.opener is None else None
    if handler is not None:
        return _scan_container(unit, handler, pack, options, observer)
    try:
        tables = unit.opener() if unit.opener is not None else open_tables(unit, encoding=options.encoding)
        tables = text_unless_matchable(tables, unit, mapping=options.mapping, encoding=options.encoding)
    except Exception as exc:  # noqa: BLE001
        outcome = _TableOutcome(
            SourceResult(path=unit.label, kind=unit.kind, status=FAILED, error=_safe_reason(exc), bytes=unit.size)
        )
        if observer:
            observer.source_finished(outcome.result)
        return [outcome]
    outcomes = [_scan_table(t, pack, options, observer) for t in tables]
    if not outcomes:  # a workbook with no sheet: still accounted for
        outcomes = [_TableOutcome(SourceResult(path=unit.label, kind=unit.kind, status=SCANNED))]
    for o in outcomes:
        o.result.bytes = unit.size if len(outcomes) == 1 else None
        if observer:
            observer.source_finished(o.result)
    return outcomes


def _scan_container(
    unit: Unit, handler: ModuleType, pack: LoadedPack, options: ScanOptions, observer: ScanObserver | None
) -> list[_TableOutcome]:
    """The container's own entry (its coverage: scanned, or partial with the limit hit), then its members'."""
    own = SourceResult(path=unit.label, kind=handler.KIND, status=SCANNED, bytes=unit.size)
    outcomes = [_TableOutcome(own)]
    last = 0  # where the outcomes of the last member unit start
    try:
        if unit.depth >= options.limits.max_depth:
            raise LimitExceeded("depth", f"more than {options.limits.max_depth} nested containers")
        for member in handler.members(unit, options.limits):
            cut = outcomes[last].result  # the last member's (first) entry
            if isinstance(member, containers.MemberCut) and member.follows and cut.path == member.label:
                # that member was cut short by a limit: partial (failed if nothing was read), never clean
                cut.status = FAILED if cut.status == FAILED else PARTIAL
                cut.error = member.error if cut.error is None else f"{member.error}; {cut.error}"
                continue
            if isinstance(member, UnitFailure):
                res = SourceResult(path=member.label, kind=member.kind, status=FAILED, error=member.error)
                outcomes.append(_TableOutcome(res))
                if observer:
                    observer.source_finished(res)
                continue
            last = len(outcomes)
            outcomes += _scan_unit(member, pack, options, observer)
    except Exception as exc:  # noqa: BLE001 - recorded; what was read before stays scanned
        own.status = PARTIAL if len(outcomes) > 1 else FAILED
        own.error = _safe_reason(exc)
    if observer:
        observer.source_finished(own)
    return outcomes


def _units(sources: Sequence[str], tables: Sequence[str] | None) -> Iterator[Unit | UnitFailure]:
    for source in sources:
        yield from expand(source, tables=tables)


def scan(
    sources: Sequence[str],
    pack: LoadedPack,
    options: ScanOptions | None = None,
    observer: ScanObserver | None = None,
) -> Report:
    options = options or ScanOptions()
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    work = list(_units(sources, options.tables))

    def run(item: Unit | UnitFailure) -> list[_TableOutcome]:
        if isinstance(item, UnitFailure):
            res = SourceResult(path=item.label, kind=item.kind, status=FAILED, error=item.error)
            if observer:
                observer.source_finished(res)
            return [_TableOutcome(res)]
        return _scan_unit(item, pack, options, observer)

    if options.jobs > 1 and len(work) > 1:
        with ThreadPoolExecutor(max_workers=options.jobs) as pool:
            per_unit = list(pool.map(run, work))
    else:
        per_unit = [run(item) for item in work]
    outcomes = [o for group in per_unit for o in group]
    return Report(
        tool_version=__version__,
        pack=pack.summary(),
        started_at=started_at,
        finished_at=datetime.now(UTC).isoformat(timespec="seconds"),
        sources=[o.result for o in outcomes],
        matches=_collect_matches(outcomes, options.show_values),
    )


def _collect_matches(outcomes: list[_TableOutcome], show_values: bool) -> pl.DataFrame:
    order = {o.result.path: i for i, o in enumerate(outcomes)}
    frames = [m for o in outcomes for m in o.matches]
    if not frames:
        return pl.DataFrame(schema=MATCH_SCHEMA)
    optional = [c for c in OPTIONAL_MATCH_SCHEMA if any(c in f.columns for f in frames)]
    cols = list(MATCH_SCHEMA) + optional + (["values"] if show_values else [])
    return (
        pl.concat([f.select([c for c in cols if c in f.columns]) for f in frames], how="diagonal_relaxed")
        .select(cols)
        .with_columns(pl.col("source").replace_strict(order, return_dtype=pl.UInt32).alias("_order"))
        .sort(["_order", "row", *[c for c in ("offset", "page") if c in optional], "record_id"], nulls_last=True)
        .drop("_order")
    )


__all__ = ["LoadedPack", "ScanObserver", "ScanOptions", "load_pack", "scan", "NORMALISATION_VERSION"]
