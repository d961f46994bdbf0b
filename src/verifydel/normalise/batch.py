"""Apply the field normalisers to one batch, given the columns chosen for each field.

``normalise_batch`` gives, row for row, exactly what ``normalise_batch_reference``
(one ``field_expr`` per field in one polars select) gives, but does less work:

- a field whose values repeat (names, a single address column of a leak...)
  is normalised once per distinct value (``_distinct``);
- the address is split into its head (the place) and its tail (the block
  numbers), and each distinct head and tail is normalised once
  (``address.parse_addresses``), in one column or several;
- both keep what they computed across batches (``_cache``), so that a scan of
  tens of millions of rows works on each name, town and block number once;
- phone numbers written with digits, "+", brackets, hyphens and spaces, in
  ASCII or full width, skip the NFKC table and the cut and noise regexes
  (``_phone_fast``).

tests/normalise/test_normalise_batch_equivalence.py holds the two to equality;
docs/normalisation.md ("The batch") has the measurements.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Final

import polars as pl

from verifydel.fields import ADDRESS, FIELDS, MULTI_VALUED, NAME, NAME_KANA, PHONE
from verifydel.normalise import _distinct, _text
from verifydel.normalise._distinct import normalise_values
from verifydel.normalise._phone_fast import normalise_phones
from verifydel.normalise._registry import NORMALISERS, field_expr
from verifydel.normalise.address import clear_address_caches, parse_addresses, parsed_address
from verifydel.normalise.reading import HAN, reading_keys, row_readings

ROW = "_row"  # 0-based row number within the batch
#: Beside the fields: the prefecture the address states (null when it states none).
#: Two addresses agree only if their prefectures do where both state one.
ADDRESS_PREFECTURE = "address_prefecture"

#: Batches smaller than this go through the reference select: the fast paths
#: pay a few fixed milliseconds (automata, joins) that small batches do not win back.
FAST_MIN_ROWS: Final[int] = 2_000


def normalise_batch(batch: pl.DataFrame, columns: Mapping[str, Sequence[str]]) -> pl.DataFrame:
    """One row per input row: ``_row`` (u32), then every field of ``FIELDS``, then
    ``address_prefecture``.

    Single-valued fields are pl.String (null when absent or unusable); multi-valued
    fields (phone, email) are List[String] of the distinct usable values across
    their columns (empty when none); ``name_kana`` is List[String]: the row's
    reading keys (``_readings``).
    """
    if batch.height < FAST_MIN_ROWS:
        return normalise_batch_reference(batch, columns)
    out: dict[str, pl.Series | Future[pl.Series]] = {
        ROW: pl.int_range(0, batch.height, dtype=pl.UInt32, eager=True)
    }
    for f in FIELDS:
        cols = [c for c in columns.get(f, ()) if c in batch.columns]
        values = [batch.get_column(c).cast(pl.String) for c in cols]
        if f in MULTI_VALUED:
            out[f] = _candidates(f, values, batch.height)
        elif f == NAME_KANA:
            out[f] = _readings(batch, columns, batch.height)
        elif not values:
            out[f] = pl.repeat(None, batch.height, dtype=pl.String, eager=True)
        elif f == ADDRESS:
            # the costliest field: on a worker thread while this one does the others
            out[f] = _worker().submit(parse_addresses, _joined(values))
        else:
            out[f] = normalise_values(_joined(values), NORMALISERS[f])
    columns_out: list[pl.Series] = []
    prefecture = pl.repeat(None, batch.height, dtype=pl.String, eager=True)
    for name, v in out.items():
        value = v.result() if isinstance(v, Future) else v
        if isinstance(value, pl.DataFrame):  # the address: key and prefecture
            prefecture = value.get_column("prefecture")
            value = value.get_column("address")
        columns_out.append(value.alias(name))
    return pl.DataFrame([*columns_out, prefecture.alias(ADDRESS_PREFECTURE)])


_WORKER: ThreadPoolExecutor | None = None
_WORKER_LOCK = threading.Lock()


def _worker() -> ThreadPoolExecutor:
    """Threads for a field computed alongside the others (polars releases the GIL)."""
    global _WORKER
    with _WORKER_LOCK:
        if _WORKER is None:
            _WORKER = ThreadPoolExecutor(max_workers=2, thread_name_prefix="verifydel-normalise")
        return _WORKER


def _joined(values: list[pl.Series]) -> pl.Series:
    """The parts of a single-valued field joined as ``field_expr`` joins them."""
    if len(values) == 1:
        return values[0]
    frame = pl.DataFrame([v.alias(f"c{i}") for i, v in enumerate(values)])
    return frame.select(_text.join_parts([pl.col(c) for c in frame.columns])).to_series()


def _candidates(field: str, values: list[pl.Series], height: int) -> pl.Series:
    """Multi-valued field: the distinct usable values of the row's columns, in column order."""
    if not values:
        return pl.repeat([], height, dtype=pl.List(pl.String), eager=True)
    normaliser = NORMALISERS[field]
    if field == PHONE:
        normalised = [normalise_phones(v) for v in values]
    else:
        normalised = [normalise_values(v, normaliser) for v in values]
    frame = pl.DataFrame([v.alias(f"c{i}") for i, v in enumerate(normalised)])
    return frame.select(distinct_in_order([pl.col(c) for c in frame.columns])).to_series()


