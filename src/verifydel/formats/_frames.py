"""Shared plumbing of the readers: text casts, bounded batches, UTF-8 copies, errors.

Polars error messages can quote the offending cell; none of them is passed on.
Our messages say where (data row, byte offset) and what to try next.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Final

import polars as pl

from verifydel.decoders.parallel import transcode_file
from verifydel.errors import DecodeError, FormatError
from verifydel.formats.base import BATCH_ROWS

#: Encodings polars reads itself (it drops a UTF-8 BOM in CSV headers).
POLARS_CSV_ENCODINGS: Final = frozenset({"utf-8", "utf-8-sig", "ascii"})

#: Bytes of a file checked at a time by ``is_valid_utf8``.
UTF8_CHECK_BYTES: Final = 4 << 20

_TEMP_PREFIX: Final = "verifydel-"

#: Whole floats below this are written without ".0" (beyond it a float is no
#: longer an exact integer, and nothing personal is that long anyway).
EXACT_FLOAT_LIMIT: Final = float(2**53)


def whole_float_as_integer_text(expr: pl.Expr) -> pl.Expr:
    """A float column as text, whole values without ".0" (9012345678.0 → "9012345678").

    A phone stored as a number has lost its leading 0 and gained ".0"; the
    normaliser restores the 0 from the digits, so the ".0" must not add one.
    """
    whole = expr.is_finite() & (expr == expr.floor()) & (expr.abs() < EXACT_FLOAT_LIMIT)
    return (
        pl.when(whole)
        .then(expr.cast(pl.Int64, strict=False).cast(pl.String))
        .otherwise(expr.cast(pl.String))
    )


def as_text(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """``expr`` (of ``dtype``) as a pl.String expression: cells as text, nested ones as JSON."""
    if dtype == pl.String:
        return expr
    if dtype.is_float():
        return whole_float_as_integer_text(expr)
    if isinstance(dtype, pl.Struct):
        return pl.when(expr.is_not_null()).then(expr.struct.json_encode())
    if isinstance(dtype, (pl.List, pl.Array)):
        # Polars encodes structs only: wrap the list in {"v": ...} and unwrap the text.
        wrapped = pl.struct(expr.alias("v")).struct.json_encode()
        unwrapped = wrapped.str.strip_prefix('{"v":').str.strip_suffix("}")
        return pl.when(expr.is_not_null()).then(unwrapped)
    if dtype == pl.Binary:
        return expr  # decoded per batch: see binary_as_text
    return expr.cast(pl.String)


def binary_as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Binary columns as UTF-8 text; a value that is not valid UTF-8 becomes "0x" + hex."""
    for name, dtype in frame.schema.items():
        if dtype != pl.Binary:
            continue
        column = frame.get_column(name)
        try:
            text = column.cast(pl.String)
        except pl.exceptions.PolarsError:
            # Polars has no lossy or per-value UTF-8 decode. This slow path runs only for
            # batches of binary columns holding bytes that are not text.
            text = pl.Series(name, [_bytes_text(value) for value in column], dtype=pl.String)
        frame = frame.with_columns(text.alias(name))
    return frame


def _bytes_text(value: bytes | None) -> str | None:
    if value is None:
        return None
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return "0x" + value.hex()


def stream_frames(
    lf: pl.LazyFrame,
    *,
    columns: list[str],
    what: str,
    on_error: Callable[[int, Exception], Exception] | None = None,
    finish: Callable[[pl.DataFrame], pl.DataFrame] | None = None,
) -> Iterator[pl.DataFrame]:
    """The rows of ``lf`` in order, in frames of at most BATCH_ROWS rows, streamed.

    A polars failure part-way becomes a FormatError naming the data row reached
    (``on_error(rows_done, polars_error)`` may build a more specific one, without
    quoting the polars message); the frames already yielded stand.
    """
    rows_done = 0

    def failure(exc: Exception) -> Exception:
        if on_error is not None:
            return on_error(rows_done, exc)
        return FormatError(
            f"malformed {what} after data row {rows_done}",
            hint="the rows before it were scanned; check whether the file is complete or corrupt",
        )

    batches = lf.collect_batches(chunk_size=BATCH_ROWS)
    while True:
        try:
            frame = next(batches)
        except StopIteration:
            return
        except (pl.exceptions.PolarsError, OSError) as exc:
            raise failure(exc) from None
        if finish is not None:
            frame = finish(frame)
        if frame.columns != columns:
            raise FormatError(
                f"{what} columns changed after data row {rows_done}",
                hint="the header could not be read consistently; convert the file to UTF-8 CSV",
            )
        for start in range(0, frame.height, BATCH_ROWS):
            part = frame.slice(start, BATCH_ROWS)
            rows_done += part.height
            yield part


@contextlib.contextmanager
def private_temp_path(suffix: str) -> Iterator[Path]:
    """A new empty file readable by its owner only (0600), removed on exit whatever happens."""
    fd, name = tempfile.mkstemp(prefix=_TEMP_PREFIX, suffix=suffix)
    os.close(fd)
    try:
        yield Path(name)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)


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
