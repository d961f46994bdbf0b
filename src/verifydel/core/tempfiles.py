"""Private temporary files: the one place verifydel makes them.

Every temporary file is made by ``tempfile.mkstemp`` (O_EXCL, mode 0600, a
random name in the temporary folder, never a name taken from the media) and is
registered here until it is removed, so that a signal handler can remove every
one still on disk (``remove_all``): decompressed or decrypted members must not
outlive a killed scan.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from verifydel.errors import SourceError

PREFIX: Final = "verifydel-"

_live: set[str] = set()
_lock = threading.Lock()
_closed = False  # set by remove_all(closing=True): the process is going, no new file


def _reason(exc: OSError) -> str:
    return (exc.strerror or type(exc).__name__).lower()


def new_private_file(suffix: str = "") -> tuple[int, Path]:
    """A new empty file readable by its owner only, open for writing: (fd, path). Registered
    until ``discard``; raises SourceError (with what to do) when the folder refuses it."""
    with _lock:
        if _closed:
            raise SourceError("verifydel is stopping: no new temporary file")
        try:
            fd, name = tempfile.mkstemp(prefix=PREFIX, suffix=suffix)
        except OSError as exc:
            raise SourceError(
                f"cannot create a temporary file: {_reason(exc)}",
                hint="point TMPDIR at a folder verifydel may write to",
            ) from None
        _live.add(name)
    return fd, Path(name)


def discard(path: Path | str) -> None:
    """Remove a file made by ``new_private_file`` (gone already is fine)."""
    name = os.fspath(path)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(name)
    with _lock:
        _live.discard(name)


@contextlib.contextmanager
def private_temp_path(suffix: str = "") -> Iterator[Path]:
    """A new empty private file for the ``with`` block, removed on exit whatever happens."""
    fd, path = new_private_file(suffix)
    os.close(fd)
    try:
        yield path
    finally:
        discard(path)


def live_files() -> list[str]:
    """The temporary files made and not yet removed (for tests and the signal handler)."""
    with _lock:
        return sorted(_live)


def remove_all(*, closing: bool = False) -> None:
    """Remove every temporary file still registered: called on SIGINT/SIGTERM and at exit.
    ``closing``: no new file may be made after this (the process is going)."""
    global _closed
    with _lock:
        names = list(_live)
        _live.clear()
        _closed = _closed or closing
    for name in names:
        with contextlib.suppress(OSError):
            os.unlink(name)


__all__ = ["PREFIX", "discard", "live_files", "new_private_file", "private_temp_path", "remove_all"]
