"""Limits on what a container may make the scanner read: named, configurable, each tested.

Scanned media come from the party under inspection: declared sizes are never
trusted, only bytes actually decompressed count. Every container inside one
top-level source shares one ``Budget`` (through ``Unit.budget``): the first
container opened creates it, every member it yields carries it on.

What counts as "bytes" for ``max_member_bytes`` and ``max_source_bytes``: every
byte a container produces from its input (decompressed, or copied out of an
archive that stores it as is), once per container level: a CSV in a zip in a
zip counts at both levels. A tar inside a gzip stream is read in one step, so its
bytes count once. The ratio compares one member's bytes with the bytes read from
its compressed input.

Two kinds of limit. A limit on one member (``ratio`` and ``member-bytes``, raised
with ``per_member=True``) cuts that member short: what came before the limit is
scanned, the member is reported partial (failed when nothing was read) with the
reason, and the container goes on with its next member; once it has read them
all, its own entry is partial with the first such reason (``MemberCuts``). A
limit on the whole top-level source (``source-bytes``, ``members``, ``time``,
``depth``, and the ratio of a whole 7z archive or of a compressed stream outside
its tar members) stops the rest of that source.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Final, Protocol

from verifydel.core.stop import ScanStopped, StopRequest
from verifydel.errors import SourceError


class Carrier(Protocol):
    """What carries a budget (a ``Unit``; named here so that this module imports no other)."""

    @property
    def budget(self) -> Budget | None: ...

MIB: Final = 1 << 20
GIB: Final = 1 << 30

#: Bytes decompressed, copied or written in one step: what bounds memory per member.
CHUNK_BYTES: Final = MIB


@dataclass(frozen=True)
class Limits:
    max_depth: int = 12  # containers inside containers
    max_member_bytes: int = 8 << 30  # bytes decompressed for one member
    max_source_bytes: int = 64 << 30  # bytes decompressed for one top-level source, all members
    max_ratio: int = 100  # decompressed : compressed, checked after the first MiB of a member
    ratio_grace_bytes: int = MIB
    max_members: int = 100_000  # members of one top-level source
    max_seconds: float = 3600.0  # wall time for one top-level source
    # Workbooks (.xlsx is a zip of XML parts; its reader holds a whole sheet in memory).
    max_part_bytes: int = 1 << 30  # bytes one workbook part (a sheet's XML, the shared strings) expands to
    max_cells: int = 32_000_000  # cells of one sheet, counting the empty ones a far-away cell spans (~32 B each)
    max_columns: int = 16_384  # columns of one sheet (Excel's own maximum: more is forged)
    max_reader_memory: int = 4 << 30  # address space of the worker process running a native reader


class LimitExceeded(SourceError):
    """A container limit was hit; ``code`` is the reason code in the report.

    ``per_member``: the limit concerns one member only; the container skips the
    rest of that member and goes on with the next.
    """

    def __init__(
        self, code: str, message: str, *, per_member: bool = False, hint: str | None = None
    ) -> None:
        if hint is None:
            hint = (
                "the rest of this member was not scanned"
                if per_member
                else "the rest of this source was not scanned"
            )
        super().__init__(f"limit {code}: {message}", hint=hint)
        self.code = code
        self.detail = message
        self.per_member = per_member


def human_size(n: float) -> str:
    """``n`` bytes the way a person reads them: 512 B, 8 MiB, 1.5 GiB."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:g} {unit}" if unit == "B" else f"{n:.3g} {unit}"
        n /= 1024
    return f"{n:.3g} TiB"  # pragma: no cover - the loop returns


