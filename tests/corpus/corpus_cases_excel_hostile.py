"""Hostile workbooks: a sheet with one cell at XFD1048576 (a grid of 17 billion cells for the
reader), a sharedStrings part that expands from 1 MB to 1 GiB, and an .xls whose forged cell makes
the native reader ask for 128 GiB and abort.

Each sits beside a normal CSV holding survivors: the scan must go on, find them, and end the
hostile workbook (or sheet) failed with the limit it hit, never crash.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import openpyxl
from containers_testkit import RawMember, write_raw_zip
from corpus_ctx import Ctx
from corpus_registry import Built, State, case

MIB = 1 << 20
#: What the sharedStrings bomb expands to.
SHARED_STRINGS_BYTES = 1 << 30
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PKG}"><Relationship Id="rId1" '
    f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
    '<sheet name="会員" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PKG}">'
    f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
)


def _stored(name: str, text: str) -> RawMember:
    data = text.encode("utf-8")
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return RawMember(name, [c.compress(data) + c.flush()], crc=zlib.crc32(data), declared_size=len(data))


def _segment(data: bytes) -> bytes:
    """Raw deflate of ``data`` ending on a full flush: segments concatenate into one stream."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush(zlib.Z_FULL_FLUSH)


_SST_HEAD = f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{_MAIN}" count="1" uniqueCount="1"><si><t>'.encode()
_SST_TAIL = b"</t></si></sst>"


def _shared_strings_bomb(total: int) -> RawMember:
    """A sharedStrings part of one string of ``total`` letters, raw deflated (about 1 MB per GiB),
    with its true size and CRC: the reader believes it and reads it all."""
    block = b"A" * MIB
    crc = zlib.crc32(_SST_HEAD)
    for _ in range(total // MIB):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(_SST_TAIL, crc)

    def data() -> Iterator[bytes]:
        yield _segment(_SST_HEAD)
        segment = _segment(block)
        for _ in range(total // MIB):
            yield segment
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        yield c.compress(_SST_TAIL) + c.flush()

    size = len(_SST_HEAD) + total // MIB * MIB + len(_SST_TAIL)
    return RawMember("xl/sharedStrings.xml", data(), crc=crc, declared_size=size)


def _beside(ctx: Ctx, name: str) -> tuple[Path, Built]:
    """The case's folder, with a normal CSV of survivors that must still be found."""
    folder = ctx.dir(name)
    built = Built([ctx.label(folder)])
    csv = folder / "members.csv"
    csv.write_bytes(ctx.csv(built, ctx.label(csv), ctx.rows(0.3)))
    built.states.append(State(ctx.label(csv), ("scanned",)))
    return folder, built


@case("xlsx-far-away-cell", "hostile")
def far_away_cell(ctx: Ctx) -> Built:
    """A workbook whose second sheet holds one cell at XFD1048576: that sheet fails ("limit cells"),
    the first sheet's survivors and the CSV's are found."""
    folder, built = _beside(ctx, "xlsx-far-away-cell")
    path = folder / "export.xlsx"
    label = ctx.label(path)
    frame, placed = ctx.table(ctx.rows(0.3))
    ctx.plant(built, f"{label}!/会員", placed)
    built.rows += frame.height
    wb = openpyxl.Workbook()
    sheet = wb.active
    sheet.title = "会員"
    sheet.append(frame.columns)
    for row in frame.rows():
        sheet.append(list(row))
    far = wb.create_sheet("far")
    far.append(["氏名", "電話番号"])
    far.cell(row=1_048_576, column=16_384, value=1)
    wb.save(path)
    built.states += [State(f"{label}!/会員", ("scanned",)), State(f"{label}!/far", ("failed",), ("limit cells",))]
    return built


@case("xlsx-shared-strings-bomb", "hostile")
def shared_strings_bomb(ctx: Ctx) -> Built:
    """A 1 MB workbook whose sharedStrings part expands to 1 GiB: the workbook fails ("limit ratio")."""
    folder, built = _beside(ctx, "xlsx-shared-strings-bomb")
    path = folder / "bomb.xlsx"
    sheet = (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{_MAIN}"><sheetData>'
        '<row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>'
    )
    write_raw_zip(path, [
        _stored("[Content_Types].xml", _CT), _stored("_rels/.rels", _ROOT_RELS), _stored("xl/workbook.xml", _WORKBOOK),
        _stored("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS), _stored("xl/worksheets/sheet1.xml", sheet),
        _shared_strings_bomb(SHARED_STRINGS_BYTES),
    ])  # fmt: skip
    built.states.append(State(ctx.label(path), ("failed",), ("limit ratio",)))
    return built


#: A BIFF8 NUMBER record's head: type 0x0203, length 14, then row and column (2 bytes each).
_NUMBER = struct.Struct("<4H")
_MARK = 1.2345678901234567  # not an RK number: written as a NUMBER record


@case("xls-native-reader-crash", "hostile")
def xls_native_crash(ctx: Ctx) -> Built:
    """An .xls whose last cell claims column 65535 of row 65535: the native reader asks for a
    128 GiB grid and aborts. It runs in a worker process: the workbook fails ("limit memory")."""
    import xlwt

    folder, built = _beside(ctx, "xls-native-reader-crash")
    path = folder / "old.xls"
    frame, _ = ctx.table(ctx.rows(0.1), survivors=0, namesakes=0, reassigned=0)
    built.rows += frame.height
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("会員")
    for r, row in enumerate([frame.columns, *frame.rows()]):
        for c, value in enumerate(row):
            if value is not None:
                ws.write(r, c, value)
    ws.write(1, frame.width, _MARK)
    wb.save(str(path))
    data = bytearray(path.read_bytes())
    head = _NUMBER.pack(0x0203, 14, 1, frame.width)
    at = data.find(head)
    assert at >= 0, "xlwt wrote no NUMBER record"
    data[at + 4 : at + 8] = b"\xff\xff\xff\xff"
    path.write_bytes(bytes(data))
    built.states.append(State(ctx.label(path), ("failed",), ("limit memory",)))
    return built
