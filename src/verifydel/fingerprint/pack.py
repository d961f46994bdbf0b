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

from verifydel.errors import (
    NotAPackError,
    OutputError,
    PackIsAKeyFileError,
    TamperedPackError,
    UnsupportedPackVersionError,
    WrongKeyError,
)
from verifydel.fingerprint.header_checks import (
    MAX_HEADER_BYTES,
    MAX_SEGMENT_BYTES,
    check_header_fields,
    parse_header_json,
    shown,
)
from verifydel.fingerprint.keys import KEY_FILE_PREFIX, Secret, open_regular_file

MAGIC = b"\x89VDPACK\n"
PACK_FORMAT = "verifydel-pack/1"
TIER_FULL = "full"
CIPHER = "AES-256-GCM"
SEGMENT_BYTES = 4 << 20
_TAG = 16
_HINT = "ask the regulator for a fresh copy"
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
    #: Derived lookup structures, by combination code (``verifydel.match.index`` fills it).
    derived: dict[int, Any] = field(default_factory=dict, repr=False, compare=False)


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
    #: The gazetteer the builder normalised addresses with (``Gazetteer.metadata()``): source,
    #: version, licence, sha256. Empty in packs written before it was recorded.
    gazetteer: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> bytes:
        d = {k: v for k, v in self.__dict__.items() if k != "extra"}
        d.update(self.extra)
        return json.dumps(d, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_json(cls, raw: bytes, file_size: int | None = None) -> PackHeader:
        """The header of a pack file, every field checked for type and bounds before any use.

        The header is read before anything is authenticated (``info`` has no key), so
        it is hostile until proven otherwise: bounded JSON, no NaN, no 1000-digit
        numbers, no nesting deep enough to exhaust the stack. ``file_size`` bounds the
        record count (each record takes bytes of the file).
        """
        d = parse_header_json(raw)
        fmt = d.get("format")
        if not isinstance(fmt, str):
            raise TamperedPackError("the pack header is damaged: field 'format' is missing or not text", hint=_HINT)
        if fmt != PACK_FORMAT:
            raise UnsupportedPackVersionError(
                f"pack format {shown(fmt)} is not one this verifydel reads ({PACK_FORMAT})",
                hint="upgrade verifydel or ask for a pack in a supported format",
            )
        if d.get("tier") != TIER_FULL or d.get("cipher") != CIPHER:
            raise UnsupportedPackVersionError(
                f"pack tier {shown(d.get('tier'))} / cipher {shown(d.get('cipher'))} "
                "is not supported by this verifydel"
            )
        check_header_fields(d, file_size)
        known = set(cls.__dataclass_fields__) - {"extra"}
        kwargs = {k: d[k] for k in known if k in d}
        return cls(**kwargs, extra={k: v for k, v in d.items() if k not in known})


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
    records = contents.records.rechunk()
    records.write_ipc(buf, compression="uncompressed", record_batch_size=max(1, records.height))
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


class _Payload:
    """Routes the decrypted payload, segment by segment, to where it is kept.

    The table of contents comes first; once it is known, each kept table gets a
    buffer of its own and plaintext is decrypted straight into it whenever a
    segment lies inside one table (the common case). Tables that are not kept
    (combinations the scan never looks up) are authenticated and dropped, so the
    peak memory is the kept tables plus one segment, never the whole payload.
    """

    def __init__(self, keep: Collection[int] | None, scratch_bytes: int) -> None:
        self.keep = keep
        self.pos = 0  # payload bytes seen so far
        self.head = bytearray()  # the toc's length and the toc, until parsed
        self.spans: dict[str, tuple[int, int]] | None = None
        self.buffers: dict[str, memoryview] = {}  # writable views of the kept tables
        self.records = io.BytesIO()  # polars reads the records from here without a copy
        self.parsed: pl.DataFrame | None = None
        self.scratch = bytearray(scratch_bytes)

    def _kept(self, name: str) -> bool:
        if name == "records":
            return True
        if not name.startswith("index/"):
            return False
        return self.keep is None or int(name.split("/")[1]) in self.keep

    def _parse_toc(self) -> None:
        if len(self.head) < 4:
            return
        (toc_len,) = _LEN.unpack_from(self.head, 0)
        if len(self.head) < 4 + toc_len:
            return
        toc = json.loads(bytes(self.head[4 : 4 + toc_len]))
        base = 4 + toc_len
        self.spans = {e["name"]: (base + e["offset"], base + e["offset"] + e["length"]) for e in toc}
        for name, (a, b) in self.spans.items():
            if a > b or a < base:
                raise ValueError("a table lies outside the payload")
            if name == "records" and b > a:
                self.records.seek(b - a - 1)
                self.records.write(b"\0")
                self.buffers[name] = self.records.getbuffer()
            elif self._kept(name):
                self.buffers[name] = memoryview(bytearray(b - a))
        self.scatter(memoryview(self.head)[base:], base)
        self.head = bytearray()

    def target(self, size: int) -> tuple[memoryview, bool]:
        """Where the next ``size`` plaintext bytes go: (view, direct). Not direct: call ``take``."""
        if self.spans is not None:
            for name, buf in self.buffers.items():
                a, _ = self.spans[name]
                if a <= self.pos and self.pos + size <= a + len(buf):
                    return buf[self.pos - a : self.pos - a + size], True
        return memoryview(self.scratch)[:size], False

    def advance(self, size: int) -> None:
        self.pos += size

    def take(self, data: memoryview) -> None:
        """Plaintext that was decrypted into the scratch buffer: toc bytes, or pieces of tables."""
        if self.spans is None:
            self.head += data
            self._parse_toc()
        else:
            self.scatter(data, self.pos)

    def scatter(self, data: memoryview, at: int) -> None:
        assert self.spans is not None
        end = at + len(data)
        for name, buf in self.buffers.items():
            a, b = self.spans[name]
            lo, hi = max(a, at), min(b, end)
            if lo < hi:
                buf[lo - a : hi - a] = data[lo - at : hi - at]

    def contents(self) -> PackContents:
        """The kept tables, once every segment was authenticated."""
        if self.spans is None or any(b > self.pos for _, b in self.spans.values()):
            raise ValueError("a table lies outside the payload")
        self.scratch = bytearray()
        index: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for name in sorted(self.buffers):
            if name.startswith("index/") and name.endswith("/fp"):
                code = int(name.split("/")[1])
                fps = np.frombuffer(self.buffers.pop(name), dtype="<u8")
                recs = np.frombuffer(self.buffers.pop(f"index/{code}/rec"), dtype="<u4")
                index[code] = (fps, recs)
        records = self.parsed if self.parsed is not None else self.parse_records()
        return PackContents(records=records, index=index)

    def records_ready(self) -> bool:
        """Every byte of the records table has been decrypted (and its segments authenticated)."""
        return self.spans is not None and "records" in self.buffers and self.spans["records"][1] <= self.pos

    def parse_records(self) -> pl.DataFrame:
        """The records table, parsed; may run on another thread while later segments decrypt."""
        self.buffers.pop("records").release()  # the BytesIO cannot be read while viewed
        self.records.seek(0)
        # Packs are written as one record batch (read as one chunk); rechunk older ones.
        records = pl.read_ipc(self.records)
        self.records = io.BytesIO()
        if records.n_chunks() > 1:
            records = records.rechunk()
        self.parsed = records
        return records


# --- write -----------------------------------------------------------------------------------
def refuse_existing(path: Path) -> None:
    """Raise OutputError when ``path`` exists (a file, a folder, even a broken link): a pack
    is only replaced when asked to (the CLI's --force), as a key never is."""
    if os.path.lexists(path):
        raise OutputError(
            f"{path} already exists",
            hint="give --force to replace it, or choose another name with --out",
        )


def write_pack(
    path: Path, header: PackHeader, contents: PackContents, secret: Secret, *, overwrite: bool = False
) -> str:
    """Seal ``contents`` under ``secret`` into ``path``; returns the pack's SHA-256.

    Atomic: the pack is written next to ``path`` (``.part``), then put in place in one step;
    nothing partial is left. Without ``overwrite`` a file already at ``path`` (even one that
    appeared while this one was written) stays as it was and OutputError is raised.
    """
    path = Path(path)
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
    try:
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
        _put_in_place(tmp, path, overwrite)
    finally:
        tmp.unlink(missing_ok=True)
    return sha.hexdigest()


def _put_in_place(tmp: Path, path: Path, overwrite: bool) -> None:
    """``tmp`` becomes ``path`` in one step; without ``overwrite`` never over an existing file."""
    if overwrite:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)  # fails when path exists, whatever appeared there meanwhile
    except FileExistsError:
        refuse_existing(path)
        raise
    except OSError:  # a file system without hard links: check, then rename
        refuse_existing(path)
        os.replace(tmp, path)


