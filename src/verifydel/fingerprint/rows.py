"""From normalised rows to fingerprints: per-field (for corroboration) and per combination (for lookup)."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from verifydel.fields import COMBINATIONS, FIELDS, LISTED, MULTI_VALUED
from verifydel.fingerprint.hashing import COMBINATION_CODE, field_domain, fingerprint_expr
from verifydel.fingerprint.keys import Secret
from verifydel.normalise.batch import ADDRESS_PREFECTURE, ROW

#: Fields fingerprinted one value per row for corroboration.
SINGLE_FIELDS: tuple[str, ...] = tuple(f for f in FIELDS if f not in MULTI_VALUED)
FP_SUFFIX = "_fp"


def field_fingerprints(norm: pl.DataFrame, secret: Secret) -> pl.DataFrame:
    """``_row`` plus ``<field>_fp`` for every field: u64 (null when absent) for
    single-valued fields, List[u64] for the listed ones (phone, email, name_kana); and
    ``address_prefecture_fp`` (u64, null when the address states no prefecture)."""
    exprs = [pl.col(ROW)]
    for f in FIELDS:
        if f in LISTED:
            seeded = pl.element().nchash.xxh3_64(seed=secret.fingerprint_seed(field_domain(f)))
            exprs.append(pl.col(f).list.eval(seeded).alias(f + FP_SUFFIX))
        else:
            exprs.append(fingerprint_expr(secret, field_domain(f), [pl.col(f)]).alias(f + FP_SUFFIX))
    if ADDRESS_PREFECTURE in norm.columns:
        # the prefecture the address states: two addresses agree only if these do where
        # both are present (match.grade)
        pref = fingerprint_expr(secret, ADDRESS_PREFECTURE, [pl.col(ADDRESS_PREFECTURE)])
        exprs.append(pref.alias(ADDRESS_PREFECTURE + FP_SUFFIX))
    return norm.lazy().select(exprs).collect()


def combination_fingerprints(
    norm: pl.DataFrame, secret: Secret, only: Sequence[str] | None = None
) -> pl.DataFrame:
    """Long frame ``(_row u32, code u8, fp u64)``: every combination each row can form.

    Listed fields are exploded, so a row with two phones forms each phone
    combination twice (and name_kana+phone once per reading key and phone). Rows
    lacking a field of a combination form nothing for it. ``only`` restricts the
    combinations (by id) to compute.
    """
    lf = norm.lazy()
    parts: list[pl.LazyFrame] = []
    for cid, fields in COMBINATIONS:
        if only is not None and cid not in only:
            continue
        src = lf
        for f in fields:
            if f in LISTED:
                src = src.explode(f)
        parts.append(
            src.select(
                pl.col(ROW),
                pl.lit(COMBINATION_CODE[cid], dtype=pl.UInt8).alias("code"),
                fingerprint_expr(secret, cid, [pl.col(f) for f in fields]).alias("fp"),
            ).drop_nulls("fp")
        )
    return pl.concat(parts).collect()
