"""The demo's answer key: which broker rows are planted survivors, which are decoys.

Written as ``answer_key.json`` next to the data. File names are relative to the
broker folder; a workbook sheet is ``customers.xlsx!/SheetName`` like the scan
report's paths; rows are 1-based data rows of their table (header excluded; a
headerless file's first line is row 1).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

ANSWER_KEY_FORMAT: Final = "verifydel-demo-answer-key/1"
DECOY_KINDS: Final = ("fresh", "near-address", "near-phone", "near-name")


@dataclass(frozen=True)
class PlantedSurvivor:
    """A leaked record planted, reformatted, in one broker row: the scan must find it strong."""

    file: str
    row: int
    record_id: str
    kept: tuple[str, ...]  # the identity fields kept in substance, e.g. ("name", "phone")
    tags: tuple[str, ...]  # the reformattings applied, e.g. ("cp932", "phone-plus81")


@dataclass(frozen=True)
class PlantedDecoy:
    """A row that is not a leaked record: nothing (fresh, near-name) or at most weak."""

    file: str
    row: int
    kind: str  # one of DECOY_KINDS
    near_record_id: str | None  # the leaked record it shares one field with; None when fresh


@dataclass
class DemoManifest:
    directory: Path
    leaked: Path
    broker: Path
    seed: int
    records: int
    survivors: list[PlantedSurvivor] = field(default_factory=list)
    decoys: list[PlantedDecoy] = field(default_factory=list)

    @property
    def files(self) -> list[str]:
        """The broker tables, in the order they were planned."""
        return list(dict.fromkeys([s.file for s in self.survivors] + [d.file for d in self.decoys]))

    def to_json(self) -> dict[str, Any]:
        return {
            "format": ANSWER_KEY_FORMAT,
            "seed": self.seed,
            "records": self.records,
            "leaked": self.leaked.relative_to(self.directory).as_posix(),
            "broker": self.broker.relative_to(self.directory).as_posix(),
            "survivors": [
                {
                    "file": s.file,
                    "row": s.row,
                    "record_id": s.record_id,
                    "kept": list(s.kept),
                    "tags": list(s.tags),
                }
                for s in self.survivors
            ],
            "decoys": [
                {"file": d.file, "row": d.row, "kind": d.kind, "near_record_id": d.near_record_id}
                for d in self.decoys
            ],
        }

    def write(self, path: Path | None = None) -> Path:
        """Write the key as JSON, one survivor or decoy per line (easy to grep and diff)."""
        path = path or self.directory / "answer_key.json"
        data = self.to_json()
        lines = []
        for key, value in data.items():
            if isinstance(value, list):
                items = ",\n".join("  " + json.dumps(v, ensure_ascii=False) for v in value)
                lines.append(f"{json.dumps(key)}: [\n{items}\n ]")
            else:
                lines.append(f"{json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}")
        text = "{\n " + ",\n ".join(lines) + "\n}\n"
        path.write_text(text, encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: Path) -> DemoManifest:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if data.get("format") != ANSWER_KEY_FORMAT:
            raise ValueError(f"{path} is not a verifydel demo answer key")
        directory = Path(path).parent
        return cls(
            directory=directory,
            leaked=directory / data["leaked"],
            broker=directory / data["broker"],
            seed=data["seed"],
            records=data["records"],
            survivors=[
                PlantedSurvivor(
                    s["file"], s["row"], s["record_id"], tuple(s["kept"]), tuple(s["tags"])
                )
                for s in data["survivors"]
            ],
            decoys=[
                PlantedDecoy(d["file"], d["row"], d["kind"], d["near_record_id"])
                for d in data["decoys"]
            ],
        )


@dataclass
class DemoCheck:
    """How a scan's matches compare with the answer key."""

    found: list[PlantedSurvivor] = field(default_factory=list)
    missed: list[PlantedSurvivor] = field(default_factory=list)  # no strong match for its record
    strong_decoys: list[PlantedDecoy] = field(default_factory=list)
    weak_fresh_decoys: list[PlantedDecoy] = field(
        default_factory=list
    )  # fresh/near-name: expect nothing
    unplanned_rows: list[tuple[str, int]] = field(
        default_factory=list
    )  # matched rows not in the key

    @property
    def ok(self) -> bool:
        return not (self.missed or self.strong_decoys or self.unplanned_rows)


def _table_of(source: str, files: Iterable[str]) -> str | None:
    for file in files:
        if source == file or source.endswith("/" + file):
            return file
    return None


def check_matches(manifest: DemoManifest, matches: Iterable[Mapping[str, Any]]) -> DemoCheck:
    """Compare report matches (``source``, ``row``, ``record_id``, ``strength``) with the key.

    ``source`` may be the report's full path: it is matched by its ending
    (``.../broker/customers.xlsx!/退会者`` ends with ``customers.xlsx!/退会者``).
    A survivor counts as found only when its own row matches its own record strongly.
    """
    files = manifest.files
    strong: set[tuple[str, int, str]] = set()
    matched_rows: set[tuple[str, int]] = set()
    unknown: set[tuple[str, int]] = set()
    for match in matches:
        table = _table_of(str(match["source"]), files)
        row = int(match["row"])
        if table is None:
            unknown.add((str(match["source"]), row))
            continue
        matched_rows.add((table, row))
        if match["strength"] == "strong":
            strong.add((table, row, str(match["record_id"])))
    strong_rows = {(t, r) for t, r, _ in strong}
    check = DemoCheck()
    for survivor in manifest.survivors:
        hit = (survivor.file, survivor.row, survivor.record_id) in strong
        (check.found if hit else check.missed).append(survivor)
    for decoy in manifest.decoys:
        where = (decoy.file, decoy.row)
        if where in strong_rows:
            check.strong_decoys.append(decoy)
        elif where in matched_rows and decoy.kind in ("fresh", "near-name"):
            check.weak_fresh_decoys.append(decoy)
    planned = {(s.file, s.row) for s in manifest.survivors} | {
        (d.file, d.row) for d in manifest.decoys
    }
    check.unplanned_rows = sorted((matched_rows - planned) | unknown)
    return check
