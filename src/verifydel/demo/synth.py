"""The demo data: a leaked set, a broker folder where some of it survives, and the answer key.

``make_demo`` writes ``leaked.csv``, ``broker/`` and ``answer_key.json``. About a
tenth of the leaked records survive in the broker folder, each reformatted and
keeping at least two of name, address and phone in substance (so the scan must
find it strong); as many decoys are mixed in: fresh people (the scan must find
nothing) and near misses sharing exactly one field with one leaked record (a
family member at the same address, a reassigned phone number, a namesake: at
most weak). The same seed gives byte-identical files.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final

from faker import Faker

from verifydel.demo._notation import ROW_TAGS, choose_notation, leaked_address, leaked_phone
from verifydel.demo._people import Person, PersonFactory, name_key
from verifydel.demo._tables import (
    TABLES,
    XLSX_FILE,
    Cell,
    PlannedRow,
    TableSpec,
    extra_cells,
    write_table,
    write_workbook,
)
from verifydel.demo.manifest import DemoManifest, PlantedDecoy, PlantedSurvivor
from verifydel.errors import UsageError

LEAKED_FILE: Final = "leaked.csv"
BROKER_DIR: Final = "broker"
LEAKED_HEADER: Final = (
    "顧客ID",
    "氏名",
    "フリガナ",
    "郵便番号",
    "住所",
    "電話番号",
    "生年月日",
    "メールアドレス",
)
MIN_RECORDS: Final = 100
SURVIVOR_SHARE: Final = 0.10
#: Decoy kinds and their share of the decoys (as many decoys as survivors).
DECOY_MIX: Final = (
    ("fresh", 0.4),
    ("near-address", 0.2),
    ("near-phone", 0.2),
    ("near-name", 0.2),
)
#: What a survivor keeps and what became of the rest: (kept, change tag, blank field, weight).
Outcome = tuple[tuple[str, ...], str | None, str | None, int]
OUTCOMES: Final[tuple[Outcome, ...]] = (
    (("name", "address", "phone"), None, None, 50),
    (("name", "phone"), "moved", None, 10),
    (("name", "phone"), "no-address", "address", 10),
    (("name", "address"), "new-phone", None, 10),
    (("name", "address"), "no-phone", "phone", 10),
    (("address", "phone"), "renamed", None, 10),
)
CHANGE_TAGS: Final[tuple[str, ...]] = tuple(o[1] for o in OUTCOMES if o[1])
_NEAR_FIELD: Final = {"near-address": "address", "near-phone": "phone", "near-name": "name"}


class LeakedIndex:
    """Which leaked records share which identity fields with a person.

    A name is shared when the names or their readings agree.
    """

    def __init__(self, people: list[Person]) -> None:
        self._by: dict[str, dict[object, set[int]]] = defaultdict(lambda: defaultdict(set))
        for i, person in enumerate(people):
            for key in self._keys(person):
                self._by[key[0]][key[1]].add(i)

    @staticmethod
    def _keys(person: Person) -> list[tuple[str, object]]:
        return [
            ("name", name_key(person.name)),
            ("name", "kana:" + person.kana.replace(" ", "")),
            ("address", person.address.key),
            ("phone", person.phone.digits),
        ]

    def shared(self, person: Person, blank: frozenset[str] = frozenset()) -> dict[int, set[str]]:
        """record index → identity fields (name, address, phone) it shares with ``person``."""
        found: dict[int, set[str]] = defaultdict(set)
        for field_name, value in self._keys(person):
            if field_name not in blank:
                for i in self._by[field_name].get(value, ()):
                    found[i].add(field_name)
        return dict(found)


@dataclass
class DemoPlan:
    """Everything generated, before it is written: the raw values the tests check."""

    seed: int
    leaked: list[Person]
    record_ids: list[str]
    tables: list[tuple[TableSpec, list[PlannedRow]]]


def _split(total: int, shares: list[float]) -> list[int]:
    """``total`` split by ``shares`` (largest remainder); every part gets 1 when total allows."""
    raw = [total * s / sum(shares) for s in shares]
    counts = [max(1, int(r)) if total >= len(shares) else int(r) for r in raw]
    order = sorted(range(len(shares)), key=lambda i: raw[i] - int(raw[i]), reverse=True)
    i = 0
    while sum(counts) < total:
        counts[order[i % len(order)]] += 1
        i += 1
    while sum(counts) > total:
        counts[counts.index(max(counts))] -= 1
    return counts


def _retry(make: Callable[[], Person], accept: Callable[[Person], bool]) -> Person:
    for _ in range(1000):
        person = make()
        if accept(person):
            return person
    raise RuntimeError("the demo generator could not draw a decoy that meets its constraints")


def build_plan(seed: int = 2023, records: int = 3000) -> DemoPlan:
    """Generate the leaked set and the broker rows (values and notations), nothing written."""
    if records < MIN_RECORDS:
        raise UsageError(
            f"the demo needs at least {MIN_RECORDS} leaked records",
            hint=f"use {MIN_RECORDS} records or more",
        )
    fake = Faker("ja_JP")
    fake.seed_instance(seed)
    factory = PersonFactory(fake)
    rng = factory.rng
    leaked = [factory.person() for _ in range(records)]
    record_ids = [f"C{i + 1:07d}" for i in range(records)]
    index = LeakedIndex(leaked)

    n_survivors = max(round(records * SURVIVOR_SHARE), 2 * len(TABLES))
    decoy_counts = _split(n_survivors, [share for _, share in DECOY_MIX])
    decoy_kinds = [
        kind for (kind, _), n in zip(DECOY_MIX, decoy_counts, strict=True) for _ in range(n)
    ]
    n_near = sum(kind != "fresh" for kind in decoy_kinds)
    chosen = rng.sample(range(records), n_survivors + n_near)
    near_targets = iter(chosen[n_survivors:])
    survivor_jobs: list[tuple[str, int | None]] = [("survivor", i) for i in chosen[:n_survivors]]
    decoy_jobs = [(kind, None if kind == "fresh" else next(near_targets)) for kind in decoy_kinds]
    rng.shuffle(decoy_jobs)

    shares = [spec.share for spec in TABLES]
    survivor_split, decoy_split = (
        _split(len(survivor_jobs), shares),
        _split(len(decoy_jobs), shares),
    )
    tables: list[tuple[TableSpec, list[PlannedRow]]] = []
    seen_tags: set[str] = set()
    survivor_count = 0
    for t, spec in enumerate(TABLES):
        jobs = survivor_jobs[sum(survivor_split[:t]) : sum(survivor_split[: t + 1])]
        jobs += decoy_jobs[sum(decoy_split[:t]) : sum(decoy_split[: t + 1])]
        rng.shuffle(jobs)
        rows: list[PlannedRow] = []
        for n, (kind, target) in enumerate(jobs, start=1):
            if kind == "survivor":
                assert target is not None
                # Ask each row for one tag not seen yet, in turn, until every tag has shown up.
                unseen = [tag for tag in ROW_TAGS + CHANGE_TAGS if tag not in seen_tags]
                want = unseen[survivor_count % len(unseen)] if unseen else None
                row = _plan_survivor(leaked, record_ids, target, spec, factory, index, want)
                survivor_count += 1
                seen_tags.update(row.tags)
            else:
                row = _plan_decoy(kind, target, leaked, record_ids, spec, factory, index)
            row.extra = extra_cells(spec, row, n, factory)
            rows.append(row)
        tables.append((spec, rows))
    return DemoPlan(seed, leaked, record_ids, tables)


def _plan_survivor(
    leaked: list[Person],
    record_ids: list[str],
    target: int,
    spec: TableSpec,
    factory: PersonFactory,
    index: LeakedIndex,
    want: str | None,
) -> PlannedRow:
    rng = factory.rng
    if want in CHANGE_TAGS:  # make the wanted outcome happen on this row
        outcome = next(o for o in OUTCOMES if o[1] == want)
    else:
        outcome = rng.choices(OUTCOMES, weights=[o[3] for o in OUTCOMES])[0]
    kept, change, blank_field, _ = outcome
    record = leaked[target]
    shown = record
    if change == "moved":
        shown = replace(record, address=factory.address())
    elif change == "new-phone":
        shown = replace(record, phone=factory.phone(record.address.city))
    elif change == "renamed":
        shown = factory.renamed(record)
    blank = frozenset({blank_field}) if blank_field else frozenset()
    shared = index.shared(shown, blank)
    if not set(kept) <= shared.get(target, set()) or any(
        len(fields) > 1 for i, fields in shared.items() if i != target
    ):
        raise RuntimeError("demo survivor does not single out its leaked record")  # a generator bug
    notation = choose_notation(shown, spec.caps, factory, want=want)
    kept_set = frozenset(kept)
    file_tags = [
        t
        for t in spec.file_tags
        if not (t == "split-name" and "name" not in kept_set)
        and not (t == "split-address" and "address" not in kept_set)
    ]
    tags = file_tags + notation.tags(shown, kept_set) + ([change] if change else [])
    return PlannedRow("survivor", shown, notation, record_ids[target], kept, blank, tuple(tags))


def _plan_decoy(
    kind: str,
    target: int | None,
    leaked: list[Person],
    record_ids: list[str],
    spec: TableSpec,
    factory: PersonFactory,
    index: LeakedIndex,
) -> PlannedRow:
    def single_field(expected: str | None) -> Callable[[Person], bool]:
        def accept(person: Person) -> bool:
            shared = index.shared(person)
            if any(len(fields) > 1 for fields in shared.values()):
                return False
            return expected is None or shared.get(target, set()) == {expected}  # type: ignore[arg-type]

        return accept

    if kind == "fresh":
        person = _retry(factory.person, single_field(None))
        record_id = None
    else:
        assert target is not None
        record = leaked[target]
        make = {
            "near-address": lambda: factory.family_member(record),
            "near-phone": lambda: factory.stranger_with_phone(record.phone, record),
            "near-name": lambda: factory.namesake(record),
        }[kind]
        person = _retry(make, single_field(_NEAR_FIELD[kind]))
        record_id = record_ids[target]
    notation = choose_notation(person, spec.caps, factory)
    return PlannedRow(kind, person, notation, record_id)


# --- writing ------------------------------------------------------------------------------
def _write_leaked(path: Path, plan: DemoPlan) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(LEAKED_HEADER)
    for record_id, p in zip(plan.record_ids, plan.leaked, strict=True):
        writer.writerow(
            [
                record_id,
                p.name,
                p.kana,
                p.address.postal,
                leaked_address(p.address),
                leaked_phone(p.phone),
                p.birth_date,
                p.email,
            ]
        )
    path.write_bytes(buffer.getvalue().encode("utf-8"))


def make_demo(directory: Path, *, seed: int = 2023, records: int = 3000) -> DemoManifest:
    """Write ``leaked.csv``, ``broker/`` and ``answer_key.json`` under ``directory``.

    Files already there with the same names are overwritten; other files are
    left alone (a stray file in ``broker/`` would be scanned too).
    """
    directory = Path(directory)
    plan = build_plan(seed, records)
    broker = directory / BROKER_DIR
    broker.mkdir(parents=True, exist_ok=True)
    leaked_path = directory / LEAKED_FILE
    _write_leaked(leaked_path, plan)

    manifest = DemoManifest(directory, leaked_path, broker, seed, records)
    sheets: list[tuple[TableSpec, list[list[Cell]]]] = []
    for spec, rows in plan.tables:
        cells = [spec.cells(row) for row in rows]
        if spec.label.startswith(XLSX_FILE + "!/"):
            sheets.append((spec, cells))
        else:
            write_table(broker, spec, cells)
        for n, row in enumerate(rows, start=1):
            if row.kind == "survivor":
                assert row.record_id is not None
                manifest.survivors.append(
                    PlantedSurvivor(spec.label, n, row.record_id, row.kept, row.tags)
                )
            else:
                manifest.decoys.append(PlantedDecoy(spec.label, n, row.kind, row.record_id))
    write_workbook(broker, sheets)
    manifest.write()
    return manifest
