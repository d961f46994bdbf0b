"""A first row taken for the header that is really a record (issue 9, finding 5).

It is scanned as data too, reported as row 0 (the header line), and its cells, used
as column names, never reach a report or a note: the report shows ``column_N``.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from rich.console import Console

from verifydel.columns.header_row import could_be_data, personal_names
from verifydel.core.table import Table
from verifydel.fingerprint.build import build_pack
from verifydel.fingerprint.keys import generate_secret
from verifydel.fingerprint.pack import read_pack
from verifydel.pipeline.columns import ChosenColumns, numbered_batches, redact, shown_names
from verifydel.report import render_html, render_json, render_summary
from verifydel.scan import load_pack, scan

LEAKED = (
    "ID,氏名,住所,電話番号\n"
    "L1,山田 太郎,東京都港区芝公園4-2-8,03-1234-5678\n"
    "L2,佐藤 花子,大阪府大阪市北区梅田1-1-1,06-2345-6789\n"
)
#: The leaked record L1 as a broker wrote it: a bracketed phone the CSV reader's
#: header sniff does not take for data, so this line becomes the header.
RECORD = ("M1", "山田　太郎", "東京都港区芝公園4丁目2番8号", "(03)1234-5678")
OTHERS = [
    ("M2", "田中　一郎", "福岡県福岡市中央区天神2-3-4", "(092)111-2222"),
    ("M3", "中村　次郎", "愛知県名古屋市中区栄3-4-5", "(052)333-4444"),
    ("M4", "小林　三郎", "京都府京都市左京区岡崎5-6-7", "(075)555-6666"),
]
CLEAR = ["山田", "太郎", "芝公園", "1234-5678", "(03)"]


def _csv(rows: list[tuple[str, ...]]) -> str:
    return "".join(",".join(r) + "\n" for r in rows)


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    folder = tmp_path_factory.mktemp("pack")
    (folder / "leaked.csv").write_text(LEAKED, encoding="utf-8")
    secret = generate_secret()
    build_pack([str(folder / "leaked.csv")], secret, folder / "p.vdpack", id_column="ID")
    return load_pack(folder / "p.vdpack", secret)


def _outputs(report) -> str:  # noqa: ANN001
    console = Console(file=io.StringIO(), width=400, color_system=None)
    render_summary(report, console)
    return "\n".join([render_json(report), render_html(report), console.file.getvalue()])  # type: ignore[attr-defined]


def _xlsx(path: Path, rows: list[tuple[str, ...]]) -> None:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(list(row))
    book.save(path)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_record_in_the_header_line_is_found_as_row_0_and_not_shown(tmp_path: Path, pack, kind: str) -> None:  # noqa: ANN001
    path = tmp_path / f"members.{kind}"
    if kind == "csv":
        path.write_text(_csv([RECORD, *OTHERS]), encoding="utf-8")
    else:
        _xlsx(path, [RECORD, *OTHERS])
    report = scan([str(path)], pack)
    found = report.matches.filter(pl.col("record_id") == "L1")
    assert found["row"].to_list() == [0]
    assert found["strength"].to_list() == ["strong"]
    (source,) = report.sources
    assert source.rows == 1 + len(OTHERS)  # the header line is a scanned row
    shown = [c for cols in source.columns.values() for c in cols]
    assert shown and all(c.startswith("column_") for c in shown)
    text = _outputs(report)
    assert not [v for v in CLEAR if v in text]


def test_a_real_header_is_not_scanned_and_rows_keep_their_numbers(tmp_path: Path, pack) -> None:  # noqa: ANN001
    path = tmp_path / "members.csv"
    path.write_text(_csv([("会員番号", "氏名", "住所", "電話番号"), *OTHERS, RECORD]), encoding="utf-8")
    report = scan([str(path)], pack)
    assert report.matches["row"].to_list() == [len(OTHERS) + 1]
    (source,) = report.sources
    assert source.rows == len(OTHERS) + 1
    assert source.columns == {"name": ["氏名"], "address": ["住所"], "phone": ["電話番号"]}


def test_a_file_of_one_record_line_is_scanned(tmp_path: Path, pack) -> None:  # noqa: ANN001
    path = tmp_path / "one.csv"
    path.write_text(_csv([RECORD]), encoding="utf-8")
    report = scan([str(path)], pack)
    assert report.matches["row"].to_list() == [0]
    assert not [v for v in CLEAR if v in _outputs(report)]


def test_a_headerless_leaked_sheet_keeps_its_first_record(tmp_path: Path, pack) -> None:  # noqa: ANN001
    """fingerprint reads like scan: the first row of a sheet without a header is a record."""
    leaked = tmp_path / "leaked.xlsx"
    _xlsx(leaked, [RECORD, *OTHERS])
    secret = generate_secret()
    build_pack([str(leaked)], secret, tmp_path / "h.vdpack")
    _, contents, _ = read_pack(tmp_path / "h.vdpack", secret)
    assert contents.records["record_id"].to_list() == ["0", "1", "2", "3"]
    broker = tmp_path / "broker.csv"
    broker.write_text(_csv([("氏名", "住所", "電話番号"), RECORD[1:]]), encoding="utf-8")
    report = scan([str(broker)], load_pack(tmp_path / "h.vdpack", secret))
    assert report.matches["record_id"].to_list() == ["0"]


def test_a_leaked_set_with_a_real_header_is_read_as_before(tmp_path: Path) -> None:
    leaked = tmp_path / "leaked.csv"
    leaked.write_text(LEAKED, encoding="utf-8")
    secret = generate_secret()
    build_pack([str(leaked)], secret, tmp_path / "p.vdpack")
    _, contents, _ = read_pack(tmp_path / "p.vdpack", secret)
    assert contents.records["record_id"].to_list() == ["1", "2"]


@pytest.mark.parametrize(
    ("cells", "data"),
    [
        (["氏名", "住所", "電話番号", "備考"], False),
        (["会員番号", "氏名", "お届け先市区町村2", "住所2(番地・建物)", "TEL", "生年月日", "郵便番号"], False),
        (["顧客ランク", "地域", None, ""], False),
        (["住所1", "住所2", "TEL2", "member_id", "column_3", "NAME"], False),
        (list(RECORD), True),
        (["山田太郎", "東京都港区芝公園4丁目2番8号"], True),  # no phone: the address is a value
        (["山田太郎", "090-1234-5678"], True),
        (["taro@example.com", "x"], True),
    ],
)
def test_could_be_data(cells: list[str | None], data: bool) -> None:
    assert could_be_data(cells) is data


def test_personal_names() -> None:
    names = ["氏名", "住所", "TEL", "column_3", "山田　太郎", "東京都港区芝公園4丁目2番8号", "(03)1234-5678"]
    assert personal_names(names) == [False, False, False, False, True, True, True]


def test_notes_never_name_a_personal_column() -> None:
    shown = shown_names(["TEL", "山田　太郎", "山田　太郎_2"])
    assert shown == {"山田　太郎": "column_2", "山田　太郎_2": "column_3"}
    assert redact("name: used 山田　太郎_2, not 山田　太郎", shown) == "name: used column_3, not column_2"


def test_the_column_choice_sees_the_header_row(tmp_path: Path) -> None:
    """The first batch handed on starts with the header row (-1 rows before it)."""
    batch = pl.DataFrame({c: [v] for c, v in zip(["a", "b", "c", "d"], OTHERS[0], strict=True)})
    table = Table("t", "csv", ["a", "b", "c", "d"], iter([batch]), header_row=list(RECORD))
    chosen = ChosenColumns()
    (first, before), = list(numbered_batches(table, None, chosen))
    assert before == -1 and first.height == 2 and first.row(0) == RECORD
    assert chosen.matchable


def test_json_columns_show_positions(tmp_path: Path, pack) -> None:  # noqa: ANN001
    path = tmp_path / "members.csv"
    path.write_text(_csv([RECORD, *OTHERS]), encoding="utf-8")
    doc = json.loads(render_json(scan([str(path)], pack)))
    columns = doc["sources"][0]["columns"]
    assert columns["phone"] == ["column_4"]
