"""Tar members read forward from any byte stream: a plain file or a decompressed one.

``tarfile`` parses the headers (ustar, GNU, pax, sparse); it reads through a
``ForwardReader`` that only moves forward, so the same code reads a tar on disk
and a tar inside gzip/bzip2/xz/zstd in one pass, without spooling the whole tar.
The reader refuses single reads over ``MAX_HEADER_BYTES`` (a pax or GNU long-name
header claiming gigabytes would otherwise be read into memory).

Where plain ``tarfile`` stops quietly (a truncated header, an invalid header
after the first, data after the end marker), the container is reported partial.
Archives concatenated after the end marker (``cat a.tar b.tar``) are read too.

A member that hits a per-member limit (ratio, bytes per member) is cut short: the
rest of its data is skipped and the next member read. A tar is read forward only,
so in a compressed tar skipping means decompressing the rest of the member
without keeping it: those bytes count against the top-level source's budget
(``max_source_bytes``, and the time limit) but not against any ratio. When the
rest of the member (its size is in its header) cannot fit in what is left of
that budget, the tar stops at once with ``limit source-bytes`` instead of
decompressing up to the limit for nothing. In a plain tar the skipped bytes are
only read past.

A sparse member (GNU sparse, pax sparse 0.0, 0.1 and 1.0) comes out with its
holes as zeros that the archive never stored. Its ratio is taken against the
bytes the archive really stores for it, so a few KiB declaring 100 GiB is a
bomb cut at the ratio limit like any other, even in a plain tar.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from typing import Final

from verifydel.containers._spool import MemberCuts, link_failure, member_label, spool_member
from verifydel.core.limits import CHUNK_BYTES, Budget, LimitExceeded, Meter, human_size
from verifydel.errors import FormatError, SourceError
from verifydel.core.unit import Unit, UnitFailure
from verifydel.core.names import readable_name

BLOCK: Final = 512
#: The largest single read tarfile may ask for (pax and GNU long-name headers).
MAX_HEADER_BYTES: Final = 16 << 20

_CHECKSUM: Final = slice(148, 156)


def looks_like_tar(head: bytes) -> bool:
    """True when ``head`` opens with a tar header block (its checksum is right)."""
    if len(head) < BLOCK:
        return False
    block = head[:BLOCK]
    field = block[_CHECKSUM].replace(b"\0", b" ").strip()
    if not field:
        return False
    try:
        declared = int(field, 8)
    except ValueError:
        return False
    rest = block[:148] + b" " * 8 + block[156:]
    unsigned = sum(rest)
    signed = unsigned - 256 * sum(1 for b in rest if b > 127)
    return declared in (unsigned, signed)


class ForwardReader(io.RawIOBase):
    """A file object over ``read(n)`` moving forward only, as tarfile needs to read a stream."""

    def __init__(self, read: Callable[[int], bytes]) -> None:
        super().__init__()
        self._read = read
        self._pos = 0
        self._back = b""
        self._deferred: SourceError | None = None  # met after some bytes of a read: raised next
        self.last_read = b""

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def read(self, n: int | None = -1) -> bytes:
        if n is None or n < 0 or n > MAX_HEADER_BYTES:
            raise FormatError(
                f"a tar header claims more than {MAX_HEADER_BYTES >> 20} MiB of metadata",
                hint="the archive is damaged or built to exhaust memory",
            )
        parts = []
        if self._back:
            parts.append(self._back[:n])
            self._back = self._back[n:]
        want = n - len(parts[0]) if parts else n
        if want > 0:
            self.raise_deferred()
        try:
            while want > 0 and (chunk := self._read(min(want, CHUNK_BYTES))):
                parts.append(chunk)
                want -= len(chunk)
        except SourceError as exc:
            if not parts:
                raise
            self._deferred = exc  # hand out the bytes before the error first
        data = b"".join(parts)
        self._pos += len(data)
        self.last_read = data
        return data

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def seek(self, pos: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_CUR:
            pos += self._pos
        elif whence != io.SEEK_SET:
            raise io.UnsupportedOperation("a tar stream is read forward only")
        if pos < self._pos:
            raise FormatError(
                "the tar refers back to data already read", hint="the archive is damaged or crafted"
            )
        while pos > self._pos and self.read(min(pos - self._pos, CHUNK_BYTES)):
            pass
        return self._pos

    def raise_deferred(self) -> None:
        """Raise the error that cut the last read short, if one did."""
        if self._deferred is not None:
            exc, self._deferred = self._deferred, None
            raise exc

    def unread(self, data: bytes) -> None:
        self._back = data + self._back
        self._pos -= len(data)


class _MemberData:
    """Up to ``size`` bytes of one member; a short read is an error, raised after its bytes."""

    def __init__(self, fwd: ForwardReader, size: int, index: int) -> None:
        self._fwd = fwd
        self._left = size
        self._index = index
        self._short = False

    def read(self, n: int) -> bytes:
        want = min(n, self._left)
        if self._short:
            self._fwd.raise_deferred()  # the stream's own reason (corrupt, truncated, a limit)
            raise _truncated(self._index)
        if want <= 0:
            return b""
        data = self._fwd.read(want)
        self._left -= len(data)
        if len(data) < want:
            self._short = True
            if not data:
                raise _truncated(self._index)
        return data


def _truncated(index: int) -> FormatError:
    return FormatError(
        f"the tar ends inside member {index} (a truncated file); what came before was scanned",
        hint="get a complete copy of the archive",
    )


def _damaged(index: int) -> FormatError:
    return FormatError(
        f"the tar is damaged after member {index}; what came before was scanned",
        hint="the archive is damaged or was altered",
    )


def _sparse_reader(
    tf: tarfile.TarFile, info: tarfile.TarInfo, index: int
) -> Callable[[int], bytes]:
    fobj = tf.extractfile(info)
    assert fobj is not None

    def read(n: int) -> bytes:
        try:
            return fobj.read(n)
        except SourceError:
            raise
        except Exception:  # noqa: BLE001 - tarfile's own errors: the data is cut short
            raise _truncated(index) from None

    return read


def _skip_rest(
    tf: tarfile.TarFile, fwd: ForwardReader, budget: Budget, index: int, counted: bool
) -> None:
    """Read past the rest of a member cut short, up to the next header.

    ``counted``: the bytes are decompressed, and count against the source's
    budget; a rest that cannot fit in it stops the tar now.
    """
    rest = tf.offset - fwd.tell()
    left = budget.limits.max_source_bytes - budget.source_bytes
    if counted and rest > left:
        raise LimitExceeded(
            "source-bytes",
            f"skipping the rest of member {index} ({human_size(rest)}) would decompress more "
            f"than the {human_size(budget.limits.max_source_bytes)} allowed for this source",
        )
    fwd.seek(tf.offset)


def _stored_bytes(
    fwd: ForwardReader, info: tarfile.TarInfo, stream: Meter | None
) -> Callable[[], int] | None:
    """What a member's bytes are weighed against for the ratio (None: no ratio applies).

    In a compressed tar: the compressed bytes read while the member is produced.
    A sparse member of a plain tar: the bytes the archive really stores for it
    (its holes come out as zeros that were never stored: a 10 KiB member may
    declare 100 GiB). Other members of a plain tar are copied as stored: no ratio.
    """
    compressed = stream.compressed if stream is not None else None
    if compressed is not None:
        start = compressed()
        return lambda: compressed() - start
    if info.issparse():
        data_start = info.offset_data
        return lambda: max(0, fwd.tell() - data_start)
    return None


def _member(
    unit: Unit,
    tf: tarfile.TarFile,
    fwd: ForwardReader,
    info: tarfile.TarInfo,
    budget: Budget,
    index: int,
    count_source: bool,
    stream: Meter | None,
    cuts: MemberCuts,
) -> Iterator[Unit | UnitFailure]:
    name = readable_name(info.name)
    if info.issym() or info.islnk():
        yield link_failure(unit, name)
        return
    if info.isdir() or info.ischr() or info.isblk() or info.isfifo():
        return  # no data to read
    label = member_label(unit, name)
    meter = Meter(
        budget,
        f"sparse member {index}" if info.issparse() else f"member {index}",
        count_source=count_source,
        compressed=_stored_bytes(fwd, info, stream),
    )
    with stream.excluding() if stream is not None else nullcontext():
        if info.issparse():
            read = _sparse_reader(tf, info, index)
        else:
            fwd.seek(info.offset_data)
            read = _MemberData(fwd, info.size, index).read
        try:
            yield from spool_member(unit, label, read, meter)
        except LimitExceeded as exc:  # the member's MemberCut is out
            if not cuts.note(exc):
                raise
            _skip_rest(tf, fwd, budget, index, counted=not count_source)


def _another_archive_follows(fwd: ForwardReader, index: int) -> bool:
    """After tarfile found no further member: a clean end, a truncation, damage, or another tar."""
    fwd.raise_deferred()
    last = fwd.last_read
    if len(last) < BLOCK:
        raise FormatError(
            f"the tar ends after member {index} without its end marker (a truncated file); "
            "what came before was scanned",
            hint="get a complete copy of the archive",
        )
    if last.strip(b"\0"):
        raise _damaged(index)
    while block := fwd.read(BLOCK):
        if not block.strip(b"\0"):
            continue
        if looks_like_tar(block):
            fwd.unread(block)
            return True
        raise FormatError(
            "data after the end of the tar was not scanned",
            hint="the file holds something after its tar archive: inspect it by hand",
        )
    return False


def tar_members(
    unit: Unit,
    read: Callable[[int], bytes],
    budget: Budget,
    *,
    count_source: bool,
    stream: Meter | None = None,
) -> Iterator[Unit | UnitFailure]:
    """The members of the tar read from ``read``, labelled under ``unit``.

    ``count_source`` is False when the bytes were already counted while being
    decompressed (a tar inside gzip), so they do not count twice. ``stream`` is
    the meter of the compressed stream holding the tar: each member's ratio is
    taken against the compressed bytes read while it was produced, and the
    stream's own ratio leaves the members' data out.
    """
    cuts = MemberCuts()
    fwd = ForwardReader(read)
    index = 0
    more = True
    while more:
        try:
            tf = tarfile.TarFile(fileobj=fwd, mode="r", encoding="utf-8", errors="surrogateescape")
        except SourceError:
            raise
        except Exception:  # noqa: BLE001 - tarfile's errors on a damaged first header
            raise _damaged(index) from None
        while True:
            try:
                info = tf.next()
            except SourceError:
                raise
            except Exception:  # noqa: BLE001
                raise _damaged(index) from None
            if info is None:
                break
            tf.members.clear()  # type: ignore[attr-defined]  # nothing looks them up: memory stays flat
            index += 1
            budget.count_member()
            yield from _member(unit, tf, fwd, info, budget, index, count_source, stream, cuts)
        more = _another_archive_follows(fwd, index)
    cuts.raise_if_any()


__all__ = ["BLOCK", "MAX_HEADER_BYTES", "ForwardReader", "looks_like_tar", "tar_members"]
