"""The answer key: its JSON form and the comparison with a scan's matches."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from verifydel.demo import DemoManifest, PlantedDecoy, PlantedSurvivor, check_matches


def _manifest(tmp_path: Path) -> DemoManifest:
    return DemoManifest(
        directory=tmp_path,
        leaked=tmp_path / "leaked.csv",
        broker=tmp_path / "broker",
        seed=1,
        records=100,
        survivors=[
            PlantedSurvivor("old_list.csv", 1, "C0000001", ("name", "phone"), ("headerless",)),
            PlantedSurvivor(
                "customers.xlsx!/退会者", 2, "C0000002", ("name", "address"), ("hidden-sheet",)
            ),
        ],
        decoys=[
            PlantedDecoy("old_list.csv", 2, "near-phone", "C0000003"),
            PlantedDecoy("customers.xlsx!/退会者", 1, "fresh", None),
        ],
    )


def _match(source: str, row: int, record_id: str, strength: str) -> dict[str, object]:
    return {"source": source, "row": row, "record_id": record_id, "strength": strength}


def test_round_trip_through_json(tmp_path: Path) -> None:
    manifest = _manifest(tmp_path)
    path = manifest.write()
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["leaked"] == "leaked.csv" and data["broker"] == "broker"
    assert data["survivors"][1]["file"] == "customers.xlsx!/退会者"
    assert DemoManifest.load(path) == manifest


def test_load_refuses_another_file(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ValueError):
        DemoManifest.load(tmp_path / "x.json")


def test_a_perfect_scan_passes(tmp_path: Path) -> None:
    check = check_matches(
        _manifest(tmp_path),
        [
            _match("demo/broker/old_list.csv", 1, "C0000001", "strong"),
            _match("demo/broker/customers.xlsx!/退会者", 2, "C0000002", "strong"),
            _match("demo/broker/old_list.csv", 2, "C0000003", "weak"),
        ],
    )
    assert check.ok and len(check.found) == 2


def test_misses_strong_decoys_and_strays_fail(tmp_path: Path) -> None:
    manifest = _manifest(tmp_path)
    check = check_matches(
        manifest,
        [
            _match("broker/old_list.csv", 1, "C0000009", "strong"),  # right row, wrong record
            _match("broker/customers.xlsx!/退会者", 2, "C0000002", "weak"),  # too weak
            _match("broker/old_list.csv", 2, "C0000003", "strong"),
            _match("broker/customers.xlsx!/退会者", 1, "C0000004", "weak"),
            _match("broker/customers.xlsx!/顧客一覧", 5, "C0000005", "weak"),
        ],
    )
    assert not check.ok
    assert [s.record_id for s in check.missed] == ["C0000001", "C0000002"]
    assert [d.kind for d in check.strong_decoys] == ["near-phone"]
    assert [d.kind for d in check.weak_fresh_decoys] == ["fresh"]
    assert check.unplanned_rows == [("broker/customers.xlsx!/顧客一覧", 5)]
