"""What a pure function gave for a string, kept across batches.

A scan normalises tens of millions of rows in batches of ~200,000; the same
surnames, towns and block numbers come back in every batch. ``ValueCache``
keeps, per distinct value, the row its ``compute`` function gave, so that a
value is worked on once per process instead of once per batch. Bounded:
once full, a value seen only once in a call (a building and its room
number, say) is computed for that call but not kept, and past
``max_entries`` values it starts afresh. Thread-safe (the scan works on two
batches at a time). It lives in memory only and is never written.

Nothing here changes a result: ``compute`` is a pure function of the value,
and every value found is checked against the value stored with its entry.
Values are found by a 64-bit hash of them (a join on integers costs less
than a join on strings), in an inner join, which builds its hash table on
the smaller side: a call's own values, not every kept one (a left join
rebuilt the kept values' table on every call: benchmarks/RESULTS.md,
"The value cache's probe"); a value whose hash another value holds already (a
collision) is not kept, and the call falls back to a table of its own, keyed
by the strings themselves. So does a call whose values another thread
dropped from the table (starting afresh) while it worked.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import polars as pl

_VALUE = "value"
_KEY = "key"  # the value's hash
_ENTRY = "entry"
_ROW = "row"  # a probed value's row
_COUNT = "count"
_SEED = 0x5EED_CAC4E


class ValueCache:
    """Rows of ``compute`` per distinct value, kept across calls.

    ``compute`` takes a String Series of distinct non-null values and returns
    a DataFrame with one row per value, in the same order. Once the table
    has no room for all of a call's new values, those seen fewer than
    ``min_count`` times in the call are computed but not kept.
    """

    def __init__(
        self,
        compute: Callable[[pl.Series], pl.DataFrame],
        max_entries: int,
        min_count: int = 2,
    ) -> None:
        self._compute = compute
        self._max_entries = max_entries
        self._min_count = min_count
        self._lock = threading.Lock()
        self._table: pl.DataFrame | None = None  # _VALUE, _KEY, _ENTRY, then compute's columns

    def clear(self) -> None:
        with self._lock:
            self._table = None

    def lookup(self, values: pl.Series) -> tuple[pl.Series, pl.DataFrame]:
        """(each value's entry: u32, null for a null value; the table the
        entries index: compute's columns, row ``entry`` for that value)."""
        keys = _keys(values)
        table = self._table
        entry = _probe(values, keys, table)
        missing = values.is_not_null() & entry.is_null()
        if missing.any():
            counts = values.filter(missing).alias(_VALUE).value_counts(name=_COUNT)
            new = counts.get_column(_VALUE)
            computed = self._compute(new)
            with self._lock:
                # all of them while there is room; past it, the values that repeat
                current = self._table
                room = self._max_entries - (0 if current is None else current.height)
                kept = counts.get_column(_COUNT) >= (1 if new.len() <= room else self._min_count)
                table = self._merged(new.filter(kept), computed.filter(kept))
            # this call's table: the kept values, then its own others
            own = _numbered(new.filter(~kept), computed.filter(~kept), start=table.height)
            own = _new_keys(own, table)
            if own.height:
                table = pl.concat([table, own])
            entry = _probe(values, keys, table)
            if (values.is_not_null() & entry.is_null()).any():  # dropped meanwhile, or a collision
                distinct = values.drop_nulls().unique()
                table = _numbered(distinct, self._compute(distinct), start=0)
                entry = _probe_exact(values, table)
        if table is None:  # every value null: an empty table of the right columns
            return entry, self._compute(pl.Series(_VALUE, [], dtype=pl.String))
        return entry, table.drop(_VALUE, _KEY, _ENTRY)

    def _merged(self, new: pl.Series, computed: pl.DataFrame) -> pl.DataFrame:
        """The shared table with ``new`` added (but values whose hash it holds
        already: added meanwhile by another thread, or a collision)."""
        current = self._table
        if current is not None and current.height + new.len() > self._max_entries:
            current = None
        start = 0 if current is None else current.height
        fresh = _new_keys(_numbered(new, computed, start=start), current)
        table = fresh if current is None else pl.concat([current, fresh]).rechunk()
        self._table = table
        return table


def _keys(values: pl.Series) -> pl.Series:
    """The values' 64-bit hashes (equal values, equal hashes; in one process)."""
    return values.hash(_SEED)


def _numbered(values: pl.Series, computed: pl.DataFrame, start: int) -> pl.DataFrame:
    """Table rows for ``values``: the value, its hash, its entry (numbered from
    ``start``), then compute's columns."""
    return computed.select(
        values.alias(_VALUE),
        _keys(values).alias(_KEY),
        pl.int_range(start, start + pl.len(), dtype=pl.UInt32).alias(_ENTRY),
        *computed.columns,
    )


def _new_keys(rows: pl.DataFrame, table: pl.DataFrame | None) -> pl.DataFrame:
    """``rows`` whose hash neither ``table`` nor an earlier row holds, renumbered
    to follow ``table``: a table never holds a hash twice."""
    rows = rows.filter(pl.col(_KEY).is_first_distinct())
    if table is not None and rows.height:
        there = rows.select(_KEY).join(table.select(_KEY), on=_KEY, how="inner").get_column(_KEY)
        rows = rows.filter(~pl.col(_KEY).is_in(there.implode()))
    start = 0 if table is None else table.height
    return rows.with_columns(pl.int_range(start, start + pl.len(), dtype=pl.UInt32).alias(_ENTRY))


def _probe(values: pl.Series, keys: pl.Series, table: pl.DataFrame | None) -> pl.Series:
    """Each value's entry in ``table``, found by hash and checked against the
    value stored there (null where null, not there, or a collision)."""
    nulls = pl.repeat(None, values.len(), dtype=pl.UInt32, eager=True)
    if table is None:
        return nulls
    # a table never holds a hash twice: a row finds at most one entry
    found = (
        pl.DataFrame({_KEY: keys, _ROW: pl.int_range(values.len(), eager=True, dtype=pl.UInt32)})
        .join(table.select(_KEY, _ENTRY), on=_KEY, how="inner")
    )
    entry = nulls.clone().scatter(found.get_column(_ROW), found.get_column(_ENTRY)) if found.height else nulls  # scatter: in place
    same = table.get_column(_VALUE).gather(entry).eq_missing(values) & values.is_not_null()
    return entry.zip_with(same, nulls)


def _probe_exact(values: pl.Series, table: pl.DataFrame) -> pl.Series:
    """Each value's entry in ``table`` by the string itself (null where null)."""
    return (
        pl.DataFrame({_VALUE: values})
        .join(table.select(_VALUE, _ENTRY), on=_VALUE, how="left", maintain_order="left")
        .get_column(_ENTRY)
    )
