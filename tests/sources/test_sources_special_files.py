"""Special files and links out of the scanned folder: never opened, never walked, always reported.

A broker's folder may hold a FIFO nobody writes to, a link to /dev/zero or to
/proc/kmsg (reads that block or never end), or a link to /etc (the inspector's
own host files walked into the evidence). None of them is ever yielded as a unit.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from verifydel.sources import Unit, UnitFailure, expand
from verifydel.sources.files import LINK_OUT_OF_ROOT, kernel_filesystems

PROC_MOUNTED = os.path.ismount("/proc") and os.path.exists("/proc/self/status")


def _touch(path: Path, text: str = "a,b\n1,2\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _items(source: Path | str, **options: bool) -> dict[str, Unit | UnitFailure]:
    return {item.label: item for item in expand(str(source), **options)}


def test_a_link_to_a_folder_outside_is_reported_not_followed(tmp_path: Path) -> None:
    root = tmp_path / "broker"
    _touch(root / "members.csv")
    _touch(tmp_path / "host" / "leaked.csv")
    (root / "etc").symlink_to(tmp_path / "host", target_is_directory=True)
    items = _items(root)
    assert set(items) == {f"{root}/etc", f"{root}/members.csv"}
    assert items[f"{root}/etc"] == UnitFailure(f"{root}/etc", "file", LINK_OUT_OF_ROOT)
    assert "--follow-symlinks" in LINK_OUT_OF_ROOT
    followed = _items(root, follow_symlinks=True)
    assert set(followed) == {f"{root}/etc/leaked.csv", f"{root}/members.csv"}


def test_a_link_to_etc_walks_nothing_of_the_host(tmp_path: Path) -> None:
    (tmp_path / "etc").symlink_to("/etc", target_is_directory=True)
    (tmp_path / "passwd.csv").symlink_to("/etc/passwd")
    items = list(expand(str(tmp_path)))
    assert [i.label for i in items] == [f"{tmp_path}/etc", f"{tmp_path}/passwd.csv"]
    assert all(isinstance(i, UnitFailure) and i.error == LINK_OUT_OF_ROOT for i in items)


def test_a_relative_link_climbing_out_is_not_followed(tmp_path: Path) -> None:
    root = tmp_path / "broker"
    _touch(tmp_path / "outside.csv")
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "up.csv").symlink_to("../../outside.csv")
    (root / "sub" / "ok.csv").symlink_to("../inside.csv")
    _touch(root / "inside.csv")
    items = _items(root)
    assert items[f"{root}/sub/up.csv"] == UnitFailure(f"{root}/sub/up.csv", "file", LINK_OUT_OF_ROOT)
    # inside.csv came first (sorted); the link inside the folder leads to the same file: yielded once
    assert [label for label, i in items.items() if isinstance(i, Unit)] == [f"{root}/inside.csv"]


def test_a_link_inside_the_folder_to_a_link_leading_out_is_not_followed(tmp_path: Path) -> None:
    root = tmp_path / "broker"
    root.mkdir()
    _touch(tmp_path / "outside.csv")
    (root / "b_out.csv").symlink_to(tmp_path / "outside.csv")
    (root / "a_chain.csv").symlink_to("b_out.csv")  # inside, but resolves outside
    items = list(expand(str(root)))
    assert [(i.label, getattr(i, "error", None)) for i in items] == [
        (f"{root}/a_chain.csv", LINK_OUT_OF_ROOT),
        (f"{root}/b_out.csv", LINK_OUT_OF_ROOT),
    ]


def test_a_source_given_as_a_link_is_walked_and_its_target_is_the_root(tmp_path: Path) -> None:
    real = tmp_path / "real"
    _touch(real / "members.csv")
    (real / "self").symlink_to(real, target_is_directory=True)  # absolute, but inside the root
    (tmp_path / "mnt").symlink_to(real, target_is_directory=True)
    assert [i.label for i in expand(str(tmp_path / "mnt"))] == [f"{tmp_path}/mnt/members.csv"]
    assert all(isinstance(i, Unit) for i in expand(str(tmp_path / "mnt")))


def test_a_fifo_is_never_opened_even_through_a_followed_link(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    root = tmp_path / "broker"
    root.mkdir()
    (root / "inside").symlink_to(tmp_path / "pipe")
    for source, options in [(tmp_path / "pipe", {}), (root, {"follow_symlinks": True})]:
        [failure] = list(expand(str(source), **options))
        assert isinstance(failure, UnitFailure)
        assert failure.error == "not a regular file or folder (a named pipe)"


def test_a_device_is_never_opened_even_with_follow_symlinks(tmp_path: Path) -> None:
    (tmp_path / "zeros.csv").symlink_to("/dev/zero")
    [failure] = list(expand(str(tmp_path), follow_symlinks=True))
    assert failure == UnitFailure(
        f"{tmp_path}/zeros.csv", "file", "not a regular file or folder (a character device)"
    )


@pytest.mark.skipif(not PROC_MOUNTED, reason="no procfs here")
def test_kernel_interface_files_are_never_opened(tmp_path: Path) -> None:
    """/proc files look regular (size 0) but block (/proc/kmsg) or show the host: refused."""
    assert kernel_filesystems().get(os.stat("/proc").st_dev) == "proc"
    (tmp_path / "kmsg.csv").symlink_to("/proc/kmsg")
    (tmp_path / "status.csv").symlink_to("/proc/self/status")
    (tmp_path / "self").symlink_to("/proc/self", target_is_directory=True)
    items = list(expand(str(tmp_path), follow_symlinks=True))
    assert [(i.label, getattr(i, "error", None)) for i in items] == [
        (f"{tmp_path}/kmsg.csv", "a file of the kernel's proc interface, not stored data: not read"),
        (f"{tmp_path}/self", "a folder of the kernel's proc interface, not stored data: not read"),
        (f"{tmp_path}/status.csv", "a file of the kernel's proc interface, not stored data: not read"),
    ]
    # Given directly on the command line, too.
    [direct] = list(expand("/proc/self/status"))
    assert isinstance(direct, UnitFailure) and "kernel's proc interface" in direct.error
    [folder] = list(expand("/proc/self"))
    assert isinstance(folder, UnitFailure) and folder.error.startswith("a folder of the kernel's proc")


@pytest.mark.skipif(not os.path.ismount("/sys"), reason="no sysfs here")
def test_sysfs_files_are_never_opened() -> None:
    [failure] = list(expand("/sys/kernel"))
    assert isinstance(failure, UnitFailure) and "kernel's sysfs interface" in failure.error
