"""Limits on what a container may make the scanner read: named, configurable, each tested.

Scanned media come from the party under inspection: declared sizes are never
trusted, only bytes actually decompressed count.
"""

from __future__ import annotations

from dataclasses import dataclass

from verifydel.errors import SourceError

MIB = 1 << 20


@dataclass(frozen=True)
class Limits:
    max_depth: int = 12  # containers inside containers
    max_member_bytes: int = 8 << 30  # bytes decompressed for one member
    max_source_bytes: int = 64 << 30  # bytes decompressed for one top-level source, all members
    max_ratio: int = 100  # decompressed : compressed, checked after the first MiB of a member
    ratio_grace_bytes: int = MIB
    max_members: int = 100_000  # members of one top-level source
    max_seconds: float = 3600.0  # wall time for one top-level source


class LimitExceeded(SourceError):
    """A container limit was hit; ``code`` is the reason code in the report."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"limit {code}: {message}", hint="the rest of this source was not scanned")
        self.code = code
