"""`verifydel attest finish`: the regulator's answer + the broker's state + the attestation pack → the report.

Before a point is used the answer must be the one for this request, from the key of this
attestation pack, unchanged: its signature is checked against the signing key in the
attestation pack (not against the key the answer names), its request hash against the
state's, its count and every point. Then each output is unblinded (RFC 9497 Finalize),
the rows' anchors and tags derived (``fingerprint.attest_tags``), looked up and graded
(``match.match_attested``: the full tier's rules), and the usual ``Report`` made, its
pack named with tier ``attestation``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from verifydel import __version__
from verifydel.attest.files import ANSWER_MAGIC, Answer, State, read_answer, read_state
from verifydel.attest.request import SOURCE
from verifydel.errors import AnswerRefusedError, AttestationError
from verifydel.fingerprint import oprf
from verifydel.fingerprint.attest_file import (
    ATTEST_FORMAT,
    TIER_ATTESTATION,
    AttestationPack,
    read_attestation_pack,
    signature_valid,
)
from verifydel.fingerprint.attest_keys import public_key_id, raw_public
from verifydel.fingerprint.attest_tags import ANCHORS, Y, attested_fingerprints, y_key
from verifydel.match import match_attested
from verifydel.normalise.batch import ROW
from verifydel.report.model import MATCH_SCHEMA, OPTIONAL_MATCH_SCHEMA, PackSummary, Report

#: Points unblinded at a time (bounds the memory of the intermediate Python objects).
SLICE = 1 << 20
_NEW_ANSWER = "ask the regulator to answer your request again, and give that answer"


@dataclass
class Finished:
    report: Report
    pack: AttestationPack
    answer: Answer
    state: State


def check_answer(answer: Answer, state: State, pack: AttestationPack) -> None:
    """Raise AnswerRefusedError unless ``answer`` is the regulator's answer to this request."""
    name = answer.path.name
    if raw_public(answer.public) != raw_public(pack.signing_public) or answer.header.get("key_id") != pack.key_id:
        raise AnswerRefusedError(
            f"answer {name} was made with another key (signing key {public_key_id(answer.public)}) than the "
            f"attestation pack {pack.path.name} (key {pack.key_id}, signing key {pack.signing_key_id})",
            hint="give the answer of the regulator who issued this attestation pack, or its matching pack",
        )
    if not signature_valid(answer.container, ANSWER_MAGIC, pack.signing_public):
        raise AnswerRefusedError(
            f"answer {name} failed its signature check: it was changed after the regulator signed it",
            hint=_NEW_ANSWER,
        )
    if answer.header.get("request_sha256") != state.header.get("request_sha256"):
        raise AnswerRefusedError(
            f"answer {name} answers another request than the one state {state.path.name} belongs to",
            hint="give the state written beside the request this answer answers (Q.vdreq.state)",
        )
    if answer.count != state.values.height:
        raise AnswerRefusedError(f"answer {name} holds {answer.count:,} points, the request asked {state.values.height:,}", hint=_NEW_ANSWER)
    if state.header.get("normalisation") != pack.header.get("normalisation"):
        raise AttestationError(
            f"the request was normalised as {state.header.get('normalisation')!s:.20}, the attestation pack "
            f"as {pack.header.get('normalisation')!s:.20}: values written alike would not agree",
            hint="make the request with the verifydel version the regulator used",
        )


def _outputs(state: State, answer: Answer, workers: int) -> dict[str, pl.DataFrame]:
    """Per anchor field: (value, _y) for every value asked."""
    values = state.values
    keys: list[str] = []
    for start in range(0, values.height, SLICE):  # bounded memory: a slice of points at a time
        part = values.slice(start, SLICE)
        points = answer.points(start, start + SLICE)
        try:  # every point is checked by the unblinding itself: an invalid one stops it
            outputs = oprf.finalize_all(part["input"].to_list(), part["blind_inverse"].to_list(), points, workers)
        except oprf.OprfError:
            bad = sum(1 for p in answer.points() if not oprf.is_valid_element(p))
            raise AnswerRefusedError(
                f"answer {answer.path.name} holds {bad:,} invalid point(s)", hint=_NEW_ANSWER
            ) from None
        keys.extend(y_key(o) for o in outputs)
    keyed = values.select("field", "value").with_columns(pl.Series(Y, keys, dtype=pl.String))
    return {a: keyed.filter(pl.col("field") == a).select("value", Y) for a in ANCHORS}


def _matches(state: State, outputs: dict[str, pl.DataFrame], pack: AttestationPack) -> pl.DataFrame:
    rows = state.rows.with_row_index(ROW)
    found = match_attested(attested_fingerprints(rows, outputs), pack.contents())
    if not found.height:
        return pl.DataFrame(schema=MATCH_SCHEMA)
    located = [c for c in (SOURCE, "row", *OPTIONAL_MATCH_SCHEMA) if c in rows.columns]
    found = found.join(rows.select(ROW, *located), on=ROW, how="left").drop(ROW)
    order = {s["path"]: i for i, s in enumerate(state.header["sources"])}
    optional = [c for c in OPTIONAL_MATCH_SCHEMA if c in found.columns]
    cols = list(MATCH_SCHEMA) + optional
    return (
        found.select(cols)
        .with_columns(pl.col("source").replace_strict(order, return_dtype=pl.UInt32).alias("_order"))
        .sort(["_order", "row", *[c for c in ("offset", "page") if c in optional], "record_id"], nulls_last=True)
        .drop("_order")
    )


def finish(answer_path: Path, state_path: Path, pack_path: Path, *, workers: int | None = None) -> Finished:
    """Check the answer, unblind, match, and make the report (its ``run`` left to the caller)."""
    workers = workers or os.cpu_count() or 1
    pack = read_attestation_pack(pack_path)
    state = read_state(state_path)
    answer = read_answer(answer_path)
    check_answer(answer, state, pack)
    matches = _matches(state, _outputs(state, answer, workers), pack)
    summary = PackSummary(
        sha256=pack.sha256,
        records=int(pack.header["records"]),
        normalisation=str(pack.header.get("normalisation", "")),
        format=ATTEST_FORMAT,
        key_id=pack.key_id,
        tier=TIER_ATTESTATION,
    )
    report = Report(
        tool_version=__version__,
        pack=summary,
        started_at=str(state.header.get("started_at", "")),
        finished_at=datetime.now(UTC).isoformat(timespec="seconds"),
        sources=state.sources,
        matches=matches,
        normalisation=str(state.header.get("normalisation", "")),
    )
    return Finished(report=report, pack=pack, answer=answer, state=state)


__all__ = ["Finished", "check_answer", "finish"]
