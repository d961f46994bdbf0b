"""The format is chosen by content, never by extension; what no reader knows is refused."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from verifydel.errors import DecodeError, UsageError
from verifydel.formats import FORMAT_READERS, open_tables
from verifydel.sources import Unit


def _unit(path: Path) -> Unit:
    return Unit(label=path.name, path=path, size=path.stat().st_size)


def _parquet_bytes() -> bytes:
    buffer = io.BytesIO()
    pl.DataFrame({"氏名": ["山田"]}).write_parquet(buffer)
    return buffer.getvalue()


def _xlsx_bytes() -> bytes:
    wb = openpyxl.Workbook()
    wb.active.append(["氏名"])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("members.txt", "氏名,電話\n山田,03-1234-5678\n".encode("cp932"), "csv"),
        ("members.csv", _parquet_bytes(), "parquet"),
        ("members.json", _xlsx_bytes(), "xlsx"),
        (
            "members.xlsx",
            (json.dumps({"氏名": "山田"}, ensure_ascii=False) + "\n").encode(),
            "jsonl",
        ),
        ("members", "氏名\t電話\n山田\t03\n".encode("euc_jp"), "tsv"),
        ("members.parquet", b"", "csv"),
    ],
)
def test_extensions_lie_content_decides(
    tmp_path: Path, name: str, content: bytes, kind: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    tables = open_tables(_unit(path))
    assert {t.kind for t in tables} == {kind}


@pytest.mark.parametrize(
    "content",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200),
        b"\x1f\x8b\x08\x00" + bytes(100),
        bytes(range(256)) * 4,
    ],
    ids=["png", "gzip", "bytes"],
)
def test_unknown_binary_is_searched_as_unstructured_bytes(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes(content)
    (table,) = open_tables(_unit(path))
    assert table.kind == "binary" and not table.numbered and "offset" in table.location


def test_a_zip_that_is_not_a_workbook_is_not_read_as_one(tmp_path: Path) -> None:
    # (a scan opens it as an archive first: tests/containers; as a format it is only bytes)
    path = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("members.csv", "氏名\n山田\n")
    assert [t.kind for t in open_tables(_unit(path))] == ["binary"]


def test_text_in_no_known_encoding_is_a_decode_error_with_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"name,phone\n\x81\x20\xff,1\n")
    with pytest.raises(DecodeError, match="--encoding=cp932"):
        open_tables(_unit(path))


def test_the_encoding_override_wins_over_detection(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes("山田 花子\n佐藤 恵子\n".encode("euc_jp"))  # also valid cp932
    [detected] = open_tables(_unit(path))
    [overridden] = open_tables(_unit(path), encoding="cp932")
    assert (detected.encoding, detected.columns) == ("euc_jp", ["山田 花子"])
    assert overridden.encoding == "cp932"
    assert overridden.columns != ["山田 花子"]
    assert [row for b in detected.batches for row in b.rows()] == [("佐藤 恵子",)]


def test_an_unknown_override_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"a\n1\n")
    with pytest.raises(UsageError):
        open_tables(_unit(path), encoding="klingon")


def test_the_override_is_ignored_by_binary_formats(tmp_path: Path) -> None:
    path = tmp_path / "x.parquet"
    path.write_bytes(_parquet_bytes())
    [table] = open_tables(_unit(path), encoding="cp932")
    assert table.kind == "parquet"


def test_a_missing_file_is_a_source_error(tmp_path: Path) -> None:
    from verifydel.errors import SourceError

    with pytest.raises(SourceError, match="cannot read the file"):
        open_tables(Unit(label="gone.csv", path=tmp_path / "gone.csv"))


def test_the_registry_tries_binary_formats_first_and_csv_last() -> None:
    kinds = [reader.KIND for reader in FORMAT_READERS]
    assert kinds[-1] == "text"  # unstructured bytes: whatever no table format claims
    assert kinds[-2] == "csv"
    assert kinds.index("jsonl") == len(kinds) - 3
    assert set(kinds[:4]) == {"parquet", "sqlite", "xlsx", "xls"}
