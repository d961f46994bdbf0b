"""Issue 9, finding 8: key files are small, regular and private."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from verifydel.errors import InsecureKeyFileError, KeyFileError, KeyFileIsAPackError
from verifydel.fingerprint.keys import generate_secret, read_key, write_key


@pytest.fixture
def key(tmp_path: Path) -> Path:
    path = tmp_path / "k.key"
    write_key(path, generate_secret())
    return path


@pytest.mark.parametrize("mode", [0o644, 0o660, 0o606, 0o620, 0o602])
def test_shared_key_refused_with_chmod_hint(key: Path, mode: int) -> None:
    os.chmod(key, mode)
    with pytest.raises(InsecureKeyFileError, match=r"chmod 600") as err:
        read_key(key)
    assert isinstance(err.value, KeyFileError)
    assert key.read_text().split()[1] not in str(err.value)


def test_key_that_is_a_fifo_refused_without_blocking(tmp_path: Path, bounded) -> None:
    path = tmp_path / "k.fifo"
    os.mkfifo(path, 0o600)  # O_NONBLOCK: opening it for reading never waits for a writer
    with bounded(), pytest.raises(KeyFileError, match="not a regular file"):
        read_key(path)


def test_key_that_is_a_folder_refused(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir(mode=0o700)
    with pytest.raises(KeyFileError, match="not a regular file"):
        read_key(tmp_path / "d")


def test_key_file_that_is_a_pack(tmp_path: Path) -> None:
    path = tmp_path / "p.vdpack"
    path.write_bytes(b"\x89VDPACK\n" + bytes(range(256)) * 100)
    with pytest.raises(KeyFileIsAPackError, match="is a verifydel pack, not a key file") as err:
        read_key(path)
    assert "codec" not in str(err.value)


def test_key_read_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "k.key"
    path.write_bytes(b"verifydel-key-v1 " + b"ab" * (1 << 20))
    os.chmod(path, 0o600)
    asked: list[int] = []
    real_read = os.read

    def spy(fd: int, n: int) -> bytes:
        asked.append(n)
        return real_read(fd, n)

    monkeypatch.setattr(os, "read", spy)
    with pytest.raises(KeyFileError, match="too large"):
        read_key(path)
    assert asked and sum(asked) <= 4096


def test_non_ascii_key_file_is_not_a_key(tmp_path: Path) -> None:
    path = tmp_path / "k.key"
    path.write_bytes("verifydel-key-v1 ＡＢ".encode())
    os.chmod(path, 0o600)
    with pytest.raises(KeyFileError, match="not a verifydel key file") as err:
        read_key(path)
    assert "codec" not in str(err.value)
