"""Make ``containers_testkit`` importable; keep every test's spool files in a folder checked empty after.

The suite runs with ``--import-mode=importlib``, which does not put test folders
on ``sys.path``.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

_HERE = str(Path(__file__).parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)



@pytest.fixture(autouse=True)
def spool_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The temporary folder for this test; no spool file may be left in it afterwards."""
    spool = tmp_path / "spool"
    spool.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))
    yield spool
    assert sorted(p.name for p in spool.iterdir()) == [], "spool files were left behind"
