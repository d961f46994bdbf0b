"""Bytes a container's own index does not account for (issue 9, finding 4).

A zip is read through its central directory and an SQLite file up to the size its
header declares; a broker can hide rows in what those leave out: a zip concatenated
before another (``cat a.zip b.zip``), a member present only as a local header, slack
after a member's declared size (or after its stream ends, inside it), a CSV as the zip
comment, tables as a workbook's extra parts (pictures, embedded objects, customXml,
comments), SQLite pages past the declared database size (``integrity_check`` is ok).
Every case plants survivors in the hidden bytes only; each must be found, and the
archive or file ends scanned (nothing of it is unreadable).
"""

from __future__ import annotations

import io
import sqlite3
import struct
import zipfile

import openpyxl
from corpus_cases_containers import zip_bytes
from corpus_cases_dumps import sqlite_db
from corpus_ctx import Ctx
from corpus_people import csv_bytes
from corpus_registry import Built, State, case

SCANNED = ("scanned",)
_END = struct.Struct("<4s4H2LH")  # the zip end record (22 bytes), then the comment
_CENTRAL_FIXED = 46


def _clean(ctx: Ctx, factor: float = 0.1) -> bytes:
    """A broker CSV holding no leaked record (what the directory shows)."""
    frame, _ = ctx.table(ctx.rows(factor), survivors=0, namesakes=0, reassigned=0)
    return csv_bytes(frame)


def _end_record(data: bytes) -> tuple[int, tuple[int, ...]]:
    at = data.rindex(b"PK\x05\x06")
    return at, _END.unpack_from(data, at)


@case("zip-concatenated", "hostile")
def zip_concatenated(ctx: Ctx) -> Built:
    """``cat first.zip second.zip``: the directory at the end names the second zip's members only."""
    path = ctx.dir("zip-concatenated") / "export.zip"
    label = ctx.label(path)
    built = Built([label], states=[State(label, SCANNED)])
    first = zip_bytes([("members.csv", ctx.csv(built, f"{label}!/members.csv#local@*", ctx.rows(0.5)))])
    second = zip_bytes([("members.csv", _clean(ctx))])
    path.write_bytes(first + second)
    return built


@case("zip-local-header-only", "hostile")
def zip_local_only(ctx: Ctx) -> Built:
    """A member whose local header and data are there, but not its central-directory entry."""
    path = ctx.dir("zip-local-header-only") / "export.zip"
    label = ctx.label(path)
    built = Built([label], states=[State(label, SCANNED)])
    data = zip_bytes([("visible.csv", _clean(ctx)), ("leak.csv", ctx.csv(built, f"{label}!/leak.csv#local@*", ctx.rows(0.5)))])
    end_at, (_, _, _, _, _, cd_size, cd_offset, _) = _end_record(data)
    name_len, extra_len, comment_len = struct.unpack_from("<3H", data, cd_offset + 28)
    kept = data[cd_offset : cd_offset + _CENTRAL_FIXED + name_len + extra_len + comment_len]  # visible.csv's entry
    end = _END.pack(b"PK\x05\x06", 0, 0, 1, 1, len(kept), cd_offset, 0)
    path.write_bytes(data[:cd_offset] + kept + end)
    return built


@case("zip-slack-after-declared-size", "hostile")
def zip_slack(ctx: Ctx) -> Built:
    """after.zip: a stored member whose declared size stops short of the CSV stored after it;
    inside.zip: a deflated member whose declared size runs past the end of its stream, a CSV there."""
    folder = ctx.dir("zip-slack-after-declared-size")
    built = Built([ctx.label(folder)])
    for name, method in (("after.zip", zipfile.ZIP_STORED), ("inside.zip", zipfile.ZIP_DEFLATED)):
        label = ctx.label(folder / name)
        built.states.append(State(label, SCANNED))
        data = zip_bytes([("visible.csv", _clean(ctx))], method)
        slack = ctx.csv(built, f"{label}!/#unaccounted@*", ctx.rows(0.5))
        _, (_, _, _, _, _, cd_size, cd_offset, _) = _end_record(data)
        head, directory = bytearray(data[:cd_offset]), bytearray(data[cd_offset : cd_offset + cd_size])
        if method == zipfile.ZIP_DEFLATED:  # the sizes declared take the slack in
            csize = struct.unpack_from("<L", head, 18)[0] + len(slack)
            struct.pack_into("<L", head, 18, csize)
            struct.pack_into("<L", directory, 20, csize)
        end = _END.pack(b"PK\x05\x06", 0, 0, 1, 1, cd_size, cd_offset + len(slack), 0)
        (folder / name).write_bytes(bytes(head) + slack + bytes(directory) + end)
    return built


@case("zip-comment-csv", "hostile")
def zip_comment(ctx: Ctx) -> Built:
    """The archive comment (up to 64 KiB after the end record) holds a CSV."""
    path = ctx.dir("zip-comment-csv") / "export.zip"
    label = ctx.label(path)
    built = Built([label], states=[State(label, SCANNED)])
    comment = ctx.csv(built, f"{label}!/#unaccounted@*", 40)
    assert len(comment) < 0xFFFF
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("visible.csv", _clean(ctx))
        z.comment = comment
    path.write_bytes(buf.getvalue())
    return built


#: Parts a workbook may carry that the workbook reader never reads, each holding a CSV.
_EXTRA_PARTS = ("xl/media/image1.png", "xl/embeddings/oleObject1.bin", "customXml/item1.xml", "xl/comments1.xml")


@case("xlsx-extra-parts", "hostile")
def xlsx_extra_parts(ctx: Ctx) -> Built:
    """A workbook whose one sheet is clean; its picture, embedded object, customXml item and
    comments parts are CSVs holding survivors."""
    path = ctx.dir("xlsx-extra-parts") / "customers.xlsx"
    label = ctx.label(path)
    built = Built([label], states=[State(label, SCANNED)])
    wb = openpyxl.Workbook()
    wb.active.append(["氏名", "電話番号"])
    wb.save(path)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as z:
        for part in _EXTRA_PARTS:
            z.writestr(part, ctx.csv(built, f"{label}!/{part}", ctx.rows(0.2)))
    return built


@case("sqlite-pages-past-declared-size", "hostile")
def sqlite_past_size(ctx: Ctx) -> Built:
    """An SQLite file whose header declares its clean pages; the pages of a table holding
    survivors follow (SQLite never reads them: ``integrity_check`` is ok)."""
    folder = ctx.dir("sqlite-pages-past-declared-size")
    path, hidden = folder / "crm.db", folder / "hidden.db"
    label = ctx.label(path)
    built = Built([label], states=[State(f"{label}!/members", SCANNED), State(f"{label}!/members#recovered", SCANNED)])
    clean, _ = ctx.table(ctx.rows(0.1), survivors=0, namesakes=0, reassigned=0)
    frame, placed = ctx.table(ctx.rows(0.5))
    for p in (path, hidden):
        p.unlink(missing_ok=True)
    sqlite_db(path, {"members": clean})
    sqlite_db(hidden, {"members": frame})
    page_size = sqlite3.connect(path).execute("PRAGMA page_size").fetchone()[0]
    path.write_bytes(path.read_bytes() + hidden.read_bytes()[page_size:])
    hidden.unlink()
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT count(*) FROM members").fetchone()[0] == clean.height
    finally:
        db.close()
    recovered = f"{label}!/members#recovered"
    ctx.plant(built, recovered, placed, rows=False)
    for expect in built.expect:
        expect.recovered = True
    built.rows += clean.height + frame.height
    return built
