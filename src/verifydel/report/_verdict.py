"""The verdict a report leads with, worded once for the HTML page and the terminal.

It mirrors the exit code of ``verifydel scan`` (CONTRACT.md): FOUND if any leaked record
survives (whatever else happened), else NOT CONFIRMED if any source has gaps, else CLEAN.
"""

from __future__ import annotations

from dataclasses import dataclass

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
            f"漏えいレコード {summary['matched_records']:,} 件が {summary['matched_rows']:,} 行"
            f"（強 {summary['strong']:,} / 弱 {summary['weak']:,}）に残っています。{gaps_ja}",
            f"{summary['matched_records']:,} leaked record(s) found in {summary['matched_rows']:,} "
            f"broker row(s) ({summary['strong']:,} strong, {summary['weak']:,} weak).{gaps_en}",
        )
    if code == ExitCode.INCOMPLETE:
        return Verdict(
            code,
            "NOT CONFIRMED",
            "削除は確認できません（未走査の箇所あり）",
            f"漏えいレコードは見つかりませんでしたが、{incomplete:,} 件のソース"
            f"（失敗 {summary['sources_failed']:,} / 一部のみ {summary['sources_partial']:,}）"
            "を完全には走査できなかったため、削除は確認できません。",
            f"No leaked record found, but {incomplete:,} source(s) could not be scanned "
            f"completely ({summary['sources_failed']:,} failed, {summary['sources_partial']:,} "
            "partial): deletion is not confirmed.",
        )
    return Verdict(
        code,
        "CLEAN",
        "残存なし",
        f"{sources:,} 件のソース（{summary['rows_scanned']:,} 行）をすべて完全に走査し、"
        "漏えいレコードは見つかりませんでした。",
        f"No leaked record in {summary['rows_scanned']:,} rows; all {sources:,} source(s) "
        "scanned completely.",
    )
