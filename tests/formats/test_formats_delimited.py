"""CSV/TSV: encodings, delimiters, quoting, headers, batches, temporary copies."""

from __future__ import annotations

import codecs
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from verifydel.decoders import DETECTION_SAMPLE_BYTES
from verifydel.errors import FormatError
from verifydel.decoders import utf8
from verifydel.formats import _frames, open_tables
from verifydel.core.table import Table
from verifydel.report.model import SourceResult
from verifydel.scan import LoadedPack, ScanOptions, scan
from verifydel.sources import Unit

HEADER = ["氏名", "フリガナ", "住所", "電話番号"]
ROWS = [
    ["山田 太郎", "ヤマダ タロウ", "東京都千代田区千代田1-1-1", "03-1234-5678"],
    ["佐藤 花子", "サトウ ハナコ", "大阪府大阪市北区梅田3丁目4番5号", "090-1111-2222"],
    ["鈴木 一郎", "ｽｽﾞｷ ｲﾁﾛｳ", "北海道札幌市中央区北一条西二丁目", "011-222-3333"],
]


def _csv_text(rows: list[list[str]], delimiter: str = ",", newline: str = "\n") -> str:
    return "".join(delimiter.join(row) + newline for row in rows)


def _write(path: Path, data: bytes) -> Unit:
    path.write_bytes(data)
    return Unit(label=path.name, path=path, size=len(data))


def _only_table(unit: Unit, **kwargs: str) -> Table:
    [table] = open_tables(unit, **kwargs)
    return table


def _rows(table: Table) -> list[tuple[str | None, ...]]:
    return [row for batch in table.batches for row in batch.rows()]


@pytest.mark.parametrize(
    ("encoding", "prefix", "expected"),
    [
        ("utf-8", b"", "utf-8"),
        ("utf-8", codecs.BOM_UTF8, "utf-8-sig"),
        ("cp932", b"", "cp932"),
        ("euc_jp", b"", "euc_jp"),
        ("utf-16", b"", "utf-16"),  # Python writes the BOM
        ("utf-16-be", codecs.BOM_UTF16_BE, "utf-16"),
    ],
)
def test_japanese_csv_in_every_encoding(
    tmp_path: Path, encoding: str, prefix: bytes, expected: str
) -> None:
    text = _csv_text([HEADER, *ROWS], newline="\r\n")
    table = _only_table(_write(tmp_path / "members.csv", prefix + text.encode(encoding)))
    assert table.kind == "csv"
    assert table.encoding == expected
    assert table.columns == HEADER
    assert _rows(table) == [tuple(row) for row in ROWS]


@pytest.mark.parametrize(
    ("delimiter", "kind"), [("\t", "tsv"), (";", "csv"), ("|", "csv"), (",", "csv")]
)
def test_delimiter_is_sniffed(tmp_path: Path, delimiter: str, kind: str) -> None:
    # The other candidates appear inside fields to mislead a naive count.
    rows = [
        ["氏名", "メモ", "電話"],
        ["山田", "a,b;c|d", "03-1234-5678"],
        ["佐藤", "e,f;g|h", "06-1234-5678"],
    ]
    if delimiter != "\t":
        rows = [[f'"{cell}"' if delimiter in cell else cell for cell in row] for row in rows]
    table = _only_table(_write(tmp_path / "x.txt", _csv_text(rows, delimiter).encode("cp932")))
    assert table.kind == kind
    assert table.columns == ["氏名", "メモ", "電話"]
    assert _rows(table)[1] == ("佐藤", "e,f;g|h", "06-1234-5678")


def test_quoted_fields_hold_delimiters_newlines_and_quotes(tmp_path: Path) -> None:
    text = 'name,address,note\n"山田, 太郎","東京都\n千代田区","彼は""常連""です"\n佐藤,大阪,\n'
    table = _only_table(_write(tmp_path / "q.csv", text.encode("euc_jp")))
    assert _rows(table) == [
        ("山田, 太郎", "東京都\n千代田区", '彼は"常連"です'),
        ("佐藤", "大阪", None),
    ]


