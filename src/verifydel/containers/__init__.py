"""Containers: opening what holds other things (archives, compressed files).

Chosen by content (magic bytes), never by extension. A container handler is a
module with ``KIND``, ``sniff(head: bytes) -> bool`` and
``members(unit, limits) -> Iterator[Unit | UnitFailure]``, listed in
``CONTAINERS``; it may also have ``defers_to_format(path) -> bool``, a second
look at the whole file that leaves it to a format reader (an xlsx workbook is a
zip). ``members`` yields one unit per member (its bytes spooled to a private
temporary file, removed when the scanner asks for the next member) and may
raise ``LimitExceeded`` or another ``SourceError`` part-way: what was yielded
before stays scanned, and the container's own entry in the report becomes
partial with the reason. A member cut short by a limit is followed by a
``MemberCut`` under its label: the scanner marks that member partial (failed
when nothing of it was yielded) with the reason. After a per-member limit
(ratio, bytes per member) the container goes on with its next member and raises
the limit once it has read them all (see ``limits``).

Encrypted members open with the password given to ``set_password`` (the CLI's
--password); without one they are reported as locked.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
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
from verifydel.containers.limits import Budget, LimitExceeded, Limits
from verifydel.sources.base import Unit, UnitFailure

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

_password: str | None = None


def set_password(password: str | None) -> None:
    """The password that opens encrypted members (zip, 7z) in every scan from now on; None: none."""
    global _password
    _password = password


def get_password() -> str | None:
    return _password


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
            defers = getattr(handler, "defers_to_format", None)
            if defers is not None and defers(Path(unit.path)):
                return None
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
    "get_password",
    "set_password",
]
