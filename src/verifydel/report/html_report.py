"""The HTML report: one self-contained page an inspector can read, filter, print and hand on.

Order: the verdict with confirmed survivors (strong) apart from single-field agreements to
review (weak); the summary; a per-source summary; every leaked record found (filter by
source and strength, pages: ``_html_records``); then the evidence: the run record (tool,
command, options, operator, case, host, times in UTC and the inspector's time zone), the
pack, the signer and how to verify, each source's columns and SHA-256, the media manifest.

Everything shown comes through ``esc``/``esc_column``: paths, sheet names, errors and record
ids come from the party under inspection and are hostile. Style, scripts and the policy that
admits only them: ``_html_assets``. No clear value unless ``show_values``.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from datetime import UTC, datetime

import polars as pl

from verifydel.report._files import write_text_atomically
from verifydel.report._html_assets import CONTENT_SECURITY_POLICY, EARLY_SCRIPT, SCRIPT, STYLE
from verifydel.report._html_records import MAX_LOCATIONS_PER_RECORD, legend, records_table
from verifydel.report._html_text import STATUS_JA, esc, field_ja, num
from verifydel.report._matches import canonical_fields, per_source_counts
from verifydel.report._verdict import Verdict, verdict_of, zone_of
from verifydel.report.model import REPORT_FORMAT, Report, SourceResult

__all__ = ["MAX_LOCATIONS_PER_RECORD", "render_html", "write_html"]

_VERDICT_CLASS = {"FOUND": "found", "NOT CONFIRMED": "incomplete", "CLEAN": "clean"}
_VERDICT_JA = {"found": "残存あり (found)", "not_confirmed": "確認できず (not confirmed)", "clean": "残存なし (clean)"}


def _definition_list(items: list[tuple[str, str]]) -> str:
    rows = "".join(f"<dt>{term}</dt><dd>{definition}</dd>" for term, definition in items)
    return f"<dl>{rows}</dl>"


def _when(iso: str, report: Report) -> str:
    """An ISO time as UTC and, when the run recorded one, the inspector's local time."""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return esc(iso)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    shown = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    zone = zone_of(report.run.utc_offset)
    if zone is not None:
        local = moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
        name = f"{report.run.time_zone} " if report.run.time_zone else ""
        shown += f" / {local} {name}(UTC{report.run.utc_offset})"
    return esc(shown)


def _duration(report: Report) -> str:
    try:
        seconds = int((datetime.fromisoformat(report.finished_at) - datetime.fromisoformat(report.started_at)).total_seconds())
    except (TypeError, ValueError):
        return ""
    minutes, seconds = divmod(max(seconds, 0), 60)
    hours, minutes = divmod(minutes, 60)
    return f"（所要 {hours} 時間 {minutes} 分 {seconds} 秒）" if hours else f"（所要 {minutes} 分 {seconds} 秒）"


def _header(report: Report, verdict: Verdict, summary: dict[str, int]) -> str:
    counts = summary
    return (
        f'<header class="verdict {_VERDICT_CLASS[verdict.label]}"><p class="label">{esc(verdict.label)}</p>'
        f"<h1>{esc(verdict.title_ja)}</h1><p>{esc(verdict.detail_ja)}</p>"
        f'<p lang="en">{esc(verdict.detail_en)}</p><div class="headline">'
        f'<div class="strong-count"><span class="n">{num(counts["strong_records"])}</span>件 '
        "<strong>残存を確認 (confirmed, strong)</strong><br>氏名・住所・電話番号のうち 2 つ以上が一致した漏えいレコード</div>"
        f'<div class="weak-count"><span class="n">{num(counts["weak_records"])}</span>件 '
        "<strong>要確認 (to review, weak)</strong><br>電話番号か住所の 1 つだけが一致した漏えいレコード（別人の可能性あり）</div>"
        "</div></header>"
    )


