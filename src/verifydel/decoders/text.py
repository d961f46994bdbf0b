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
from verifydel.errors import DecodeError, UsageError

#: Bytes read from the source per step of a transcode.
TRANSCODE_CHUNK_BYTES: Final = 1 << 20

_BOM_CHAR: Final = "\ufeff"

#: Codecs decoded with another one that gives the same text once the leading BOM
#: character is dropped (which TextDecoder always does). Python's utf-8-sig decoder
#: shifts the offsets of its errors by the BOM's 3 bytes; plain utf-8 does not.
_DECODE_WITH: Final[dict[str, str]] = {"utf-8-sig": "utf-8"}

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
    """

    def __init__(self, encoding: str, *, start: int = 0) -> None:
        self.encoding = canonical_encoding(encoding)
        self._decoder_codec = _DECODE_WITH.get(self.encoding, self.encoding)
        self._decoder = codecs.getincrementaldecoder(self._decoder_codec)(errors="strict")
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
    is the whole file). At an invalid (or, with ``final``, truncated) byte sequence,
    the complete lines before it: a reader of the whole file meets the same bytes,
    keeps those lines and ends partial. Raises the DecodeError when no line with
    text in it is complete before the bad bytes.
    """
    decoder = TextDecoder(encoding)
    try:
        return decoder.decode(sample, final=final)
    except DecodeError:
        before = decoder.text_before_error
        lines = before[: max(before.rfind("\n"), before.rfind("\r")) + 1]
        if not lines.strip():
            raise
        return lines


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
