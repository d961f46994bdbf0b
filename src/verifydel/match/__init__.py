"""Matching: membership joins, corroboration across the fields of one leaked record, strength."""

from __future__ import annotations

import polars as pl

from verifydel.fingerprint.keys import Secret
from verifydel.fingerprint.pack import PackContents
from verifydel.fingerprint.rows import combination_fingerprints, field_fingerprints
from verifydel.match.grade import STRONG, WEAK, grade
from verifydel.match.index import REC, lookup
from verifydel.normalise.batch import ROW

__all__ = ["STRONG", "WEAK", "match_normalised"]


def match_normalised(norm: pl.DataFrame, secret: Secret, contents: PackContents) -> pl.DataFrame:
    """Normalised batch → (_row u32, record_id, fields, strength), ordered by row then record."""
    hits = lookup(combination_fingerprints(norm, secret), contents)
    if hits.height == 0:
        return pl.DataFrame(
            schema={ROW: pl.UInt32, "record_id": pl.String, "fields": pl.List(pl.String), "strength": pl.String}
        )
    hit_rows = norm.filter(pl.col(ROW).is_in(hits[ROW].unique().implode()))
    graded = grade(hits, field_fingerprints(hit_rows, secret), contents.records)
    ids = contents.records["record_id"][graded[REC]]
    return (
        graded.with_columns(ids.alias("record_id"))
        .select(ROW, "record_id", "fields", "strength")
        .sort(ROW, "record_id")
    )