def _summary(report: Report, summary: dict[str, int]) -> str:
    run = report.run
    items = [
        ("事件・案件 (case)", esc(run.case or "—")),
        ("検査担当者 (operator)", esc(run.operator or "—")),
        ("判定 (verdict)", f"{esc(_VERDICT_JA.get(report.verdict, report.verdict))} · 終了コード {int(report.exit_code)}"),
        ("走査した行", num(summary["rows_scanned"])),
        (
            "一致した行",
            (
                f'{num(summary["matched_rows"])}（<span class="strong">強 {num(summary["strong"])}</span> / '
                f'<span class="weak">弱 {num(summary["weak"])}</span>）'
            ),
        ),
        (
            "漏えいレコード",
            (
                f'{num(summary["matched_records"])}（<span class="strong">残存を確認 '
                f'{num(summary["strong_records"])}</span> / <span class="weak">要確認 '
                f'{num(summary["weak_records"])}</span>）'
            ),
        ),
        (
            "ソース",
            (
                f"{len(report.sources):,}（失敗 {summary['sources_failed']:,} / 一部のみ "
                f"{summary['sources_partial']:,} / 中断 {summary['sources_interrupted']:,}）"
            ),
        ),
        ("開始", _when(report.started_at, report)),
        ("終了", _when(report.finished_at, report) + esc(_duration(report))),
    ]
    return f'<section id="summary"><h2>概要 (summary)</h2>{_definition_list(items)}</section>'


def _problems_cell(source: SourceResult) -> str:
    """The source's error (if any), then its notes, one per line."""
    error = [f'<span class="error">{esc(source.error)}</span>'] if source.error else []
    notes = [f'<span class="note">{esc(note)}</span>' for note in source.notes]
    return "<br>".join(error + notes) or "—"


def _per_source(report: Report) -> str:
    counts = per_source_counts(report)
    matches = report.matches
    records: dict[str, int] = (
        dict(matches.group_by("source").agg(pl.col("record_id").n_unique()).iter_rows()) if matches.height else {}
    )
    rows = []
    for number, source in enumerate(report.sources, start=1):
        matched, strong, weak = counts.get(source.path, (0, 0, 0))
        status = esc(source.status)
        rows.append(
            f'<tr data-src="{number}"><th>S{number}</th><td class="path">{esc(source.path)}</td>'
            f"<td>{esc(source.kind)}</td>"
            f'<td class="status-{status}">{esc(STATUS_JA.get(source.status, ""))} ({status})</td>'
            f'<td class="num">{num(source.rows)}</td><td class="num">{num(matched)}</td>'
            f'<td class="num strong">{num(strong)}</td><td class="num weak">{num(weak)}</td>'
            f'<td class="num">{num(records.get(source.path, 0))}</td><td>{_problems_cell(source)}</td></tr>'
        )
    return (
        '<section><h2>ソース別の概要 (per source)</h2><table id="sources"><thead><tr><th>番号</th><th>パス</th>'
        "<th>種類</th><th>状態</th><th>行数</th><th>一致した行</th><th>強</th><th>弱</th><th>レコード</th>"
        f"<th>エラー・注記</th></tr></thead><tbody>{''.join(rows)}</tbody></table></section>"
    )


def _records(report: Report, show_values: bool) -> str:
    table, count = records_table(report, show_values=show_values)
    if not count:
        return '<section id="matches"><h2>検出 (matches)</h2><p>漏えいレコードは見つかりませんでした。</p></section>'
    return (
        f'<section id="matches"><h2>検出 (matches): 漏えいレコード {count:,} 件</h2>'
        "<p>残存を確認 (strong) したレコードを先に、要確認 (weak) のレコードを後に表示します。"
        f"各行は仲介業者側の 1 行（または 1 箇所）です。</p><p class=\"note\">{legend(report)}</p>"
        '<div class="controls" id="record-controls"></div><div class="pager"></div>'
        f'<p class="print-only" id="print-scope">印刷の範囲: 全 {count:,} 件</p>'
        f'{table}<div class="pager"></div></section>'
    )


_SHELL_SAFE = re.compile(r"[^\s'\"\\$`!*?;&|<>(){}\[\]#~]+")


def _shell_word(word: str) -> str:
    """``word`` as a shell reads it: as is when safe (Japanese included), else quoted."""
    return word if _SHELL_SAFE.fullmatch(word) else shlex.quote(word)


def _gazetteer_line(used: dict[str, str]) -> str:
    """The gazetteer's source and the SHA-256 of its table, on one line."""
    if not used:
        return "—"
    return f"{esc(used.get('source', '—'))} · SHA-256 <code>{esc(used.get('sha256', '—'))}</code>"


