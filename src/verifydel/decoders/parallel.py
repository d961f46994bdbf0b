"""Transcoding a large file to UTF-8 on every core.

Python's codecs hold the GIL, so one thread transcodes CP932 at about 150 MB/s
on this kind of machine: 9 s for a 1.3 GB export, before the scan can start.
In the encodings of ``SPLITTABLE`` the byte 0x0A is only ever a line feed
(never the second byte of a double-byte character), so the file can be cut at
line feeds into pieces that decode on their own, one per core: this process
transcodes the first piece while worker processes transcode the others, each
into a private file, and the pieces are then joined in order.

The result is byte for byte what ``transcode_to_utf8`` writes, errors included:
at the first invalid sequence (the earliest piece that has one) the output
holds everything before it and the DecodeError names its offset in the whole
file (tests/decoders pin both). ``transcode_file_replacing`` never stops: each piece
replaces its bad bytes (``decoders.replace``) and the pieces' counts and offsets are
merged, so the result is again what one thread would have found.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import BinaryIO, Final

from verifydel.decoders.replace import Replacements
from verifydel.decoders.text import (
    TRANSCODE_CHUNK_BYTES,
    canonical_encoding,
    transcode_replacing,
    transcode_to_utf8,
)
from verifydel.errors import DecodeError

#: ASCII-compatible encodings in which b"\n" never occurs inside a multi-byte character.
SPLITTABLE: Final[frozenset[str]] = frozenset(
    {"cp932", "shift_jis", "shift_jis_2004", "shift_jisx0213", "euc_jp", "euc_jis_2004", "euc_jisx0213",
     "latin_1", "cp1252", "iso8859_15", "ascii"}
)  # fmt: skip
#: Below this a single thread is as fast as starting a worker process.
MIN_PARALLEL_BYTES: Final[int] = 64 << 20
#: How far past a cut point a line feed is looked for before giving up splitting there.
_SEARCH_BYTES: Final[int] = 16 << 20


class _Range:
    """``src`` from ``start`` to ``end`` as a readable stream."""

    def __init__(self, src: BinaryIO, start: int, end: int) -> None:
        src.seek(start)
        self._src, self._left = src, end - start

    def read(self, n: int = -1) -> bytes:
        n = self._left if n < 0 else min(n, self._left)
        data = self._src.read(n) if n > 0 else b""
        self._left -= len(data)
        return data


#: What a piece's transcoding returns: (error message, error hint, replaced count, offsets).
_PieceResult = tuple[str | None, str | None, int, list[int]]


def transcode_piece(
    source: str,
    encoding: str,
    start: int,
    end: int,
    target: str,
    chunk: int = TRANSCODE_CHUNK_BYTES,
    replace: bool = False,
) -> _PieceResult:
    """Bytes ``start``..``end`` of ``source`` written to ``target`` as UTF-8 (``transcode_to_utf8``).

    Returns (error message, error hint, 0, []): on an invalid sequence the text before
    it is written and its message is returned (with the offset in the whole
    file), not raised: exceptions do not cross processes intact. With ``replace``
    (``transcode_replacing``): (None, None, replaced count, first offsets).
    """
    with open(source, "rb") as fh, open(target, "wb") as out:
        stream = _Range(fh, start, end)
        if replace:
            replaced = transcode_replacing(stream, encoding, out, chunk, start=start)  # type: ignore[arg-type]
            return None, None, replaced.count, replaced.offsets
        try:
            transcode_to_utf8(stream, encoding, out, chunk, start=start)  # type: ignore[arg-type]
        except DecodeError as exc:
            return str(exc.args[0]), exc.hint, 0, []
    return None, None, 0, []


def cut_points(path: Path, pieces: int) -> list[int]:
    """Offsets just after a line feed, near ``size * k / pieces``: the pieces' bounds (first 0, last size)."""
    size = path.stat().st_size
    bounds = [0]
    with open(path, "rb") as fh:
        for k in range(1, pieces):
            guess = max(size * k // pieces, bounds[-1])
            fh.seek(guess)
            block = fh.read(_SEARCH_BYTES)
            cut = block.find(b"\n")
            if cut >= 0 and guess + cut + 1 < size:
                bounds.append(guess + cut + 1)
    bounds.append(size)
    return sorted(set(bounds))


def _start_worker(
    source: Path, encoding: str, start: int, end: int, target: Path, replace: bool
) -> subprocess.Popen[bytes]:
    """``transcode_piece`` in a new interpreter (not multiprocessing: no fork of a threaded
    process, and no re-import of the caller's ``__main__``, which may be a REPL or stdin)."""
    args = [sys.executable, "-m", __name__, str(source), encoding, str(start), str(end), str(target)]
    args.append("replace" if replace else "strict")
    return subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)


