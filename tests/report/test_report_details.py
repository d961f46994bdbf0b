"""A source's details reach the JSON report, keys sorted, only when there are some."""

from __future__ import annotations

import json

import polars as pl

from verifydel.report.json_report import render_json
from verifydel.report.model import MATCH_SCHEMA, PackSummary, Report, SourceResult


def _report(details: dict) -> Report:
    return Report(
        tool_version="0",
        pack=PackSummary(sha256="0" * 64, records=1, normalisation="jp-1"),
        started_at="t0",
        finished_at="t1",
        sources=[SourceResult(path="a.db", kind="sqlite", status="scanned", details=details)],
        matches=pl.DataFrame(schema=MATCH_SCHEMA),
    )


def test_details_are_emitted_sorted() -> None:
    doc = json.loads(render_json(_report({"journal_mode": "wal", "freelist_pages": 3, "secure_delete": False})))
    assert list(doc["sources"][0]["details"]) == ["freelist_pages", "journal_mode", "secure_delete"]
    assert doc["sources"][0]["details"]["freelist_pages"] == 3


def test_no_details_key_without_details() -> None:
    doc = json.loads(render_json(_report({})))
    assert "details" not in doc["sources"][0]
