"""Anchors and tags: vectorised = reference, agreement = equal values, keyed by OPRF outputs only."""

from __future__ import annotations

import polars as pl

from verifydel.fields import ADDRESS, FIELDS, PHONE
from verifydel.fingerprint import oprf
from verifydel.fingerprint.attest_tags import (
    TAGGED,
    anchor_entries,
    attested_fingerprints,
    distinct_anchor_values,
    oprf_input,
    outputs_frame,
    tag_reference,
)
from verifydel.fingerprint.rows import FP_SUFFIX
from verifydel.normalise.batch import ROW

SK = oprf.derive_key_pair(bytes(range(32)), b"test")[0]


def _norm(rows: list[dict]) -> pl.DataFrame:
    schema = {ROW: pl.UInt32, **{f: pl.List(pl.String) if f in ("phone", "email") else pl.String for f in FIELDS}}
    full = [{ROW: i, **{f: ([] if f in ("phone", "email") else None) for f in FIELDS}, **r} for i, r in enumerate(rows)]
    return pl.DataFrame(full, schema=schema)


def _outputs(norm: pl.DataFrame) -> dict[str, pl.DataFrame]:
    out = {}
    for field, values in distinct_anchor_values(norm).items():
        texts = values.to_list()
        out[field] = outputs_frame(texts, oprf.evaluate_values(SK, [oprf_input(field, v) for v in texts]))
    return out


ROWS = [
    {"name": "山田太郎", "address": "東京都港区芝公園4-2-8", "phone": ["09012345678", "0312345678"], "email": ["a@b.jp"]},
    {"name": "山田太郎", "phone": ["09012345678"], "postal": "1050011"},
    {"name": "佐藤花子", "address": "東京都港区芝公園4-2-8"},
    {"name": "鈴木一郎"},  # no anchor: nothing at all
]


def test_vectorised_tags_equal_the_reference() -> None:
    norm = _norm(ROWS)
    fps = attested_fingerprints(norm, _outputs(norm))
    y_phone = oprf.evaluate(SK, oprf_input(PHONE, "09012345678"))
    y_fixed = oprf.evaluate(SK, oprf_input(PHONE, "0312345678"))
    y_address = oprf.evaluate(SK, oprf_input(ADDRESS, "東京都港区芝公園4-2-8"))
    first = fps.row(0, named=True)
    assert sorted(first["phone_fp"]) == sorted([tag_reference("phone", y_phone), tag_reference("phone", y_fixed)])
    assert first["address_fp"] == tag_reference("address", y_address)
    assert sorted(first["name_fp"]) == sorted(
        [tag_reference(f"name@{a}", y, "山田太郎") for a, y in (("phone", y_phone), ("phone", y_fixed), ("address", y_address))]
    )
    assert sorted(first["email_fp"]) == sorted(
        [tag_reference(f"email@{a}", y, "a@b.jp") for a, y in (("phone", y_phone), ("phone", y_fixed), ("address", y_address))]
    )
    assert fps.row(1, named=True)["postal_fp"] == [tag_reference("postal@phone", y_phone, "1050011")]
    last = fps.row(3, named=True)
    assert last["address_fp"] is None and all(last[f + FP_SUFFIX] == [] for f in TAGGED)


def test_equal_names_share_a_tag_only_through_a_shared_anchor() -> None:
    norm = _norm(ROWS)
    fps = attested_fingerprints(norm, _outputs(norm))
    names = [set(v) for v in fps["name_fp"].to_list()]
    assert names[0] & names[1]  # same name, same phone
    assert not names[0] & names[2]  # same address, different names
    assert not (names[1] & names[2])  # different names
    assert not names[3]


def test_a_value_without_an_output_forms_nothing() -> None:
    norm = _norm(ROWS[:1])
    outputs = _outputs(norm)
    outputs[PHONE] = outputs[PHONE].head(0)
    fps = attested_fingerprints(norm, outputs)
    assert fps["phone_fp"].to_list() == [[]]
    assert len(fps["name_fp"][0]) == 1  # through the address only


def test_anchor_entries_list_every_anchor() -> None:
    norm = _norm(ROWS)
    entries = anchor_entries(attested_fingerprints(norm, _outputs(norm)))
    assert entries.schema == {ROW: pl.UInt32, "code": pl.UInt8, "fp": pl.UInt64}
    assert sorted(entries[ROW].to_list()) == [0, 0, 0, 1, 2]


def test_another_key_gives_other_tags() -> None:
    norm = _norm(ROWS[:1])
    other = oprf.derive_key_pair(bytes(32), b"other")[0]
    texts = distinct_anchor_values(norm)
    mine = attested_fingerprints(norm, _outputs(norm))
    theirs = attested_fingerprints(
        norm,
        {f: outputs_frame(v.to_list(), oprf.evaluate_values(other, [oprf_input(f, t) for t in v.to_list()])) for f, v in texts.items()},
    )
    assert not set(mine["name_fp"][0]) & set(theirs["name_fp"][0])
    assert mine["address_fp"][0] != theirs["address_fp"][0]
