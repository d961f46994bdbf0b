"""A small demo leak, its pack and attestation pack, and one request → answer → finish round."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from verifydel.attest import answer_request, finish, make_request
from verifydel.attest.finish import Finished
from verifydel.demo import DemoManifest, make_demo
from verifydel.fingerprint.attest_keys import AttestKey
from verifydel.fingerprint.build import build_pack
from verifydel.fingerprint.keys import Secret, write_key


@dataclass
class Round:
    dir: Path
    manifest: DemoManifest
    secret: Secret
    key_path: Path
    pack: Path
    attest: Path
    request: Path
    state: Path
    answer: Path
    ledger: Path
    finished: Finished


@pytest.fixture(scope="package")
def demo_round(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Round]:
    base = tmp_path_factory.mktemp("attest")
    manifest = make_demo(base, seed=7, records=300)
    secret = Secret(bytes(range(32)))
    key_path = base / "regulator.key"
    write_key(key_path, secret)
    pack, attest = base / "leak.vdpack", base / "leak.vdattest"
    build_pack([str(manifest.leaked)], secret, pack, id_column="顧客ID", attest_out=attest)
    old = Path.cwd()
    os.chdir(base)  # relative source paths, as the scan gives them
    try:
        request = base / "q.vdreq"
        make_request(["broker"], request)
        answer, ledger = base / "a.vdans", base / "regulator.key.ledger"
        answer_request(request, AttestKey.from_secret(secret), answer, ledger=ledger)
        done = finish(answer, base / "q.vdreq.state", attest)
        yield Round(base, manifest, secret, key_path, pack, attest, request, base / "q.vdreq.state", answer, ledger, done)
    finally:
        os.chdir(old)
