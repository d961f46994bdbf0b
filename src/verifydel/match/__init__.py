"""Matching: membership joins, corroboration across the fields of one leaked record, strength."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from verifydel.fields import ADDRESS, COMBINATIONS, PHONE
from verifydel.fingerprint.attest_tags import anchor_entries
from verifydel.fingerprint.keys import Secret
from verifydel.fingerprint.pack import PackContents
from verifydel.fingerprint.rows import combination_fingerprints, field_fingerprints
from verifydel.match.grade import MATCH_LISTS, STRONG, WEAK, grade
from verifydel.match.index import REC, lookup
from verifydel.normalise.batch import ROW, normalise_batch

__all__ = ["CANDIDATE_COMBINATIONS", "STRONG", "WEAK", "match_attested", "match_batch", "match_normalised"]

#: With the full pack, candidates come from the single-field combinations only: every match
#: needs phone or address to agree (a name alone is never a match), and a pair combination
#: (name+phone, ...) can only hit where its single field hits too; the pair's other field is
#: then confirmed from the record's per-field fingerprints. Same result, a quarter of the
#: lookups (tests/match pins the equivalence). The pairs serve tiers without per-record data.
CANDIDATE_COMBINATIONS: tuple[str, ...] = (PHONE, ADDRESS)
#: The fields the candidate combinations are made of: the only ones every row needs.
CANDIDATE_FIELDS: frozenset[str] = frozenset(
    f for cid, fields in COMBINATIONS if cid in CANDIDATE_COMBINATIONS for f in fields
)
_EMPTY = {ROW: pl.UInt32, "record_id": pl.String, **{c: pl.List(pl.String) for c in MATCH_LISTS}, "strength": pl.String}


def match_batch(
    batch: pl.DataFrame, columns: Mapping[str, Sequence[str]], secret: Secret, contents: PackContents
) -> pl.DataFrame:
    """A broker batch → its matches, as ``match_normalised(normalise_batch(batch, columns), ...)``.

    Only the candidate fields (phone, address) are normalised for every row; the
    others (name, kana, postal, ...) only for the rows that found a candidate,
    about 1 in 100 in a real scan: the same answer for less work (tests/match).
    """
    candidates = {f: cs for f, cs in columns.items() if f in CANDIDATE_FIELDS}
    norm = normalise_batch(batch, candidates)
    hits = lookup(combination_fingerprints(norm, secret, CANDIDATE_COMBINATIONS), contents)
    if hits.height == 0:
        return pl.DataFrame(schema=_EMPTY)
    rows = hits[ROW].unique().sort()
    full = normalise_batch(batch[rows], columns).with_columns(rows.alias(ROW))
    return _graded(hits, full, secret, contents)


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
        return pl.DataFrame(schema=_EMPTY)
    return _graded(hits, norm.filter(pl.col(ROW).is_in(hits[ROW].unique().implode())), secret, contents)


def _graded(hits: pl.DataFrame, hit_rows: pl.DataFrame, secret: Secret, contents: PackContents) -> pl.DataFrame:
    """Grade ``hits`` given the normalised rows that have them (every field)."""
    graded = grade(hits, field_fingerprints(hit_rows, secret), contents.records)
    ids = contents.records["record_id"][graded[REC]]
    return (
        graded.with_columns(ids.alias("record_id"))
        .select(ROW, "record_id", *MATCH_LISTS, "strength")
        .sort(ROW, "record_id")
    )


def match_attested(row_fps: pl.DataFrame, contents: PackContents) -> pl.DataFrame:
    """The attestation tier's ``match_normalised``: rows' anchors and tags
    (``fingerprint.attest_tags.attested_fingerprints``) against an attestation pack's
    records and anchor index → (_row, record_id, fields, disagreed, missing, strength).

    Candidates come from the phone and address anchors, as the full tier's come from the
    phone and address fingerprints; ``grade`` then applies the same rules. A record id is
    ``#n``: the record's 1-based position in the pack (the regulator maps it to its id).
    """
    hits = lookup(anchor_entries(row_fps), contents)
    if hits.height == 0:
        return pl.DataFrame(schema=_EMPTY)
    hit_rows = row_fps.filter(pl.col(ROW).is_in(hits[ROW].unique().implode()))
    graded = grade(hits, hit_rows, contents.records)
    ids = pl.lit("#") + (pl.col(REC).cast(pl.Int64) + 1).cast(pl.String)
    return (
        graded.with_columns(ids.alias("record_id"))
        .select(ROW, "record_id", *MATCH_LISTS, "strength")
        .sort(ROW, "record_id")
    )
