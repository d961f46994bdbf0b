"""The attestation tier's keys, all derived from the regulator's one secret (the same key file).

- the OPRF key: RFC 9497 ``DeriveKeyPair(seed, info)`` with ``seed`` =
  HKDF-SHA256(secret, info ``verifydel/attest-oprf/v1``, 32 bytes) and ``info`` =
  ``ATTEST_KEY_INFO``; its public half ``pkS = skS * G`` is written into every
  attestation file (for a verifiable mode later; it tests no guess: that is CDH).
- the signing key: Ed25519 with private key HKDF-SHA256(secret, info
  ``verifydel/attest-signing/v1``, 32 bytes). It signs the attestation file and every
  answer; its public key is in the attestation file, so the broker's ``finish``
  refuses an answer made with any other key.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Final

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from verifydel.fingerprint import oprf
from verifydel.fingerprint.keys import Secret

#: RFC 9497 DeriveKeyPair's info string for the attestation tier (a change is a new key).
ATTEST_KEY_INFO: Final = b"verifydel attestation v1"


def raw_public(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_text(public: Ed25519PublicKey) -> str:
    """How files name a signing key: base64 of its 32 raw bytes."""
    return base64.b64encode(raw_public(public)).decode("ascii")


def public_key_id(public: Ed25519PublicKey) -> str:
    """First 16 hex digits of SHA-256 over the 32 raw bytes (as report signers are named)."""
    return hashlib.sha256(raw_public(public)).hexdigest()[:16]


@dataclass(frozen=True)
class AttestKey:
    """The regulator's attestation keys. ``repr`` never shows them."""

    oprf_secret: bytes
    oprf_public: bytes
    signing: Ed25519PrivateKey
    key_id: str  # the regulator's key id (``Secret.key_id``), as the pack and reports name it

    def __repr__(self) -> str:
        return f"AttestKey(key_id={self.key_id}, <hidden>)"

    @classmethod
    def from_secret(cls, secret: Secret) -> AttestKey:
        sk, pk = oprf.derive_key_pair(secret.attest_oprf_seed(), ATTEST_KEY_INFO)
        signing = Ed25519PrivateKey.from_private_bytes(secret.attest_signing_seed())
        return cls(oprf_secret=sk, oprf_public=pk, signing=signing, key_id=secret.key_id())

    @property
    def public(self) -> Ed25519PublicKey:
        return self.signing.public_key()

    def sign(self, data: bytes) -> bytes:
        return self.signing.sign(data)


__all__ = ["ATTEST_KEY_INFO", "AttestKey", "public_key_id", "public_key_text", "raw_public"]
