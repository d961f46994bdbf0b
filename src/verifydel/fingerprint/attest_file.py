"""The attestation tier's files: one small container, and the attestation pack (``.vdattest``).

Every attestation file (attestation pack, request, answer, the broker's state) is::

    magic        8 bytes, one per kind of file
    header_len   u32 little-endian, at most 1 MiB
    header       UTF-8 JSON (public metadata)
    body_len     u64 little-endian
    body         body_len bytes
    signature    64 bytes (attestation packs and answers only): Ed25519 over
                 "verifydel-attest-signature/1" || 0x00 || magic || SHA-512(every byte before it)

The attestation pack holds, per leaked record (in the pack's order: record ``n`` is the
pack's ``n``-th record), the anchors and tags of ``fingerprint.attest_tags`` and nothing
else: no value, no fingerprint of the full tier, no record id. Without answers from the
regulator's key it tests no guess: every anchor and tag needs an OPRF output. It is
signed with the regulator's attestation signing key, whose public key is in its header.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import numpy as np
import polars as pl
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from verifydel import __version__
from verifydel.errors import AttestationError, OutputError, VerifydelError
from verifydel.fields import ADDRESS, FIELDS
from verifydel.fingerprint import oprf
from verifydel.fingerprint.attest_keys import AttestKey, public_key_id, public_key_text
from verifydel.fingerprint.attest_tags import (
    TAG_HASH,
    anchor_entries,
    attested_fingerprints,
    distinct_anchor_values,
    oprf_input,
    outputs_frame,
)
from verifydel.fingerprint.header_checks import MAX_HEADER_BYTES, parse_header_json
from verifydel.fingerprint.keys import open_regular_file
from verifydel.fingerprint.pack import PackContents
from verifydel.fingerprint.rows import FP_SUFFIX
from verifydel.normalise import NORMALISATION_VERSION
from verifydel.normalise.batch import ROW

ATTEST_MAGIC: Final = b"\x89VDATST\n"
ATTEST_FORMAT: Final = "verifydel-attest/1"
TIER_ATTESTATION: Final = "attestation"
SIGNATURE_BYTES: Final = 64
_SIGNATURE_CONTEXT: Final = b"verifydel-attest-signature/1\x00"
_HEADER_LEN = struct.Struct("<I")
_BODY_LEN = struct.Struct("<Q")
#: The record table's columns (no record id: records are numbered by position).
RECORD_SCHEMA: Final[dict[str, pl.DataType]] = {
    **{f + FP_SUFFIX: pl.UInt64() if f == ADDRESS else pl.List(pl.UInt64()) for f in FIELDS},
    "address_prefecture" + FP_SUFFIX: pl.UInt64(),
}


# --- the container ---------------------------------------------------------------------------
@dataclass
class Container:
    """One attestation file as read: header, body, and the SHA-256 of the whole file."""

    header: dict[str, Any]
    body: bytes
    sha256: str
    signature: bytes | None = None
    signed_digest: bytes | None = None  # SHA-512 of the bytes the signature covers


def _signed_message(magic: bytes, digest: bytes) -> bytes:
    return _SIGNATURE_CONTEXT + magic + digest


def refuse_existing_output(path: Path) -> None:
    if os.path.lexists(path):
        raise OutputError(f"{path} already exists", hint="give --force to replace it, or choose another name")


def write_container(
    path: Path,
    magic: bytes,
    header: dict[str, Any],
    body: Sequence[bytes],
    *,
    sign: AttestKey | None = None,
    mode: int = 0o644,
    overwrite: bool = False,
) -> str:
    """Write the file whole or not at all (beside ``path``, then renamed); its SHA-256.

    ``mode`` is set on the descriptor before a byte is written (0600 for the broker's state)."""
    path = Path(path)
    if not overwrite:
        refuse_existing_output(path)
    head = json.dumps(header, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
    if len(head) > MAX_HEADER_BYTES:
        raise OutputError(f"cannot write {path}: its header is larger than {MAX_HEADER_BYTES} bytes")
    size = sum(len(b) for b in body)
    preamble = magic + _HEADER_LEN.pack(len(head)) + head + _BODY_LEN.pack(size)
    sha = hashlib.sha256()
    signed = hashlib.sha512()
    tmp = path.with_name(path.name + ".part")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    try:
        tmp.unlink(missing_ok=True)
        fd = os.open(tmp, flags | os.O_EXCL, mode)
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), mode)
            for piece in (preamble, *body):
                fh.write(piece)
                sha.update(piece)
                signed.update(piece)
            if sign is not None:
                signature = sign.sign(_signed_message(magic, signed.digest()))
                fh.write(signature)
                sha.update(signature)
            fh.flush()
            os.fsync(fh.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except FileExistsError:
                refuse_existing_output(path)
                raise
            except OSError:
                refuse_existing_output(path)
                os.replace(tmp, path)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {(exc.strerror or type(exc).__name__).lower()}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return sha.hexdigest()


def read_container(
    path: Path, magic: bytes, what: str, error: type[VerifydelError], *, signed: bool, hint: str
) -> Container:
    """Read and check the layout of one attestation file (a regular file only).

    Everything is hostile until checked: the header is bounded JSON; the body length must
    be exactly what the file holds. A signature is returned, not checked (the caller knows
    which key must have made it)."""
    fd = open_regular_file(Path(path), error, what)
    with os.fdopen(fd, "rb") as fh:
        data = fh.read()
    damaged = error(f"{path} is damaged or truncated: not a complete {what}", hint=hint)
    if not data.startswith(magic):
        raise error(f"{path} is not a {what}", hint=hint)
    pos = len(magic)
    if len(data) < pos + _HEADER_LEN.size:
        raise damaged
    (hlen,) = _HEADER_LEN.unpack_from(data, pos)
    pos += _HEADER_LEN.size
    if hlen > MAX_HEADER_BYTES or len(data) < pos + hlen + _BODY_LEN.size:
        raise damaged
    try:
        header = parse_header_json(data[pos : pos + hlen])
    except VerifydelError:
        raise damaged from None
    pos += hlen
    (blen,) = _BODY_LEN.unpack_from(data, pos)
    pos += _BODY_LEN.size
    tail = SIGNATURE_BYTES if signed else 0
    if len(data) != pos + blen + tail:
        raise damaged
    body = data[pos : pos + blen]
    container = Container(header=header, body=body, sha256=hashlib.sha256(data).hexdigest())
    if signed:
        container.signature = data[pos + blen :]
        container.signed_digest = hashlib.sha512(data[: pos + blen]).digest()
    return container


def signature_valid(container: Container, magic: bytes, public: Ed25519PublicKey) -> bool:
    if container.signature is None or container.signed_digest is None:
        return False
    try:
        public.verify(container.signature, _signed_message(magic, container.signed_digest))
    except InvalidSignature:
        return False
    return True


def public_key_from_header(header: dict[str, Any], field: str, error: AttestationError) -> Ed25519PublicKey:
    text = header.get(field)
    if not isinstance(text, str):
        raise error
    try:
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(text.encode("ascii"), validate=True))
    except (ValueError, UnicodeEncodeError):
        raise error from None


