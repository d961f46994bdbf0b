"""Compressed streams read in bounded chunks, counted as they are decompressed.

``DecodedReader.read(n)`` never returns more than ``n`` bytes and never feeds the
codec more than ``INPUT_CHUNK_BYTES`` at once, so a bomb stops at a limit without
memory or disk past it. Every codec here takes an output bound per call
(``decompress(data, max_length)``): zlib, bz2, lzma and zstd (the standard
``compression.zstd`` API, from ``backports.zstd`` before Python 3.14; the
``zstandard`` package is not used: its stream reader returns a truncated frame
as if it were complete, and its decompressobj has no output bound).
"""

from __future__ import annotations

import bz2
import lzma
import zlib
from collections.abc import Callable
from typing import BinaryIO, Final, Protocol

from verifydel.core.limits import Budget, Meter, human_size
from verifydel.errors import FormatError, SourceError

try:  # Python 3.14+
    from compression import zstd  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - depends on the Python version
    from backports import zstd  # type: ignore[no-redef]

#: Compressed bytes handed to a codec at once (small: what a codec holds unread blurs the ratio).
INPUT_CHUNK_BYTES: Final = 16 << 10
#: The most memory an LZMA/xz decoder may ask for (its dictionary); xz -9 needs 65 MiB.
DECODER_MEMORY_BYTES: Final = 1 << 30

_CODEC_ERRORS: Final = (zlib.error, OSError, lzma.LZMAError, EOFError, ValueError, zstd.ZstdError)


class Codec(Protocol):
    """The interface of bz2.BZ2Decompressor, lzma.LZMADecompressor and zstd.ZstdDecompressor."""

    @property
    def eof(self) -> bool: ...
    @property
    def needs_input(self) -> bool: ...
    @property
    def unused_data(self) -> bytes: ...
    def decompress(self, data: bytes, max_length: int = -1) -> bytes: ...


class RawSource(Protocol):
    """Compressed bytes: ``consumed`` so far; ``short``: the file ended before its declared end."""

    @property
    def consumed(self) -> int: ...
    @property
    def short(self) -> bool: ...
    def read(self, n: int) -> bytes: ...


class CountingReader:
    """A binary file read forward, counting the bytes read; at most ``limit`` bytes when given."""

    def __init__(self, fh: BinaryIO, budget: Budget, limit: int | None = None) -> None:
        self._fh = fh
        self._budget = budget
        self._limit = limit
        self.consumed = 0
        self.short = False

    def read(self, n: int) -> bytes:
        self._budget.check_time()
        if self._limit is not None:
            n = min(n, self._limit - self.consumed)
            if n <= 0:
                return b""
        data = self._fh.read(n)
        self.consumed += len(data)
        if self._limit is not None and len(data) < n:
            self.short = True
        return data


class ZlibCodec:
    """zlib's decompressobj behind the Codec interface (``wbits`` 31: gzip, -15: raw deflate)."""

    def __init__(self, wbits: int) -> None:
        self._d = zlib.decompressobj(wbits)

    @property
    def eof(self) -> bool:
        return self._d.eof

    @property
    def needs_input(self) -> bool:
        return not self._d.unconsumed_tail

    @property
    def unused_data(self) -> bytes:
        return self._d.unused_data

    @property
    def unconsumed_tail(self) -> bytes:
        return self._d.unconsumed_tail

    def decompress(self, data: bytes, max_length: int = -1) -> bytes:
        tail = self._d.unconsumed_tail
        return self._d.decompress(
            tail + data if tail else data, max_length if max_length > 0 else 1 << 20
        )


class StoredCodec:
    """Bytes stored as they are (zip method 0): no end marker, the input's end is the end."""

    eof: Final = False
    unused_data: Final = b""

    def __init__(self) -> None:
        self._held = b""

    @property
    def needs_input(self) -> bool:
        return not self._held

    def decompress(self, data: bytes, max_length: int = -1) -> bytes:
        self._held += data
        out, self._held = self._held[:max_length], self._held[max_length:]
        return out


def bzip2_codec() -> Codec:
    return bz2.BZ2Decompressor()


def xz_codec() -> Codec:
    return lzma.LZMADecompressor(lzma.FORMAT_XZ, memlimit=DECODER_MEMORY_BYTES)


def zstd_codec() -> Codec:
    codec: Codec = zstd.ZstdDecompressor()
    return codec


