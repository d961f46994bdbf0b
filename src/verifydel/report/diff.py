"""Comparing JSON reports over time (``verifydel diff``): what is gone, what is still there.

Pure: loaded report documents in, a ``Diff`` out; ``diff_json`` and ``diff_html`` render it,
``_diff_sources`` compares the sources.
Reports are given oldest first. Each consecutive pair is a ``Step``:

- **records**, by leaked record id: ``still_present`` (matched in both), ``new`` (only in
  the newer), ``gone`` (only in the older), with the strongest strength on each side, how
  many broker rows held it and in which sources. A gone record is ``confirmed`` when every
  source it was found in before was read completely again (``scanned``), or has vanished
  from a place the newer scan did read completely (the file was deleted); otherwise its
  absence may only mean that the newer scan did not look there.
- **sources**, by path: ``added``, ``removed``, ``changed`` (SHA-256 differs; without a
  SHA-256 on both sides, the size; for a live table, the row digest), ``unchanged``, or
  ``unknown`` (nothing recorded to compare, as in reports of the first versions).
- **coverage worse**: a source ``scanned`` before is ``partial``, ``failed`` or
  ``interrupted`` now, or is missing from a newer report whose scan was not given a SOURCE
  holding it (so nobody looked; a file deleted from a folder the scan read is *removed*,
  not worse).

The verdict is the newest report's against every earlier one: ``found`` (exit 3) when a
leaked record is present in the newest (any match, or with ``fail_on="strong"`` a strong
one); else ``not_confirmed`` (exit 4) when coverage got worse since any earlier report or
a record gone since one is not confirmed; else ``clean`` (exit 0).

Reports scanned against different packs (``pack.sha256``) are refused unless allowed:
record ids of two packs need not name the same people. Only record ids (as the reports
hold them), source paths, hashes and counts are compared and written: never a value.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import polars as pl

from verifydel.core.coverage import SCANNED
from verifydel.errors import DifferentPacksError, InvalidReportError, UsageError
from verifydel.exitcodes import ExitCode
from verifydel.report._diff_sources import (
    ADDED,
    CHANGED,
    REMOVED,
    UNCHANGED,
    UNKNOWN,
    SourceChange,
    source_changes,
)

DIFF_FORMAT: Final = "verifydel-diff/1"

STILL_PRESENT: Final = "still_present"
NEW: Final = "new"
GONE: Final = "gone"
#: The order records are listed in: what still needs action first.
CHANGES: Final = (STILL_PRESENT, NEW, GONE)

FAIL_ON: Final = ("any", "strong")

_MATCH_SCHEMA: Final = {
    "record_id": pl.String(),
    "source": pl.String(),
    "strength": pl.String(),
    # where: one broker row (or span) each
    "row": pl.Int64(),
    "offset": pl.Int64(),
    "page": pl.Int64(),
}
_LOCATION: Final = ("source", "row", "offset", "page")
_PER_RECORD_SCHEMA: Final = {
    "record_id": pl.String(),
    "strong": pl.Boolean(),
    "locations": pl.UInt32(),
    "sources": pl.List(pl.String()),
}


@dataclass(frozen=True)
class LoadedReport:
    """A JSON report as read back: the file as given, the SHA-256 of its bytes, its document."""

    file: str
    sha256: str
    document: dict[str, Any]

    @classmethod
    def of(cls, file: str, data: bytes, document: dict[str, Any]) -> LoadedReport:
        return cls(file, hashlib.sha256(data).hexdigest(), document)


@dataclass(frozen=True)
class ReportFacts:
    """One report of the series, in counts (a row of the series table)."""

    file: str
    sha256: str
    started_at: str | None
    finished_at: str | None
    pack_sha256: str | None
    records_present: int  # distinct leaked record ids matched
    strong_records: int  # of those, matched strongly somewhere
    weak_records: int
    matched_rows: int
    matches_without_record_id: int
    sources: int
    sources_scanned: int
    sources_gaps: int  # partial, failed or interrupted
    rows_scanned: int
    verdict: str  # found | not_confirmed | clean, as the scan's rule gives it


@dataclass(frozen=True)
class RecordChange:
    record_id: str
    change: str  # still_present | new | gone
    old_strength: str | None  # strong | weak | None (not matched)
    new_strength: str | None
    old_locations: int  # broker rows (or spans) that matched it
    new_locations: int
    old_sources: tuple[str, ...]
    new_sources: tuple[str, ...]
    #: For a gone record: True when every source it was in was read completely again (or
    #: vanished from a place read completely); None for the other changes.
    confirmed: bool | None


#: ``Step.records``: one row per leaked record id of either report (fields as ``RecordChange``).
RECORD_SCHEMA: Final = {
    "record_id": pl.String(),
    "change": pl.String(),
    "old_strength": pl.String(),
    "new_strength": pl.String(),
    "old_locations": pl.Int64(),
    "new_locations": pl.Int64(),
    "old_sources": pl.List(pl.String()),
    "new_sources": pl.List(pl.String()),
    "confirmed": pl.Boolean(),
}


@dataclass(frozen=True)
class Step:
    """One consecutive pair of the series: ``reports[old]`` → ``reports[new]``.

    ``records`` is a frame (``RECORD_SCHEMA``, still present first, then new, then gone,
    each by record id): a follow-up of a large leak can list millions of records."""

    old: int
    new: int
    records: pl.DataFrame
    sources: list[SourceChange]
    summary: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        r, kinds = self.records, [s.change for s in self.sources]
        change, strong = pl.col("change"), pl.col("new_strength") == "strong"
        counts = r.select(
            (change == STILL_PRESENT).sum().alias("still_present"),
            ((change == STILL_PRESENT) & strong).sum().alias("still_present_strong"),
            (change == NEW).sum().alias("new"),
            (change == GONE).sum().alias("gone"),
            ((change == GONE) & ~pl.col("confirmed").fill_null(False))
            .sum()
            .alias("gone_unconfirmed"),
        ).row(0, named=True)
        summary = {key: int(value or 0) for key, value in counts.items()}
        summary |= {
            "sources_added": kinds.count(ADDED),
            "sources_removed": kinds.count(REMOVED),
            "sources_changed": kinds.count(CHANGED),
            "sources_unchanged": kinds.count(UNCHANGED),
            "sources_unknown": kinds.count(UNKNOWN),
            "coverage_worse": sum(1 for s in self.sources if s.coverage_worse),
        }
        object.__setattr__(self, "summary", summary)

    def record_changes(
        self, change: str | None = None, limit: int | None = None
    ) -> list[RecordChange]:
        """The records (of one change), as objects: for pages and tests, not for millions."""
        frame = self.records if change is None else self.records.filter(pl.col("change") == change)
        if limit is not None:
            frame = frame.head(limit)
        return [
            RecordChange(
                **{
                    **row,
                    "old_sources": tuple(row["old_sources"]),
                    "new_sources": tuple(row["new_sources"]),
                }
            )
            for row in frame.iter_rows(named=True)
        ]


@dataclass(frozen=True)
class Diff:
    reports: list[ReportFacts]
    steps: list[Step]
    fail_on: str
    same_pack: bool
    id_column_personal: bool
    #: Matches in the newest report that count (any, or strong ones with fail_on="strong").
    present_matches: int
    #: Newest against every earlier report: sources whose coverage got worse, and records
    #: gone without confirmation (sorted).
    coverage_worse: tuple[str, ...] = ()
    gone_unconfirmed: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> ExitCode:
        if self.present_matches:
            return ExitCode.FOUND
        if self.coverage_worse or self.gone_unconfirmed:
            return ExitCode.INCOMPLETE
        return ExitCode.CLEAN

    @property
    def verdict(self) -> str:
        return {ExitCode.FOUND: "found", ExitCode.INCOMPLETE: "not_confirmed"}.get(
            self.exit_code, "clean"
        )

    @property
    def last(self) -> Step:
        return self.steps[-1]


# --- one report -----------------------------------------------------------------------
def _matches_frame(report: LoadedReport) -> pl.DataFrame:
    matches = report.document["matches"]
    if not matches:
        return pl.DataFrame(schema=_MATCH_SCHEMA)
    if not all(isinstance(m, dict) for m in matches):
        raise InvalidReportError(f"{report.file}: the report's 'matches' are malformed")
    try:
        return pl.from_dicts(matches, schema=_MATCH_SCHEMA, strict=False)
    except (pl.exceptions.PolarsError, TypeError, ValueError):
        raise InvalidReportError(f"{report.file}: the report's 'matches' are malformed") from None


def _per_record(matches: pl.DataFrame) -> pl.DataFrame:
    """One row per leaked record id: strongest strength, locations, sources (sorted)."""
    identified = matches.filter(pl.col("record_id").is_not_null())
    if not identified.height:
        return pl.DataFrame(schema=_PER_RECORD_SCHEMA)
    return identified.group_by("record_id").agg(
        (pl.col("strength") == "strong").any().alias("strong"),
        pl.len().alias("locations"),
        pl.col("source").drop_nulls().unique().sort().alias("sources"),
    )


def _sources(report: LoadedReport) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for i, source in enumerate(report.document["sources"]):
        if not isinstance(source, dict) or not isinstance(source.get("path"), str):
            raise InvalidReportError(f"{report.file}: source #{i + 1} is malformed")
        out.setdefault(source["path"], source)
    return out


def _verdict_of(document: Mapping[str, Any], matches: pl.DataFrame, gaps: int) -> str:
    fail_on = (document.get("run") or {}).get("fail_on", "any")
    counted = (
        int((matches["strength"] == "strong").sum()) if fail_on == "strong" else matches.height
    )
    return "found" if counted else ("not_confirmed" if gaps else "clean")


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


@dataclass(frozen=True)
class _Parsed:
    """What the diff needs of one report, read once."""

    report: LoadedReport
    matches: pl.DataFrame  # _MATCH_SCHEMA
    per_record: pl.DataFrame  # _PER_RECORD_SCHEMA
    sources: dict[str, dict[str, Any]]


def _parse(report: LoadedReport) -> _Parsed:
    matches = _matches_frame(report)
    return _Parsed(report, matches, _per_record(matches), _sources(report))


def report_facts(report: LoadedReport) -> ReportFacts:
    return _facts(_parse(report))


def _facts(parsed: _Parsed) -> ReportFacts:
    report, matches, per = parsed.report, parsed.matches, parsed.per_record
    document = report.document
    strong = int(per["strong"].sum()) if per.height else 0
    statuses = [s.get("status") for s in parsed.sources.values()]
    gaps = sum(1 for s in statuses if s != SCANNED)
    pack = document["pack"]
    return ReportFacts(
        file=report.file,
        sha256=report.sha256,
        started_at=document.get("started_at"),
        finished_at=document.get("finished_at"),
        pack_sha256=pack.get("sha256"),
        records_present=per.height,
        strong_records=strong,
        weak_records=per.height - strong,
        matched_rows=matches.select(_LOCATION).unique().height,
        matches_without_record_id=int(matches["record_id"].is_null().sum()),
        sources=len(statuses),
        sources_scanned=len(statuses) - gaps,
        sources_gaps=gaps,
        rows_scanned=sum(_int(s.get("rows")) for s in parsed.sources.values()),
        verdict=_verdict_of(document, matches, gaps),
    )


# --- records --------------------------------------------------------------------------
def _record_changes(old: pl.DataFrame, new: pl.DataFrame, reread: Iterable[str]) -> pl.DataFrame:
    """Join the per-record frames of two reports; ``reread``: sources read completely again."""

    def strength(column: str) -> pl.Expr:
        return (
            pl.when(pl.col(column))
            .then(pl.lit("strong"))
            .when(pl.col(column).is_not_null())
            .then(pl.lit("weak"))
        )

    joined = old.join(new, on="record_id", how="full", coalesce=True, suffix="_new").with_columns(
        pl.when(pl.col("locations").is_null())
        .then(pl.lit(NEW))
        .when(pl.col("locations_new").is_null())
        .then(pl.lit(GONE))
        .otherwise(pl.lit(STILL_PRESENT))
        .alias("change")
    )
    reread_list = pl.Series(list(reread), dtype=pl.String).implode()
    confirmed = (
        joined.filter(pl.col("change") == GONE)
        .select("record_id", "sources")
        .explode("sources")
        .with_columns(pl.col("sources").is_in(reread_list).fill_null(False).alias("confirmed"))
        .group_by("record_id")
        .agg(pl.col("confirmed").all())
    )
    empty = pl.lit([], dtype=pl.List(pl.String()))
    return (
        joined.join(confirmed, on="record_id", how="left")
        .with_columns(
            pl.col("change")
            .replace_strict({c: i for i, c in enumerate(CHANGES)}, return_dtype=pl.Int8)
            .alias("rank")
        )
        .sort(["rank", "record_id"])
        .select(
            "record_id",
            "change",
            strength("strong").alias("old_strength"),
            strength("strong_new").alias("new_strength"),
            pl.col("locations").fill_null(0).cast(pl.Int64).alias("old_locations"),
            pl.col("locations_new").fill_null(0).cast(pl.Int64).alias("new_locations"),
            pl.col("sources").fill_null(empty).alias("old_sources"),
            pl.col("sources_new").fill_null(empty).alias("new_sources"),
            "confirmed",
        )
    )


def _step(old_index: int, new_index: int, parsed: Sequence[_Parsed]) -> Step:
    old, new = parsed[old_index], parsed[new_index]
    sources = source_changes(old.sources, new.sources, new.report.document)
    reread = [
        s.path
        for s in sources
        if (s.new_status == SCANNED) or (s.change == REMOVED and s.within_new_scan)
    ]
    records = _record_changes(parsed[old_index].per_record, parsed[new_index].per_record, reread)
    return Step(old_index, new_index, records, sources)


# --- the whole diff -------------------------------------------------------------------
def check_same_pack(reports: Sequence[LoadedReport]) -> bool:
    """True when every report names the first one's pack; else DifferentPacksError."""
    first = reports[0]
    first_sha = first.document["pack"].get("sha256")
    for other in reports[1:]:
        sha = other.document["pack"].get("sha256")
        if sha != first_sha:
            raise DifferentPacksError(
                f"{first.file} and {other.file} were scanned against different packs "
                f"(sha256 {str(first_sha)[:16]}… and {str(sha)[:16]}…): their record ids need "
                "not name the same leaked records",
                hint="diff reports of scans against one pack. Fingerprinting the same leaked set "
                "again gives another sha256, as the salt is random: if both packs were made from "
                "the same leaked set with the same --id-column, add --allow-different-pack",
            )
    return True


