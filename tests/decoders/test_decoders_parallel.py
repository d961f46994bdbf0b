"""Transcoding in pieces on several processes gives the bytes and errors of one pass."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from verifydel.decoders import transcode_to_utf8
from verifydel.decoders.parallel import cut_points, transcode_file
from verifydel.errors import DecodeError

LINES = [f"{i},髙橋 {i}郎,東京都港区芝公園{i % 9}丁目,０３－１２３４－{i:04d},\"改行\n入り\"\n" for i in range(3000)]


def _serial(data: bytes, encoding: str) -> tuple[bytes, str | None]:
    out = io.BytesIO()
    try:
        transcode_to_utf8(io.BytesIO(data), encoding, out)
    except DecodeError as exc:
        return out.getvalue(), str(exc)
    return out.getvalue(), None


def _parallel(tmp_path: Path, data: bytes, encoding: str, workers: int) -> tuple[bytes, str | None]:
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_bytes(data)
    error = transcode_file(src, encoding, dst, workers=workers, min_parallel_bytes=1)
    return dst.read_bytes(), (str(error) if error else None)


@pytest.mark.parametrize("encoding", ["cp932", "euc_jp"])
@pytest.mark.parametrize("workers", [2, 3])
def test_pieces_join_to_the_serial_output(tmp_path: Path, encoding: str, workers: int) -> None:
    data = "".join(LINES).replace("髙", "高").replace("－", "-").encode(encoding)  # not in EUC-JP
    assert len(cut_points(_write(tmp_path, data), workers)) == workers + 1  # really split
    assert _parallel(tmp_path, data, encoding, workers) == _serial(data, encoding)


def _write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "probe.bin"
    path.write_bytes(data)
    return path


def test_utf16_with_its_bom_is_never_split(tmp_path: Path) -> None:
    # b"\n" can be half of a UTF-16 code unit: such files go through in one piece
    data = "".join(LINES).encode("utf-16")
    assert _parallel(tmp_path, data, "utf-16", 2) == _serial(data, "utf-16")
    assert not _parallel(tmp_path, data, "utf-16", 2)[0].startswith(b"\xef\xbb\xbf")


@pytest.mark.parametrize("where", [0.1, 0.5, 0.9])
def test_an_invalid_byte_gives_the_serial_error_and_prefix(tmp_path: Path, where: float) -> None:
    data = bytearray("".join(LINES).encode("cp932"))
    at = data.index(b"\n", int(len(data) * where)) + 1
    data[at:at] = b"\x81\x20"  # a lead byte followed by a byte no trail can be
    got = _parallel(tmp_path, bytes(data), "cp932", 3)
    want = _serial(bytes(data), "cp932")
    assert got == want
    assert f"byte offset {at}" in (got[1] or "")
    assert (got[1] or "").count("--encoding=euc_jp") == 1  # the hint once, not again per piece


def test_a_file_without_line_feeds_is_one_piece(tmp_path: Path) -> None:
    data = ("髙橋," * 5000).encode("cp932")
    assert cut_points(_write(tmp_path, data), 2) == [0, len(data)]
    assert _parallel(tmp_path, data, "cp932", 2) == _serial(data, "cp932")
