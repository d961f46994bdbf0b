"""Membership lookup: broker fingerprints against the pack's sorted per-combination arrays.

A set join done with binary search (``np.searchsorted``) on the sorted u64
fingerprints of each combination: no hash table to build per batch, and every
leaked record sharing a fingerprint (a household's address) is returned.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from verifydel.fingerprint.pack import PackContents
from verifydel.normalise.batch import ROW

REC = "_rec"


def _expand_ranges(left: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Positions ``left[k] .. left[k]+counts[k]-1`` for every k, concatenated."""
    total = int(counts.sum())
    starts = np.repeat(left - np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
    return starts + np.arange(total, dtype=np.int64)


def lookup(entries: pl.DataFrame, contents: PackContents) -> pl.DataFrame:
    """``entries`` (_row, code, fp) → hits (_row u32, _rec u32, code u8), one per (entry, leaked record)."""
    out: list[pl.DataFrame] = []
    parts = entries.partition_by("code", as_dict=True) if entries.height else {}
    for (code,), part in parts.items():
        if code not in contents.index:
            continue
        fps, recs = contents.index[code]
        if len(fps) == 0:
            continue
        q = part["fp"].to_numpy()
        # Sorted queries make the binary searches walk memory forwards (numpy reuses the
        # previous key's bounds): about 10x faster than random-order queries on large packs.
        order = np.argsort(q, kind="stable")
        qs = q[order]
        left = np.searchsorted(fps, qs, side="left")
        hit = fps[np.minimum(left, len(fps) - 1)] == qs
        if not hit.any():
            continue
        left, qs_hit = left[hit], qs[hit]
        counts = np.searchsorted(fps, qs_hit, side="right") - left
        pos = _expand_ranges(left, counts)
        rows = np.repeat(part[ROW].to_numpy()[order[hit]], counts)
        out.append(
            pl.DataFrame(
                {ROW: rows, REC: recs[pos], "code": np.full(len(pos), code, dtype=np.uint8)},
                schema={ROW: pl.UInt32, REC: pl.UInt32, "code": pl.UInt8},
            )
        )
    if not out:
        return pl.DataFrame(schema={ROW: pl.UInt32, REC: pl.UInt32, "code": pl.UInt8})
    return pl.concat(out)
