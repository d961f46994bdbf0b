"""Private temporary files: the one place verifydel makes them.

Every temporary file is made as ``tempfile.mkstemp`` makes them (O_EXCL, mode 0600, a
random name in the temporary folder, never a name taken from the media) and is
registered here until it is removed, so that a signal handler can remove every
one still on disk (``remove_all``): decompressed or decrypted members must not
outlive a killed scan.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from verifydel.errors import SourceError

PREFIX: Final = "verifydel-"

_live: set[str] = set()
#: Re-entrant: the SIGINT/SIGTERM handler runs in the main thread and may find it held there.
_lock = threading.RLock()
#: How mkstemp opens its files: new, private, never through a link.
_FLAGS = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_closed = False  # set by remove_all(closing=True): the process is going, no new file


def _reason(exc: OSError) -> str:
    return (exc.strerror or type(exc).__name__).lower()


def new_private_file(suffix: str = "") -> tuple[int, Path]:
    """A new empty file readable by its owner only, open for writing: (fd, path). Registered
    until ``discard``; raises SourceError (with what to do) when the folder refuses it.

    The name is registered before the file exists, so a signal at any moment finds every
    file this process made (``mkstemp`` would return it only once created)."""
    folder = tempfile.gettempdir()
    with _lock:
        if _closed:
            raise SourceError("verifydel is stopping: no new temporary file")
        for _ in range(100):
            name = os.path.join(folder, f"{PREFIX}{secrets.token_hex(8)}{suffix}")
            _live.add(name)
            try:
                fd = os.open(name, _FLAGS, 0o600)
            except FileExistsError:
                _live.discard(name)
                continue
            except OSError as exc:
                _live.discard(name)
                raise SourceError(
                    f"cannot create a temporary file: {_reason(exc)}",
                    hint="point TMPDIR at a folder verifydel may write to",
                ) from None
            return fd, Path(name)
    raise SourceError("cannot create a temporary file: no free name", hint="empty the temporary folder")


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


@contextlib.contextmanager
def tracked(path: Path | str) -> Iterator[None]:
    """A file verifydel makes elsewhere for the ``with`` block (a report's ``.partial`` beside
    it), registered so that ``remove_all`` removes it too; removed on exit if still there."""
    name = os.fspath(path)
    with _lock:
        _live.add(name)
    try:
        yield
    finally:
        discard(name)


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


__all__ = ["PREFIX", "discard", "live_files", "new_private_file", "private_temp_path", "remove_all", "tracked"]
