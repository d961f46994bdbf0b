"""Plain tar archives (ustar, GNU, pax), recognised by the checksum of their first header.

Compressed tars (.tar.gz and the like) are opened by the compression's handler,
which reads the tar inside in the same pass.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from verifydel.containers._spool import with_budget
from verifydel.containers._streams import CountingReader
from verifydel.containers._tarstream import looks_like_tar, tar_members
from verifydel.core.limits import Budget, Limits
from verifydel.core.unit import Unit, UnitFailure

KIND: Final = "tar"


def sniff(head: bytes) -> bool:
    return looks_like_tar(head)


def members(unit: Unit, limits: Limits) -> Iterator[Unit | UnitFailure]:
    budget = Budget.of(unit, limits)
    budget.enter(unit.depth)
    unit = with_budget(unit, budget)
    assert unit.path is not None
    with open(unit.path, "rb") as fh:
        raw = CountingReader(fh, budget)
        yield from tar_members(unit, raw.read, budget, count_source=True)
