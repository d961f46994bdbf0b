"""RFC 9497 OPRF(ristretto255, SHA-512): the RFC's test vectors, and the batch forms against the single ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from verifydel.fingerprint import oprf

VECTORS = json.loads(
    (Path(__file__).parents[2] / "fingerprints" / "vectors" / "oprf-ristretto255-sha512.json").read_text(encoding="utf-8")
)
CASES = [(m, v) for m in VECTORS["modes"] for v in m["vectors"]]


def _key(mode: dict) -> tuple[bytes, bytes]:
    return oprf.derive_key_pair(bytes.fromhex(mode["seed"]), bytes.fromhex(mode["key_info"]), mode["mode"])


@pytest.mark.parametrize("mode", VECTORS["modes"], ids=lambda m: m["name"])
def test_derive_key_pair_matches_the_rfc(mode: dict) -> None:
    sk, pk = _key(mode)
    assert sk.hex() == mode["skSm"]
    if mode["pkSm"] is not None:
        assert pk.hex() == mode["pkSm"]


@pytest.mark.parametrize(("mode", "case"), CASES, ids=[f"{m['name']}-{v['name']}" for m, v in CASES])
def test_blind_evaluate_finalize_match_the_rfc(mode: dict, case: dict) -> None:
    sk, _ = _key(mode)
    value, r = bytes.fromhex(case["input"]), bytes.fromhex(case["blind"])
    blinded = oprf.scalar_mult(r, oprf.hash_to_group(value, oprf.context_string(mode["mode"])))
    assert blinded.hex() == case["blinded_element"]
    evaluated = oprf.blind_evaluate(sk, blinded)
    assert evaluated.hex() == case["evaluation_element"]
    assert oprf.finalize(value, r, evaluated).hex() == case["output"]


def test_base_mode_blind_and_evaluate_match_the_rfc() -> None:
    mode = VECTORS["modes"][0]
    assert mode["mode"] == oprf.MODE_OPRF
    sk, _ = _key(mode)
    for case in mode["vectors"]:
        value = bytes.fromhex(case["input"])
        _, blinded = oprf.blind(value, bytes.fromhex(case["blind"]))
        assert blinded.hex() == case["blinded_element"]
        assert oprf.evaluate(sk, value).hex() == case["output"]  # the server's own Evaluate


def test_expand_message_xmd_sha512_rfc9380_vector() -> None:
    # RFC 9380 K.3 (expand_message_xmd, SHA-512), msg "" and "abc", len_in_bytes 0x20
    dst = b"QUUX-V01-CS02-with-expander-SHA512-256"
    assert oprf.expand_message_xmd(b"", dst, 0x20).hex() == (
        "6b9a7312411d92f921c6f68ca0b6380730a1a4d982c507211a90964c394179ba"
    )
    assert oprf.expand_message_xmd(b"abc", dst, 0x20).hex() == (
        "0da749f12fbe5483eb066a5f595055679b976e93abe9be6f0f6318bce7aca8dc"
    )


def test_batches_equal_single_calls() -> None:
    sk = oprf.random_scalar()
    values = [f"phone\x1f0901234{i:04d}".encode() for i in range(300)] + [b"", b"\x00" * 70]
    inverses, blinded = oprf.blind_all(values, workers=2)
    evaluated = oprf.evaluate_all(sk, blinded, workers=2)
    outputs = oprf.finalize_all(values, inverses, evaluated, workers=2)
    assert outputs == [oprf.evaluate(sk, v) for v in values]
    assert outputs == oprf.evaluate_values(sk, values, workers=2)
    assert oprf.hash_to_group_all(values[:5]) == [oprf.hash_to_group(v) for v in values[:5]]


def test_chunks_larger_than_one_task_keep_their_order() -> None:
    sk = oprf.random_scalar()
    values = [i.to_bytes(4, "big") for i in range(oprf.CHUNK + 10)]
    got = oprf.evaluate_values(sk, values, workers=2)
    assert got[-1] == oprf.evaluate(sk, values[-1]) and got[0] == oprf.evaluate(sk, values[0])


def test_batch_inversion() -> None:
    import rbcl

    scalars = [oprf.random_scalar() for _ in range(50)]
    assert oprf.invert_all(scalars) == [rbcl.crypto_core_ristretto255_scalar_invert(s) for s in scalars]
    assert oprf.invert_all([]) == []


def test_blinds_are_fresh_each_time() -> None:
    values = [b"phone\x1f09012345678"] * 2
    _, first = oprf.blind_all(values)
    _, second = oprf.blind_all(values)
    assert len({*first, *second}) == 4


def test_invalid_and_identity_elements_are_refused() -> None:
    sk = oprf.random_scalar()
    identity = bytes(32)
    not_canonical = b"\xff" * 32
    assert not oprf.is_valid_element(identity)
    assert not oprf.is_valid_element(not_canonical)
    assert not oprf.is_valid_element(b"\x01" * 31)
    assert oprf.is_valid_element(oprf.hash_to_group(b"x"))
    for bad in (identity, not_canonical):
        with pytest.raises(oprf.OprfError):
            oprf.blind_evaluate(sk, bad)


def test_an_input_longer_than_the_rfc_allows_is_refused() -> None:
    with pytest.raises(oprf.OprfError):
        oprf.blind(b"x" * 70_000)
