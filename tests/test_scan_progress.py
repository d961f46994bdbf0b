"""What a real scan tells its progress display (issue 10, item 8).

The bytes read are those of the source, never the size of the rows in memory (a CP932
file's bar read 149.4/134.0 MB); they grow batch by batch in every source, zip members
included, and under --jobs 1 and 2 each source's calls come from the thread that started it.
"""

from __future__ import annotations

import io
import threading
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from rich.console import Console

from verifydel.cli.progress import ObserverProgress
from verifydel.core.coverage import SourceResult
from verifydel.formats import _frames
from verifydel.scan import ScanOptions, scan

ROWS = 1_000
BATCH = 100  # rows a batch here, so that a small file is read in several batches


def _rows_text(n: int = ROWS) -> str:
    lines = ["顧客ID,氏名,住所,電話番号"]
    lines += [f"C{i},山田 太郎{i},東京都港区芝公園{i}丁目2番8号,090-{i:04d}-{(7 * i) % 10000:04d}" for i in range(n)]
    return "\n".join(lines) + "\n"


@dataclass
class Recorder:
    """Every observer call, with the thread it came from."""

    started: dict[str, tuple[int | None, int]] = field(default_factory=dict)
    positions: dict[str, list[int]] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    finished: list[str] = field(default_factory=list)
    threads: dict[str, set[int]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _seen(self, label: str) -> None:
        self.threads.setdefault(label, set()).add(threading.get_ident())

    def unit_started(self, label: str, total_bytes: int | None) -> None:
        with self.lock:
            self.started[label] = (total_bytes, threading.get_ident())
            self._seen(label)

    def bytes_read(self, label: str, position: int) -> None:
        with self.lock:
            self.positions.setdefault(label, []).append(position)
            self._seen(label)

    def rows_done(self, label: str, rows: int) -> None:
        with self.lock:
            self.rows[label] = self.rows.get(label, 0) + rows
            self._seen(label)

    def source_finished(self, result: SourceResult) -> None:
        pass

    def unit_finished(self, label: str) -> None:
        with self.lock:
            self.finished.append(label)
            self._seen(label)


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_frames, "BATCH_ROWS", BATCH)


@pytest.fixture
def sources(tmp_path: Path) -> dict[str, Path]:
    text = _rows_text()
    utf8 = tmp_path / "utf8.csv"
    utf8.write_text(text, encoding="utf-8")
    cp932 = tmp_path / "cp932.csv"
    cp932.write_bytes(text.encode("cp932"))
    archive = tmp_path / "z.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("m1.csv", text.encode("utf-8"))
        z.writestr("m2.csv", text.encode("cp932"))
    return {"utf8": utf8, "cp932": cp932, "zip": archive}


@pytest.mark.usefixtures("small_batches")
@pytest.mark.parametrize("jobs", [1, 2])
def test_each_source_reports_the_bytes_of_its_own_file(
    tmp_path: Path, pack_factory, sources: dict[str, Path], jobs: int
) -> None:
    pack = pack_factory(tmp_path, _rows_text(10), id_column="顧客ID")
    recorder = Recorder()
    labels = [str(p) for p in sources.values()]
    report = scan(labels, pack, ScanOptions(jobs=jobs, threads=2), observer=recorder)
    assert [s.status for s in report.sources] == ["scanned"] * 5, [(s.path, s.error) for s in report.sources]
    files = {
        str(sources["utf8"]): sources["utf8"].stat().st_size,
        str(sources["cp932"]): sources["cp932"].stat().st_size,
        f"{sources['zip']}!/m1.csv": len(_rows_text().encode("utf-8")),
        f"{sources['zip']}!/m2.csv": len(_rows_text().encode("cp932")),
    }
    for label, size in files.items():
        assert recorder.started[label][0] == size
        positions = recorder.positions[label]
        assert max(positions) <= size, label  # never more than the file holds
        assert positions == sorted(positions) and positions[-1] == size  # read to its end
        assert len(set(positions)) >= ROWS // BATCH // 2, label  # moves batch by batch
        assert 0 < positions[0] < size / 2
        assert recorder.rows[label] == ROWS
    assert recorder.rows.get(str(sources["zip"]), 0) == 0  # rows are counted where they are read
    assert sorted(recorder.finished) == sorted([*labels, *[k for k in files if "!/" in k]])
    for label, threads in recorder.threads.items():
        assert threads == {recorder.started[label][1]}, label  # one thread per source and its members