def _readings(batch: pl.DataFrame, columns: Mapping[str, Sequence[str]], height: int) -> pl.Series:
    """The reading keys of the row's reading (name_kana) and of its name where that is
    written in kana or romaji (``normalise.reading``), each distinct value once."""
    keys: dict[str, pl.Series] = {}
    for f in (NAME, NAME_KANA):
        values = [batch.get_column(c).cast(pl.String) for c in columns.get(f, ()) if c in batch.columns]
        if values:
            joined = _joined(values)
            # a kanji name has no key: not worked on (most leaked names; measured in the docs)
            kanji = joined.str.contains(HAN).fill_null(True)
            joined = joined.zip_with(~kanji, pl.repeat(None, joined.len(), dtype=pl.String, eager=True))
            keys[f] = normalise_values(joined, reading_keys).alias(f)
    if not keys:
        return pl.repeat([], height, dtype=pl.List(pl.String), eager=True)
    both = pl.DataFrame(list(keys.values()))
    parts = [pl.col(f) if f in keys else None for f in (NAME, NAME_KANA)]
    return both.select(row_readings(*parts)).to_series()


def distinct_in_order(values: list[pl.Expr]) -> pl.Expr:
    """``concat_list(values).list.drop_nulls().list.unique(maintain_order=True)``,
    written without the list operations for one or two values (they cost
    0.2 s per million rows; these when/then branches are plain columns)."""
    empty = pl.lit([], dtype=pl.List(pl.String))
    if len(values) == 1:
        (a,) = values
        return pl.when(a.is_not_null()).then(pl.concat_list(a)).otherwise(empty)
    if len(values) == 2:
        a, b = values
        return (
            pl.when(a.is_not_null() & b.is_not_null() & (a != b)).then(pl.concat_list(a, b))
            .when(a.is_not_null()).then(pl.concat_list(a))
            .when(b.is_not_null()).then(pl.concat_list(b))
            .otherwise(empty)
        )  # fmt: skip
    return pl.concat_list(values).list.drop_nulls().list.unique(maintain_order=True)


def clear_caches() -> None:
    """Forget the values kept across batches (benchmarks measure cold runs with it)."""
    clear_address_caches()
    _distinct.clear_caches()


def normalise_batch_reference(
    batch: pl.DataFrame, columns: Mapping[str, Sequence[str]]
) -> pl.DataFrame:
    """What ``normalise_batch`` gives, the plain way: ``field_expr`` per field in
    one select over every row. The reference the fast paths are tested against."""
    exprs: list[pl.Expr] = [pl.int_range(pl.len(), dtype=pl.UInt32).alias(ROW)]
    for f in FIELDS:
        cols = [c for c in columns.get(f, ()) if c in batch.columns]
        if f == NAME_KANA:
            exprs.append(_reading_expr(batch, columns).alias(f))
        elif f in MULTI_VALUED:
            if cols:
                parts = [field_expr(f, [pl.col(c).cast(pl.String)]) for c in cols]
                exprs.append(
                    pl.concat_list(parts)
                    .list.drop_nulls()
                    .list.unique(maintain_order=True)
                    .alias(f)
                )
            else:
                exprs.append(pl.lit([], dtype=pl.List(pl.String)).alias(f))
        elif f == ADDRESS and cols:
            # key and prefecture from one parse (a struct, taken apart after the select)
            exprs.append(parsed_address(_text.join_parts([pl.col(c).cast(pl.String) for c in cols])).alias(f))
        elif cols:
            exprs.append(field_expr(f, [pl.col(c).cast(pl.String) for c in cols]).alias(f))
        else:
            exprs.append(pl.lit(None, dtype=pl.String).alias(f))
    out = batch.lazy().select(exprs).collect()
    if isinstance(out.schema[ADDRESS], pl.Struct):
        parsed = out.get_column(ADDRESS).struct
        return out.with_columns(parsed.field("address").alias(ADDRESS), parsed.field("prefecture").alias(ADDRESS_PREFECTURE))
    return out.with_columns(pl.lit(None, dtype=pl.String).alias(ADDRESS_PREFECTURE))


def _reading_expr(batch: pl.DataFrame, columns: Mapping[str, Sequence[str]]) -> pl.Expr:
    """``_readings`` as one expression (the reference)."""
    parts = []
    for f in (NAME, NAME_KANA):
        cols = [pl.col(c).cast(pl.String) for c in columns.get(f, ()) if c in batch.columns]
        parts.append(reading_keys(_text.join_parts(cols)) if cols else None)
    return row_readings(*parts)


__all__ = ["ADDRESS_PREFECTURE", "ROW", "clear_caches", "normalise_batch", "normalise_batch_reference"]
