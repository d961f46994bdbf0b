"""Containers: opening what holds other things (archives, compressed files).

Chosen by content (magic bytes), never by extension. A container handler is a
module with ``KIND``, ``sniff(head: bytes) -> bool`` and
``members(unit, limits) -> Iterator[Unit | UnitFailure]``, listed in
``CONTAINERS``. ``members`` yields one unit per member (its bytes spooled to a
private temporary file, removed when the scanner asks for the next member) and
may raise ``LimitExceeded`` or another ``SourceError`` part-way: what was yielded
before stays scanned, and the container's own entry in the report becomes
partial with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType
from typing import Final, Protocol

from verifydel.containers.limits import Limits, LimitExceeded
from verifydel.sources.base import Unit, UnitFailure

#: How many bytes of a unit decide whether it is a container.
SNIFF_BYTES: Final = 512

#: Tried in order; the first whose sniff() accepts the head opens the unit.
CONTAINERS: Final[tuple[ModuleType, ...]] = ()


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


__all__ = ["CONTAINERS", "ContainerHandler", "LimitExceeded", "Limits", "detect"]
