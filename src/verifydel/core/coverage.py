"""Coverage: how each source ended (scanned, partial, failed) and why. Findings live in report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from verifydel.errors import SourceError

Status = Literal["scanned", "partial", "failed", "interrupted"]
SCANNED: Status = "scanned"
PARTIAL: Status = "partial"
FAILED: Status = "failed"
#: The scan was stopped (SIGINT/SIGTERM) before this source was read to its end: a gap, like partial.
INTERRUPTED: Status = "interrupted"
STATUSES: tuple[Status, ...] = (SCANNED, PARTIAL, FAILED, INTERRUPTED)


@dataclass
class SourceResult:
    path: str
    kind: str
    status: Status
    rows: int = 0
    error: str | None = None
    columns: dict[str, list[str]] = field(default_factory=dict)
    encoding: str | None = None
    bytes: int | None = None
    seconds: float = 0.0
    #: Hints for the inspector (no personal value), in every report (JSON ``notes``).
    notes: list[str] = field(default_factory=list)  # e.g. "sheet is hidden", "no phone column"
    #: Machine-readable facts about the source (no personal value), in the JSON report as
    #: ``details`` when not empty: e.g. a SQLite file's secure_delete, journal_mode,
    #: freelist pages; an unstructured source's encodings searched.
    details: dict[str, str | int | bool | None] = field(default_factory=dict)
    #: SHA-256 (hex) of the bytes this entry was read from: the file, or the archive member
    #: as spooled; for a sheet or a table of a database file, the whole file's. None for a
    #: live table (see ``row_digest``) or a file that could not be hashed.
    sha256: str | None = None
    #: A live table's rows as streamed, hashed (``core.digest.RowDigest``).
    row_digest: str | None = None
    #: Set on the first entry read from a top-level medium (a file given, or found in a
    #: folder given): the report's ``media`` list names it with ``sha256``.
    medium: Medium | None = None


@dataclass(frozen=True)
class Medium:
    """A file as handed to verifydel: its path as given (or found) and its size."""

    path: str
    bytes: int | None


def safe_reason(exc: BaseException) -> str:
    """A failure reason that cannot carry a personal value.

    Our own errors are written never to include cell contents; anything else
    (a parser's message may quote the offending cell) is reduced to its type.
    """
    if isinstance(exc, SourceError):
        return str(exc)
    return f"unexpected {type(exc).__name__} while reading (a verifydel bug: please report it)"
