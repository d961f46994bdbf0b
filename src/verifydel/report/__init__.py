"""The evidence report: the model (findings *and* coverage) and its renderers.

- ``render_json``/``write_json``: the JSON report of CONTRACT.md, what scripts read.
- ``render_html``/``write_html``: one self-contained page for the inspector.
- ``render_csv``: one line per match, for a spreadsheet (UTF-8 with BOM, formula-safe).
- ``render_sarif``: a SARIF 2.1.0 log for code-scanning dashboards (never a clear value).
- ``render_summary`` and ``ScanProgress``: the terminal, through the CLI's rich Console.

Clear personal values appear only with ``show_values=True`` (``--show-values``).
"""

from verifydel.report.csv_report import render_csv
from verifydel.report.html_report import render_html, write_html
from verifydel.report.json_report import render_json, write_json
from verifydel.report.model import (
    FAILED,
    MATCH_SCHEMA,
    OPTIONAL_MATCH_SCHEMA,
    PARTIAL,
    REPORT_FORMAT,
    SCANNED,
    PackSummary,
    Report,
    SourceResult,
)
from verifydel.report.progress import ScanProgress
from verifydel.report.sarif_report import render_sarif
from verifydel.report.terminal import render_summary

__all__ = [
    "FAILED",
    "MATCH_SCHEMA",
    "OPTIONAL_MATCH_SCHEMA",
    "PARTIAL",
    "REPORT_FORMAT",
    "SCANNED",
    "PackSummary",
    "Report",
    "ScanProgress",
    "SourceResult",
    "render_csv",
    "render_html",
    "render_json",
    "render_sarif",
    "render_summary",
    "write_html",
    "write_json",
]
