"""The JSON form of ``verifydel diff`` (``verifydel-diff/1``): what scripts read, so its shape is API.

Same reports in, same bytes out: keys in a fixed order, ``ensure_ascii=False``, ``indent=2``,
a newline at the end. Records are listed still present first, then new, then gone, each
group by record id; sources in the newer report's order, then the removed ones in the
older report's order. Holds record ids, source paths, hashes and counts: never a value.
"""

from __future__ import annotations

import json
from typing import Any

from verifydel import __version__
from verifydel.report.diff import DIFF_FORMAT, Diff, RecordChange, ReportFacts, SourceChange, Step

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


def _record(change: RecordChange) -> dict[str, Any]:
    return {
        "record_id": change.record_id,
        "change": change.change,
        "old_strength": change.old_strength,
        "new_strength": change.new_strength,
        "old_locations": change.old_locations,
        "new_locations": change.new_locations,
        "old_sources": list(change.old_sources),
        "new_sources": list(change.new_sources),
        "confirmed": change.confirmed,
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


def _step(step: Step) -> dict[str, Any]:
    return {
        "old": step.old,
        "new": step.new,
        "summary": step.summary,
        "records": [_record(r) for r in step.records],
        "sources": [_source(s) for s in step.sources],
    }


def diff_document(diff: Diff) -> dict[str, Any]:
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
        "steps": [_step(s) for s in diff.steps],
    }


def render_diff_json(diff: Diff) -> str:
    return json.dumps(diff_document(diff), ensure_ascii=False, indent=2) + "\n"


__all__ = ["diff_document", "render_diff_json"]
