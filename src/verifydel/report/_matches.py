"""The matches as every renderer sees them: in report order, with only known columns.

Order (CONTRACT.md): the source's position in ``Report.sources``, then row (or offset,
page), then record id. Renderers never trust the order they were handed: the same report
must give the same bytes.
"""

from __future__ import annotations

import polars as pl

from verifydel.fields import FIELDS
from verifydel.report.model import (
    LOCATION_COLUMNS,
    MATCH_SCHEMA,
    OPTIONAL_MATCH_SCHEMA,
    VALUES_COLUMN,
    Report,
)

#: Where an unknown field name goes when fields are put in canonical order.
_FIELD_RANK: dict[str, int] = {name: rank for rank, name in enumerate(FIELDS)}
#: Prefix of the columns ``attach_values`` adds (one per field).
VALUE_PREFIX = "__value__"
_SOURCE_RANK = "__source_rank"


def canonical_fields(fields: list[str] | None) -> list[str]:
    """Field names in ``verifydel.fields.FIELDS`` order (unknown names last, by name)."""
    return sorted(fields or [], key=lambda name: (_FIELD_RANK.get(name, len(FIELDS)), name))


def ordered_matches(report: Report) -> pl.DataFrame:
    """``report.matches`` restricted to known columns, sorted into report order."""
    matches = report.matches
    known = [
        c for c in (*MATCH_SCHEMA, *OPTIONAL_MATCH_SCHEMA, VALUES_COLUMN) if c in matches.columns
    ]
    rank: dict[str, int] = {}
    for position, source in enumerate(report.sources):
        rank.setdefault(source.path, position)
    sort_keys = [_SOURCE_RANK, "source"] + [
        c for c in (*LOCATION_COLUMNS[1:], "record_id") if c in matches.columns
    ]
    return (
        matches.select(known)
        .with_columns(
            pl.col("source")
            .replace_strict(rank, default=len(rank), return_dtype=pl.Int64())
            .alias(_SOURCE_RANK)
        )
        .sort(sort_keys, nulls_last=True, maintain_order=True)
        .drop(_SOURCE_RANK)
    )


def attach_values(
    matches: pl.DataFrame, values: pl.DataFrame | None
) -> tuple[pl.DataFrame, list[str]]:
    """Put the clear broker values beside ``matches``; returns the frame and the fields.

    The value of field ``f`` lands in column ``VALUE_PREFIX + f``; values of names not in
    ``FIELDS`` are ignored. The values come from ``values`` (``Report.values``) if given,
    else from the matches' own ``VALUES_COLUMN`` struct. ``values`` is joined on the whole
    location if it holds a location column (one it lacks counts as null there: a frame
    keyed by source and row never lends its values to a span located by offset), plus
    ``record_id`` if it holds one; otherwise on ``record_id`` alone. A key seen twice in
    ``values`` keeps its first row.
    """
    inline = matches.schema.get(VALUES_COLUMN)
    if values is None and isinstance(inline, pl.Struct):
        inline_fields = [f for f in FIELDS if f in {member.name for member in inline.fields}]
        unnested = matches.with_columns(
            pl.col(VALUES_COLUMN).struct.field(f).cast(pl.String).alias(VALUE_PREFIX + f)
            for f in inline_fields
        )
        return unnested.drop(VALUES_COLUMN), inline_fields
    matches = matches.drop(VALUES_COLUMN, strict=False)
    if values is None:
        return matches, []
    fields = [f for f in FIELDS if f in values.columns]
    location = [c for c in LOCATION_COLUMNS if c in matches.columns]
    if any(c in values.columns for c in location):
        values = values.with_columns(
            pl.lit(None, dtype=matches.schema[c]).alias(c)
            for c in location
            if c not in values.columns
        )
        keys = location + (["record_id"] if "record_id" in values.columns else [])
    else:
        keys = ["record_id"] if "record_id" in values.columns else []
    if not keys or not fields:
        return matches, []
    renamed = (
        values.select(*keys, *(pl.col(f).cast(pl.String).alias(VALUE_PREFIX + f) for f in fields))
        .unique(subset=keys, keep="first", maintain_order=True)
        .cast({k: matches.schema[k] for k in keys})
    )
    joined = matches.join(renamed, on=keys, how="left", nulls_equal=True, maintain_order="left")
    return joined, fields


def per_source_counts(report: Report) -> dict[str, tuple[int, int, int]]:
    """source path -> (matched rows, strong rows, weak rows); a row counts at its best."""
    matches = report.matches
    if matches.height == 0:
        return {}
    location = [c for c in LOCATION_COLUMNS if c in matches.columns]
    counts = (
        matches.group_by(location)
        .agg((pl.col("strength") == "strong").any().alias("strong"))
        .group_by("source")
        .agg(pl.len().alias("rows"), pl.col("strong").sum().alias("strong"))
    )
    return {
        source: (int(rows), int(strong), int(rows) - int(strong))
        for source, rows, strong in counts.iter_rows()
    }
