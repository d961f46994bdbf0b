"""`verifydel scan`: sources → formats → normalise → fingerprint → match → evidence.

Per-source failures never stop the scan: each ends in the report as scanned,
partial or failed with its reason. Only problems that stop the scan from
starting at all (bad pack, wrong key, bad options) are raised.

A scan asked to stop (``ScanOptions.stop``: the CLI's SIGINT/SIGTERM) ends the table it
reads after the current batch, ``interrupted`` with the rows so far counted and their
matches kept, and lists every source not started as ``interrupted`` with no row. With a
``ScanJournal``, every top-level source read to its end is recorded as it ends, and the
sources already in the journal are not read again (``scan --resume``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Protocol
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from verifydel import __version__
from verifydel.core.table import Table
from verifydel.core.unit import Unit
from verifydel.fingerprint.hashing import COMBINATION_CODE
from verifydel.fingerprint.keys import Secret
from verifydel.fingerprint.pack import PackContents, PackHeader, read_pack
from verifydel.match import CANDIDATE_COMBINATIONS, match_batch
from verifydel.match.index import prepare as prepare_lookup
from verifydel.match.window import corroborate
from verifydel.errors import OtherNormalisationError
from verifydel.normalise import NORMALISATION_VERSION
from verifydel.normalise.batch import ROW
from verifydel.normalise.gazetteer import gazetteer
from verifydel.pipeline.sweep import SweepOptions
from verifydel.pipeline import Consume, Observer, Outcome, consume_table, read
from verifydel.report.model import MATCH_SCHEMA, OPTIONAL_MATCH_SCHEMA, PackSummary, Report

#: What the CLI's progress display listens to: the reader's observer (``pipeline.Observer``),
#: told by the scan of the rows it has matched.
ScanObserver = Observer


class ScanJournal(Protocol):
    """Where a scan records each top-level source it read to its end, and finds those of an
    earlier run of the same scan (``report.journal.Journal``)."""

    #: When the journaled scan first started (the report's ``started_at``).
    started_at: str
    #: Its file: never read as a source, should a folder scanned hold it.
    path: Path

    def known(self) -> Mapping[str, list[Outcome]]: ...
    def record(self, label: str, outcomes: list[Outcome]) -> None: ...


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
            id_column_personal=bool(self.header.extra.get("id_column_personal")),
            key_id=self.header.key_check,
        )


def load_pack(path: Path, secret: Secret) -> LoadedPack:
    """Authenticate and load a pack, keeping in memory only what the scan looks up."""
    keep = {COMBINATION_CODE[c] for c in CANDIDATE_COMBINATIONS}
    header, contents, sha = read_pack(path, secret, keep=keep)
    if header.normalisation != NORMALISATION_VERSION:
        raise OtherNormalisationError(
            f"{path} holds values normalised as {header.normalisation!s:.20}; this verifydel normalises as "
            f"{NORMALISATION_VERSION}, and values written alike would not agree. Fingerprint the leaked set "
            "again with this version (verifydel fingerprint), or scan with the version that built the pack."
        )
    prepare_lookup(contents)  # bucket directories, built while the first batches are read
    return LoadedPack(path=path, header=header, contents=contents, sha256=sha, secret=secret)


@dataclass
class ScanOptions(SweepOptions):
    show_values: bool = False

    def identity(self) -> dict[str, object]:
        """What these options make of the same sources (JSON-able; the password included:
        only ever fed to a keyed hash). Two scans with equal identities find the same."""
        return {
            "mapping": {f: list(c) for f, c in sorted((self.mapping or {}).items())},
            "encoding": self.encoding,
            "limits": dataclasses.asdict(self.limits),
            "tables": list(self.tables) if self.tables is not None else None,
            "password": self.password,
            "follow_symlinks": self.follow_symlinks,
        }


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


def _scan_table(
    table: Table,
    pack: LoadedPack,
    options: ScanOptions,
    observer: ScanObserver | None,
    *,
    unit_label: str | None = None,
    live: bool = False,
) -> Outcome:
    """Read batches in order and match them on ``options.threads`` workers
    (``pipeline.consume_table``: coverage, notes, a live table's row digest)."""

    def work(batch: pl.DataFrame, first_row: int, cols: Mapping[str, Sequence[str]]) -> pl.DataFrame | None:
        return _match_batch(batch, cols, first_row, table, pack, options.show_values)

    return consume_table(
        table,
        options.mapping,
        work,
        threads=options.threads,
        observer=observer,
        unit_label=unit_label,
        live=live,
        stop=options.stop,
    )


def _clear_values(batch: pl.DataFrame, cols: Mapping[str, Sequence[str]]) -> pl.DataFrame:
    """The broker's own cell values for each mapped field (only for --show-values)."""
    parts = [
        pl.concat_str([pl.col(c).cast(pl.String) for c in cs], separator=" ", ignore_nulls=True).alias(f)
        for f, cs in cols.items()
    ]
    return batch.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias(ROW), pl.struct(parts).alias("values"))


def scan(
    sources: Sequence[str],
    pack: LoadedPack,
    options: ScanOptions | None = None,
    observer: ScanObserver | None = None,
    journal: ScanJournal | None = None,
) -> Report:
    """Scan ``sources`` against ``pack``. With a ``journal``: the sources it holds are taken
    from it, every other one is recorded in it once read to its end, and the report starts
    when the journaled scan first did."""
    options = options or ScanOptions()
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    gazetteer()  # before any source is read: a broken install stops here
    consume = table_consumer(pack, options, observer)
    if journal is None:
        outcomes = read(sources, options.reading(), consume, observer, jobs=options.jobs)
    else:
        started_at = journal.started_at
        outcomes = read(
            sources,
            options.reading(),
            consume,
            observer,
            jobs=options.jobs,
            known=journal.known(),
            finished=journal.record,
            exclude=(journal.path,),
        )
    return make_report(pack, started_at, outcomes, show_values=options.show_values)


def table_consumer(pack: LoadedPack, options: ScanOptions, observer: ScanObserver | None = None) -> Consume:
    """What a scan does with each table the reader hands it (``pipeline.read``'s ``consume``):
    the same for a local scan and for a cluster worker's unit (``verifydel.cluster``)."""

    def consume(table: Table, unit: Unit) -> Outcome:
        return _scan_table(table, pack, options, observer, unit_label=unit.label, live=unit.path is None)

    return consume


def make_report(pack: LoadedPack, started_at: str, outcomes: list[Outcome], *, show_values: bool) -> Report:
    """The report of a scan whose sources ended as ``outcomes`` (in source order)."""
    return Report(
        tool_version=__version__,
        pack=pack.summary(),
        started_at=started_at,
        finished_at=datetime.now(UTC).isoformat(timespec="seconds"),
        sources=[o.result for o in outcomes],
        matches=_collect_matches(outcomes, show_values),
        normalisation=NORMALISATION_VERSION,
        gazetteer=gazetteer().metadata(),
    )


def _collect_matches(outcomes: list[Outcome], show_values: bool) -> pl.DataFrame:
    order = {o.result.path: i for i, o in enumerate(outcomes)}
    frames = [m for o in outcomes for m in o.payload]
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


__all__ = [
    "NORMALISATION_VERSION",
    "LoadedPack",
    "ScanJournal",
    "ScanObserver",
    "ScanOptions",
    "load_pack",
    "make_report",
    "scan",
    "table_consumer",
]
