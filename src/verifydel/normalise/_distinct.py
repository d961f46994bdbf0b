"""Normalise each distinct value once and give every row its value's result.

A normaliser is a pure function of its input string, so normalising the
distinct values of a column and joining the results back on the value gives,
row for row, what normalising every row gives. The results are kept across
batches (``ValueCache``). Broker data repeats names,
towns and block numbers enormously (a 200,000-row batch holds a few thousand
distinct 姓 + 名), so this saves most of the work where values repeat, and
costs a hash of every row (``approx_n_unique``, ~10 ms per million) where
they do not.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Final

import polars as pl

from verifydel.normalise._cache import ValueCache

#: Normalise distinct values only when the column holds at most this many
#: distinct values per row (estimated). Measured (200,000 rows, CPU): with an
#: empty cache the distinct path breaks even at about 0.3 distinct values per
#: row for names and 0.6 for addresses; with the values already cached (they
#: recur from batch to batch) it costs a fifth to a tenth of the per-row path
#: at any ratio up to 0.9. docs/normalisation.md, "The batch".
DISTINCT_RATIO: Final[float] = 0.5
#: Below this many rows the estimate and the join cost more than they save.
DISTINCT_MIN_ROWS: Final[int] = 2_000

_VALUE = "value"
_OUT = "normalised"


def mostly_repeated(values: pl.Series) -> bool:
    """Whether ``values`` holds few enough distinct values to normalise them once each."""
    n = values.len()
    if n < DISTINCT_MIN_ROWS:
        return False
    return values.approx_n_unique() <= DISTINCT_RATIO * n


def apply_expr(values: pl.Series, normaliser: Callable[[pl.Expr], pl.Expr]) -> pl.Series:
    """``normaliser`` applied to every value of ``values`` (one polars call)."""
    return pl.DataFrame({_VALUE: values}).select(normaliser(pl.col(_VALUE)).alias(_OUT)).to_series()


#: Distinct values kept per normaliser across batches (a value and its result each).
VALUE_CACHE_ENTRIES: Final[int] = 300_000
_CACHES: dict[Callable[[pl.Expr], pl.Expr], ValueCache] = {}
_NULL_RESULTS: dict[Callable[[pl.Expr], pl.Expr], str | None] = {}
_CACHES_LOCK = threading.Lock()


def _cache_for(normaliser: Callable[[pl.Expr], pl.Expr]) -> ValueCache:
    with _CACHES_LOCK:
        cache = _CACHES.get(normaliser)
        if cache is None:
            cache = ValueCache(
                lambda distinct: apply_expr(distinct, normaliser).to_frame(_OUT),
                max_entries=VALUE_CACHE_ENTRIES,
            )
            _CACHES[normaliser] = cache
        return cache


def _null_result(normaliser: Callable[[pl.Expr], pl.Expr]) -> str | None:
    with _CACHES_LOCK:
        if normaliser not in _NULL_RESULTS:
            nothing = pl.Series(_VALUE, [None], dtype=pl.String)
            _NULL_RESULTS[normaliser] = apply_expr(nothing, normaliser)[0]
        return _NULL_RESULTS[normaliser]


def clear_caches() -> None:
    with _CACHES_LOCK:
        for cache in _CACHES.values():
            cache.clear()


def map_cached(values: pl.Series, normaliser: Callable[[pl.Expr], pl.Expr]) -> pl.Series:
    """``normaliser`` of every value, each distinct value normalised once per
    process (``ValueCache``); a null value gets what the normaliser gives null."""
    entry, table = _cache_for(normaliser).lookup(values)
    out = table.get_column(_OUT).gather(entry)
    if values.null_count():
        null_result = _null_result(normaliser)
        if null_result is not None:
            out = out.zip_with(
                values.is_not_null(), pl.repeat(null_result, values.len(), eager=True)
            )
    return out.alias(values.name)


def normalise_values(values: pl.Series, normaliser: Callable[[pl.Expr], pl.Expr]) -> pl.Series:
    """``normaliser`` applied to ``values``: once per distinct value when they repeat."""
    if mostly_repeated(values):
        return map_cached(values, normaliser)
    return apply_expr(values, normaliser).alias(values.name)
