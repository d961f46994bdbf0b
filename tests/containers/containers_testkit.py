"""Builders for container tests: every archive is generated in the test's folder.

Bombs are written from a repeated deflate block (a full flush resets the
compressor, so each block compresses to the same bytes): gigabytes of zeros in a
few megabytes, without holding them in memory.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import hmac
import io
import lzma
import os
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import py7zr
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

try:
    from compression import zstd  # type: ignore[import-not-found]
except ImportError:
    from backports import zstd  # type: ignore[no-redef]

from verifydel.core.limits import Limits
from verifydel.fingerprint.build import build_pack
from verifydel.fingerprint.keys import generate_secret
from verifydel.report.model import Report
from verifydel.scan import LoadedPack, ScanOptions, load_pack, scan

MIB = 1 << 20

#: The leaked record the pack holds, and how a broker's table spells it.
LEAKED_CSV = "ID,氏名,電話番号\nA1,山田太郎,090-1111-2222\n"
BROKER_ROW = "山田太郎,09011112222"
HEADER = "名前,TEL"


def broker_csv(extra_rows: int = 0, *, leaked_first: bool = True) -> bytes:
    """A broker table holding the leaked row (first, or last) among ``extra_rows`` others."""
    rng = np.random.default_rng(7)
    others = [f"別人{i},03{n:08d}" for i, n in enumerate(rng.integers(0, 10**8, extra_rows))]
    rows = [BROKER_ROW, *others] if leaked_first else [*others, BROKER_ROW]
    return ("\n".join([HEADER, *rows]) + "\n").encode("utf-8")


def clean_csv() -> bytes:
    return f"{HEADER}\n別人,03-0000-0000\n".encode()


def make_pack(folder: Path) -> LoadedPack:
    leaked = folder / "leaked.csv"
    leaked.write_text(LEAKED_CSV, encoding="utf-8")
    secret = generate_secret()
    build_pack([str(leaked)], secret, folder / "p.vdpack", id_column="ID")
    return load_pack(folder / "p.vdpack", secret)


def run_scan(
    paths: Iterable[Path | str],
    pack: LoadedPack,
    limits: Limits | None = None,
    password: str | None = None,
) -> Report:
    options = ScanOptions(limits=limits or Limits(), threads=1, password=password)
    return scan([str(p) for p in paths], pack, options)


def statuses(report: Report) -> dict[str, tuple[str, str | None]]:
    """Path -> (status, error); a path reported twice keeps its worst entry."""
    rank = {"scanned": 0, "partial": 1, "failed": 2}
    out: dict[str, tuple[str, str | None]] = {}
    for s in report.sources:
        if s.path not in out or rank[s.status] > rank[out[s.path][0]]:
            out[s.path] = (s.status, s.error)
    return out


def found_in(report: Report) -> list[str]:
    return report.matches["source"].to_list()


# --- archives ---------------------------------------------------------------
def write_zip(
    path: Path, members: Iterable[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED
) -> Path:
    with zipfile.ZipFile(path, "w", compression=method) as z:
        for name, data in members:
            z.writestr(name, data)
    return path


def zip_bytes(members: Iterable[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=method) as z:
        for name, data in members:
            z.writestr(name, data)
    return buf.getvalue()


def tar_bytes(members: Iterable[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 0  # the same bytes every time
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def compress(data: bytes, fmt: str) -> bytes:
    """``data`` as one stream of gz, bz2, xz or zst."""
    if fmt == "gz":
        return gzip.compress(data)
    if fmt == "bz2":
        return bz2.compress(data, 1)  # 100 kB blocks: a truncated file still holds whole blocks
    if fmt == "xz":
        return lzma.compress(data)
    if fmt == "zst":
        return zstd.compress(data)
    raise ValueError(fmt)


def gzip_named(data: bytes, original_name: bytes) -> bytes:
    """A gzip file whose header keeps ``original_name`` (FNAME) as the given bytes."""
    header = b"\x1f\x8b\x08\x08" + bytes(4) + b"\x00\x03" + original_name + b"\x00"
    return header + deflated(data) + struct.pack("<2L", zlib.crc32(data), len(data) & 0xFFFFFFFF)


def write_7z(
    path: Path,
    members: Iterable[tuple[str, bytes]],
    password: str | None = None,
    header_encryption: bool = False,
) -> Path:
    with py7zr.SevenZipFile(path, "w", password=password, header_encryption=header_encryption) as z:
        for name, data in members:
            z.writestr(data, name)
    return path


def nested_zip(depth: int, inner: tuple[str, bytes]) -> bytes:
    """A zip inside a zip ... ``depth`` zips deep, the innermost holding ``inner``."""
    data = zip_bytes([inner])
    for level in range(depth - 1):
        data = zip_bytes([(f"level{depth - 1 - level}.zip", data)])
    return data


# --- hand-written zips: lying headers, bombs, encryption -----------------------
@dataclass
class RawMember:
    """A zip member written byte by byte: ``data`` is exactly what lands in the file."""

    name: str
    data: Iterable[bytes]
    method: int = 8
    crc: int = 0
    declared_size: int = 0
    flags: int = 0
    extra: bytes = b""
    external_attr: int = 0
    system: int = 3
    mod_time: int = 0
    raw_name: bytes | None = None  # the name's bytes as stored, without the UTF-8 flag
    _compressed: int = field(default=0, init=False)


def write_raw_zip(path: Path, members: list[RawMember]) -> Path:
    """A zip whose every field is the caller's (sizes included: they may lie)."""
    central = []
    with open(path, "wb") as fh:
        for m in members:
            offset = fh.tell()
            name = m.raw_name if m.raw_name is not None else m.name.encode("utf-8")
            flags = m.flags if m.raw_name is not None else m.flags | 0x800
            header_at = fh.tell()
            fh.write(
                struct.pack(
                    "<4s2B4HL2L2H",
                    b"PK\x03\x04",
                    20,
                    0,
                    flags,
                    m.method,
                    m.mod_time,
                    0,
                    m.crc,
                    0,
                    m.declared_size,
                    len(name),
                    len(m.extra),
                )
            )
            fh.write(name + m.extra)
            start = fh.tell()
            fh.writelines(m.data)
            m._compressed = fh.tell() - start
            end = fh.tell()
            fh.seek(header_at + 18)
            fh.write(struct.pack("<L", m._compressed))
            fh.seek(end)
            central.append(
                struct.pack(
                    "<4s4B4HL2L5H2L",
                    b"PK\x01\x02",
                    20,
                    m.system,
                    20,
                    0,
                    flags,
                    m.method,
                    m.mod_time,
                    0,
                    m.crc,
                    m._compressed,
                    m.declared_size,
                    len(name),
                    len(m.extra),
                    0,
                    0,
                    0,
                    m.external_attr,
                    offset,
                )
                + name
                + m.extra
            )
        cd_at = fh.tell()
        fh.writelines(central)
        cd_size = fh.tell() - cd_at
        fh.write(
            struct.pack(
                "<4s4H2LH", b"PK\x05\x06", 0, 0, len(central), len(central), cd_size, cd_at, 0
            )
        )
    return path


