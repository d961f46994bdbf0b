"""Known-answer vectors pin the fingerprint construction bit for bit."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from verifydel.fingerprint.hashing import COMBINATION_IDS, fingerprint_expr, fingerprint_reference
from verifydel.fingerprint.keys import Secret

VECTORS = json.loads(
    (Path(__file__).parents[2] / "fingerprints" / "vectors" / "fingerprints-v1.json").read_text(encoding="utf-8")
)
SECRET = Secret(bytes.fromhex(VECTORS["secret_hex"]))


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda c: c["domain"])
def test_reference_hash_matches_vector(case: dict) -> None:
    assert fingerprint_reference(SECRET, case["domain"], case["values"]) == int(case["fingerprint"])


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda c: c["domain"])
def test_vectorised_hash_is_bit_identical(case: dict) -> None:
    cols = {f"v{i}": [v] for i, v in enumerate(case["values"])}
    out = pl.DataFrame(cols).select(fingerprint_expr(SECRET, case["domain"], [pl.col(c) for c in cols]))
    assert out.item() == int(case["fingerprint"])


def test_every_combination_has_a_vector() -> None:
    assert set(COMBINATION_IDS) <= {c["domain"] for c in VECTORS["cases"]}


def test_derived_keys_match_vectors() -> None:
    assert SECRET.check_value() == VECTORS["key_check"]
    assert SECRET.pack_key(bytes.fromhex(VECTORS["pack_key_salt_hex"])).hex() == VECTORS["pack_key_hex"]
    for domain, seed in VECTORS["seeds"].items():
        assert SECRET.fingerprint_seed(domain) == int(seed)


def test_domains_separate_equal_values() -> None:
    a = fingerprint_reference(SECRET, "phone", ["09012345678"])
    b = fingerprint_reference(SECRET, "address", ["09012345678"])
    assert a != b


def test_null_part_gives_null_fingerprint() -> None:
    df = pl.DataFrame({"a": ["x", None], "b": [None, "y"]}, schema={"a": pl.String, "b": pl.String})
    out = df.select(fingerprint_expr(SECRET, "name+phone", [pl.col("a"), pl.col("b")]).alias("h"))
    assert out["h"].null_count() == 2


def test_vectorised_equals_reference_on_many_values() -> None:
    values = [f"{i:011d}" for i in range(2000)] + ["港区芝公園4-2-8", "髙橋", "ｱ", "\u3000"]
    got = pl.DataFrame({"v": values}).select(fingerprint_expr(SECRET, "phone", [pl.col("v")]))["v"].to_list()
    assert got == [fingerprint_reference(SECRET, "phone", [v]) for v in values]
