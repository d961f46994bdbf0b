"""Reports to render in the report tests, and a slow reference renderer used as the oracle.

Shared through the session fixture ``samples`` (the suite runs with --import-mode=importlib,
so test modules cannot import a sibling helper module). Every value is made up: "見本"
(sample) names, 0000 phone numbers, 見本町 addresses.
"""

from __future__ import annotations

import json
from typing import Any

import polars as pl
import pytest

from verifydel.report._matches import VALUE_PREFIX, attach_values, canonical_fields, ordered_matches
from verifydel.report.json_report import report_document
from verifydel.report.model import (
    FAILED,
    MATCH_SCHEMA,
    OPTIONAL_MATCH_SCHEMA,
    PARTIAL,
    SCANNED,
    PackSummary,
    Report,
    RunInfo,
    SourceResult,
)
from verifydel.core.coverage import Medium

CSV_PATH = "顧客名簿/2023年 会員一覧.csv"
SHEET_PATH = "backup.tar.gz!/2022/members.zip!/名簿.xlsx!/退会者「旧」"
BROKEN_PATH = "壊れた/export.parquet"
TEXT_PATH = "メモ/問い合わせ.txt"
DB_PATH = "app.sqlite!/members"

#: Clear values of the broker rows (only rendered with show_values).
CLEAR_NAME = "見本 太郎"
CLEAR_PHONE = "090-0000-0001"
CLEAR_ADDRESS = "東京都千代田区見本町1-2-3"
CLEAR_VALUES = (CLEAR_NAME, CLEAR_PHONE, CLEAR_ADDRESS)

PACK = PackSummary(
    sha256="3f" * 32, records=9280000, normalisation="ja-normalise/1", format="verifydel-pack/1", key_id="0123456789abcdef"
)
RUN = RunInfo(
    command=["verifydel", "scan", "顧客名簿", "--pack", "leak.vdpack", "--key", "regulator.key", "--password", "***"],
    options={"jobs": 1, "password": "given", "show_values": False},
    operator="見本 検査官",
    case="PPC-2024-001",
    host="inspector-laptop",
    time_zone="JST",
    utc_offset="+09:00",
)

FULL_SCHEMA = {**MATCH_SCHEMA, **OPTIONAL_MATCH_SCHEMA}


def _sources() -> list[SourceResult]:
    return [
        SourceResult(
            path=CSV_PATH,
            kind="csv",
            status=SCANNED,
            rows=1200,
            columns={"phone": ["TEL", "携帯"], "name": ["姓", "名"], "address": ["住所"]},
            encoding="cp932",
            bytes=204800,
            seconds=0.4,
            sha256="a1" * 32,
            medium=Medium(CSV_PATH, 204800),
        ),
        SourceResult(
            path=SHEET_PATH,
            kind="xlsx",
            status=PARTIAL,
            rows=40,
            error="stopped at row 41: the archive member is truncated (re-export it, scan again)",
            columns={"name": ["氏名"], "phone": ["電話番号"]},
            bytes=9000,
            sha256="b2" * 32,
            notes=["sheet is hidden"],
        ),
        SourceResult(
            path=BROKEN_PATH,
            kind="parquet",
            status=FAILED,
            rows=0,
            error="not a Parquet file: magic bytes missing (check how it was exported)",
        ),
        SourceResult(
            path=TEXT_PATH, kind="text", status=SCANNED, rows=0, encoding="utf-8", bytes=5000
        ),
        SourceResult(
            path=DB_PATH,
            kind="sqlite",
            status=SCANNED,
            rows=300,
            columns={"name": ["name"], "address": ["addr"]},
            notes=["address: column addr chosen from its values (its header says nothing)"],
            sha256="c3" * 32,
        ),
    ]


def _matches_rows() -> list[dict[str, Any]]:
    """Deliberately out of report order: renderers must sort."""

    def match(
        source: str, record_id: str, fields: list[str], strength: str, **where: Any
    ) -> dict[str, Any]:
        return {
            "source": source,
            "record_id": record_id,
            "fields": fields,
            "strength": strength,
            "row": None,
            "offset": None,
            "page": None,
            "recovered": None,
            "disagreed": None,
            "missing": None,
            **where,
        }

    return [
        match(DB_PATH, "C0000042", ["address", "name"], "strong", row=7),
        match(
            DB_PATH,
            "C0000042",
            ["name", "address"],
            "strong",
            row=None,
            page=12,
            offset=3320,
            recovered=True,
        ),
        match(TEXT_PATH, "C0000003", ["phone"], "weak", offset=1088),
        match(CSV_PATH, "C0000017", ["phone", "name"], "strong", row=12, disagreed=["address"], missing=["postal"]),
        match(CSV_PATH, "C0000001", ["phone", "name", "address"], "strong", row=12),
        match(CSV_PATH, "C0000001", ["address"], "weak", row=3),
        match(SHEET_PATH, "C0000003", ["phone"], "weak", row=5, disagreed=[], missing=["address"]),
        match(CSV_PATH, "C0000009", ["phone"], "weak", row=12),
    ]


