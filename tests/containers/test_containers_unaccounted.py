"""A zip's bytes its directory does not account for: what is read, what is left out.

The corpus (corpus_cases_container_bytes) plants survivors in each hiding place; here
the labels, and that a normal archive gives exactly its members (nothing "unaccounted").
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from verifydel.containers import zip_archive
from verifydel.core.limits import Limits
from verifydel.core.unit import Unit, UnitFailure


def _labels(path: Path) -> list[str]:
    unit = Unit(label="a.zip", path=path, size=path.stat().st_size)
    out = []
    for item in zip_archive.members(unit, Limits()):
        assert not isinstance(item, UnitFailure), item
        out.append(item.label)
    return out


def test_a_normal_zip_gives_exactly_its_members(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a.csv", b"x,y\n1,2\n" * 100)
        z.mkdir("folder")
        with z.open("streamed.csv", "w", force_zip64=True) as f:  # data descriptor, zip64
            f.write(b"x,y\n3,4\n" * 100)
    path = tmp_path / "a.zip"
    path.write_bytes(buf.getvalue())
    assert _labels(path) == ["a.zip!/a.csv", "a.zip!/streamed.csv"]


def test_streamed_to_a_pipe_zip_gives_exactly_its_members(tmp_path: Path) -> None:
    class Pipe(io.RawIOBase):  # not seekable: zipfile writes data descriptors
        def __init__(self) -> None:
            self.data = bytearray()

        def writable(self) -> bool:
            return True

        def write(self, b: bytes) -> int:  # type: ignore[override]
            self.data += b
            return len(b)

    pipe = Pipe()
    with zipfile.ZipFile(pipe, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a.csv", b"x,y\n1,2\n")
        z.writestr("b.csv", b"x,y\n1,2\n")
    path = tmp_path / "a.zip"
    path.write_bytes(bytes(pipe.data))
    assert _labels(path) == ["a.zip!/a.csv", "a.zip!/b.csv"]


def test_zero_padding_and_a_few_stray_bytes_are_left_out(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("a.csv", b"x,y\n1,2\n")
    path = tmp_path / "a.zip"
    path.write_bytes(bytes(4096) + buf.getvalue() + b"abc")
    assert _labels(path) == ["a.zip!/a.csv"]


def test_hidden_bytes_are_labelled_by_where_they_start(tmp_path: Path) -> None:
    first, second = io.BytesIO(), io.BytesIO()
    with zipfile.ZipFile(first, "w") as z:
        z.writestr("first.csv", b"x,y\n1,2\n")
    with zipfile.ZipFile(second, "w") as z:
        z.writestr("second.csv", b"x,y\n1,2\n")
        z.comment = b"name,phone\nsomeone,0312345678\n"
    path = tmp_path / "a.zip"
    data = first.getvalue() + second.getvalue()
    path.write_bytes(data)
    comment_at = len(data) - len(b"name,phone\nsomeone,0312345678\n")
    assert _labels(path) == [
        "a.zip!/second.csv",
        "a.zip!/first.csv#local@0",
        f"a.zip!/#unaccounted@{comment_at}",
    ]