class DecodedReader:
    """The decompressed bytes of ``raw``, ``n`` at most per read, counted by ``meter``.

    ``next_magic`` allows further streams after the first (concatenated gzip
    members, pbzip2 blocks, xz and zstd frames); zero padding between and after
    streams is skipped. Anything else after the end of the data is reported, not
    silently ignored, unless ``ignore_trailing`` (a zip member's compressed size
    may round up). ``self_terminating`` is False for codecs whose end is the end of
    their input (stored, raw LZMA without end marker).

    ``peek(n)`` reads ahead without consuming; an error met while peeking is
    raised only once the bytes before it were read.
    """

    def __init__(
        self,
        raw: RawSource,
        new_codec: Callable[[], Codec],
        meter: Meter,
        *,
        what: str,
        next_magic: tuple[bytes, ...] = (),
        ignore_trailing: bool = False,
        self_terminating: bool = True,
    ) -> None:
        self._raw = raw
        self._new_codec = new_codec
        self._codec = new_codec()
        self.meter = meter
        self._what = what
        self._next_magic = next_magic
        self._ignore_trailing = ignore_trailing
        self._self_terminating = self_terminating
        self._pending = b""  # compressed bytes read but not yet given to the codec
        self._ahead = b""  # decompressed bytes peeked but not yet read
        self._deferred: SourceError | None = None
        self._done = False
        self.crc = 0

    @property
    def input_used(self) -> int:
        """Compressed bytes the codec used (what was read ahead past the end does not count)."""
        held = (
            len(self._pending)
            + len(self._codec.unused_data)
            + len(getattr(self._codec, "unconsumed_tail", b""))
        )
        return self._raw.consumed - held

    def peek(self, n: int) -> bytes:
        try:
            while len(self._ahead) < n and (chunk := self._produce(n - len(self._ahead))):
                self._ahead += chunk
        except SourceError as exc:
            self._deferred = exc
        return self._ahead[:n]

    def read(self, n: int) -> bytes:
        if self._ahead:
            out, self._ahead = self._ahead[:n], self._ahead[n:]
            return out
        if self._deferred is not None:
            exc, self._deferred = self._deferred, None
            raise exc
        return self._produce(n)

    def _produce(self, n: int) -> bytes:
        stalls = 0
        while not self._done:
            if self._codec.eof:
                self._next_stream()
                continue
            data = b""
            if self._codec.needs_input:
                data, self._pending = (self._pending or self._raw.read(INPUT_CHUNK_BYTES)), b""
                if not data:
                    return self._input_ended(n)
            out = self._decompress(data, n)
            if out:
                self.meter.add(len(out))
                self.crc = zlib.crc32(out, self.crc)
                return out
            stalls = 0 if data else stalls + 1
            if stalls > 2:
                raise self._corrupt()
        return b""

    def _input_ended(self, n: int) -> bytes:
        out = self._decompress(b"", n)  # output the codec may still hold
        if out:
            self.meter.add(len(out))
            self.crc = zlib.crc32(out, self.crc)
            return out
        self._done = True
        if self._raw.short or self._self_terminating:
            raise FormatError(
                f"the {self._what} data ends early, after {human_size(self.meter.produced)} "
                "(a truncated or damaged file); what came before was scanned",
                hint="get a complete copy of the file",
            )
        return b""

    def _decompress(self, data: bytes, n: int) -> bytes:
        try:
            return self._codec.decompress(data, n)
        except _CODEC_ERRORS:
            raise self._corrupt() from None

    def _corrupt(self) -> FormatError:
        self._done = True
        return FormatError(
            f"the {self._what} data is corrupt after {human_size(self.meter.produced)}; "
            "what came before was scanned",
            hint="the file is damaged or was altered",
        )

    def _next_stream(self) -> None:
        """After the end of one stream: another stream, zero padding, the end, or stray data."""
        if self._ignore_trailing:
            self._done = True
            return
        rest, self._pending = self._codec.unused_data + self._pending, b""
        while not (rest := rest.lstrip(b"\0")):
            rest = self._raw.read(INPUT_CHUNK_BYTES)
            if not rest:
                self._done = True
                return
        while len(rest) < 8 and (more := self._raw.read(INPUT_CHUNK_BYTES)):
            rest += more
        if self._next_magic and rest.startswith(self._next_magic):
            self._codec = self._new_codec()
            self._pending = rest
            return
        self._done = True
        raise FormatError(
            f"data after the end of the {self._what} data was not scanned",
            hint="the file holds something after its compressed data: inspect it by hand",
        )


__all__ = [
    "DECODER_MEMORY_BYTES",
    "INPUT_CHUNK_BYTES",
    "CountingReader",
    "DecodedReader",
    "RawSource",
    "StoredCodec",
    "ZlibCodec",
    "bzip2_codec",
    "xz_codec",
    "zstd_codec",
]