def test_ragged_lines_do_not_abort_the_file(tmp_path: Path) -> None:
    text = "a,b,c\n1,2,3\n4,5\n6,7,8,9,10\n\n11,12,13\n"
    table = _only_table(_write(tmp_path / "r.csv", text.encode()))
    # Rows of the head wider than the header are kept in columns named by position.
    assert table.columns == ["a", "b", "c", "column_4", "column_5"]
    rows = _rows(table)
    assert rows[0] == ("1", "2", "3", None, None)
    assert rows[1] == ("4", "5", None, None, None)
    assert rows[2] == ("6", "7", "8", "9", "10")
    assert rows[-1] == ("11", "12", "13", None, None)


def test_a_row_wider_than_any_in_the_head_is_cut_not_fatal(tmp_path: Path) -> None:
    head = "id,name\n" + "".join(f"{i},山田\n" for i in range(10_000))  # > the sniffed head
    table = _only_table(_write(tmp_path / "w.csv", (head + "x,y,z,extra\n").encode()))
    assert table.columns == ["id", "name"]
    assert _rows(table)[-1] == ("x", "y")


@pytest.mark.parametrize("blank", ["\n\n", "\r\n", "  \n,\n"])
def test_blank_lines_before_the_header_are_skipped(tmp_path: Path, blank: str) -> None:
    text = blank + "氏名,電話\n山田,03-1234-5678\n"
    table = _only_table(_write(tmp_path / "b.csv", text.encode("cp932")))
    assert table.columns == ["氏名", "電話"]
    assert _rows(table) == [("山田", "03-1234-5678")]


def test_a_headerless_file_with_a_bom_keeps_its_first_row_clean(tmp_path: Path) -> None:
    text = "山田,090-1234-5678\n佐藤,03-1234-5678\n"
    table = _only_table(_write(tmp_path / "h.csv", codecs.BOM_UTF8 + text.encode()))
    assert table.columns == ["column_1", "column_2"]
    assert _rows(table) == [("山田", "090-1234-5678"), ("佐藤", "03-1234-5678")]


def test_cells_stay_text(tmp_path: Path) -> None:
    text = "tel,zip,amount,date,flag\n0312345678,0010001,1.50,2020-01-02,true\n"
    table = _only_table(_write(tmp_path / "t.csv", text.encode()))
    [batch] = list(table.batches)
    assert all(dtype == pl.String for dtype in batch.dtypes)
    assert batch.row(0) == ("0312345678", "0010001", "1.50", "2020-01-02", "true")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("TEL,TEL,TEL", ["TEL", "TEL_2", "TEL_3"]),
        ("name,,phone,", ["name", "column_2", "phone", "column_4"]),
        (" 氏名 ,TEL,TEL_2,TEL", ["氏名", "TEL", "TEL_2", "TEL_3"]),
        ("column_2,", ["column_2", "column_2_2"]),
    ],
)
def test_header_names_are_unique_and_never_empty(
    tmp_path: Path, header: str, expected: list[str]
) -> None:
    width = len(expected)
    text = header + "\n" + ",".join(["x"] * width) + "\n"
    table = _only_table(_write(tmp_path / "h.csv", text.encode()))
    assert table.columns == expected
    assert list(next(iter(table.batches)).columns) == expected


@pytest.mark.parametrize(
    "first_row",
    [
        "山田 太郎,090-1234-5678,東京都",
        "山田 太郎,０９０－１２３４－５６７８,東京都",  # full-width digits
        "1,2,3",
        "山田,taro@example.jp,東京都",
        "山田,〒100-0001,東京都",
    ],
)
def test_a_first_row_that_looks_like_data_is_kept_as_data(tmp_path: Path, first_row: str) -> None:
    text = first_row + "\n佐藤 花子,06-1234-5678,大阪府\n"
    table = _only_table(_write(tmp_path / "noheader.csv", text.encode("cp932")))
    assert table.columns == ["column_1", "column_2", "column_3"]
    assert any("no header row" in note for note in table.notes)
    rows = _rows(table)
    assert len(rows) == 2
    assert rows[0] == tuple(first_row.split(","))


def test_a_header_row_is_not_data(tmp_path: Path) -> None:
    table = _only_table(_write(tmp_path / "h.csv", _csv_text([HEADER, *ROWS]).encode()))
    assert table.notes == []
    assert len(_rows(table)) == len(ROWS)


