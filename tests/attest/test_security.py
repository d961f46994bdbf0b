"""What the attestation pack, the request and the answer give away: nothing a guess can be tested against.

A dictionary attack needs, for a candidate phone or address x, something computable from
x alone that the files hold. Every anchor and tag needs F_k(x), which only the
regulator's key gives: these tests show each unkeyed route fails and only the key's
route finds the record (by construction: tags are keyed by OPRF outputs, and the
OPRF key never leaves the regulator).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import polars as pl
import xxhash

from verifydel.attest import make_request
from verifydel.attest.files import read_request, read_state
from verifydel.fields import ADDRESS, PHONE
from verifydel.fingerprint import oprf
from verifydel.fingerprint.attest_file import RECORD_SCHEMA, read_attestation_pack
from verifydel.fingerprint.attest_keys import AttestKey
from verifydel.fingerprint.attest_tags import oprf_input, tag_reference
from verifydel.fingerprint.keys import Secret
from verifydel.normalise import field_expr


def _leaked_phones(r) -> list[str]:
    leaked = pl.read_csv(r.manifest.leaked, infer_schema=False)
    return leaked.select(field_expr(PHONE, [pl.col("電話番号")]).alias("p"))["p"].drop_nulls().to_list()


def _anchors(r) -> set[int]:
    return {a for row in read_attestation_pack(r.attest).records["phone_fp"].to_list() for a in row}


def test_the_attestation_pack_holds_only_anchors_and_tags(demo_round) -> None:
    pack = read_attestation_pack(demo_round.attest)
    assert pack.records.schema == RECORD_SCHEMA  # u64 anchors and tags, nothing else: no id, no value
    header = str(pack.header)
    for phone in _leaked_phones(demo_round)[:50]:
        assert phone not in header and phone[-8:] not in header


def test_a_guessed_phone_tests_nothing_without_the_regulators_answer(demo_round) -> None:
    """The right phone, hashed every way one could without the key, hits no anchor;
    another key's OPRF misses too; only the regulator's key finds it."""
    anchors = _anchors(demo_round)
    phone = _leaked_phones(demo_round)[0]
    x = oprf_input(PHONE, phone)
    unkeyed = [
        hashlib.sha512(x).digest(),
        hashlib.sha512(phone.encode()).digest(),
        oprf.hash_to_group(x) + bytes(32),  # F with k = 1
        xxhash.xxh3_128_digest(x) * 4,
        bytes(64),
    ]
    assert not {tag_reference("phone", y) for y in unkeyed} & anchors
    assert not {int.from_bytes(hashlib.sha256(x).digest()[:8], "big"), xxhash.xxh3_64_intdigest(x)} & anchors
    other = AttestKey.from_secret(Secret(bytes(32)))
    assert tag_reference("phone", oprf.evaluate(other.oprf_secret, x)) not in anchors
    mine = AttestKey.from_secret(demo_round.secret)
    assert tag_reference("phone", oprf.evaluate(mine.oprf_secret, x)) in anchors  # the only way


def test_request_points_differ_across_runs_for_the_same_values(demo_round, tmp_path: Path) -> None:
    old = Path.cwd()
    os.chdir(demo_round.dir)
    try:
        make_request(["broker"], tmp_path / "again.vdreq")
    finally:
        os.chdir(old)
    first, second = read_request(demo_round.request), read_request(tmp_path / "again.vdreq")
    assert first.count == second.count > 0
    assert not set(first.points()) & set(second.points())


def test_the_request_holds_no_value_and_no_unblinded_point(demo_round) -> None:
    request = read_request(demo_round.request)
    state = read_state(demo_round.state)
    points = set(request.points())
    unblinded = {oprf.hash_to_group(i) for i in state.values["input"].to_list()}
    assert not points & unblinded  # the regulator sees blinded points only
    assert set(request.header) <= {
        "format", "suite", "oprf_mode", "count", "tool", "case", "operator", "created_at",
        "normalisation", "media", "sources_read", "rows_read",
    }  # fmt: skip
    for value in state.values["value"].to_list()[:50]:
        assert value.encode() not in demo_round.request.read_bytes()
    fields = state.values["field"].to_list()
    assert set(fields) == {PHONE, ADDRESS}
    assert fields != sorted(fields)  # phones and addresses mixed: order tells nothing


def test_the_answer_only_helps_its_own_request(demo_round) -> None:
    """Unblinding the answer with any other blinds gives outputs that match nothing."""
    state = read_state(demo_round.state)
    inputs = state.values["input"].to_list()[:20]
    wrong = [oprf.random_scalar() for _ in inputs]
    points = demo_round.finished.answer.points()[:20]
    outputs = oprf.finalize_all(inputs, wrong, points)
    right = oprf.finalize_all(inputs, state.values["blind_inverse"].to_list()[:20], points)
    key = AttestKey.from_secret(demo_round.secret)
    assert right == [oprf.evaluate(key.oprf_secret, i) for i in inputs]
    assert not set(outputs) & set(right)


def test_the_state_is_private_to_the_broker(demo_round) -> None:
    assert demo_round.state.stat().st_mode & 0o777 == 0o600
