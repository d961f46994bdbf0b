"""Apply the field normalisers to one batch, given the columns chosen for each field."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from verifydel.fields import FIELDS, MULTI_VALUED
from verifydel.normalise._registry import field_expr

ROW = "_row"  # 0-based row number within the batch


def normalise_batch(batch: pl.DataFrame, columns: Mapping[str, Sequence[str]]) -> pl.DataFrame:
    """One row per input row: ``_row`` (u32), then every field of ``FIELDS``.

    Single-valued fields are pl.String (null when absent or unusable); multi-valued
    fields (phone, email) are List[String] of the distinct usable values across
    their columns (empty when none).
    """
    exprs: list[pl.Expr] = [pl.int_range(pl.len(), dtype=pl.UInt32).alias(ROW)]
    for f in FIELDS:
        cols = [c for c in columns.get(f, ()) if c in batch.columns]
        if f in MULTI_VALUED:
            if cols:
                parts = [field_expr(f, [pl.col(c).cast(pl.String)]) for c in cols]
                exprs.append(pl.concat_list(parts).list.drop_nulls().list.unique(maintain_order=True).alias(f))
            else:
                exprs.append(pl.lit([], dtype=pl.List(pl.String)).alias(f))
        elif cols:
            exprs.append(field_expr(f, [pl.col(c).cast(pl.String) for c in cols]).alias(f))
        else:
            exprs.append(pl.lit(None, dtype=pl.String).alias(f))
    return batch.lazy().select(exprs).collect()