@pytest.mark.parametrize("content", [b"", b"\n\n", b"  \r\n", codecs.BOM_UTF8])
def test_an_empty_file_is_a_table_without_columns_or_batches(
    tmp_path: Path, content: bytes
) -> None:
    table = _only_table(_write(tmp_path / "empty.csv", content))
    assert table.columns == []
    assert list(table.batches) == []


def test_a_header_only_file_has_columns_and_no_rows(tmp_path: Path) -> None:
    table = _only_table(_write(tmp_path / "h.csv", "氏名,電話\n".encode("cp932")))
    assert table.columns == ["氏名", "電話"]
    assert _rows(table) == []


def test_batches_are_bounded_and_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_frames, "BATCH_ROWS", 7)
    text = "id,name\n" + "".join(f"{i},名前{i}\n" for i in range(100))
    for encoding in ("utf-8", "cp932"):
        table = _only_table(_write(tmp_path / f"b-{encoding}.csv", text.encode(encoding)))
        batches = list(table.batches)
        assert all(0 < batch.height <= 7 for batch in batches)
        assert [int(row[0]) for batch in batches for row in batch.rows()] == list(range(100))


@pytest.fixture
def private_tempdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def test_other_encodings_use_a_private_temporary_copy_that_is_removed(
    tmp_path: Path, private_tempdir: Path
) -> None:
    table = _only_table(_write(tmp_path / "m.csv", _csv_text([HEADER, *ROWS]).encode("cp932")))
    assert list(private_tempdir.iterdir()) == []  # nothing happens before the first batch
    batches = iter(table.batches)
    first = next(batches)
    [copy] = list(private_tempdir.iterdir())
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    assert first.height == len(ROWS)
    assert list(batches) == []
    assert list(private_tempdir.iterdir()) == []


def test_the_temporary_copy_is_removed_when_the_scanner_stops_early(
    tmp_path: Path, private_tempdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_frames, "BATCH_ROWS", 2)
    table = _only_table(_write(tmp_path / "m.csv", _csv_text([HEADER, *ROWS]).encode("euc_jp")))
    batches = table.batches
    next(batches)
    batches.close()  # type: ignore[attr-defined]
    assert list(private_tempdir.iterdir()) == []


def test_bad_bytes_mid_file_are_replaced_and_every_row_is_read(
    tmp_path: Path, private_tempdir: Path
) -> None:
    # Issue 9 (was: a DecodeError after the 20,000 rows before the bad bytes)
    good = "".join(f"{i},山田{i}\n" for i in range(20_000)).encode("cp932")  # past the sniffed head
    data = "id,name\n".encode("cp932") + good + b"9,\x81\x20\n" + "10,佐藤\n".encode("cp932")
    table = _only_table(_write(tmp_path / "bad.csv", data), encoding="cp932")
    rows = [row for batch in table.batches for row in batch.rows()]
    assert len(rows) == 20_002 and rows[-2:] == [("9", "\ufffd "), ("10", "佐藤")]
    bad_offset = len(data) - len("10,佐藤\n".encode("cp932")) - len(b"\x81\x20\n")
    assert table.details == {"replaced_sequences": 1, "first_replaced_offsets": str(bad_offset)}
    assert [note for note in table.notes if f"byte offset(s) {bad_offset}" in note]
    assert list(private_tempdir.iterdir()) == []


def test_invalid_utf8_after_the_head_is_replaced_and_the_rows_after_it_read(
    tmp_path: Path,
) -> None:
    rows = "".join(f"{i},山田{i}\n" for i in range(20_000)).encode()
    data = b"id,name\n" + rows + b"x,\xff\xfe\n" + "y,佐藤\n".encode()
    table = _only_table(_write(tmp_path / "bad.csv", data), encoding="utf-8")
    read = [row for batch in table.batches for row in batch.rows()]
    assert read[-2:] == [("x", "\ufffd\ufffd"), ("y", "佐藤")] and len(read) == 20_002
    at = len(b"id,name\n" + rows + b"x,")
    assert table.details == {"replaced_sequences": 2, "first_replaced_offsets": f"{at},{at + 1}"}


def test_a_malformed_csv_is_a_format_error_without_cell_values(tmp_path: Path) -> None:
    data = 'id,name\n1,"山田\n'.encode() + b"2,x\n" * 5
    table = _only_table(_write(tmp_path / "m.csv", data))
    with pytest.raises(FormatError) as info:
        list(table.batches)
    assert "山田" not in str(info.value)
    assert "data row" in str(info.value)


