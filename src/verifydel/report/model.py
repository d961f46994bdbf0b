"""The evidence model: findings *and* coverage. Renderers only read it."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from verifydel.core.coverage import FAILED, INTERRUPTED, PARTIAL, SCANNED, SourceResult, Status
from verifydel.exitcodes import ExitCode, scan_exit_code

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
    # the fields both sides hold with different values / that only one side holds
    "disagreed": pl.List(pl.String()),
    "missing": pl.List(pl.String()),
}

#: The columns that together say *where* a match is: one broker row (or span) each.
LOCATION_COLUMNS: tuple[str, ...] = ("source", "row", "offset", "page")

#: Optional Struct column of ``Report.matches`` (only with --show-values): the broker row's
#: clear value per field, one struct field per field name. ``Report.values`` is the other
#: way to hand them over; renderers use ``Report.values`` when it is set.
VALUES_COLUMN = "values"


@dataclass
class PackSummary:
    sha256: str
    records: int
    normalisation: str
    format: str = ""
    #: The regulator chose record ids that are personal values (fingerprint --allow-personal-id):
    #: the report says so, since those ids appear in it.
    id_column_personal: bool = False
    #: The public id of the key the pack was sealed with (the pack header's ``key_check``:
    #: the id ``keygen`` prints and ``info`` shows).
    key_id: str = ""
    #: ``full`` (a scan with the pack and its key) or ``attestation`` (``attest finish``:
    #: the broker's values evaluated blind by the regulator; the pack is the .vdattest).
    tier: str = "full"


#: What the scan gates on (``--fail-on``): exit 3 on any match, or on a strong one only.
FAIL_ON = ("any", "strong")


@dataclass
class RunInfo:
    """Who ran what, where, how (no password, no value: see ``cli.record``)."""

    #: The command line as typed, with the value of every secret option replaced by "***".
    command: list[str] = field(default_factory=list)
    #: Every option's value as used (defaults included); secrets only as given/not given.
    options: dict[str, object] = field(default_factory=dict)
    operator: str | None = None
    case: str | None = None
    host: str = ""
    #: The inspector's local time zone (name and UTC offset), for the HTML and terminal.
    time_zone: str = ""
    utc_offset: str = ""
    fail_on: str = "any"


@dataclass
class Signer:
    """Who signed the report (``scan --sign``): the Ed25519 public key and its id."""

    key_id: str
    public_key: str  # base64 of the 32 raw bytes

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
    run: RunInfo = field(default_factory=RunInfo)
    signer: Signer | None = None
    normalisation: str = ""  # the normalisation version of the tool that scanned
    #: The gazetteer the scan normalised addresses with (``Gazetteer.metadata()``): source,
    #: version, licence, sha256; empty when not known (a report built by hand).
    gazetteer: dict[str, str] = field(default_factory=dict)

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
            "sources_interrupted": sum(1 for s in self.sources if s.status == INTERRUPTED),
            **self.record_counts,
        }

    @property
    def record_counts(self) -> dict[str, int]:
        """Leaked records confirmed (a strong match somewhere) and to review (weak matches only)."""
        m = self.matches
        if not m.height:
            return {"strong_records": 0, "weak_records": 0}
        per = m.group_by("record_id").agg((pl.col("strength") == "strong").any().alias("strong"))
        strong = int(per["strong"].sum())
        return {"strong_records": strong, "weak_records": per.height - strong}

    @property
    def strong_matches(self) -> int:
        return int((self.matches["strength"] == "strong").sum()) if self.matches.height else 0

    @property
    def incomplete_sources(self) -> int:
        return sum(1 for s in self.sources if s.status != SCANNED)

    @property
    def exit_code(self) -> ExitCode:
        """FOUND if any match (with ``--fail-on strong``: any strong match), else INCOMPLETE
        if any source has gaps, else CLEAN."""
        counted = self.strong_matches if self.run.fail_on == "strong" else self.matches.height
        return scan_exit_code(matches=counted, incomplete_sources=self.incomplete_sources)

    @property
    def verdict(self) -> str:
        """One word for the exit code: found, not_confirmed or clean."""
        return {ExitCode.FOUND: "found", ExitCode.INCOMPLETE: "not_confirmed"}.get(self.exit_code, "clean")


__all__ = [
    "FAILED",
    "FAIL_ON",
    "INTERRUPTED",
    "LOCATION_COLUMNS",
    "MATCH_SCHEMA",
    "OPTIONAL_MATCH_SCHEMA",
    "PARTIAL",
    "REPORT_FORMAT",
    "SCANNED",
    "VALUES_COLUMN",
    "PackSummary",
    "Report",
    "RunInfo",
    "Signer",
    "SourceResult",
    "Status",
]
