"""Bytes of one encoding to text, incrementally: never by cutting the bytes into chunks.

A multibyte character split across two reads is held back by the codec's
incremental decoder until its last byte arrives. Errors name the byte offset of
the first bad byte and never the bytes themselves (they may be a name or a phone).
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from typing import BinaryIO, Final

from verifydel.decoders.detect import detect_encoding
from verifydel.decoders.replace import (
    LOCATED_OFFSETS,
    LOCATING_HANDLER,
    Replacements,
    Running,
    nul_offsets,
)
from verifydel.errors import DecodeError, UsageError

#: Bytes read from the source per step of a transcode.
TRANSCODE_CHUNK_BYTES: Final = 1 << 20

_BOM_CHAR: Final = "\ufeff"

#: Codecs decoded with another one that gives the same text once the leading BOM
#: character is dropped (which TextDecoder always does). Python's utf-8-sig decoder
#: shifts the offsets of its errors by the BOM's 3 bytes; plain utf-8 does not.
_DECODE_WITH: Final[dict[str, str]] = {"utf-8-sig": "utf-8"}

#: Codecs whose C "replace" handler may take over once the first offsets are located
#: (``TextDecoder(replace=True)``): no valid input decodes to U+FFFD in them, except in
#: the UTF-8 ones, whose genuine U+FFFD (EF BF BD) are counted in the bytes and subtracted.
_FAST_REPLACE: Final = frozenset(
    {"utf-8", "cp932", "shift_jis", "shift_jis_2004", "shift_jisx0213", "euc_jp", "euc_jis_2004",
     "euc_jisx0213", "iso2022_jp", "cp1252", "ascii"}
)  # fmt: skip
_GENUINE_REPLACEMENT: Final = "\ufffd".encode()
#: Codecs in which a NUL byte is the NUL character and never part of another one.
_WIDE: Final = ("utf-16", "utf_16", "utf-32", "utf_32")

#: Encodings suggested by decode errors, in the order a Japanese export most likely is.
_SUGGESTED: Final[tuple[str, ...]] = ("cp932", "euc_jp", "utf-8", "utf-16")


def canonical_encoding(name: str) -> str:
    """Python's own name of a text encoding ("Shift-JIS" → "shift_jis", "UTF8" → "utf-8").

    Raises UsageError for an unknown name or a codec that is not a text encoding.
    """
    try:
        info = codecs.lookup(name)
    except LookupError:
        info = None
    if info is None or not getattr(info, "_is_text_encoding", True):
        raise UsageError(
            f"unknown text encoding {name!r}",
            hint="use a Python codec name such as cp932, euc_jp, utf-8 or utf-16",
        )
    return info.name


def _other_encodings_hint(encoding: str) -> str:
    others = [f"--encoding={enc}" for enc in _SUGGESTED if enc != encoding]
    return f"the file is not entirely {encoding}: try {', '.join(others[:-1])} or {others[-1]}"


#: The hint of a character cut by the end of the file: another encoding would not help.
_CUT_SHORT_HINT: Final = "the file ends inside a character: it was probably cut short"
#: What the codecs call a character cut by the end of the data (UTF-8, UTF-16, the CJK ones).
_CUT_SHORT_REASONS: Final = frozenset(
    {"unexpected end of data", "truncated data", "incomplete multibyte sequence"}
)


class TextDecoder:
    """Decodes a byte stream in one encoding, piece by piece, dropping a leading BOM.

    ``decode`` may be given any slicing of the stream; the text it returns,
    concatenated, is the same. ``bytes_consumed`` counts the bytes fed so far.

    With ``replace`` it never raises: invalid sequences become U+FFFD and NUL bytes
    are dropped, counted and located in ``replaced`` (see ``decoders.replace``).
    """

    def __init__(self, encoding: str, *, start: int = 0, replace: bool = False) -> None:
        self.encoding = canonical_encoding(encoding)
        self._decoder_codec = _DECODE_WITH.get(self.encoding, self.encoding)
        self.replace = replace
        #: With ``replace``: what was replaced so far (count, first offsets in the file).
        self.replaced = Replacements()
        self._fast = False  # the codec's C "replace" handler took over from the locating one
        self._data_len = 0  # length of the data being decoded (for the handler's offsets)
        self._tail = b""  # the last bytes fed, for a genuine U+FFFD cut between two calls
        errors = LOCATING_HANDLER if replace else "strict"
        self._decoder = codecs.getincrementaldecoder(self._decoder_codec)(errors=errors)
        #: ``start``: where in the file the stream begins (a piece of a file cut at a
        #: line feed): error offsets count from the file's start, a BOM only opens it.
        self.bytes_consumed = start
        #: After a DecodeError: the text of the valid bytes before the bad sequence
        #: (not yet returned by ``decode``), so a caller can keep what was good.
        self.text_before_error = ""
        self._at_start = start == 0

    @classmethod
    def for_sample(cls, sample: bytes, encoding: str | None = None) -> TextDecoder:
        """A decoder for the file ``sample`` begins: ``encoding`` if given, else detected."""
        return cls(encoding if encoding is not None else detect_encoding(sample))

    def decode(self, data: bytes, *, final: bool = False) -> str:
        """The text ``data`` completes; with ``final`` a character left incomplete is an error."""
        if self.replace:
            return self._decode_replacing(data, final)
        try:
            text = self._decoder.decode(data, final)
        except UnicodeDecodeError as exc:
            # The codec reports positions in (bytes it held back + data).
            held_back = len(exc.object) - len(data)
            offset = self.bytes_consumed - held_back + exc.start
            self.text_before_error = self._strip_bom(self._valid_prefix(exc, data, held_back))
            truncated = final and exc.end >= len(exc.object) and exc.reason in _CUT_SHORT_REASONS
            raise DecodeError(
                f"{'truncated' if truncated else 'invalid'} {self.encoding} byte sequence "
                f"at byte offset {offset}",
                hint=_CUT_SHORT_HINT if truncated else _other_encodings_hint(self.encoding),
            ) from None
        self.bytes_consumed += len(data)
        return self._strip_bom(text)

    def _decode_replacing(self, data: bytes, final: bool) -> str:
        self._data_len = len(data)
        if self._fast:
            text = self._decoder.decode(data, final)
            replaced = text.count("\ufffd")
            if replaced and self._decoder_codec == "utf-8":
                replaced -= (self._tail + data).count(_GENUINE_REPLACEMENT)
            self.replaced.add(replaced)
        else:
            with Running(self):
                text = self._decoder.decode(data, final)
            if self.replaced.located_all and self._decoder_codec in _FAST_REPLACE:
                self._decoder.errors = "replace"  # later offsets are not listed: C speed
                self._fast = True
        self._tail = (self._tail + data)[-2:]
        if "\x00" in text:
            offsets: list[int] = []
            if not self.encoding.startswith(_WIDE) and (
                not self.replaced.located_all or self.bytes_consumed < self.replaced.offsets[-1]
            ):
                offsets = nul_offsets(data, self.bytes_consumed, LOCATED_OFFSETS)
            self.replaced.add(text.count("\x00"), offsets)
            text = text.replace("\x00", "")
        self.bytes_consumed += len(data)
        return self._strip_bom(text)

    def replaced_at(self, exc: UnicodeDecodeError) -> None:
        """Called by the locating error handler for each invalid sequence while not fast."""
        held_back = len(exc.object) - self._data_len
        self.replaced.add(1, [self.bytes_consumed - held_back + exc.start])

    def _strip_bom(self, text: str) -> str:
        if self._at_start and text:
            self._at_start = False
            if text.startswith(_BOM_CHAR):
                return text[1:]
        return text

    def _valid_prefix(self, exc: UnicodeDecodeError, data: bytes, held_back: int) -> str:
        """The text of the bytes before the bad sequence, from the failed call's input."""
        if isinstance(self._decoder, codecs.BufferedIncrementalDecoder):
            # Python-level decoders keep their state when a call fails: feed the good part.
            good = exc.start - held_back
            return self._decoder.decode(data[:good]) if good > 0 else ""
        # The CJK codecs lose their held-back bytes on failure, but are stateless between
        # characters: what they saw up to the error decodes on its own.
        return codecs.decode(exc.object[: exc.start], self._decoder_codec)

    def iter_text(self, src: BinaryIO, chunk: int = TRANSCODE_CHUNK_BYTES) -> Iterator[str]:
        """The text of ``src`` from its current position to its end, in pieces."""
        if chunk <= 0:
            raise ValueError("chunk must be positive")
        while block := src.read(chunk):
            if text := self.decode(block):
                yield text
        if tail := self.decode(b"", final=True):
            yield tail


