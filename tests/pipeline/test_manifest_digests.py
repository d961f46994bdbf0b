"""The manifest's digests: of the bytes read, and a file that changes under the scan is a gap."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import polars as pl
import pytest

from verifydel.core import digest as digest_module
from verifydel.core.digest import DigestError, FileDigest, RowDigest
from verifydel.core.options import ReadOptions
from verifydel.pipeline import Outcome, read
from verifydel.core.coverage import SCANNED, SourceResult


def test_a_file_digest_is_sha256_of_its_bytes(tmp_path: Path) -> None:
    data = os.urandom(3 << 20) + b"tail"
    (tmp_path / "f.bin").write_bytes(data)
    assert FileDigest(tmp_path / "f.bin").result() == (hashlib.sha256(data).hexdigest(), len(data))


def test_a_file_that_changes_while_it_is_hashed_has_no_digest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "f.csv").write_text("a\n1\n")
    real = os.fstat
    calls = []

    def moving(fd: int) -> os.stat_result:
        st = real(fd)
        calls.append(1)
        if len(calls) == 1:
            return st
        fields = list(st)
        fields[8] += 1  # st_mtime: written again while it was read
        return os.stat_result(fields, {"st_mtime_ns": st.st_mtime_ns + 1})

    monkeypatch.setattr(digest_module.os, "fstat", moving)
    with pytest.raises(DigestError, match="changed while it was being scanned"):
        FileDigest(tmp_path / "f.csv").result()


def test_the_pipeline_marks_such_a_file_partial_with_the_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "f.csv").write_text("氏名,電話\nx,1\n", encoding="utf-8")

    class Changed(FileDigest):
        def result(self) -> tuple[str, int]:
            raise DigestError("the file changed while it was being scanned: its digest is not of what was read")

    monkeypatch.setattr("verifydel.pipeline.reader.FileDigest", Changed)

    def consume(table, unit) -> Outcome:  # type: ignore[no-untyped-def]
        return Outcome(SourceResult(path=table.label, kind=table.kind, status=SCANNED, rows=1))

    [outcome] = read([str(tmp_path / "f.csv")], ReadOptions(), consume)
    assert outcome.result.status == "partial"
    assert "changed while it was being scanned" in (outcome.result.error or "")
    assert outcome.result.sha256 is None


def test_row_digest_depends_on_rows_and_order_not_on_batching() -> None:
    frame = pl.DataFrame({"氏名": ["a", "b", "c"], "n": [1, 2, None], "raw": [b"\x00", b"x", None]})
    whole = RowDigest()
    whole.update(frame)
    split = RowDigest()
    split.update(frame[:1])
    split.update(frame[1:])
    assert whole.hexdigest() == split.hexdigest() and split.rows == 3
    other = RowDigest()
    other.update(frame.reverse())
    assert other.hexdigest() != whole.hexdigest()


def test_a_fifo_in_a_files_place_is_not_waited_for(tmp_path: Path) -> None:
    """A hostile broker swaps a listed file for a FIFO: the digest says so, it never blocks."""
    os.mkfifo(tmp_path / "f.csv")
    with pytest.raises(DigestError, match="no longer a regular file"):
        FileDigest(tmp_path / "f.csv").result()
