"""Bytes that are not text, replaced and accounted for: invalid sequences and NUL bytes.

A broker's file may hold a few bytes that no encoding makes text of: an invalid
UTF-8 or CP932 sequence, a NUL. They must not end the reading of the file (one bad
byte at its top would hide every row after it), nor be hidden from the report: each
invalid sequence becomes U+FFFD, each NUL byte is dropped (so a value with a NUL
inside it still matches), and ``Replacements`` counts them and keeps the byte offsets
of the first ``LOCATED_OFFSETS`` for the source's ``details``.

Fast by design: the first ``LOCATED_OFFSETS`` invalid sequences go through a Python
error handler (to learn their offsets); after that the codec's own C "replace" handler
does the work and the replacements are counted with ``str.count`` per chunk, so a file
made of bad bytes costs no Python call per byte. NULs are counted and dropped per
chunk with ``bytes.count`` / ``str.replace``.
"""

from __future__ import annotations

import codecs
import threading
from dataclasses import dataclass, field
from typing import Final, Protocol

#: How many offsets of replaced bytes the report lists (the count is always complete).
LOCATED_OFFSETS: Final = 10
#: The error handler name registered for ``TextDecoder(replace=True)``.
LOCATING_HANDLER: Final = "verifydel-locate"

#: Detail keys of a source some of whose bytes were replaced (see ``Replacements.details``).
REPLACED_DETAIL: Final = "replaced_sequences"
OFFSETS_DETAIL: Final = "first_replaced_offsets"

_REPLACEMENT: Final = "\ufffd"


@dataclass
class Replacements:
    """Invalid byte sequences replaced by U+FFFD and NUL bytes dropped, in one file."""

    count: int = 0
    #: Byte offsets (in the file) of the first LOCATED_OFFSETS of them, ascending.
    offsets: list[int] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.count > 0

    @property
    def located_all(self) -> bool:
        """True once LOCATED_OFFSETS offsets are known: later ones are not needed."""
        return len(self.offsets) >= LOCATED_OFFSETS

    def add(self, count: int, offsets: list[int] | tuple[int, ...] = ()) -> None:
        self.count += count
        if offsets:
            self.offsets = sorted({*self.offsets, *offsets})[:LOCATED_OFFSETS]

    def merge(self, other: Replacements) -> None:
        self.add(other.count, other.offsets)

    def details(self) -> dict[str, str | int | bool | None]:
        """The source's ``details`` entries: the count, and the offsets as "12,4096,..."."""
        if not self:
            return {}
        return {REPLACED_DETAIL: self.count, OFFSETS_DETAIL: ",".join(map(str, self.offsets))}

    def note(self) -> str:
        """The source's note: what was replaced, where, and that every row was read."""
        where = ", ".join(map(str, self.offsets))
        more = ", ..." if self.count > len(self.offsets) else ""
        return (
            f"{self.count} invalid byte sequence(s) or NUL byte(s) could not be read as text "
            f"(first at byte offset(s) {where}{more}): invalid sequences were replaced by "
            "U+FFFD and NUL bytes dropped, and every row was read; a value holding them "
            "may not match"
        )


class _Locating(Protocol):
    """What the error handler needs from the decoder calling it (``TextDecoder``)."""

    bytes_consumed: int
    replaced: Replacements

    def replaced_at(self, exc: UnicodeDecodeError) -> None: ...


_active = threading.local()


def _locate_and_replace(exc: UnicodeError) -> tuple[str, int]:
    """The codec error handler: tells the decoder being run where, then U+FFFD."""
    decoder: _Locating | None = getattr(_active, "decoder", None)
    if not isinstance(exc, UnicodeDecodeError) or decoder is None:
        raise exc
    decoder.replaced_at(exc)
    return _REPLACEMENT, exc.end


codecs.register_error(LOCATING_HANDLER, _locate_and_replace)


class Running:
    """``with Running(decoder):`` the handler reports to ``decoder`` (in this thread)."""

    def __init__(self, decoder: _Locating) -> None:
        self._decoder = decoder

    def __enter__(self) -> None:
        _active.decoder = self._decoder

    def __exit__(self, *exc: object) -> None:
        _active.decoder = None


def nul_offsets(data: bytes, base: int, limit: int) -> list[int]:
    """The offsets (``base`` + index) of the first ``limit`` NUL bytes of ``data``."""
    found: list[int] = []
    at = data.find(b"\x00")
    while at >= 0 and len(found) < limit:
        found.append(base + at)
        at = data.find(b"\x00", at + 1)
    return found


__all__ = [
    "LOCATED_OFFSETS",
    "LOCATING_HANDLER",
    "OFFSETS_DETAIL",
    "REPLACED_DETAIL",
    "Replacements",
    "Running",
    "nul_offsets",
]
