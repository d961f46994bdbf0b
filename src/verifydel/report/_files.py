"""Writing a rendered report to disk: all of it under its final name, or nothing there.

The text is rendered before anything is written, the free space of the folder is
checked against its size, the bytes go to a sibling temporary file that is synced
and then renamed over the target. A full disk, a missing folder or a crash
mid-write leaves the previous file (or none), never half a report that a script
or a lawyer could take for a complete one.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Final

from verifydel.core.tempfiles import tracked
from verifydel.errors import OutputError

#: Free bytes kept beyond the report's own size (the folder's other writers, metadata).
SPARE_BYTES: Final = 1 << 20
_CREATE: Final = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def _reason(exc: OSError) -> str:
    return (exc.strerror or type(exc).__name__).lower()


def write_text_atomically(text: str, path: str | os.PathLike[str]) -> None:
    """Write ``text`` (UTF-8, ``\\n`` line ends) to ``path``, whole or not at all."""
    write_bytes_atomically(text.encode("utf-8"), path)


def write_bytes_atomically(data: bytes, path: str | os.PathLike[str]) -> None:
    """Write ``data`` to ``path``, whole or not at all."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    try:
        free = shutil.disk_usage(folder).free
    except OSError as exc:
        raise OutputError(
            f"cannot write {target}: {_reason(exc)}", hint="give a folder that exists and is writable"
        ) from None
    if free < len(data) + SPARE_BYTES:
        raise OutputError(
            f"cannot write {target}: {len(data):,} bytes needed, {free:,} free",
            hint="free space there or write the report to another disk",
        )
    partial = target.with_name(target.name + ".partial")
    try:
        partial.unlink(missing_ok=True)  # a crashed run's; never written through (O_EXCL, O_NOFOLLOW)
        with tracked(partial):  # a signal now (a second Ctrl-C) removes it too
            fd = os.open(partial, _CREATE, 0o644)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, target)
    except OSError as exc:
        raise OutputError(
            f"cannot write {target}: {_reason(exc)}",
            hint="free space there or write the report to another disk",
        ) from None
