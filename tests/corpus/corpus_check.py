"""Check a JSON report (the contract's ``verifydel-report/1`` document) against one case's answer key.

``problems(entry, doc, out)`` lists what is wrong, empty when the case passed:
a source that crashed the reader, a named source with the wrong status or
reason, a planted survivor not found (or not with its strength, row,
``recovered`` flag or offset), a decoy that matched, a match nobody planted,
a clear value the report must not show (``Built.absent``).
Only the sources under the case's own scan roots are looked at, so one report
of a whole-corpus scan can be checked case by case.
"""

from __future__ import annotations

import json
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from corpus_registry import Built, resolve

RANK = {"scanned": 0, "partial": 1, "failed": 2}


def roots(built: Built, out: Path) -> list[str]:
    """The label prefixes of everything a case's scan reports."""
    return [resolve(s, out).split("?", 1)[0] for s in built.sources]


def _mine(path: str, prefixes: list[str]) -> bool:
    return any(path == p or path.startswith(p + "!/") or path.startswith(p + "/") for p in prefixes)


def _fits(pattern: str, source: str) -> bool:
    return fnmatchcase(source, pattern) if "*" in pattern else source == pattern


def problems(built: Built, doc: dict[str, Any], out: Path) -> list[str]:
    prefixes = roots(built, out)
    sources = [s for s in doc["sources"] if _mine(s["path"], prefixes)]
    matches = [m for m in doc["matches"] if _mine(m["source"], prefixes)]
    found: list[str] = []
    if not sources:
        found.append("the report holds no source of this case")
    for s in sources:
        if s.get("error") and "unexpected" in s["error"]:
            found.append(f"{s['path']}: the reader crashed ({s['error']})")
    # A path may be reported more than once (a damaged archive member: once by its reader, once
    # by the archive); its worst status counts, and any of its reasons may carry the expected words.
    entries: dict[str, list[dict[str, Any]]] = {}
    for s in sources:
        entries.setdefault(s["path"], []).append(s)
    for state in built.states:
        path = resolve(state.source, out)
        if path not in entries:
            found.append(f"{path}: not in the report")
            continue
        s = max(entries[path], key=lambda e: RANK[e["status"]])
        errors = [e.get("error") or "" for e in entries[path]]
        if s["status"] not in state.status:
            found.append(f"{path}: status {s['status']} ({s.get('error')}), expected {'/'.join(state.status)}")
        elif state.reason and not any(r in e for r in state.reason for e in errors):
            found.append(f"{path}: reasons {errors} hold none of {state.reason}")
        elif state.status == ("scanned",) and any(errors):
            found.append(f"{path}: scanned with an error ({errors})")
    expects = [(resolve(e.source, out), e) for e in built.expect]
    for pattern, e in expects:
        candidates = [m for m in matches if m["record_id"] == e.record_id and _fits(pattern, m["source"])]
        if not candidates:
            found.append(f"{pattern}: survivor {e.record_id} not found")
            continue
        good = [
            m for m in candidates
            if m["strength"] == e.strength
            and (e.row is None or m.get("row") == e.row)
            and (not e.recovered or (m.get("recovered") is True and (m.get("page") is not None
                                                                      or m.get("offset") is not None)))
            and (e.offset is None or (m.get("offset") is not None and e.offset[0] <= m["offset"] <= e.offset[1]))
        ]  # fmt: skip
        if not good:
            got = [(m["strength"], m.get("row"), m.get("recovered"), m.get("offset")) for m in candidates]
            found.append(
                f"{pattern}: survivor {e.record_id} found as {got}, expected {e.strength} row={e.row} "
                f"recovered={e.recovered} offset={e.offset}"
            )
    decoys = [(resolve(d.source, out), d) for d in built.decoys]
    for pattern, d in decoys:
        hits = [m for m in matches if m["record_id"] == d.record_id and _fits(pattern, m["source"])]
        if d.allow == "none" and hits:
            found.append(f"{pattern}: decoy {d.record_id} (a namesake) matched {[m['strength'] for m in hits]}")
        if d.allow == "weak" and any(m["strength"] == "strong" for m in hits):
            found.append(f"{pattern}: decoy {d.record_id} (a reassigned phone) matched strong")
    if built.exact:
        for m in matches:
            planted = any(
                _fits(p, m["source"]) and m["record_id"] == e.record_id and m["strength"] == e.strength
                and (e.row is None or m.get("row") == e.row)
                for p, e in expects
            ) or any(
                _fits(p, m["source"]) and m["record_id"] == d.record_id and m["strength"] == "weak"
                for p, d in decoys if d.allow == "weak"
            )  # fmt: skip
            if not planted:
                found.append(f"{m['source']}: unplanted {m['strength']} match {m['record_id']} at row {m.get('row')}")
    if built.absent:
        text = json.dumps({"sources": sources, "matches": matches}, ensure_ascii=False)
        shown = [value for value in built.absent if value in text]
        if shown:
            found.append(f"the report shows clear values it must not: {shown}")
    return found


__all__ = ["problems", "roots"]
