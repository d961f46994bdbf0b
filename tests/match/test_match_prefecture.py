"""The prefecture rule, through the real paths of both tiers: two addresses agree when
their keys do and, where both state a prefecture, the prefectures are the same.

府中市本町 exists in 東京都 and 広島県; 北海道伊達市 and 福島県伊達市 share a name. A broker
row stating the other prefecture must not agree; one stating none (or the same) must.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from verifydel.fingerprint.build import build_pack
from verifydel.fingerprint.keys import Secret
from verifydel.scan import ScanOptions, load_pack, scan

LEAKED = (
    "ID,氏名,住所,電話番号\n"
    "L1,山田 太郎,東京都府中市本町1-2-3,03-1111-2222\n"
    "L2,佐藤 花子,福島県伊達市保原町旭町10,024-111-2222\n"
    "L3,鈴木 一郎,府中市宮西町4-5,042-999-8888\n"  # no prefecture stated in the leak
)

#: (broker 氏名, 住所, phone, the leaked record or None, strength, fields)
BROKER = [
    ("山田 太郎", "東京都府中市本町一丁目2番3号", "090-0000-0001", "L1", "strong", ["name", "address"]),
    ("山田 太郎", "府中市本町1-2-3", "090-0000-0002", "L1", "strong", ["name", "address"]),
    ("山田 太郎", "広島県府中市本町1-2-3", "090-0000-0003", None, None, None),  # name alone
    ("別人", "広島県府中市本町1-2-3", "090-0000-0004", None, None, None),
    ("別人", "東京都府中市本町1-2-3", "090-0000-0005", "L1", "weak", ["address"]),
    ("佐藤 花子", "伊達市旭町10", "090-0000-0006", "L2", "strong", ["name", "address"]),
    ("佐藤 花子", "北海道伊達市保原町旭町10", "090-0000-0007", None, None, None),
    ("鈴木 一郎", "広島県府中市宮西町4-5", "090-0000-0008", "L3", "strong", ["name", "address"]),
    ("鈴木 一郎", "東京都府中市宮西町四丁目5", "090-0000-0009", "L3", "strong", ["name", "address"]),
]


def _expected() -> list[tuple[int, str, str, list[str]]]:
    return [(i + 1, rec, s, f) for i, (_, _, _, rec, s, f) in enumerate(BROKER) if rec]


def _found(matches: pl.DataFrame) -> list[tuple[int, str, str, list[str]]]:
    return [tuple(r) for r in matches.select("row", "record_id", "strength", "fields").sort("row").rows()]  # type: ignore[misc]


@pytest.fixture(scope="module")
def leak(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Secret, Path, Path]:
    base = tmp_path_factory.mktemp("prefecture")
    (base / "leaked.csv").write_text(LEAKED, encoding="utf-8")
    secret = Secret(bytes(range(32)))
    build_pack([str(base / "leaked.csv")], secret, base / "p.vdpack", id_column="ID", attest_out=base / "p.vdattest")
    (base / "broker").mkdir()
    lines = ["氏名,住所,電話番号"] + [f'"{n}","{a}",{p}' for n, a, p, *_ in BROKER]
    (base / "broker" / "customers.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return base, secret, base / "p.vdpack", base / "p.vdattest"


def test_full_tier_compares_the_prefectures_both_sides_state(leak) -> None:  # type: ignore[no-untyped-def]
    base, secret, pack, _ = leak
    report = scan([str(base / "broker")], load_pack(pack, secret), ScanOptions())
    assert _found(report.matches) == _expected()


def test_attestation_tier_compares_them_too(leak, attestation_round) -> None:  # type: ignore[no-untyped-def]
    base, secret, _, attest = leak
    matches = attestation_round(base, secret, attest)
    ids = {"#1": "L1", "#2": "L2", "#3": "L3"}
    found = [(row, ids[rec], s, f) for row, rec, s, f in _found(matches)]
    assert found == _expected()
