"""Text for the HTML report: escaping (one value, or a whole column at once) and Japanese labels.

Paths, sheet names, record ids and clear values come from the party under inspection and
are hostile: everything goes through ``esc`` or ``esc_column`` (HTML-escaped, with control
and bidi-override characters made visible as in every other renderer, ``_text.visible``).
"""

from __future__ import annotations

import html

import polars as pl

from verifydel.report._text import visible

#: Field names in Japanese, for headings, tables and values (fields.FIELDS; unknown names as is).
FIELD_JA: dict[str, str] = {
    "name": "氏名",
    "name_kana": "フリガナ",
    "address": "住所",
    "postal": "郵便番号",
    "phone": "電話番号",
    "email": "メール",
    "birth_date": "生年月日",
}

STATUS_JA: dict[str, str] = {
    "scanned": "完了",
    "partial": "一部のみ",
    "failed": "失敗",
    "interrupted": "中断",
}

STRENGTH_JA: dict[str, str] = {"strong": "強", "weak": "弱"}

#: What ``visible`` rewrites (``_text._VISIBLE_TRANSLATION``), as a Rust regex class.
_NEEDS_VISIBLE = (
    r"[\x00-\x1f\x7f-\x9f\x{061C}\x{200E}\x{200F}\x{202A}-\x{202E}\x{2066}-\x{2069}]"
)
#: ``html.escape(quote=True)``, in the order it applies them (``&`` first).
_HTML_ENTITIES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("'", "&#x27;"))


def esc(value: object) -> str:
    """Text for HTML: escaped, with control and bidi-override characters made visible."""
    return html.escape(visible("" if value is None else str(value)), quote=True)


def field_ja(field: str) -> str:
    """A field's Japanese label, escaped (an unknown name is shown as it is)."""
    return esc(FIELD_JA.get(field, field))


def esc_column(strings: pl.Series) -> pl.Series:
    """``esc`` of every value of a String column, vectorised; nulls stay null.

    Almost no value holds a control character, so those are escaped with five literal
    replacements; the few that do are translated once per distinct value by ``esc`` itself.
    Byte-identical to ``esc`` (tests/report/test_report_html.py checks it).
    """
    frame = pl.DataFrame({"s": strings.cast(pl.String)})
    special = frame["s"].filter(frame["s"].str.contains(_NEEDS_VISIBLE).fill_null(False))
    escaped = {value: esc(value) for value in special.unique().to_list()}
    plain = pl.col("s")
    for char, entity in _HTML_ENTITIES:
        plain = plain.str.replace_all(char, entity, literal=True)
    if escaped:
        plain = (
            pl.when(pl.col("s").is_in(list(escaped)))
            .then(pl.col("s").replace_strict(escaped, default=None))
            .otherwise(plain)
        )
    return frame.select(plain.alias(strings.name))[strings.name]


def thousands(number: pl.Expr) -> pl.Expr:
    """A non-negative Int64 column as decimal text with thousands separators: ``f"{n:,}"``."""
    return (
        number.cast(pl.String)
        .str.reverse()
        .str.replace_all(r"(\d{3})", "${1},")
        .str.strip_suffix(",")
        .str.replace(r",-$", "-")
        .str.reverse()
    )


def num(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"
