"""The manifest's digests: SHA-256 of the bytes a source was read from, and of a live table's rows.

- A file given (or found in a folder) is hashed by one sequential reader that runs beside
  the format's reader, started with it (``FileDigest``): the two pass over the same bytes
  at once, so the disk is read once and the second reader is served by the operating
  system's cache. The file's identity (device, inode, size, modification time) is taken
  before and after; a file that changed while it was read is reported, never hashed
  silently as if it had not.
- An archive member is hashed as it is spooled (``containers/_spool``): the digest is of
  exactly the bytes the format reader got.
- A live database table has no bytes: ``RowDigest`` hashes its rows as they were streamed,
  each batch written as CSV (UTF-8, comma, ``\\n``, a header line once, polars' quoting), so
  a colleague reading the same table in the same order gets the same digest.
"""

from __future__ import annotations

import hashlib
import os
import stat
import threading
from pathlib import Path
from typing import Final

import polars as pl

#: The algorithm every digest in the report uses (named in the report beside each digest).
ALGORITHM: Final = "sha256"
_CHUNK: Final = 1 << 20
_OPEN_FLAGS: Final = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)


def _identity(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


class FileDigest:
    """SHA-256 of a file, computed on a thread of its own from the moment it is made.

    ``result()`` waits for it: (hex digest, bytes hashed), or raises ``DigestError`` with
    the reason (unreadable, or changed while it was read).
    """

    def __init__(self, path: Path | str) -> None:
        self._path = os.fspath(path)
        self._value: tuple[str, int] | None = None
        self._error: str | None = None
        self._cancelled = threading.Event()
        self._thread = threading.Thread(target=self._run, name="verifydel-digest", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            # Never blocks on what is not a regular file (a FIFO put in the file's place
            # after it was listed): opened non-blocking, checked on the descriptor.
            fd = os.open(self._path, _OPEN_FLAGS)
            with open(fd, "rb", buffering=0) as handle:
                st = os.fstat(fd)
                if not stat.S_ISREG(st.st_mode):
                    self._error = "not hashed: it is no longer a regular file (replaced while it was scanned)"
                    return
                os.set_blocking(fd, True)
                before = _identity(st)
                digest = hashlib.sha256()
                size = 0
                buffer = bytearray(_CHUNK)
                view = memoryview(buffer)
                while count := handle.readinto(buffer):
                    if self._cancelled.is_set():
                        self._error = "not hashed: the scan was interrupted"
                        return
                    digest.update(view[:count])
                    size += count
                after = _identity(os.fstat(handle.fileno()))
            if after != before or size != before[2]:
                self._error = "the file changed while it was being scanned: its digest is not of what was read"
                return
            self._value = (digest.hexdigest(), size)
        except OSError as exc:
            self._error = f"cannot read the file to hash it: {(exc.strerror or type(exc).__name__).lower()}"

    def cancel(self) -> None:
        """Stop hashing (the scan was interrupted: the digest is not waited for)."""
        self._cancelled.set()

    def result(self) -> tuple[str, int]:
        self._thread.join()
        if self._value is None:
            raise DigestError(self._error or "no digest")
        return self._value


class DigestError(Exception):
    """A file could not be hashed (the reason is safe to show: it names no value)."""


class StreamDigest:
    """SHA-256 of bytes fed in order (an archive member as it is spooled)."""

    def __init__(self) -> None:
        self._digest = hashlib.sha256()
        self.size = 0

    def update(self, data: bytes | memoryview) -> None:
        self._digest.update(data)
        self.size += len(data)

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


class RowDigest:
    """SHA-256 of a table's rows as streamed: each batch as CSV, the header line once.

    ``encode`` (any thread) and ``update_encoded`` (in row order) split the work so that
    batches can be encoded in parallel; ``update`` does both."""

    def __init__(self) -> None:
        self._digest = hashlib.sha256()
        self._header = True
        self.rows = 0

    @staticmethod
    def encode(batch: pl.DataFrame, *, header: bool) -> bytes:
        """The batch as the digest reads it: CSV, UTF-8; nested or binary cells as text."""
        as_text = [
            pl.struct(pl.col(name)).struct.json_encode().alias(name)  # {"name": value}
            if dtype.is_nested()
            else pl.col(name).bin.encode("hex")
            for name, dtype in batch.schema.items()
            if dtype.is_nested() or dtype == pl.Binary
        ]
        plain = batch.with_columns(as_text) if as_text else batch
        return plain.write_csv(include_header=header, line_terminator="\n").encode("utf-8")

    def update_encoded(self, data: bytes, rows: int) -> None:
        self._digest.update(data)
        self.rows += rows

    def update(self, batch: pl.DataFrame) -> None:
        self.update_encoded(self.encode(batch, header=self._header), batch.height)
        self._header = False

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


def sha256_file(path: Path | str) -> tuple[str, int]:
    """SHA-256 and size of a file, read once (for ``verify --media``)."""
    return FileDigest(path).result()


__all__ = ["ALGORITHM", "DigestError", "FileDigest", "RowDigest", "StreamDigest", "sha256_file"]
