"""Expanding sources: files, sorted folder walks, symlinks, failures, database URIs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from verifydel.sources import Unit, UnitFailure, expand


def _touch(path: Path, text: str = "a,b\n1,2\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _labels(source: str) -> list[str]:
    return [item.label for item in expand(source)]


def test_a_file_is_one_unit_labelled_as_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _touch(tmp_path / "members.csv", "x\n")
    monkeypatch.chdir(tmp_path)
    [unit] = list(expand("./members.csv"))
    assert isinstance(unit, Unit)
    assert unit.label == "./members.csv"
    assert unit.path == Path("./members.csv")
    assert unit.size == 2


def test_a_folder_is_walked_sorted_and_recursively(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [
        "b.csv",
        "a.csv",
        "2022/members.csv",
        "2022/a/deep.tsv",
        "2021/old.xlsx",
        ".hidden.csv",
    ]:
        _touch(tmp_path / "broker" / name)
    monkeypatch.chdir(tmp_path)
    assert _labels("broker") == [
        "broker/.hidden.csv",
        "broker/2021/old.xlsx",
        "broker/2022/a/deep.tsv",
        "broker/2022/members.csv",
        "broker/a.csv",
        "broker/b.csv",
    ]
    # A trailing slash does not double up; the order is the same on every run.
    assert _labels("broker/") == _labels("broker")
    units = [u for u in expand("broker") if isinstance(u, Unit)]
    assert all(u.path.is_file() for u in units)


def test_symlinked_folders_are_followed_and_a_loop_does_not_hang(tmp_path: Path) -> None:
    """Links inside the folder are followed, loops walked once; a link out of it is followed only
    with follow_symlinks (--follow-symlinks), else it is a failure (tests/sources/test_sources_special_files.py)."""
    root = tmp_path / "root"
    _touch(root / "sub" / "data.csv")
    _touch(tmp_path / "elsewhere" / "outside.csv")
    (root / "sub" / "loop").symlink_to(root, target_is_directory=True)  # back to an ancestor
    (root / "link_to_elsewhere").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    (root / "self").symlink_to(".", target_is_directory=True)
    followed = [item.label for item in expand(str(root), follow_symlinks=True)]
    assert followed == [f"{root}/link_to_elsewhere/outside.csv", f"{root}/sub/data.csv"]
    items = list(expand(str(root)))
    assert [i.label for i in items] == [f"{root}/link_to_elsewhere", f"{root}/sub/data.csv"]
    assert isinstance(items[0], UnitFailure) and isinstance(items[1], Unit)


def test_symlinks_to_each_other_are_a_failure_not_a_hang(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    items = list(expand(str(tmp_path)))
    assert [type(i) for i in items] == [UnitFailure, UnitFailure]
    assert all(i.kind == "file" for i in items)


def test_each_file_is_yielded_once_whatever_links_lead_to_it(tmp_path: Path) -> None:
    data = _touch(tmp_path / "d" / "data.csv")
    (tmp_path / "d" / "alias.csv").symlink_to(data)
    os.link(data, tmp_path / "d" / "hardlink.csv")
    assert _labels(str(tmp_path / "d")) == [f"{tmp_path}/d/alias.csv"]


def test_a_broken_link_is_a_failure_in_its_sorted_place(tmp_path: Path) -> None:
    _touch(tmp_path / "a.csv")
    _touch(tmp_path / "c.csv")
    (tmp_path / "b.csv").symlink_to(tmp_path / "missing.csv")
    items = list(expand(str(tmp_path)))
    assert [i.label for i in items] == [f"{tmp_path}/{n}" for n in ("a.csv", "b.csv", "c.csv")]
    broken = items[1]
    assert isinstance(broken, UnitFailure)
    assert broken.kind == "file"
    assert broken.error == "broken symbolic link"


def test_a_broken_link_given_directly_is_a_failure(tmp_path: Path) -> None:
    (tmp_path / "dangling").symlink_to(tmp_path / "nothing")
    assert list(expand(str(tmp_path / "dangling"))) == [
        UnitFailure(str(tmp_path / "dangling"), "file", "broken symbolic link")
    ]


def test_a_missing_source_is_a_failure(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope")
    assert list(expand(missing)) == [UnitFailure(missing, "file", "no such file or folder")]


def test_an_unreadable_folder_is_a_failure_and_the_walk_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _touch(tmp_path / "a" / "x.csv")
    _touch(tmp_path / "b" / "y.csv")
    real_scandir = os.scandir

    def scandir(path: str) -> object:  # root may read anything: simulate EACCES
        if str(path).endswith("/a"):
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    items = list(expand(str(tmp_path)))
    assert items[0] == UnitFailure(f"{tmp_path}/a", "file", "cannot list folder: permission denied")
    assert [i.label for i in items[1:]] == [f"{tmp_path}/b/y.csv"]


def test_an_unreadable_file_is_a_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _touch(tmp_path / "secret.csv")
    monkeypatch.setattr(os, "access", lambda p, mode: not str(p).endswith("secret.csv"))
    assert list(expand(str(path))) == [UnitFailure(str(path), "file", "permission denied")]


def test_a_named_pipe_is_a_failure_not_a_hang(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    [failure] = list(expand(str(tmp_path)))
    assert isinstance(failure, UnitFailure)
    assert "named pipe" in failure.error


def test_a_password_in_a_uri_is_not_echoed() -> None:
    [failure] = list(expand("postgresql://inspector:s3cret@db/broker"))
    assert isinstance(failure, UnitFailure)
    assert "s3cret" not in failure.label
    assert failure.label == "postgresql://inspector:***@db/broker"


def test_a_file_name_with_a_colon_is_still_a_file(tmp_path: Path) -> None:
    path = _touch(tmp_path / "backup:2022.csv")
    [unit] = list(expand(str(path)))
    assert isinstance(unit, Unit)


def test_file_names_that_are_not_utf8_get_readable_labels(tmp_path: Path) -> None:
    folder = os.fsencode(tmp_path)
    for raw in ["会員.csv".encode("cp932"), b"\xff\xfe.csv"]:
        with open(os.path.join(folder, raw), "w") as f:
            f.write("a\n")
    items = list(expand(str(tmp_path)))
    labels = [item.label for item in items]
    assert f"{tmp_path}/会員.csv" in labels
    assert f"{tmp_path}/\\xff\\xfe.csv" in labels
    assert all(isinstance(item, Unit) and item.path.is_file() for item in items)
    for label in labels:
        label.encode("utf-8")  # fit for the JSON report
