"""The HTML report: one self-contained page for an inspector (no script, no external asset).

Everything shown comes through ``_esc``: paths, sheet names, errors and record ids come from
the party under inspection and are hostile. A Content-Security-Policy forbids scripts and
any fetch even if something slipped through. Matches are grouped by leaked record, strong
records first; the page stops after ``MAX_RECORDS`` records (the JSON report has them all).
"""

from __future__ import annotations

import html
import os
from typing import Any

import polars as pl

from verifydel.report._files import write_text_atomically
from verifydel.report._matches import (
    VALUE_PREFIX,
    attach_values,
    canonical_fields,
    ordered_matches,
    per_source_counts,
)
from verifydel.report._text import visible
from verifydel.report._verdict import verdict_of
from verifydel.report.model import REPORT_FORMAT, Report, SourceResult

#: Leaked records rendered on the page; the rest are counted and left to the JSON report.
MAX_RECORDS = 10_000
#: Broker rows listed under one leaked record.
MAX_LOCATIONS_PER_RECORD = 20

_STATUS_JA = {"scanned": "完了", "partial": "一部のみ", "failed": "失敗"}
_VERDICT_CLASS = {"FOUND": "found", "NOT CONFIRMED": "incomplete", "CLEAN": "clean"}

_STYLE = """
body{font-family:"Hiragino Sans","Noto Sans JP","Yu Gothic",Meiryo,sans-serif;margin:0 auto;
max-width:1200px;padding:1.5rem;color:#1b1b1b;line-height:1.5}
h1{margin:.2rem 0;font-size:1.6rem}h2{border-bottom:2px solid #ccc;margin-top:2rem}
.verdict{padding:1rem 1.5rem;border-radius:6px;border:3px solid}
.verdict .label{font-weight:700;letter-spacing:.1em;margin:0}
.found{background:#fdecea;border-color:#b3261e}.incomplete{background:#fff4e0;border-color:#b26a00}
.clean{background:#e8f5e9;border-color:#1e7d32}
.warning{background:#b3261e;color:#fff;padding:.5rem 1rem;font-weight:700}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f2f2f2}td.num{text-align:right;font-variant-numeric:tabular-nums}
.path,code{font-family:ui-monospace,Menlo,Consolas,monospace;word-break:break-all;
unicode-bidi:isolate}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dt{font-weight:700}dd{margin:0}
.status-scanned{color:#1e7d32}.status-partial{color:#b26a00;font-weight:700}
.status-failed{color:#b3261e;font-weight:700}
.error{color:#b3261e}.note{color:#555;font-size:.9rem}
.badge{display:inline-block;padding:0 .5rem;border-radius:3px;color:#fff;font-size:.85rem}
.strong{background:#b3261e}.weak{background:#b26a00}
.record{border:1px solid #ddd;border-radius:6px;padding:.5rem 1rem;margin:.8rem 0}
.record h3{margin:.2rem 0;font-size:1.05rem}.more{font-weight:700}
footer{margin-top:2rem;color:#666;font-size:.85rem}
"""


def _esc(value: object) -> str:
    """Text for HTML: escaped, with control and bidi-override characters made visible."""
    return html.escape(visible("" if value is None else str(value)), quote=True)


