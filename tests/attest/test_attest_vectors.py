"""Known-answer vectors pin the attestation tier's keys, inputs, outputs, anchors and tags."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from verifydel.fingerprint import oprf
from verifydel.fingerprint.attest_keys import ATTEST_KEY_INFO, AttestKey, public_key_text
from verifydel.fingerprint.attest_tags import (
    attested_fingerprints,
    oprf_input,
    outputs_frame,
    tag_reference,
)
from verifydel.fingerprint.keys import Secret
from verifydel.normalise.batch import ROW

VECTORS = json.loads((Path(__file__).parents[2] / "fingerprints" / "vectors" / "attest-v1.json").read_text(encoding="utf-8"))
SECRET = Secret(bytes.fromhex(VECTORS["secret_hex"]))


def test_keys_match_the_vectors() -> None:
    key = AttestKey.from_secret(SECRET)
    assert SECRET.attest_oprf_seed().hex() == VECTORS["attest_oprf_seed_hex"]
    assert ATTEST_KEY_INFO.decode() == VECTORS["key_info"]
    assert key.oprf_secret.hex() == VECTORS["oprf_secret_hex"]
    assert key.oprf_public.hex() == VECTORS["oprf_public_hex"]
    assert SECRET.attest_signing_seed().hex() == VECTORS["attest_signing_seed_hex"]
    assert public_key_text(key.public) == VECTORS["signing_public_key_b64"]


def test_inputs_outputs_anchors_and_tags_match_the_vectors() -> None:
    key = AttestKey.from_secret(SECRET)
    for case in VECTORS["cases"]:
        x = oprf_input(case["field"], case["value"])
        assert x.hex() == case["input_hex"]
        y = oprf.evaluate(key.oprf_secret, x)
        assert y.hex() == case["output_hex"]
        assert tag_reference(case["field"], y) == int(case["anchor"])
        for name, tag in case["tags"].items():
            assert tag_reference(name, y, tag["value"]) == int(tag["tag"])


def test_the_vectorised_form_gives_the_vectors() -> None:
    phone, address = VECTORS["cases"]
    norm = pl.DataFrame(
        {
            ROW: [0], "name": [phone["tags"]["name@phone"]["value"]], "name_kana": [None], "address": [None],
            "postal": [phone["tags"]["postal@phone"]["value"]], "phone": [[phone["value"]]], "email": [[]], "birth_date": [None],
        },
        schema={ROW: pl.UInt32, "name": pl.String, "name_kana": pl.String, "address": pl.String, "postal": pl.String,
                "phone": pl.List(pl.String), "email": pl.List(pl.String), "birth_date": pl.String},
    )  # fmt: skip
    outputs = {
        "phone": outputs_frame([phone["value"]], [bytes.fromhex(phone["output_hex"])]),
        "address": outputs_frame([], []),
    }
    row = attested_fingerprints(norm, outputs).row(0, named=True)
    assert row["phone_fp"] == [int(phone["anchor"])]
    assert row["name_fp"] == [int(phone["tags"]["name@phone"]["tag"])]
    assert row["postal_fp"] == [int(phone["tags"]["postal@phone"]["tag"])]
    assert address["field"] == "address"