def diff_reports(
    reports: Sequence[LoadedReport],
    *,
    allow_different_pack: bool = False,
    fail_on: str = "any",
) -> Diff:
    """Compare ``reports`` (oldest first, at least two)."""
    if len(reports) < 2:
        raise UsageError(
            "diff needs at least two reports", hint="give OLD.json NEW.json (oldest first)"
        )
    if fail_on not in FAIL_ON:
        raise UsageError(f"unknown fail_on {fail_on!r}", hint="give any or strong")
    packs = {r.document["pack"].get("sha256") for r in reports}
    if not allow_different_pack:
        check_same_pack(reports)
    notes = []
    if len(packs) > 1:
        notes.append(
            f"the reports name {len(packs)} different packs (--allow-different-pack): record ids "
            "are compared as they are, on the word of whoever made the packs that they name the same records"
        )
    parsed = [_parse(r) for r in reports]
    facts = [_facts(p) for p in parsed]
    steps = [_step(i - 1, i, parsed) for i in range(1, len(reports))]
    newest = len(reports) - 1
    # the newest against every earlier report (the last of them is the last step)
    against = [_step(i, newest, parsed) for i in range(newest - 1)] + [steps[-1]]
    worse = sorted({s.path for step in against for s in step.sources if s.coverage_worse})
    unconfirmed = (
        pl.concat([step.records.filter(pl.col("change") == GONE) for step in against])
        .filter(~pl.col("confirmed").fill_null(False))["record_id"]
        .unique()
        .sort()
        .to_list()
    )
    matches = parsed[newest].matches
    present = (
        int((matches["strength"] == "strong").sum()) if fail_on == "strong" else matches.height
    )
    for fact in facts:
        if fact.matches_without_record_id:
            notes.append(
                f"{fact.file}: {fact.matches_without_record_id:,} match(es) without a record id are counted, not listed"
            )
    order = [f.started_at for f in facts]
    if all(isinstance(t, str) for t in order) and order != sorted(
        order
    ):  # ISO-8601 UTC sorts as text
        notes.append(
            "the reports are not given oldest first (by started_at): each step compares them in the order given"
        )
    return Diff(
        reports=facts,
        steps=steps,
        fail_on=fail_on,
        same_pack=len(packs) == 1,
        id_column_personal=any(bool(r.document["pack"].get("id_column_personal")) for r in reports),
        present_matches=present,
        coverage_worse=tuple(worse),
        gone_unconfirmed=tuple(unconfirmed),
        notes=notes,
    )


__all__ = [
    "CHANGES",
    "DIFF_FORMAT",
    "GONE",
    "NEW",
    "RECORD_SCHEMA",
    "STILL_PRESENT",
    "Diff",
    "LoadedReport",
    "RecordChange",
    "ReportFacts",
    "SourceChange",
    "Step",
    "check_same_pack",
    "diff_reports",
    "report_facts",
]
