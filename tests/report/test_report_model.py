"""The model's additions: offset-located matches in the summary, the verdict's exit code."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import polars as pl
import pytest

from verifydel.exitcodes import ExitCode
from verifydel.report import FAILED, PARTIAL, SCANNED, SourceResult
from verifydel.report.model import Status


def test_matches_located_by_offset_count_as_separate_rows(samples: Any) -> None:
    report = samples.report_with([SourceResult("memo.txt", "text", SCANNED)])
    matches = pl.DataFrame(
        [
            {
                "source": "memo.txt",
                "row": None,
                "offset": offset,
                "record_id": rid,
                "fields": ["phone"],
                "strength": "weak",
                "page": None,
                "recovered": None,
            }
            for offset, rid in [(10, "A"), (900, "B"), (900, "C")]
        ],
        schema=samples.FULL_SCHEMA,
    )
    summary = replace(report, matches=matches).summary
    assert (summary["matched_rows"], summary["matched_records"], summary["weak"]) == (2, 3, 2)


@pytest.mark.parametrize(
    ("status", "with_match", "code"),
    [
        (FAILED, True, ExitCode.FOUND),
        (PARTIAL, False, ExitCode.INCOMPLETE),
        (FAILED, False, ExitCode.INCOMPLETE),
        (SCANNED, False, ExitCode.CLEAN),
    ],
)
def test_exit_code(samples: Any, status: Status, with_match: bool, code: ExitCode) -> None:
    matches = (
        [{"source": "a.csv", "row": 1, "record_id": "R", "fields": ["phone"], "strength": "weak"}]
        if with_match
        else []
    )
    report = samples.report_with([SourceResult("a.csv", "csv", status)], matches)
    assert report.exit_code is code
