from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

LEAKED_CSV = """顧客ID,氏名,住所,電話番号
C001,山田 太郎,東京都港区芝公園4丁目2番8号,090-1111-2222
C002,髙橋 花子,大阪府大阪市北区梅田一丁目二番三号 梅田ビル305,06-6666-7777
C003,佐藤 一郎,神奈川県横浜市中区山下町1-2,045-123-4567
"""
BROKER_MATCH_CSV = """名前,住所,TEL
山田太郎様,港区芝公園4-2-8,+81-90-1111-2222
別人 次郎,京都府京都市左京区1-1-1,075-000-0000
"""
BROKER_CLEAN_CSV = """名前,住所,TEL
別人 次郎,京都府京都市左京区1-1-1,075-000-0000
"""


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def workdir(tmp_path: Path) -> Iterator[Path]:
    old = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(old)


@pytest.fixture
def sealed(workdir: Path, runner: CliRunner) -> Path:
    """A key and a pack of the small leaked set, in the working directory."""
    from verifydel.cli import main

    (workdir / "leaked.csv").write_text(LEAKED_CSV, encoding="utf-8")
    assert runner.invoke(main, ["keygen", "k.key"]).exit_code == 0
    res = runner.invoke(main, ["fingerprint", "leaked.csv", "--key", "k.key", "--out", "p.vdpack", "--id-column", "顧客ID"])
    assert res.exit_code == 0, res.output
    return workdir


@pytest.fixture
def broker_match(sealed: Path) -> str:
    (sealed / "b.csv").write_text(BROKER_MATCH_CSV, encoding="utf-8")
    return "b.csv"


@pytest.fixture
def broker_clean(sealed: Path) -> str:
    (sealed / "b.csv").write_text(BROKER_CLEAN_CSV, encoding="utf-8")
    return "b.csv"
