"""The CSV report (``--csv``): one line per match, for a spreadsheet or a quick script.

- UTF-8 **with a BOM**, CRLF line ends, RFC 4180 quoting (a cell holding a comma, quote or
  line break is quoted, quotes doubled). The BOM is what makes Excel read UTF-8: Excel on
  Japanese Windows opens a CSV without one as CP932 and garbles every Japanese path and
  sheet name. Scripts read it with ``encoding="utf-8-sig"`` (polars and pandas skip it).
- Columns: ``CSV_COLUMNS`` always, in that order (a location column a match lacks is
  empty), then ``VALUE_COLUMNS`` with ``--show-values`` only: the broker's own value of a
  field, only where the match agrees on that field (as in the JSON report).
- Field lists are joined by ``+`` in canonical field order (``name+phone``, as combination
  ids are spelt); an empty cell is "not known", ``""`` "none".
- Formula-safe: archive member names, sheet names and record ids come from hostile media.
  A cell starting with ``=``, ``+``, ``-``, ``@``, tab or CR (which a spreadsheet takes for a
  formula), or with ``'``, gets one leading ``'``; removing one leading ``'`` from a cell
  that starts with it gives the value back, whatever it was.

Vectorised: the per-match part is polars expressions and ``DataFrame.write_csv``.
"""

from __future__ import annotations

import polars as pl

from verifydel.fields import FIELDS
from verifydel.report._matches import VALUE_PREFIX, attach_values, ordered_matches
from verifydel.report.model import MATCH_SCHEMA, OPTIONAL_MATCH_SCHEMA, Report

#: The columns of every CSV report, in order.
CSV_COLUMNS: list[str] = [
    "source",
    "row",
    "offset",
    "page",
    "record_id",
    "strength",
    "fields",
    "disagreed",
    "missing",
    "recovered",
]
#: Added with ``--show-values``: one per field, in ``FIELDS`` order.
VALUE_COLUMNS: list[str] = [f"value_{field}" for field in FIELDS]
#: Field lists are joined with this (as combination ids: ``name+phone``).
LIST_SEPARATOR = "+"
#: A cell starting with one of these gets a leading apostrophe (see the module docstring).
_FORMULA_START = r"^[=+\-@\t\r']"
_FIELD_RANK: dict[str, int] = {name: rank for rank, name in enumerate(FIELDS)}


def _guarded(cell: pl.Expr) -> pl.Expr:
    """``cell`` with a leading ``'`` where a spreadsheet could take it for a formula."""
    return (
        pl.when(cell.str.contains(_FORMULA_START))
        .then(pl.concat_str([pl.lit("'"), cell]))
        .otherwise(cell)
    )


def _joined(column: str) -> pl.Expr:
    """A list of field names as ``name+address``, in ``FIELDS`` order (unknown names last)."""
    element = pl.element()
    rank = element.replace_strict(_FIELD_RANK, default=len(FIELDS), return_dtype=pl.Int64())
    return pl.col(column).list.eval(element.sort_by(rank, element)).list.join(LIST_SEPARATOR)


def _column(matches: pl.DataFrame, name: str) -> pl.Expr:
    dtype = {**MATCH_SCHEMA, **OPTIONAL_MATCH_SCHEMA}[name]
    return pl.col(name) if name in matches.columns else pl.lit(None, dtype=dtype)


def _cells(matches: pl.DataFrame) -> list[pl.Expr]:
    lists = {"fields", "disagreed", "missing"}
    cells: list[pl.Expr] = []
    for name in CSV_COLUMNS:
        expr = _column(matches, name)
        if name in lists:
            expr = _joined(name) if name in matches.columns else pl.lit(None, dtype=pl.String())
        elif name in ("source", "record_id", "strength"):
            expr = _guarded(expr)
        cells.append(expr.alias(name))
    return cells


def _value_cells(fields: list[str]) -> list[pl.Expr]:
    """The broker's value of each field, where the match agrees on it (else empty)."""
    return [
        (
            pl.when(pl.col("fields").list.contains(field)).then(_guarded(pl.col(VALUE_PREFIX + field)))
            if field in fields
            else pl.lit(None, dtype=pl.String())
        ).alias(f"value_{field}")
        for field in FIELDS
    ]


def render_csv(report: Report, *, show_values: bool = False) -> str:
    """The CSV report as text (BOM first). Clear values appear only with ``show_values``."""
    matches = ordered_matches(report)
    value_fields: list[str] = []
    if show_values:
        matches, value_fields = attach_values(matches, report.values)
    table = matches.select(*_cells(matches), *(_value_cells(value_fields) if show_values else []))
    return table.write_csv(include_bom=True, line_terminator="\r\n", quote_style="necessary")


__all__ = ["CSV_COLUMNS", "LIST_SEPARATOR", "VALUE_COLUMNS", "render_csv"]
