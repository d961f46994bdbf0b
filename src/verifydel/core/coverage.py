"""Coverage: how each source ended (scanned, partial, failed) and why. Findings live in report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from verifydel.errors import SourceError

Status = Literal["scanned", "partial", "failed"]
SCANNED: Status = "scanned"
PARTIAL: Status = "partial"
FAILED: Status = "failed"


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
    #: Hints for the inspector (no personal value). Shown in the HTML and terminal reports,
    #: not in the JSON report (its shape is the contract's).
    notes: list[str] = field(default_factory=list)  # e.g. "sheet is hidden", "no phone column"
    #: Machine-readable facts about the source (no personal value), in the JSON report as
    #: ``details`` when not empty: e.g. a SQLite file's secure_delete, journal_mode,
    #: freelist pages; an unstructured source's encodings searched.
    details: dict[str, str | int | bool | None] = field(default_factory=dict)


def safe_reason(exc: BaseException) -> str:
    """A failure reason that cannot carry a personal value.

    Our own errors are written never to include cell contents; anything else
    (a parser's message may quote the offending cell) is reduced to its type.
    """
    if isinstance(exc, SourceError):
        return str(exc)
    return f"unexpected {type(exc).__name__} while reading (a verifydel bug: please report it)"