def test_cr_only_line_endings(tmp_path: Path) -> None:
    table = _only_table(_write(tmp_path / "mac.csv", "a,b\r山田,1\r佐藤,2\r".encode("cp932")))
    assert _rows(table) == [("山田", "1"), ("佐藤", "2")]


def test_the_source_file_is_not_modified(tmp_path: Path) -> None:
    data = _csv_text([HEADER, *ROWS]).encode("cp932")
    unit = _write(tmp_path / "m.csv", data)
    before = os.stat(unit.path)
    _rows(_only_table(unit))
    assert unit.path.read_bytes() == data
    assert os.stat(unit.path).st_mtime_ns == before.st_mtime_ns


# --- bad bytes: replaced, counted, located; every row is scanned (issue 9) ---------------------
LEAKED = (
    "ID,氏名,住所,電話番号\n"
    "L1,山田 太郎,東京都港区芝公園4-2-8,03-1234-5678\n"
    "L2,佐藤 花子,大阪府大阪市北区梅田1-1-1,06-2345-6789\n"
)
BEFORE = "山田 太郎,東京都港区芝公園4-2-8,03-1234-5678\n"  # L1, planted before the bad bytes
AFTER = "佐藤 花子,大阪府大阪市北区梅田1-1-1,06-2345-6789\n"  # L2, planted after them


def _members(count: int, start: int = 0) -> str:
    """Rows of made-up members that match nothing leaked (about 50 bytes each)."""
    return "".join(
        f"会員 {i},架空県架空市{i}番地,050-{i // 10000:04d}-{i % 10000:04d}\n"
        for i in range(start, start + count)
    )


def _scan_one(
    tmp_path: Path, pack_factory: Callable[..., LoadedPack], path: Path, encoding: str | None
) -> tuple[SourceResult, list[tuple[str, int]]]:
    pack = pack_factory(tmp_path, LEAKED)
    report = scan([str(path)], pack, ScanOptions(encoding=encoding, threads=1))
    [source] = report.sources
    return source, report.matches.select("record_id", "row").rows()


