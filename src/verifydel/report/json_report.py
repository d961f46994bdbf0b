"""The JSON report (CONTRACT.md "The JSON report"): what scripts read, so its shape is API.

Same report in, same bytes out: keys in a fixed order, ``ensure_ascii=False``, ``indent=2``,
matches in report order, a newline at the end. The matches array can hold millions of
entries, so it is built with polars string expressions, not a Python loop over dicts
(about 6x faster on 1M matches, see ``render_json``); the rest goes through ``json.dumps``.
The output is byte-identical to ``json.dumps(document, ensure_ascii=False, indent=2)``.
"""

from __future__ import annotations

import json
import os
from typing import Any

import polars as pl

from verifydel.report._files import write_text_atomically
from verifydel.report._matches import VALUE_PREFIX, attach_values, canonical_fields, ordered_matches
from verifydel.report._text import json_string_literals
from verifydel.report.model import REPORT_FORMAT, Report, SourceResult

TOOL_NAME = "verifydel"

#: Key order of ``summary`` (the last key is ours, beyond the contract's).
SUMMARY_KEYS: tuple[str, ...] = (
    "rows_scanned",
    "matched_rows",
    "matched_records",
    "strong",
    "weak",
    "sources_failed",
    "sources_partial",
    "sources_interrupted",
    "strong_records",
    "weak_records",
)

# indent=2: the matches array's items sit at depth 2, their keys at 3, list items at 4.
_ITEM_OPEN = "    {\n      "
_ITEM_CLOSE = "\n    }"
_KEY_SEPARATOR = ",\n      "
_DEPTH_3 = "\n      "
_DEPTH_4 = "\n        "
#: Match columns that are lists of field names, in the order they are written.
_LIST_KEYS = ("fields", "disagreed", "missing")
#: Match columns that are strings and always written (null as ``null``).
_STRING_KEYS = ("source", "record_id", "strength")
_EMPTY_MATCHES_TAIL = '  "matches": []\n}'


def _key(name: str) -> str:
    return json.dumps(name, ensure_ascii=False) + ": "


def _source_entry(source: SourceResult) -> dict[str, Any]:
    columns = {
        field: list(source.columns[field]) for field in canonical_fields(list(source.columns))
    }
    entry: dict[str, Any] = {
        "path": source.path,
        "kind": source.kind,
        "status": source.status,
        "rows": source.rows,
        "error": source.error,
        "columns": columns,
        "encoding": source.encoding,
        "bytes": source.bytes,
        "sha256": source.sha256,
        "notes": list(source.notes),
    }
    if source.row_digest is not None:
        entry["row_digest"] = source.row_digest
    if source.details:
        entry["details"] = {key: source.details[key] for key in sorted(source.details)}
    return entry


def report_document(report: Report) -> dict[str, Any]:
    """Everything in the JSON report except the matches (``"matches": []``)."""
    summary = report.summary
    run = report.run
    return {
        "format": REPORT_FORMAT,
        "tool": {
            "name": TOOL_NAME,
            "version": report.tool_version,
            "normalisation": report.normalisation,
            **({"gazetteer": dict(report.gazetteer)} if report.gazetteer else {}),
        },
        "pack": {
            "sha256": report.pack.sha256,
            "records": report.pack.records,
            "normalisation": report.pack.normalisation,
            "key_id": report.pack.key_id,
            **({"id_column_personal": True} if report.pack.id_column_personal else {}),
            **({"format": report.pack.format, "tier": report.pack.tier} if report.pack.tier != "full" else {}),
        },
        "run": {
            "command": list(run.command),
            "options": dict(run.options),
            "operator": run.operator,
            "case": run.case,
            "host": run.host,
            "time_zone": run.time_zone,
            "utc_offset": run.utc_offset,
            "fail_on": run.fail_on,
        },
        "started_at": report.started_at,
        "finished_at": report.finished_at,
        "verdict": report.verdict,
        "exit_code": int(report.exit_code),
        "signer": (
            None
            if report.signer is None
            else {"algorithm": "ed25519", "key_id": report.signer.key_id, "public_key": report.signer.public_key}
        ),
        "media": [
            {"path": s.medium.path, "bytes": s.medium.bytes, "sha256": s.sha256}
            for s in report.sources
            if s.medium is not None
        ],
        "sources": [_source_entry(source) for source in report.sources],
        "summary": {key: int(summary.get(key, 0)) for key in SUMMARY_KEYS},
        "matches": [],
    }