# --- read ------------------------------------------------------------------------------------
def _open_pack(path: Path) -> BinaryIO:
    """The pack file, unbuffered; a regular file only (a FIFO or device is refused, never read)."""
    fd = open_regular_file(Path(path), NotAPackError, "pack")
    return os.fdopen(fd, "rb", buffering=0)


def _read_preamble(fh: BinaryIO, path: Path) -> tuple[PackHeader, bytes]:
    magic = fh.read(len(MAGIC))
    if magic != MAGIC:
        if (magic + fh.read(len(KEY_FILE_PREFIX) - len(magic))).startswith(KEY_FILE_PREFIX.encode()):
            raise PackIsAKeyFileError(
                f"{path} is a verifydel key file, not a pack", hint="give the .vdpack file as the pack"
            )
        raise NotAPackError(f"{path} is not a verifydel pack", hint="give the .vdpack file `verifydel fingerprint` wrote")
    raw_len = fh.read(4)
    if len(raw_len) != 4:
        raise TamperedPackError(f"{path} is truncated", hint=_HINT)
    (hlen,) = _LEN.unpack(raw_len)
    if hlen > MAX_HEADER_BYTES:
        raise TamperedPackError(f"{path} has a damaged header", hint=_HINT)
    raw = fh.read(hlen)
    if len(raw) != hlen:
        raise TamperedPackError(f"{path} is truncated", hint=_HINT)
    file_size = os.fstat(fh.fileno()).st_size
    return PackHeader.from_json(raw, file_size=file_size), MAGIC + raw_len + raw


