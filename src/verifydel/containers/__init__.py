"""Containers: opening what holds other things (archives, compressed files).

Chosen by content (magic bytes), never by extension. A container handler is a
module with ``KIND``, ``sniff(head: bytes) -> bool`` and
``members(unit, limits) -> Iterator[Unit | UnitFailure]``, listed in
``CONTAINERS``. Whether a format reads a file whole although a container could
open it (an xlsx workbook is a zip, a pg_dump -Ft archive a tar) is the reader's
decision (``verifydel.pipeline``): containers never import formats. ``members`` yields one unit per member (its bytes spooled to a private
temporary file, removed when the scanner asks for the next member) and may
raise ``LimitExceeded`` or another ``SourceError`` part-way: what was yielded
before stays scanned, and the container's own entry in the report becomes
partial with the reason. A member cut short by a limit is followed by a
``MemberCut`` under its label: the scanner marks that member partial (failed
when nothing of it was yielded) with the reason. After a per-member limit
(ratio, bytes per member) the container goes on with its next member and raises
the limit once it has read them all (see ``limits``).

Encrypted members open with the password in the unit's budget (the CLI's
--password, through ``ReadOptions``); without one they are reported as locked.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType
from typing import Final, Protocol

from verifydel.containers import (
    bzip2_stream,
    gzip_stream,
    sevenzip_archive,
    tar_archive,
    xz_stream,
    zip_archive,
    zstd_stream,
)
from verifydel.containers._spool import MemberCut
from verifydel.core.limits import Budget, LimitExceeded, Limits
from verifydel.core.unit import Unit, UnitFailure

#: How many bytes of a unit decide whether it is a container.
SNIFF_BYTES: Final = 512

#: Tried in order; the first whose sniff() accepts the head opens the unit.
#: Formats with a magic number at offset 0 come first (their magics cannot
#: collide); zip leaves plain workbooks to the xlsx reader. Tar comes last: it
#: has no magic at offset 0 and is recognised by its header checksum, the
#: weakest signal. A compressed tar is found by the compression's handler,
#: which reads the tar inside in the same pass.
CONTAINERS: Final[tuple[ModuleType, ...]] = (
    zip_archive,
    sevenzip_archive,
    gzip_stream,
    bzip2_stream,
    xz_stream,
    zstd_stream,
    tar_archive,
)

class ContainerHandler(Protocol):
    KIND: str

    def sniff(self, head: bytes) -> bool: ...
    def members(self, unit: Unit, limits: Limits) -> Iterator[Unit | UnitFailure]: ...


def detect(unit: Unit) -> ModuleType | None:
    """The container handler for ``unit``, or None when it is not a container."""
    if unit.path is None or not CONTAINERS:
        return None
    try:
        with open(unit.path, "rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError:
        return None
    for handler in CONTAINERS:
        if handler.sniff(head):
            return handler
    return None


__all__ = [
    "CONTAINERS",
    "Budget",
    "ContainerHandler",
    "LimitExceeded",
    "Limits",
    "MemberCut",
    "detect",
]
