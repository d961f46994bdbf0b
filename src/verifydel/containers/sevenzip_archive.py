"""7z archives (LZMA, LZMA2, bzip2, deflate, zstd...; AES-encrypted with a password), through py7zr.

The reader lives in ``_sevenzip`` and is imported only when a 7z archive is met:
py7zr takes a fifth of a second to import.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from verifydel.core.limits import Limits
from verifydel.core.unit import Unit, UnitFailure

KIND: Final = "7z"
MAGIC: Final = b"7z\xbc\xaf\x27\x1c"


def sniff(head: bytes) -> bool:
    return head.startswith(MAGIC)


def members(unit: Unit, limits: Limits) -> Iterator[Unit | UnitFailure]:
    from verifydel.containers import _sevenzip

    yield from _sevenzip.members(unit, limits)


__all__ = ["KIND", "MAGIC", "members", "sniff"]
