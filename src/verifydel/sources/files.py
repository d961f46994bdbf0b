"""Files and folders: a file is one unit; a folder is walked, sorted, symlinks followed.

Labels are stable across runs (the report and resume refer to them): the source
string as given for a file, the folder as given joined with the relative path by
"/" for a file found in a folder. The walk is depth-first in code-point order of
entry names, so the same tree always yields the same sequence.

Hostile trees do not hang or repeat the walk: a folder already entered (same
device and inode, whatever path led there) is not entered again, and a file
already yielded under another path (a symlink or hard link to it) is not yielded
again. Anything the walk cannot read becomes a UnitFailure, never an exception.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from verifydel.core.names import readable_name
from verifydel.core.unit import Unit, UnitFailure

KIND: Final = "file"


_FileId = tuple[int, int]  # (st_dev, st_ino)
#: A folder entry waiting to be visited: (path, label, stat), or why it cannot be.
_Entry = tuple[str, str, os.stat_result] | UnitFailure


def claims(source: str) -> bool:
    """Files take whatever no other source kind claimed: they come last in the registry."""
    return True


def _reason(exc: OSError) -> str:
    """An OSError as a short reason without the path (the label already says where)."""
    return (exc.strerror or type(exc).__name__).lower()


def _not_openable(label: str, mode: int) -> UnitFailure:
    what = {
        stat.S_IFIFO: "a named pipe",
        stat.S_IFSOCK: "a socket",
        stat.S_IFCHR: "a character device",
        stat.S_IFBLK: "a block device",
    }.get(stat.S_IFMT(mode), "a special file")
    return UnitFailure(label, KIND, f"not a regular file or folder ({what})")


def _missing(path: str, label: str) -> UnitFailure:
    """Why ``path`` cannot be stat-ed: a dangling symlink or nothing at all."""
    try:
        os.lstat(path)
    except OSError:
        return UnitFailure(label, KIND, "no such file or folder")
    return UnitFailure(label, KIND, "broken symbolic link")


class FileTreeWalker:
    """Yields every file under one source, each once, in a deterministic order."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._entered_folders: set[_FileId] = set()
        self._yielded_files: set[_FileId] = set()

    def __iter__(self) -> Iterator[Unit | UnitFailure]:
        try:
            st = os.stat(self.source)
        except FileNotFoundError:
            yield _missing(self.source, readable_name(self.source))
            return
        except OSError as exc:
            yield UnitFailure(readable_name(self.source), KIND, _reason(exc))
            return
        label = readable_name(self.source)
        if stat.S_ISDIR(st.st_mode):
            prefix = label.rstrip("/" + os.sep) or label
            yield from self._walk(self.source, prefix, st)
        else:
            yield from self._file(self.source, label, st)

    def _file(self, path: str, label: str, st: os.stat_result) -> Iterator[Unit | UnitFailure]:
        if not stat.S_ISREG(st.st_mode):
            yield _not_openable(label, st.st_mode)
            return
        file_id = (st.st_dev, st.st_ino)
        if file_id in self._yielded_files:
            return  # the same file reached through another link: scanned once
        self._yielded_files.add(file_id)
        if not os.access(path, os.R_OK):
            yield UnitFailure(label, KIND, "permission denied")
            return
        yield Unit(label=label, path=Path(path), size=st.st_size)

    def _walk(
        self, root: str, root_label: str, root_st: os.stat_result
    ) -> Iterator[Unit | UnitFailure]:
        # An explicit stack instead of recursion, so deep trees do not hit the recursion
        # limit. A folder's entries are pushed in reverse sorted order so that they pop
        # in sorted order; an entry that cannot be stat-ed is pushed as its failure, so
        # it too comes out in its sorted place.
        stack: list[_Entry] = [(root, root_label, root_st)]
        while stack:
            entry = stack.pop()
            if isinstance(entry, UnitFailure):
                yield entry
                continue
            path, label, st = entry
            if not stat.S_ISDIR(st.st_mode):
                yield from self._file(path, label, st)
                continue
            folder_id = (st.st_dev, st.st_ino)
            if folder_id in self._entered_folders:
                continue  # a symlink loop or a second link to a folder already walked
            self._entered_folders.add(folder_id)
            try:
                with os.scandir(path) as listing:
                    names = sorted(item.name for item in listing)
            except OSError as exc:
                yield UnitFailure(label, KIND, f"cannot list folder: {_reason(exc)}")
                continue
            stack.extend(reversed([_stat_entry(path, label, name) for name in names]))


def _stat_entry(folder: str, folder_label: str, name: str) -> _Entry:
    path = os.path.join(folder, name)
    label = f"{folder_label}/{readable_name(name)}"
    try:
        return (path, label, os.stat(path))  # follows symlinks
    except FileNotFoundError:
        return _missing(path, label)
    except OSError as exc:
        return UnitFailure(label, KIND, _reason(exc))


def expand(source: str) -> Iterator[Unit | UnitFailure]:
    """The units of a file or folder source (see the module docstring)."""
    return iter(FileTreeWalker(source))
