"""The zip file structure, parsed by hand: end records, central directory, local headers.

``zipfile`` is not used to read: it loads the whole central directory into
objects before the first member (a hostile directory of millions of entries is
memory), reads bzip2 and LZMA members without an output bound, and gives up on
an archive whose end is missing. Here entries are parsed one at a time, zip64
fields are read from the zip64 end record and extra fields, and an archive
without its end (a truncated copy) is walked from its local headers.
"""

from __future__ import annotations

import stat
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Final

from verifydel.errors import FormatError

LOCAL_SIG: Final = b"PK\x03\x04"
CENTRAL_SIG: Final = b"PK\x01\x02"
END_SIG: Final = b"PK\x05\x06"
END64_SIG: Final = b"PK\x06\x06"
END64_LOCATOR_SIG: Final = b"PK\x06\x07"
DESCRIPTOR_SIG: Final = b"PK\x07\x08"

_END = struct.Struct("<4s4H2LH")  # 22 bytes, then the comment
_END64_LOCATOR = struct.Struct("<4sLQL")  # 20 bytes
_END64 = struct.Struct("<4sQ2H2L4Q")  # 56 bytes
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")  # 46 bytes, then name, extra, comment
_LOCAL = struct.Struct("<4s2B4HL2L2H")  # 30 bytes, then name, extra

_MAX_COMMENT: Final = 0xFFFF
_ZIP64_EXTRA: Final = 0x0001
_UNICODE_PATH_EXTRA: Final = 0x7075
AES_EXTRA: Final = 0x9901

FLAG_ENCRYPTED: Final = 0x0001
FLAG_DESCRIPTOR: Final = 0x0008
FLAG_STRONG_ENCRYPTION: Final = 0x0040
FLAG_UTF8: Final = 0x0800
_UNIX: Final = 3
_DOS_DIRECTORY: Final = 0x10


@dataclass
class ZipEntry:
    """One member as the archive describes it. Sizes are declared, hence not trusted."""

    name: str
    flags: int
    method: int
    mod_time: int
    crc: int
    compressed_size: int | None  # None: not known before the data (local header with a descriptor)
    declared_size: int
    header_offset: int | None  # central directory: where the local header is
    external_attr: int
    system: int
    extra: bytes

    @property
    def unix_mode(self) -> int:
        return self.external_attr >> 16 if self.system == _UNIX else 0

    @property
    def is_link(self) -> bool:
        return stat.S_ISLNK(self.unix_mode)

    @property
    def is_special(self) -> bool:
        """A device, fifo or socket: no data to read."""
        mode = self.unix_mode
        return (
            stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)
        )

    @property
    def is_directory(self) -> bool:
        """A folder entry, and only if it holds no data (a "folder" with data is read as a file)."""
        says_folder = (
            self.name.endswith(("/", "\\"))
            or stat.S_ISDIR(self.unix_mode)
            or (self.system != _UNIX and self.external_attr & _DOS_DIRECTORY)
        )
        return bool(says_folder) and not self.compressed_size


@dataclass
class CentralDirectory:
    offset: int  # where the directory starts in the file
    size: int
    shift: int  # bytes before the archive proper (a self-extractor's stub): added to every offset
    end_at: int = -1  # where the end record starts (its comment follows its 22 bytes)
    end64_at: int | None = None  # where the zip64 end record starts, when there is one

    def structure(self) -> list[tuple[int, int]]:
        """The byte ranges of the directory and the end records (the comment left out)."""
        out = [(self.offset, self.offset + self.size)]
        if self.end64_at is not None:
            out.append((self.end64_at, self.end64_at + _END64.size))
        if self.end_at >= 0:
            locator = self.end_at - _END64_LOCATOR.size if self.end64_at is not None else self.end_at
            out.append((locator, self.end_at + _END.size))
        return out


def extra_fields(extra: bytes) -> Iterator[tuple[int, bytes]]:
    pos = 0
    while pos + 4 <= len(extra):
        kind, size = struct.unpack_from("<2H", extra, pos)
        yield kind, extra[pos + 4 : pos + 4 + size]
        pos += 4 + size


def extra_field(extra: bytes, kind: int) -> bytes | None:
    return next((data for k, data in extra_fields(extra) if k == kind), None)


