"""Corroboration and strength: which fields of one leaked record a broker row agrees on.

Per CONTRACT.md: ``strong`` when a row agrees with one leaked record on at least
two of name, address, phone (a reading, name_kana, counts as the name);
``weak`` when it agrees on exactly one of them and that one is phone or
address. A name alone is never a match. Postal code, e-mail and birth date are
listed as corroborating fields but never make a match on their own.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from verifydel.fields import ADDRESS, FIELDS, LISTED, NAME, NAME_KANA, PHONE
from verifydel.fingerprint.rows import FP_SUFFIX
from verifydel.match.index import REC
from verifydel.normalise.batch import ROW

STRONG = "strong"
WEAK = "weak"
_ROW_HAS = "__row_has_"
_REC_HAS = "__rec_has_"


def _listed(field: str, fps: pl.Series) -> bool:
    """Is ``field`` held as a list of fingerprints (a multi-valued field or the reading
    keys; in the attestation tier every field but the address: one tag per anchor)?"""
    return field in LISTED or isinstance(fps.dtype, pl.List)


def _agreement(field: str, ours: pl.Series, theirs: pl.Series) -> pl.Series:
    """Row-wise: do both sides hold the same fingerprint for ``field`` (lists: a common one)?"""
    if _listed(field, ours):
        both = pl.DataFrame({"a": ours, "b": theirs})
        return both.select(pl.col("a").list.set_intersection(pl.col("b")).list.len().fill_null(0) > 0).to_series()
    return (ours == theirs).fill_null(False)


def _present(field: str, fps: pl.Series) -> pl.Series:
    """Row-wise: does this side hold a value for ``field``?"""
    if _listed(field, fps):
        return (fps.list.len() > 0).fill_null(False)
    return fps.is_not_null()


_PREF_FP = "address_prefecture" + FP_SUFFIX


def _address_agreement(rows_side: pl.DataFrame, records: pl.DataFrame, recs: pl.Series) -> pl.Series:
    """Row-wise: the address keys are the same, and so are the prefectures where both
    addresses state one (府中市 in 東京都 is not 府中市 in 広島県; either without one may be)."""
    column = ADDRESS + FP_SUFFIX
    same = _agreement(ADDRESS, rows_side[column], records[column][recs])
    if _PREF_FP not in rows_side.columns or _PREF_FP not in records.columns:
        return same
    ours, theirs = rows_side[_PREF_FP], records[_PREF_FP][recs]
    clash = (ours.is_not_null() & theirs.is_not_null() & (ours != theirs)).fill_null(False)
    return same & ~clash


#: The per-match lists besides ``fields`` (the fields that agree).
DISAGREED = "disagreed"  # both sides hold the field, with different values
MISSING = "missing"  # one side holds the field, the other does not
MATCH_LISTS = ("fields", DISAGREED, MISSING)


def _agrees_as_name(field: str) -> pl.Expr:
    """The field agrees; for the name and its reading, either does: a kana broker name that
    agrees with the leaked フリガナ is not listed as a name that disagrees (kana vs kanji)."""
    if field in (NAME, NAME_KANA):
        return pl.col(NAME) | pl.col(NAME_KANA)
    return pl.col(field)


def grade(hits: pl.DataFrame, row_fps: pl.DataFrame, records: pl.DataFrame) -> pl.DataFrame:
    """Hits (_row, _rec, code) → matches (_row, _rec, fields, disagreed, missing, strength).

    ``fields`` lists the fields that agree; ``disagreed`` those both sides hold with
    different values; ``missing`` those only one side holds (each a List[String] in
    ``FIELDS`` order).

    ``row_fps`` holds per-field fingerprints keyed by ``_row`` (at least every
    row that has a hit); ``records`` is the pack's record table (position = _rec).
    Where a row has a strong match, its weak matches are dropped.
    """
    empty = pl.DataFrame(
        schema={ROW: pl.UInt32, REC: pl.UInt32, **{c: pl.List(pl.String) for c in MATCH_LISTS}, "strength": pl.String}
    )
    if hits.height == 0:
        return empty
    pairs = hits.select(ROW, REC).unique(maintain_order=True)
    fp_cols = [f + FP_SUFFIX for f in FIELDS]
    rows_side = pairs.select(ROW).join(row_fps, on=ROW, how="left", maintain_order="left")
    rec_side = records.select(fp_cols)[pairs[REC]]
    frame = pairs.with_columns(
        *(_agreement(f, rows_side[f + FP_SUFFIX], rec_side[f + FP_SUFFIX]).alias(f) for f in FIELDS if f != ADDRESS),
        _address_agreement(rows_side, records, pairs[REC]).alias(ADDRESS),
        *(_present(f, rows_side[f + FP_SUFFIX]).alias(_ROW_HAS + f) for f in FIELDS),
        *(_present(f, rec_side[f + FP_SUFFIX]).alias(_REC_HAS + f) for f in FIELDS),
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
    def listed(holds: Callable[[str], pl.Expr]) -> pl.Expr:
        return pl.concat_list([pl.when(holds(f)).then(pl.lit(f)) for f in FIELDS]).list.drop_nulls()

    row_has, rec_has = (lambda f: pl.col(_ROW_HAS + f)), (lambda f: pl.col(_REC_HAS + f))
    graded = frame.select(
        ROW,
        REC,
        listed(pl.col).alias("fields"),
        listed(lambda f: row_has(f) & rec_has(f) & ~_agrees_as_name(f)).alias(DISAGREED),
        listed(lambda f: row_has(f) ^ rec_has(f)).alias(MISSING),
        strength.alias("strength"),
    ).drop_nulls("strength")
    best_is_strong = (pl.col("strength") == STRONG).any().over(ROW)
    return graded.filter((pl.col("strength") == STRONG) | ~best_is_strong)
