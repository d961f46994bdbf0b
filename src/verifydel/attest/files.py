"""The request, the answer and the broker's state: layouts in ``fingerprint.attest_file``.

- request (``Q.vdreq``, broker → regulator): header (format, suite, count, who asks, the
  manifest of the media read) and ``count`` blinded elements of 32 bytes, in a random
  order. No value, no row, no anchor: only points a fresh random blind hides.
- answer (``A.vdans``, regulator → broker): header (the request's SHA-256, count, the
  regulator's key id and signing public key) and ``count`` evaluated elements, in the
  request's order; signed with the regulator's attestation signing key.
- state (``Q.vdreq.state``, mode 0600, the broker's own): what lets ``finish`` unblind and
  map the outputs back to rows: per point its field, OPRF input and blind inverse; per
  row that has a phone or an address, where it is and its normalised values; the
  coverage of every source read. It holds the broker's own data and blinds: it never
  leaves the broker, and is refused when others may read it.
"""

from __future__ import annotations

import dataclasses
import io
import os
import stat
import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import polars as pl
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from verifydel import __version__
from verifydel.core.coverage import STATUSES, Medium, SourceResult
from verifydel.errors import AttestationError
from verifydel.fingerprint import oprf
from verifydel.fingerprint.attest_file import (
    Container,
    public_key_from_header,
    read_container,
    write_container,
)
from verifydel.fingerprint.attest_keys import AttestKey, public_key_id, public_key_text

REQUEST_MAGIC: Final = b"\x89VDAREQ\n"
ANSWER_MAGIC: Final = b"\x89VDAANS\n"
STATE_MAGIC: Final = b"\x89VDASTA\n"
REQUEST_FORMAT: Final = "verifydel-attest-request/1"
ANSWER_FORMAT: Final = "verifydel-attest-answer/1"
STATE_FORMAT: Final = "verifydel-attest-state/1"
STATE_SUFFIX: Final = ".state"
_ELEMENT: Final = oprf.ELEMENT_BYTES
_LEN = struct.Struct("<Q")


def state_path_for(request: Path) -> Path:
    """``Q.vdreq`` → ``Q.vdreq.state``."""
    return request.with_name(request.name + STATE_SUFFIX)


def _points(body: bytes, start: int = 0, stop: int | None = None) -> list[bytes]:
    """Points ``start`` .. ``stop`` (indexes, not bytes) of a body of 32-byte elements."""
    end = len(body) if stop is None else min(len(body), stop * _ELEMENT)
    return [body[i : i + _ELEMENT] for i in range(start * _ELEMENT, end, _ELEMENT)]


def _count(header: dict[str, Any], body: bytes, damaged: AttestationError) -> int:
    count = header.get("count")
    if not isinstance(count, int) or isinstance(count, bool) or count < 0 or count * _ELEMENT != len(body):
        raise damaged
    return count


# --- request ---------------------------------------------------------------------------------
@dataclass
class Request:
    path: Path
    header: dict[str, Any]
    body: bytes
    sha256: str

    @property
    def count(self) -> int:
        return int(self.header["count"])

    def points(self) -> list[bytes]:
        return _points(self.body)


def write_request(path: Path, blinded: list[bytes], header: dict[str, Any], *, overwrite: bool = False) -> str:
    """``blinded``: the points, each 32 bytes, or runs of them joined."""
    size = sum(len(b) for b in blinded)
    if size % _ELEMENT:
        raise ValueError("blinded points are 32 bytes each")
    header = {
        "format": REQUEST_FORMAT,
        "suite": oprf.SUITE,
        "oprf_mode": oprf.MODE_OPRF,
        "count": size // _ELEMENT,
        "tool": f"verifydel {__version__}",
        **header,
    }
    return write_container(path, REQUEST_MAGIC, header, blinded, overwrite=overwrite)


_REQUEST_HINT = "give the .vdreq file `verifydel attest request` wrote"


def read_request(path: Path) -> Request:
    c = read_container(path, REQUEST_MAGIC, "verifydel attestation request", AttestationError, signed=False, hint=_REQUEST_HINT)
    damaged = AttestationError(f"{path} is a damaged attestation request", hint="ask the broker for a new one")
    h = c.header
    if h.get("format") != REQUEST_FORMAT:
        raise AttestationError(f"{path} is an attestation request of another format", hint="use the broker's verifydel version")
    if h.get("suite") != oprf.SUITE or h.get("oprf_mode") != oprf.MODE_OPRF:
        raise damaged
    _count(h, c.body, damaged)
    return Request(path=Path(path), header=h, body=c.body, sha256=c.sha256)


# --- answer ----------------------------------------------------------------------------------
@dataclass
class Answer:
    path: Path
    header: dict[str, Any]
    container: Container
    public: Ed25519PublicKey

    @property
    def count(self) -> int:
        return int(self.header["count"])

    @property
    def sha256(self) -> str:
        return self.container.sha256

    def points(self, start: int = 0, stop: int | None = None) -> list[bytes]:
        return _points(self.container.body, start, stop)


