"""Turning strings from the report into safe output: JSON literals and display text.

Paths, sheet names and record ids come from hostile media. JSON gets exactly what
``json.dumps(..., ensure_ascii=False)`` would write; terminal and HTML get control and
bidirectional-override characters made visible, so a path cannot move the cursor, recolour
the terminal or pretend to end in ``.pdf``.
"""

from __future__ import annotations

import json

import polars as pl

#: What ``json.dumps(ensure_ascii=False)`` escapes: C0 controls, quote and backslash.
_JSON_NEEDS_ESCAPE = r'[\x00-\x1f"\\]'

#: Characters that reorder text on screen (LRE, RLE, PDF, LRO, RLO, isolates, marks).
_BIDI_CONTROLS = [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_VISIBLE_TRANSLATION: dict[int, str] = {
    cp: (f"\\x{cp:02x}" if cp < 0x100 else f"\\u{cp:04x}")
    for cp in [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0), *_BIDI_CONTROLS]
}


def json_string_literals(strings: pl.Series) -> pl.Series:
    """Each string as its JSON literal (quotes included), byte-identical to ``json.dumps``.

    Vectorised: almost no value needs escaping, so those are simply quoted; the few that do
    are escaped once per distinct value by ``json.dumps`` itself. Nulls stay null.
    """
    strings = strings.cast(pl.String)
    frame = pl.DataFrame({"s": strings})
    needs_escape = frame["s"].str.contains(_JSON_NEEDS_ESCAPE).fill_null(False)
    special = frame["s"].filter(needs_escape).unique().to_list() if needs_escape.any() else []
    escaped = {value: json.dumps(value, ensure_ascii=False) for value in special}
    s = pl.col("s")
    plain = pl.concat_str([pl.lit('"'), s, pl.lit('"')])
    literal = (
        pl.when(s.is_in(list(escaped)))
        .then(s.replace_strict(escaped, default=None))
        .otherwise(plain)
        if escaped
        else plain
    )
    return frame.select(literal.alias(strings.name))[strings.name]


def visible(text: str) -> str:
    """``text`` with control and bidi-override characters shown as ``\\xNN``/``\\uNNNN``."""
    return text.translate(_VISIBLE_TRANSLATION)
