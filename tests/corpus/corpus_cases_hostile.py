"""Hostile and broken input: bombs, deep nesting, truncation, corruption, traversal and link
members, a line of tens of MB, invalid bytes in a declared encoding, empty files, symlink loops.

None may crash the scan or write outside it; each named source ends with its reason,
and what can still be read (rows before a cut, the member beside a bomb) is scanned.
"""

from __future__ import annotations

import io
import os
import random
import stat
import tarfile
import zipfile
import zlib

import polars as pl
from containers_testkit import RawMember, deflated, deflated_zeros, gzip_of_zeros, write_raw_zip
from corpus_cases_containers import compress, zip_bytes
from corpus_ctx import Ctx
from corpus_people import csv_bytes
from corpus_registry import Built, State, case

SCANNED = ("scanned",)
BROKEN = ("failed", "partial")
#: Zeros in the zip bomb: 4 GiB from a file of about 4 MB.
BOMB_BYTES = 4 << 30
#: The line of tens of MB (one cell), whatever the scale.
LONG_LINE_BYTES = 20 << 20
#: Zips inside zips: well beyond the default depth limit (12).
NESTING = 30


def _raw(name: str, data: bytes) -> RawMember:
    return RawMember(name, [deflated(data)], crc=zlib.crc32(data), declared_size=len(data))


def _bomb(ctx: Ctx, name: str, bomb_first: bool) -> Built:
    folder = ctx.dir(name)
    arc = folder / "photos.zip"
    label = ctx.label(arc)
    built = Built([ctx.label(folder)])
    normal = _raw("members.csv", ctx.csv(built, f"{label}!/members.csv", ctx.rows(0.5)))
    bomb = RawMember("zeros.csv", deflated_zeros(BOMB_BYTES), declared_size=100)
    write_raw_zip(arc, [bomb, normal] if bomb_first else [normal, bomb])
    gzip_of_zeros(folder / "zeros.csv.gz", 1 << 30)  # a single-stream bomb beside it
    built.states += [State(label, ("partial",), ("limit ratio",)),
                     State(ctx.label(folder / "zeros.csv.gz"), ("partial",), ("limit ratio",))]  # fmt: skip
    return built


@case("zip-bomb-beside-member", "hostile")
def zip_bomb(ctx: Ctx) -> Built:
    return _bomb(ctx, "zip-bomb-beside-member", bomb_first=False)


@case("zip-bomb-before-member", "hostile")
def zip_bomb_first(ctx: Ctx) -> Built:
    return _bomb(ctx, "zip-bomb-before-member", bomb_first=True)


@case("nesting-too-deep", "hostile")
def nesting(ctx: Ctx) -> Built:
    """30 zips deep; survivors at the first two levels are found, the 13th zip is refused."""
    path = ctx.dir("nesting-too-deep") / "deep.zip"
    top = ctx.label(path)
    built = Built([top])
    labels = [top]
    for level in range(1, NESTING):
        labels.append(f"{labels[-1]}!/level{level}.zip")
    data = zip_bytes([("end.csv", b"a,b\n1,2\n")])
    for level in range(NESTING - 1, -1, -1):
        members = [(f"level{level + 1}.zip", data)] if level < NESTING - 1 else [("end.csv", b"a,b\n")]
        if level < 2:
            members.append(("members.csv", ctx.csv(built, f"{labels[level]}!/members.csv", ctx.rows(0.3))))
        data = zip_bytes(members)
    path.write_bytes(data)
    built.states += [State(labels[0], ("scanned", "partial")), State(labels[12], ("failed",), ("limit depth",))]
    return built


def _cut_gzip(data: bytes, keep: int, *, mid_character: bool) -> bytes:
    """``data`` (one gzip stream of UTF-8 text) cut where what the cut file decompresses to is at
    least ``keep`` bytes long and ends inside a character (or on a character boundary)."""

    def out(cut: int) -> bytes:
        return zlib.decompressobj(31).decompress(data[:cut])

    lo, hi = 0, len(data)
    while lo < hi:  # the shortest cut giving ``keep`` bytes
        mid = (lo + hi) // 2
        lo, hi = (mid + 1, hi) if len(out(mid)) < keep else (lo, mid)
    for cut in range(lo, len(data)):
        text = out(cut)
        try:
            text.decode("utf-8")
            ends_inside = False
        except UnicodeDecodeError as exc:
            ends_inside = exc.start >= len(text) - 3 and exc.reason == "unexpected end of data"
        if ends_inside == mid_character:
            return data[:cut]
    raise AssertionError("no cut point found")