def _num(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def _definition_list(items: list[tuple[str, str]]) -> str:
    rows = "".join(f"<dt>{term}</dt><dd>{definition}</dd>" for term, definition in items)
    return f"<dl>{rows}</dl>"


def _columns_cell(columns: dict[str, list[str]]) -> str:
    if not columns:
        return "—"
    return "<br>".join(
        f"{_esc(field)} ← {', '.join(_esc(c) for c in columns[field])}"
        for field in canonical_fields(list(columns))
    )


def _problems_cell(source: SourceResult) -> str:
    """The source's error (if any), then its notes, one per line."""
    error = [f'<span class="error">{_esc(source.error)}</span>'] if source.error else []
    notes = [f'<span class="note">{_esc(note)}</span>' for note in source.notes]
    return "<br>".join(error + notes)


def _source_row(source: SourceResult, counts: dict[str, int]) -> str:
    status = _esc(source.status)
    status_ja = _esc(_STATUS_JA.get(source.status, ""))
    return (
        f'<tr><td class="path">{_esc(source.path)}</td><td>{_esc(source.kind)}</td>'
        f'<td class="status-{status}">{status_ja} ({status})</td>'
        f'<td class="num">{_num(source.rows)}</td>'
        f'<td class="num">{_num(counts.get(source.path, 0))}</td>'
        f"<td>{_columns_cell(source.columns)}</td><td>{_esc(source.encoding or '—')}</td>"
        f'<td class="num">{_num(source.bytes)}</td><td>{_problems_cell(source)}</td></tr>'
    )


def _sources_section(report: Report) -> str:
    counts = {source: rows for source, (rows, _, _) in per_source_counts(report).items()}
    rows = "".join(_source_row(source, counts) for source in report.sources)
    return (
        "<section><h2>走査対象 (sources)</h2><table><thead><tr><th>パス</th><th>種類</th>"
        "<th>状態</th><th>行数</th><th>一致した行</th><th>照合した列</th><th>文字コード</th>"
        f"<th>バイト数</th><th>エラー・注記</th></tr></thead><tbody>{rows}</tbody></table></section>"
    )


def _where(location: dict[str, Any]) -> str:
    parts = []
    if location.get("row") is not None:
        parts.append(f"行 {location['row']:,}")
    if location.get("offset") is not None:
        parts.append(f"オフセット {location['offset']:,}")
    if location.get("page") is not None:
        parts.append(f"ページ {location['page']:,}")
    if location.get("recovered"):
        parts.append("削除領域から復元 (recovered)")
    return _esc(" / ".join(parts) or "—")


def _values_cell(location: dict[str, Any], value_fields: list[str]) -> str:
    shown = [
        f"{_esc(field)}: {_esc(location[VALUE_PREFIX + field])}"
        for field in value_fields
        if location.get(VALUE_PREFIX + field) is not None and field in (location["fields"] or [])
    ]
    return "<br>".join(shown) or "—"


def _record_article(record: dict[str, Any], value_fields: list[str], show_values: bool) -> str:
    strength = "strong" if record["strong"] else "weak"
    rows = []
    for location in record["locations"]:
        values = f"<td>{_values_cell(location, value_fields)}</td>" if show_values else ""
        rows.append(
            f'<tr><td class="path">{_esc(location["source"])}</td><td>{_where(location)}</td>'
            f"<td>{_esc(', '.join(canonical_fields(location['fields'])))}</td>"
            f'<td><span class="badge {_esc(location["strength"])}">'
            f"{_esc(location['strength'])}</span></td>{values}</tr>"
        )
    hidden = record["n"] - len(record["locations"])
    more = (
        f'<p class="more">ほか {hidden:,} 箇所は JSON 報告書を参照 '
        f"({hidden:,} more in the JSON report)</p>"
        if hidden > 0
        else ""
    )
    values_head = "<th>値 (values)</th>" if show_values else ""
    return (
        f'<article class="record"><h3>レコード <code>{_esc(record["record_id"])}</code> '
        f'<span class="badge {strength}">{strength}</span></h3>'
        f"<p>一致した項目: {_esc(', '.join(canonical_fields(record['fields'])))} · "
        f"{record['n']:,} 箇所</p><table><thead><tr><th>ソース</th><th>位置</th><th>項目</th>"
        f"<th>強度</th>{values_head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{more}"
        "</article>"
    )


def _matches_section(report: Report, show_values: bool) -> str:
    matches = ordered_matches(report)
    if matches.height == 0:
        return (
            "<section><h2>検出 (matches)</h2>"
            "<p>漏えいレコードは見つかりませんでした。</p></section>"
        )
    value_fields: list[str] = []
    if show_values:
        matches, value_fields = attach_values(matches, report.values)
    location_columns = [
        c
        for c in ("source", "row", "offset", "page", "recovered", "fields", "strength")
        if c in matches.columns
    ] + [VALUE_PREFIX + field for field in value_fields]
    records = (
        matches.group_by("record_id", maintain_order=True)
        .agg(
            pl.len().alias("n"),
            (pl.col("strength") == "strong").any().alias("strong"),
            pl.col("fields").list.explode(keep_nulls=False, empty_as_null=False).unique(),
            pl.struct(location_columns).head(MAX_LOCATIONS_PER_RECORD).alias("locations"),
        )
        .sort("strong", descending=True, maintain_order=True)
    )
    articles = "".join(
        _record_article(record, value_fields, show_values)
        for record in records.head(MAX_RECORDS).iter_rows(named=True)
    )
    hidden = records.height - MAX_RECORDS
    more = (
        f'<p class="more">ほか {hidden:,} 件のレコードは JSON 報告書を参照 '
        f"({hidden:,} more records in the JSON report)</p>"
        if hidden > 0
        else ""
    )
    return (
        f"<section><h2>検出 (matches): 漏えいレコード {records.height:,} 件</h2>"
        f"<p>強い一致 (strong) のレコードを先に表示しています。</p>{articles}{more}</section>"
    )


def render_html(report: Report, *, show_values: bool = False) -> str:
    """The report as one self-contained HTML page (UTF-8, ``lang="ja"``, no script)."""
    verdict = verdict_of(report)
    summary = report.summary
    verdict_class = _VERDICT_CLASS[verdict.label]
    warning = (
        '<p class="warning">この報告書には個人情報が平文で含まれます (--show-values)。'
        "取り扱いに注意してください。</p>"
        if show_values
        else ""
    )
    summary_items = [
        ("走査した行", _num(summary["rows_scanned"])),
        ("一致した行", _num(summary["matched_rows"])),
        ("残存レコード", _num(summary["matched_records"])),
        ("強い一致 (strong)", _num(summary["strong"])),
        ("弱い一致 (weak)", _num(summary["weak"])),
        (
            "ソース",
            f"{len(report.sources):,}（失敗 {summary['sources_failed']:,} / "
            f"一部のみ {summary['sources_partial']:,}）",
        ),
        ("開始", _esc(report.started_at)),
        ("終了", _esc(report.finished_at)),
    ]
    pack_items = [
        ("SHA-256", f"<code>{_esc(report.pack.sha256)}</code>"),
        ("レコード数", _num(report.pack.records)),
        ("正規化", _esc(report.pack.normalisation)),
    ]
    if report.pack.format:
        pack_items.append(("形式", _esc(report.pack.format)))
    if report.pack.id_column_personal:
        pack_items.append(("レコードID", "個人情報を含む (--allow-personal-id)"))
    return (
        '<!DOCTYPE html>\n<html lang="ja">\n<head>\n<meta charset="utf-8">\n'
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
        '<meta name="referrer" content="no-referrer">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>verifydel 検査報告書: {_esc(verdict.label)}</title>\n"
        f"<style>{_STYLE}</style>\n</head>\n<body>\n{warning}"
        f'<header class="verdict {verdict_class}"><p class="label">{_esc(verdict.label)}</p>'
        f"<h1>{_esc(verdict.title_ja)}</h1><p>{_esc(verdict.detail_ja)}</p>"
        f'<p lang="en">{_esc(verdict.detail_en)}</p></header>\n'
        f"<section><h2>概要 (summary)</h2>{_definition_list(summary_items)}</section>\n"
        f"<section><h2>照合パック (pack)</h2>{_definition_list(pack_items)}</section>\n"
        f"{_sources_section(report)}\n{_matches_section(report, show_values)}\n"
        f"<footer>verifydel {_esc(report.tool_version)} · {_esc(REPORT_FORMAT)}</footer>\n"
        "</body>\n</html>\n"
    )


def write_html(report: Report, path: str | os.PathLike[str], *, show_values: bool = False) -> None:
    """Write the HTML report to ``path`` (UTF-8, replaced atomically)."""
    write_text_atomically(render_html(report, show_values=show_values), path)
