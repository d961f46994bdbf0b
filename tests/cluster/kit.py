"""Helpers of the cluster tests: reports compared as the JSON a scan writes, times aside."""

from __future__ import annotations

import json
from typing import Any

from verifydel.report.json_report import render_json
from verifydel.report.model import Report


def comparable(report: Report) -> dict[str, Any]:
    """The JSON report without what differs between two runs of one scan: when, how long."""
    data = json.loads(render_json(report, show_values=False))
    for key in ("started_at", "finished_at", "run"):
        data.pop(key, None)
    for source in data["sources"]:
        source.pop("seconds", None)
    return data


def differences(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    return [f"{key}: {json.dumps(a.get(key), ensure_ascii=False)[:600]} != {json.dumps(b.get(key), ensure_ascii=False)[:600]}"
            for key in sorted(set(a) | set(b)) if a.get(key) != b.get(key)]  # fmt: skip
