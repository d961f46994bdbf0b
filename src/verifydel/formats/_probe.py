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


@dataclass
class Probe:
    """The head of one file and what can be told from it."""

    path: Path
    head: bytes
    size: int
    encoding_override: str | None = None

    @classmethod
    def read(cls, path: Path, encoding: str | None = None) -> Probe:
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
        return cls(path=path, head=head, size=size, encoding_override=override)

    @property
    def is_whole_file(self) -> bool:
        return len(self.head) >= self.size

    def starts_with(self, magic: bytes) -> bool:
        return self.head.startswith(magic)

    @cached_property
    def is_binary(self) -> bool:
        """True when the head cannot be text in any encoding verifydel reads."""
        announced = self.encoding_override or bom_encoding(self.head) or ""
        if announced.startswith(("utf-16", "utf_16", "utf-32", "utf_32")):
            return False  # NUL bytes are normal in UTF-16
        sample = self.head[:_BINARY_CHECK_BYTES]
        if b"\x00" in sample:
            return True
        controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
        return controls > _MAX_CONTROL_SHARE * len(sample)

    @cached_property
    def encoding(self) -> str:
        """The override if given, else the encoding detected from the head (or DecodeError)."""
        return self.encoding_override or detect_encoding(self.head)

    @cached_property
    def text_head(self) -> str:
        """The first TEXT_HEAD_BYTES decoded (a character cut at the end is left out;
        bytes that do not decode end it after its last complete line: see decode_head)."""
        sample = self.head[:TEXT_HEAD_BYTES]
        final = len(sample) >= self.size
        return decode_head(sample, self.encoding, final=final)

    @cached_property
    def text_head_is_whole_file(self) -> bool:
        return self.size <= TEXT_HEAD_BYTES
