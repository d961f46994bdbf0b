"""Zip archives, zip64 too: stored, deflate, bzip2, LZMA, zstd and xz members; encrypted too.

Members are read in central-directory order. A damaged member is reported as
failed and the next one is read; members whose data overlap (the construction of
non-recursive zip bombs) stop the archive. Without a usable end record (a
truncated copy) the members are walked from their local headers, and the
archive is reported partial.

Every byte is accounted for. After the directory's members, the ranges no entry,
directory or end record claims are walked: members found there from their local
headers are read as ``NAME#local@OFFSET`` (a zip concatenated before this one, a
member left out of the directory), and every other range of 8 bytes or more that
is not all zeros as ``#unaccounted@OFFSET`` (the comment, a self-extractor's stub,
slack after a member's declared size or after its stream ends inside it), read by
content like any member.

A member that hits a per-member limit (ratio, bytes per member) is cut short
there and the next member is read: each member's data starts where the central
directory (or, walking local headers, the compressed size) says, so nothing of
the bomb past the limit is decompressed. Walking local headers, a member whose
compressed size is unknown (a data descriptor) stops the walk instead.

An Excel workbook is a zip too: the reader (``verifydel.pipeline``) decides, with
``formats.excel.xlsx``, whether a zip is a workbook; a workbook with other members
is walked here with ``skip`` leaving out the parts the workbook reader reads.
"""

from __future__ import annotations

import dataclasses
import heapq
import lzma
import mmap
import re
from struct import error as struct_error
from collections.abc import Callable, Generator, Iterator
from functools import partial
from typing import BinaryIO, Final

from verifydel.containers._spool import (
    LOCKED,
    WRONG_PASSWORD,
    MemberCuts,
    link_failure,
    member_label,
    spool_member,
    with_budget,
)
from verifydel.containers._streams import (
    DECODER_MEMORY_BYTES,
    Codec,
    CountingReader,
    DecodedReader,
    RawSource,
    StoredCodec,
    ZlibCodec,
    bzip2_codec,
    xz_codec,
    zstd_codec,
)
from verifydel.containers._zipgaps import (
    MIN_UNACCOUNTED_BYTES,
    UNACCOUNTED,
    Extents,
    all_zero,
    read_range,
)
from verifydel.containers._zipcrypt import (
    AES_STRENGTHS,
    AesReader,
    ZipCryptoReader,
    password_candidates,
)
from verifydel.core.zipdir import (
    AES_EXTRA,
    END_SIG,
    FLAG_DESCRIPTOR,
    FLAG_ENCRYPTED,
    FLAG_STRONG_ENCRYPTION,
    LOCAL_SIG,
    CentralDirectory,
    ZipEntry,
    after_descriptor,
    central_entries,
    entry_extent,
    extra_field,
    find_central_directory,
    local_data_offset,
    read_local_entry,
    structure_size,
)
from verifydel.core.limits import Budget, LimitExceeded, Limits, Meter
from verifydel.errors import FormatError
from verifydel.core.unit import Unit, UnitFailure

KIND: Final = "zip"
_SPANNED: Final = b"PK\x07\x08"  # a split archive's first part opens with this marker
_SIGNATURES: Final = re.compile(rb"PK(?:\x03\x04|\x01\x02|\x05\x06|\x06\x06|\x06\x07)")
_STRUCTURE_PROBE: Final = 46  # a central-directory entry's fixed part, the longest probed

_AES_METHOD: Final = 99
_LZMA_METHOD: Final = 14
_LZMA_END_MARKER_FLAG: Final = 0x0002
_METHOD_NAMES: Final = {
    0: "stored",
    8: "deflate",
    9: "deflate64",
    12: "bzip2",
    14: "LZMA",
    93: "zstd",
    95: "xz",
    98: "PPMd",
}

def sniff(head: bytes) -> bool:
    return head.startswith((LOCAL_SIG, END_SIG, _SPANNED + LOCAL_SIG))


