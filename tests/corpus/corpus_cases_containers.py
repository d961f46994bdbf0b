"""Container cases: every archive and compressor verifydel opens, alone and nested.

Each member holding broker rows is a CSV with planted survivors and decoys; the
archive itself must end ``scanned``.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import zipfile
import zlib
from collections.abc import Callable, Iterable

import py7zr
from containers_testkit import (
    RawMember,
    aes_encrypt,
    aes_extra,
    deflated,
    tar_bytes,
    write_raw_zip,
    zip_bytes,
    zipcrypto_encrypt,
)
from corpus_ctx import Ctx
from corpus_registry import Built, State, case

try:
    from compression import zstd  # type: ignore[import-not-found]
except ImportError:
    from backports import zstd  # type: ignore[no-redef]

SCANNED = ("scanned",)


def compress(data: bytes, fmt: str) -> bytes:
    """One stream of gz, bz2, xz or zst, at levels that keep a large corpus quick to write."""
    if fmt == "gz":
        return gzip.compress(data, 6, mtime=0)
    if fmt == "bz2":
        return bz2.compress(data, 1)  # 100 kB blocks: a truncated file still holds whole blocks
    if fmt == "xz":
        return lzma.compress(data, preset=1)
    if fmt == "zst":
        return zstd.compress(data)
    raise ValueError(fmt)


def sevenzip_bytes(members: Iterable[tuple[str, bytes]], password: str | None = None) -> bytes:
    buf = io.BytesIO()
    with py7zr.SevenZipFile(buf, "w", password=password) as z:
        for name, data in members:
            z.writestr(data, name)
    return buf.getvalue()


Packer = Callable[[list[tuple[str, bytes]]], bytes]


def _archive(ctx: Ctx, name: str, file: str, members: list[tuple[str, int]], write: Packer) -> Built:
    """One archive ``file`` whose members (name, rows) are planted CSVs; ``write`` packs them."""
    path = ctx.dir(name) / file
    built = Built([ctx.label(path)])
    datas = [(m, ctx.csv(built, f"{ctx.label(path)}!/{m}", rows)) for m, rows in members]
    path.write_bytes(write(datas))
    built.states.append(State(ctx.label(path), SCANNED))
    return built


@case("zip-deflate", "container")
def zip_deflate(ctx: Ctx) -> Built:
    return _archive(ctx, "zip-deflate", "export.zip", [("2023/members.csv", ctx.rows()), ("clean.csv", 50)],
                    zip_bytes)  # fmt: skip


@case("zip-bzip2-lzma-stored", "container")
def zip_methods(ctx: Ctx) -> Built:
    path = ctx.dir("zip-bzip2-lzma-stored") / "methods.zip"
    built = Built([ctx.label(path)], states=[State(ctx.label(path), SCANNED)])
    with zipfile.ZipFile(path, "w") as z:
        for member, method in [("bzip2.csv", zipfile.ZIP_BZIP2), ("lzma.csv", zipfile.ZIP_LZMA),
                               ("stored.csv", zipfile.ZIP_STORED)]:  # fmt: skip
            data = ctx.csv(built, f"{ctx.label(path)}!/{member}", ctx.rows(0.5))
            z.writestr(zipfile.ZipInfo(member, (2024, 1, 1, 0, 0, 0)), data, compress_type=method)
    return built


@case("zip64", "container")
def zip64(ctx: Ctx) -> Built:
    """The zip64 thresholds at zero: zip64 end record, sizes and offsets in every entry."""
    saved = zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT
    zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT = 0, 1
    try:
        built = _archive(ctx, "zip64", "big.zip", [("part1.csv", 30), ("members.csv", ctx.rows())], zip_bytes)
    finally:
        zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT = saved
    raw = (ctx.dir("zip64") / "big.zip").read_bytes()
    assert b"PK\x06\x06" in raw and b"PK\x06\x07" in raw, "not a zip64 archive"
    return built


def _encrypted_zip(ctx: Ctx, name: str, aes: bool) -> Built:
    path = ctx.dir(name) / "secret.zip"
    built = Built([ctx.label(path)], password=ctx.password, states=[State(ctx.label(path), SCANNED)])
    members = []
    for member in ("leak.csv", "more.csv"):
        data = ctx.csv(built, f"{ctx.label(path)}!/{member}", ctx.rows(0.5))
        if aes:
            blob = aes_encrypt(deflated(data), ctx.password.encode())
            members.append(RawMember(member, [blob], method=99, declared_size=len(data), flags=1, extra=aes_extra(8)))
        else:
            crc = zlib.crc32(data)
            blob = zipcrypto_encrypt(deflated(data), ctx.password.encode(), crc)
            members.append(RawMember(member, [blob], crc=crc, declared_size=len(data), flags=1))
    write_raw_zip(path, members)
    for member in ("leak.csv", "more.csv"):
        built.states.append(State(f"{ctx.label(path)}!/{member}", SCANNED))
    return built


@case("zip-zipcrypto-password", "container")
def zip_zipcrypto(ctx: Ctx) -> Built:
    return _encrypted_zip(ctx, "zip-zipcrypto-password", aes=False)


@case("zip-aes-password", "container")
def zip_aes(ctx: Ctx) -> Built:
    return _encrypted_zip(ctx, "zip-aes-password", aes=True)


def _tar(fmt: str):  # type: ignore[no-untyped-def]
    def build(ctx: Ctx) -> Built:
        name = f"tar-{fmt}" if fmt else "tar"
        file = f"backup.tar.{fmt}" if fmt else "backup.tar"

        def write(datas: list[tuple[str, bytes]]) -> bytes:
            tar = tar_bytes(datas)
            return compress(tar, fmt) if fmt else tar

        return _archive(ctx, name, file, [("2022/members.csv", ctx.rows()), ("2022/clean.csv", 40)], write)

    return build


for _fmt in ("", "gz", "bz2", "xz", "zst"):
    case(f"tar-{_fmt}" if _fmt else "tar", "container")(_tar(_fmt))


def _single(fmt: str):  # type: ignore[no-untyped-def]
    def build(ctx: Ctx) -> Built:
        path = ctx.dir(f"single-{fmt}") / f"members.csv.{fmt}"
        built = Built([ctx.label(path)], states=[State(ctx.label(path), SCANNED)])
        path.write_bytes(compress(ctx.csv(built, f"{ctx.label(path)}!/members.csv", ctx.rows()), fmt))
        return built

    return build


for _fmt in ("gz", "bz2", "xz", "zst"):
    case(f"single-{_fmt}", "container")(_single(_fmt))


@case("7z", "container")
def sevenzip(ctx: Ctx) -> Built:
    return _archive(ctx, "7z", "backup.7z", [("db/members.csv", ctx.rows()), ("db/clean.csv", 30)],
                    sevenzip_bytes)  # fmt: skip


@case("7z-password", "container")
def sevenzip_password(ctx: Ctx) -> Built:
    built = _archive(ctx, "7z-password", "locked.7z", [("members.csv", ctx.rows(0.5))],
                     lambda datas: sevenzip_bytes(datas, ctx.password))  # fmt: skip
    built.password = ctx.password
    return built


@case("nested-tar-gz-zip-csv", "container")
def nested_tgz_zip(ctx: Ctx) -> Built:
    """backup.tar.gz!/2022/members.zip!/members.csv, and a CSV beside the zip."""
    path = ctx.dir("nested-tar-gz-zip-csv") / "backup.tar.gz"
    top = ctx.label(path)
    built = Built([top], states=[State(top, SCANNED), State(f"{top}!/2022/members.zip", SCANNED)])
    inner = zip_bytes([("members.csv", ctx.csv(built, f"{top}!/2022/members.zip!/members.csv", ctx.rows()))])
    beside = ctx.csv(built, f"{top}!/2022/beside.csv", ctx.rows(0.2), layout="split")
    path.write_bytes(compress(tar_bytes([("2022/members.zip", inner), ("2022/beside.csv", beside)]), "gz"))
    return built


@case("nested-mixed", "container")
def nested_mixed(ctx: Ctx) -> Built:
    """A zip holding a 7z holding a tar.xz holding a zstd-compressed CSV: five levels, every kind."""
    path = ctx.dir("nested-mixed") / "outer.zip"
    top = ctx.label(path)
    inner_label = f"{top}!/inner.7z!/old.tar.xz!/x/members.csv.zst!/members.csv"
    built = Built([top])
    csv = ctx.csv(built, inner_label, ctx.rows(0.5), layout="english")
    txz = compress(tar_bytes([("x/members.csv.zst", compress(csv, "zst"))]), "xz")
    path.write_bytes(zip_bytes([("inner.7z", sevenzip_bytes([("old.tar.xz", txz)]))]))
    for label in (top, f"{top}!/inner.7z", f"{top}!/inner.7z!/old.tar.xz",
                  f"{top}!/inner.7z!/old.tar.xz!/x/members.csv.zst"):  # fmt: skip
        built.states.append(State(label, SCANNED))
    return built
