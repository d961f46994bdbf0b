"""``diff``'s comparison of two reports' sources: added, removed, changed, coverage worse.

See ``report.diff`` for what each word means; this module only compares the ``sources``
entries of two report documents (by path) and tells whether a source missing from the
newer report lay where the newer scan looked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from verifydel.core.coverage import FAILED, INTERRUPTED, PARTIAL, SCANNED

ADDED: Final = "added"
REMOVED: Final = "removed"
CHANGED: Final = "changed"
UNCHANGED: Final = "unchanged"
UNKNOWN: Final = "unknown"

#: Statuses that leave part of a source unread.
GAPS: Final = frozenset({PARTIAL, FAILED, INTERRUPTED})


@dataclass(frozen=True)
class SourceChange:
    path: str
    change: str  # added | removed | changed | unchanged | unknown
    old_status: str | None
    new_status: str | None
    old_sha256: str | None
    new_sha256: str | None
    old_bytes: int | None
    new_bytes: int | None
    #: For a removed source: True when the newer scan was given a SOURCE holding it and read
    #: that place completely (the file is no longer there); False when it was not, or the
    #: newer report does not record what it was given. None for the other changes.
    within_new_scan: bool | None
    coverage_worse: bool


def _identity_change(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    """changed / unchanged by SHA-256, else row digest, else size; unknown without any."""
    for key in ("sha256", "row_digest", "bytes"):
        a, b = old.get(key), new.get(key)
        if a is not None and b is not None:
            return UNCHANGED if a == b else CHANGED
    return UNKNOWN


def _roots(document: Mapping[str, Any]) -> list[str] | None:
    """The SOURCE arguments the scan was given, when its report records them."""
    given = ((document.get("run") or {}).get("options") or {}).get("sources")
    if not isinstance(given, list) or not given or not all(isinstance(g, str) for g in given):
        return None
    return given


def _holds(container: str, path: str) -> bool:
    """Whether ``path`` is ``container`` or lies inside it (folder ``/``, archive ``!/``)."""
    folder = container.rstrip("/")
    return (
        path == container
        or path.startswith(container + "!/")
        or (bool(folder) and path.startswith(folder + "/"))
    )


def _containers(path: str) -> list[str]:
    """The folders and archives ``path`` lies in, as report paths (``a/b.zip!/c`` → a, a/b.zip)."""
    return [path[: m.start()] for m in re.finditer(r"!/|/", path) if m.start() > 0]


def _within_reach(
    path: str, roots: list[str] | None, new_sources: Mapping[str, Mapping[str, Any]]
) -> bool:
    """A source missing from the newer report: was its place read completely by that scan?"""
    if roots is None or not any(_holds(root, path) for root in roots):
        return False
    # a folder or archive holding it that the newer scan could not read completely
    return not any((new_sources.get(c) or {}).get("status") in GAPS for c in _containers(path))


def source_changes(
    before: Mapping[str, Mapping[str, Any]],
    after: Mapping[str, Mapping[str, Any]],
    new_document: Mapping[str, Any],
) -> list[SourceChange]:
    """Every source of either report (the newer's order, then the removed ones), compared."""
    roots = _roots(new_document)
    out: list[SourceChange] = []
    for path, entry in after.items():
        prior = before.get(path)
        status = entry.get("status")
        if prior is None:
            change, worse = ADDED, False
        else:
            change = _identity_change(prior, entry)
            worse = prior.get("status") == SCANNED and status in GAPS
        out.append(
            SourceChange(
                path=path,
                change=change,
                old_status=None if prior is None else prior.get("status"),
                new_status=status,
                old_sha256=None if prior is None else prior.get("sha256"),
                new_sha256=entry.get("sha256"),
                old_bytes=None if prior is None else prior.get("bytes"),
                new_bytes=entry.get("bytes"),
                within_new_scan=None,
                coverage_worse=worse,
            )
        )
    for path, prior in before.items():
        if path in after:
            continue
        reached = _within_reach(path, roots, after)
        out.append(
            SourceChange(
                path=path,
                change=REMOVED,
                old_status=prior.get("status"),
                new_status=None,
                old_sha256=prior.get("sha256"),
                new_sha256=None,
                old_bytes=prior.get("bytes"),
                new_bytes=None,
                within_new_scan=reached,
                coverage_worse=prior.get("status") == SCANNED and not reached,
            )
        )
    return out


__all__ = [
    "ADDED",
    "CHANGED",
    "GAPS",
    "REMOVED",
    "UNCHANGED",
    "UNKNOWN",
    "SourceChange",
    "source_changes",
]
