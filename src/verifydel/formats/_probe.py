"""What the format readers look at to recognise a file: its first bytes, by content.

A ``Probe`` reads the head of the file once; every reader's ``sniff`` looks at
the same head. The text properties (encoding, decoded head) are computed only when
a text reader asks, so binary formats never pay for encoding detection.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Final

from verifydel.decoders import (
    DETECTION_SAMPLE_BYTES,
    bom_encoding,
    canonical_encoding,
    detect_encoding,
)
from verifydel.decoders.text import decode_head
from verifydel.errors import SourceError

#: Bytes of the head decoded as text for the text readers' sniffing (delimiter,
#: header row, first character): a few hundred rows of a typical export.
TEXT_HEAD_BYTES: Final = 1 << 16

#: Bytes looked at to tell text from binary.
_BINARY_CHECK_BYTES: Final = 8192
#: Control bytes that do not occur in text (TAB, LF, VT, FF, CR, SUB and ESC do).
_CONTROL_BYTES: Final = bytes([*range(0x01, 0x09), *range(0x0E, 0x1A), *range(0x1C, 0x20)])
#: Share of control bytes above which a head is binary (a stray one in text is tolerated).
_MAX_CONTROL_SHARE: Final = 0.01
#: NUL bytes in at least this share of a head, nearly all at even or all at odd offsets:
#: UTF-16 text (each ASCII or Latin character has a NUL byte) rather than text with NULs.
_UTF16_NUL_SHARE: Final = 0.2
_UTF16_NUL_PARITY: Final = 0.9


#: NUL bytes up to this share of a head are stray (dropped, the rest judged as text);
#: more, and the rest must look like a table (``_looks_tabular``) to be read as one.
_MAX_STRAY_NUL_SHARE: Final = 0.01
#: Lines of a head looked at by ``_looks_tabular``.
_TABULAR_LINES: Final = 20


def _looks_tabular(text: bytes) -> bool:
    """True when ``text`` (a head without its NULs) opens JSON Lines, or holds at least 3
    lines of which 90 % have the same (non-zero) number of one delimiter."""
    if text.lstrip()[:1] == b"{":
        return True
    lines = [line for line in text.split(b"\n", _TABULAR_LINES + 1)[:-1] if line.strip()]
    if len(lines) < 3:
        return False
    for delimiter in (b",", b"\t", b";", b"|"):
        counts = [line.count(delimiter) for line in lines]
        commonest = max(set(counts), key=counts.count)
        if commonest > 0 and counts.count(commonest) >= 0.9 * len(counts):
            return True
    return False


def _utf16_like(sample: bytes) -> bool:
    """True when the NUL bytes of ``sample`` look like those of UTF-16 text."""
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    nuls = even + odd
    return nuls >= _UTF16_NUL_SHARE * len(sample) and max(even, odd) >= _UTF16_NUL_PARITY * nuls


@dataclass
class Probe:
    """The head of one file and what can be told from it."""

    path: Path
    head: bytes
    size: int
    encoding_override: str | None = None
    #: The user said how to read text (--encoding, --map): NUL bytes never make it binary.
    prefer_text: bool = False

    @classmethod
    def read(cls, path: Path, encoding: str | None = None, *, prefer_text: bool = False) -> Probe:
        try:
            with open(path, "rb") as f:
                head = f.read(DETECTION_SAMPLE_BYTES)
                size = max(len(head), f.seek(0, 2))
        except OSError as exc:
            raise SourceError(
                f"cannot read the file: {(exc.strerror or type(exc).__name__).lower()}",
                hint="check that it exists and that you may read it",
            ) from None
        override = canonical_encoding(encoding) if encoding is not None else None
        return cls(
            path=path,
            head=head,
            size=size,
            encoding_override=override,
            prefer_text=prefer_text or override is not None,
        )

    @property
    def is_whole_file(self) -> bool:
        return len(self.head) >= self.size

    def starts_with(self, magic: bytes) -> bool:
        return self.head.startswith(magic)

    @cached_property
    def is_binary(self) -> bool:
        """True when the head cannot be text in any encoding verifydel reads.

        NUL bytes alone do not make it binary (the text readers drop them, count them
        and read on: one NUL must not hide a table), unless they fall every other byte,
        as in UTF-16 text without a BOM, which the unstructured reader searches (not
        when the user gave --encoding or --map: then the file is read as text). Other
        control bytes do, above _MAX_CONTROL_SHARE of the head without its NULs.
        """
        announced = self.encoding_override or bom_encoding(self.head) or ""
        if announced.startswith(("utf-16", "utf_16", "utf-32", "utf_32")):
            return False  # NUL bytes are normal in UTF-16
        sample = self.head[:_BINARY_CHECK_BYTES]
        if b"\x00" in sample:
            nuls = sample.count(0)
            if not self.prefer_text and _utf16_like(sample):
                return True
            text = self.head.replace(b"\x00", b"")
            sample = text[:_BINARY_CHECK_BYTES]
            if not sample:
                return True  # nothing but NUL bytes: no text to read
            heavy = nuls > _MAX_STRAY_NUL_SHARE * len(self.head[:_BINARY_CHECK_BYTES])
            if heavy and not self.prefer_text and not _looks_tabular(text[:TEXT_HEAD_BYTES]):
                return True  # mostly NULs (an image, a binary): a table only if it looks like one
        controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
        return controls > _MAX_CONTROL_SHARE * len(sample)

    @cached_property
    def encoding(self) -> str:
        """The override if given, else the encoding detected from the head (or DecodeError)."""
        return self.encoding_override or detect_encoding(self.head)

    @cached_property
    def text_head(self) -> str:
        """The first TEXT_HEAD_BYTES decoded (a character cut at the end is left out;
        invalid sequences are U+FFFD, NUL bytes dropped: see decode_head)."""
        sample = self.head[:TEXT_HEAD_BYTES]
        final = len(sample) >= self.size
        return decode_head(sample, self.encoding, final=final)

    @cached_property
    def text_head_is_whole_file(self) -> bool:
        return self.size <= TEXT_HEAD_BYTES

    def bytes_of_head_text(self, text: str) -> float:
        """About how many bytes of the file the text ``text_head`` begins with takes
        (``text`` is such a beginning): its share of the bytes ``text_head`` was decoded from."""
        if self.text_head_is_whole_file and len(text) >= len(self.text_head):
            return float(self.size)
        decoded = min(len(self.head), TEXT_HEAD_BYTES)
        return decoded * len(text) / max(1, len(self.text_head))