# --- the attestation pack --------------------------------------------------------------------
def attest_records(norm: pl.DataFrame, key: AttestKey, workers: int = 1) -> pl.DataFrame:
    """The attestation records of a normalised batch of the leaked set, row for row:
    OPRF outputs computed directly (RFC 9497 Evaluate) for its distinct phones and
    addresses, then anchors and tags (``attest_tags``)."""
    outputs = {}
    for field, values in distinct_anchor_values(norm).items():
        texts = values.to_list()
        ys = oprf.evaluate_values(key.oprf_secret, [oprf_input(field, v) for v in texts], workers)
        outputs[field] = outputs_frame(texts, ys)
    return attested_fingerprints(norm, outputs).drop(ROW)


def attestation_contents(records: pl.DataFrame) -> PackContents:
    """The records and, per anchor field (combination codes of ``phone`` and ``address``),
    the sorted anchors with their record numbers: what ``match.index.lookup`` searches."""
    entries = anchor_entries(records.with_row_index(ROW))
    index: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for (code,), part in (entries.partition_by("code", as_dict=True) if entries.height else {}).items():
        both = part.unique(["fp", ROW]).sort("fp", ROW)
        index[int(code)] = (
            np.ascontiguousarray(both["fp"].to_numpy()),
            np.ascontiguousarray(both[ROW].to_numpy().astype(np.uint32)),
        )
    return PackContents(records=records, index=index)


