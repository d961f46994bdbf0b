"""Report signatures: the Ed25519 construction pinned by known-answer vectors, key files, checks."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from verifydel.errors import InvalidReportError, KeyFileError
from verifydel.report.signing import (
    SigningKey,
    check_signature,
    key_id,
    public_key_from_text,
    read_public_key,
    read_signing_key,
    write_signing_key,
)

VECTORS = json.loads(
    (Path(__file__).parents[2] / "fingerprints" / "vectors" / "signing-v1.json").read_text(encoding="utf-8")
)


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda c: c["name"])
def test_signature_and_key_id_match_the_vectors(case: dict) -> None:
    key = SigningKey(Ed25519PrivateKey.from_private_bytes(bytes.fromhex(case["private_hex"])))
    message = bytes.fromhex(case["message_hex"])
    assert key.sign(message).hex() == case["signature_hex"]
    assert key.signer().key_id == case["key_id"] == key_id(key.public)
    assert key.signer().public_key == case["public_key_b64"]
    check_signature(message, bytes.fromhex(case["signature_hex"]), public_key_from_text(case["public_key_b64"]))


def test_one_changed_byte_fails_the_signature() -> None:
    case = VECTORS["cases"][1]
    message = bytearray(bytes.fromhex(case["message_hex"]))
    message[5] ^= 1
    with pytest.raises(InvalidReportError, match="changed after it was signed"):
        check_signature(bytes(message), bytes.fromhex(case["signature_hex"]), public_key_from_text(case["public_key_b64"]))


def test_key_files_are_private_standard_pem_and_never_overwritten(tmp_path: Path) -> None:
    key, pub = write_signing_key(tmp_path / "s.key")
    assert stat.S_IMODE((tmp_path / "s.key").stat().st_mode) == 0o600
    assert pub == tmp_path / "s.key.pub"
    assert (tmp_path / "s.key").read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert pub.read_text().startswith("-----BEGIN PUBLIC KEY-----")
    assert read_signing_key(tmp_path / "s.key").signer() == key.signer()
    assert key_id(read_public_key(pub)) == key.signer().key_id
    with pytest.raises(KeyFileError, match="already exists"):
        write_signing_key(tmp_path / "s.key")
    assert "PRIVATE" not in repr(key) and "hidden" in repr(key)


def test_a_shared_or_wrong_key_file_is_refused_with_what_to_do(tmp_path: Path) -> None:
    write_signing_key(tmp_path / "s.key")
    os.chmod(tmp_path / "s.key", 0o644)
    with pytest.raises(KeyFileError, match="chmod 600"):
        read_signing_key(tmp_path / "s.key")
    with pytest.raises(KeyFileError, match="not an Ed25519 signing key"):
        read_signing_key(tmp_path / "s.key.pub")  # its public half: "is a public key, not an Ed25519 signing key"
    (tmp_path / "big").write_bytes(b"x" * 100_000)
    with pytest.raises(KeyFileError, match="too large"):
        read_public_key(tmp_path / "big")
    with pytest.raises(KeyFileError, match="not found"):
        read_public_key(tmp_path / "missing.pub")
