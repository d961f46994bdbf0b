"""Hostile text (issue 9): bytes that are not text planted to hide the rows of a table.

A NUL byte once made a CSV "binary" (only phone-shaped spans searched), and one invalid
byte sequence ended a file's reading there (the rows after it never scanned). Now the
bad bytes are replaced (invalid sequences by U+FFFD, NULs dropped), counted and located
in the source's details, and every row is scanned: each case plants survivors after
the bad bytes and expects them found at their own rows, the source ``scanned``.
"""

from __future__ import annotations

from pathlib import Path

from corpus_ctx import Ctx
from corpus_registry import Built, State, case

SCANNED = ("scanned",)


def _line_start(data: bytes, line: int) -> int:
    """The offset of the first byte of 1-based ``line`` of ``data``."""
    at = 0
    for _ in range(line - 1):
        at = data.index(b"\n", at) + 1
    return at


def _csv_case(ctx: Ctx, name: str, rows: int, encoding: str = "utf-8") -> tuple[Built, Path, bytes]:
    """A broker CSV with survivors all through it (one planted table), not yet written."""
    path = ctx.dir(name) / "members.csv"
    label = ctx.label(path)
    built = Built([label], states=[State(label, SCANNED)])
    return built, path, ctx.csv(built, label, rows, encoding=encoding)


@case("csv-nul-in-first-line", "hostile")
def nul_in_first_line(ctx: Ctx) -> Built:
    """NULs in the header line (inside a column name) and at the start of a later line:
    the file is still a table, its header whole, every survivor found at its row."""
    built, path, data = _csv_case(ctx, "csv-nul-in-first-line", max(200, ctx.rows(0.3)))
    first = data.index(b",")  # inside the first column name's line, before its first comma
    data = data[: first - 1] + b"\x00" + data[first - 1 :]
    later = _line_start(data, 50)
    data = data[:later] + b"\x00\x00" + data[later:]
    path.write_bytes(data)
    return built


@case("csv-nul-block-at-top", "hostile")
def nul_block_at_top(ctx: Ctx) -> Built:
    """16 KiB of NUL bytes before the header (more than the bytes binary detection looks
    at): the rest still looks like a table, so it is read as one."""
    built, path, data = _csv_case(ctx, "csv-nul-block-at-top", max(200, ctx.rows(0.3)))
    path.write_bytes(bytes(16 << 10) + data)
    return built


@case("csv-invalid-utf8-line-4", "hostile")
def invalid_utf8_line_4(ctx: Ctx) -> Built:
    """An invalid UTF-8 sequence opening line 4 (in the ID cell of data row 3): the rows
    before and after it are scanned (once the file ended there, partial)."""
    built, path, data = _csv_case(ctx, "csv-invalid-utf8-line-4", max(200, ctx.rows(0.3)))
    at = _line_start(data, 4)
    data = data[:at] + b"\xff\xc3\x28\xed\xa0\x80" + data[at:]  # invalid, bad continuation, surrogate
    path.write_bytes(data)
    return built


@case("csv-cp932-invalid-near-top", "hostile")
def cp932_invalid_near_top(ctx: Ctx) -> Built:
    """A CP932 CSV (no --encoding: detected) with a lead byte followed by no trail byte
    opening line 2: detected as CP932 all the same, every row after it scanned."""
    built, path, data = _csv_case(ctx, "csv-cp932-invalid-near-top", max(200, ctx.rows(0.3)), "cp932")
    at = _line_start(data, 2)
    data = data[:at] + b"\x81 " + data[at:]
    path.write_bytes(data)
    return built


@case("jsonl-with-nul", "hostile")
def jsonl_with_nul(ctx: Ctx) -> Built:
    """JSON Lines with a NUL before its first object and one between two later objects."""
    path = ctx.dir("jsonl-with-nul") / "members.jsonl"
    label = ctx.label(path)
    built = Built([label], states=[State(label, SCANNED)])
    frame, placed = ctx.table(max(200, ctx.rows(0.3)))
    ctx.plant(built, label, placed)
    built.rows += frame.height
    data = frame.write_ndjson().encode()
    later = _line_start(data, 30)
    path.write_bytes(b"\x00" + data[:later] + b"\x00" + data[later:])
    return built
