"""The HTML report: self-contained, escaped, the right verdict, every record, the evidence, no clear values.

The page in a real browser (loads, filters, prints): test_report_html_browser.py.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
import time
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from verifydel.report import (
    FAILED,
    MATCH_SCHEMA,
    PARTIAL,
    SCANNED,
    SourceResult,
    _html_records,
    render_html,
    write_html,
)
from verifydel.report._html_text import esc, esc_column, thousands
from verifydel.report.model import Signer, Status

HOSTILE_PATH = "<script>alert(1)</script>.csv"


class _TagCollector(HTMLParser):
    """Every start tag and attribute, and whether each element is closed in order."""

    VOID = frozenset({"meta", "br", "link", "img"})

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []
        self.open: list[str] = []
        self.misnested = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend(attrs)
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.open and self.open[-1] == tag:
            self.open.pop()
        else:
            self.misnested += 1


def _tags(page: str) -> _TagCollector:
    collector = _TagCollector()
    collector.feed(page)
    return collector


def _match(source: str, row: int, record_id: str, strength: str = "weak") -> dict[str, Any]:
    return {
        "source": source,
        "row": row,
        "record_id": record_id,
        "fields": ["phone"],
        "strength": strength,
    }


def _csp(page: str) -> str:
    found = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page)
    assert found is not None
    return found[1]


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_page_is_self_contained_japanese_utf8(samples: Any) -> None:
    page = render_html(samples.sample_report())
    assert page.startswith('<!DOCTYPE html>\n<html lang="ja">')
    assert '<meta charset="utf-8">' in page
    parsed = _tags(page)
    assert parsed.tags.count("script") == 2 and parsed.tags.count("style") == 1
    assert "link" not in parsed.tags and "img" not in parsed.tags and "iframe" not in parsed.tags
    assert not any(name in {"src", "href", "action", "style"} for name, _ in parsed.attributes)
    assert "http://" not in page and "https://" not in page
    assert parsed.open == [] and parsed.misnested == 0


def test_policy_admits_only_the_page_own_style_and_script(samples: Any) -> None:
    """Hashes, not 'unsafe-inline': a smuggled <script> or <style> would not run."""
    page = render_html(samples.sample_report())
    policy = _csp(page)
    early, script = re.findall(r"<script>(.*?)</script>", page, re.DOTALL)
    style = re.search(r"<style>(.*?)</style>", page, re.DOTALL)
    assert style is not None
    assert f"script-src {_hash(early)} {_hash(script)};" in policy
    assert f"style-src {_hash(style[1])};" in policy
    assert "default-src 'none'" in policy and "base-uri 'none'" in policy and "form-action 'none'" in policy
    assert "unsafe" not in policy


@pytest.mark.parametrize(
    ("statuses", "with_match", "verdict", "css_class"),
    [
        ([SCANNED, FAILED], True, "FOUND", "found"),
        ([SCANNED, PARTIAL], False, "NOT CONFIRMED", "incomplete"),
        ([SCANNED, FAILED], False, "NOT CONFIRMED", "incomplete"),
        ([SCANNED, SCANNED], False, "CLEAN", "clean"),
    ],
)
def test_verdict_banner_mirrors_the_exit_code(
    samples: Any, statuses: list[Status], with_match: bool, verdict: str, css_class: str
) -> None:
    sources = [
        SourceResult(f"s{i}.csv", "csv", status, rows=5) for i, status in enumerate(statuses)
    ]
    report = samples.report_with(sources, [_match("s0.csv", 1, "R1")] if with_match else [])
    page = render_html(report)
    banner = re.search(r'<header class="verdict (\w+)"><p class="label">([^<]+)</p>', page)
    assert banner is not None and banner.groups() == (css_class, verdict)
    assert f"<title>verifydel 検査報告書: {verdict}</title>" in page


_RECORD = re.compile(
    r'<tbody class="(strong|weak)" data-src="([\d ]*)"><tr><th class="rid" rowspan="(\d+)"><code>([^<]+)</code>'
)


def test_matches_grouped_by_record_strong_first(samples: Any) -> None:
    page = render_html(samples.sample_report())
    records = [(rid, strength, sources, int(rows)) for strength, sources, rows, rid in _RECORD.findall(page)]
    # sources by number in the sources table: S1 the CSV, S2 the sheet, S4 the text, S5 the db
    assert records == [
        ("C0000001", "strong", "1", 2),
        ("C0000017", "strong", "1", 1),
        ("C0000042", "strong", "5", 2),
        ("C0000009", "weak", "1", 1),
        ("C0000003", "weak", "2 4", 2),
    ]
    assert "オフセット&nbsp;3,320 / ページ&nbsp;12 / 削除領域から復元" in page
    assert "stopped at row 41" in page and samples.SHEET_PATH in page


def test_each_match_says_which_fields_agreed_disagreed_or_were_missing(samples: Any) -> None:
    page = render_html(samples.sample_report())
    head = re.search(r'<table id="records"><thead><tr>(.*?)</tr></thead>', page)
    assert head is not None
    # Japanese labels, in FIELDS order; only fields some match speaks of
    assert re.findall(r'<th class="m">([^<]+)</th>', head[1]) == ["氏名", "住所", "郵便番号", "電話番号"]
    row = re.search(r"<code>C0000017</code></th>(.*?)</tr>", page)
    assert row is not None
    marks = re.findall(r'<td class="m[^"]*">([^<]*)</td>', row[1])
    # name agreed, address disagreed, postal held by one side only, phone agreed
    assert marks == ["○", "×", "－", "○"]
    assert "○ 一致 (agreed) / × 不一致 (disagreed" in page


def test_headline_separates_confirmed_from_to_review(samples: Any) -> None:
    page = render_html(samples.sample_report())
    header = page[page.index('<header class="verdict'):page.index("</header>")]
    assert '<div class="strong-count"><span class="n">3</span>件 <strong>残存を確認 (confirmed, strong)' in header
    assert '<div class="weak-count"><span class="n">2</span>件 <strong>要確認 (to review, weak)' in header


def test_sources_summarised_before_the_records(samples: Any) -> None:
    page = render_html(samples.sample_report())
    assert page.index('<table id="sources">') < page.index('<table id="records">')
    row = re.search(r'<tr data-src="1"><th>S1</th>(.*?)</tr>', page)
    assert row is not None
    cells = re.findall(r'<td class="num[^"]*">([^<]+)</td>', row[1])
    assert cells == ["1,200", "2", "1", "1", "3"]  # rows, matched rows (12 and 3), strong, weak, records


def test_run_record_pack_and_media(samples: Any) -> None:
    page = render_html(samples.sample_report())
    for text in (
        "verifydel 0.1.0 · 正規化 ja-normalise/1 · 報告書形式 verifydel-report/1",
        "<code>verifydel scan 顧客名簿 --pack leak.vdpack --key regulator.key --password &#x27;***&#x27;</code>",
        "<code>jobs=1</code> <code>password=given</code> <code>show_values=false</code>",
        "見本 検査官",
        "PPC-2024-001",
        "inspector-laptop",
        "2024-05-01 09:00:00 UTC / 2024-05-01 18:00:00 JST (UTC+09:00)",
        "2024-05-01 09:03:21 UTC / 2024-05-01 18:03:21 JST (UTC+09:00)（所要 3 分 21 秒）",
        "残存あり (found) · 終了コード (exit code) 3 · --fail-on any",
        f"<code>{'3f' * 32}</code>",
        "<dt>照合鍵 ID (key id)</dt><dd><code>0123456789abcdef</code></dd>",
        f"<code>{'b2' * 32}</code>",  # a sheet: its file's SHA-256
        '<span class="note">sheet is hidden</span>',
    ):
        assert text in page, text
    media = page[page.index('<section id="media">'):]
    assert re.findall(r'<td class="path">([^<]+)</td><td class="num">([^<]+)</td><td><code>(\w+)</code>', media) == [
        (samples.CSV_PATH, "204,800", "a1" * 32)
    ]


def test_local_time_left_out_when_no_offset_was_recorded(samples: Any) -> None:
    report = replace(samples.sample_report(), run=replace(samples.sample_report().run, utc_offset="", time_zone=""))
    page = render_html(report)
    assert "2024-05-01 09:00:00 UTC</dd>" in page and "JST" not in page


def test_signer_and_how_to_verify(samples: Any) -> None:
    unsigned = render_html(samples.sample_report())
    assert "この報告書は署名されていません" in unsigned and "--sign KEY" in unsigned
    signer = Signer(key_id="5f0c3a9d21b7e4aa", public_key="QUJD" * 11)
    page = render_html(replace(samples.sample_report(), signer=signer))
    assert "<dt>署名鍵 ID (key id)</dt><dd><code>5f0c3a9d21b7e4aa</code></dd>" in page
    assert f"<code>{'QUJD' * 11}</code>" in page
    assert "verifydel verify report.json --public-key KEY.pub" in page
    assert "openssl pkeyutl -verify -pubin -inkey KEY.pub -rawin -in report.html -sigfile report.html.sig" in page
    assert "report.html.sig" in page and "署名されていません" not in page


@pytest.mark.parametrize("values_in", ["frame", "column"])
def test_no_clear_value_unless_asked(samples: Any, values_in: str) -> None:
    report = samples.sample_report(values_in=values_in)
    hidden = render_html(report)
    assert not any(value in hidden for value in samples.CLEAR_VALUES)
    shown = render_html(report, show_values=True)
    assert all(value in shown for value in samples.CLEAR_VALUES)
    assert "個人情報が平文で含まれます" in shown and "個人情報が平文" not in hidden


def test_source_errors_and_notes_are_shown(samples: Any) -> None:
    page = render_html(samples.sample_report())
    assert '<span class="note">address: column addr chosen from its values' in page
    assert '<span class="error">not a Parquet file' in page


def test_locations_beyond_the_cap_are_counted_not_rendered(
    samples: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_html_records, "MAX_LOCATIONS_PER_RECORD", 2)
    matches = [_match("a.csv", row, f"R{row % 5}") for row in range(1, 21)]
    report = samples.report_with([SourceResult("a.csv", "csv", SCANNED, rows=20)], matches)
    page = render_html(report)
    assert page.count("<tbody class=") == 5  # every record, none cut
    assert page.count("2 more in the JSON report") == 5  # each record: 4 rows, 2 shown
    assert page.count('rowspan="3"') == 5  # 2 rows and the "more" line


def test_every_record_is_rendered_vectorised(samples: Any) -> None:
    """No cut at 10,000 records (the page's script pages them); fast enough for 200,000."""
    n = 200_000
    matches = pl.DataFrame(
        {
            "source": ["a.csv"] * n,
            "row": range(1, n + 1),
            "record_id": [f"R{i:06d}" for i in range(n)],
            "fields": [["phone"]] * n,
            "strength": ["weak"] * n,
        },
        schema=MATCH_SCHEMA,
    )
    base = samples.report_with([SourceResult("a.csv", "csv", SCANNED, rows=n)])
    started = time.perf_counter()
    page = render_html(replace(base, matches=matches))
    elapsed = time.perf_counter() - started
    assert page.count('<tbody class="weak"') == n
    assert "<code>R199999</code></th><td class=\"sref\">S1</td><td>行&nbsp;200,000</td>" in page
    assert elapsed < 20, f"{elapsed:.1f} s for {n:,} records (measured about 1 s)"


_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30)


@given(st.lists(st.one_of(st.none(), _TEXT), max_size=20))
def test_vectorised_escaping_is_esc(values: list[str | None]) -> None:
    series = pl.Series("s", values, dtype=pl.String)
    assert esc_column(series).to_list() == [None if v is None else esc(v) for v in values]


@given(st.lists(st.integers(min_value=0, max_value=2**62), max_size=20))
def test_thousands_is_python_format(numbers: list[int]) -> None:
    shown = pl.DataFrame({"n": numbers}, schema={"n": pl.Int64()}).select(thousands(pl.col("n")))["n"]
    assert shown.to_list() == [f"{n:,}" for n in numbers]


def test_escaping_sample_values() -> None:
    assert esc("<a href='x'>&\u202e") == html.escape("<a href='x'>&\\u202e", quote=True)


def test_write_html(samples: Any, tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    write_html(samples.sample_report(), path)
    assert path.read_bytes() == render_html(samples.sample_report()).encode("utf-8")
