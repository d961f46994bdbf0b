"""Parquet: every column as text, in bounded batches; corrupt files are FormatErrors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from verifydel.errors import FormatError
from verifydel.formats import _frames, open_tables
from verifydel.sources import Unit


def _unit(path: Path) -> Unit:
    return Unit(label=path.name, path=path, size=path.stat().st_size)


def test_every_column_becomes_text(tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {
            "氏名": ["山田 太郎", None],
            "tel_as_float": [9012345678.0, 312345678.5],
            "tel_as_int": [9012345678, None],
            "born": [dt.date(1980, 1, 2), None],
            "seen": [dt.datetime(2024, 5, 6, 7, 8, 9), None],
            "vip": [True, False],
            "addr": [{"pref": "東京都", "no": 1}, None],
            "phones": [["090-1111-2222"], []],
            "raw": [b"\xe5\xb1\xb1", b"\xff\x00"],
            "nothing": [None, None],
        }
    )
    path = tmp_path / "export.bin"
    frame.write_parquet(path)
    [table] = open_tables(_unit(path))
    assert table.kind == "parquet"
    assert table.encoding is None
    assert table.columns == frame.columns
    [batch] = list(table.batches)
    assert all(dtype == pl.String for dtype in batch.dtypes)
    assert batch.row(0, named=True) == {
        "氏名": "山田 太郎",
        "tel_as_float": "9012345678",
        "tel_as_int": "9012345678",
        "born": "1980-01-02",
        "seen": "2024-05-06 07:08:09.000000",
        "vip": "true",
        "addr": '{"pref":"東京都","no":1}',
        "phones": '["090-1111-2222"]',
        "raw": "山",
        "nothing": None,
    }
    assert batch.row(1, named=True)["tel_as_float"] == "312345678.5"
    assert batch.row(1, named=True)["raw"] == "0xff00"
    assert batch.row(1, named=True)["addr"] is None
    assert batch.row(1, named=True)["phones"] == "[]"


def test_binary_that_is_not_utf8_becomes_hex(tmp_path: Path) -> None:
    path = tmp_path / "b.parquet"
    pl.DataFrame({"raw": [b"\xff\x00", None, "山".encode()]}).write_parquet(path)
    [table] = open_tables(_unit(path))
    assert [row for b in table.batches for row in b.rows()] == [("0xff00",), (None,), ("山",)]


def test_batches_are_bounded_and_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_frames, "BATCH_ROWS", 1000)
    path = tmp_path / "big.parquet"
    pl.DataFrame({"id": range(10_500)}).write_parquet(path, row_group_size=3000)
    [table] = open_tables(_unit(path))
    batches = list(table.batches)
    assert all(b.height <= 1000 for b in batches)
    assert [int(v) for b in batches for v in b["id"]] == list(range(10_500))


def test_a_truncated_parquet_file_is_a_format_error(tmp_path: Path) -> None:
    path = tmp_path / "cut.parquet"
    pl.DataFrame({"氏名": ["山田"] * 100}).write_parquet(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(FormatError, match="Parquet") as info:
        [table] = open_tables(_unit(path))
        list(table.batches)
    assert "山田" not in str(info.value)
