"""scan on a real LocalCluster (2 worker processes): the report a local scan writes.

One cluster for the module (``dask_client``). The demo folder read whole and in parts; a
CSV cut into many parts (quoted line breaks, a header row) finds every planted survivor
once, on its own row; unstructured bytes cut next to phones find each phone once; a
worker killed mid-scan costs nothing; a resumed scan reads nothing the journal holds.
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from kit import comparable, differences

from verifydel.cluster.client import scan_on_cluster
from verifydel.cluster.units import plan
from verifydel.cluster.worker import worker_pid
from verifydel.demo import make_demo
from verifydel.fingerprint.build import build_pack
from verifydel.fingerprint.keys import generate_secret
from verifydel.report.journal import Journal
from verifydel.scan import LoadedPack, ScanOptions, load_pack, scan

PEOPLE = 40


def _phone(i: int) -> str:
    return f"090-{1000 + i:04d}-{5000 + i:04d}"


def _leaked_csv() -> str:
    lines = ["ID,氏名,電話番号,住所"]
    lines += [f"L{i},山田 太郎{i},{_phone(i)},東京都千代田区千代田{i}-1" for i in range(PEOPLE)]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory, pack_factory: Any) -> LoadedPack:
    return pack_factory(tmp_path_factory.mktemp("pack"), _leaked_csv(), id_column="ID")


def _same(local: Any, clustered: Any) -> None:
    assert not differences(comparable(local), comparable(clustered))


def test_demo_report_equals_the_local_scan(dask_client: Any, tmp_path: Path) -> None:
    manifest = make_demo(tmp_path, seed=7, records=600)
    secret = generate_secret()
    build_pack([str(manifest.leaked)], secret, tmp_path / "d.vdpack", id_column="顧客ID")
    demo_pack = load_pack(tmp_path / "d.vdpack", secret)
    sources = [str(manifest.broker)]
    local = scan(sources, demo_pack, ScanOptions())
    assert local.matches.height > 0 and local.exit_code == 3
    _same(local, scan_on_cluster(sources, demo_pack, ScanOptions(), dask_client, send_pack=False))
    # every text file of the folder in several parts (each read by whichever worker is free)
    parted = plan(sources, ScanOptions().reading(), part_bytes=2_000)
    assert sum(len(p.reads) > 1 for p in parted) >= 2
    _same(local, scan_on_cluster(sources, demo_pack, ScanOptions(), dask_client, part_bytes=2_000))


SURVIVOR_ROWS = {1: 3, 250: 7, 251: 8, 777: 11, 1499: 20, 2400: 39}


def _broker_csv(path: Path, rows: int = 2400) -> None:
    lines = ["顧客番号,氏名,電話番号,住所,メモ"]
    for r in range(1, rows + 1):
        if r in SURVIVOR_ROWS:
            i = SURVIVOR_ROWS[r]
            lines.append(f'C{r},山田 太郎{i},{_phone(i)},東京都千代田区千代田{i}-1,"継続\n""重要"", 連絡済"')
        else:  # a quoted note with a line break and a comma: a cut may never fall inside it
            lines.append(f'C{r},佐藤 花子{r},080-{r % 10000:04d}-{(r * 7) % 10000:04d},大阪府大阪市北区{r},"メモ {r}\n二行目, 終わり"')
    path.write_text("\n".join(lines) + "\n", encoding="cp932")


def test_a_csv_in_parts_finds_every_survivor_once_on_its_row(dask_client: Any, pack: LoadedPack, tmp_path: Path) -> None:
    path = tmp_path / "broker.csv"
    _broker_csv(path)
    sources = [str(path)]
    [planned] = plan(sources, ScanOptions().reading(), part_bytes=16_000)
    assert planned.layout == "rows" and len(planned.reads) >= 8
    local = scan(sources, pack, ScanOptions())
    clustered = scan_on_cluster(sources, pack, ScanOptions(), dask_client, part_bytes=16_000)
    _same(local, clustered)
    found = clustered.matches.group_by("row").agg(pl.col("record_id").unique()).sort("row")
    assert found["row"].to_list() == sorted(SURVIVOR_ROWS)  # each survivor on its row, no other row
    assert clustered.matches.select("row", "record_id").unique().height == len(SURVIVOR_ROWS)
    [entry] = clustered.sources
    assert entry.rows == 2400 and entry.status == "scanned" and entry.sha256 == local.sources[0].sha256


def test_unstructured_bytes_cut_next_to_phones_find_each_once(dask_client: Any, pack: LoadedPack, tmp_path: Path) -> None:
    part = 4096
    # binary (NUL bytes) with no digit in any encoding: only the planted phones are phones
    data = bytearray(random.Random(3).choices(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ\x00\xff", k=part * 12))
    shifts = (-9, -3, -1, 0, 1, 5, -13, -20, 7, -6, 2)  # across the cut, just before it, at it, after it
    plants = [k * part + shifts[k - 1] for k in range(1, 12)] + [k * part + 1000 for k in range(12)]
    for n, at in enumerate(sorted(plants)):
        raw = _phone(n % PEOPLE).encode("cp932" if n % 3 else "utf-16-le")
        data[at : at + len(raw)] = raw
    path = tmp_path / "disk.img"
    path.write_bytes(bytes(data))
    sources = [str(path)]
    local = scan(sources, pack, ScanOptions())
    assert local.matches.height == len(plants)
    clustered = scan_on_cluster(sources, pack, ScanOptions(), dask_client, part_bytes=part)
    _same(local, clustered)
    assert clustered.matches["offset"].is_unique().all()


def _slow_folder(folder: Path, files: int = 6, size: int = 12 << 20) -> None:
    folder.mkdir()
    line = ("通話メモ 連絡あり 折り返し不要 " * 4 + "\n").encode("utf-8")
    body = line * (size // len(line))
    for n in range(files):
        plant = f"顧客 {n}: 山田 太郎{n} {_phone(n)}\n".encode()
        (folder / f"notes{n}.log").write_bytes(body[: size // 2] + plant + body[size // 2 :])


def test_a_worker_killed_mid_scan_still_gives_the_full_report(dask_client: Any, pack: LoadedPack, tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    _slow_folder(folder)
    sources = [str(folder)]
    local = scan(sources, pack, ScanOptions())
    assert local.matches.height == 6
    pids = dask_client.run(worker_pid)
    out: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: out.update(report=scan_on_cluster(sources, pack, ScanOptions(), dask_client)))
    thread.start()
    killed = None
    deadline = time.monotonic() + 60
    while killed is None and time.monotonic() < deadline and thread.is_alive():
        busy = [w for w, tasks in dask_client.processing().items() if any("verifydel-unit" in str(t) for t in tasks)]
        if busy:
            time.sleep(0.3)  # inside the unit
            killed = pids[busy[0]]
            os.kill(killed, signal.SIGKILL)
        time.sleep(0.05)
    thread.join(timeout=180)
    assert killed is not None, "no unit was ever running: nothing was killed"
    assert not thread.is_alive()
    _same(local, out["report"])
    dask_client.wait_for_workers(2, timeout=120)  # the nanny restarted it


def test_resumed_cluster_scan_reads_nothing_its_journal_holds(dask_client: Any, pack: LoadedPack, tmp_path: Path) -> None:
    path = tmp_path / "broker.csv"
    _broker_csv(path, rows=600)
    sources = [str(path), str(tmp_path / "missing.csv")]
    journal_path = tmp_path / "r.json.journal"
    key = pack.secret.journal_key()
    first = Journal.start(journal_path, key=key, pack_sha256=pack.sha256, tag="t", started_at="2024-01-01T00:00:00+00:00")
    done = scan_on_cluster(sources, pack, ScanOptions(), dask_client, journal=first, part_bytes=8_000)
    first.close()

    class Count:
        units = -1

        def planned(self, units: int, total_bytes: int, workers: int) -> None:
            self.units = units

        def unit_done(self, read_bytes: int, rows: int, workers: int) -> None: ...

    again = Journal.resume(journal_path, key=key, pack_sha256=pack.sha256, tag="t")
    assert again.finished > 3  # the parts, the digest
    seen = Count()
    resumed = scan_on_cluster(sources, pack, ScanOptions(), dask_client, journal=again, part_bytes=8_000, observer=seen)
    again.close()
    assert seen.units == 0
    _same(done, resumed)
    assert resumed.started_at == "2024-01-01T00:00:00+00:00"
    assert [s.status for s in resumed.sources] == ["scanned", "failed"]


def test_local_workers_keep_glibc_malloc_thresholds(dask_client: Any) -> None:
    """Dask gives worker processes a fixed MALLOC_TRIM_THRESHOLD_, which also fixes glibc's
    mmap threshold: a SQL dump scanned ~18 % slower (RESULTS.md). ``connect`` unsets it; it
    keeps Dask's other settings (one BLAS thread: the scan's threads are its own)."""
    # os.getenv travels by reference (a function of this module would not: workers cannot import tests)
    trim = dask_client.run(os.getenv, "MALLOC_TRIM_THRESHOLD_")
    blas = dask_client.run(os.getenv, "OMP_NUM_THREADS")
    assert len(trim) == 2
    assert list(trim.values()) == [None, None]
    assert list(blas.values()) == ["1", "1"]
