"""Matching on already-normalised rows: lookup, corroboration and strength per CONTRACT.md."""

from __future__ import annotations

import polars as pl
import pytest

from verifydel.fields import FIELDS, LISTED
from verifydel.fingerprint.build import build_index, split_by_code
from verifydel.fingerprint.keys import generate_secret
from verifydel.fingerprint.pack import PackContents
from verifydel.fingerprint.rows import combination_fingerprints, field_fingerprints
from verifydel.match import match_normalised
from verifydel.normalise.batch import ROW

SECRET = generate_secret()


def _norm(rows: list[dict]) -> pl.DataFrame:
    """A normalised frame; a reading (name_kana) given as one string is its one key."""
    data = {ROW: list(range(len(rows)))}
    for f in FIELDS:
        if f in LISTED:
            data[f] = [[r[f]] if isinstance(r.get(f), str) else r.get(f, []) for r in rows]
        else:
            data[f] = [r.get(f) for r in rows]
    schema = {ROW: pl.UInt32} | {f: pl.List(pl.String) if f in LISTED else pl.String for f in FIELDS}
    return pl.DataFrame(data, schema=schema)


LEAKED = [
    {"name": "山田太郎", "name_kana": "ヤマダタロウ", "address": "港区芝公園4-2-8", "phone": ["09011112222"], "postal": "1050011"},
    {"name": "山田花子", "address": "港区芝公園4-2-8", "phone": ["0311112222"]},
    {"name": "佐藤一郎", "address": "大阪市北区梅田1-2-3", "phone": ["08033334444", "0666667777"]},
]


@pytest.fixture(scope="module")
def contents() -> PackContents:
    norm = _norm(LEAKED)
    records = field_fingerprints(norm, SECRET).drop(ROW)
    records = records.with_columns(pl.Series("record_id", ["C1", "C2", "C3"])).select("record_id", *records.columns)
    return PackContents(records=records, index=build_index({c: [f] for c, f in split_by_code(combination_fingerprints(norm, SECRET)).items()}))


CASES = [
    # (broker row, expected {record_id: (strength, fields)})
    ({"name": "山田太郎", "address": "港区芝公園4-2-8", "phone": ["09011112222"]},
     {"C1": ("strong", ["name", "address", "phone"])}),
    ({"name": "山田太郎", "phone": ["09011112222"]}, {"C1": ("strong", ["name", "phone"])}),
    ({"name": "別人", "phone": ["09011112222"]}, {"C1": ("weak", ["phone"])}),
    ({"name": "山田太郎"}, {}),  # a name alone is never a match
    ({"name": "別人", "address": "港区芝公園4-2-8"}, {"C1": ("weak", ["address"]), "C2": ("weak", ["address"])}),
    ({"name": "佐藤一郎", "phone": ["0666667777"]}, {"C3": ("strong", ["name", "phone"])}),  # second phone
    ({"name": "佐藤一郎", "phone": ["00000000000", "0666667777"]}, {"C3": ("strong", ["name", "phone"])}),
    ({}, {}),
    ({"name_kana": "ヤマダタロウ", "phone": ["09011112222"]}, {"C1": ("strong", ["name_kana", "phone"])}),
    ({"name": "山田太郎", "postal": "1050011"}, {}),  # postal never makes a match
    ({"address": "港区芝公園4-2-8", "phone": ["0311112222"]}, {"C2": ("strong", ["address", "phone"])}),
    ({"name": "別人", "phone": ["09011112222"], "postal": "1050011"}, {"C1": ("weak", ["postal", "phone"])}),
    ({"name": "山田太郎", "address": "港区芝公園4-2-8", "phone": ["0311112222"]},
     {"C1": ("strong", ["name", "address"]), "C2": ("strong", ["address", "phone"])}),
]


@pytest.mark.parametrize(("row", "expected"), CASES)
def test_strength_and_fields(contents: PackContents, row: dict, expected: dict) -> None:
    found = match_normalised(_norm([row]), SECRET, contents)
    got = {r["record_id"]: (r["strength"], r["fields"]) for r in found.iter_rows(named=True)}
    assert got == expected


def test_batch_rows_are_kept_apart(contents: PackContents) -> None:
    rows = [row for row, _ in CASES]
    found = match_normalised(_norm(rows), SECRET, contents)
    for i, (_, expected) in enumerate(CASES):
        part = found.filter(pl.col(ROW) == i)
        assert {r["record_id"]: (r["strength"], r["fields"]) for r in part.iter_rows(named=True)} == expected


def test_other_key_matches_nothing(contents: PackContents) -> None:
    rows = [row for row, _ in CASES]
    assert match_normalised(_norm(rows), generate_secret(), contents).height == 0


@pytest.mark.parametrize(("row", "expected"), CASES)
def test_every_combination_gives_the_same_answer(contents: PackContents, row: dict, expected: dict) -> None:
    """Candidates from phone/address + corroboration == looking up every pair combination."""
    fast = match_normalised(_norm([row]), SECRET, contents)
    full = match_normalised(_norm([row]), SECRET, contents, combinations=None)
    assert fast.equals(full)


AGREEMENT_CASES = [
    # (broker row, record, agreed, disagreed, missing)
    ({"name": "別人", "phone": ["09011112222"]}, "C1", ["phone"], ["name"], ["name_kana", "address", "postal"]),
    ({"name": "山田太郎", "address": "港区芝公園4-2-8", "phone": ["09011112222"], "postal": "9999999"},
     "C1", ["name", "address", "phone"], ["postal"], ["name_kana"]),
    ({"address": "港区芝公園4-2-8", "phone": ["0311112222"], "email": ["a@example.jp"]},
     "C2", ["address", "phone"], [], ["name", "email"]),  # the broker's e-mail: the leak has none
    ({"name": "佐藤一郎", "phone": ["00000000000", "0666667777"]}, "C3", ["name", "phone"], [], ["address"]),
]


@pytest.mark.parametrize(("row", "record", "agreed", "disagreed", "missing"), AGREEMENT_CASES)
def test_each_match_says_which_fields_agreed_disagreed_or_were_missing(
    contents: PackContents, row: dict, record: str, agreed: list, disagreed: list, missing: list
) -> None:
    found = match_normalised(_norm([row]), SECRET, contents).filter(pl.col("record_id") == record)
    [match] = found.iter_rows(named=True)
    assert (match["fields"], match["disagreed"], match["missing"]) == (agreed, disagreed, missing)