def deflated(data: bytes) -> bytes:
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def deflated_zeros(total: int, block: int = MIB) -> Iterator[bytes]:
    """Raw deflate of ``total`` zero bytes (a multiple of ``block``), a block's worth at a time."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = c.compress(bytes(block)) + c.flush(zlib.Z_FULL_FLUSH)
    for _ in range(total // block):
        yield chunk
    yield c.flush(zlib.Z_FINISH)


def gzip_of_zeros(path: Path, total: int) -> Path:
    with open(path, "wb") as fh:
        fh.write(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03")
        fh.writelines(deflated_zeros(total))
        fh.write(struct.pack("<2L", 0, total & 0xFFFFFFFF))  # the CRC is never reached
    return path


def _crc_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xEDB88320 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_TABLE = _crc_table()


def zipcrypto_encrypt(plain: bytes, password: bytes, crc: int) -> bytes:
    """Traditional PKWARE encryption: a 12-byte header ending in the CRC's top byte, then the data."""
    k = [305419896, 591751049, 878082192]

    def update(c: int) -> None:
        k[0] = (k[0] >> 8) ^ _TABLE[(k[0] ^ c) & 0xFF]
        k[1] = ((k[1] + (k[0] & 0xFF)) * 134775813 + 1) & 0xFFFFFFFF
        k[2] = (k[2] >> 8) ^ _TABLE[(k[2] ^ (k[1] >> 24)) & 0xFF]

    for c in password:
        update(c)
    out = bytearray()
    for c in os.urandom(11) + bytes([crc >> 24]) + plain:
        t = k[2] | 2
        out.append(c ^ (((t * (t ^ 1)) >> 8) & 0xFF))
        update(c)
    return bytes(out)


def aes_encrypt(plain: bytes, password: bytes, strength: int = 3) -> bytes:
    """WinZip AES (AE-x): salt, password check, AES-CTR (little-endian counter from 1), HMAC-SHA1/10."""
    key_bytes = {1: 16, 2: 24, 3: 32}[strength]
    salt = os.urandom(key_bytes // 2)
    derived = hashlib.pbkdf2_hmac("sha1", password, salt, 1000, 2 * key_bytes + 2)
    blocks = -(-len(plain) // 16)
    counters = np.zeros((blocks, 2), dtype="<u8")
    counters[:, 0] = np.arange(1, blocks + 1, dtype="<u8")
    stream = (
        Cipher(algorithms.AES(derived[:key_bytes]), modes.ECB())
        .encryptor()
        .update(counters.tobytes())
    )
    cipher = bytes(
        np.bitwise_xor(
            np.frombuffer(plain, np.uint8), np.frombuffer(stream, np.uint8)[: len(plain)]
        )
    )
    code = hmac.new(derived[key_bytes : 2 * key_bytes], cipher, "sha1").digest()[:10]
    return salt + derived[-2:] + cipher + code


def aes_extra(method: int, strength: int = 3, version: int = 2) -> bytes:
    return struct.pack("<2HH2sBH", 0x9901, 7, version, b"AE", strength, method)