def decode_head(sample: bytes, encoding: str, *, final: bool) -> str:
    """The text of ``sample``, a file's first bytes, for telling its format and header.

    A character cut at the end of the sample is left out unless ``final`` (the sample
    is the whole file). Read as the readers read the whole file: invalid sequences as
    U+FFFD, NUL bytes dropped (``TextDecoder(replace=True)``).
    """
    return TextDecoder(encoding, replace=True).decode(sample, final=final)


def transcode_to_utf8(
    src: BinaryIO, encoding: str, dst: BinaryIO, chunk: int = TRANSCODE_CHUNK_BYTES, *, start: int = 0
) -> int:
    """Copies ``src`` (text in ``encoding``) to ``dst`` as UTF-8 without BOM.

    Reads ``chunk`` bytes at a time; memory stays bounded whatever the size.
    Returns the number of bytes written. Raises DecodeError at the first invalid
    byte sequence, naming its byte offset in ``src`` (plus ``start``, where ``src``
    begins in its file); everything before that sequence is written first (the
    caller decides whether to use it).
    """
    decoder = TextDecoder(encoding, start=start)
    written = 0
    try:
        for text in decoder.iter_text(src, chunk):
            written += dst.write(text.encode("utf-8"))
    except DecodeError:
        dst.write(decoder.text_before_error.encode("utf-8"))
        raise
    return written


def transcode_replacing(
    src: BinaryIO, encoding: str, dst: BinaryIO, chunk: int = TRANSCODE_CHUNK_BYTES, *, start: int = 0
) -> Replacements:
    """Copies ``src`` to ``dst`` as UTF-8 like ``transcode_to_utf8``, but never stops:
    invalid sequences become U+FFFD and NUL bytes are dropped; returns what was
    replaced (offsets counted from ``start``, where ``src`` begins in its file)."""
    decoder = TextDecoder(encoding, start=start, replace=True)
    for text in decoder.iter_text(src, chunk):
        dst.write(text.encode("utf-8"))
    return decoder.replaced