def sample_report(*, values_in: str = "frame") -> Report:
    """A few sources (one partial, one failed), strong and weak matches, Japanese paths.

    The broker rows' clear values ride in ``Report.values`` (``values_in="frame"``), in a
    struct column of the matches (``"column"``, as the scan hands them over) or nowhere.
    """
    matches = pl.DataFrame(_matches_rows(), schema=FULL_SCHEMA)
    values: pl.DataFrame | None = pl.DataFrame(
        {
            "source": [CSV_PATH, CSV_PATH, SHEET_PATH, DB_PATH],
            "row": [12, 3, 5, 7],
            "name": [CLEAR_NAME, None, None, "見本 花子"],
            "phone": [CLEAR_PHONE, None, "03-0000-0002", None],
            "address": [CLEAR_ADDRESS, "大阪府見本市1-1", None, "京都府見本区2-2"],
        }
    )
    assert values is not None
    if values_in == "column":
        inline = values.select(
            "source", "row", pl.struct("phone", "name", "address").alias("values")
        )
        matches = matches.join(inline, on=["source", "row"], how="left", maintain_order="left")
    if values_in != "frame":
        values = None
    return Report(
        tool_version="0.1.0",
        pack=PACK,
        started_at="2024-05-01T09:00:00+00:00",
        finished_at="2024-05-01T09:03:21+00:00",
        sources=_sources(),
        matches=matches,
        values=values,
        run=RUN,
        normalisation="ja-normalise/1",
    )


def report_with(sources: list[SourceResult], matches: list[dict[str, Any]] | None = None) -> Report:
    """A report with the given sources and contract-schema matches."""
    return Report(
        tool_version="0.1.0",
        pack=PACK,
        started_at="2024-05-01T09:00:00+00:00",
        finished_at="2024-05-01T09:00:05+00:00",
        sources=sources,
        matches=pl.DataFrame(matches or [], schema=MATCH_SCHEMA),
    )


def reference_render_json(report: Report, *, show_values: bool = False) -> str:
    """The JSON report the slow, obvious way: a Python dict per match and one json.dumps."""
    document = report_document(report)
    matches = ordered_matches(report)
    value_fields: list[str] = []
    if show_values:
        matches, value_fields = attach_values(matches, report.values)
    items = []
    for row in matches.iter_rows(named=True):
        item: dict[str, Any] = {"source": row["source"]}
        if row["row"] is not None or row.get("offset") is None:
            item["row"] = row["row"]
        for key in ("offset", "page"):
            if row.get(key) is not None:
                item[key] = row[key]
        item["record_id"] = row["record_id"]
        item["fields"] = None if row["fields"] is None else canonical_fields(row["fields"])
        for key in ("disagreed", "missing"):
            if row.get(key) is not None:
                item[key] = canonical_fields(row[key])
        item["strength"] = row["strength"]
        if row.get("recovered") is not None:
            item["recovered"] = row["recovered"]
        if show_values:
            item["values"] = {
                f: row[VALUE_PREFIX + f]
                for f in value_fields
                if row[VALUE_PREFIX + f] is not None and f in (row["fields"] or [])
            }
        items.append(item)
    document["matches"] = items
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


class ReportSamples:
    """What the ``samples`` fixture hands to the tests."""

    CSV_PATH = CSV_PATH
    SHEET_PATH = SHEET_PATH
    BROKEN_PATH = BROKEN_PATH
    TEXT_PATH = TEXT_PATH
    DB_PATH = DB_PATH
    CLEAR_VALUES = CLEAR_VALUES
    FULL_SCHEMA = FULL_SCHEMA
    sample_report = staticmethod(sample_report)
    report_with = staticmethod(report_with)
    reference_render_json = staticmethod(reference_render_json)


@pytest.fixture(scope="session")
def samples() -> type[ReportSamples]:
    return ReportSamples