class ZipLzmaCodec:
    """LZMA as zip stores it: a 4-byte version and size, 5 property bytes, then raw LZMA1."""

    def __init__(self) -> None:
        self._head = b""
        self._d: lzma.LZMADecompressor | None = None

    @property
    def eof(self) -> bool:
        return self._d is not None and self._d.eof

    @property
    def needs_input(self) -> bool:
        return self._d is None or self._d.needs_input

    @property
    def unused_data(self) -> bytes:
        return self._d.unused_data if self._d is not None else b""

    def decompress(self, data: bytes, max_length: int = -1) -> bytes:
        if self._d is None:
            self._head += data
            if len(self._head) < 9:
                return b""
            head, self._head = self._head, b""
            props, data = head[4:9], head[9:]
            lclppb, dict_size = props[0], int.from_bytes(props[1:5], "little")
            if int.from_bytes(head[2:4], "little") != 5 or lclppb >= 225:
                raise lzma.LZMAError("bad LZMA properties")
            if dict_size > DECODER_MEMORY_BYTES:
                raise lzma.LZMAError("LZMA dictionary too large")
            lc, lp, pb = lclppb % 9, (lclppb // 9) % 5, lclppb // 45
            self._d = lzma.LZMADecompressor(
                lzma.FORMAT_RAW,
                filters=[
                    {"id": lzma.FILTER_LZMA1, "dict_size": dict_size, "lc": lc, "lp": lp, "pb": pb}
                ],
            )
        return self._d.decompress(data, max_length)


def _codec(entry: ZipEntry, method: int) -> tuple[Callable[[], Codec], bool] | None:
    """The codec for ``method`` and whether its data ends with an end marker."""
    if method == 0:
        return StoredCodec, False
    if method == 8:
        return partial(ZlibCodec, -15), True
    if method == 12:
        return bzip2_codec, True
    if method == _LZMA_METHOD:
        return ZipLzmaCodec, bool(entry.flags & _LZMA_END_MARKER_FLAG)
    if method == 93:
        return zstd_codec, True
    if method == 95:
        return xz_codec, True
    return None


def _aes_fields(entry: ZipEntry) -> tuple[int, int, int] | None:
    """(vendor version, key bytes, real compression method) of a WinZip AES member."""
    data = extra_field(entry.extra, AES_EXTRA)
    if data is None or len(data) < 7 or data[2:4] != b"AE" or data[4] not in AES_STRENGTHS:
        return None
    return (
        int.from_bytes(data[0:2], "little"),
        AES_STRENGTHS[data[4]],
        int.from_bytes(data[5:7], "little"),
    )


def _unsupported(entry: ZipEntry) -> str | None:
    """Why ``entry`` cannot be read at all, or None."""
    if entry.flags & FLAG_STRONG_ENCRYPTION or (
        entry.method == _AES_METHOD and _aes_fields(entry) is None
    ):
        return "encrypted with a method verifydel cannot open (PKWARE strong encryption or unknown)"
    method = entry.method
    if method == _AES_METHOD:
        fields = _aes_fields(entry)
        assert fields is not None
        method = fields[2]
        if entry.compressed_size is None:
            return "an AES-encrypted member without its size in the local header (damaged archive)"
    if _codec(entry, method) is None:
        name = _METHOD_NAMES.get(method, "unknown")
        return (
            f"compression method {method} ({name}) is not supported; "
            "extract it with 7-Zip and scan the result"
        )
    return None


def _plaintext(
    fh: BinaryIO, data_at: int, entry: ZipEntry, budget: Budget
) -> tuple[RawSource, Callable[[], None]] | str:
    """The member's (compressed) bytes, decrypted, and a check to run at the end; or why not."""

    def raw() -> CountingReader:
        fh.seek(data_at)
        return CountingReader(fh, budget, limit=entry.compressed_size)

    if not entry.flags & FLAG_ENCRYPTED:
        return raw(), lambda: None
    if budget.password is None:
        return LOCKED
    aes = _aes_fields(entry)
    for password in password_candidates(budget.password):
        if aes is not None:
            assert entry.compressed_size is not None
            reader = AesReader(raw(), password, aes[1], entry.compressed_size)
            if reader.opened:
                return reader, reader.verify
        else:
            check = (
                (entry.mod_time >> 8) & 0xFF if entry.flags & FLAG_DESCRIPTOR else entry.crc >> 24
            )
            zc = ZipCryptoReader(raw(), password, check)
            if zc.opened:
                return zc, lambda: None
    return WRONG_PASSWORD


def _read_member(
    unit: Unit,
    fh: BinaryIO,
    data_at: int,
    entry: ZipEntry,
    index: int,
    budget: Budget,
    cuts: MemberCuts,
    *,
    in_directory: bool,
) -> Generator[Unit | UnitFailure, None, int]:
    """Yield one member (or why it failed); return how many raw bytes its data took (a
    self-terminating stream read whole may take fewer than the declared size; a member cut
    short or damaged is taken to fill its declared size).

    With a central directory a damaged member is reported and the archive goes
    on; walking local headers, damage stops the walk (the next header's place is
    not known). A member cut short by a per-member limit is reported and the
    archive goes on wherever the next member's place is known.
    """
    label = member_label(unit, entry.name)
    problem = _unsupported(entry)
    opened = _plaintext(fh, data_at, entry, budget) if problem is None else problem
    if isinstance(opened, str):
        yield UnitFailure(label, "member", opened)
        return entry.compressed_size or 0
    source, final_check = opened
    aes = _aes_fields(entry) if entry.method == _AES_METHOD else None
    method = aes[2] if aes else entry.method
    codec = _codec(entry, method)
    assert codec is not None
    meter = Meter(budget, f"member {index}", compressed=lambda: reader.input_used)
    reader = DecodedReader(
        source, codec[0], meter, what="zip member", ignore_trailing=True, self_terminating=codec[1]
    )
    try:
        yield from spool_member(unit, label, reader.read)
        final_check()
        crc_known = (
            entry.compressed_size is not None
            and not (aes and aes[0] == 2)
            and (in_directory or not entry.flags & FLAG_DESCRIPTOR)  # then the crc is after the data
        )
        if crc_known and reader.crc != entry.crc:
            raise FormatError(
                "the member's data fails its checksum (damaged, altered, or a wrong password); "
                "what it held was scanned",
                hint="the archive is damaged or was altered",
            )
    except LimitExceeded as exc:  # the member's MemberCut is out: go on where the next is known
        if not (cuts.note(exc) and (in_directory or entry.compressed_size is not None)):
            raise
        return entry.compressed_size or 0
    except FormatError as exc:
        if not in_directory:
            raise
        yield UnitFailure(label, "member", str(exc))
        return entry.compressed_size or 0
    return reader.input_used


def _from_directory(
    unit: Unit,
    index_fh: BinaryIO,
    data_fh: BinaryIO,
    cd: CentralDirectory,
    budget: Budget,
    skip: Callable[[str], bool] | None,
) -> Iterator[Unit | UnitFailure]:
    extents = Extents()
    for start, end in cd.structure():
        extents.note(start, end)
    cuts = MemberCuts()
    slack: list[tuple[int, int]] = []
    for index, entry in enumerate(central_entries(index_fh, cd), 1):
        budget.count_member()
        if (
            (skip is not None and skip(entry.name))
            or entry.is_directory
            or entry.is_special
            or entry.is_link
        ):
            if entry.is_link:
                yield link_failure(unit, entry.name)
            extent = entry_extent(data_fh, entry)  # not read here, but accounted for
            if extent is not None:
                extents.note(*extent)
            continue
        assert entry.header_offset is not None and entry.compressed_size is not None
        data_at = local_data_offset(data_fh, entry.header_offset)
        if data_at is None:
            yield UnitFailure(
                member_label(unit, entry.name),
                "member",
                "its local header is missing (damaged archive)",
            )
            continue
        if not extents.claim(entry.header_offset, data_at + entry.compressed_size):
            raise FormatError(
                f"member {index} overlaps another member's data (a zip bomb construction)",
                hint="the rest of this archive was not scanned",
            )
        if entry.flags & FLAG_DESCRIPTOR:
            extents.note(*(entry_extent(data_fh, entry) or (0, 0)))
        used = yield from _read_member(
            unit, data_fh, data_at, entry, index, budget, cuts, in_directory=True
        )
        if used < entry.compressed_size and not entry.flags & FLAG_ENCRYPTED:
            # the stream ended before its declared size: the rest is read as unaccounted bytes
            slack.append((data_at + used, data_at + entry.compressed_size))
    size = data_fh.seek(0, 2)
    for start, end in heapq.merge(extents.gaps(size), sorted(slack)):
        yield from _unaccounted(unit, data_fh, start, end, budget, cuts)
    cuts.raise_if_any()


def _local_member(fh: BinaryIO, pos: int, end: int) -> tuple[ZipEntry, int] | None:
    """The member whose local header is at ``pos``, if it looks like one and its data (when its
    size is known) lies before ``end``; bytes that only happen to hold the signature are not."""
    found = read_local_entry(fh, pos)
    if found is None:
        return None
    entry, data_at = found
    if (
        entry.method not in _METHOD_NAMES and entry.method != _AES_METHOD
    ) or data_at > end:
        return None
    if entry.compressed_size is not None and data_at + entry.compressed_size > end:
        return None
    return found


def _unaccounted(
    unit: Unit, fh: BinaryIO, start: int, end: int, budget: Budget, cuts: MemberCuts
) -> Iterator[Unit | UnitFailure]:
    """Bytes the central directory does not account for: the members found there from their
    local headers (``NAME#local@OFFSET``: another archive concatenated before this one, a
    member left out of the directory), then every other range (``#unaccounted@OFFSET``: the
    comment, slack after a member's declared size, bytes before, between or after the
    entries), each read by content. Directory and end records found there are structure."""
    leftovers: list[tuple[int, int]] = []
    pos = last = start
    with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as view:
        while (m := _SIGNATURES.search(view, pos, end)) is not None:
            q = m.start()
            head = view[q : q + _STRUCTURE_PROBE]
            size = structure_size(head)
            found = _local_member(fh, q, end) if head[:4] == LOCAL_SIG else None
            if size is None and found is None:
                pos = q + 1
                continue
            if q > last:
                leftovers.append((last, q))
            if found is not None:
                entry, data_at = found
                budget.count_member()
                local = dataclasses.replace(entry, name=f"{entry.name}#local@{q}")
                if entry.compressed_size is None:
                    local.compressed_size = end - data_at  # bounded by the unaccounted range
                try:
                    used = yield from _read_member(
                        unit, fh, data_at, local, 0, budget, cuts, in_directory=False
                    )
                except FormatError as exc:
                    yield UnitFailure(member_label(unit, local.name), "member", str(exc))
                    used = local.compressed_size or 0
                size = data_at - q + (entry.compressed_size if entry.compressed_size is not None else used)
                if entry.flags & FLAG_DESCRIPTOR:
                    size = after_descriptor(fh, q + size) - q
            assert size is not None
            pos = last = min(end, q + size)
    if last < end:
        leftovers.append((last, end))
    for a, b in leftovers:
        if b - a < MIN_UNACCOUNTED_BYTES or all_zero(fh, a, b):
            continue
        yield from read_range(unit, fh, a, b, budget, cuts)



def _from_local_headers(unit: Unit, fh: BinaryIO, budget: Budget) -> Iterator[Unit | UnitFailure]:
    fh.seek(0)
    pos = len(_SPANNED) if fh.read(len(_SPANNED)) == _SPANNED else 0
    index = 0
    cuts = MemberCuts()
    while (found := read_local_entry(fh, pos)) is not None:
        entry, data_at = found
        index += 1
        budget.count_member()
        if entry.is_directory and entry.compressed_size is not None:
            pos = data_at + entry.compressed_size
            continue
        if _unsupported(entry) is not None and entry.compressed_size is None:
            yield UnitFailure(member_label(unit, entry.name), "member", _unsupported(entry) or "")
            break  # where its data ends is unknown
        try:
            used = yield from _read_member(
                unit, fh, data_at, entry, index, budget, cuts, in_directory=False
            )
        except FormatError as exc:
            raise FormatError(
                "the zip's central directory is missing (a truncated file?) and "
                f"member {index}: {exc.args[0]}",
                hint=exc.hint,
            ) from None
        end = data_at + (entry.compressed_size if entry.compressed_size is not None else used)
        pos = after_descriptor(fh, end) if entry.flags & FLAG_DESCRIPTOR else end
    raise FormatError(
        "the zip's central directory is missing or damaged (a truncated file?): "
        f"{index} members were "
        "read from their local headers and the rest, if any, is lost",
        hint="get a complete copy of the archive",
    )


def members(
    unit: Unit, limits: Limits, skip: Callable[[str], bool] | None = None
) -> Iterator[Unit | UnitFailure]:
    """Every member, in central-directory order; ``skip(name)`` leaves out members another
    reader consumes (the parts of a workbook, which the reader opens as a workbook)."""
    budget = Budget.of(unit, limits)
    budget.enter(unit.depth)
    unit = with_budget(unit, budget)
    assert unit.path is not None
    with open(unit.path, "rb") as index_fh, open(unit.path, "rb") as data_fh:
        cd = find_central_directory(index_fh, index_fh.seek(0, 2))
        if cd is None:
            yield from _from_local_headers(unit, data_fh, budget)
        else:
            yield from _from_directory(unit, index_fh, data_fh, cd, budget, skip)


# -- one member at a time (a cluster's work units) ---------------------------------


@dataclasses.dataclass(frozen=True)
class MemberSlot:
    """One member of a zip a worker reads on its own (``read_slot``): its central-directory
    entry, its number there (the limits' messages name it) and its label."""

    index: int
    entry: ZipEntry
    label: str


@dataclasses.dataclass
class SlotRead:
    """What reading one slot tells beside its items: the bytes it decompressed (the archive's
    ``source-bytes``), the per-member limit that cut it short (code, detail), and whether the
    local walk would have read more after it (its stream ended before its declared size: the
    rest is read as unaccounted bytes)."""

    source_bytes: int = 0
    cut: tuple[str, str] | None = None
    slack: bool = False


def member_slots(unit: Unit, limits: Limits) -> list[MemberSlot] | None:
    """The members of a zip each read on its own gives what ``members`` gives, in order; None
    when the zip must be read whole: no usable central directory, more entries than
    ``max_members``, members whose data overlap, or bytes no entry accounts for (what
    ``members`` reads after the members, by content). Reads the directory and the local
    headers only. Links are slots (they fail as in ``members``); folders and special files
    are not."""
    assert unit.path is not None
    slots: list[MemberSlot] = []
    try:
        with open(unit.path, "rb") as fh:
            size = fh.seek(0, 2)
            cd = find_central_directory(fh, size)
            if cd is None:
                return None
            extents = Extents()
            for start, end in cd.structure():
                extents.note(start, end)
            for index, entry in enumerate(central_entries(fh, cd), 1):
                if index > limits.max_members:
                    return None
                if entry.is_directory or entry.is_special or entry.is_link:
                    extent = entry_extent(fh, entry)
                    if extent is not None:
                        extents.note(*extent)
                    if entry.is_link:
                        slots.append(MemberSlot(index, entry, member_label(unit, entry.name)))
                    continue
                if entry.header_offset is None or entry.compressed_size is None:
                    return None
                data_at = local_data_offset(fh, entry.header_offset)
                if data_at is None:
                    return None
                if not extents.claim(entry.header_offset, data_at + entry.compressed_size):
                    return None
                if entry.flags & FLAG_DESCRIPTOR:
                    extents.note(*(entry_extent(fh, entry) or (0, 0)))
                slots.append(MemberSlot(index, entry, member_label(unit, entry.name)))
            if any(not all_zero(fh, a, b) for a, b in extents.gaps(size)):
                return None
    except (FormatError, OSError, ValueError, struct_error):
        return None
    return slots


def read_slot(unit: Unit, limits: Limits, slot: MemberSlot, info: SlotRead) -> Iterator[Unit | UnitFailure]:
    """What ``members`` yields for the member ``slot`` of ``unit`` (a top-level zip that
    ``member_slots`` splits), opening the zip at that member only, with a budget of its own;
    ``info`` is filled as it goes. A limit of the whole archive raises, as in ``members``."""
    budget = Budget.of(unit, limits)
    budget.enter(unit.depth)
    unit = with_budget(unit, budget)
    assert unit.path is not None
    budget.count_member()
    entry = slot.entry
    if entry.is_link:
        yield link_failure(unit, entry.name)
        return
    assert entry.header_offset is not None and entry.compressed_size is not None
    cuts = MemberCuts()
    try:
        with open(unit.path, "rb") as fh:
            data_at = local_data_offset(fh, entry.header_offset)
            if data_at is None:  # changed since it was planned: the worker's caller reads it whole
                raise FormatError("its local header is missing (damaged archive)")
            used = yield from _read_member(unit, fh, data_at, entry, slot.index, budget, cuts, in_directory=True)
            info.slack = used < entry.compressed_size and not entry.flags & FLAG_ENCRYPTED
    finally:
        info.source_bytes = budget.source_bytes
        if cuts.first is not None:
            info.cut = (cuts.first.code, cuts.first.detail)


__all__ = [
    "KIND",
    "MIN_UNACCOUNTED_BYTES",
    "UNACCOUNTED",
    "MemberSlot",
    "SlotRead",
    "ZipLzmaCodec",
    "member_slots",
    "members",
    "read_slot",
    "sniff",
]
