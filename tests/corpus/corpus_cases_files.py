"""Office and text cases: Excel with hidden and very hidden sheets and phones stored as numbers,
an old .xls, a CP932 CSV."""

from __future__ import annotations

import openpyxl
import polars as pl
from corpus_ctx import Ctx
from corpus_registry import Built, State, case

SCANNED = ("scanned",)
#: .xls holds at most 65,536 rows per sheet.
XLS_MAX_ROWS = 60_000


Sheet = tuple[str, str, list[list[object]]]  # title, state, rows (header first)


def _sheets(ctx: Ctx, built: Built, label: str, max_rows: int | None = None) -> list[Sheet]:
    """Three sheets (title, state, rows with header): visible, hidden (split columns), very hidden
    (the phone a number that lost its leading 0)."""
    out = []
    for title, state, layout, factor in [("会員一覧", "visible", "joined", 0.5), ("退会者", "hidden", "split", 0.3),
                                         ("bk", "veryHidden", "english", 0.3)]:  # fmt: skip
        rows = ctx.rows(factor) if max_rows is None else min(ctx.rows(factor), max_rows)
        frame, placed = ctx.table(rows, layout, digits=state == "veryHidden")
        if state == "veryHidden":  # PHONE typed in as a number: 090... became 90...
            frame = frame.with_columns(pl.col("_digits").cast(pl.Int64).alias("PHONE")).drop("_digits")
        ctx.plant(built, f"{label}!/{title}", placed)
        built.states.append(State(f"{label}!/{title}", SCANNED))
        built.rows += frame.height
        out.append((title, state, [frame.columns, *frame.rows()]))
    return out


@case("xlsx-hidden-sheets", "office")
def xlsx_hidden(ctx: Ctx) -> Built:
    path = ctx.dir("xlsx-hidden-sheets") / "customers.xlsx"
    label = ctx.label(path)
    built = Built([label])
    wb = openpyxl.Workbook(write_only=True)
    for title, state, rows in _sheets(ctx, built, label):
        ws = wb.create_sheet(title)
        ws.sheet_state = state
        for row in rows:
            ws.append(row)
    wb.save(path)
    return built


@case("xls-hidden-sheets", "office")
def xls_hidden(ctx: Ctx) -> Built:
    import xlwt

    path = ctx.dir("xls-hidden-sheets") / "old_customers.xls"
    label = ctx.label(path)
    built = Built([label])
    wb = xlwt.Workbook(encoding="utf-8")
    for title, state, rows in _sheets(ctx, built, label, XLS_MAX_ROWS):
        ws = wb.add_sheet(title)
        ws.visibility = {"visible": 0, "hidden": 1, "veryHidden": 2}[state]
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None:
                    ws.write(r, c, float(value) if isinstance(value, int) else value)
    wb.save(str(path))
    return built


@case("csv-cp932", "text")
def csv_cp932(ctx: Ctx) -> Built:
    """A Windows export: CP932, CRLF, split name and address columns, no BOM."""
    path = ctx.dir("csv-cp932") / "顧客一覧.csv"
    label = ctx.label(path)
    built = Built([label], states=[State(label, SCANNED)])
    text = ctx.csv(built, label, ctx.rows(), layout="split").decode("utf-8").replace("\n", "\r\n")
    path.write_bytes(text.encode("cp932"))
    return built
