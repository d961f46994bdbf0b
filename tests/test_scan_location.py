"""Tables that say where each row was found: offset, page and recovered reach the matches."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from verifydel.core.table import Table
from verifydel.scan import ScanOptions, _collect_matches, _scan_table

LEAKED = "ID,氏名,住所,電話番号\nL1,山田 太郎,東京都港区芝公園4-2-8,03-1234-5678\nL2,佐藤 花子,大阪府大阪市北区梅田1-1-1,06-2345-6789\n"


def _table(numbered: bool) -> Table:
    batch = pl.DataFrame(
        {
            "氏名": ["鈴木 一郎", "佐藤 花子", "山田 太郎"],
            "電話番号": ["090-0000-0000", "06-2345-6789", "03-1234-5678"],
            "__off": [10, 200, 3000],
            "__page": [None, 7, 9],
            "__rec": [False, True, True],
        },
        schema_overrides={"__page": pl.Int64},
    )
    return Table(
        label="carved.bin",
        kind="test",
        columns=["氏名", "電話番号"],
        batches=iter([batch]),
        location={"offset": "__off", "page": "__page", "recovered": "__rec"},
        numbered=numbered,
    )


def test_location_columns_reach_the_matches(tmp_path: Path, pack_factory) -> None:
    pack = pack_factory(tmp_path, LEAKED)
    outcome = _scan_table(_table(numbered=False), pack, ScanOptions(threads=1), None)
    assert outcome.result.status == "scanned" and outcome.result.rows == 3
    # the location columns are not data: never detected as a field
    assert all(not c.startswith("__") for cs in outcome.result.columns.values() for c in cs)
    matches = _collect_matches([outcome], show_values=False)
    got = matches.select("record_id", "row", "offset", "page", "recovered").rows()
    assert got == [("L2", None, 200, 7, True), ("L1", None, 3000, 9, True)]


def test_numbered_table_keeps_row_numbers_beside_location(tmp_path: Path, pack_factory) -> None:
    pack = pack_factory(tmp_path, LEAKED)
    outcome = _scan_table(_table(numbered=True), pack, ScanOptions(threads=1), None)
    matches = _collect_matches([outcome], show_values=False)
    assert matches.select("record_id", "row", "page").rows() == [("L2", 2, 7), ("L1", 3, 9)]
