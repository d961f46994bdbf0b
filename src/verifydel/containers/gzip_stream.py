"""gzip files (.gz, .tgz): one deflate stream or several; a tar inside is read in the same pass.

The member is named after the original file name the gzip header keeps (FNAME),
else after the file minus ".gz", else "data". The header name is untrusted text
(RFC 1952 says Latin-1; Japanese tools write CP932 or UTF-8): it only becomes a label.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Final

from verifydel.containers._single import stream_members
from verifydel.containers._streams import ZlibCodec
from verifydel.core.limits import Limits
from verifydel.core.unit import Unit, UnitFailure

KIND: Final = "gzip"
MAGIC: Final = b"\x1f\x8b\x08"  # ID1 ID2, CM = deflate
SUFFIXES: Final = {".tgz": ".tar", ".gzip": "", ".gz": ""}

_FEXTRA, _FNAME = 0x04, 0x08
#: Bytes of the file looked at for the header's original name.
_HEADER_BYTES: Final = 64 << 10


def sniff(head: bytes) -> bool:
    return head.startswith(MAGIC)


def original_name(head: bytes) -> str | None:
    """The FNAME field of the gzip header in ``head``, decoded; None when absent or unreadable."""
    if len(head) < 10 or not head.startswith(MAGIC) or not head[3] & _FNAME:
        return None
    pos = 10
    if head[3] & _FEXTRA:
        if len(head) < 12:
            return None
        pos = 12 + int.from_bytes(head[10:12], "little")
    end = head.find(b"\0", pos)
    if end <= pos:
        return None
    raw = head[pos:end]
    for encoding in ("utf-8", "cp932"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def members(unit: Unit, limits: Limits) -> Iterator[Unit | UnitFailure]:
    assert unit.path is not None
    with open(unit.path, "rb") as fh:
        name = original_name(fh.read(_HEADER_BYTES))
    yield from stream_members(
        unit,
        limits,
        what="gzip",
        new_codec=partial(ZlibCodec, 31),
        next_magic=(MAGIC,),
        suffixes=SUFFIXES,
        original_name=name,
    )
