"""The regulator's secret and the keys derived from it.

The key file holds 256 random bits as text: ``verifydel-key-v1 <64 hex digits>``.
Every key verifydel uses is derived from it with HKDF-SHA256 and a label, so
the fingerprint seeds, the pack's encryption key and the key check value are
independent of one another. The secret itself is never written into a pack.
"""

from __future__ import annotations

import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from verifydel.errors import InsecureKeyFileError, KeyFileError, KeyFileIsAPackError, VerifydelError

KEY_FILE_PREFIX = "verifydel-key-v1"
SECRET_BYTES = 32  # 256 bits

_FINGERPRINT_LABEL = b"verifydel/fingerprint/v1/"
_PACK_KEY_LABEL = b"verifydel/pack-encryption/v1"
_KEY_CHECK_LABEL = b"verifydel/key-check/v1"
_JOURNAL_LABEL = b"verifydel/scan-journal/v1"
_ATTEST_OPRF_LABEL = b"verifydel/attest-oprf/v1"
_ATTEST_SIGNING_LABEL = b"verifydel/attest-signing/v1"


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

    def journal_key(self) -> bytes:
        """The HMAC key that tags a scan journal with the scan it belongs to (``report.journal``)."""
        return _hkdf(self.material, _JOURNAL_LABEL, 32)

    def attest_oprf_seed(self) -> bytes:
        """The 32-byte seed the attestation tier's OPRF key is derived from (RFC 9497
        DeriveKeyPair, ``verifydel.fingerprint.attest_keys``)."""
        return _hkdf(self.material, _ATTEST_OPRF_LABEL, 32)

    def attest_signing_seed(self) -> bytes:
        """The 32-byte Ed25519 private key that signs attestation files and answers."""
        return _hkdf(self.material, _ATTEST_SIGNING_LABEL, 32)

    def key_id(self) -> str:
        """The key's one public id, the same everywhere: what ``keygen`` prints, ``info``
        shows as ``key_check`` and the report names as the pack's ``key_id``."""
        return self.check_value()


def generate_secret() -> Secret:
    return Secret(secrets.token_bytes(SECRET_BYTES))


def write_key(path: Path, secret: Secret, *, overwrite: bool = False) -> None:
    """Write the key file, readable and writable by its owner only (mode 0600)."""
    create_key_file(path, f"{KEY_FILE_PREFIX} {secret.material.hex()}\n".encode("ascii"), 0o600, overwrite=overwrite)


def create_key_file(path: Path, data: bytes, mode: int, *, overwrite: bool = False) -> None:
    """Write a key file with ``mode``; an existing file (or link) is never overwritten
    unless ``overwrite``, and never written through a symbolic link."""
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | (os.O_TRUNC if overwrite else os.O_EXCL)
    try:
        fd = os.open(path, flags, mode)
    except FileExistsError:
        raise KeyFileError(
            f"{path} already exists", hint="choose another file name; verifydel never overwrites a key"
        ) from None
    except OSError as exc:
        raise KeyFileError(f"cannot write {path}: {exc.strerror}") from None
    with os.fdopen(fd, "wb") as fh:
        os.fchmod(fh.fileno(), mode)
        fh.write(data)


#: The longest key file read: ``verifydel-key-v1 <64 hex>\n`` is 82 bytes; room for CRLF,
#: trailing blanks and a longer secret, never an unbounded read.
KEY_FILE_MAX_BYTES = 1024
#: The first bytes of a pack (``verifydel.fingerprint.pack.MAGIC``): a key file never starts so.
_PACK_MAGIC = b"\x89VDPACK\n"
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)


def open_regular_file(path: Path, error: type[VerifydelError], what: str) -> int:
    """A read-only descriptor of ``path``, which must be a regular file (symlinks to one are fine).

    A FIFO, a device (``/dev/zero``), a socket or a folder raises ``error`` without
    blocking and without reading: the path is checked before it is opened (opening a
    device may have effects), opened non-blocking (a FIFO would wait for a writer) and
    checked again on the descriptor (the path may have changed in between).
    """
    not_regular = error(
        f"{what} {path} is not a regular file (a folder, FIFO, device or socket)",
        hint=f"give the {what} itself, as an ordinary file",
    )
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise not_regular
        fd = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        raise error(f"{what} {path} not found", hint=f"check the path of the {what}") from None
    except OSError as exc:
        raise error(f"cannot open {what} {path}: {exc.strerror}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise not_regular
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _read_bounded(fd: int, limit: int) -> bytes:
    """At most ``limit`` bytes of the file (fewer at its end)."""
    chunks: list[bytes] = []
    got = 0
    while got < limit:
        chunk = os.read(fd, limit - got)
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _refuse_shared(path: Path, mode: int) -> None:
    """Group or others may read or write the key: anyone on the machine could open every pack."""
    if os.name == "nt":  # no POSIX modes to check
        return
    if stat.S_IMODE(mode) & 0o066:
        raise InsecureKeyFileError(
            f"key file {path} can be read or written by other users (mode {stat.S_IMODE(mode):04o})",
            hint=f"make it private with `chmod 600 {path}`, then run again",
        )


def read_key(path: Path) -> Secret:
    """The secret in key file ``path``: a small, private, regular file as `keygen` writes it."""
    path = Path(path)
    fd = open_regular_file(path, KeyFileError, "key file")
    try:
        mode = os.fstat(fd).st_mode
        raw = _read_bounded(fd, KEY_FILE_MAX_BYTES + 1)
    except OSError as exc:
        raise KeyFileError(f"cannot read key file {path}: {exc.strerror}") from None
    finally:
        os.close(fd)
    if raw.startswith(_PACK_MAGIC):
        raise KeyFileIsAPackError(
            f"{path} is a verifydel pack, not a key file", hint="give the file `verifydel keygen` wrote as --key"
        )
    if len(raw) > KEY_FILE_MAX_BYTES:
        raise KeyFileError(
            f"{path} is too large to be a verifydel key file (a key file is under {KEY_FILE_MAX_BYTES} bytes)",
            hint="give the file `verifydel keygen` wrote",
        )
    _refuse_shared(path, mode)
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        text = ""
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
