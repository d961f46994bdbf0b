"""scan --cluster on every corpus case gives the local scan's report (timestamps and durations aside).

One LocalCluster (2 worker processes) for the module; every case scanned locally and on it,
with the case's options: archives (each one unit), dumps, SQLite files with deleted
records, workbooks, text, live database tables (each found again by a worker from its
source), hostile and damaged sources (their failures and reasons). Then the text and
unstructured cases with every file over 4 KiB read in parts, which changes nothing either.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from corpus_build import Corpus
from corpus_registry import CASES, from_json, resolve

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cluster"))
from kit import comparable, differences  # noqa: E402

from verifydel.cluster.client import scan_on_cluster  # noqa: E402
from verifydel.scan import ScanOptions, scan  # noqa: E402


#: Kinds whose files the cluster may read in parts (delimited text, unstructured bytes).
SPLITTABLE_KINDS = ("text", "unstructured")


def _cases(corpus: Corpus, kinds: tuple[str, ...] | None = None) -> list[tuple[str, Any]]:
    out = []
    for name, case in CASES.items():
        built = from_json(corpus.manifest["cases"][name])
        if case.pending or built.skip or (kinds is not None and case.kind not in kinds):
            continue
        out.append((name, built))
    return out


def _comparable(report: Any) -> dict[str, Any]:
    """As ``kit.comparable``, without a SQLite WAL database's -shm index: whichever scan of
    the case runs first makes it (SQLite's own doing), the second finds it."""
    data = comparable(report)
    for s in data["sources"]:
        # its status (scanned, or partial when it changed while read) and the summary's
        # count of it depend on the same timing
        if s["path"].endswith("-shm") and s.get("status") in ("partial", "failed"):
            data["summary"]["sources_" + s["status"]] -= 1
    data["sources"] = [s for s in data["sources"] if not s["path"].endswith("-shm")]
    data["media"] = [m for m in data["media"] if not m["path"].endswith("-shm")]
    return data


@pytest.mark.parametrize(
    ("part_bytes", "kinds"), [(1 << 30, None), (4096, SPLITTABLE_KINDS)], ids=["every-case-whole", "text-in-parts"]
)
def test_every_case_on_the_cluster_equals_the_local_scan(
    corpus: Corpus,
    dask_client: Any,
    part_bytes: int,
    kinds: tuple[str, ...] | None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    failures = []
    cases = _cases(corpus, kinds)
    assert len(cases) >= (40 if kinds is None else 5)
    for name, built in cases:
        sources = [resolve(s, corpus.out) for s in built.sources]
        options = ScanOptions(encoding=built.encoding, password=built.password)
        local = scan(sources, corpus.pack, options)
        clustered = scan_on_cluster(sources, corpus.pack, options, dask_client, send_pack=False, part_bytes=part_bytes)
        diff = differences(_comparable(local), _comparable(clustered))
        if diff:
            failures.append(f"{name}: " + "; ".join(diff))
    assert not failures, "\n".join(failures)
