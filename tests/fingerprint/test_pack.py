from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from verifydel.errors import NotAPackError, TamperedPackError, UnsupportedPackVersionError, WrongKeyError
from verifydel.fingerprint import pack as packmod
from verifydel.fingerprint.keys import generate_secret
from verifydel.fingerprint.pack import PackContents, PackHeader, read_header, read_pack, write_pack


def _contents(n: int = 50) -> PackContents:
    rng = np.random.default_rng(7)
    records = pl.DataFrame(
        {
            "record_id": [f"C{i:07d}" for i in range(n)],
            "name_fp": rng.integers(0, 2**63, n, dtype=np.uint64),
            "phone_fp": [[int(x)] for x in rng.integers(0, 2**63, n, dtype=np.uint64)],
        },
        schema={"record_id": pl.String, "name_fp": pl.UInt64, "phone_fp": pl.List(pl.UInt64)},
    )
    fps = np.sort(rng.integers(0, 2**63, n, dtype=np.uint64))
    return PackContents(records=records, index={0: (fps, np.arange(n, dtype=np.uint32))})


def _header(n: int = 50) -> PackHeader:
    return PackHeader(
        records=n, normalisation="jp-test", combinations=["phone"], fields=["name", "phone"], key_check="",
        inputs=[{"name": "leaked.csv", "sha256": "00" * 32}], created_at="2026-01-01T00:00:00+00:00", tool="t",
    )


@pytest.fixture
def sealed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(packmod, "SEGMENT_BYTES", 256)  # many segments: exercise the chaining
    secret = generate_secret()
    path = tmp_path / "p.vdpack"
    header = _header()
    header.segment_bytes = 256
    sha = write_pack(path, header, _contents(), secret)
    return path, secret, sha


def test_round_trip(sealed) -> None:
    path, secret, sha = sealed
    header, contents, sha2 = read_pack(path, secret)
    assert sha2 == sha
    assert header.records == 50
    assert contents.records.equals(_contents().records)
    fps, recs = contents.index[0]
    np.testing.assert_array_equal(fps, _contents().index[0][0])
    np.testing.assert_array_equal(recs, np.arange(50, dtype=np.uint32))


def test_header_readable_without_key_and_holds_no_fingerprint(sealed) -> None:
    path, _, _ = sealed
    h = read_header(path)
    assert h.records == 50 and h.format == "verifydel-pack/1"
    raw = path.read_bytes()
    for v in _contents().index[0][0][:5]:
        assert int(v).to_bytes(8, "little") not in raw


def test_wrong_key_refused(sealed) -> None:
    path, _, _ = sealed
    with pytest.raises(WrongKeyError):
        read_pack(path, generate_secret())


def test_every_changed_byte_is_refused(sealed) -> None:
    path, secret, _ = sealed
    raw = path.read_bytes()
    # Every byte position (the pack is small): flip one bit, expect a refusal of some PackError kind.
    for pos in range(0, len(raw), max(1, len(raw) // 400)):
        bad = bytearray(raw)
        bad[pos] ^= 0x01
        path.write_bytes(bytes(bad))
        with pytest.raises((TamperedPackError, NotAPackError, WrongKeyError, UnsupportedPackVersionError)):
            read_pack(path, secret)
    path.write_bytes(raw)
    read_pack(path, secret)  # intact again


@pytest.mark.parametrize("cut", [1, 17, 300])
def test_truncation_refused(sealed, cut: int) -> None:
    path, secret, _ = sealed
    raw = path.read_bytes()
    path.write_bytes(raw[:-cut])
    with pytest.raises(TamperedPackError):
        read_pack(path, secret)


def _segment_starts(raw: bytes) -> list[int]:
    pos = 12 + int.from_bytes(raw[8:12], "little")
    starts = []
    while pos < len(raw):
        starts.append(pos)
        pos += 4 + int.from_bytes(raw[pos : pos + 4], "little")
    return starts


def test_dropped_last_segment_refused(sealed) -> None:
    """Cutting exactly at a segment boundary must fail too (the 'last' flag)."""
    path, secret, _ = sealed
    raw = path.read_bytes()
    starts = _segment_starts(raw)
    assert len(starts) > 3
    path.write_bytes(raw[: starts[-1]])
    with pytest.raises(TamperedPackError):
        read_pack(path, secret)


def test_swapped_segments_refused(sealed) -> None:
    path, secret, _ = sealed
    raw = path.read_bytes()
    s = _segment_starts(raw)
    a, b = raw[s[0] : s[1]], raw[s[1] : s[2]]
    path.write_bytes(raw[: s[0]] + b + a + raw[s[2] :])
    with pytest.raises(TamperedPackError):
        read_pack(path, secret)


def test_not_a_pack(tmp_path: Path) -> None:
    p = tmp_path / "x.csv"
    p.write_text("a,b\n1,2\n")
    with pytest.raises(NotAPackError):
        read_header(p)


def test_unknown_format_version_refused(tmp_path: Path) -> None:
    secret = generate_secret()
    path = tmp_path / "p.vdpack"
    header = _header()
    header.format = "verifydel-pack/99"
    write_pack(path, header, _contents(), secret)
    with pytest.raises(UnsupportedPackVersionError):
        read_pack(path, secret)


@pytest.mark.parametrize("sizes", [[0], [5], [3, 4], [8], [8, 8], [1, 15, 0, 9], [16, 0], [7, 1, 8]])
def test_segments_cover_the_payload_exactly(sizes: list[int]) -> None:
    parts = [memoryview(bytes([i] * n)) for i, n in enumerate(sizes)]
    pieces = list(packmod._segments_of(parts, 8))
    total = sum(sizes)
    n_segments = max(1, -(-total // 8))
    assert b"".join(bytes(p) for p in pieces[:n_segments]) == b"".join(bytes(p) for p in parts)
    assert all(len(bytes(p)) == 8 for p in pieces[: n_segments - 1])


def test_fingerprint_refuses_a_leaked_file_that_is_not_a_table(tmp_path: Path) -> None:
    from verifydel.errors import UsageError
    from verifydel.fingerprint.build import build_pack
    from verifydel.fingerprint.keys import generate_secret

    blob = tmp_path / "leak.bin"
    blob.write_bytes(bytes(range(256)) * 16 + "電話 03-1234-5678".encode())
    with pytest.raises(UsageError, match="not a table"):
        build_pack([str(blob)], generate_secret(), tmp_path / "p.vdpack")
    assert not (tmp_path / "p.vdpack").exists()
