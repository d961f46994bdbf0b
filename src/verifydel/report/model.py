"""The evidence model: findings *and* coverage. Renderers only read it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import polars as pl

from verifydel.exitcodes import ExitCode, scan_exit_code

Status = Literal["scanned", "partial", "failed"]
SCANNED: Status = "scanned"
PARTIAL: Status = "partial"
FAILED: Status = "failed"

REPORT_FORMAT = "verifydel-report/1"

#: Schema of ``Report.matches``. One row per (broker row, leaked record) pair.
MATCH_SCHEMA: dict[str, pl.DataType] = {
    "source": pl.String(),
    "row": pl.Int64(),
    "record_id": pl.String(),
    "fields": pl.List(pl.String()),
    "strength": pl.String(),  # "strong" | "weak"
}

#: Columns ``Report.matches`` MAY add; renderers emit each one per match only where it
#: is present and non-null. ``offset`` (byte offset) locates a match in an unstructured
#: source, whose ``row`` is then null; ``page`` and ``recovered`` mark a match found in
#: space the source had freed (deleted SQLite cells, freelist pages, WAL frames).
OPTIONAL_MATCH_SCHEMA: dict[str, pl.DataType] = {
    "offset": pl.Int64(),
    "page": pl.Int64(),
    "recovered": pl.Boolean(),
}

#: The columns that together say *where* a match is: one broker row (or span) each.
LOCATION_COLUMNS: tuple[str, ...] = ("source", "row", "offset", "page")

#: Optional Struct column of ``Report.matches`` (only with --show-values): the broker row's
#: clear value per field, one struct field per field name. ``Report.values`` is the other
#: way to hand them over; renderers use ``Report.values`` when it is set.
VALUES_COLUMN = "values"


@dataclass
class SourceResult:
    path: str
    kind: str
    status: Status
    rows: int = 0
    error: str | None = None
    columns: dict[str, list[str]] = field(default_factory=dict)
    encoding: str | None = None
    bytes: int | None = None
    seconds: float = 0.0
    #: Hints for the inspector (no personal value). Shown in the HTML and terminal reports,
    #: not in the JSON report (its shape is the contract's).
    notes: list[str] = field(default_factory=list)  # e.g. "sheet is hidden", "no phone column"
    #: Machine-readable facts about the source (no personal value), in the JSON report as
    #: ``details`` when not empty: e.g. a SQLite file's secure_delete, journal_mode,
    #: freelist pages; an unstructured source's encodings searched.
    details: dict[str, str | int | bool | None] = field(default_factory=dict)


@dataclass
class PackSummary:
    sha256: str
    records: int
    normalisation: str
    format: str = ""


@dataclass
class Report:
    tool_version: str
    pack: PackSummary
    started_at: str  # ISO-8601, UTC
    finished_at: str
    sources: list[SourceResult]
    matches: pl.DataFrame  # MATCH_SCHEMA, sorted by (source order, row, record_id)
    #: Only with --show-values (or see ``VALUES_COLUMN``): the broker rows' clear values,
    #: one row per location, keyed by the location columns (``source``, ``row``, and
    #: ``offset``/``page`` where matches have them; a missing one counts as null), optionally
    #: also ``record_id``. Each column named after a field in ``verifydel.fields.FIELDS`` is
    #: a String with that field's value. Renderers show a value only under a match that
    #: agrees on its field.
    values: pl.DataFrame | None = None

    @property
    def summary(self) -> dict[str, int]:
        m = self.matches
        best = (
            m.group_by([c for c in LOCATION_COLUMNS if c in m.columns]).agg(
                (pl.col("strength") == "strong").any().alias("strong")
            )
            if m.height
            else pl.DataFrame({"strong": []}, schema={"strong": pl.Boolean()})
        )
        strong = int(best["strong"].sum()) if best.height else 0
        return {
            "rows_scanned": sum(s.rows for s in self.sources),
            "matched_rows": best.height,
            "matched_records": m["record_id"].n_unique() if m.height else 0,
            "strong": strong,
            "weak": best.height - strong,
            "sources_failed": sum(1 for s in self.sources if s.status == FAILED),
            "sources_partial": sum(1 for s in self.sources if s.status == PARTIAL),
        }

    @property
    def incomplete_sources(self) -> int:
        return sum(1 for s in self.sources if s.status != SCANNED)

    @property
    def exit_code(self) -> ExitCode:
        """FOUND if any match, else INCOMPLETE if any source has gaps, else CLEAN."""
        return scan_exit_code(
            matches=self.matches.height, incomplete_sources=self.incomplete_sources
        )