def _truncated_gz(ctx: Ctx, name: str, *, mid_character: bool) -> Built:
    """members.csv.gz cut half-way through the rows after the survivors (30 % of the rows).
    ``mid_character``: what the cut file decompresses to ends inside a UTF-8 character (the usual
    case for Japanese text), else on a character boundary (the rows after the survivors are ASCII)."""
    path = ctx.dir(name) / "members.csv.gz"
    label = ctx.label(path)
    built = Built([label], states=[State(label, ("partial",), ("ends early",))])
    head = ctx.csv(built, f"{label}!/members.csv", ctx.rows(0.6))
    tail, _ = ctx.table(ctx.rows(1.4), survivors=0, namesakes=0, reassigned=0)
    if not mid_character:  # the same rows, romanised: ASCII only
        n = pl.int_range(pl.len()).cast(pl.String)
        tail = tail.with_columns(pl.format("Member {}", n).alias("氏名"), pl.format("{}-2-3 Somewhere", n).alias("住所"),
                                 pl.format("050{}", n.str.zfill(8)).alias("電話番号"))  # fmt: skip
    built.rows += tail.height
    rest = csv_bytes(tail).split(b"\n", 1)[1]
    data = compress(head + rest, "gz")
    path.write_bytes(_cut_gzip(data, len(head) + len(rest) // 2, mid_character=mid_character))
    return built


@case("truncated-gz", "hostile")
def truncated_gz(ctx: Ctx) -> Built:
    return _truncated_gz(ctx, "truncated-gz", mid_character=False)


@case("truncated-gz-mid-character", "hostile")
def truncated_gz_mid_character(ctx: Ctx) -> Built:
    return _truncated_gz(ctx, "truncated-gz-mid-character", mid_character=True)


@case("truncated-zip", "hostile")
def truncated_zip(ctx: Ctx) -> Built:
    """A zip cut inside its second member: no central directory; walked from the local headers."""
    path = ctx.dir("truncated-zip") / "export.zip"
    label = ctx.label(path)
    built = Built([label], states=[State(label, ("partial",), ("central directory is missing",))])
    first = ctx.csv(built, f"{label}!/first.csv", ctx.rows(0.3))
    second, _ = ctx.table(ctx.rows(), survivors=0, namesakes=0, reassigned=0)
    data = zip_bytes([("first.csv", first), ("second.csv", csv_bytes(second))])
    cut = data.index(b"second.csv") + (len(data) - data.index(b"second.csv")) // 2
    path.write_bytes(data[:cut])
    return built


@case("corrupt-archives", "hostile")
def corrupt(ctx: Ctx) -> Built:
    """Garbage inside one zip member (the next member is still read), and archives that are only junk."""
    folder = ctx.dir("corrupt-archives")
    built = Built([ctx.label(folder)])
    arc = folder / "damaged.zip"
    filler, _ = ctx.table(2000, survivors=0, namesakes=0, reassigned=0)
    plain = csv_bytes(filler)
    bad = bytearray(deflated(plain))
    bad[len(bad) // 2 : len(bad) // 2 + 40] = random.Random(1).randbytes(40)
    good = ctx.csv(built, f"{ctx.label(arc)}!/good.csv", ctx.rows(0.3))
    write_raw_zip(arc, [RawMember("broken.csv", [bytes(bad)], crc=zlib.crc32(plain), declared_size=len(plain)),
                        _raw("good.csv", good)])  # fmt: skip
    built.states.append(State(f"{ctx.label(arc)}!/broken.csv", BROKEN, ("corrupt", "checksum")))
    rnd = random.Random(2)
    for file, magic in [("junk.zip", b"PK\x03\x04"), ("junk.7z", b"7z\xbc\xaf\x27\x1c"), ("junk.xz", b"\xfd7zXZ\x00"),
                        ("junk.tar.gz", b"\x1f\x8b\x08\x00"), ("junk.bz2", b"BZh91AY&SY")]:  # fmt: skip
        (folder / file).write_bytes(magic + rnd.randbytes(3000))
        built.states.append(State(ctx.label(folder / file), BROKEN))
    return built


@case("traversal-and-links", "hostile", needs=("symlinks",))
def traversal(ctx: Ctx) -> Built:
    """Member names that climb out (only labels: nothing is written), link members (never followed)."""
    folder = ctx.dir("traversal-and-links")
    built = Built([ctx.label(folder)])
    zlabel = ctx.label(folder / "evil.zip")
    names = ["../../etc/cron.d/members.csv", "/abs/members.csv", "..\\..\\windows\\members.csv"]
    (folder / "evil.zip").write_bytes(zip_bytes([(n, ctx.csv(built, f"{zlabel}!/{n}", 60)) for n in names]))
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for name, kind, target in [("passwd.csv", tarfile.SYMTYPE, "/etc/passwd"),
                                   ("hard.csv", tarfile.LNKTYPE, "members.csv"),
                                   ("up.csv", tarfile.SYMTYPE, "../../../../etc/shadow")]:  # fmt: skip
            info = tarfile.TarInfo(name)
            info.type, info.linkname = kind, target
            t.addfile(info)
        tlabel = ctx.label(folder / "links.tar")
        data = ctx.csv(built, f"{tlabel}!/a/../../members.csv", ctx.rows(0.3))
        info = tarfile.TarInfo("a/../../members.csv")
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
    (folder / "links.tar").write_bytes(buf.getvalue())
    for name in ("passwd.csv", "hard.csv", "up.csv"):
        built.states.append(State(f"{tlabel}!/{name}", ("failed",), ("link member not followed",)))
    with zipfile.ZipFile(folder / "symlink.zip", "w") as z:
        info = zipfile.ZipInfo("shadow.csv")
        info.create_system, info.external_attr = 3, (stat.S_IFLNK | 0o777) << 16
        z.writestr(info, "/etc/shadow")
    built.states.append(State(f"{ctx.label(folder / 'symlink.zip')}!/shadow.csv", ("failed",),
                              ("link member not followed",)))  # fmt: skip
    return built


@case("long-line", "hostile")
def long_line(ctx: Ctx) -> Built:
    """A CSV with one line of 20 MB (one cell) between rows with survivors."""
    path = ctx.dir("long-line") / "notes.csv"
    label = ctx.label(path)
    built = Built([label], states=[State(label, SCANNED)])
    before = ctx.csv(built, label, ctx.rows(0.3))
    after, placed = ctx.table(ctx.rows(0.3))
    n_before = before.count(b"\n") - 1
    ctx.plant(built, label, placed, row_offset=n_before + 1)
    built.rows += after.height + 1
    row = ",".join(["M99999999", "長い 備考", '"' + "あ" * (LONG_LINE_BYTES // 3) + '"', "", ""]).encode()
    path.write_bytes(before + row + b"\n" + csv_bytes(after).split(b"\n", 1)[1])
    return built


def _invalid(ctx: Ctx, name: str, encoding: str, reason: str, head_rows: int) -> Built:
    """A CSV read with ``--encoding``: ``head_rows`` good rows (survivors among them), bad bytes, more rows."""
    path = ctx.dir(name) / "members.csv"
    label = ctx.label(path)
    # Issue 9: the bad bytes are replaced (noted, in details) and every row is scanned
    # (was: partial with ``reason``, the rows after the bad bytes never read).
    built = Built([label], encoding=encoding, states=[State(label, SCANNED)])
    head = ctx.csv(built, label, head_rows, encoding=encoding)
    tail, _ = ctx.table(ctx.rows(0.1), survivors=0, namesakes=0, reassigned=0)
    built.rows += tail.height
    path.write_bytes(head + b"\x82\xff\x81\xfe\xff" + b"\n" + csv_bytes(tail, encoding).split(b"\n", 1)[1])
    return built


@case("invalid-bytes-cp932", "hostile")
def invalid_cp932(ctx: Ctx) -> Built:
    """The bad bytes past the head sample (64 KiB) the encoding is checked on."""
    return _invalid(ctx, "invalid-bytes-cp932", "cp932", "invalid cp932 byte sequence", max(1500, ctx.rows(0.5)))


@case("invalid-bytes-cp932-head", "hostile")
def invalid_cp932_head(ctx: Ctx) -> Built:
    """The bad bytes inside the head sample: the rows before them are still readable."""
    built = _invalid(ctx, "invalid-bytes-cp932-head", "cp932", "invalid cp932 byte sequence", 300)
    return built


@case("invalid-bytes-utf8", "hostile")
def invalid_utf8(ctx: Ctx) -> Built:
    built = _invalid(ctx, "invalid-bytes-utf8", "utf-8", "not valid UTF-8", max(1500, ctx.rows(0.5)))
    return built


@case("invalid-bytes-dump", "hostile")
def invalid_dump(ctx: Ctx) -> Built:
    """A mysqldump declaring utf8mb4 with an INSERT holding bytes that are not UTF-8: read as a
    binary value (0x...), as a BLOB dumped without --hex-blob is; every row is scanned."""
    from corpus_cases_dumps import MYSQL_HEADER, mysql_dump_text

    path = ctx.dir("invalid-bytes-dump") / "broker.sql"
    label = ctx.label(path)
    table = f"{label}!/会員"
    built = Built([label], states=[State(table, SCANNED)])
    frame, placed = ctx.table(ctx.rows(0.5))
    ctx.plant(built, table, placed)
    built.rows += frame.height + 1
    body = mysql_dump_text(frame.select("氏名", "住所", "電話番号"), "会員", long_first_line=0, hex_rows=set())
    bad = b"INSERT INTO `\xe4\xbc\x9a\xe5\x93\xa1` VALUES (999999,'\xff\xfe\x81','x','y','z');\n"  # `会員`
    cut = body.rfind("UNLOCK TABLES")
    path.write_bytes(MYSQL_HEADER.encode() + body[:cut].encode() + bad + body[cut:].encode())
    return built


@case("empty-files", "hostile")
def empty(ctx: Ctx) -> Built:
    """Empty files of every kind beside a normal CSV: each scanned with 0 rows, none mistaken for clean data."""
    folder = ctx.dir("empty-files")
    built = Built([ctx.label(folder)])
    (folder / "empty.csv").write_bytes(b"")
    (folder / "blank_lines.csv").write_bytes(b"\n\r\n\n")
    (folder / "empty.csv.gz").write_bytes(compress(b"", "gz"))
    (folder / "empty.zip").write_bytes(zip_bytes([]))
    (folder / "header_only.csv").write_bytes("氏名,電話番号\n".encode())
    for file in ("empty.csv", "blank_lines.csv", "empty.csv.gz", "empty.zip", "header_only.csv"):
        built.states.append(State(ctx.label(folder / file), SCANNED))
    path = folder / "members.csv"
    path.write_bytes(ctx.csv(built, ctx.label(path), ctx.rows(0.3)))
    return built


@case("symlink-loop", "hostile", needs=("symlinks",))
def symlink_loop(ctx: Ctx) -> Built:
    """A folder whose links lead back into itself: walked once, every file scanned once."""
    folder = ctx.dir("symlink-loop")
    (folder / "sub" / "deeper").mkdir(parents=True)
    built = Built([ctx.label(folder)])
    path = folder / "sub" / "members.csv"
    path.write_bytes(ctx.csv(built, ctx.label(path), ctx.rows(0.3)))
    os.symlink("..", folder / "sub" / "deeper" / "up")  # sub/deeper/up -> sub
    os.symlink(".", folder / "self")
    os.symlink("sub/members.csv", folder / "zz_alias.csv")  # the same file again (after sub/): scanned once
    os.symlink("nowhere/missing.csv", folder / "dangling.csv")
    built.states.append(State(ctx.label(folder / "dangling.csv"), ("failed",), ("broken symbolic link",)))
    return built
