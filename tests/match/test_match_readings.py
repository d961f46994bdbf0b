"""A broker name in kana or romaji + the phone = strong against a leaked kanji name with its フリガナ.

Through the real paths: a leaked CSV fingerprinted into a pack (and an attestation pack),
a broker CSV scanned with the full pack, and the same broker CSV through the attestation
round (request → answer → finish). A name alone is still never a match.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from verifydel.fingerprint.build import build_pack
from verifydel.fingerprint.keys import Secret
from verifydel.scan import ScanOptions, load_pack, scan

LEAKED = (
    "ID,氏名,フリガナ,住所,電話番号\n"
    "L1,佐藤 太郎,サトウ タロウ,東京都港区芝公園4-2-8,03-1234-5678\n"
    "L2,大橋 京子,オオハシ キョウコ,大阪府大阪市北区梅田1-1-1,06-2345-6789\n"
    "L3,服部 純一,ハットリ ジュンイチ,愛知県名古屋市中区栄2-3-4,052-111-2222\n"
)

#: (broker 氏名, broker phone, the leaked record, expected strength, expected fields)
BROKER = [
    ("さとう たろう", "03-1234-5678", "L1", "strong", ["name_kana", "phone"]),
    ("ｻﾄｳ ﾀﾛｳ", "03-1234-5678", "L1", "strong", ["name_kana", "phone"]),
    ("SATO TARO", "03-1234-5678", "L1", "strong", ["name_kana", "phone"]),
    ("Taro Sato", "03-1234-5678", "L1", "strong", ["name_kana", "phone"]),
    ("Satō Tarō", "03-1234-5678", "L1", "strong", ["name_kana", "phone"]),
    ("TARO SATOH", "03-1234-5678", "L1", "strong", ["name_kana", "phone"]),
    ("OHASHI KYOKO", "06-2345-6789", "L2", "strong", ["name_kana", "phone"]),
    ("Kyōko Ōhashi", "06-2345-6789", "L2", "strong", ["name_kana", "phone"]),
    ("HATTORI JUNICHI", "052-111-2222", "L3", "strong", ["name_kana", "phone"]),
    ("Hattori Jun'ichi", "052-111-2222", "L3", "strong", ["name_kana", "phone"]),
    ("佐藤 太郎", "03-1234-5678", "L1", "strong", ["name", "phone"]),  # the kanji, as before
    # not the same reading: the phone alone, weak
    ("サイトウ タロウ", "03-1234-5678", "L1", "weak", ["phone"]),
    ("SATO JIRO", "03-1234-5678", "L1", "weak", ["phone"]),
    ("HATORI JUNICHI", "052-111-2222", "L3", "weak", ["phone"]),
    ("YAMADA HANAKO", "03-1234-5678", "L1", "weak", ["phone"]),
    # the right reading without a leaked phone or address: nothing (a name alone)
    ("SATO TARO", "090-0000-0000", None, None, None),
]


def _broker_csv(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["氏名,電話番号"] + [f'"{name}",{phone}' for name, phone, *_ in BROKER]
    (folder / "customers.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def _expected() -> list[tuple[int, str, str, list[str]]]:
    return [(i + 1, rec, strength, fields) for i, (_, _, rec, strength, fields) in enumerate(BROKER) if rec]


def _found(matches: pl.DataFrame) -> list[tuple[int, str, str, list[str]]]:
    rows = matches.select("row", "record_id", "strength", "fields").sort("row").rows()
    return [(row, rec, strength, fields) for row, rec, strength, fields in rows]


@pytest.fixture(scope="module")
def leak(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Secret, Path, Path]:
    base = tmp_path_factory.mktemp("readings")
    (base / "leaked.csv").write_text(LEAKED, encoding="utf-8")
    secret = Secret(bytes(range(32)))
    build_pack([str(base / "leaked.csv")], secret, base / "p.vdpack", id_column="ID", attest_out=base / "p.vdattest")
    _broker_csv(base / "broker")
    return base, secret, base / "p.vdpack", base / "p.vdattest"


def test_full_tier_kana_and_romaji_names_make_it_strong(leak) -> None:
    base, secret, pack, _ = leak
    report = scan([str(base / "broker")], load_pack(pack, secret), ScanOptions())
    assert _found(report.matches) == _expected()


def test_attestation_tier_agrees(leak, attestation_round) -> None:  # type: ignore[no-untyped-def]
    base, secret, _, attest = leak
    matches = attestation_round(base, secret, attest)
    ids = {"#1": "L1", "#2": "L2", "#3": "L3"}
    found = [(row, ids[rec], strength, fields) for row, rec, strength, fields in _found(matches)]
    assert found == _expected()


def test_a_name_that_agrees_by_its_reading_is_not_listed_as_disagreeing(leak) -> None:  # type: ignore[no-untyped-def]
    base, secret, pack, _ = leak
    report = scan([str(base / "broker")], load_pack(pack, secret), ScanOptions())
    rows = {row: (fields, disagreed) for row, fields, disagreed in report.matches.select("row", "fields", "disagreed").rows()}
    fields, disagreed = rows[3]  # SATO TARO: the reading agrees, the kanji name differs in writing only
    assert "name_kana" in fields and "name" not in disagreed
    fields, disagreed = rows[12]  # サイトウ タロウ: another reading, another name
    assert "name" in disagreed and "name_kana" in disagreed