@dataclass
class AttestationPack:
    """An attestation pack as read: its header, its records (position = record number)."""

    path: Path
    header: dict[str, Any]
    records: pl.DataFrame
    sha256: str
    signing_public: Ed25519PublicKey

    @property
    def key_id(self) -> str:
        return str(self.header["key_id"])

    def contents(self) -> PackContents:
        return attestation_contents(self.records)

    @property
    def signing_key_id(self) -> str:
        return public_key_id(self.signing_public)


def write_attestation_pack(
    path: Path,
    records: pl.DataFrame,
    key: AttestKey,
    *,
    inputs: list[dict[str, Any]],
    fields: list[str],
    pack_sha256: str | None,
    overwrite: bool = False,
) -> str:
    """Write the ``.vdattest``: records (in the pack's order) as Arrow IPC, signed."""
    records = records.select(list(RECORD_SCHEMA)).cast(RECORD_SCHEMA)  # type: ignore[arg-type]
    buf = io.BytesIO()
    records.write_ipc(buf, compression="zstd")
    header = {
        "format": ATTEST_FORMAT,
        "tier": TIER_ATTESTATION,
        "suite": oprf.SUITE,
        "oprf_mode": oprf.MODE_OPRF,
        "tag_hash": TAG_HASH,
        "records": records.height,
        "normalisation": NORMALISATION_VERSION,
        "fields": fields,
        "key_id": key.key_id,
        "oprf_public_key": key.oprf_public.hex(),
        "signing_public_key": public_key_text(key.public),
        "signing_key_id": public_key_id(key.public),
        "pack_sha256": pack_sha256,
        "inputs": inputs,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "tool": f"verifydel {__version__}",
    }
    return write_container(path, ATTEST_MAGIC, header, [buf.getvalue()], sign=key, overwrite=overwrite)


def is_attestation_pack(path: Path) -> bool:
    """Does the file start as an attestation pack does (a regular file only; never blocks)?"""
    try:
        fd = open_regular_file(Path(path), AttestationError, "attestation pack")
    except AttestationError:
        return False
    with os.fdopen(fd, "rb") as fh:
        return fh.read(len(ATTEST_MAGIC)) == ATTEST_MAGIC


_ATTEST_HINT = "ask the regulator for the .vdattest file `verifydel fingerprint ... --attest-out` wrote"


def read_attestation_pack(path: Path) -> AttestationPack:
    """Read, check and load a ``.vdattest`` (its own signature included)."""
    c = read_container(path, ATTEST_MAGIC, "verifydel attestation pack", AttestationError, signed=True, hint=_ATTEST_HINT)
    damaged = AttestationError(f"{path} is damaged: its header is not that of an attestation pack", hint=_ATTEST_HINT)
    h = c.header
    if h.get("format") != ATTEST_FORMAT or h.get("tier") != TIER_ATTESTATION:
        raise AttestationError(
            f"{path} is an attestation pack of another format ({str(h.get('format'))[:40]!r})",
            hint="use the verifydel version the regulator used",
        )
    if h.get("suite") != oprf.SUITE or h.get("oprf_mode") != oprf.MODE_OPRF or h.get("tag_hash") != TAG_HASH:
        raise damaged
    public = public_key_from_header(h, "signing_public_key", damaged)
    if not signature_valid(c, ATTEST_MAGIC, public):
        raise AttestationError(
            f"{path} failed its signature check: it was changed or damaged after the regulator wrote it",
            hint="ask the regulator for a fresh copy; do not use this one",
        )
    if not isinstance(h.get("records"), int) or not isinstance(h.get("key_id"), str):
        raise damaged
    try:
        records = pl.read_ipc(io.BytesIO(c.body))
        records = records.select(list(RECORD_SCHEMA)).cast(RECORD_SCHEMA)  # type: ignore[arg-type]
    except (pl.exceptions.PolarsError, OSError, ValueError):
        raise damaged from None
    if records.height != h["records"]:
        raise damaged
    return AttestationPack(path=Path(path), header=h, records=records, sha256=c.sha256, signing_public=public)


__all__ = [
    "ATTEST_FORMAT",
    "ATTEST_MAGIC",
    "RECORD_SCHEMA",
    "TIER_ATTESTATION",
    "AttestationPack",
    "Container",
    "attest_records",
    "attestation_contents",
    "is_attestation_pack",
    "read_attestation_pack",
    "read_container",
    "refuse_existing_output",
    "signature_valid",
    "write_attestation_pack",
    "write_container",
]
