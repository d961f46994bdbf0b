"""Encrypted zip members: traditional PKWARE encryption ("ZipCrypto") and WinZip AES (AE-1, AE-2).

Both are readers over the member's raw bytes that hand out plaintext (still
compressed). A password is tried as UTF-8, then as CP932 (what Japanese Windows
tools use for non-ASCII passwords).

ZipCrypto is a byte-serial cipher, decrypted in pure Python (a few MB/s): slow
for large members, bounded by the time limit. AES uses ``cryptography``; its
authentication code is checked at the end of the member.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Final

import numpy as np
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from verifydel.containers._streams import RawSource
from verifydel.core.limits import CHUNK_BYTES
from verifydel.errors import FormatError

ZIPCRYPTO_HEADER_BYTES: Final = 12
AES_STRENGTHS: Final = {1: 16, 2: 24, 3: 32}  # strength byte -> key bytes (salt is half)
AES_AUTH_BYTES: Final = 10
_PBKDF2_ROUNDS: Final = 1000


def password_candidates(password: str) -> list[bytes]:
    out: list[bytes] = []
    for encoding in ("utf-8", "cp932"):
        try:
            encoded = password.encode(encoding)
        except UnicodeEncodeError:
            continue
        if encoded not in out:
            out.append(encoded)
    return out


def _crc_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xEDB88320 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC_TABLE: Final = _crc_table()


class ZipCryptoReader:
    """Plaintext of a ZipCrypto member; ``opened``: the password's check byte matched."""

    def __init__(self, raw: RawSource, password: bytes, check_byte: int) -> None:
        self._raw = raw
        self._keys = [305419896, 591751049, 878082192]
        for byte in password:
            self._update(byte)
        header = self._decrypt(raw.read(ZIPCRYPTO_HEADER_BYTES))
        self.opened = len(header) == ZIPCRYPTO_HEADER_BYTES and header[-1] == check_byte

    @property
    def consumed(self) -> int:
        return self._raw.consumed

    @property
    def short(self) -> bool:
        return self._raw.short

    def _update(self, byte: int) -> None:
        k0, k1, k2 = self._keys
        k0 = (k0 >> 8) ^ _CRC_TABLE[(k0 ^ byte) & 0xFF]
        k1 = ((k1 + (k0 & 0xFF)) * 134775813 + 1) & 0xFFFFFFFF
        k2 = (k2 >> 8) ^ _CRC_TABLE[(k2 ^ (k1 >> 24)) & 0xFF]
        self._keys = [k0, k1, k2]

    def _decrypt(self, data: bytes) -> bytes:
        k0, k1, k2 = self._keys
        table = _CRC_TABLE
        out = bytearray(len(data))
        for i, c in enumerate(data):
            k = k2 | 2
            c ^= ((k * (k ^ 1)) >> 8) & 0xFF
            out[i] = c
            k0 = (k0 >> 8) ^ table[(k0 ^ c) & 0xFF]
            k1 = ((k1 + (k0 & 0xFF)) * 134775813 + 1) & 0xFFFFFFFF
            k2 = (k2 >> 8) ^ table[(k2 ^ (k1 >> 24)) & 0xFF]
        self._keys = [k0, k1, k2]
        return bytes(out)

    def read(self, n: int) -> bytes:
        return self._decrypt(self._raw.read(n))


def _auth_failure() -> FormatError:
    return FormatError(
        "the encrypted member fails its authentication (damaged or altered); "
        "what it held was scanned",
        hint="the archive is damaged or was altered",
    )


class AesReader:
    """Plaintext of a WinZip AES member of ``compressed_size`` bytes (salt, check, data, code)."""

    def __init__(
        self, raw: RawSource, password: bytes, key_bytes: int, compressed_size: int
    ) -> None:
        self._raw = raw
        salt = raw.read(key_bytes // 2)
        check = raw.read(2)
        derived = hashlib.pbkdf2_hmac("sha1", password, salt, _PBKDF2_ROUNDS, 2 * key_bytes + 2)
        self.opened = len(check) == 2 and hmac.compare_digest(derived[-2:], check)
        self._ecb = Cipher(algorithms.AES(derived[:key_bytes]), modes.ECB()).encryptor()
        self._mac = hmac.new(derived[key_bytes : 2 * key_bytes], digestmod="sha1")
        self._left = compressed_size - key_bytes // 2 - 2 - AES_AUTH_BYTES
        self._pos = 0
        self._authenticated = False

    @property
    def consumed(self) -> int:
        return self._raw.consumed

    @property
    def short(self) -> bool:
        return self._raw.short

    def verify(self) -> None:
        """Read the rest of the member and check its authentication code (FormatError if wrong)."""
        while self.read(CHUNK_BYTES):
            pass
        if not self._authenticated:
            raise _auth_failure()

    def _authenticate(self) -> None:
        if self._authenticated:
            return
        code = self._raw.read(AES_AUTH_BYTES)
        if not hmac.compare_digest(self._mac.digest()[:AES_AUTH_BYTES], code):
            raise _auth_failure()
        self._authenticated = True

    def _keystream(self, start: int, length: int) -> np.ndarray:
        first, skip = divmod(start, 16)
        blocks = -(-(skip + length) // 16)
        counters = np.zeros((blocks, 2), dtype="<u8")
        counters[:, 0] = np.arange(
            first + 1, first + 1 + blocks, dtype="<u8"
        )  # little-endian, from 1
        stream = self._ecb.update(counters.tobytes())
        return np.frombuffer(stream, dtype=np.uint8)[skip : skip + length]

    def read(self, n: int) -> bytes:
        if self._left <= 0:
            self._authenticate()
            return b""
        data = self._raw.read(min(n, self._left))
        if not data:
            return b""  # the file ends early: the caller sees ``short``
        self._left -= len(data)
        self._mac.update(data)
        plain = np.bitwise_xor(
            np.frombuffer(data, dtype=np.uint8), self._keystream(self._pos, len(data))
        )
        self._pos += len(data)
        return plain.tobytes()


__all__ = [
    "AES_AUTH_BYTES",
    "AES_STRENGTHS",
    "ZIPCRYPTO_HEADER_BYTES",
    "AesReader",
    "ZipCryptoReader",
    "password_candidates",
]