def write_answer(
    path: Path, evaluated: list[bytes], request: Request, key: AttestKey, *, case: str | None, overwrite: bool = False
) -> str:
    header = {
        "format": ANSWER_FORMAT,
        "suite": oprf.SUITE,
        "oprf_mode": oprf.MODE_OPRF,
        "count": len(evaluated),
        "request_sha256": request.sha256,
        "key_id": key.key_id,
        "signing_public_key": public_key_text(key.public),
        "signing_key_id": public_key_id(key.public),
        "case": case,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "tool": f"verifydel {__version__}",
    }
    return write_container(path, ANSWER_MAGIC, header, [b"".join(evaluated)], sign=key, overwrite=overwrite)


def read_answer(path: Path) -> Answer:
    """The answer's layout checked; its signature is checked by ``finish`` against the key
    of the attestation pack, not against the key it names itself."""
    c = read_container(
        path, ANSWER_MAGIC, "verifydel attestation answer", AttestationError, signed=True,
        hint="give the .vdans file the regulator's `verifydel attest answer` wrote",
    )  # fmt: skip
    damaged = AttestationError(f"{path} is a damaged attestation answer", hint="ask the regulator for it again")
    h = c.header
    if h.get("format") != ANSWER_FORMAT:
        raise AttestationError(f"{path} is an attestation answer of another format", hint="use the regulator's verifydel version")
    if h.get("suite") != oprf.SUITE or h.get("oprf_mode") != oprf.MODE_OPRF or not isinstance(h.get("request_sha256"), str):
        raise damaged
    _count(h, c.body, damaged)
    public = public_key_from_header(h, "signing_public_key", damaged)
    return Answer(path=Path(path), header=h, container=c, public=public)


# --- state -----------------------------------------------------------------------------------
@dataclass
class State:
    path: Path
    header: dict[str, Any]
    #: Per point, in the request's order: ``field`` (String), ``value`` (String, normalised),
    #: ``input`` (Binary, the OPRF input), ``blind_inverse`` (Binary, 32 bytes).
    values: pl.DataFrame
    #: Per row with a phone or an address: ``source``, ``row`` and the location columns,
    #: then every field normalised (phone and email as lists).
    rows: pl.DataFrame

    @property
    def sources(self) -> list[SourceResult]:
        return [source_from_json(s) for s in self.header["sources"]]


def source_to_json(source: SourceResult) -> dict[str, Any]:
    return dataclasses.asdict(source)


def source_from_json(d: dict[str, Any]) -> SourceResult:
    fields = {f.name for f in dataclasses.fields(SourceResult)}
    if not isinstance(d, dict) or d.get("status") not in STATUSES:
        raise AttestationError("the state's coverage is damaged", hint="make a new request")
    kept = {k: v for k, v in d.items() if k in fields}
    medium = kept.pop("medium", None)
    result = SourceResult(**kept)
    if isinstance(medium, dict):
        result.medium = Medium(path=medium.get("path", ""), bytes=medium.get("bytes"))
    return result


def _ipc(frame: pl.DataFrame) -> bytes:
    buf = io.BytesIO()
    frame.write_ipc(buf, compression="zstd")
    data = buf.getvalue()
    return _LEN.pack(len(data)) + data


def write_state(
    path: Path, header: dict[str, Any], values: pl.DataFrame, rows: pl.DataFrame, *, overwrite: bool = False
) -> str:
    """Write the state, readable and writable by its owner only (mode 0600 from the start)."""
    header = {"format": STATE_FORMAT, "tool": f"verifydel {__version__}", **header}
    return write_container(path, STATE_MAGIC, header, [_ipc(values), _ipc(rows)], mode=0o600, overwrite=overwrite)


def read_state(path: Path) -> State:
    path = Path(path)
    hint = "give the .vdreq.state file `verifydel attest request` wrote beside the request"
    c = read_container(path, STATE_MAGIC, "verifydel attestation state", AttestationError, signed=False, hint=hint)
    if os.name != "nt" and stat.S_IMODE(path.stat().st_mode) & 0o077:
        raise AttestationError(
            f"state file {path} can be read or written by other users: it holds your rows and the blinds",
            hint=f"make it private with `chmod 600 {path}`, then run again",
        )
    damaged = AttestationError(f"{path} is a damaged attestation state", hint="make a new request")
    if c.header.get("format") != STATE_FORMAT or not isinstance(c.header.get("sources"), list):
        raise damaged
    try:
        body = c.body
        (n,) = _LEN.unpack_from(body, 0)
        values = pl.read_ipc(io.BytesIO(body[8 : 8 + n]))
        (m,) = _LEN.unpack_from(body, 8 + n)
        rows = pl.read_ipc(io.BytesIO(body[16 + n : 16 + n + m]))
    except (struct.error, pl.exceptions.PolarsError, OSError, ValueError):
        raise damaged from None
    if values.height != c.header.get("count"):
        raise damaged
    return State(path=path, header=c.header, values=values, rows=rows)


__all__ = [
    "ANSWER_FORMAT",
    "REQUEST_FORMAT",
    "STATE_FORMAT",
    "Answer",
    "Request",
    "State",
    "read_answer",
    "read_request",
    "read_state",
    "source_from_json",
    "source_to_json",
    "state_path_for",
    "write_answer",
    "write_request",
    "write_state",
]
