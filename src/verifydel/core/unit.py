"""A unit: one thing a source (or a container) yields for the reader to open."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from verifydel.core.limits import Budget
    from verifydel.core.table import Table


@dataclass(frozen=True)
class Unit:
    """A file, an archive member or a database table to scan.

    ``label`` is stable across runs (it is what the report's ``path`` shows):
    for a file given on the command line, the path as given; for a file found
    in a folder, the folder as given joined with its relative path by "/"; for
    an archive member, the archive's label + "!/" + the member's name.

    ``path`` is a local file holding the unit's bytes (for an archive member, a
    private temporary file with a random name, never the member's own name);
    None for units that are not bytes (a live database table). ``opener``, when
    set, returns the unit's tables directly instead of a format reader.
    ``depth`` counts the containers around the unit; ``budget`` is shared by
    every unit of one top-level source (containers keep their limits there).
    """

    label: str
    path: Path | None
    size: int | None = None
    opener: Callable[[], list[Table]] | None = field(default=None, compare=False)
    depth: int = 0
    budget: Budget | None = field(default=None, compare=False)
    kind: str = "file"
    #: Only these tables of a database file (``sqlite:///PATH?table=...``); None: every one.
    tables: tuple[str, ...] | None = None
    #: SHA-256 of the unit's bytes when already known (an archive member hashed as it was
    #: spooled); None: the reader hashes ``path`` as it reads it (see ``core.digest``).
    sha256: str | None = field(default=None, compare=False)
    #: Only bytes ``start``..``end`` of the file (a work unit of a scan spread over a cluster,
    #: ``verifydel.cluster``): delimited text reads the records starting in it (``start`` is
    #: 0 or just after a record's line end), unstructured bytes the phone-shaped spans starting in it.
    #: The reader does not hash such a unit: the whole file's digest is taken apart.
    span: Span | None = None


@dataclass(frozen=True)
class Span:
    """Bytes ``start``..``end`` of a file: one part of it (see ``Unit.span``)."""

    start: int
    end: int
    #: Where the file's first part ends (``end`` of the part starting at 0): a later part of
    #: delimited text chooses its columns from the reading of the first part, whose first
    #: batch is the whole file's, rather than reading the whole file again for them.
    head: int


@dataclass(frozen=True)
class UnitFailure:
    """Something a source could not even turn into a unit (unreadable folder, broken link)."""

    label: str
    kind: str
    error: str
