"""JSON Lines: objects are rows, keys are columns, nested values are JSON text."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from verifydel.errors import FormatError
from verifydel.formats import _frames, open_tables
from verifydel.core.table import Table
from verifydel.sources import Unit


def _write(path: Path, data: bytes) -> Unit:
    path.write_bytes(data)
    return Unit(label=path.name, path=path, size=len(data))


def _only_table(unit: Unit) -> Table:
    [table] = open_tables(unit)
    return table


def _frame(table: Table) -> pl.DataFrame:
    return pl.concat(list(table.batches)) if table.columns else pl.DataFrame()


RECORDS = [
    {
        "氏名": "山田 太郎",
        "tel": "0312345678",
        "age": 41,
        "vip": True,
        "addr": {"pref": "東京都", "city": "千代田区"},
    },
    {"氏名": "佐藤 花子", "phones": ["090-1111-2222", "03-3333-4444"], "score": 1.5},
    {"氏名": "鈴木 一郎", "tel": None, "": "empty key"},
]


def _jsonl(records: list[dict[str, object]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932", "euc_jp", "utf-16"])
def test_objects_become_rows_of_text(tmp_path: Path, encoding: str) -> None:
    table = _only_table(_write(tmp_path / "x.log", _jsonl(RECORDS).encode(encoding)))
    assert table.kind == "jsonl"
    assert table.columns == ["氏名", "tel", "age", "vip", "addr", "phones", "score", "column_8"]
    frame = _frame(table)
    assert all(dtype == pl.String for dtype in frame.dtypes)
    assert frame["氏名"].to_list() == ["山田 太郎", "佐藤 花子", "鈴木 一郎"]
    assert frame["tel"].to_list() == ["0312345678", None, None]
    assert frame["age"].to_list() == ["41", None, None]
    assert frame["vip"].to_list() == ["true", None, None]
    assert json.loads(frame["addr"][0]) == {"pref": "東京都", "city": "千代田区"}
    assert json.loads(frame["phones"][1]) == ["090-1111-2222", "03-3333-4444"]
    assert frame["column_8"].to_list() == [None, None, "empty key"]


def test_keys_whose_value_types_disagree_still_union(tmp_path: Path) -> None:
    records = [{"a": {"x": 1}, "b": 1}, {"a": [1, 2], "b": "two"}, {"c": "late key"}]
    frame = _frame(_only_table(_write(tmp_path / "mixed.jsonl", _jsonl(records).encode())))
    assert frame.columns == ["a", "b", "c"]
    assert frame["b"].to_list() == ["1", "two", None]
    assert frame["c"].to_list() == [None, None, "late key"]


def test_blank_lines_are_skipped(tmp_path: Path) -> None:
    data = "\n\n" + _jsonl(RECORDS[:1]) + "\n   \n" + _jsonl(RECORDS[1:2])
    assert _frame(_only_table(_write(tmp_path / "b.jsonl", data.encode()))).height == 2


def test_batches_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_frames, "BATCH_ROWS", 10)
    records = [{"id": i, "name": f"名前{i}"} for i in range(95)]
    batches = list(_only_table(_write(tmp_path / "n.jsonl", _jsonl(records).encode())).batches)
    assert all(b.height <= 10 for b in batches)
    assert [row[0] for b in batches for row in b.rows()] == [str(i) for i in range(95)]


@pytest.mark.parametrize(
    "broken",
    ['{"氏名": "山田", "tel": "0312345678"\n', '["山田", "0312345678"]\n'],
    ids=["unterminated-object", "array-line"],
)
def test_a_broken_line_is_a_format_error_without_values(tmp_path: Path, broken: str) -> None:
    data = _jsonl(RECORDS[:2]) + broken + _jsonl(RECORDS[2:])
    table = _only_table(_write(tmp_path / "broken.jsonl", data.encode()))
    with pytest.raises(FormatError) as info:
        list(table.batches)
    assert "山田" not in str(info.value) and "0312345678" not in str(info.value)
