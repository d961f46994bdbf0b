"""Matching: membership joins, corroboration across the fields of one leaked record, strength."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from verifydel.fields import ADDRESS, PHONE
from verifydel.fingerprint.keys import Secret
from verifydel.fingerprint.pack import PackContents
from verifydel.fingerprint.rows import combination_fingerprints, field_fingerprints
from verifydel.match.grade import STRONG, WEAK, grade
from verifydel.match.index import REC, lookup
from verifydel.normalise.batch import ROW

__all__ = ["CANDIDATE_COMBINATIONS", "STRONG", "WEAK", "match_normalised"]

#: With the full pack, candidates come from the single-field combinations only: every match
#: needs phone or address to agree (a name alone is never a match), and a pair combination
#: (name+phone, ...) can only hit where its single field hits too; the pair's other field is
#: then confirmed from the record's per-field fingerprints. Same result, a quarter of the
#: lookups (tests/match pins the equivalence). The pairs serve tiers without per-record data.
CANDIDATE_COMBINATIONS: tuple[str, ...] = (PHONE, ADDRESS)


def match_normalised(
    norm: pl.DataFrame,
    secret: Secret,
    contents: PackContents,
    combinations: Sequence[str] | None = CANDIDATE_COMBINATIONS,
) -> pl.DataFrame:
    """Normalised batch → (_row u32, record_id, fields, strength), ordered by row then record.

    ``combinations=None`` looks up every combination in the pack.
    """
    hits = lookup(combination_fingerprints(norm, secret, combinations), contents)
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
