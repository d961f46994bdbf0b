"""Writes small Microsoft Access databases for the tests: Jet3 (.mdb, Access 97),
Jet4 (.mdb, Access 2000-2003) and ACE (.accdb, Access 2007).

mdbtools only reads, and Jackcess (the usual Java writer) cannot be fetched on
the project's machines (Maven Central is not reachable), so this is a minimal
writer of the on-disk format as mdbtools' HACKING.md documents it: a header
page (its RC4-masked block holding code page, sort order and a zero database
key: no encryption), the MSysObjects catalog (its table definition always on
page 2), and per table a definition page, a page holding its two usage maps
(type 0: start page plus bitmap) and data pages filled from the end. Column
types: TEXT (Jet4/ACE: UCS-2LE, or "Unicode compressed" where a column says
so; Jet3: the given code page),
LONG, INT, DATETIME, BINARY and MEMO (stored inline); Jet3 rows longer than
256 bytes get their jump table. No index, no LVAL page: enough for readers.

Regenerate the committed fixtures (deterministic, byte for byte):

    python tests/formats/access_fixtures/make_access.py tests/formats/access_fixtures

A larger table for measuring (any row count; 11 columns like a member list):

    python tests/formats/access_fixtures/make_access.py --bench 200000 /tmp/bench.accdb
"""

from __future__ import annotations

import struct
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

TEXT, LONG, MEMO, INT, DATETIME, OLE, BINARY = (
    "text",
    "long",
    "memo",
    "int",
    "datetime",
    "ole",
    "binary",
)
_TYPE_CODE = {
    LONG: 0x04,
    INT: 0x03,
    DATETIME: 0x08,
    BINARY: 0x09,
    TEXT: 0x0A,
    OLE: 0x0B,
    MEMO: 0x0C,
}
_FIXED_SIZE = {LONG: 4, INT: 2, DATETIME: 8}

_RC4_KEY = bytes([0xC7, 0xDA, 0x39, 0x6B])


@dataclass(frozen=True)
class Format:
    name: str
    page: int
    version: int  # byte 0x14 of the header page
    magic: bytes
    jet3: bool


JET3 = Format("jet3", 2048, 0x00, b"Standard Jet DB\x00", True)
JET4 = Format("jet4", 4096, 0x01, b"Standard Jet DB\x00", False)
ACE = Format("ace", 4096, 0x02, b"Standard ACE DB\x00", False)
FORMATS = {f.name: f for f in (JET3, JET4, ACE)}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    chars: int = 255  # TEXT and BINARY only
    compressed: bool = (
        False  # TEXT in Jet4/ACE: "Unicode compression" (0xFF 0xFE, one byte a character)
    )


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: Sequence[Column]
    rows: Sequence[Sequence[object]]
    system: bool = False


def _rc4(key: bytes, data: bytes) -> bytes:
    s = list(range(256))
    j = 0
    for i in range(256):
        j = (j + s[i] + key[i % len(key)]) & 0xFF
        s[i], s[j] = s[j], s[i]
    out = bytearray()
    i = j = 0
    for byte in data:
        i = (i + 1) & 0xFF
        j = (j + s[i]) & 0xFF
        s[i], s[j] = s[j], s[i]
        out.append(byte ^ s[(s[i] + s[j]) & 0xFF])
    return bytes(out)


