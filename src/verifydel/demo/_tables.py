"""The broker folder's tables: their columns, their cells, and the files that hold them.

Each table is one ``TableSpec``; a file holds one table, except the workbook,
which holds two sheets (one hidden). Every writer is deterministic: the same
rows give the same bytes (the workbook's zip timestamps and document dates
are pinned).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import polars as pl
from openpyxl import Workbook

from verifydel.demo._notation import Caps, Notation
from verifydel.demo._people import Person, PersonFactory

Cell = str | int | None
XLSX_FILE: Final = "customers.xlsx"
_PINNED_TIME: Final = dt.datetime(2023, 4, 1, 9, 0, 0)


@dataclass
class PlannedRow:
    """One broker row before it is written: who it shows and how."""

    kind: str  # "survivor" or a decoy kind ("fresh", "near-address", ...)
    person: Person  # the values shown, before notation (a survivor's changed field included)
    notation: Notation
    record_id: str | None  # the leaked record it is (survivor) or is near to (decoy)
    kept: tuple[str, ...] = ()
    blank: frozenset[str] = frozenset()  # identity fields left empty: "address", "phone"
    tags: tuple[str, ...] = ()
    extra: dict[str, Cell] = field(default_factory=dict)  # other columns: FAX, dates, ids


@dataclass(frozen=True)
class TableSpec:
    label: str  # the table's name in the answer key: file, or "customers.xlsx!/Sheet"
    caps: Caps
    file_tags: tuple[str, ...]  # tags every kept field in this table gets
    share: float  # part of the planted rows it gets
    header: tuple[str, ...] | None  # None: a headerless file
    cells: Callable[[PlannedRow], list[Cell]]


# --- cells of each table -------------------------------------------------------------
def _name(row: PlannedRow) -> str:
    return row.notation.name(row.person)


def _address(row: PlannedRow) -> str | None:
    return None if "address" in row.blank else row.notation.address(row.person.address)


def _postal(row: PlannedRow) -> str | None:
    return None if "address" in row.blank else row.person.address.postal


def _phone(row: PlannedRow) -> Cell:
    return None if "phone" in row.blank else row.notation.phone(row.person.phone)


def _members_cells(row: PlannedRow) -> list[Cell]:
    surname, given = row.notation.split_name(row.person)
    parts: tuple[str, ...] = ("", "", "", "")
    if "address" not in row.blank:
        parts = row.notation.address_parts(row.person.address)
    phone = _phone(row)
    mobile = row.person.phone.mobile
    tel, keitai = (None, phone) if mobile else (phone, None)
    return [
        row.extra["member_no"],
        surname,
        given,
        _postal(row) or "",
        *parts,
        tel or "",
        keitai or "",
        row.extra.get("fax") or "",
        row.extra["date"],
    ]


def _dm_cells(row: PlannedRow) -> list[Cell]:
    return [
        _name(row),
        row.notation.kana(row.person),
        _postal(row) or "",
        _address(row) or "",
        _phone(row) or "",
        row.extra["dm"],
    ]


def _export_cells(row: PlannedRow) -> list[Cell]:
    return [
        row.extra["user_id"],
        _name(row),
        _postal(row),
        _address(row),
        _phone(row),
        row.person.email,
        row.extra["date"],
    ]


def _customers_cells(row: PlannedRow) -> list[Cell]:
    birth = row.person.birth_date.replace("-", "/")
    return [
        row.extra["no"],
        _name(row),
        _postal(row),
        _address(row),
        _phone(row),
        birth,
        row.extra.get("note"),
    ]


def _withdrawn_cells(row: PlannedRow) -> list[Cell]:
    return [_name(row), _address(row), _phone(row), row.extra["date"]]


def _archive_cells(row: PlannedRow) -> list[Cell]:
    return [
        row.extra["no"],
        _name(row),
        _address(row),
        _phone(row),
        _postal(row),
        row.person.birth_date,
    ]


def _old_list_cells(row: PlannedRow) -> list[Cell]:
    return [_name(row), _address(row) or "", _phone(row) or ""]


TABLES: Final[tuple[TableSpec, ...]] = (
    TableSpec(
        "members_2023.csv",
        Caps(full_name=False),
        ("cp932", "split-name", "split-address"),
        0.20,
        (
            "会員番号",
            "姓",
            "名",
            "郵便番号",
            "都道府県",
            "市区町村",
            "番地",
            "建物",
            "TEL",
            "携帯",
            "FAX",
            "入会日",
        ),
        _members_cells,
    ),
    TableSpec(
        "dm_list.tsv",
        Caps(kana=True),
        ("bom",),
        0.15,
        ("氏名", "フリガナ", "郵便番号", "住所", "電話番号", "送付区分"),
        _dm_cells,
    ),
    TableSpec(
        "export.jsonl",
        Caps(),
        ("english-headers",),
        0.15,
        ("id", "name", "zip", "address", "phone", "email", "updated_at"),
        _export_cells,
    ),
    TableSpec(
        f"{XLSX_FILE}!/顧客一覧",
        Caps(phone_int=True),
        ("xlsx",),
        0.12,
        ("No", "氏名", "郵便番号", "住所", "電話番号", "生年月日", "備考"),
        _customers_cells,
    ),
    TableSpec(
        f"{XLSX_FILE}!/退会者",
        Caps(phone_int=True),
        ("xlsx", "hidden-sheet"),
        0.08,
        ("氏名", "住所", "電話番号", "退会日"),
        _withdrawn_cells,
    ),
    TableSpec(
        "archive_2022.parquet",
        Caps(),
        ("english-headers",),
        0.15,
        ("ID", "NAME", "ADDRESS", "PHONE", "ZIP", "DOB"),
        _archive_cells,
    ),
    TableSpec("old_list.csv", Caps(), ("headerless",), 0.15, None, _old_list_cells),
)
FILE_TAGS: Final = tuple(dict.fromkeys(t for spec in TABLES for t in spec.file_tags))


def extra_cells(
    spec: TableSpec, row: PlannedRow, n: int, factory: PersonFactory
) -> dict[str, Cell]:
    """The non-identity columns of the ``n``-th row of ``spec`` (FAX, dates, ids, notes)."""
    rng = factory.rng
    date = (dt.date(2019, 1, 1) + dt.timedelta(days=rng.randrange(1500))).isoformat()
    extra: dict[str, Cell] = {"no": n, "date": date}
    if spec.label == "members_2023.csv":
        extra["member_no"] = f"M-{n:05d}"
        extra["date"] = date.replace("-", "/")
        if not row.person.phone.mobile and rng.random() < 0.4:  # a fresh number, never a leaked one
            extra["fax"] = "-".join(factory.phone(row.person.address.city, mobile=False).groups)
    elif spec.label == "dm_list.tsv":
        extra["dm"] = rng.choice(("DM可", "DM可", "DM不可"))
    elif spec.label == "export.jsonl":
        extra["user_id"] = f"u{rng.randrange(10**6):06d}"
        extra["date"] = f"{date}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:00+09:00"
    elif spec.label.startswith(XLSX_FILE):
        extra["note"] = rng.choice((None, None, None, "要確認", "電話連絡済", "住所不明"))
    return extra


# --- writers ---------------------------------------------------------------------------
def _text(cell: Cell) -> str:
    return "" if cell is None else str(cell)


def _csv_text(
    header: Sequence[str] | None, rows: Sequence[list[Cell]], *, delimiter: str, line_end: str
) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=line_end)
    if header is not None:
        writer.writerow(header)
    writer.writerows([[_text(c) for c in row] for row in rows])
    return buffer.getvalue()


def write_table(broker: Path, spec: TableSpec, rows: list[list[Cell]]) -> None:
    """Write a single-table file (everything but the workbook)."""
    path = broker / spec.label
    if spec.label.endswith(".csv") and spec.header is not None:  # members_2023.csv: CP932, CRLF
        path.write_bytes(
            _csv_text(spec.header, rows, delimiter=",", line_end="\r\n").encode("cp932")
        )
    elif spec.label.endswith(".csv"):  # old_list.csv: UTF-8, no header
        path.write_bytes(_csv_text(None, rows, delimiter=",", line_end="\n").encode("utf-8"))
    elif spec.label.endswith(".tsv"):  # UTF-8 with BOM, tab-separated
        text = _csv_text(spec.header, rows, delimiter="\t", line_end="\n")
        path.write_bytes(text.encode("utf-8-sig"))
    elif spec.label.endswith(".jsonl"):
        assert spec.header is not None
        lines = [
            json.dumps(dict(zip(spec.header, row, strict=True)), ensure_ascii=False) for row in rows
        ]
        path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
    elif spec.label.endswith(".parquet"):
        assert spec.header is not None
        columns: dict[str, list[Any]] = {
            name: [row[i] for row in rows] for i, name in enumerate(spec.header)
        }
        schema = {name: (pl.Int64 if name == "ID" else pl.String) for name in spec.header}
        pl.DataFrame(columns, schema=schema).write_parquet(path)
    else:
        raise ValueError(f"no writer for {spec.label}")


def write_workbook(broker: Path, sheets: list[tuple[TableSpec, list[list[Cell]]]]) -> None:
    """customers.xlsx: one sheet per table; a table tagged hidden-sheet gets a hidden sheet."""
    book = Workbook()
    book.remove(book.active)
    book.properties.creator = "verifydel demo"
    book.properties.created = _PINNED_TIME
    for spec, rows in sheets:
        sheet = book.create_sheet(spec.label.split("!/", 1)[1])
        assert spec.header is not None
        sheet.append(list(spec.header))
        for row in rows:
            sheet.append(row)
        if "hidden-sheet" in spec.file_tags:
            sheet.sheet_state = "hidden"
    buffer = io.BytesIO()
    book.save(buffer)
    (broker / XLSX_FILE).write_bytes(_pin_zip(buffer.getvalue()))


def _pin_zip(data: bytes) -> bytes:
    """Rewrite an xlsx with fixed member timestamps and document dates (byte-identical runs)."""
    stamp = _PINNED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)",
                    rb"\g<1>" + stamp.encode() + rb"\g<2>",
                    content,
                )
            pinned = zipfile.ZipInfo(info.filename, date_time=_PINNED_TIME.timetuple()[:6])
            pinned.compress_type = zipfile.ZIP_DEFLATED
            pinned.external_attr = info.external_attr
            target.writestr(pinned, content)
    return out.getvalue()
