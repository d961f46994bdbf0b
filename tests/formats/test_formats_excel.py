"""Excel: every sheet (hidden and very hidden too), cells as the text a person reads."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from verifydel.errors import FormatError
from verifydel.formats import open_tables
from verifydel.formats.excel import _workbook as _excel
from verifydel.core.table import Table
from verifydel.sources import Unit


def _unit(path: Path, label: str = "broker/members.xlsx") -> Unit:
    return Unit(label=label, path=path, size=path.stat().st_size)


def _rows(table: Table) -> list[tuple[str | None, ...]]:
    return [row for batch in table.batches for row in batch.rows()]


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    wb = openpyxl.Workbook()
    visible = wb.active
    visible.title = "会員"
    visible.append([])  # leading empty rows: the first non-empty row is the header
    visible.append([None, None])
    visible.append(["氏名", "TEL", "TEL", None, "登録日", "更新", "VIP", "回数", "メモ"])
    visible.append(
        [
            "山田 太郎",
            9012345678,
            312345678.0,
            "x",
            dt.date(2020, 1, 2),
            dt.datetime(2021, 3, 4, 5, 6, 7),
            True,
            3,
            None,
        ]
    )
    visible.append(
        ["佐藤 花子", "090-1111-2222", 1.5, None, dt.datetime(2022, 5, 6), None, False, 0.0, ""]
    )
    hidden = wb.create_sheet("退会者")
    hidden.append(["氏名", "電話番号"])
    hidden.append(["鈴木 一郎", "0311112222"])
    hidden.sheet_state = "hidden"
    very_hidden = wb.create_sheet("bk")
    very_hidden.append(["住所"])
    very_hidden.append(["東京都千代田区千代田1-1"])
    very_hidden.sheet_state = "veryHidden"
    wb.create_sheet("空")
    path = tmp_path / "members.dat"  # the extension does not matter
    wb.save(path)
    return path


def test_every_sheet_is_a_table_hidden_ones_included(workbook: Path) -> None:
    tables = open_tables(_unit(workbook))
    assert [t.label for t in tables] == [
        "broker/members.xlsx!/会員",
        "broker/members.xlsx!/退会者",
        "broker/members.xlsx!/bk",
        "broker/members.xlsx!/空",
    ]
    assert {t.kind for t in tables} == {"xlsx"}
    visible, hidden, very_hidden, empty = tables
    assert visible.notes == []
    assert hidden.notes == [_excel.HIDDEN_NOTE]
    assert very_hidden.notes == [_excel.VERY_HIDDEN_NOTE]
    assert _rows(hidden) == [("鈴木 一郎", "0311112222")]
    assert _rows(very_hidden) == [("東京都千代田区千代田1-1",)]
    assert empty.columns == [] and list(empty.batches) == []


def test_cells_become_the_text_a_person_reads(workbook: Path) -> None:
    visible = open_tables(_unit(workbook))[0]
    assert visible.columns == [
        "氏名",
        "TEL",
        "TEL_2",
        "column_4",
        "登録日",
        "更新",
        "VIP",
        "回数",
        "メモ",
    ]
    batches = list(visible.batches)
    assert all(dtype == pl.String for b in batches for dtype in b.dtypes)
    assert _rows_of(batches) == [
        (
            "山田 太郎",
            "9012345678",
            "312345678",
            "x",
            "2020-01-02",
            "2021-03-04 05:06:07",
            "TRUE",
            "3",
            None,
        ),
        ("佐藤 花子", "090-1111-2222", "1.5", None, "2022-05-06", None, "FALSE", "0", None),
    ]


def _rows_of(batches: list[pl.DataFrame]) -> list[tuple[str | None, ...]]:
    return [row for batch in batches for row in batch.rows()]


def test_batches_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_excel, "BATCH_ROWS", 4)
    wb = openpyxl.Workbook()
    sheet = wb.active
    sheet.append(["id", "tel"])
    for i in range(10):
        sheet.append([i, f"0{i}0-0000-0000"])
    path = tmp_path / "n.xlsx"
    wb.save(path)
    [table] = open_tables(_unit(path))
    batches = list(table.batches)
    assert [b.height for b in batches] == [4, 4, 2]
    assert [row[0] for row in _rows_of(batches)] == [str(i) for i in range(10)]


def test_a_chart_sheet_is_an_empty_table(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active.append(["a"])
    wb.create_chartsheet("グラフ")
    path = tmp_path / "c.xlsx"
    wb.save(path)
    tables = open_tables(_unit(path))
    assert [t.label.rsplit("!/", 1)[1] for t in tables] == ["Sheet", "グラフ"]
    assert tables[1].columns == []


def test_a_truncated_workbook_is_a_format_error(workbook: Path) -> None:
    data = workbook.read_bytes()
    workbook.write_bytes(data[: len(data) // 2])
    # Cut in half, the zip has lost its directory; its first parts still say "workbook".
    with pytest.raises(FormatError, match="xlsx") as info:
        for table in open_tables(_unit(workbook)):
            list(table.batches)
    assert "山田" not in str(info.value)


def test_a_garbled_workbook_is_a_format_error(workbook: Path) -> None:
    import zipfile

    garbled = workbook.with_suffix(".garbled")
    with zipfile.ZipFile(workbook) as src, zipfile.ZipFile(garbled, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            dst.writestr(
                item, data[: len(data) // 3] if item.filename.startswith("xl/worksheets/") else data
            )
    with pytest.raises(FormatError, match="xlsx") as info:
        for table in open_tables(_unit(garbled)):
            list(table.batches)
    assert "山田" not in str(info.value)


def test_xls_every_sheet_with_visibility(tmp_path: Path) -> None:
    xlwt = pytest.importorskip("xlwt")  # test-only: writes .xls files
    wb = xlwt.Workbook(encoding="utf-8")
    sheet = wb.add_sheet("会員")
    for col, value in enumerate(["氏名", "TEL", "登録日", "VIP"]):
        sheet.write(0, col, value)
    sheet.write(1, 0, "山田 太郎")
    sheet.write(1, 1, 9012345678.0)
    sheet.write(1, 2, dt.date(2020, 1, 2), xlwt.easyxf(num_format_str="YYYY-MM-DD"))
    sheet.write(1, 3, True)
    hidden = wb.add_sheet("hidden")
    hidden.write(0, 0, "x")
    hidden.visibility = 1
    very_hidden = wb.add_sheet("very")
    very_hidden.write(0, 0, "y")
    very_hidden.visibility = 2
    path = tmp_path / "old.csv"  # an .xls named .csv
    wb.save(str(path))
    tables = open_tables(_unit(path, "old.xls"))
    assert [(t.label, t.kind) for t in tables] == [
        ("old.xls!/会員", "xls"),
        ("old.xls!/hidden", "xls"),
        ("old.xls!/very", "xls"),
    ]
    assert _rows(tables[0]) == [("山田 太郎", "9012345678", "2020-01-02", "TRUE")]
    assert tables[1].notes == [_excel.HIDDEN_NOTE]
    assert tables[2].notes == [_excel.VERY_HIDDEN_NOTE]


def test_an_ole2_file_that_is_not_a_workbook_is_a_format_error(tmp_path: Path) -> None:
    path = tmp_path / "memo.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4000)
    with pytest.raises(FormatError, match="xls"):
        open_tables(_unit(path))