def _worker_result(worker: subprocess.Popen[bytes]) -> _PieceResult:
    out, _ = worker.communicate()
    if worker.returncode != 0:
        raise DecodeError(f"transcoding worker failed (exit status {worker.returncode})")
    message, hint, count, offsets = json.loads(out)
    return message, hint, count, offsets


def transcode_file_replacing(
    source: Path,
    encoding: str,
    target: Path,
    workers: int | None = None,
    min_parallel_bytes: int = MIN_PARALLEL_BYTES,
) -> Replacements:
    """Writes ``source`` as UTF-8 to ``target`` whatever bad bytes it holds (replaced,
    see ``decoders.replace``); returns what was replaced, over the whole file."""
    _, replaced = _transcode(source, encoding, target, workers, min_parallel_bytes, replace=True)
    return replaced


def transcode_file(
    source: Path,
    encoding: str,
    target: Path,
    workers: int | None = None,
    min_parallel_bytes: int = MIN_PARALLEL_BYTES,
) -> DecodeError | None:
    """Writes ``source`` as UTF-8 to ``target`` (see the module docstring); returns the DecodeError, if any.

    Falls back to one piece for small files, encodings outside ``SPLITTABLE``,
    one core, or a file with no line feed near the cut points.
    """
    error, _ = _transcode(source, encoding, target, workers, min_parallel_bytes, replace=False)
    return error


def _transcode(
    source: Path,
    encoding: str,
    target: Path,
    workers: int | None,
    min_parallel_bytes: int,
    *,
    replace: bool,
) -> tuple[DecodeError | None, Replacements]:
    workers = workers if workers is not None else (os.cpu_count() or 1)
    size = source.stat().st_size
    bounds = [0, size]
    if canonical_encoding(encoding) in SPLITTABLE and workers > 1 and size >= min_parallel_bytes:
        bounds = cut_points(source, workers)
    pieces = list(zip(bounds[:-1], bounds[1:]))
    replaced = Replacements()
    if len(pieces) <= 1:
        message, hint, count, offsets = transcode_piece(
            str(source), encoding, 0, size, str(target), replace=replace
        )
        replaced.add(count, offsets)
        return (DecodeError(message, hint=hint) if message else None), replaced
    parts = [target.with_name(f"{target.name}.{i}") for i in range(len(pieces))]
    workers_started: list[subprocess.Popen[bytes]] = []
    try:
        for (a, b), part in zip(pieces[1:], parts[1:]):
            workers_started.append(_start_worker(source, encoding, a, b, part, replace))
        results = [transcode_piece(str(source), encoding, *pieces[0], str(target), replace=replace)]
        results += [_worker_result(w) for w in workers_started]
        error: DecodeError | None = None
        with open(target, "ab") as out:
            for i, (message, hint, count, offsets) in enumerate(results):
                replaced.add(count, offsets)
                if i > 0:
                    with open(parts[i], "rb") as piece:
                        shutil.copyfileobj(piece, out, 16 << 20)
                if message:
                    error = DecodeError(message, hint=hint)
                    break
        return error, replaced
    finally:
        for w in workers_started:
            if w.poll() is None:
                w.kill()
                w.wait()
        for part in parts[1:]:
            part.unlink(missing_ok=True)


__all__ = [
    "MIN_PARALLEL_BYTES",
    "SPLITTABLE",
    "cut_points",
    "transcode_file",
    "transcode_file_replacing",
    "transcode_piece",
]


if __name__ == "__main__":  # a worker: python -m verifydel.decoders.parallel SOURCE ENCODING START END TARGET MODE
    _source, _encoding, _start, _end, _target, _mode = sys.argv[1:7]
    _result = transcode_piece(
        _source, _encoding, int(_start), int(_end), _target, replace=_mode == "replace"
    )
    print(json.dumps(_result))
