"""`verifydel scan --cluster` as a user runs it: the exit code and report of a local scan, and
a note when a remote cluster's workers run with Dask's fixed malloc trim threshold."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from verifydel.cli import main
from verifydel.cluster.client import MALLOC_TRIM, fixed_malloc_note


def _scan(runner: CliRunner, *extra: str, out: str) -> tuple[int, dict[str, Any], str]:
    res = runner.invoke(main, ["scan", "b.csv", "--pack", "p.vdpack", "--key", "k.key", "--json", out, *extra])
    return res.exit_code, json.loads(Path(out).read_text(encoding="utf-8")), res.output


def _comparable(report: dict[str, Any]) -> dict[str, Any]:
    return {"sources": [{k: v for k, v in s.items() if k != "seconds"} for s in report["sources"]],
            "summary": report["summary"], "matches": report.get("matches")}  # fmt: skip


def test_scan_on_a_local_cluster_exits_and_reports_as_the_local_scan(broker_match: str, runner: CliRunner) -> None:
    local_code, local, _ = _scan(runner, out="local.json")
    code, clustered, output = _scan(runner, "--cluster", "local:1", out="cluster.json")
    assert local_code == code == 3, output
    assert _comparable(clustered) == _comparable(local)
    assert MALLOC_TRIM not in output  # its own workers run without it


def test_a_remote_cluster_reads_relative_paths_and_notes_a_fixed_malloc_threshold(
    broker_match: str, runner: CliRunner
) -> None:
    from distributed import Client, LocalCluster

    from verifydel.cluster.client import _environ_kept

    _, local, _ = _scan(runner, out="local.json")
    # a scheduler and a worker as `dask scheduler` / `dask worker` start them: Dask's
    # defaults, and a worker started in another folder than the scan's (its nanny leaves
    # MALLOC_TRIM_THRESHOLD_ in this process's environment: kept out of later tests)
    with _environ_kept(), LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, silence_logs=logging.ERROR) as cluster:  # fmt: skip
        with Client(cluster) as client:
            client.run(os.chdir, "/")
        code, report, output = _scan(runner, "--cluster", cluster.scheduler_address, out="r.json")
    assert code == 3, output
    assert f"note: 1 of 1 workers run with {MALLOC_TRIM} set" in output
    assert _comparable(report) == _comparable(local)  # "b.csv" found, as given, from "/"


def test_a_worker_that_cannot_see_a_file_fails_it_and_says_why(sealed: Path, runner: CliRunner, tmp_path: Path) -> None:
    from verifydel.cluster.units import plan
    from verifydel.cluster.worker import _check_visible
    from verifydel.core.options import ReadOptions
    from verifydel.errors import SourceError

    (sealed / "b.csv").write_text("名前,TEL\n山田太郎,090-1111-2222\n", encoding="utf-8")
    (planned,) = plan(["b.csv"], ReadOptions())
    (part,) = planned.parts
    assert planned.label == part.label == "b.csv" and part.unit is not None
    assert part.unit.path == sealed / "b.csv" and part.unit.path.is_absolute()
    _check_visible(part)  # this machine sees it
    (sealed / "b.csv").unlink()  # as on a worker without the shared storage
    with pytest.raises(SourceError, match="cannot see the file at .*b.csv.*same path"):
        _check_visible(part)


def test_the_note_never_stops_a_scan() -> None:
    class Broken:
        def run(self, *args: Any) -> Any:
            raise OSError("the scheduler went away")

    class Workers:
        def __init__(self, seen: dict[str, str | None]) -> None:
            self.seen = seen

        def run(self, *args: Any) -> Any:
            return self.seen

    assert fixed_malloc_note(Broken()) is None
    assert fixed_malloc_note(Workers({})) is None
    assert fixed_malloc_note(Workers({"a": None, "b": None})) is None
    note = fixed_malloc_note(Workers({"a": "65536", "b": None, "c": "0"}))
    assert note is not None and "2 of 3 workers" in note and "README" in note


def test_starting_a_local_cluster_leaves_this_process_environment_as_it_was(monkeypatch: pytest.MonkeyPatch) -> None:
    from verifydel.cluster.client import ClusterSpec, connect

    for name in ("OMP_NUM_THREADS", MALLOC_TRIM):
        monkeypatch.delenv(name, raising=False)
    before = dict(os.environ)
    with connect(ClusterSpec.parse("local:1")) as client:
        client.wait_for_workers(1, timeout=60)
        assert dict(os.environ) == before  # Dask's nanny wrote OMP_NUM_THREADS=1 here
        assert list(client.run(os.getenv, "OMP_NUM_THREADS").values()) == ["1"]
