"""The bucket directory finds exactly what a binary search finds, duplicates and edges included."""

from __future__ import annotations

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from verifydel.fingerprint.pack import PackContents
from verifydel.match.index import REC, Directory, lookup
from verifydel.normalise.batch import ROW

U64 = st.integers(min_value=0, max_value=2**64 - 1)


def _reference(fps: np.ndarray, q: np.ndarray) -> set[tuple[int, int]]:
    left = np.searchsorted(fps, q, side="left")
    right = np.searchsorted(fps, q, side="right")
    return {(i, p) for i in range(len(q)) for p in range(left[i], right[i])}


@settings(max_examples=200, deadline=None)
@given(st.lists(U64, min_size=1, max_size=300), st.lists(U64, max_size=50), st.data())
def test_directory_matches_binary_search(leaked: list[int], queries: list[int], data: st.DataObject) -> None:
    fps = np.sort(np.array(leaked + leaked[: len(leaked) // 3], dtype=np.uint64))  # some duplicates
    picked = data.draw(st.lists(st.sampled_from(leaked), max_size=20))
    q = np.array(queries + picked + [0, 2**64 - 1], dtype=np.uint64)
    query, pos = Directory.build(fps).candidates(q)
    same = fps[pos] == q[query]
    assert set(zip(query[same].tolist(), pos[same].tolist())) == _reference(fps, q)


def test_directory_is_sized_for_about_two_entries_per_bucket() -> None:
    fps = np.sort(np.random.default_rng(3).integers(0, 2**64 - 1, 100_000, dtype=np.uint64, endpoint=True))
    d = Directory.build(fps)
    buckets = len(d.starts) - 1
    assert 100_000 / buckets <= 2 and 100_000 / buckets > 0.5
    assert d.starts[0] == 0 and d.starts[-1] == len(fps) and (np.diff(d.starts) >= 0).all()


def test_lookup_returns_every_record_sharing_a_fingerprint() -> None:
    fps = np.array([5, 7, 7, 7, 2**63, 2**64 - 1], dtype=np.uint64)
    recs = np.array([10, 11, 12, 13, 14, 15], dtype=np.uint32)
    contents = PackContents(records=pl.DataFrame(), index={3: (fps, recs)})
    entries = pl.DataFrame(
        {ROW: [0, 1, 2, 3], "code": [3, 3, 3, 4], "fp": [7, 6, 2**64 - 1, 7]},
        schema={ROW: pl.UInt32, "code": pl.UInt8, "fp": pl.UInt64},
    )
    hits = lookup(entries, contents).sort(ROW, REC)
    assert hits.select(ROW, REC).rows() == [(0, 11), (0, 12), (0, 13), (2, 15)]
