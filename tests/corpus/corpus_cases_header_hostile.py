"""A leaked record in the line taken for the header (issue 9, finding 5).

A CSV without a header whose first line the reader takes for one (its phone is
bracketed, which the header sniff does not read as data), and a workbook sheet
whose first row is a record (a sheet's first row is always taken for the header).
In each, that first line holds the only survivor: it must be found, as row 0 (the
header line), and its clear name, address and phone must appear nowhere in the
report, not even as the column names it gave.
"""

from __future__ import annotations

import openpyxl
import polars as pl
from corpus_ctx import Ctx
from corpus_registry import Built, Decoy, Expect, State, case

SCANNED = ("scanned",)
SHEET = "members"


def _record_first(ctx: Ctx, built: Built, label: str, *, bracketed: bool) -> pl.DataFrame:
    """A broker table of one survivor (on its first line), a namesake, a reassigned phone and
    filler; the survivor expected at row 0 and its cells recorded as values never to show."""
    frame, placed = ctx.table(ctx.rows(0.2), survivors=1, digits=True)
    (row, rid), = placed.survivors
    at = row - 1
    order = [at, *[i for i in range(frame.height) if i != at]]
    frame = frame.select(pl.all().gather(order))
    if bracketed:  # "(090)1234-5678": not a phone to the CSV header sniff
        d = pl.col("_digits")
        bracket = pl.concat_str([pl.lit("("), d.str.slice(0, 3), pl.lit(")"), d.str.slice(3, 4), pl.lit("-"),
                                 d.str.slice(7, 4)])  # fmt: skip
        first = pl.int_range(pl.len()) == 0
        frame = frame.with_columns(pl.when(first).then(bracket).otherwise(pl.col("電話番号")).alias("電話番号"))
    frame = frame.drop("_digits")
    built.expect.append(Expect(label, rid, "strong", 0))
    built.decoys += [Decoy(label, r, "none") for _, r in placed.namesakes]
    built.decoys += [Decoy(label, r, "weak") for _, r in placed.reassigned]
    built.rows += frame.height
    survivor = frame.row(0, named=True)
    built.absent += [str(survivor[c]).strip() for c in ("氏名", "住所", "電話番号")]
    return frame


@case("header-line-record-csv", "hostile")
def header_line_csv(ctx: Ctx) -> Built:
    path = ctx.dir("header-line-record-csv") / "members.csv"
    label = ctx.label(path)
    built = Built([label], states=[State(label, SCANNED)])
    frame = _record_first(ctx, built, label, bracketed=True)
    path.write_bytes(frame.write_csv(include_header=False).encode("utf-8"))
    return built


@case("header-line-record-xlsx", "hostile")
def header_line_xlsx(ctx: Ctx) -> Built:
    path = ctx.dir("header-line-record-xlsx") / "members.xlsx"
    label = ctx.label(path)
    sheet = f"{label}!/{SHEET}"
    built = Built([label], states=[State(sheet, SCANNED)])
    frame = _record_first(ctx, built, sheet, bracketed=False)
    book = openpyxl.Workbook(write_only=True)
    ws = book.create_sheet(SHEET)
    for row in frame.rows():
        ws.append(list(row))
    book.save(path)
    return built
