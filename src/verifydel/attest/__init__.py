"""The attestation tier: brokers certify deletion without ever holding the leak (RFC 9497 OPRF).

    regulator: fingerprint LEAKED --key KEY --out PACK --attest-out FILE.vdattest
    broker:    attest request SOURCE... --out Q.vdreq        (writes Q.vdreq.state, 0600)
    regulator: attest answer Q.vdreq --key KEY --out A.vdans [--max N]   (ledger line)
    broker:    attest finish A.vdans --state Q.vdreq.state --pack FILE.vdattest --json R.json

``request`` reads as `scan` reads; ``answer`` checks, evaluates, signs and logs;
``finish`` checks the answer and makes the usual report (tier ``attestation``).
The protocol, what each party holds and learns: docs/attestation.md.
"""

from verifydel.attest.answer import AnswerResult, answer_request, default_ledger, ledger_entries
from verifydel.attest.finish import Finished, finish
from verifydel.attest.request import (
    RequestOptions,
    RequestResult,
    check_request_outputs,
    make_request,
)

__all__ = [
    "AnswerResult",
    "Finished",
    "RequestOptions",
    "RequestResult",
    "answer_request",
    "check_request_outputs",
    "default_ledger",
    "finish",
    "ledger_entries",
    "make_request",
]