def read_header(path: Path) -> PackHeader:
    """The public metadata, without the key (for `verifydel info`)."""
    with _open_pack(path) as fh:
        return _read_preamble(fh, path)[0]


def read_header_and_sha256(path: Path) -> tuple[PackHeader, str]:
    """The public metadata and the SHA-256 of the whole file, read through one descriptor."""
    with _open_pack(path) as fh:
        header = _read_preamble(fh, path)[0]
        fh.seek(0)
        h = hashlib.sha256()
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return header, h.hexdigest()


def _segments(fh: BinaryIO, path: Path, end: int, max_sealed: int) -> Iterator[tuple[memoryview, bool]]:
    """(sealed segment, is it the last one in the file) in file order.

    Segments are read into two buffers in turn: the one yielded stays valid
    until the next-but-one segment is read (the hasher works on it meanwhile).
    """
    truncated = TamperedPackError(f"{path} is truncated or changed", hint="ask the regulator for a fresh copy")
    buffers = [bytearray(max_sealed), bytearray(max_sealed)]
    turn = 0
    while True:
        raw = fh.read(4)
        if not raw:
            return
        if len(raw) != 4:
            raise truncated
        (n,) = _LEN.unpack(raw)
        if n < _TAG or n > max_sealed:
            raise truncated
        view = memoryview(buffers[turn])[:n]
        if fh.readinto(view) != n:
            raise truncated
        turn ^= 1
        yield view, fh.tell() >= end


def _hash_segment(sha: hashlib._Hash, sealed: memoryview) -> None:
    sha.update(_LEN.pack(len(sealed)))
    sha.update(sealed)


def read_pack(
    path: Path, secret: Secret, keep: Collection[int] | None = None
) -> tuple[PackHeader, PackContents, str]:
    """Open, authenticate and decrypt a pack. Returns (header, contents, sha256 of the file).

    ``keep`` names the combination codes whose index is kept in memory (default:
    all). Every segment is authenticated; kept tables are decrypted straight into
    their own buffers while a second thread hashes the file (both release the GIL).
    """
    tampered = TamperedPackError(
        f"{path} failed authentication: it was changed or damaged after it was written",
        hint="ask the regulator for a fresh copy; do not use this pack",
    )
    fh = _open_pack(path)
    with fh, ThreadPoolExecutor(max_workers=1) as hasher, ThreadPoolExecutor(max_workers=1) as parser:
        header, preamble = _read_preamble(fh, path)
        if header.key_check != secret.check_value():
            raise WrongKeyError(
                f"the key does not belong to pack {path}", hint="give the key file this pack was made with"
            )
        try:
            salt, prefix = bytes.fromhex(header.salt), bytes.fromhex(header.nonce_prefix)
        except ValueError:
            raise tampered from None
        if len(prefix) != 4 or not 0 < header.segment_bytes <= MAX_SEGMENT_BYTES:
            raise tampered
        end = os.fstat(fh.fileno()).st_size
        # No sealed segment is larger than what follows the preamble: the header's segment size
        # is not authenticated yet, so buffers are never sized by it alone.
        max_sealed = max(_TAG, min(header.segment_bytes + _TAG, end - len(preamble) - _LEN.size))
        sha = hashlib.sha256(preamble)
        digest = hashlib.sha256(preamble).digest()
        aead = AESGCM(secret.pack_key(salt))
        payload = _Payload(keep, max_sealed - _TAG)
        i, last = -1, False
        hashing: Future[None] | None = None
        parsing: Future[pl.DataFrame] | None = None
        try:
            for i, (sealed, last) in enumerate(_segments(fh, path, end, max_sealed)):
                if hashing is not None:
                    hashing.result()  # one segment hashed while the next decrypts
                hashing = hasher.submit(_hash_segment, sha, sealed)
                size = len(sealed) - _TAG
                out, direct = payload.target(size)
                try:
                    aead.decrypt_into(_nonce(prefix, i), sealed, _aad(digest, i, last), out)
                except InvalidTag:
                    raise tampered from None
                if not direct:
                    payload.take(out)
                payload.advance(size)
                if parsing is None and payload.records_ready():
                    # the records are complete: parse them while the indexes decrypt (the
                    # pack is only returned once every segment has been authenticated)
                    parsing = parser.submit(payload.parse_records)
            if i < 0 or not last:
                raise tampered
            if parsing is not None:
                parsing.result()
            contents = payload.contents()
            if hashing is not None:
                hashing.result()
        except (ValueError, KeyError, TypeError, struct.error, pl.exceptions.PolarsError, OSError):
            # authenticated, yet it does not parse: written by a foreign or broken writer
            raise tampered from None
    if contents.records.height != header.records:
        raise tampered
    return header, contents, sha.hexdigest()