def _run_record(report: Report) -> str:
    run = report.run
    options = " ".join(
        f"<code>{esc(key)}={esc(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))}</code>"
        for key, value in run.options.items()
    )
    zone = " ".join(part for part in (run.time_zone, f"(UTC{run.utc_offset})" if run.utc_offset else "") if part)
    items = [
        (
            "ツール (tool)",
            f"verifydel {esc(report.tool_version)} · 正規化 {esc(report.normalisation or '—')} · 報告書形式 {esc(REPORT_FORMAT)}",
        ),
        ("地名辞書 (gazetteer)", _gazetteer_line(report.gazetteer)),
        ("コマンド (command)", f"<code>{esc(' '.join(_shell_word(word) for word in run.command))}</code>" if run.command else "—"),
        ("オプション (options)", f'<span class="options">{options}</span>' if options else "—"),
        ("検査担当者 (operator)", esc(run.operator or "—")),
        ("事件・案件 (case)", esc(run.case or "—")),
        ("ホスト (host)", esc(run.host or "—")),
        ("時間帯 (time zone)", esc(zone or "—")),
        ("開始 (started)", _when(report.started_at, report)),
        ("終了 (finished)", _when(report.finished_at, report)),
        (
            "判定・終了コード",
            (
                f"{esc(_VERDICT_JA.get(report.verdict, report.verdict))} · 終了コード (exit code) "
                f"{int(report.exit_code)} · --fail-on {esc(run.fail_on)}"
            ),
        ),
    ]
    return f'<section id="run"><h2>実行記録 (run record)</h2>{_definition_list(items)}</section>'


def _pack(report: Report) -> str:
    pack = report.pack
    items = [
        ("SHA-256", f"<code>{esc(pack.sha256)}</code>"),
        ("照合鍵 ID (key id)", f"<code>{esc(pack.key_id)}</code>" if pack.key_id else "—"),
        ("レコード数", num(pack.records)),
        ("正規化", esc(pack.normalisation)),
    ]
    if pack.format:
        items.append(("形式", esc(pack.format)))
    if pack.tier != "full":
        items.append(
            ("段階 (tier)", f"{esc(pack.tier)} (照合値は規制当局が盲検で評価: 事業者は漏えいデータを保持しない)")
        )
    if pack.id_column_personal:
        items.append(("レコード ID", "個人情報を含む (--allow-personal-id)"))
    return f'<section id="pack"><h2>照合パック (pack)</h2>{_definition_list(items)}</section>'


def _signature(report: Report) -> str:
    signer = report.signer
    if signer is None:
        return (
            '<section id="signature"><h2>署名と検証 (signature)</h2><p>この報告書は署名されていません '
            "(unsigned)。後から改ざんがないことを示すには、<code>verifydel keygen --signing KEY</code> "
            "で署名鍵を作り、<code>verifydel scan ... --sign KEY</code> で報告書ごとに署名 "
            "(REPORT.sig) を付けてください。</p></section>"
        )
    items = [
        ("署名鍵 ID (key id)", f"<code>{esc(signer.key_id)}</code>"),
        ("公開鍵 (Ed25519, base64)", f"<code>{esc(signer.public_key)}</code>"),
    ]
    return (
        f'<section id="signature"><h2>署名と検証 (signature)</h2>{_definition_list(items)}'
        "<p>この HTML ファイルはそのバイト列ごと署名されています。署名は同じフォルダの、このファイルの名前に "
        "<code>.sig</code> を付けたファイル（例: <code>report.html.sig</code>）です。同じ scan で書いた"
        "ほかの報告書（JSON など）も、それぞれ同じ鍵で署名されています。</p><p>検証の方法 (how to verify): 署名者の公開鍵ファイル "
        "(KEY.pub) を別の経路で受け取り、次のいずれかを実行します。verifydel は署名した鍵の ID を表示します。"
        "上の鍵 ID と同じであることを確かめてください。</p><pre><code>"
        "verifydel verify report.json --public-key KEY.pub    # 署名と、集計・判定の整合性\n"
        "verifydel verify report.html --public-key KEY.pub    # この HTML の署名\n"
        "openssl pkeyutl -verify -pubin -inkey KEY.pub -rawin -in report.html -sigfile report.html.sig"
        "</code></pre><p>OpenSSL (3.0 以降) は成功すると “Signature Verified Successfully” と表示します。"
        "ファイルが 1 バイトでも変わっていれば検証は失敗します。</p></section>"
    )


