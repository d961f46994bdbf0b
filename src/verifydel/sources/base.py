"""A unit: one thing a source yields for the formats to open."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Unit:
    """A file (later: an archive member, a database table) to scan.

    ``label`` is stable across runs (it is what the report's ``path`` shows):
    for a file given on the command line, the path as given; for a file found
    in a folder, the folder as given joined with its relative path by "/".
    """

    label: str
    path: Path
    size: int | None = None


@dataclass(frozen=True)
class UnitFailure:
    """Something a source could not even turn into a unit (unreadable folder, broken link)."""

    label: str
    kind: str
    error: str
