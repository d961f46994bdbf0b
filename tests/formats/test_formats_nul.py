"""Issue 9: NUL bytes do not make a table "binary"; they are dropped, counted and located."""

from __future__ import annotations

from pathlib import Path

import pytest

from verifydel.core.unit import Unit
from verifydel.formats import open_tables
from verifydel.formats._probe import Probe

HEADER = "氏名,住所,電話番号\n"
ROWS = "".join(f"会員 {i},架空県架空市{i}番地,050-0000-{i:04d}\n" for i in range(300))


def _unit(path: Path, data: bytes) -> Unit:
    path.write_bytes(data)
    return Unit(label=path.name, path=path)


def _rows(unit: Unit, **kw: object) -> tuple[str, list[tuple[str, ...]], dict]:
    [table] = open_tables(unit, **kw)  # type: ignore[arg-type]
    rows = [row for batch in table.batches for row in batch.rows()]
    return table.kind, rows, table.details


@pytest.mark.parametrize("encoding", ["utf-8", "cp932"])
def test_a_nul_in_the_first_line_leaves_a_table(tmp_path: Path, encoding: str) -> None:
    at = len("氏".encode(encoding))
    data = (HEADER + ROWS).encode(encoding)
    data = data[:at] + b"\x00" + data[at:]  # inside the first column name
    kind, rows, details = _rows(_unit(tmp_path / "m.csv", data))
    assert kind == "csv" and len(rows) == 300 and rows[7] == ("会員 7", "架空県架空市7番地", "050-0000-0007")
    assert details == {"replaced_sequences": 1, "first_replaced_offsets": str(at)}


def test_nuls_in_a_value_are_dropped_so_it_still_matches(tmp_path: Path) -> None:
    data = (HEADER + ROWS).encode().replace(b"050-0000-0003", b"0\x0050-00\x0000-0003")
    kind, rows, details = _rows(_unit(tmp_path / "m.csv", data))
    assert rows[3][2] == "050-0000-0003" and details["replaced_sequences"] == 2


def test_a_block_of_nuls_before_a_table_leaves_a_table(tmp_path: Path) -> None:
    kind, rows, details = _rows(_unit(tmp_path / "m.csv", bytes(20_000) + (HEADER + ROWS).encode()))
    assert (kind, len(rows), details["replaced_sequences"]) == ("csv", 300, 20_000)
    assert details["first_replaced_offsets"] == ",".join(map(str, range(10)))


def test_json_lines_with_nuls_are_json_lines(tmp_path: Path) -> None:
    lines = "".join(f'{{"氏名": "会員 {i}", "電話": "050-0000-{i:04d}"}}\n' for i in range(50))
    data = b"\x00" + lines.encode().replace(b"\n", b"\n\x00", 1)
    kind, rows, details = _rows(_unit(tmp_path / "m.jsonl", data))
    assert (kind, len(rows), details["replaced_sequences"]) == ("jsonl", 50, 2)


def test_mostly_nuls_that_do_not_look_like_a_table_stay_binary(tmp_path: Path) -> None:
    data = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(5000) + b"some,text\n" + bytes(5000)
    [table] = open_tables(_unit(tmp_path / "x.csv", data))
    assert table.kind == "binary"


def test_utf16_without_bom_stays_binary_unless_encoding_or_map_says_text(tmp_path: Path) -> None:
    data = (HEADER.replace("氏名,住所,電話番号", "name,address,phone") + ROWS[:0]).encode("utf-16-le")
    data += "".join(f"m{i},addr {i},050-0000-{i:04d}\n" for i in range(100)).encode("utf-16-le")
    unit = _unit(tmp_path / "u.csv", data)
    assert Probe.read(unit.path).is_binary  # searched as UTF-16 by the unstructured reader
    assert not Probe.read(unit.path, prefer_text=True).is_binary  # --map
    assert not Probe.read(unit.path, "cp932").is_binary  # --encoding
    kind, rows, details = _rows(unit, prefer_text=True)
    assert kind == "csv" and rows[5] == ("m5", "addr 5", "050-0000-0005")
    assert details["replaced_sequences"] == len(data) // 2