@pytest.mark.parametrize(
    ("encoding", "rows_before"),
    [
        ("utf-8", 400),  # declared, bad bytes inside the sniffed head (64 KiB)
        ("utf-8", 3000),  # declared, past the sniffed head
        (None, 400),  # detected as UTF-8 from the Japanese before the bad bytes
        (None, DETECTION_SAMPLE_BYTES // 40),  # detected: past the bytes detection reads
        ("cp932", 400),  # declared, bad bytes inside the sniffed head
        ("cp932", 3000),
    ],
)
def test_bad_bytes_after_rows_are_replaced_and_the_rows_after_them_scanned(
    tmp_path: Path, pack_factory, encoding: str | None, rows_before: int, private_tempdir: Path
) -> None:
    # (was: the source ended partial after the rows before the bad bytes; L2 was never seen)
    codec = encoding or "utf-8"
    head = ("氏名,住所,電話番号\n" + _members(rows_before // 2) + BEFORE).encode(codec)
    head += _members(rows_before - rows_before // 2 - 1, rows_before).encode(codec)
    bad_offset = len(head) + len("会員 x,架空".encode(codec))
    tail = (AFTER + _members(500)).encode(codec)
    data = head + "会員 x,架空".encode(codec) + b"\x81\x20\xff\n" + tail
    (tmp_path / "broker").mkdir()
    path = tmp_path / "broker" / "members.csv"
    path.write_bytes(data)
    source, matches = _scan_one(tmp_path, pack_factory, path, encoding)
    assert (source.status, source.error) == ("scanned", None)
    assert source.rows == rows_before + 1 + 1 + 500
    assert source.details["replaced_sequences"] == (2 if codec == "utf-8" else 1)  # FF is CP932
    assert str(source.details["first_replaced_offsets"]).split(",")[0] == str(bad_offset)
    [note] = [note for note in source.notes if "could not be read as text" in note]
    assert not any(word in note for word in ("会員", "架空", "山田", "佐藤"))
    # before the bad bytes and after them, each at its own row
    assert matches == [("L1", rows_before // 2 + 1), ("L2", rows_before + 2)]
    assert list(private_tempdir.iterdir()) == []


@pytest.mark.parametrize("encoding", ["utf-8", "cp932"])
@pytest.mark.parametrize("where", ["header", "first row"])
def test_bad_bytes_before_any_complete_row_are_replaced_and_every_row_scanned(
    tmp_path: Path, pack_factory, encoding: str, where: str
) -> None:
    # (was: the source failed with nothing read)
    header = "氏名,住所,電話番号\n".encode(encoding)
    at = len("氏名".encode(encoding)) + (0 if where == "header" else len(header))
    data = bytearray((BEFORE + AFTER).join(["氏名,住所,電話番号\n", ""]).encode(encoding))
    data[at:at] = b"\x81\x20"
    path = tmp_path / "members.csv"
    path.write_bytes(bytes(data))
    source, matches = _scan_one(tmp_path, pack_factory, path, encoding)
    assert (source.status, source.rows, source.error) == ("scanned", 2, None)
    assert sorted(matches) == [("L1", 1), ("L2", 2)]
    assert source.details["first_replaced_offsets"] == str(at)


@pytest.mark.parametrize("rows", [100, 5000])  # the whole file in the sniffed head, or not
def test_a_utf8_file_cut_inside_a_character_is_read_to_its_end(
    tmp_path: Path, pack_factory, rows: int
) -> None:
    # (was: partial, the last, cut row not read)
    data = ("氏名,住所,電話番号\n" + BEFORE + _members(rows - 1) + "会員 x,架空").encode()[:-1]
    path = tmp_path / "members.csv"
    path.write_bytes(data)
    source, matches = _scan_one(tmp_path, pack_factory, path, None)
    assert (source.status, source.rows, matches) == ("scanned", rows + 1, [("L1", 1)])
    assert source.details == {"replaced_sequences": 1, "first_replaced_offsets": str(len(data) - 2)}


def test_rows_around_invalid_utf8_come_in_order(tmp_path: Path) -> None:
    # polars' streaming reader, given invalid UTF-8, dropped the rows of the batch holding
    # the bad bytes and yielded rows from after them: it must never be given such a file
    rows = 150_000
    text = "id,name\n" + "".join(f"{i},山田{i}\n" for i in range(rows))
    after = "".join(f"{i},佐藤\n" for i in range(rows, 2 * rows)).encode()
    data = text.encode() + b"x,\xff\n" + after
    table = _only_table(_write(tmp_path / "big.csv", data))
    seen = [value for batch in table.batches for value in batch.get_column("id")]
    assert seen == [*map(str, range(rows)), "x", *map(str, range(rows, 2 * rows))]
    assert table.details["first_replaced_offsets"] == str(len(text.encode()) + 2)


_VALID_UTF8 = "氏名,住所\n山田😀太郎,東京都\r\né,ß,ｱ\n" * 7


@pytest.mark.parametrize("block", [5, 6, 7, 8, 13, 1 << 20])
@pytest.mark.parametrize("bom", [b"", codecs.BOM_UTF8])
def test_utf8_validation_never_cuts_a_character(tmp_path: Path, block: int, bom: bytes) -> None:
    path = tmp_path / "v.csv"
    path.write_bytes(bom + _VALID_UTF8.encode())
    assert utf8.is_valid_utf8(path, block)
    path.write_bytes(b"plain ascii,1\n" * 100)
    assert utf8.is_valid_utf8(path, block)


@pytest.mark.parametrize("block", [5, 7, 13, 1 << 20])
@pytest.mark.parametrize("where", [0, 0.3, 0.99, 1.0])
def test_utf8_validation_finds_bad_bytes_anywhere(tmp_path: Path, block: int, where: float) -> None:
    data = bytearray(_VALID_UTF8.encode())
    at = int(len(data) * where)
    for bad in (b"\xff", b"\xe5\xb1", b"\xed\xa0\x80"):  # invalid, cut, a surrogate
        if bad == b"\xe5\xb1" and at < len(data):
            bad += b","  # a cut character is only cut when something else follows
        path = tmp_path / "v.csv"
        path.write_bytes(bytes(data[:at] + bad + data[at:]))
        assert not utf8.is_valid_utf8(path, block), (bad, at)
