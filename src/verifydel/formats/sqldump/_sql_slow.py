"""Rows of INSERT ... VALUES lists one literal at a time: exact where the vectorised reader is not.

The fallback of ``_sql_values`` for blocks it cannot read (double-quoted strings,
E'' strings, anything malformed) and the one that says exactly where a row is
malformed. A regex per literal and Python per value: correct, not fast.
"""

from __future__ import annotations

import re
from typing import Final

import polars as pl

from verifydel.formats.sqldump._sql import READ_BYTES, Window

from verifydel.formats.sqldump._sql_run import Literals, Run

#: Bytes after a ";" within which the next statement's head must be readable to tell
#: whether it continues the run (else the block is cut before that row).
DECIDE_BYTES: Final = 4096

_OPEN_ROW: Final = re.compile(rb"\s*+\(")
_NEXT_ROW: Final = re.compile(rb"\s*+,\s*+(?=\()")
_COMMA, _CLOSE = b",)"


def slow_rows(
    window: Window, run: Run, lit: Literals, build: bool
) -> tuple[int, bool, pl.DataFrame | None, int | None]:
    """Rows from ``window.pos``, up to about one block: (bytes read, the run ended, the rows
    if ``build``, the stream offset of a malformed row to raise after them)."""
    buf, base, eof = window.buf, window.pos, window.eof
    rows: list[list[bytes]] = []
    at, ended, error_at = base, False, None
    while at - base < READ_BYTES:
        row = first_row(buf, at, lit, eof)
        if row is None:
            break
        if isinstance(row, int):
            error_at = row
            break
        cells, behind = row
        if run.width is None:
            run.width = len(cells)
        if len(cells) != run.width:
            error_at = after_space(buf, at)
            break
        step = _NEXT_ROW.match(buf, behind) or run.continuation(lit).match(buf, behind)
        if step is None and (step := run.end(lit).match(buf, behind)) is not None:
            ended = True
        if step is None:
            if not eof and len(buf) - behind < len(run.head) + DECIDE_BYTES:
                break
            error_at = after_space(buf, behind)
            break
        rows.append(cells)
        at = step.end()
        if ended:
            break
    frame = _cells_frame(rows, run.width or 0, lit) if build and rows else None
    offset = None if error_at is None else window.base + error_at
    return at - base, ended, frame, offset


def first_row(
    buf: bytes, at: int, lit: Literals, eof: bool
) -> tuple[list[bytes], int] | int | None:
    """The raw literals of the row at ``at`` and the position after its ")"; an int:
    malformed there; None: the buffer ends inside the row."""
    opened = _OPEN_ROW.match(buf, at)
    if opened is None:
        where = after_space(buf, at)
        return None if where >= len(buf) and not eof else where
    cells: list[bytes] = []
    at = opened.end()
    while True:
        found = lit.value.match(buf, at)
        if found is None:
            where = after_space(buf, at)
            if not eof and (where >= len(buf) or lit.open_literal.fullmatch(buf, where)):
                return None
            return where
        cells.append(found.group(1))
        at = found.end()
        if at >= len(buf):
            return None if not eof else at
        if buf[at] == _COMMA:
            at += 1
        elif buf[at] == _CLOSE:
            return cells, at + 1
        else:
            return at


def after_space(buf: bytes, at: int) -> int:
    while at < len(buf) and buf[at] in b" \t\n\r\f\v":
        at += 1
    return at


def _cells_frame(rows: list[list[bytes]], width: int, lit: Literals) -> pl.DataFrame:
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in range(width)]
    return pl.DataFrame(
        {
            f"c{j}": pl.Series([lit.decode(raw) for raw in column], dtype=pl.String)
            for j, column in enumerate(columns)
        }
    )