def decode_name(raw: bytes, flags: int, extra: bytes) -> str:
    """A member name as text: UTF-8 if flagged or valid, else CP932 (Windows), else CP437."""
    unicode_path = extra_field(extra, _UNICODE_PATH_EXTRA)
    if (
        unicode_path
        and len(unicode_path) > 5
        and unicode_path[0] == 1
        and int.from_bytes(unicode_path[1:5], "little") == zlib.crc32(raw)
    ):
        return unicode_path[5:].decode("utf-8", "replace")
    if flags & FLAG_UTF8:
        return raw.decode("utf-8", "replace")
    for encoding in ("utf-8", "cp932"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("cp437")


def _zip64_values(extra: bytes, wanted: list[bool]) -> list[int | None]:
    """The zip64 extra's 8-byte values, in order, for the fields whose 32-bit value overflowed."""
    data = extra_field(extra, _ZIP64_EXTRA) or b""
    values: list[int | None] = []
    pos = 0
    for want in wanted:
        if want and pos + 8 <= len(data):
            values.append(int.from_bytes(data[pos : pos + 8], "little"))
            pos += 8
        else:
            values.append(None)
    return values


def find_central_directory(fh: BinaryIO, file_size: int) -> CentralDirectory | None:
    """The central directory as the end record places it; None without a usable end record."""
    tail_size = min(file_size, _END.size + _MAX_COMMENT)
    fh.seek(file_size - tail_size)
    tail = fh.read(tail_size)
    pos = tail.rfind(END_SIG)
    while pos >= 0 and pos + _END.size > len(tail):
        pos = tail.rfind(END_SIG, 0, pos)
    if pos < 0:
        return None
    end_at = file_size - tail_size + pos
    _, _, _, _, _, cd_size, cd_offset, _ = _END.unpack_from(tail, pos)
    record_at = end_at
    end64: int | None = None
    if end_at >= _END64_LOCATOR.size:
        fh.seek(end_at - _END64_LOCATOR.size)
        locator = fh.read(_END64_LOCATOR.size)
        if locator[:4] == END64_LOCATOR_SIG:
            _, _, end64_offset, _ = _END64_LOCATOR.unpack(locator)
            end64_at = end_at - _END64_LOCATOR.size - _END64.size
            end64_at = end64_at if end64_at >= 0 else end64_offset
            fh.seek(end64_at)
            record = fh.read(_END64.size)
            if len(record) == _END64.size and record[:4] == END64_SIG:
                fields = _END64.unpack(record)
                cd_size, cd_offset = fields[8], fields[9]
                record_at, end64 = end64_at, end64_at
    shift = record_at - cd_size - cd_offset
    if shift < 0 or cd_offset + shift + cd_size > file_size:
        return None
    return CentralDirectory(
        offset=cd_offset + shift, size=cd_size, shift=shift, end_at=end_at, end64_at=end64
    )


def central_entries(fh: BinaryIO, cd: CentralDirectory) -> Iterator[ZipEntry]:
    """The entries of the central directory, one at a time, as far as the directory goes."""
    pos, end = cd.offset, cd.offset + cd.size
    while pos + _CENTRAL.size <= end:
        fh.seek(pos)
        header = fh.read(_CENTRAL.size)
        if len(header) < _CENTRAL.size or header[:4] != CENTRAL_SIG:
            raise FormatError(
                "the zip's central directory is damaged; what came before was scanned",
                hint="the archive is damaged or was altered",
            )
        (
            _,
            _,
            system,
            _,
            _,
            flags,
            method,
            mod_time,
            _,
            crc,
            csize,
            usize,
            name_len,
            extra_len,
            comment_len,
            _,
            _,
            external_attr,
            offset,
        ) = _CENTRAL.unpack(header)
        raw_name = fh.read(name_len)
        extra = fh.read(extra_len)
        usize64, csize64, offset64 = _zip64_values(
            extra, [usize == 0xFFFFFFFF, csize == 0xFFFFFFFF, offset == 0xFFFFFFFF]
        )
        yield ZipEntry(
            name=decode_name(raw_name, flags, extra),
            flags=flags,
            method=method,
            mod_time=mod_time,
            crc=crc,
            compressed_size=csize if csize64 is None else csize64,
            declared_size=usize if usize64 is None else usize64,
            header_offset=(offset if offset64 is None else offset64) + cd.shift,
            external_attr=external_attr,
            system=system,
            extra=extra,
        )
        pos += _CENTRAL.size + name_len + extra_len + comment_len


def local_data_offset(fh: BinaryIO, header_offset: int) -> int | None:
    """Where the data of the member with its local header at ``header_offset`` starts, or None."""
    fh.seek(header_offset)
    header = fh.read(_LOCAL.size)
    if len(header) < _LOCAL.size or header[:4] != LOCAL_SIG:
        return None
    name_len, extra_len = _LOCAL.unpack(header)[-2:]
    return header_offset + _LOCAL.size + name_len + extra_len


def read_local_entry(fh: BinaryIO, pos: int) -> tuple[ZipEntry, int] | None:
    """The entry whose local header is at ``pos`` and where its data starts, or None."""
    fh.seek(pos)
    header = fh.read(_LOCAL.size)
    if len(header) < _LOCAL.size or header[:4] != LOCAL_SIG:
        return None
    _, _, _, flags, method, mod_time, _, crc, csize, usize, name_len, extra_len = _LOCAL.unpack(
        header
    )
    raw_name = fh.read(name_len)
    extra = fh.read(extra_len)
    if len(raw_name) < name_len or len(extra) < extra_len:
        return None
    usize64, csize64 = _zip64_values(extra, [usize == 0xFFFFFFFF, csize == 0xFFFFFFFF])
    compressed: int | None = csize if csize64 is None else csize64
    if flags & FLAG_DESCRIPTOR and not compressed:
        compressed = None
    entry = ZipEntry(
        name=decode_name(raw_name, flags, extra),
        flags=flags,
        method=method,
        mod_time=mod_time,
        crc=crc,
        compressed_size=compressed,
        declared_size=usize if usize64 is None else usize64,
        header_offset=pos,
        external_attr=0,
        system=0,
        extra=extra,
    )
    return entry, pos + _LOCAL.size + name_len + extra_len


def after_descriptor(fh: BinaryIO, data_end: int) -> int:
    """Where the next local header (or the central directory) starts after a data descriptor
    that follows ``data_end``."""
    fh.seek(data_end)
    probe = fh.read(28)
    start = 4 if probe[:4] == DESCRIPTOR_SIG else 0
    for size in (12, 20):  # crc + 32-bit sizes, or crc + zip64 sizes
        if probe[start + size : start + size + 4] in (LOCAL_SIG, CENTRAL_SIG):
            return data_end + start + size
    return data_end + start + 12


def entry_extent(fh: BinaryIO, entry: ZipEntry) -> tuple[int, int] | None:
    """The bytes a central-directory entry claims: its local header, data and data descriptor
    (None when its local header is not where the directory says)."""
    if entry.header_offset is None or entry.compressed_size is None:
        return None
    data_at = local_data_offset(fh, entry.header_offset)
    if data_at is None:
        return None
    end = data_at + entry.compressed_size
    if entry.flags & FLAG_DESCRIPTOR:
        end = after_descriptor(fh, end)
    return entry.header_offset, end


def structure_size(head: bytes) -> int | None:
    """The size of the directory record or end record ``head`` opens with (a central-directory
    entry, an end record without its comment, a zip64 end record or locator), or None."""
    sig = head[:4]
    if sig == CENTRAL_SIG and len(head) >= _CENTRAL.size:
        n, e, c = struct.unpack_from("<3H", head, 28)
        return _CENTRAL.size + n + e + c
    if sig == END_SIG and len(head) >= _END.size:
        return _END.size
    if sig == END64_SIG and len(head) >= _END64.size:
        return _END64.size
    if sig == END64_LOCATOR_SIG and len(head) >= _END64_LOCATOR.size:
        return _END64_LOCATOR.size
    return None


__all__ = [
    "AES_EXTRA",
    "END_SIG",
    "FLAG_DESCRIPTOR",
    "FLAG_ENCRYPTED",
    "FLAG_STRONG_ENCRYPTION",
    "CENTRAL_SIG",
    "END64_LOCATOR_SIG",
    "END64_SIG",
    "LOCAL_SIG",
    "CentralDirectory",
    "ZipEntry",
    "after_descriptor",
    "central_entries",
    "decode_name",
    "entry_extent",
    "extra_field",
    "find_central_directory",
    "local_data_offset",
    "read_local_entry",
    "structure_size",
]
