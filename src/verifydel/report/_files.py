"""Writing a rendered report to disk."""

from __future__ import annotations

import os
from pathlib import Path


def write_text_atomically(text: str, path: str | os.PathLike[str]) -> None:
    """Write ``text`` (UTF-8, ``\\n`` line ends) to ``path`` through a sibling temporary file.

    A crash mid-write leaves the previous file (or none), never half a report that a
    script could take for a complete one.
    """
    target = Path(path)
    partial = target.with_name(target.name + ".partial")
    try:
        with open(partial, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
