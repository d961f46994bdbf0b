"""Cells as text: how any typed value (a float, a nested value, bytes) becomes the text a Table holds."""

from __future__ import annotations

from typing import Final

import polars as pl

#: Whole floats below this are written without ".0" (beyond it a float is no
#: longer an exact integer, and nothing personal is that long anyway).
EXACT_FLOAT_LIMIT: Final = float(2**53)


def whole_float_as_integer_text(expr: pl.Expr) -> pl.Expr:
    """A float column as text, whole values without ".0" (9012345678.0 → "9012345678").

    A phone stored as a number has lost its leading 0 and gained ".0"; the
    normaliser restores the 0 from the digits, so the ".0" must not add one.
    """
    whole = expr.is_finite() & (expr == expr.floor()) & (expr.abs() < EXACT_FLOAT_LIMIT)
    return (
        pl.when(whole)
        .then(expr.cast(pl.Int64, strict=False).cast(pl.String))
        .otherwise(expr.cast(pl.String))
    )


def as_text(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """``expr`` (of ``dtype``) as a pl.String expression: cells as text, nested ones as JSON."""
    if dtype == pl.String:
        return expr
    if dtype.is_float():
        return whole_float_as_integer_text(expr)
    if isinstance(dtype, pl.Struct):
        return pl.when(expr.is_not_null()).then(expr.struct.json_encode())
    if isinstance(dtype, (pl.List, pl.Array)):
        # Polars encodes structs only: wrap the list in {"v": ...} and unwrap the text.
        wrapped = pl.struct(expr.alias("v")).struct.json_encode()
        unwrapped = wrapped.str.strip_prefix('{"v":').str.strip_suffix("}")
        return pl.when(expr.is_not_null()).then(unwrapped)
    if dtype == pl.Binary:
        return expr  # decoded per batch: see binary_as_text
    return expr.cast(pl.String)


def binary_as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Binary columns as UTF-8 text; a value that is not valid UTF-8 becomes "0x" + hex."""
    for name, dtype in frame.schema.items():
        if dtype != pl.Binary:
            continue
        column = frame.get_column(name)
        try:
            text = column.cast(pl.String)
        except pl.exceptions.PolarsError:
            # Polars has no lossy or per-value UTF-8 decode. This slow path runs only for
            # batches of binary columns holding bytes that are not text.
            text = pl.Series(name, [_bytes_text(value) for value in column], dtype=pl.String)
        frame = frame.with_columns(text.alias(name))
    return frame


def _bytes_text(value: bytes | None) -> str | None:
    if value is None:
        return None
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return "0x" + value.hex()
