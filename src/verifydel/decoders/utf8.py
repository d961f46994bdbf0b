"""UTF-8 for polars: a file checked, or transcoded into a private copy, before polars reads it.

Polars error messages can quote the offending cell; none of them is passed on.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import polars as pl

from verifydel.core.tempfiles import private_temp_path
from verifydel.decoders.parallel import transcode_file
from verifydel.errors import DecodeError

#: Bytes of a file checked at a time by ``is_valid_utf8``.
UTF8_CHECK_BYTES: Final = 4 << 20


@contextlib.contextmanager
def readable_as_utf8(
    path: Path, encoding: str, *, direct: frozenset[str], suffix: str
) -> Iterator[tuple[Path, DecodeError | None]]:
    """The file as UTF-8 polars can read, for the ``with`` block.

    ``path`` itself when ``encoding`` is one polars reads (in ``direct``) and the
    file is valid UTF-8; else a private transcoded copy, removed afterwards, and
    the DecodeError that cut the copy short (after its last complete line), if
    any: raise it once the rows of the copy are yielded.

    Polars must never see invalid UTF-8: its streaming reader drops the batch
    holding the bad bytes and may yield rows from after them before it raises,
    so rows before the bad bytes would be lost and later ones misnumbered.
    """
    if encoding in direct and is_valid_utf8(path):
        yield path, None
        return
    with private_temp_path(suffix) as copy:
        if encoding in direct:
            yield copy, _not_valid_utf8(transcode_into(path, "utf-8", copy))
        else:
            yield copy, transcode_into(path, encoding, copy)


def is_valid_utf8(path: Path, block: int = UTF8_CHECK_BYTES) -> bool:
    """True when the whole file is UTF-8 (a BOM is; a character cut by its end is not).

    One pass in blocks of ``block`` bytes, each cut before its last character:
    ``bytes.isascii`` passes ASCII blocks, polars (Rust) validates the others by
    casting them to text. Costs ~0.45 s per GB of Japanese text (page cache warm,
    half of it reading), ~1 % of a scan; it also warms the cache polars reads from.
    """
    with open(path, "rb") as fh:
        position = 0
        while data := fh.read(block):
            if len(data) == block:
                data = data[: _before_last_character(data)]
                position += len(data)
                fh.seek(position)
            if data.isascii():
                continue
            try:
                pl.Series([data], dtype=pl.Binary).cast(pl.String)
            except pl.exceptions.PolarsError:
                return False
    return True


def _before_last_character(data: bytes) -> int:
    """The offset of the last UTF-8 lead (or ASCII) byte in the last 4 of ``data``, if > 0.

    No character is cut there; the bytes after it are read again with the next block.
    """
    for i in range(len(data) - 1, max(len(data) - 5, 0), -1):
        if not 0x80 <= data[i] < 0xC0:
            return i
    return len(data)  # no lead byte in the last 4: invalid wherever it is cut


def _not_valid_utf8(error: DecodeError | None) -> DecodeError | None:
    """The DecodeError of a file read as UTF-8, saying so (its message, hint once)."""
    if error is None:
        return None
    return DecodeError(f"the file is not valid UTF-8: {error.args[0]}", hint=error.hint)


def transcode_into(source: Path, encoding: str, target: Path) -> DecodeError | None:
    """Writes ``source`` as UTF-8 to ``target``; on a decode error keeps the complete lines.

    Returns the DecodeError (instead of raising it) so the caller can first read
    the rows transcoded before the bad bytes, then raise it: those rows count as
    scanned and the source ends partial.
    """
    error = transcode_file(source, encoding, target)  # on every core for a large file
    if error is not None:
        with open(target, "r+b") as dst:
            _truncate_after_last_newline(dst.fileno())
    return error


def _truncate_after_last_newline(fd: int, window: int = 1 << 16) -> None:
    """Cuts the file at ``fd`` just after its last b"\\n" (to empty if there is none)."""
    end = os.lseek(fd, 0, os.SEEK_END)
    position = end
    while position > 0:
        start = max(0, position - window)
        block = os.pread(fd, position - start, start)
        cut = block.rfind(b"\n")
        if cut >= 0:
            os.ftruncate(fd, start + cut + 1)
            return
        position = start
    os.ftruncate(fd, 0)