def _jet3_offsets(eod: int, starts: list[int], mask_size: int) -> bytes:
    """Jet3's one-byte offset table: eod and the starts (low bytes, last first), the jump
    table (for each 256 crossed, the first offset index past it; nearest to var_len first,
    one 0xff filler when the row's length asks one more), and the var column count.
    """
    offsets = [*starts, eod]
    jumps = 0
    while True:  # the reader counts (row length - 1) // 256 jump bytes
        length = eod + len(offsets) + jumps + 1 + mask_size
        if (length - 1) // 256 == jumps:
            break
        jumps = (length - 1) // 256
    real = [
        next(i for i, o in enumerate(offsets) if o >= k * 256) for k in range(1, eod // 256 + 1)
    ]
    if len(set(real)) < len(real) or not 0 <= jumps - len(real) <= 1:
        raise ValueError("this Jet3 row cannot be laid out (a cell spans 256 bytes)")
    entries = real + [0xFF] * (jumps - len(real))
    low = bytes(o & 0xFF for o in reversed(offsets))
    return low + bytes(reversed(entries)) + bytes([len(starts)])


class _Writer:
    def __init__(self, fmt: Format, encoding: str) -> None:
        self.fmt = fmt
        self.encoding = encoding  # Jet3 text
        self.pages: list[bytes | None] = []

    # --- values -------------------------------------------------------------
    def text(self, value: str, compressed: bool = False) -> bytes:
        if self.fmt.jet3:
            return value.encode(self.encoding)
        if compressed and all(ord(c) < 0x100 for c in value):
            return b"\xff\xfe" + value.encode("latin-1")
        return value.encode("utf-16-le")

    def cell(self, column: Column, value: object) -> bytes:
        if column.type == LONG:
            return struct.pack("<i", int(value))  # type: ignore[call-overload]
        if column.type == INT:
            return struct.pack("<h", int(value))  # type: ignore[call-overload]
        if column.type == DATETIME:
            return struct.pack("<d", float(value))  # type: ignore[arg-type]
        if column.type == BINARY:
            assert isinstance(value, bytes) and len(value) <= column.chars
            return value
        data = self.text(str(value), column.compressed)
        if column.type == TEXT:
            if len(str(value)) > column.chars:
                raise ValueError(f"value longer than {column.chars} characters")
            return data
        if column.type == MEMO:  # inline memo: length | 0x80000000, 8 bytes unused, the text
            return struct.pack("<II", len(data) | 0x80000000, 0) + bytes(4) + data
        raise ValueError(f"cannot write {column.type} values")

    # --- pages --------------------------------------------------------------
    def allocate(self, count: int = 1) -> int:
        first = len(self.pages)
        self.pages.extend([None] * count)
        return first

    def data_page(self, owner: int, rows: Sequence[bytes]) -> bytes:
        fmt = self.fmt
        count_at = 8 if fmt.jet3 else 12
        page = bytearray(fmt.page)
        page[0:2] = b"\x01\x01"
        struct.pack_into("<I", page, 4, owner)
        struct.pack_into("<H", page, count_at, len(rows))
        end = fmt.page
        for i, row in enumerate(rows):
            end -= len(row)
            page[end : end + len(row)] = row
            struct.pack_into("<H", page, count_at + 2 + 2 * i, end)
        free = end - (count_at + 2 + 2 * len(rows))
        if free < 0:
            raise ValueError("rows do not fit the page")
        struct.pack_into("<H", page, 2, free)
        return bytes(page)

    def fits(self, rows: Sequence[bytes], extra: bytes) -> bool:
        header = (10 if self.fmt.jet3 else 14) + 2 * (len(rows) + 1)
        return header + sum(map(len, rows)) + len(extra) <= self.fmt.page

    def usage_map(self, first: int, count: int) -> bytes:
        minimum = 128 if self.fmt.jet3 else 64
        bits = bytearray(max(minimum - 5, (count + 7) // 8))
        for i in range(count):
            bits[i // 8] |= 1 << (i % 8)
        return b"\x00" + struct.pack("<I", first) + bytes(bits)

    # --- rows ---------------------------------------------------------------
    def row(self, columns: Sequence[Column], values: Sequence[object]) -> bytes:
        jet3 = self.fmt.jet3
        fixed_size = sum(_FIXED_SIZE.get(c.type, 0) for c in columns)
        fixed = bytearray(fixed_size)
        var_parts: list[bytes] = []
        mask = bytearray((len(columns) + 7) // 8)
        offset = 0
        for number, (column, value) in enumerate(zip(columns, values, strict=True)):
            if value is not None:
                mask[number // 8] |= 1 << (number % 8)
            if column.type in _FIXED_SIZE:
                if value is not None:
                    fixed[offset : offset + _FIXED_SIZE[column.type]] = self.cell(column, value)
                offset += _FIXED_SIZE[column.type]
            else:
                var_parts.append(b"" if value is None else self.cell(column, value))
        pack = (lambda n: bytes([n])) if jet3 else (lambda n: struct.pack("<H", n))
        body = bytearray(pack(len(columns)) + fixed)
        starts = []
        for part in var_parts:
            starts.append(len(body))
            body += part
        if var_parts and jet3:
            body += _jet3_offsets(len(body), starts, len(mask))
        elif var_parts:
            eod = len(body)
            body += pack(eod) + b"".join(pack(s) for s in reversed(starts)) + pack(len(var_parts))
        body += mask
        if len(body) > self.fmt.page - 16:
            raise ValueError("row too long for a page")
        return bytes(body)

    # --- table definitions --------------------------------------------------
    def tdef(self, spec: TableSpec, num_rows: int, maps_page: int) -> bytes:
        fmt = self.fmt
        cols = spec.columns
        var_count = sum(1 for c in cols if c.type not in _FIXED_SIZE)
        if fmt.jet3:
            head = bytearray(43)
            head[0:4] = b"\x02\x01VC"
            struct.pack_into("<I", head, 12, num_rows)
            head[20] = 0x53 if spec.system else 0x4E
            struct.pack_into("<HHH", head, 21, len(cols), var_count, len(cols))
            struct.pack_into("<II", head, 35, maps_page << 8 | 0, maps_page << 8 | 1)
        else:
            head = bytearray(63)
            head[0:2] = b"\x02\x01"
            struct.pack_into("<I", head, 16, num_rows)
            head[24] = 0x01
            head[40] = 0x53 if spec.system else 0x4E
            struct.pack_into("<HHH", head, 41, len(cols), var_count, len(cols))
            struct.pack_into("<II", head, 55, maps_page << 8 | 0, maps_page << 8 | 1)
        entries = bytearray()
        names = bytearray()
        fixed_offset = var_number = 0
        for number, column in enumerate(cols):
            is_fixed = column.type in _FIXED_SIZE
            if column.type == BINARY:
                size = column.chars
            elif column.type == TEXT:
                size = column.chars if fmt.jet3 else 2 * column.chars
            else:
                size = _FIXED_SIZE.get(column.type, 0)
            flags = 0x03 if is_fixed else 0x02
            var_at = 0 if is_fixed else var_number
            fixed_at = fixed_offset if is_fixed else 0
            if fmt.jet3:
                code_page = 932 if self.encoding.lower() in ("cp932", "shift_jis") else 1252
                misc = code_page if column.type in (TEXT, MEMO) else 0
                entries += struct.pack(
                    "<BHHHHHHBHH", _TYPE_CODE[column.type], number, var_at, number, 0x0409, misc, 0,
                    flags, fixed_at, size,
                )  # fmt: skip
                name = self.text(column.name)
                names += bytes([len(name)]) + name
            else:
                sort = 0x0409 if column.type in (TEXT, MEMO) else 0
                entries += struct.pack(
                    "<BIHHHHHBBIHH", _TYPE_CODE[column.type], 0, number, var_at, number, sort, 0,
                    flags, 1 if column.compressed else 0, 0, fixed_at, size,
                )  # fmt: skip
                name = self.text(column.name)
                names += struct.pack("<H", len(name)) + name
            if is_fixed:
                fixed_offset += size
            else:
                var_number += 1
        body = bytes(head) + bytes(entries) + bytes(names) + b"\xff\xff"
        if len(body) >= fmt.page:
            raise ValueError("table definition longer than one page")
        page = bytearray(fmt.page)
        page[: len(body)] = body
        struct.pack_into("<I", page, 8, len(body) - 8)
        if not fmt.jet3:
            struct.pack_into("<H", page, 2, fmt.page - len(body) - 8)
        return bytes(page)

    def table(self, spec: TableSpec, tdef_page: int) -> None:
        """Fills tdef_page and the pages after it: maps page, then data pages."""
        rows = [self.row(spec.columns, values) for values in spec.rows]
        maps_page = self.allocate()
        chunks: list[list[bytes]] = [[]]
        for row in rows:
            if not self.fits(chunks[-1], row):
                chunks.append([])
            chunks[-1].append(row)
        first = self.allocate(len(chunks)) if rows else maps_page + 1
        for i, chunk in enumerate(chunks if rows else []):
            self.pages[first + i] = self.data_page(tdef_page, chunk)
        used = self.usage_map(first, len(chunks) if rows else 0)
        free = self.usage_map(first, 0)
        if not self.fits([used], free):
            raise ValueError("table too large for a type 0 usage map")
        self.pages[maps_page] = self.data_page(0, [used, free])
        self.pages[tdef_page] = self.tdef(spec, len(rows), maps_page)

    def header(self) -> bytes:
        fmt = self.fmt
        page = bytearray(fmt.page)
        page[0:4] = b"\x00\x01\x00\x00"
        page[4:20] = fmt.magic
        struct.pack_into("<I", page, 0x14, fmt.version)
        if fmt.jet3:
            code_page = 932 if self.encoding.lower() in ("cp932", "shift_jis") else 1252
            struct.pack_into("<HH", page, 0x3A, 0x0411 if code_page == 932 else 0x0409, code_page)
        else:
            struct.pack_into("<H", page, 0x3C, 1252)
            struct.pack_into("<H", page, 0x6E, 0x0409)
            struct.pack_into("<d", page, 0x72, 45000.0)  # creation date, a fixed day
        block = 126 if fmt.jet3 else 128
        page[0x18 : 0x18 + block] = _rc4(_RC4_KEY, bytes(page[0x18 : 0x18 + block]))
        return bytes(page)


_CATALOG_COLUMNS = [
    Column("Id", LONG),
    Column("ParentId", LONG),
    Column("Name", TEXT, 128),
    Column("Type", INT),
    Column("DateCreate", DATETIME),
    Column("DateUpdate", DATETIME),
    Column("Flags", LONG),
    Column("LvProp", OLE),
]
_SYSTEM_FLAGS = -0x7FFFFFFE  # 0x80000002 as a signed LONG
_CREATED = 45000.0


def write_database(
    path: Path, fmt: Format, tables: Sequence[TableSpec], *, encoding: str = "cp1252"
) -> None:
    """Writes ``tables`` (in that catalog order) as one Access database at ``path``."""
    w = _Writer(fmt, encoding)
    w.allocate(3)  # header, global usage map, MSysObjects' definition (always page 2)
    catalog_maps = w.allocate()
    catalog_data = w.allocate()
    tdefs = []
    for spec in tables:
        tdefs.append(w.allocate())
        w.table(spec, tdefs[-1])
    entries = [[2, 0, "MSysObjects", 1, _CREATED, _CREATED, _SYSTEM_FLAGS, None]]
    entries += [
        [tdef, 0, spec.name, 1, _CREATED, _CREATED, _SYSTEM_FLAGS if spec.system else 0, None]
        for spec, tdef in zip(tables, tdefs, strict=True)
    ]
    rows = [w.row(_CATALOG_COLUMNS, e) for e in entries]
    if not w.fits(rows[:-1], rows[-1]):
        raise ValueError("too many tables for one catalog page")
    catalog = TableSpec("MSysObjects", _CATALOG_COLUMNS, entries, system=True)
    w.pages[catalog_data] = w.data_page(2, rows)
    w.pages[catalog_maps] = w.data_page(
        0, [w.usage_map(catalog_data, 1), w.usage_map(catalog_data, 0)]
    )
    w.pages[2] = w.tdef(catalog, len(rows), catalog_maps)
    w.pages[0] = w.header()
    w.pages[1] = w.data_page(0, [w.usage_map(0, len(w.pages))])
    assert all(p is not None for p in w.pages)
    path.write_bytes(b"".join(p for p in w.pages if p is not None))


# --- the committed fixtures ------------------------------------------------------

#: Synthetic people (no real person): (氏名, 住所, 電話番号).
PEOPLE = [
    ("山田 太郎", "東京都千代田区千代田1-1", "090-1111-2222"),
    ("佐藤 花子", "大阪府大阪市北区梅田2-3-4", "06-1234-5678"),
    ("鈴木 一郎", "北海道札幌市中央区北1条西2丁目", "011-222-3333"),
    ("髙橋 美咲", "福岡県福岡市博多区博多駅前3-2-1", "092-444-5555"),
    ("田中 健", "愛知県名古屋市中区栄4-5-6", "052-666-7777"),
]
ROMAJI = [
    ("Ito Hiroshi", "Kanagawa-ken Yokohama-shi Naka-ku 1-2-3", "045-123-4567"),
    ("Watanabe Yui", "Kyoto-fu Kyoto-shi Sakyo-ku 5-6", "075-765-4321"),
]
#: Cells that CSV must carry: a quote, a comma, a line break inside a memo.
AWKWARD_NOTE = 'say "hi",\nthen leave'


def japanese_table(name: str = "顧客") -> TableSpec:
    columns = [
        Column("ID", LONG),
        Column("氏名", TEXT, 40),
        Column("住所", TEXT, 80),
        Column("電話番号", TEXT, 20),
        Column("備考", MEMO),
    ]
    rows = [[i, *p, AWKWARD_NOTE if i == 2 else None] for i, p in enumerate(PEOPLE, 1)]
    return TableSpec(name, columns, rows)


#: Bytes a binary cell holds: were they exported, they would break the CSV.
AWKWARD_BYTES = b'A\n"\x1f,\r\xff\x00B'


def romaji_table(name: str = "kokyaku") -> TableSpec:
    columns = [
        Column("shimei", TEXT, 40, compressed=True),
        Column("jusho", TEXT, 80, compressed=True),
        Column("denwa", TEXT, 20, compressed=True),
        Column("raw", BINARY, 16),
    ]
    return TableSpec(name, columns, [[*p, AWKWARD_BYTES] for p in ROMAJI])


def empty_table(name: str = "空") -> TableSpec:
    return TableSpec(name, [Column("メモ", TEXT, 10)], [])


FIXTURES = {
    "people_jet4.mdb": (JET4, "cp1252"),
    "people.accdb": (ACE, "cp1252"),
    "people_jet3_cp932.mdb": (JET3, "cp932"),
}


def write_fixtures(folder: Path) -> list[Path]:
    paths = []
    for name, (fmt, encoding) in FIXTURES.items():
        tables = [japanese_table(), romaji_table()]
        if not fmt.jet3:
            tables.append(empty_table())
        path = folder / name
        write_database(path, fmt, tables, encoding=encoding)
        paths.append(path)
    return paths


# --- a larger table for measuring ------------------------------------------------


def bench_table(rows: int, name: str = "members") -> TableSpec:
    """``rows`` synthetic members: a handful of people repeated with numbered addresses."""
    columns = [
        Column("ID", LONG),
        Column("氏名", TEXT, 40),
        Column("フリガナ", TEXT, 40),
        Column("郵便番号", TEXT, 10),
        Column("住所", TEXT, 80),
        Column("電話番号", TEXT, 20),
        Column("携帯", TEXT, 20),
        Column("メール", TEXT, 60),
        Column("生年月日", TEXT, 10),
        Column("会員種別", TEXT, 10),
        Column("備考", MEMO),
    ]
    family = ["山田", "佐藤", "鈴木", "髙橋", "田中", "伊藤", "渡辺", "中村"]
    given = ["太郎", "花子", "一郎", "美咲", "健", "陽菜", "翔", "結衣"]

    def make(i: int) -> list[object]:
        f, g = family[i % 8], given[(i // 8) % 8]
        return [
            i, f"{f} {g}", "ヤマダ タロウ", f"{100 + i % 900:03d}-{i % 10000:04d}",
            f"東京都千代田区千代田{i % 9 + 1}-{i % 50 + 1}-{i % 30 + 1}", f"03-{i % 10000:04d}-{(i * 7) % 10000:04d}",
            f"090-{(i * 3) % 10000:04d}-{i % 10000:04d}", f"m{i}@example.jp", "1980-01-01", "一般",
            None if i % 10 else "電話連絡可",
        ]  # fmt: skip

    return TableSpec(name, columns, [make(i) for i in range(1, rows + 1)])


def main(argv: Sequence[str]) -> int:
    if len(argv) == 3 and argv[0] == "--bench":
        write_database(Path(argv[2]), ACE, [bench_table(int(argv[1]))])
        return 0
    if len(argv) == 1:
        for path in write_fixtures(Path(argv[0])):
            print(path)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
