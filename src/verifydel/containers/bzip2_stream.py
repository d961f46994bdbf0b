"""bzip2 files (.bz2, .tbz2): one stream or several (pbzip2); a tar inside is read in one pass."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from verifydel.containers._single import stream_members
from verifydel.containers._streams import bzip2_codec
from verifydel.core.limits import Limits
from verifydel.core.unit import Unit, UnitFailure

KIND: Final = "bzip2"
MAGIC: Final = b"BZh"
_BLOCK_MAGIC: Final = b"\x31\x41\x59\x26\x53\x59"  # pi: a compressed block follows
_END_MAGIC: Final = b"\x17\x72\x45\x38\x50\x90"  # sqrt(pi): an empty stream ends here
SUFFIXES: Final = {".tbz2": ".tar", ".tbz": ".tar", ".bz2": "", ".bz": ""}


def sniff(head: bytes) -> bool:
    return (
        head.startswith(MAGIC)
        and head[3:4] in (b"1", b"2", b"3", b"4", b"5", b"6", b"7", b"8", b"9")
        and head[4:10] in (_BLOCK_MAGIC, _END_MAGIC)
    )


def members(unit: Unit, limits: Limits) -> Iterator[Unit | UnitFailure]:
    yield from stream_members(
        unit, limits, what="bzip2", new_codec=bzip2_codec, next_magic=(MAGIC,), suffixes=SUFFIXES
    )