def test_cp932_position_tracks_the_file_not_the_memory(
    tmp_path: Path, pack_factory, small_batches: None
) -> None:
    """Halfway through the rows is about halfway through the bytes, whatever the encoding."""
    pack = pack_factory(tmp_path, _rows_text(10), id_column="顧客ID")
    path = tmp_path / "cp932.csv"
    path.write_bytes(_rows_text().encode("cp932"))
    recorder = Recorder()
    scan([str(path)], pack, ScanOptions(threads=1), observer=recorder)
    positions = recorder.positions[str(path)]
    size = path.stat().st_size
    middle = positions[len(positions) // 2 - 1]  # after half of the batches
    assert 0.4 * size < middle < 0.6 * size


@pytest.mark.usefixtures("small_batches")
@pytest.mark.parametrize("jobs", [1, 2])
def test_every_bar_moves_on_a_terminal(
    tmp_path: Path, pack_factory, sources: dict[str, Path], jobs: int
) -> None:
    """Drawn through the CLI's display: each file's and each member's line shows a part of
    its size read at some point, none more than its size, and no line is left at the end."""
    pack = pack_factory(tmp_path, _rows_text(10), id_column="顧客ID")
    console = Console(file=io.StringIO(), force_terminal=True, width=250, color_system=None)
    seen: list[str] = []

    class Watching(ObserverProgress):
        def bytes_read(self, label: str, position: int) -> None:
            super().bytes_read(label, position)
            with lock:
                seen.extend(self.display.lines())

    lock = threading.Lock()
    with Watching(console) as progress:
        scan([str(p) for p in sources.values()], pack, ScanOptions(jobs=jobs, threads=2), observer=progress)
        assert [line for line in progress.display.lines() if not line.startswith("all sources")] == []
    for name in ("utf8.csv", "cp932.csv", "z.zip!/m1.csv", "z.zip!/m2.csv"):
        lines = [line for line in seen if name in line.split()[0]]
        fractions = {_fraction(line) for line in lines} - {None}
        assert any(0 < f < 1 for f in fractions), (name, lines[:3])  # moved before the end
        assert all(f <= 1 for f in fractions), name


def _fraction(line: str) -> float | None:
    import re

    found = re.search(r"([\d.]+)/([\d.]+) (k?B)", line)
    return float(found[1]) / float(found[2]) if found else None


@pytest.mark.usefixtures("small_batches")
@pytest.mark.parametrize("kind", ["jsonl", "parquet", "text"])
def test_other_readers_tell_their_position_too(tmp_path: Path, pack_factory, kind: str) -> None:
    import json

    import polars as pl

    pack = pack_factory(tmp_path, _rows_text(10), id_column="顧客ID")
    rows = [line.split(",") for line in _rows_text().splitlines()[1:]]
    path = tmp_path / f"source.{kind}"
    if kind == "jsonl":
        path.write_text("".join(json.dumps({"id": r[0], "名前": r[1], "電話": r[3], "n": i}, ensure_ascii=False) + "\n" for i, r in enumerate(rows)), encoding="utf-8")
    elif kind == "parquet":
        pl.DataFrame({"id": [r[0] for r in rows], "電話": [r[3] for r in rows]}).write_parquet(path, row_group_size=100)
    else:
        path.write_text("".join(f"{r[1]}さんに電話 {r[3]} 折り返し\n" for r in rows), encoding="utf-8")
    recorder = Recorder()
    report = scan([str(path)], pack, ScanOptions(threads=1), observer=recorder)
    assert report.sources[0].status == "scanned"
    size = path.stat().st_size
    positions = recorder.positions[str(path)]
    assert positions == sorted(positions) and max(positions) <= size and positions[-1] == size
    if kind != "text":  # a text file is searched 64 MiB at a time
        assert len(set(positions)) >= ROWS // BATCH // 2 and 0 < positions[0] < size / 2
