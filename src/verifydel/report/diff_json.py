"""The JSON form of ``verifydel diff`` (``verifydel-diff/1``): what scripts read, so its shape is API.

Same reports in, same bytes out: keys in a fixed order, ``ensure_ascii=False``, ``indent=2``,
except that each record and each source is one compact JSON object on a line of its own
(a follow-up of a large leak lists millions of records: they are encoded by polars, not
by a Python loop, and one per line reads and greps well). A newline at the end. Records
are listed still present first, then new, then gone, each group by record id; sources in
the newer report's order, then the removed ones in the older report's order. Holds record
ids, source paths, hashes and counts: never a value.
"""

from __future__ import annotations

import json
from typing import Any

import polars as pl

from verifydel import __version__
from verifydel.report.diff import DIFF_FORMAT, RECORD_SCHEMA, Diff, ReportFacts, SourceChange, Step

TOOL_NAME = "verifydel"


def _report(facts: ReportFacts) -> dict[str, Any]:
    return {
        "file": facts.file,
        "sha256": facts.sha256,
        "started_at": facts.started_at,
        "finished_at": facts.finished_at,
        "pack_sha256": facts.pack_sha256,
        "verdict": facts.verdict,
        "records_present": facts.records_present,
        "strong_records": facts.strong_records,
        "weak_records": facts.weak_records,
        "matched_rows": facts.matched_rows,
        "matches_without_record_id": facts.matches_without_record_id,
        "sources": facts.sources,
        "sources_scanned": facts.sources_scanned,
        "sources_gaps": facts.sources_gaps,
        "rows_scanned": facts.rows_scanned,
    }


def _source(change: SourceChange) -> dict[str, Any]:
    return {
        "path": change.path,
        "change": change.change,
        "old_status": change.old_status,
        "new_status": change.new_status,
        "coverage_worse": change.coverage_worse,
        "old_sha256": change.old_sha256,
        "new_sha256": change.new_sha256,
        "old_bytes": change.old_bytes,
        "new_bytes": change.new_bytes,
        "within_new_scan": change.within_new_scan,
    }


#: Where a step's records and sources go in the indented skeleton. A path or id from a report
#: could spell a slot too, so slots are filled last first: whatever a fill brings in lies
#: after every slot still to fill, and each fill takes the first occurrence.
_SLOT = "\x00{}\x00"
_ITEM_INDENT = "\n" + " " * 8


def _records_lines(step: Step) -> list[str]:
    frame = step.records
    if not frame.height:
        return []
    return frame.select(pl.struct(list(RECORD_SCHEMA)).struct.json_encode()).to_series().to_list()


def _array(lines: list[str]) -> str:
    """A JSON array at depth 3 of the document, one item a line."""
    if not lines:
        return "[]"
    return "[" + _ITEM_INDENT + ("," + _ITEM_INDENT).join(lines) + "\n      ]"


def diff_document(diff: Diff) -> dict[str, Any]:
    """The diff as a JSON-ready dict (records as dicts: for small diffs and tests)."""
    document = _skeleton(diff)
    for i, step in enumerate(diff.steps):
        document["steps"][i]["records"] = step.records.to_dicts()
        document["steps"][i]["sources"] = [_source(s) for s in step.sources]
    return document


def _skeleton(diff: Diff) -> dict[str, Any]:
    return {
        "format": DIFF_FORMAT,
        "tool": {"name": TOOL_NAME, "version": __version__},
        "fail_on": diff.fail_on,
        "same_pack": diff.same_pack,
        "id_column_personal": diff.id_column_personal,
        "verdict": diff.verdict,
        "exit_code": int(diff.exit_code),
        "present_matches": diff.present_matches,
        "summary": diff.last.summary,
        "since_earlier": {
            "coverage_worse": list(diff.coverage_worse),
            "gone_unconfirmed": list(diff.gone_unconfirmed),
        },
        "notes": list(diff.notes),
        "reports": [_report(f) for f in diff.reports],
        "steps": [
            {
                "old": step.old,
                "new": step.new,
                "summary": step.summary,
                "records": _SLOT.format(f"records{i}"),
                "sources": _SLOT.format(f"sources{i}"),
            }
            for i, step in enumerate(diff.steps)
        ],
    }


def render_diff_json(diff: Diff) -> str:
    text = json.dumps(_skeleton(diff), ensure_ascii=False, indent=2)
    for i, step in reversed(list(enumerate(diff.steps))):
        sources = [
            json.dumps(_source(s), ensure_ascii=False, separators=(",", ":")) for s in step.sources
        ]
        text = text.replace(json.dumps(_SLOT.format(f"sources{i}")), _array(sources), 1)
        text = text.replace(
            json.dumps(_SLOT.format(f"records{i}")), _array(_records_lines(step)), 1
        )
    return text + "\n"


__all__ = ["diff_document", "render_diff_json"]