def _with_list_entry(matches: pl.DataFrame, column: str) -> pl.DataFrame:
    """Add ``__<column>_entry``: ``"<column>": [...]``, rendered once per distinct list of field
    names (null where the column is null: left out, except ``fields``, written as null)."""
    distinct = matches.select(column).unique(maintain_order=True)
    rendered = [
        None
        if fields is None and column != "fields"
        else _key(column)
        + (
            "null"
            if fields is None
            else json.dumps(canonical_fields(fields), ensure_ascii=False, indent=2).replace(
                "\n", _DEPTH_3
            )
        )
        for fields in distinct[column].to_list()
    ]
    entries = distinct.with_columns(pl.Series(_entry(column), rendered, dtype=pl.String()))
    return matches.join(entries, on=column, how="left", nulls_equal=True, maintain_order="left")


def _entry(column: str) -> str:
    return f"__{column}_entry"


def _optional_entry(matches: pl.DataFrame, column: str) -> pl.Expr | None:
    """``"column": value`` where present and non-null, else null (left out)."""
    if column not in matches.columns:
        return None
    # Int64 casts to its decimal digits, Boolean to true/false: both exactly as JSON writes them.
    return pl.concat_str([pl.lit(_key(column)), pl.col(column).cast(pl.String)])


def _values_entry(fields: list[str]) -> pl.Expr:
    """``"values": {...}``: the broker row's clear value of each field the match agrees on."""
    if not fields:
        return pl.lit(_key("values") + "{}")
    entries = pl.concat_str(
        [
            pl.when(pl.col("fields").list.contains(field)).then(
                pl.concat_str([pl.lit(_DEPTH_4 + _key(field)), pl.col(VALUE_PREFIX + field)])
            )
            for field in fields
        ],
        separator=",",
        ignore_nulls=True,
    )
    body = (
        pl.when(entries.str.len_bytes() == 0)
        .then(pl.lit("{}"))
        .otherwise(pl.concat_str([pl.lit("{"), entries, pl.lit(_DEPTH_3 + "}")]))
    )
    return pl.concat_str([pl.lit(_key("values")), body])


def _matches_items(report: Report, *, show_values: bool) -> pl.Series:
    """One rendered JSON object per match, in report order."""
    matches = ordered_matches(report)
    value_fields: list[str] = []
    if show_values:
        matches, value_fields = attach_values(matches, report.values)
    value_columns = [VALUE_PREFIX + field for field in value_fields]
    matches = matches.with_columns(
        *(json_string_literals(matches[c]).fill_null("null") for c in _STRING_KEYS),
        *(json_string_literals(matches[c]) for c in value_columns),  # null: left out
    )
    lists = [c for c in _LIST_KEYS if c in matches.columns]
    for column in lists:
        matches = _with_list_entry(matches, column)
    row_shown = pl.col("row").is_not_null()
    if "offset" in matches.columns:
        row_shown = row_shown | pl.col("offset").is_null()
    row = pl.col("row").cast(pl.String).fill_null("null")
    entries = [
        pl.concat_str([pl.lit(_key("source")), pl.col("source")]),
        pl.when(row_shown).then(pl.concat_str([pl.lit(_key("row")), row])),
        _optional_entry(matches, "offset"),
        _optional_entry(matches, "page"),
        pl.concat_str([pl.lit(_key("record_id")), pl.col("record_id")]),
        *(pl.col(_entry(c)) for c in lists),
        pl.concat_str([pl.lit(_key("strength")), pl.col("strength")]),
        _optional_entry(matches, "recovered"),
        _values_entry(value_fields) if show_values else None,
    ]
    body = pl.concat_str(
        [e for e in entries if e is not None], separator=_KEY_SEPARATOR, ignore_nulls=True
    )
    item = pl.concat_str([pl.lit(_ITEM_OPEN), body, pl.lit(_ITEM_CLOSE)])
    return matches.select(item.alias("item"))["item"]


def render_json(report: Report, *, show_values: bool = False) -> str:
    """The JSON report as text. Clear values appear only with ``show_values``.

    Measured on 1M matches (2-core AMD EPYC, polars 2.1): 1.9 s here against 11-13 s for
    ``json.dumps`` over a list of dicts (tests/report keeps that as the byte-for-byte oracle).
    """
    head = json.dumps(report_document(report), ensure_ascii=False, indent=2)
    if report.matches.height == 0:
        return head + "\n"
    assert head.endswith(_EMPTY_MATCHES_TAIL)
    items: str = _matches_items(report, show_values=show_values).str.join(",\n").item()
    return head[: -len("[]\n}")] + "[\n" + items + "\n  ]\n}\n"


def write_json(report: Report, path: str | os.PathLike[str], *, show_values: bool = False) -> None:
    """Write the JSON report to ``path`` (UTF-8, replaced atomically)."""
    write_text_atomically(render_json(report, show_values=show_values), path)


__all__ = ["TOOL_NAME", "render_json", "report_document", "write_json"]