class Budget:
    """What one top-level source has used so far, shared by every container inside it.

    A 7z archive is decompressed on a worker thread, so counters take a lock.
    ``password`` opens encrypted members (the CLI's --password, through ``ReadOptions``).
    ``stop``, once requested, ends the reading at the next check (``ScanStopped``): containers
    check the time for every chunk they decompress or spool, so a large member is left mid-way.
    """

    def __init__(self, limits: Limits, password: str | None = None, stop: StopRequest | None = None) -> None:
        self.limits = limits
        self.password = password
        self.stop = stop
        self.started = time.monotonic()
        self.source_bytes = 0
        self.members = 0
        self._lock = threading.Lock()

    @classmethod
    def of(cls, unit: Carrier, limits: Limits) -> Budget:
        """The budget ``unit`` carries, or a new one when ``unit`` is a top-level source."""
        if isinstance(unit.budget, Budget):
            return unit.budget
        return cls(limits)

    def enter(self, depth: int) -> None:
        """Called when a container at ``depth`` is opened: the depth and time limits."""
        if depth >= self.limits.max_depth:
            raise LimitExceeded("depth", f"more than {self.limits.max_depth} nested containers")
        self.check_time()

    def seconds_left(self) -> float:
        return self.limits.max_seconds - (time.monotonic() - self.started)

    def check_time(self) -> None:
        if self.stop is not None and self.stop.requested:
            raise ScanStopped()
        if self.seconds_left() <= 0:
            raise LimitExceeded(
                "time", f"reading this source took longer than {self.limits.max_seconds:g} seconds"
            )

    def count_member(self) -> int:
        """Count one more member (any entry: file, folder, link); its number in this source."""
        with self._lock:
            self.members += 1
            n = self.members
        if n > self.limits.max_members:
            raise LimitExceeded(
                "members", f"more than {self.limits.max_members} members in this source"
            )
        return n

    def add_bytes(self, n: int) -> None:
        with self._lock:
            self.source_bytes += n
            total = self.source_bytes
        if total > self.limits.max_source_bytes:
            raise LimitExceeded(
                "source-bytes",
                "its archives decompressed to more than "
                f"{human_size(self.limits.max_source_bytes)}",
            )


class Meter:
    """One member's (or one compressed stream's) bytes, counted against the limits as they come.

    ``compressed`` tells how many bytes were read from the compressed input so
    far (None: the bytes are copied, not decompressed, so no ratio applies).
    ``member_limit`` is off for a compressed stream that is not itself a member
    (a tar inside gzip: its members are limited one by one); ``count_source`` is
    off where the bytes were already counted at this level. The limits a meter
    with ``member_limit`` raises are per-member ones (see ``LimitExceeded``).

    ``excluding()`` leaves bytes out of the ratio while they are produced: a
    stream's own ratio does not count the data of the tar members inside it, which
    have their own meter (and the rest of a member cut short, skipped, has none).
    """

    def __init__(
        self,
        budget: Budget,
        what: str,
        *,
        compressed: Callable[[], int] | None = None,
        member_limit: bool = True,
        count_source: bool = True,
    ) -> None:
        self.budget = budget
        self.what = what
        self.compressed = compressed
        self.member_limit = member_limit
        self.count_source = count_source
        self.produced = 0
        self._excluded_out = 0  # bytes produced, and compressed bytes read, left out of the ratio
        self._excluded_in = 0
        self._excluding = False

    @contextmanager
    def excluding(self) -> Iterator[None]:
        """Bytes produced inside this block count for the limits but not for the ratio."""
        out, used = self.produced, self.compressed() if self.compressed is not None else 0
        self._excluding = True
        try:
            yield
        finally:
            self._excluding = False
            self._excluded_out += self.produced - out
            if self.compressed is not None:
                self._excluded_in += self.compressed() - used

    def add(self, n: int) -> None:
        """Count ``n`` more bytes, before they are written anywhere."""
        limits = self.budget.limits
        self.budget.check_time()
        self.produced += n
        if self.member_limit and self.produced > limits.max_member_bytes:
            raise LimitExceeded(
                "member-bytes",
                f"{self.what} decompressed to more than {human_size(limits.max_member_bytes)} "
                "(what came before the limit was scanned)",
                per_member=True,
            )
        if self.count_source:
            self.budget.add_bytes(n)
        if self.compressed is None or self._excluding:
            return
        produced = self.produced - self._excluded_out
        if produced > limits.ratio_grace_bytes:
            compressed = max(1, self.compressed() - self._excluded_in)
            if produced > limits.max_ratio * compressed:
                raise LimitExceeded(
                    "ratio",
                    f"{self.what} expanded more than {limits.max_ratio}:1 "
                    f"({human_size(produced)} from {human_size(compressed)}, "
                    "a decompression bomb)",
                    per_member=self.member_limit,
                )


__all__ = ["CHUNK_BYTES", "MIB", "Budget", "LimitExceeded", "Limits", "Meter", "human_size"]
