"""The verdict a report leads with, worded once for the HTML page and the terminal.

It mirrors the exit code of ``verifydel scan`` (CONTRACT.md): FOUND if any leaked record
survives (whatever else happened), else NOT CONFIRMED if any source has gaps, else CLEAN.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from verifydel.exitcodes import ExitCode
from verifydel.report.model import Report


@dataclass(frozen=True)
class Verdict:
    code: ExitCode
    label: str  # FOUND | NOT CONFIRMED | CLEAN
    title_ja: str
    detail_ja: str
    detail_en: str


def verdict_of(report: Report) -> Verdict:
    code = report.exit_code
    summary = report.summary
    incomplete = report.incomplete_sources
    sources = len(report.sources)
    if code == ExitCode.FOUND:
        gaps_ja = (
            f"さらに {incomplete:,} 件のソースは完全には走査できていません。" if incomplete else ""
        )
        gaps_en = (
            f" {incomplete:,} source(s) could not be scanned completely." if incomplete else ""
        )
        return Verdict(
            code,
            "FOUND",
            "漏えいデータの残存を確認",
            f"残存を確認（強）: 漏えいレコード {summary['strong_records']:,} 件、"
            f"要確認（弱のみ: 1 項目の一致）: {summary['weak_records']:,} 件"
            f"（計 {summary['matched_rows']:,} 行: 強 {summary['strong']:,} / 弱 {summary['weak']:,}）。{gaps_ja}",
            f"{summary['strong_records']:,} leaked record(s) confirmed (strong match), "
            f"{summary['weak_records']:,} to review (single-field agreement only), in "
            f"{summary['matched_rows']:,} broker row(s) ({summary['strong']:,} strong, {summary['weak']:,} weak).{gaps_en}",
        )
    review_ja = review_en = ""
    if summary["weak_records"]:  # --fail-on strong: weak agreements do not decide, but are shown
        review_ja = f"なお、1 項目のみ一致（弱）のレコード {summary['weak_records']:,} 件は要確認です。"
        review_en = f" {summary['weak_records']:,} record(s) agree on one field only (weak): review them."
    if code == ExitCode.INCOMPLETE:
        return Verdict(
            code,
            "NOT CONFIRMED",
            "削除は確認できません（未走査の箇所あり）",
            f"漏えいレコードは見つかりませんでしたが、{incomplete:,} 件のソース"
            f"（失敗 {summary['sources_failed']:,} / 一部のみ {summary['sources_partial']:,}"
            f" / 中断 {summary['sources_interrupted']:,}）"
            f"を完全には走査できなかったため、削除は確認できません。{review_ja}",
            f"No leaked record found, but {incomplete:,} source(s) could not be scanned "
            f"completely ({summary['sources_failed']:,} failed, {summary['sources_partial']:,} "
            f"partial, {summary['sources_interrupted']:,} interrupted): deletion is not confirmed.{review_en}",
        )
    return Verdict(
        code,
        "CLEAN",
        "残存なし" if not summary["weak_records"] else "強い一致なし（弱い一致は要確認）",
        f"{sources:,} 件のソース（{summary['rows_scanned']:,} 行）をすべて完全に走査し、"
        f"漏えいレコードは見つかりませんでした。{review_ja}",
        f"No leaked record in {summary['rows_scanned']:,} rows; all {sources:,} source(s) "
        f"scanned completely.{review_en}",
    )


_UTC_OFFSET = re.compile(r"([+-])(\d{2}):?(\d{2})")


def zone_of(utc_offset: str) -> timezone | None:
    """``+09:00`` (or ``+0900``) as a time zone; None if it is not of that form."""
    found = _UTC_OFFSET.fullmatch(utc_offset)
    if found is None or int(found[2]) > 23 or int(found[3]) > 59:
        return None
    delta = timedelta(hours=int(found[2]), minutes=int(found[3]))
    return timezone(-delta if found[1] == "-" else delta)


def local_time(utc_iso: str, utc_offset: str) -> str:
    """An ISO-8601 UTC time shown in the inspector's zone (``+09:00``), as YYYY-MM-DD HH:MM:SS;
    as given when either cannot be read."""
    zone = zone_of(utc_offset)
    try:
        moment = datetime.fromisoformat(utc_iso)
    except ValueError:
        return utc_iso
    if zone is None:
        return utc_iso
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
