"""Planning a cluster scan without a cluster: quote-aware cuts, parts, the key's transport rule."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from verifydel.cluster.client import ClusterSpec, refuse_plain_remote
from verifydel.cluster.units import plan, record_cuts
from verifydel.core.options import ReadOptions
from verifydel.errors import UsageError


def _records(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_cuts_fall_between_records_never_inside_quotes(tmp_path: Path) -> None:
    rows = [["id", "note"]] + [[str(i), f'line one\nline "two" of {i}, with a comma' if i % 3 else "plain"] for i in range(400)]
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path = tmp_path / "q.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    data = path.read_bytes()
    for every in (1, 7, 50, 333, 4096):
        for block in (16, 1000, 1 << 20):
            cuts = record_cuts(path, every, block=block)
            assert cuts[0] == 0 and cuts[-1] == len(data) and cuts == sorted(set(cuts))
            parts = [data[a:b].decode() for a, b in zip(cuts, cuts[1:])]
            # every part is whole records: parsed apart they are the file's records
            assert [r for p in parts for r in _records(p)] == rows
            assert all(data[c - 1 : c] == b"\n" for c in cuts[1:-1])


def test_a_file_with_no_line_end_after_the_cut_is_one_part(tmp_path: Path) -> None:
    path = tmp_path / "one.csv"
    path.write_bytes(b'a,b\n"1,' + b"x" * 5000 + b'\n2"')  # the last line feed is inside quotes
    assert record_cuts(path, 100) == [0, path.stat().st_size]


def test_plan_parts_large_files_only(tmp_path: Path) -> None:
    (tmp_path / "big.csv").write_text("電話,名前\n" + "".join(f"090-0000-{i:04d},x{i}\n" for i in range(2000)), encoding="cp932")
    (tmp_path / "small.csv").write_text("電話\n03-1234-5678\n", encoding="utf-8")
    (tmp_path / "blob.bin").write_bytes(bytes(range(256)) * 200)
    planned = {p.label.rsplit("/", 1)[-1]: p for p in plan([str(tmp_path)], ReadOptions(), part_bytes=10_000)}
    assert planned["small.csv"].layout == "whole" and len(planned["small.csv"].parts) == 1
    big = planned["big.csv"]
    assert big.layout == "rows" and len(big.reads) > 2 and big.digest is not None
    spans = [(p.unit.span.start, p.unit.span.end) for p in big.reads]  # type: ignore[union-attr]
    assert spans[0][0] == 0 and spans[-1][1] == (tmp_path / "big.csv").stat().st_size
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:]))
    assert planned["blob.bin"].layout == "spans"
    assert len({p.key for p in big.parts}) == len(big.parts)


@pytest.mark.parametrize(
    ("address", "refused"),
    [("tcp://10.0.0.5:8786", True), ("tcp://203.0.113.9:8786", True), ("tcp://127.0.0.1:8786", False),
     ("tcp://localhost:8786", False), ("tcp://[::1]:8786", False), ("tls://10.0.0.5:8786", False)],
)  # fmt: skip
def test_the_key_goes_in_the_clear_to_this_machine_only(address: str, refused: bool) -> None:
    spec = ClusterSpec.parse(address)
    if refused:
        with pytest.raises(UsageError, match="plain TCP"):
            refuse_plain_remote(spec, insecure=False)
        refuse_plain_remote(spec, insecure=True)  # --insecure-cluster
    else:
        refuse_plain_remote(spec, insecure=False)


@pytest.mark.parametrize("text", ["local:0", "local:x", "ws://h:1", "10.0.0.5:8786", "tcp://", ""])
def test_cluster_spec_refuses_what_it_cannot_use(text: str) -> None:
    with pytest.raises(UsageError):
        ClusterSpec.parse(text)
