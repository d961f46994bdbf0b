"""Zstandard files (.zst, .tzst): one or more frames, skippable ones too; a tar inside in one pass.

Frames that need a window over 128 MiB (``zstd --long=31``) are refused by the
decoder's default memory bound and reported as damaged.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from verifydel.containers._single import stream_members
from verifydel.containers._streams import zstd_codec
from verifydel.core.limits import Limits
from verifydel.core.unit import Unit, UnitFailure

KIND: Final = "zstd"
MAGIC: Final = b"\x28\xb5\x2f\xfd"
#: Skippable frames (pzstd opens with one): magic 0x184D2A50..5F, little-endian.
SKIPPABLE_MAGICS: Final = tuple(bytes([0x50 + i, 0x2A, 0x4D, 0x18]) for i in range(16))
SUFFIXES: Final = {".tzst": ".tar", ".zstd": "", ".zst": ""}


def sniff(head: bytes) -> bool:
    return head.startswith((MAGIC, *SKIPPABLE_MAGICS))


def members(unit: Unit, limits: Limits) -> Iterator[Unit | UnitFailure]:
    yield from stream_members(
        unit,
        limits,
        what="zstd",
        new_codec=zstd_codec,
        next_magic=(MAGIC, *SKIPPABLE_MAGICS),
        suffixes=SUFFIXES,
    )
