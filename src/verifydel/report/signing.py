"""Signed reports: Ed25519 over the exact bytes of each report file (a detached ``.sig``).

Construction (fixed; known-answer vectors in ``fingerprints/vectors/signing.json``):

- ``keygen --signing FILE`` writes the 32-byte Ed25519 private key as PKCS#8 PEM to FILE
  (mode 0600, never overwritten) and the public key as SubjectPublicKeyInfo PEM to
  ``FILE.pub``. Both are the standard formats: OpenSSL reads them.
- The key id is the first 16 hex digits of SHA-256 over the 32 raw public-key bytes.
- ``scan --sign FILE`` renders each report (JSON, HTML, CSV, SARIF), writes it, and writes
  ``REPORT.sig`` beside it: the raw 64-byte Ed25519 signature (RFC 8032) of the report's
  bytes exactly as written. The JSON report also names its signer (``signer``: key id
  and public key), inside the signed bytes.
- Checking needs no verifydel: ``openssl pkeyutl -verify -pubin -inkey KEY.pub -rawin
  -in report.json -sigfile report.json.sig``; ``verifydel verify`` does the same and
  checks the report's consistency too.

Detached signatures over the exact bytes were chosen over canonical JSON (RFC 8785):
the report can hold millions of matches, and hashing its bytes costs nothing beside
re-serialising them; every format (HTML, CSV, SARIF) is signed the same way.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from verifydel.errors import InvalidReportError, KeyFileError
from verifydel.fingerprint.keys import _read_bounded, _refuse_shared, create_key_file, open_regular_file
from verifydel.report.model import Signer

SIGNATURE_SUFFIX: Final = ".sig"
PUBLIC_SUFFIX: Final = ".pub"
SIGNATURE_BYTES: Final = 64
#: A PEM key file is a few hundred bytes; never an unbounded read.
_KEY_FILE_MAX_BYTES: Final = 4096


def key_id(public: Ed25519PublicKey) -> str:
    """The signing key's public id: SHA-256 of its 32 raw bytes, first 16 hex digits."""
    return hashlib.sha256(_raw(public)).hexdigest()[:16]


def _raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey

    def __repr__(self) -> str:
        return "SigningKey(<hidden>)"

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    def signer(self) -> Signer:
        return Signer(key_id=key_id(self.public), public_key=base64.b64encode(_raw(self.public)).decode("ascii"))

    def sign(self, data: bytes) -> bytes:
        return self.private.sign(data)


def public_pem(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def write_signing_key(path: Path) -> tuple[SigningKey, Path]:
    """A new Ed25519 key: private PEM to ``path`` (0600), public PEM to ``path.pub``."""
    key = SigningKey(Ed25519PrivateKey.generate())
    public_path = path.with_name(path.name + PUBLIC_SUFFIX)
    if public_path.exists() or public_path.is_symlink():
        raise KeyFileError(f"{public_path} already exists", hint="choose another file name; verifydel never overwrites a key")
    pem = key.private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    create_key_file(path, pem, 0o600)
    create_key_file(public_path, public_pem(key.public), 0o644)
    return key, public_path


def _read_small(path: Path, what: str) -> tuple[bytes, int]:
    fd = open_regular_file(path, KeyFileError, what)
    try:
        mode = os.fstat(fd).st_mode
        raw = _read_bounded(fd, _KEY_FILE_MAX_BYTES + 1)
    finally:
        os.close(fd)
    if len(raw) > _KEY_FILE_MAX_BYTES:
        raise KeyFileError(f"{path} is too large to be a {what}", hint="give the file `verifydel keygen --signing` wrote")
    return raw, mode


def read_signing_key(path: Path) -> SigningKey:
    """The private key ``keygen --signing`` wrote (PKCS#8 PEM, private to its owner)."""
    raw, mode = _read_small(path, "signing key")
    if b"PUBLIC KEY-----" in raw:
        raise KeyFileError(
            f"{path} is a public key, not an Ed25519 signing key",
            hint="sign with the private key `verifydel keygen --signing` wrote (the file without .pub)",
        )
    _refuse_shared(path, mode)
    try:
        key = serialization.load_pem_private_key(raw, password=None)
    except (ValueError, TypeError):
        raise KeyFileError(
            f"{path} is not an Ed25519 signing key",
            hint="give the private key `verifydel keygen --signing` wrote (not its .pub, not the regulator's key)",
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{path} is not an Ed25519 signing key", hint="make one with `verifydel keygen --signing FILE`")
    return SigningKey(key)


def read_public_key(path: Path) -> Ed25519PublicKey:
    """A public key: the ``.pub`` PEM, or the private key file (its public half is used)."""
    raw, _ = _read_small(path, "public key")
    try:
        key = serialization.load_pem_public_key(raw)
    except (ValueError, TypeError, serialization.UnsupportedAlgorithm):
        raise KeyFileError(
            f"{path} is not an Ed25519 public key", hint="give the .pub file `verifydel keygen --signing` wrote"
        ) from None
    if not isinstance(key, Ed25519PublicKey):
        raise KeyFileError(f"{path} is not an Ed25519 public key", hint="give the .pub file `verifydel keygen --signing` wrote")
    return key


def public_key_from_text(text: str) -> Ed25519PublicKey:
    """The public key a report names (base64 of 32 raw bytes)."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (ValueError, UnicodeEncodeError):
        raise InvalidReportError("the report's signer public key is malformed") from None


def signature_path(report: Path) -> Path:
    return report.with_name(report.name + SIGNATURE_SUFFIX)


def check_signature(data: bytes, signature: bytes, public: Ed25519PublicKey) -> None:
    """Raise InvalidReportError unless ``signature`` is ``public``'s over ``data``."""
    if len(signature) != SIGNATURE_BYTES:
        raise InvalidReportError(f"the signature file is not a {SIGNATURE_BYTES}-byte Ed25519 signature")
    try:
        public.verify(signature, data)
    except InvalidSignature:
        raise InvalidReportError(
            f"the signature does not match: the report was changed after it was signed, or not signed by key {key_id(public)}"
        ) from None


__all__ = [
    "PUBLIC_SUFFIX",
    "SIGNATURE_SUFFIX",
    "SigningKey",
    "check_signature",
    "key_id",
    "public_key_from_text",
    "public_pem",
    "read_public_key",
    "read_signing_key",
    "signature_path",
    "write_signing_key",
]
