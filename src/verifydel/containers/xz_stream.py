"""xz files (.xz, .txz): one or more xz streams; a tar inside is read in one pass.

The decoder may use at most ``DECODER_MEMORY_BYTES`` (its dictionary): files made
with a larger dictionary are reported as damaged rather than allowed to take the memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from verifydel.containers._single import stream_members
from verifydel.containers._streams import xz_codec
from verifydel.core.limits import Limits
from verifydel.core.unit import Unit, UnitFailure

KIND: Final = "xz"
MAGIC: Final = b"\xfd7zXZ\x00"
SUFFIXES: Final = {".txz": ".tar", ".xz": ""}


def sniff(head: bytes) -> bool:
    return head.startswith(MAGIC)


def members(unit: Unit, limits: Limits) -> Iterator[Unit | UnitFailure]:
    yield from stream_members(
        unit, limits, what="xz", new_codec=xz_codec, next_magic=(MAGIC,), suffixes=SUFFIXES
    )
