"""Sparse tar members written byte by byte: GNU sparse ('S') and pax sparse 0.0, 0.1 and 1.0.

``tarfile`` reads sparse members but cannot write them, so they are made here.
A sparse member stores only its data regions; the holes between them come out as
zeros on extraction, so a few KiB can declare any size (100 GiB): the member's
``realsize`` is the caller's and may lie.
"""

from __future__ import annotations

import tarfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

BLOCK: Final = 512
RECORD: Final = 20 * BLOCK
#: The sparse formats a test may ask for.
FORMATS: Final = ("gnu", "pax-0.0", "pax-0.1", "pax-1.0")


@dataclass(frozen=True)
class SparseMember:
    name: str
    regions: list[tuple[int, bytes]]  # (offset in the expanded file, bytes stored there)
    realsize: int  # the size declared: the holes fill it with zeros


def _pad(data: bytes) -> bytes:
    return data + bytes(-len(data) % BLOCK)


def _header(name: str, size: int, kind: bytes, fmt: int) -> bytearray:
    info = tarfile.TarInfo(name)
    info.size, info.type, info.mtime, info.mode = size, kind, 0, 0o644
    return bytearray(info.tobuf(fmt, "utf-8", "strict"))


def _checksum(block: bytearray) -> bytes:
    block[148:156] = b" " * 8
    block[148:156] = b"%06o\0 " % sum(block)
    return bytes(block)


def _pax_record(key: str, value: str | int) -> bytes:
    body = f" {key}={value}\n".encode()
    n = len(body) + 1
    while len(str(n)) + len(body) != n:
        n += 1
    return str(n).encode() + body


def _pax_header(name: str, records: list[tuple[str, str | int]]) -> bytes:
    data = b"".join(_pax_record(k, v) for k, v in records)
    return _header(f"PaxHeader/{name}"[:99], len(data), tarfile.XHDTYPE, tarfile.USTAR_FORMAT) + _pad(data)


def _map(m: SparseMember) -> list[tuple[int, int]]:
    """(offset, size) of each region; as GNU tar writes it, an empty one at the end of a final hole."""
    pairs = [(offset, len(data)) for offset, data in m.regions]
    if not pairs or sum(pairs[-1]) < m.realsize:
        pairs.append((m.realsize, 0))
    return pairs


def _gnu_sparse(m: SparseMember) -> bytes:
    pairs = _map(m)
    if len(pairs) > 4:
        raise ValueError("the GNU header holds 4 regions here (no extension blocks written)")
    stored = b"".join(data for _, data in m.regions)
    block = _header(m.name, len(stored), tarfile.GNUTYPE_SPARSE, tarfile.GNU_FORMAT)
    for i, (offset, size) in enumerate(pairs):
        pos = 386 + 24 * i
        block[pos : pos + 12] = tarfile.itn(offset, 12, tarfile.GNU_FORMAT)
        block[pos + 12 : pos + 24] = tarfile.itn(size, 12, tarfile.GNU_FORMAT)
    block[482] = 0  # no extension block follows
    block[483:495] = tarfile.itn(m.realsize, 12, tarfile.GNU_FORMAT)
    return _checksum(block) + _pad(stored)


def _pax_sparse(m: SparseMember, version: str) -> bytes:
    stored = b"".join(data for _, data in m.regions)
    pairs = _map(m)
    records: list[tuple[str, str | int]]
    name = m.name
    if version == "0.0":
        records = [("GNU.sparse.size", m.realsize), ("GNU.sparse.numblocks", len(pairs))]
        for offset, size in pairs:
            records += [("GNU.sparse.offset", offset), ("GNU.sparse.numbytes", size)]
    elif version == "0.1":
        flat = ",".join(str(n) for pair in pairs for n in pair)
        records = [("GNU.sparse.size", m.realsize), ("GNU.sparse.numblocks", len(pairs)),
                   ("GNU.sparse.map", flat)]  # fmt: skip
    elif version == "1.0":
        records = [("GNU.sparse.major", 1), ("GNU.sparse.minor", 0), ("GNU.sparse.name", m.name),
                   ("GNU.sparse.realsize", m.realsize)]  # fmt: skip
        sparse_map = "".join(f"{n}\n" for n in [len(pairs), *(n for pair in pairs for n in pair)])
        stored = _pad(sparse_map.encode()) + stored
        name = f"GNUSparseFile.0/{m.name}"
    else:
        raise ValueError(version)
    header = _header(name, len(stored), tarfile.REGTYPE, tarfile.USTAR_FORMAT)
    return _pax_header(m.name, records) + bytes(header) + _pad(stored)


def _plain(name: str, data: bytes) -> bytes:
    return bytes(_header(name, len(data), tarfile.REGTYPE, tarfile.USTAR_FORMAT)) + _pad(data)


def sparse_tar_bytes(members: Iterable[SparseMember | tuple[str, bytes]], fmt: str) -> bytes:
    """A tar of plain members (name, data) and sparse members written in ``fmt`` (see FORMATS)."""
    out = []
    for m in members:
        if isinstance(m, SparseMember):
            out.append(_gnu_sparse(m) if fmt == "gnu" else _pax_sparse(m, fmt.removeprefix("pax-")))
        else:
            out.append(_plain(*m))
    data = b"".join(out) + bytes(2 * BLOCK)
    return data + bytes(-len(data) % RECORD)


__all__ = ["FORMATS", "SparseMember", "sparse_tar_bytes"]
