"""Files and folders: a file is one unit; a folder is walked, sorted, symlinks inside it followed.

Labels are stable across runs (the report and resume refer to them): the source
string as given for a file, the folder as given joined with the relative path by
"/" for a file found in a folder. The walk is depth-first in code-point order of
entry names, so the same tree always yields the same sequence.

Hostile trees do not hang or repeat the walk: a folder already entered (same
device and inode, whatever path led there) is not entered again, and a file
already yielded under another path (a symlink or hard link to it) is not yielded
again. Anything the walk cannot read becomes a UnitFailure, never an exception.

The scanned media are the adversary's, so the walk opens nothing it cannot
bound:

- Only regular files are ever yielded. Named pipes, sockets and devices (a FIFO
  nobody writes to blocks a read for ever, /dev/zero never ends) are failures
  with their reason, whatever led to them.
- Files and folders of the kernel's own interfaces (procfs, sysfs and the like,
  found by their device in the mount table, wherever they are mounted) look like
  regular files but are not stored data: /proc/kmsg blocks, others never end or
  show the inspector's own host. They are failures too, never opened.
- A symbolic link found in a folder is followed only when its target stays
  inside the folder given on the command line (the scanned root): a link to
  /etc would walk the inspector's own host files into the evidence. A link out
  of the root is a failure ("symbolic link out of the scanned folder not
  followed"), a gap the inspector sees, unless ``follow_symlinks`` (the CLI's
  --follow-symlinks) allows it. The source given itself may be a link: it is
  what the inspector asked for.
"""

from __future__ import annotations

import functools
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from verifydel.core.names import readable_name
from verifydel.core.unit import Unit, UnitFailure

KIND: Final = "file"

#: Options of `verifydel scan` this source kind takes (see sources.expand).
OPTIONS: Final = ("follow_symlinks",)

#: Why a link out of the scanned root is not followed (a gap: the scan is not confirmed).
LINK_OUT_OF_ROOT: Final = (
    "symbolic link out of the scanned folder not followed (give --follow-symlinks to follow)"
)

#: File systems that are the kernel's interfaces, not stored data: never opened.
KERNEL_FILESYSTEMS: Final = frozenset({
    "proc", "sysfs", "debugfs", "tracefs", "securityfs", "configfs", "cgroup", "cgroup2",
    "pstore", "efivarfs", "bpf", "binfmt_misc", "fusectl", "mqueue", "rpc_pipefs", "nfsd",
})  # fmt: skip


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


@functools.cache
def kernel_filesystems() -> dict[int, str]:
    """Device id → type of every mounted kernel interface file system (procfs, sysfs ...).

    Read from /proc/self/mountinfo; where that cannot be read, /proc and /sys
    when they are mount points.
    """
    found: dict[int, str] = {}
    try:
        with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                fields = line.split()
                if " - " not in line or len(fields) < 3:
                    continue
                fstype = line.split(" - ", 1)[1].split()[0]
                major, _, minor = fields[2].partition(":")
                if fstype in KERNEL_FILESYSTEMS and major.isdigit() and minor.isdigit():
                    found[os.makedev(int(major), int(minor))] = fstype
    except OSError:
        pass
    if not found:
        for path, fstype in (("/proc", "proc"), ("/sys", "sysfs")):
            try:
                if os.path.ismount(path):
                    found[os.stat(path).st_dev] = fstype
            except OSError:
                continue
    return found


def _kernel_interface(label: str, st: os.stat_result, what: str) -> UnitFailure | None:
    """A failure when ``st`` lives on a kernel interface file system (never opened), else None."""
    fstype = kernel_filesystems().get(st.st_dev)
    if fstype is None:
        return None
    return UnitFailure(
        label, KIND, f"{what} of the kernel's {fstype} interface, not stored data: not read"
    )


def _inside(root: str, target: str) -> bool:
    """Whether the resolved path ``target`` is ``root`` or below it."""
    try:
        return os.path.commonpath([root, target]) == root
    except ValueError:  # one absolute, one relative, or different drives
        return False


def _missing(path: str, label: str) -> UnitFailure:
    """Why ``path`` cannot be stat-ed: a dangling symlink or nothing at all."""
    try:
        os.lstat(path)
    except OSError:
        return UnitFailure(label, KIND, "no such file or folder")
    return UnitFailure(label, KIND, "broken symbolic link")


class FileTreeWalker:
    """Yields every file under one source, each once, in a deterministic order."""

    def __init__(self, source: str, *, follow_symlinks: bool = False) -> None:
        self.source = source
        self.follow_symlinks = follow_symlinks
        self._root = ""  # the source's resolved path: links leading out of it are not followed
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
        self._root = os.path.realpath(self.source)
        if stat.S_ISDIR(st.st_mode):
            prefix = label.rstrip("/" + os.sep) or label
            yield from self._walk(self.source, prefix, st)
        else:
            yield from self._file(self.source, label, st)

    def _file(self, path: str, label: str, st: os.stat_result) -> Iterator[Unit | UnitFailure]:
        if not stat.S_ISREG(st.st_mode):
            yield _not_openable(label, st.st_mode)
            return
        if (refused := _kernel_interface(label, st, "a file")) is not None:
            yield refused
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
            if (refused := _kernel_interface(label, st, "a folder")) is not None:
                yield refused
                continue
            self._entered_folders.add(folder_id)
            try:
                with os.scandir(path) as listing:
                    names = sorted(item.name for item in listing)
            except OSError as exc:
                yield UnitFailure(label, KIND, f"cannot list folder: {_reason(exc)}")
                continue
            stack.extend(reversed([self._stat_entry(path, label, name) for name in names]))

    def _stat_entry(self, folder: str, folder_label: str, name: str) -> _Entry:
        path = os.path.join(folder, name)
        label = f"{folder_label}/{readable_name(name)}"
        try:
            st = os.stat(path)  # follows symlinks
            if self.follow_symlinks or not stat.S_ISLNK(os.lstat(path).st_mode):
                return (path, label, st)
            if not _inside(self._root, os.path.realpath(path)):
                return UnitFailure(label, KIND, LINK_OUT_OF_ROOT)
            return (path, label, st)
        except FileNotFoundError:
            return _missing(path, label)
        except OSError as exc:
            return UnitFailure(label, KIND, _reason(exc))


def expand(source: str, *, follow_symlinks: bool = False) -> Iterator[Unit | UnitFailure]:
    """The units of a file or folder source (see the module docstring).

    ``follow_symlinks`` (--follow-symlinks): follow links leading out of the scanned root too.
    """
    return iter(FileTreeWalker(source, follow_symlinks=follow_symlinks))
