"""Fixtures of the match tests: one attestation round (request → answer → finish)."""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import pytest

from verifydel.attest import answer_request, finish, make_request
from verifydel.fingerprint.attest_keys import AttestKey
from verifydel.fingerprint.keys import Secret, write_key


def attestation_matches(base: Path, secret: Secret, attest: Path) -> pl.DataFrame:
    """The matches ``finish`` reports for ``base/broker`` against ``attest``."""
    write_key(base / "regulator.key", secret)
    old = Path.cwd()
    os.chdir(base)
    try:
        make_request(["broker"], base / "q.vdreq")
        answer_request(base / "q.vdreq", AttestKey.from_secret(secret), base / "a.vdans", ledger=base / "ledger")
        return finish(base / "a.vdans", base / "q.vdreq.state", attest).report.matches
    finally:
        os.chdir(old)



@pytest.fixture
def attestation_round():  # type: ignore[no-untyped-def]
    """``attestation_matches``, for tests of both tiers."""
    return attestation_matches