def _columns_cell(columns: dict[str, list[str]]) -> str:
    if not columns:
        return "—"
    return "<br>".join(
        f"{field_ja(field)} ({esc(field)}) ← {', '.join(esc(c) for c in columns[field])}"
        for field in canonical_fields(list(columns))
    )


def _digest_cell(source: SourceResult) -> str:
    if source.sha256:
        return f"<code>{esc(source.sha256)}</code>"
    if source.row_digest:
        return f"行ダイジェスト (row digest) <code>{esc(source.row_digest)}</code>"
    return "—"


def _source_details(report: Report) -> str:
    any_details = any(source.details for source in report.sources)
    rows = []
    for number, source in enumerate(report.sources, start=1):
        details = (
            "<td>"
            + ("<br>".join(f"{esc(key)}: {esc(source.details[key])}" for key in sorted(source.details)) or "—")
            + "</td>"
            if any_details
            else ""
        )
        rows.append(
            f'<tr><th>S{number}</th><td class="path">{esc(source.path)}</td><td>{_columns_cell(source.columns)}</td>'
            f"<td>{esc(source.encoding or '—')}</td><td class=\"num\">{num(source.bytes)}</td>"
            f"<td>{_digest_cell(source)}</td>{details}</tr>"
        )
    details_head = "<th>詳細</th>" if any_details else ""
    return (
        '<section id="source-details"><h2>ソースの詳細 (sources)</h2><table><thead><tr><th>番号</th>'
        "<th>パス</th><th>照合した列</th><th>文字コード</th><th>バイト数</th><th>SHA-256</th>"
        f"{details_head}</tr></thead><tbody>{''.join(rows)}</tbody></table></section>"
    )


def _manifest(report: Report) -> str:
    media = [source for source in report.sources if source.medium is not None]
    if not media:
        return '<section id="media"><h2>媒体の一覧 (media)</h2><p>媒体の記録はありません。</p></section>'
    rows = "".join(
        f'<tr><td class="path">{esc(s.medium.path)}</td><td class="num">{num(s.medium.bytes)}</td>'
        f"<td><code>{esc(s.sha256 or '—')}</code></td></tr>"
        for s in media
        if s.medium is not None
    )
    return (
        '<section id="media"><h2>媒体の一覧 (media)</h2><p>検査で読んだファイルそのもの（与えられた、または'
        "フォルダ内で見つかったファイル）の SHA-256 です。<code>verifydel verify report.json --media PATH</code> "
        "で同じファイルかを確かめられます。</p><table><thead><tr><th>パス</th><th>バイト数</th><th>SHA-256</th>"
        f"</tr></thead><tbody>{rows}</tbody></table></section>"
    )


def render_html(report: Report, *, show_values: bool = False) -> str:
    """The report as one self-contained HTML page (UTF-8, ``lang="ja"``)."""
    verdict, summary = verdict_of(report), report.summary
    warning = (
        '<p class="warning">この報告書には個人情報が平文で含まれます (--show-values)。'
        "取り扱いに注意してください。</p>"
        if show_values
        else ""
    )
    return (
        '<!DOCTYPE html>\n<html lang="ja">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>verifydel 検査報告書: {esc(verdict.label)}</title>\n"
        f"<style>{STYLE}</style>\n<script>{EARLY_SCRIPT}</script>\n</head>\n<body>\n{warning}{_header(report, verdict, summary)}\n{_summary(report, summary)}\n"
        f"{_per_source(report)}\n{_records(report, show_values)}\n{_run_record(report)}\n"
        f"{_pack(report)}\n{_signature(report)}\n{_source_details(report)}\n{_manifest(report)}\n"
        f"<footer>verifydel {esc(report.tool_version)} · {esc(REPORT_FORMAT)}</footer>\n"
        f"<script>{SCRIPT}</script>\n</body>\n</html>\n"
    )


def write_html(report: Report, path: str | os.PathLike[str], *, show_values: bool = False) -> None:
    """Write the HTML report to ``path`` (UTF-8, replaced atomically)."""
    write_text_atomically(render_html(report, show_values=show_values), path)
