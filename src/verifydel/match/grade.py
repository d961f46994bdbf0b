"""Corroboration and strength: which fields of one leaked record a broker row agrees on.

Per CONTRACT.md: ``strong`` when a row agrees with one leaked record on at least
two of name, address, phone (a reading, name_kana, counts as the name);
``weak`` when it agrees on exactly one of them and that one is phone or
address. A name alone is never a match. Postal code, e-mail and birth date are
listed as corroborating fields but never make a match on their own.
"""

from __future__ import annotations

import polars as pl

from verifydel.fields import ADDRESS, FIELDS, MULTI_VALUED, NAME, NAME_KANA, PHONE
from verifydel.fingerprint.rows import FP_SUFFIX
from verifydel.match.index import REC
from verifydel.normalise.batch import ROW

STRONG = "strong"
WEAK = "weak"


def _agreement(field: str, ours: pl.Series, theirs: pl.Series) -> pl.Series:
    """Row-wise: do both sides hold the same fingerprint for ``field``?"""
    if field in MULTI_VALUED:
        both = pl.DataFrame({"a": ours, "b": theirs})
        return both.select(pl.col("a").list.set_intersection(pl.col("b")).list.len().fill_null(0) > 0).to_series()
    return (ours == theirs).fill_null(False)


def grade(hits: pl.DataFrame, row_fps: pl.DataFrame, records: pl.DataFrame) -> pl.DataFrame:
    """Hits (_row, _rec, code) → matches (_row, _rec, fields List[String], strength).

    ``row_fps`` holds per-field fingerprints keyed by ``_row`` (at least every
    row that has a hit); ``records`` is the pack's record table (position = _rec).
    Where a row has a strong match, its weak matches are dropped.
    """
    empty = pl.DataFrame(
        schema={ROW: pl.UInt32, REC: pl.UInt32, "fields": pl.List(pl.String), "strength": pl.String}
    )
    if hits.height == 0:
        return empty
    pairs = hits.select(ROW, REC).unique(maintain_order=True)
    fp_cols = [f + FP_SUFFIX for f in FIELDS]
    rows_side = pairs.select(ROW).join(row_fps, on=ROW, how="left", maintain_order="left")
    rec_side = records.select(fp_cols)[pairs[REC]]
    frame = pairs.with_columns(
        _agreement(f, rows_side[f + FP_SUFFIX], rec_side[f + FP_SUFFIX]).alias(f) for f in FIELDS
    )
    name_agrees = pl.col(NAME) | pl.col(NAME_KANA)
    identity = name_agrees.cast(pl.UInt8) + pl.col(ADDRESS).cast(pl.UInt8) + pl.col(PHONE).cast(pl.UInt8)
    strength = (
        pl.when(identity >= 2)
        .then(pl.lit(STRONG))
        .when((identity == 1) & (pl.col(ADDRESS) | pl.col(PHONE)))
        .then(pl.lit(WEAK))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    fields = pl.concat_list([pl.when(pl.col(f)).then(pl.lit(f)) for f in FIELDS]).list.drop_nulls()
    graded = frame.select(ROW, REC, fields.alias("fields"), strength.alias("strength")).drop_nulls("strength")
    best_is_strong = (pl.col("strength") == STRONG).any().over(ROW)
    return graded.filter((pl.col("strength") == STRONG) | ~best_is_strong)
