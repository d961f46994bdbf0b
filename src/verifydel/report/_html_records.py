"""The HTML report's records table: every leaked record found, strong ones first, none cut.

One ``<tbody>`` per leaked record (its class ``strong`` or ``weak``, its sources in
``data-src``), one row per broker row it was found in (at most ``MAX_LOCATIONS_PER_RECORD``;
the rest are counted). Each row says where (source number ``S3`` from the sources table,
row or offset), how strongly, and for each field whether it agreed (○), disagreed (×) or
was held by one side only (－). The page's script filters and pages these bodies; without
it all are shown. Built with polars string expressions, no Python per match: 200,000
records render in about 2 s, 1,000,000 in about 13 s (200 MB of HTML) on 2 cores.
"""

from __future__ import annotations

import polars as pl

from verifydel.report._html_text import STRENGTH_JA, esc, esc_column, field_ja, thousands
from verifydel.report._matches import VALUE_PREFIX, attach_values, canonical_fields, ordered_matches
from verifydel.report.model import Report

#: Broker rows listed under one leaked record; the rest are counted (the JSON has them all).
MAX_LOCATIONS_PER_RECORD = 20

#: Mark per field: agreed, disagreed, held by one side only.
AGREED, DISAGREED, MISSING = "○", "×", "－"
_LIST_COLUMNS = ("fields", "disagreed", "missing")


def source_numbers(report: Report) -> dict[str, int]:
    """Source path -> its number in the sources table (1-based; a path listed twice: the first)."""
    numbers: dict[str, int] = {}
    for position, source in enumerate(report.sources, start=1):
        numbers.setdefault(source.path, position)
    return numbers


def _fields_shown(matches: pl.DataFrame) -> list[str]:
    present: set[str] = set()
    for column in _LIST_COLUMNS:
        if column in matches.columns:
            present.update(matches[column].explode().drop_nulls().unique().to_list())
    return canonical_fields(list(present))


def _contains(column: str, field: str, matches: pl.DataFrame) -> pl.Expr:
    if column not in matches.columns:
        return pl.lit(False)
    return pl.col(column).list.contains(field).fill_null(False)


def _mark_cell(field: str, matches: pl.DataFrame) -> pl.Expr:
    return (
        pl.when(_contains("fields", field, matches))
        .then(pl.lit(f'<td class="m ag">{AGREED}</td>'))
        .when(_contains("disagreed", field, matches))
        .then(pl.lit(f'<td class="m dis">{DISAGREED}</td>'))
        .when(_contains("missing", field, matches))
        .then(pl.lit(f'<td class="m mis">{MISSING}</td>'))
        .otherwise(pl.lit('<td class="m"></td>'))
    )


def _where_cell(matches: pl.DataFrame) -> pl.Expr:
    parts = [pl.concat_str([pl.lit("行&nbsp;"), thousands(pl.col("row"))])]
    for column, label in (("offset", "オフセット&nbsp;"), ("page", "ページ&nbsp;")):
        if column in matches.columns:
            parts.append(pl.concat_str([pl.lit(label), thousands(pl.col(column))]))
    if "recovered" in matches.columns:
        parts.append(
            pl.when(pl.col("recovered").fill_null(False)).then(pl.lit("削除領域から復元 (recovered)"))
        )
    where = pl.concat_str(parts, separator=" / ", ignore_nulls=True)
    return pl.concat_str(
        [pl.lit("<td>"), pl.when(where.str.len_bytes() > 0).then(where).otherwise(pl.lit("—")), pl.lit("</td>")]
    )


def _strength_cell() -> pl.Expr:
    cell = pl.concat_str([pl.lit('<td class="st">'), pl.col("__strength").fill_null("—"), pl.lit("</td>")])
    for strength, label in STRENGTH_JA.items():
        cell = pl.when(pl.col("strength") == strength).then(
            pl.lit(f'<td class="st {strength}">{label}</td>')
        ).otherwise(cell)
    return cell


def _values_cell(value_fields: list[str], matches: pl.DataFrame) -> pl.Expr:
    """The broker row's clear value of each field this match agrees on (``--show-values``)."""
    entries = [
        pl.when(_contains("fields", field, matches) & pl.col(VALUE_PREFIX + field).is_not_null()).then(
            pl.concat_str([pl.lit(f"{field_ja(field)}: "), pl.col(VALUE_PREFIX + field)])
        )
        for field in value_fields
    ]
    shown = pl.concat_str(entries, separator="<br>", ignore_nulls=True) if entries else pl.lit("")
    return pl.concat_str(
        [pl.lit("<td>"), pl.when(shown.str.len_bytes() > 0).then(shown).otherwise(pl.lit("—")), pl.lit("</td>")]
    )


def _head(fields: list[str], show_values: bool) -> str:
    marks = "".join(f'<th class="m">{field_ja(field)}</th>' for field in fields)
    values = "<th>値 (values)</th>" if show_values else ""
    return (
        '<thead><tr><th class="k">レコード ID</th><th class="k">ソース</th><th class="k">位置</th>'
        '<th class="k">強度</th>'
        f"{marks}{values}</tr></thead>"
    )


