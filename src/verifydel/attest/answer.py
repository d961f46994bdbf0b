"""`verifydel attest answer`: the regulator evaluates a broker's blinded points, counts and logs them.

A request larger than ``--max`` or with a point repeated (an honest request never
repeats one: values are deduplicated and each blind is fresh) is refused before anything
is evaluated; one with a point that is not a canonical ristretto255 element or is the
identity is refused by the evaluation itself (libsodium's scalar multiplication rejects
both), before anything is written. A refused request is answered and logged not at all. The answer is signed with the regulator's attestation signing
key and bound to the request by its SHA-256. One line per answer is appended to the
ledger (JSON Lines): when, for which case, which request, how many points; the
regulator can show how many questions each broker asked.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import numpy as np

from verifydel import __version__
from verifydel.attest.files import Request, read_request, write_answer
from verifydel.errors import OutputError, RequestRefusedError
from verifydel.fingerprint import oprf
from verifydel.fingerprint.attest_file import refuse_existing_output
from verifydel.fingerprint.attest_keys import AttestKey

LEDGER_SUFFIX: Final = ".ledger"
_ASK_AGAIN: Final = "a request verifydel writes never does this; ask the broker to make a new one with `verifydel attest request`"


def default_ledger(key_path: Path) -> Path:
    """The ledger beside the key file: ``regulator.key`` → ``regulator.key.ledger``."""
    return key_path.with_name(key_path.name + LEDGER_SUFFIX)


@dataclass
class AnswerResult:
    path: Path
    sha256: str
    request: Request
    points: int
    case: str | None
    ledger: Path
    case_points: int  # every point answered for this case so far, this answer included
    case_answers: int


def _invalid(points: Sequence[bytes], workers: int) -> int:
    """How many points are not canonical, non-identity ristretto255 elements."""
    chunks = [points[i : i + oprf.CHUNK] for i in range(0, len(points), oprf.CHUNK)]
    if not chunks:
        return 0

    def bad(chunk: Sequence[bytes]) -> int:
        return sum(1 for p in chunk if not oprf.is_valid_element(p))

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return sum(pool.map(bad, chunks))


def _repeated(body: bytes, count: int) -> int:
    """How many points repeat an earlier one."""
    if count < 2:
        return 0
    as_rows = np.frombuffer(body, dtype=np.dtype((np.void, oprf.ELEMENT_BYTES)), count=count)
    return count - len(np.unique(as_rows))


def check_request(request: Request, *, max_points: int | None) -> None:
    """Raise RequestRefusedError for a request over ``max_points`` or with a repeated point
    (invalid points are found by the evaluation itself, before anything is written)."""
    name = request.path.name
    if max_points is not None and request.count > max_points:
        raise RequestRefusedError(
            f"request {name} asks {request.count:,} questions, more than --max {max_points:,}: refused, nothing logged",
            hint="answer it only if the broker's declared size justifies it (raise --max), or ask the broker why",
        )
    repeated = _repeated(request.body, request.count)
    if repeated:
        raise RequestRefusedError(f"request {name} repeats {repeated:,} point(s): refused", hint=_ASK_AGAIN)


def _refuse_invalid(request: Request, workers: int) -> None:
    invalid = _invalid(request.points(), workers)
    raise RequestRefusedError(
        f"request {request.path.name} holds {invalid:,} point(s) that are not valid group elements "
        "(not canonical ristretto255 encodings, or the identity): refused",
        hint=_ASK_AGAIN,
    )


def ledger_entries(ledger: Path) -> list[dict[str, Any]]:
    """The ledger's lines (a damaged line is skipped, never fatal)."""
    try:
        text = ledger.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    entries = []
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict):
            entries.append(entry)
    return entries


def _append(ledger: Path, entry: dict[str, Any]) -> None:
    line = json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n"
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(ledger, flags, 0o600)
        try:
            os.write(fd, line.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise OutputError(
            f"cannot append to the ledger {ledger}: {(exc.strerror or type(exc).__name__).lower()}",
            hint="give a ledger file you may write with --ledger; no answer was left without its ledger line",
        ) from None


def answer_request(
    request_path: Path,
    key: AttestKey,
    out: Path,
    *,
    ledger: Path,
    max_points: int | None = None,
    case: str | None = None,
    workers: int | None = None,
    overwrite: bool = False,
) -> AnswerResult:
    """Check, evaluate, sign, write ``out``, then log the answer in ``ledger``.

    The answer exists only with its ledger line: if the line cannot be written, the
    answer file is removed again and OutputError raised."""
    out = Path(out)
    if not overwrite:
        refuse_existing_output(out)
    workers = workers or os.cpu_count() or 1
    request = read_request(request_path)
    check_request(request, max_points=max_points)
    declared = request.header.get("case")
    case = case if case is not None else (declared if isinstance(declared, str) else None)
    try:  # every point is checked by its evaluation: an invalid one stops it, nothing is written
        evaluated = oprf.evaluate_all(key.oprf_secret, request.points(), workers)
    except oprf.OprfError:
        _refuse_invalid(request, workers)
    sha = write_answer(out, evaluated, request, key, case=case, overwrite=overwrite)
    entry = {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "case": case,
        "declared_case": declared if isinstance(declared, str) else None,
        "operator": request.header.get("operator") if isinstance(request.header.get("operator"), str) else None,
        "request_file": request.path.name,
        "request_sha256": request.sha256,
        "points": request.count,
        "max": max_points,
        "answer_file": out.name,
        "answer_sha256": sha,
        "key_id": key.key_id,
        "tool": f"verifydel {__version__}",
    }
    try:
        _append(ledger, entry)
    except BaseException:
        out.unlink(missing_ok=True)
        raise
    same = [e for e in ledger_entries(ledger) if e.get("case") == case]
    points = sum(e["points"] for e in same if isinstance(e.get("points"), int))
    return AnswerResult(
        path=out, sha256=sha, request=request, points=request.count, case=case, ledger=ledger,
        case_points=points, case_answers=len(same),
    )  # fmt: skip


__all__ = ["AnswerResult", "answer_request", "check_request", "default_ledger", "ledger_entries"]
