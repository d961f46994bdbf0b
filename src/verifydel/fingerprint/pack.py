"""The pack: one file, public metadata in the clear, everything else sealed.

Layout (all integers little-endian; see fingerprints/FORMAT.md)::

    magic        8 bytes   b"\\x89VDPACK\\n"
    header_len   u32
    header       header_len bytes of UTF-8 JSON (public metadata, shown by `info`)
    segments     repeated: u32 length, then that many bytes of AES-256-GCM output

The payload (a table of contents and the tables) is cut into segments of
``segment_bytes``; segment ``i`` is sealed with nonce ``nonce_prefix || u64 i``
and associated data ``sha256(magic || header_len || header) || u64 i || u8 last``.
So a changed header byte, a changed, reordered, dropped or appended segment,
or a truncation at a segment boundary all fail authentication.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import struct
from collections.abc import Collection, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import polars as pl
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from verifydel.errors import NotAPackError, TamperedPackError, UnsupportedPackVersionError, WrongKeyError
from verifydel.fingerprint.keys import Secret

MAGIC = b"\x89VDPACK\n"
PACK_FORMAT = "verifydel-pack/1"
TIER_FULL = "full"
CIPHER = "AES-256-GCM"
SEGMENT_BYTES = 4 << 20
MAX_HEADER_BYTES = 1 << 20
_TAG = 16
_LEN = struct.Struct("<I")


@dataclass
class PackContents:
    """What the sealed payload holds.

    ``records``: one row per leaked record, row position = record number:
    ``record_id`` (String) and one u64 fingerprint column per field (null when
    absent; ``phone`` is a List[u64], a record may have several phones).
    ``index``: combination code → (sorted u64 fingerprints, u32 record numbers).
    """

    records: pl.DataFrame
    index: dict[int, tuple[np.ndarray, np.ndarray]]


@dataclass
class PackHeader:
    records: int
    normalisation: str
    combinations: list[str]
    fields: list[str]
    key_check: str
    inputs: list[dict[str, Any]]
    created_at: str
    tool: str
    format: str = PACK_FORMAT
    tier: str = TIER_FULL
    hash: str = "xxh3-64"
    cipher: str = CIPHER
    kdf: str = "HKDF-SHA256"
    salt: str = ""
    nonce_prefix: str = ""
    segment_bytes: int = SEGMENT_BYTES
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> bytes:
        d = {k: v for k, v in self.__dict__.items() if k != "extra"}
        d.update(self.extra)
        return json.dumps(d, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_json(cls, raw: bytes) -> PackHeader:
        try:
            d = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise TamperedPackError("the pack header is damaged", hint="ask the regulator for a fresh copy") from None
        if not isinstance(d, dict):
            raise TamperedPackError("the pack header is damaged", hint="ask the regulator for a fresh copy")
        fmt = d.get("format")
        if fmt != PACK_FORMAT:
            raise UnsupportedPackVersionError(
                f"pack format {fmt!r} is not one this verifydel reads ({PACK_FORMAT})",
                hint="upgrade verifydel or ask for a pack in a supported format",
            )
        if d.get("tier") != TIER_FULL or d.get("cipher") != CIPHER:
            raise UnsupportedPackVersionError(
                f"pack tier {d.get('tier')!r} / cipher {d.get('cipher')!r} is not supported by this verifydel"
            )
        known = set(cls.__dataclass_fields__) - {"extra"}
        try:
            kwargs = {k: d[k] for k in known if k in d}
            header = cls(**kwargs, extra={k: v for k, v in d.items() if k not in known})
            if not isinstance(header.records, int) or not isinstance(header.segment_bytes, int):
                raise TypeError
        except TypeError:
            raise TamperedPackError("the pack header is incomplete", hint="ask the regulator for a fresh copy") from None
        return header


def _aad(header_digest: bytes, index: int, last: bool) -> bytes:
    return header_digest + struct.pack("<QB", index, 1 if last else 0)


def _nonce(prefix: bytes, index: int) -> bytes:
    return prefix + struct.pack("<Q", index)


# --- payload (de)serialisation ---------------------------------------------------------------
def _serialise(contents: PackContents) -> list[memoryview]:
    """The payload as a list of buffers (toc first), without concatenating them."""
    blobs: list[tuple[str, memoryview]] = []
    buf = io.BytesIO()
    # One record batch (read back as one chunk), no compression: fingerprints do not compress.
    contents.records.rechunk().write_ipc(buf, compression="uncompressed")
    blobs.append(("records", buf.getbuffer()))
    for code, (fps, recs) in sorted(contents.index.items()):
        blobs.append((f"index/{code}/fp", memoryview(np.ascontiguousarray(fps, dtype="<u8")).cast("B")))
        blobs.append((f"index/{code}/rec", memoryview(np.ascontiguousarray(recs, dtype="<u4")).cast("B")))
    toc, offset = [], 0
    for name, blob in blobs:
        toc.append({"name": name, "offset": offset, "length": blob.nbytes})
        offset += blob.nbytes
    toc_bytes = json.dumps(toc, separators=(",", ":")).encode()
    return [memoryview(_LEN.pack(len(toc_bytes)) + toc_bytes), *(b for _, b in blobs)]


def _segments_of(parts: list[memoryview], size: int) -> Iterator[bytes | memoryview]:
    """Consecutive pieces of exactly ``size`` bytes (the last one shorter, at least one piece)."""
    pending = bytearray()
    for part in parts:
        pos = 0
        if pending:
            take = min(size - len(pending), part.nbytes)
            pending += part[:take]
            pos = take
            if len(pending) < size:
                continue
            yield bytes(pending)
            pending = bytearray()
        while part.nbytes - pos >= size:
            yield part[pos : pos + size]
            pos += size
        pending += part[pos:]
    yield bytes(pending)


def _deserialise(plain: bytearray, keep: Collection[int] | None = None) -> PackContents:
    """Parse the decrypted payload, emptying ``plain`` as soon as it is no longer needed.

    Index arrays are copied out, the records blob is copied to its own bytes object,
    then ``plain`` is cleared before polars parses the records: the peak holds the
    payload and one copy of the records, never two.
    """
    payload = memoryview(plain)
    try:
        (toc_len,) = _LEN.unpack_from(payload, 0)
        toc = json.loads(bytes(payload[4 : 4 + toc_len]))
        base = 4 + toc_len
        spans = {e["name"]: (base + e["offset"], base + e["offset"] + e["length"]) for e in toc}
        if any(a > b or b > len(plain) for a, b in spans.values()):
            raise ValueError("a table lies outside the payload")
        index: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for name, (a, b) in sorted(spans.items()):
            if not name.startswith("index/") or not name.endswith("/fp"):
                continue
            code = int(name.split("/")[1])
            if keep is not None and code not in keep:
                continue
            ra, rb = spans[f"index/{code}/rec"]
            fps = np.frombuffer(payload[a:b], dtype="<u8").copy()
            recs = np.frombuffer(payload[ra:rb], dtype="<u4").copy()
            index[code] = (fps, recs)
        ra, rb = spans["records"]
        records_blob = bytes(payload[ra:rb])
    finally:
        payload.release()
    plain.clear()
    # One chunk: gathering list columns across many IPC record batches is slow (grading).
    records = pl.read_ipc(io.BytesIO(records_blob)).rechunk()
    return PackContents(records=records, index=index)


# --- write -----------------------------------------------------------------------------------
def write_pack(path: Path, header: PackHeader, contents: PackContents, secret: Secret) -> str:
    """Seal ``contents`` under ``secret`` into ``path``; returns the pack's SHA-256."""
    salt, prefix = os.urandom(16), os.urandom(4)
    header.salt, header.nonce_prefix = salt.hex(), prefix.hex()
    header.key_check = secret.check_value()
    header_bytes = header.to_json()
    preamble = MAGIC + _LEN.pack(len(header_bytes)) + header_bytes
    digest = hashlib.sha256(preamble).digest()
    aead = AESGCM(secret.pack_key(salt))
    parts = _serialise(contents)
    seg = header.segment_bytes
    n_segments = max(1, -(-sum(p.nbytes for p in parts) // seg))
    tmp = path.with_name(path.name + ".part")
    sha = hashlib.sha256()
    with open(tmp, "wb") as fh:
        fh.write(preamble)
        sha.update(preamble)
        for i, piece in enumerate(_segments_of(parts, seg)):
            if i >= n_segments:  # an exact multiple of the segment size leaves an empty tail piece
                break
            sealed = aead.encrypt(_nonce(prefix, i), piece, _aad(digest, i, i == n_segments - 1))
            chunk = _LEN.pack(len(sealed)) + sealed
            fh.write(chunk)
            sha.update(chunk)
    os.replace(tmp, path)
    return sha.hexdigest()


# --- read ------------------------------------------------------------------------------------
def _read_preamble(fh: BinaryIO, path: Path) -> tuple[PackHeader, bytes]:
    magic = fh.read(len(MAGIC))
    if magic != MAGIC:
        raise NotAPackError(f"{path} is not a verifydel pack", hint="give the .vdpack file `verifydel fingerprint` wrote")
    raw_len = fh.read(4)
    if len(raw_len) != 4:
        raise TamperedPackError(f"{path} is truncated", hint="ask the regulator for a fresh copy")
    (hlen,) = _LEN.unpack(raw_len)
    if hlen > MAX_HEADER_BYTES:
        raise TamperedPackError(f"{path} has a damaged header", hint="ask the regulator for a fresh copy")
    raw = fh.read(hlen)
    if len(raw) != hlen:
        raise TamperedPackError(f"{path} is truncated", hint="ask the regulator for a fresh copy")
    return PackHeader.from_json(raw), MAGIC + raw_len + raw


def read_header(path: Path) -> PackHeader:
    """The public metadata, without the key (for `verifydel info`)."""
    try:
        with open(path, "rb") as fh:
            return _read_preamble(fh, path)[0]
    except FileNotFoundError:
        raise NotAPackError(f"pack {path} not found", hint="check the --pack path") from None
    except IsADirectoryError:
        raise NotAPackError(f"{path} is a folder, not a pack") from None


def _segments(fh: BinaryIO, path: Path, end: int) -> Iterator[tuple[bytes, bool]]:
    """(sealed segment, is it the last one in the file) in file order."""
    truncated = TamperedPackError(f"{path} is truncated or changed", hint="ask the regulator for a fresh copy")
    while True:
        raw = fh.read(4)
        if not raw:
            return
        if len(raw) != 4:
            raise truncated
        (n,) = _LEN.unpack(raw)
        sealed = fh.read(n)
        if len(sealed) != n or n < _TAG:
            raise truncated
        yield sealed, fh.tell() >= end


def _hash_segment(sha: hashlib._Hash, sealed: bytes) -> None:
    sha.update(_LEN.pack(len(sealed)))
    sha.update(sealed)


def read_pack(
    path: Path, secret: Secret, keep: Collection[int] | None = None
) -> tuple[PackHeader, PackContents, str]:
    """Open, authenticate and decrypt a pack. Returns (header, contents, sha256 of the file).

    ``keep`` names the combination codes whose index is kept in memory (default: all).
    Segments are decrypted straight into one preallocated buffer, while a second
    thread hashes the file (both release the GIL).
    """
    tampered = TamperedPackError(
        f"{path} failed authentication: it was changed or damaged after it was written",
        hint="ask the regulator for a fresh copy; do not use this pack",
    )
    try:
        fh = open(path, "rb")
    except FileNotFoundError:
        raise NotAPackError(f"pack {path} not found", hint="check the --pack path") from None
    with fh, ThreadPoolExecutor(max_workers=1) as hasher:
        header, preamble = _read_preamble(fh, path)
        if header.key_check != secret.check_value():
            raise WrongKeyError(
                f"the key does not belong to pack {path}", hint="give the key file this pack was made with"
            )
        try:
            salt, prefix = bytes.fromhex(header.salt), bytes.fromhex(header.nonce_prefix)
        except ValueError:
            raise tampered from None
        if len(prefix) != 4:
            raise tampered
        end = os.fstat(fh.fileno()).st_size
        sha = hashlib.sha256(preamble)
        digest = hashlib.sha256(preamble).digest()
        aead = AESGCM(secret.pack_key(salt))
        plain = bytearray(max(0, end - fh.tell()))  # an upper bound of the plaintext size
        view = memoryview(plain)
        filled, i, last = 0, -1, False
        hashing: Future[None] | None = None
        for i, (sealed, last) in enumerate(_segments(fh, path, end)):
            if hashing is not None:
                hashing.result()  # one segment hashed while the next decrypts: memory stays flat
            hashing = hasher.submit(_hash_segment, sha, sealed)
            size = len(sealed) - _TAG
            try:
                aead.decrypt_into(_nonce(prefix, i), sealed, _aad(digest, i, last), view[filled : filled + size])
            except InvalidTag:
                raise tampered from None
            filled += size
        if hashing is not None:
            hashing.result()
        if i < 0 or not last:
            raise tampered
    view.release()
    del plain[filled:]
    try:
        contents = _deserialise(plain, keep)
    except (ValueError, KeyError, struct.error, pl.exceptions.PolarsError, OSError):
        # authenticated, yet it does not parse: written by a foreign or broken writer
        raise tampered from None
    if contents.records.height != header.records:
        raise tampered
    return header, contents, sha.hexdigest()


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