def records_table(report: Report, *, show_values: bool) -> tuple[str, int]:
    """The records ``<table id="records">`` and the number of leaked records in it."""
    matches = ordered_matches(report)
    if matches.height == 0:
        return "", 0
    value_fields: list[str] = []
    if show_values:
        matches, value_fields = attach_values(matches, report.values)
    fields = _fields_shown(matches)
    numbers = source_numbers(report)
    matches = matches.with_columns(
        pl.col("source").replace_strict(numbers, default=None, return_dtype=pl.Int64()).alias("__number"),
        esc_column(matches["source"]).alias("__source"),
        esc_column(matches["record_id"]).alias("__record"),
        esc_column(matches["strength"]).alias("__strength"),
        *(esc_column(matches[VALUE_PREFIX + f]).alias(VALUE_PREFIX + f) for f in value_fields),
    )
    source_cell = pl.concat_str(
        [
            pl.when(pl.col("__number").is_not_null())
            .then(pl.concat_str([pl.lit('<td class="sref">S'), pl.col("__number").cast(pl.String)]))
            .otherwise(pl.concat_str([pl.lit('<td class="path">'), pl.col("__source").fill_null("—")])),
            pl.lit("</td>"),
        ]
    )
    cells = [source_cell, _where_cell(matches), _strength_cell(), *(_mark_cell(f, matches) for f in fields)]
    if show_values:
        cells.append(_values_cell(value_fields, matches))
    located = matches.with_columns(pl.concat_str(cells).alias("__cells")).with_row_index("__index")
    bodies, count = _bodies(located, columns=4 + len(fields) + int(show_values))
    wrap = "records-wrap" if show_values else "records-wrap columns"  # values need the width
    return f'<div class="{wrap}"><table id="records">{_head(fields, show_values)}{bodies}</table></div>', count


def _records_of(located: pl.DataFrame) -> pl.DataFrame:
    """Per leaked record: its match count, strength, first position and sources (``"1 4"``).

    Plain aggregations and one join: a string join per group is ten times slower, so only
    records found in several sources get one."""
    records = located.group_by("__record").agg(
        pl.len().cast(pl.Int64).alias("n"),
        (pl.col("strength") == "strong").any().alias("strong"),
        pl.col("__index").min().alias("first"),
        pl.col("__number").drop_nulls().n_unique().alias("sources_n"),
        pl.col("__number").min().alias("lowest"),
    )
    several = records.filter(pl.col("sources_n") > 1).select("__record")
    listed = (
        located.join(several, on="__record", nulls_equal=True)
        .select("__record", "__number")
        .drop_nulls("__number")
        .unique()
        .sort("__number")
        .group_by("__record")
        .agg(pl.col("__number").cast(pl.String).str.join(" ").alias("listed"))
    )
    return records.join(listed, on="__record", how="left", nulls_equal=True).with_columns(
        pl.coalesce("listed", pl.col("lowest").cast(pl.String), pl.lit("")).alias("sources")
    )


def _bodies(located: pl.DataFrame, *, columns: int) -> tuple[str, int]:
    """One ``<tbody>`` per record, strong records first, each in order of first appearance.

    The rows are sorted so that each record's are together, then each row is written with
    what goes before it (the ``<tbody>`` and record id for a record's first row) and after
    it (the "more" line and ``</tbody>`` for its last): one string join of a column."""
    records = _records_of(located)
    rows = located.join(records, on="__record", how="left", nulls_equal=True).sort(
        ["strong", "first", "__index"], descending=[True, False, False]
    )
    position = pl.int_range(pl.len(), dtype=pl.Int64)
    opens = (pl.col("first") != pl.col("first").shift(1)).fill_null(True)
    rows = rows.with_columns(opens.alias("__opens")).with_columns(
        (position - pl.when(pl.col("__opens")).then(position).forward_fill()).alias("__k")
    )
    shown = pl.min_horizontal(pl.col("n"), pl.lit(MAX_LOCATIONS_PER_RECORD))
    hidden = pl.col("n") - MAX_LOCATIONS_PER_RECORD
    more = pl.when(hidden > 0).then(
        pl.concat_str(
            [
                pl.lit(f'<tr class="more"><td colspan="{columns - 1}">ほか '),
                thousands(hidden),
                pl.lit(" 箇所は JSON 報告書を参照 ("),
                thousands(hidden),
                pl.lit(" more in the JSON report)</td></tr>"),
            ]
        )
    )
    opening = pl.concat_str(
        [
            pl.when(pl.col("strong")).then(pl.lit('<tbody class="strong" data-src="')).otherwise(
                pl.lit('<tbody class="weak" data-src="')
            ),
            pl.col("sources"),
            pl.lit('"><tr><th class="rid" rowspan="'),
            (shown + (hidden > 0).cast(pl.Int64)).cast(pl.String),
            pl.lit('"><code>'),
            pl.col("__record").fill_null("—"),
            pl.lit("</code></th>"),
        ]
    )
    closing = pl.concat_str([pl.lit("</tr>"), more.fill_null(""), pl.lit("</tbody>")])
    row = pl.concat_str(
        [
            pl.when(pl.col("__opens")).then(opening).otherwise(pl.lit("</tr><tr>")),
            pl.col("__cells"),
            pl.when(pl.col("__k") == shown - 1).then(closing).otherwise(pl.lit("")),
        ]
    )
    bodies: str = rows.filter(pl.col("__k") < MAX_LOCATIONS_PER_RECORD).select(row.str.join("")).item()
    return bodies, records.height


def legend(report: Report) -> str:
    """What the marks of the records table mean."""
    return esc(
        f"{AGREED} 一致 (agreed) / {DISAGREED} 不一致 (disagreed: 両方にあり値が異なる) / "
        f"{MISSING} 一方のみ (missing: 片方にしかない) / 空欄: どちらにもない、または記録なし。"
        "ソース欄の S 番号は「ソース別の概要」の番号です。"
    ) if report.matches.height else ""
