from __future__ import annotations

import stat
from pathlib import Path

import pytest

from verifydel.errors import KeyFileError
from verifydel.fingerprint.keys import SECRET_BYTES, generate_secret, read_key, write_key


def test_keygen_writes_private_file_and_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "k.key"
    secret = generate_secret()
    write_key(path, secret)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_key(path).material == secret.material
    assert len(secret.material) >= SECRET_BYTES


def test_two_keys_differ() -> None:
    assert generate_secret().material != generate_secret().material


def test_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "k.key"
    write_key(path, generate_secret())
    with pytest.raises(KeyFileError, match="already exists"):
        write_key(path, generate_secret())


@pytest.mark.parametrize(
    "content",
    ["", "verifydel-key-v1", "verifydel-key-v1 zz", "something-else 00ff", "verifydel-key-v1 00ff"],
)
def test_bad_key_files_are_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "k.key"
    path.write_text(content)
    path.chmod(0o600)  # refused for its content, not for its mode
    with pytest.raises(KeyFileError):
        read_key(path)


def test_missing_key_file(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="not found"):
        read_key(tmp_path / "nope.key")


def test_repr_hides_secret() -> None:
    s = generate_secret()
    assert s.material.hex() not in repr(s)
