"""The regulator's secret and the keys derived from it.

The key file holds 256 random bits as text: ``verifydel-key-v1 <64 hex digits>``.
Every key verifydel uses is derived from it with HKDF-SHA256 and a label, so
the fingerprint seeds, the pack's encryption key and the key check value are
independent of one another. The secret itself is never written into a pack.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from verifydel.errors import KeyFileError

KEY_FILE_PREFIX = "verifydel-key-v1"
SECRET_BYTES = 32  # 256 bits

_FINGERPRINT_LABEL = b"verifydel/fingerprint/v1/"
_PACK_KEY_LABEL = b"verifydel/pack-encryption/v1"
_KEY_CHECK_LABEL = b"verifydel/key-check/v1"


def _hkdf(secret: bytes, label: bytes, length: int, salt: bytes | None = None) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=label).derive(secret)


@dataclass(frozen=True)
class Secret:
    """The regulator's secret. ``repr`` never shows it."""

    material: bytes

    def __post_init__(self) -> None:
        if len(self.material) < SECRET_BYTES:
            raise KeyFileError("the key is shorter than 256 bits", hint="make a new one with `verifydel keygen`")

    def __repr__(self) -> str:
        return "Secret(<hidden>)"

    def fingerprint_seed(self, combination: str) -> int:
        """The 64-bit xxh3 seed of one combination's domain."""
        raw = _hkdf(self.material, _FINGERPRINT_LABEL + combination.encode("ascii"), 8)
        return int.from_bytes(raw, "little")

    def pack_key(self, salt: bytes) -> bytes:
        """The AEAD key of one pack (each pack has its own random salt)."""
        return _hkdf(self.material, _PACK_KEY_LABEL, 32, salt=salt)

    def check_value(self) -> str:
        """A short public value that tells a wrong key from a tampered pack."""
        return _hkdf(self.material, _KEY_CHECK_LABEL, 8).hex()

    def key_id(self) -> str:
        """A short public id of the key file (for reports and messages)."""
        return hashlib.sha256(b"verifydel/key-id/v1" + self.material).hexdigest()[:16]


def generate_secret() -> Secret:
    return Secret(secrets.token_bytes(SECRET_BYTES))


def write_key(path: Path, secret: Secret, *, overwrite: bool = False) -> None:
    """Write the key file, readable and writable by its owner only (mode 0600)."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if overwrite else os.O_EXCL)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        raise KeyFileError(
            f"{path} already exists", hint="choose another file name; verifydel never overwrites a key"
        ) from None
    except OSError as exc:
        raise KeyFileError(f"cannot write {path}: {exc.strerror}") from None
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        os.fchmod(fh.fileno(), 0o600)
        fh.write(f"{KEY_FILE_PREFIX} {secret.material.hex()}\n")


def read_key(path: Path) -> Secret:
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        raise KeyFileError(f"key file {path} not found", hint="give the file `verifydel keygen` wrote") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyFileError(f"cannot read key file {path}: {exc}") from None
    parts = text.split()
    if len(parts) != 2 or parts[0] != KEY_FILE_PREFIX:
        raise KeyFileError(f"{path} is not a verifydel key file", hint="give the file `verifydel keygen` wrote")
    try:
        material = bytes.fromhex(parts[1])
    except ValueError:
        raise KeyFileError(f"{path} is damaged (not hexadecimal)") from None
    return Secret(material)


def key_file_is_private(path: Path) -> bool:
    """True when group and others have no access to the key file."""
    return stat.S_IMODE(path.stat().st_mode) & 0o077 == 0
