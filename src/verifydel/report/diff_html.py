"""The HTML form of ``verifydel diff``: one self-contained page (``lang="ja"``, no script).

A series of reports (quarterly follow-ups) reads as a table, one row per report: records
present, strong, sources scanned and gaps. Then one row per step (gone, still present, new,
sources changed, coverage worse), then each step's records and changed sources. Every
string shown comes from the reports, i.e. from media of the party under inspection, and
goes through ``_esc``; a Content-Security-Policy forbids scripts and fetches.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import TypeVar

from verifydel import __version__
from verifydel.exitcodes import ExitCode
from verifydel.report._text import visible
from verifydel.report.diff import (
    CHANGES,
    DIFF_FORMAT,
    GONE,
    NEW,
    STILL_PRESENT,
    UNCHANGED,
    Diff,
    RecordChange,
    ReportFacts,
    SourceChange,
    Step,
)

T = TypeVar("T")

#: Records listed per change and step; the rest are counted and left to the JSON.
MAX_RECORDS = 10_000
#: Source changes listed per step.
MAX_SOURCES = 10_000

_CHANGE_JA = {STILL_PRESENT: "残存 (still present)", NEW: "新たに検出 (new)", GONE: "消えた (gone)"}
_SOURCE_CHANGE_JA = {
    "added": "追加 (added)",
    "removed": "なくなった (removed)",
    "changed": "変更 (changed)",
    "unchanged": "変更なし (unchanged)",
    "unknown": "比較不能 (unknown)",
}
_STATUS_JA = {"scanned": "完了", "partial": "一部のみ", "failed": "失敗", "interrupted": "中断"}
_VERDICT_JA = {"found": "残存あり", "not_confirmed": "未確認", "clean": "残存なし"}

_STYLE = """
body{font-family:"Hiragino Sans","Noto Sans JP","Yu Gothic",Meiryo,sans-serif;margin:0 auto;
max-width:1200px;padding:1.5rem;color:#1b1b1b;line-height:1.5}
h1{margin:.2rem 0;font-size:1.6rem}h2{border-bottom:2px solid #ccc;margin-top:2rem}
h3{margin-top:1.2rem}
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
.worse,.unconfirmed{color:#b3261e;font-weight:700}.note{color:#555;font-size:.9rem}
.badge{display:inline-block;padding:0 .5rem;border-radius:3px;color:#fff;font-size:.85rem}
.strong{background:#b3261e}.weak{background:#b26a00}.more{font-weight:700}
footer{margin-top:2rem;color:#666;font-size:.85rem}
"""


def _esc(value: object) -> str:
    """Text for HTML: escaped, with control and bidi-override characters made visible."""
    return html.escape(visible("" if value is None else str(value)), quote=True)


def _num(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def _td(value: int | None, cls: str = "num") -> str:
    return f'<td class="{cls}">{_num(value)}</td>'


def _badge(strength: str | None) -> str:
    return (
        "—" if strength is None else f'<span class="badge {_esc(strength)}">{_esc(strength)}</span>'
    )


def _status(status: str | None) -> str:
    return "—" if status is None else f"{_esc(_STATUS_JA.get(status, ''))} ({_esc(status)})"


def _paths(paths: Sequence[str]) -> str:
    return "<br>".join(f'<span class="path">{_esc(p)}</span>' for p in paths) or "—"


def _step_name(diff: Diff, step: Step) -> str:
    return f"{_esc(diff.reports[step.old].file)} → {_esc(diff.reports[step.new].file)}"


def _verdict(diff: Diff) -> str:
    last = diff.last.summary
    newest = diff.reports[-1]
    if diff.exit_code == ExitCode.FOUND:
        cls, label, title = "found", "FOUND", "漏えいレコードがまだ残っています"
        detail = (
            f"最新の報告書 {_esc(newest.file)} に漏えいレコード {newest.records_present:,} 件が残っています"
            f"（前回から残存 {last['still_present']:,} 件、新たに検出 {last['new']:,} 件）。"
            f"前回から消えたもの {last['gone']:,} 件。"
        )
        english = (
            f"{newest.records_present:,} leaked record(s) present in {_esc(newest.file)} "
            f"({last['still_present']:,} still present, {last['new']:,} new); {last['gone']:,} gone."
        )
    elif diff.exit_code == ExitCode.INCOMPLETE:
        cls, label, title = "incomplete", "NOT CONFIRMED", "削除は確認できません（走査範囲の後退）"
        detail = (
            "最新の報告書に漏えいレコードはありませんが、以前は完全に走査できたソース "
            f"{len(diff.coverage_worse):,} 件が今回は完全に走査されていないか、消えたレコード "
            f"{len(diff.gone_unconfirmed):,} 件のあったソースが完全には再走査されていません。"
        )
        english = (
            f"Nothing present in {_esc(newest.file)}, but coverage got worse in "
            f"{len(diff.coverage_worse):,} source(s) and {len(diff.gone_unconfirmed):,} gone record(s) "
            "were in sources not read completely again: deletion is not confirmed."
        )
    else:
        cls, label, title = "clean", "CLEAN", "以前見つかったレコードはすべて消えています"
        detail = (
            f"最新の報告書 {_esc(newest.file)} に漏えいレコードはなく、走査範囲も後退していません"
            f"（前回から消えたもの {last['gone']:,} 件）。"
        )
        english = f"No leaked record in {_esc(newest.file)}, coverage not worse; {last['gone']:,} gone since the previous report."
    return (
        f'<header class="verdict {cls}"><p class="label">{label}</p><h1>{title}</h1>'
        f'<p>{detail}</p><p lang="en">{english}</p></header>'
    )


def _series_table(diff: Diff) -> str:
    def row(i: int, f: ReportFacts) -> str:
        gaps_cls = "num worse" if f.sources_gaps else "num"
        return (
            f'<tr><td class="num">{i + 1}</td><td class="path">{_esc(f.file)}</td><td>{_esc(f.started_at or "—")}</td>'
            f"<td>{_esc(_VERDICT_JA.get(f.verdict, ''))} ({_esc(f.verdict)})</td>"
            f"{_td(f.records_present)}{_td(f.strong_records)}{_td(f.weak_records)}{_td(f.matched_rows)}"
            f"{_td(f.sources)}{_td(f.sources_scanned)}{_td(f.sources_gaps, gaps_cls)}{_td(f.rows_scanned)}"
            f'<td><code title="{_esc(f.sha256)}">{_esc(f.sha256[:16])}…</code></td></tr>'
        )

    rows = "".join(row(i, f) for i, f in enumerate(diff.reports))
    return (
        "<section><h2>報告書の推移 (series)</h2><table><thead><tr><th>#</th><th>報告書</th>"
        "<th>走査開始</th><th>判定</th><th>残存レコード</th><th>strong</th><th>weak</th>"
        "<th>一致した行</th><th>ソース</th><th>完了</th><th>未完了 (gaps)</th><th>走査した行</th>"
        f"<th>報告書 SHA-256</th></tr></thead><tbody>{rows}</tbody></table></section>"
    )


def _steps_table(diff: Diff) -> str:
    def row(step: Step) -> str:
        s = step.summary
        worse_cls = "num worse" if s["coverage_worse"] else "num"
        unconfirmed_cls = "num unconfirmed" if s["gone_unconfirmed"] else "num"
        return (
            f"<tr><td>{_step_name(diff, step)}</td>{_td(s['gone'])}{_td(s['gone_unconfirmed'], unconfirmed_cls)}"
            f"{_td(s['still_present'])}{_td(s['still_present_strong'])}{_td(s['new'])}"
            f"{_td(s['sources_added'])}{_td(s['sources_removed'])}{_td(s['sources_changed'])}"
            f"{_td(s['coverage_worse'], worse_cls)}</tr>"
        )

    rows = "".join(row(step) for step in diff.steps)
    return (
        "<section><h2>各回の変化 (changes)</h2><table><thead><tr><th>比較</th><th>消えた</th>"
        "<th>うち未確認</th><th>残存</th><th>うち strong</th><th>新たに検出</th><th>ソース追加</th>"
        "<th>ソース削除</th><th>ソース変更</th><th>走査範囲の後退</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></section>"
    )


def _record_row(r: RecordChange) -> str:
    if r.change == GONE:
        confirmed = (
            "確認済み (confirmed)"
            if r.confirmed
            else '<span class="unconfirmed">未確認 (not confirmed)</span>'
        )
    else:
        confirmed = "—"
    sources = r.old_sources if r.change == GONE else r.new_sources
    return (
        f"<tr><td><code>{_esc(r.record_id)}</code></td><td>{_badge(r.old_strength)}</td>"
        f"<td>{_badge(r.new_strength)}</td>{_td(r.old_locations)}{_td(r.new_locations)}"
        f"<td>{_paths(sources)}</td><td>{confirmed}</td></tr>"
    )


def _limited(items: Sequence[T], limit: int, render: Callable[[T], str]) -> tuple[str, str]:
    rows = "".join(render(item) for item in items[:limit])
    hidden = len(items) - limit
    more = (
        f'<p class="more">ほか {hidden:,} 件は JSON を参照 ({hidden:,} more in the JSON diff)</p>'
        if hidden > 0
        else ""
    )
    return rows, more


def _records_section(step: Step) -> str:
    parts = []
    counts = {
        STILL_PRESENT: step.summary["still_present"],
        NEW: step.summary["new"],
        GONE: step.summary["gone"],
    }
    for change in CHANGES:
        if not counts[change]:
            continue
        rows = "".join(_record_row(r) for r in step.record_changes(change, MAX_RECORDS))
        hidden = counts[change] - MAX_RECORDS
        more = (
            f'<p class="more">ほか {hidden:,} 件は JSON を参照 ({hidden:,} more in the JSON diff)</p>'
            if hidden > 0
            else ""
        )
        where = "以前の所在" if change == GONE else "現在の所在"
        parts.append(
            f"<h4>{_CHANGE_JA[change]}: {counts[change]:,} 件</h4><table><thead><tr><th>レコードID</th>"
            f"<th>前回</th><th>今回</th><th>前回の行数</th><th>今回の行数</th><th>{where}</th>"
            f"<th>削除の確認</th></tr></thead><tbody>{rows}</tbody></table>{more}"
        )
    return "".join(parts) or "<p>どちらの報告書にも漏えいレコードはありません。</p>"


def _source_row(s: SourceChange) -> str:
    worse = '<span class="worse">後退 (worse)</span>' if s.coverage_worse else "—"
    old_hash = (
        f"<code>{_esc((s.old_sha256 or '')[:16])}</code>" if s.old_sha256 else _num(s.old_bytes)
    )
    new_hash = (
        f"<code>{_esc((s.new_sha256 or '')[:16])}</code>" if s.new_sha256 else _num(s.new_bytes)
    )
    reach = ""
    if s.within_new_scan is not None:
        reach = (
            '<br><span class="note">今回の走査範囲内になく削除を確認 (not found where the newer scan looked)</span>'
            if s.within_new_scan
            else '<br><span class="note">今回は走査されていません (not within the newer scan)</span>'
        )
    return (
        f'<tr><td class="path">{_esc(s.path)}</td><td>{_esc(_SOURCE_CHANGE_JA.get(s.change, s.change))}{reach}</td>'
        f"<td>{_status(s.old_status)}</td><td>{_status(s.new_status)}</td><td>{worse}</td>"
        f"<td>{old_hash}</td><td>{new_hash}</td></tr>"
    )


def _sources_section(sources: list[SourceChange]) -> str:
    shown = [
        s
        for s in sources
        if s.change != UNCHANGED or s.coverage_worse or s.old_status != s.new_status
    ]
    unchanged = len(sources) - len(shown)
    if not shown:
        return f"<p>ソースの変化はありません（{unchanged:,} 件すべて変更なし）。</p>"
    rows, more = _limited(shown, MAX_SOURCES, _source_row)
    return (
        "<table><thead><tr><th>ソース</th><th>変化</th><th>前回の状態</th><th>今回の状態</th>"
        "<th>走査範囲</th><th>前回 SHA-256 / バイト</th><th>今回 SHA-256 / バイト</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>{more}"
        f'<p class="note">変更のないソース {unchanged:,} 件は省略 (unchanged sources not listed).</p>'
    )


def _step_section(diff: Diff, step: Step) -> str:
    return (
        f"<section><h2>{_step_name(diff, step)}</h2><h3>レコード (records)</h3>{_records_section(step)}"
        f"<h3>ソース (sources)</h3>{_sources_section(step.sources)}</section>"
    )


def _since_earlier(diff: Diff) -> str:
    if len(diff.reports) < 3 or not (diff.coverage_worse or diff.gone_unconfirmed):
        return ""
    ids = ", ".join(f"<code>{_esc(i)}</code>" for i in diff.gone_unconfirmed[:MAX_RECORDS]) or "—"
    return (
        "<section><h2>最新の報告書と以前のすべての報告書の比較 (newest against every earlier report)</h2>"
        f"<h3>走査範囲が後退したソース: {len(diff.coverage_worse):,} 件</h3><p>{_paths(diff.coverage_worse)}</p>"
        f"<h3>消えたが未確認のレコード: {len(diff.gone_unconfirmed):,} 件</h3><p>{ids}</p></section>"
    )


def render_diff_html(diff: Diff) -> str:
    """The diff as one self-contained HTML page (UTF-8, ``lang="ja"``, no script)."""
    warning = (
        '<p class="warning">レコードIDに個人情報が含まれます (--allow-personal-id)。取り扱いに注意してください。</p>'
        if diff.id_column_personal
        else ""
    )
    notes = "".join(f'<li class="note">{_esc(n)}</li>' for n in diff.notes)
    notes_section = f"<section><h2>注記 (notes)</h2><ul>{notes}</ul></section>\n" if notes else ""
    packs = sorted({f.pack_sha256 or "—" for f in diff.reports})
    pack_line = "".join(f"<code>{_esc(p)}</code><br>" for p in packs)
    return (
        '<!DOCTYPE html>\n<html lang="ja">\n<head>\n<meta charset="utf-8">\n'
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
        '<meta name="referrer" content="no-referrer">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>verifydel 追跡報告 (diff): {_esc(diff.verdict)}</title>\n"
        f"<style>{_STYLE}</style>\n</head>\n<body>\n{warning}{_verdict(diff)}\n"
        f"<p>照合パック (pack) SHA-256: {pack_line}</p>\n"
        f"{_series_table(diff)}\n{_steps_table(diff)}\n{_since_earlier(diff)}\n{notes_section}"
        + "\n".join(_step_section(diff, step) for step in diff.steps)
        + f"\n<footer>verifydel {_esc(__version__)} · {_esc(DIFF_FORMAT)}</footer>\n</body>\n</html>\n"
    )


__all__ = ["MAX_RECORDS", "render_diff_html"]
