"""``verifydel verify``: is this report what the scan wrote, and is it true to itself and the media?

Three checks, each failing with its reason (``InvalidReportError``):

1. **Signature**: ``REPORT.sig`` is an Ed25519 signature of the report's exact bytes by
   the key given (``--public-key``), or else by the key the report names (then the result
   says so: it proves the report was not changed, not who signed it).
2. **Consistency** (JSON reports): every count in ``summary`` equals what the sources and
   matches give; every match names a listed source; every status is known; verdict and
   exit code follow from the matches and the coverage; the signer named is the key that
   verified.
3. **Media** (``--media PATH...``): the files under PATH, labelled as a scan labels them,
   hashed again and compared with the manifest (``media``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from verifydel.core.coverage import FAILED, INTERRUPTED, PARTIAL, SCANNED, STATUSES
from verifydel.core.digest import DigestError, sha256_file
from verifydel.core.unit import Unit
from verifydel.errors import InvalidReportError
from verifydel.report.loaded import parse_report, read_bytes
from verifydel.report.signing import check_signature, key_id, public_key_from_text, signature_path
from verifydel.sources import expand


@dataclass
class Verified:
    """What ``verify`` established (every check passed, or it raised)."""

    signed_by: str | None = None  # key id
    signer_from_report: bool = False  # checked against the key the report names, not one given
    consistent: bool = False  # a JSON report whose counts were checked
    media_checked: int = 0
    notes: list[str] = field(default_factory=list)


def check_report_signature(data: bytes, path: Path, public: Ed25519PublicKey | None, document: dict[str, Any] | None) -> tuple[str, bool]:
    """(key id, named_by_report). Raises when the signature is missing or wrong."""
    sig_path = signature_path(path)
    if not sig_path.is_file():
        raise InvalidReportError(
            f"{path} is not signed (no {sig_path.name} beside it)",
            hint="give the signed report, or add --allow-unsigned to check only its consistency",
        )
    signature = read_bytes(sig_path, "signature")
    from_report = public is None
    if public is None:
        named = (document or {}).get("signer") if document else None
        if not isinstance(named, dict) or not isinstance(named.get("public_key"), str):
            raise InvalidReportError(
                f"{path} names no signer", hint="give the signer's public key with --public-key KEY.pub"
            )
        public = public_key_from_text(named["public_key"])
    check_signature(data, signature, public)
    return key_id(public), from_report


def _location(match: dict[str, Any]) -> tuple[Any, ...]:
    return (match.get("source"), match.get("row"), match.get("offset"), match.get("page"))


def _expected_summary(document: dict[str, Any]) -> dict[str, int]:
    sources, matches = document["sources"], document["matches"]
    best: dict[tuple[Any, ...], bool] = {}
    per_record: dict[Any, bool] = {}
    for m in matches:
        strong = m.get("strength") == "strong"
        key = _location(m)
        best[key] = best.get(key, False) or strong
        per_record[m.get("record_id")] = per_record.get(m.get("record_id"), False) or strong
    strong_rows = sum(best.values())
    strong_records = sum(per_record.values())
    statuses = [s.get("status") for s in sources]
    return {
        "rows_scanned": sum(int(s.get("rows") or 0) for s in sources),
        "matched_rows": len(best),
        "matched_records": len(per_record),
        "strong": strong_rows,
        "weak": len(best) - strong_rows,
        "sources_failed": statuses.count(FAILED),
        "sources_partial": statuses.count(PARTIAL),
        "sources_interrupted": statuses.count(INTERRUPTED),
        "strong_records": strong_records,
        "weak_records": len(per_record) - strong_records,
    }


def _expected_exit(document: dict[str, Any]) -> tuple[str, int]:
    matches = document["matches"]
    fail_on = (document.get("run") or {}).get("fail_on", "any")
    counted = sum(1 for m in matches if m.get("strength") == "strong") if fail_on == "strong" else len(matches)
    gaps = any(s.get("status") != SCANNED for s in document["sources"])
    if counted:
        return "found", 3
    return ("not_confirmed", 4) if gaps else ("clean", 0)


def check_consistency(document: dict[str, Any], path: Path) -> None:
    """Raise InvalidReportError at the first place the report contradicts itself (or is
    malformed: a value of the wrong type is a reason, never a crash)."""
    try:
        _check_consistency(document, path)
    except (TypeError, ValueError, AttributeError, KeyError):
        raise InvalidReportError(f"{path}: the report is malformed (a value has the wrong type)") from None


def _check_consistency(document: dict[str, Any], path: Path) -> None:
    sources = document["sources"]
    listed = set()
    for i, source in enumerate(sources):
        if not isinstance(source, dict) or not isinstance(source.get("path"), str):
            raise InvalidReportError(f"{path}: source #{i + 1} is malformed")
        if source.get("status") not in STATUSES:
            raise InvalidReportError(f"{path}: source {source['path']!r} has an unknown status {source.get('status')!r}")
        listed.add(source["path"])
    for i, match in enumerate(document["matches"]):
        if not isinstance(match, dict):
            raise InvalidReportError(f"{path}: match #{i + 1} is malformed")
        if match.get("source") not in listed:
            raise InvalidReportError(f"{path}: match #{i + 1} names a source the report does not list")
        if match.get("strength") not in ("strong", "weak"):
            raise InvalidReportError(f"{path}: match #{i + 1} has an unknown strength")
    expected = _expected_summary(document)
    for key, value in document["summary"].items():
        if key in expected and value != expected[key]:
            raise InvalidReportError(
                f"{path}: summary {key} is {value}, but the sources and matches give {expected[key]}"
            )
    if "verdict" in document or "exit_code" in document:
        verdict, code = _expected_exit(document)
        if document.get("verdict") != verdict or document.get("exit_code") != code:
            raise InvalidReportError(
                f"{path}: verdict {document.get('verdict')!r} (exit {document.get('exit_code')}) "
                f"does not follow from its matches and coverage ({verdict}, exit {code})"
            )
    # A medium is a listed source, or the file a listed entry was read from (``FILE!/...``):
    # every prefix before a "!/" of every source path, once (not media × sources comparisons).
    read_from = listed | {p[:i] for p in listed for i in _member_cuts(p)}
    for medium in document.get("media") or []:
        if medium.get("path") not in read_from:
            raise InvalidReportError(f"{path}: the manifest names {medium.get('path')!r}, which no source entry comes from")


def _member_cuts(path: str) -> list[int]:
    """Where ``path`` has a "!/" (an archive member's or a sheet's separator)."""
    cuts, at = [], path.find("!/")
    while at != -1:
        cuts.append(at)
        at = path.find("!/", at + 2)
    return cuts


def _files_under(paths: Iterable[str]) -> Iterable[Unit]:
    for given in paths:
        for item in expand(given):
            if isinstance(item, Unit) and item.path is not None:
                yield item
            else:
                raise InvalidReportError(f"cannot read {item.label}: {getattr(item, 'error', 'not a file')}")


def check_media(document: dict[str, Any], paths: Sequence[str]) -> tuple[int, list[str]]:
    """Hash every file under ``paths`` (labelled as a scan labels them) against the manifest.

    Returns (files checked, notes); raises at the first file that differs, is missing from
    the manifest, or a manifest entry under the paths given that is not there."""
    manifest = {m["path"]: m for m in document.get("media") or [] if isinstance(m, dict) and "path" in m}
    if not manifest:
        raise InvalidReportError("the report has no manifest of media (written before verifydel recorded one)")
    seen: set[str] = set()
    for unit in _files_under(paths):
        entry = manifest.get(unit.label)
        if entry is None:
            raise InvalidReportError(f"{unit.label} is not in the report's manifest", hint="give the paths as the scan was given them")
        try:
            sha256, size = sha256_file(unit.path)  # type: ignore[arg-type]
        except DigestError as exc:
            raise InvalidReportError(f"{unit.label}: {exc}") from None
        if entry.get("sha256") != sha256 or (entry.get("bytes") is not None and entry["bytes"] != size):
            raise InvalidReportError(
                f"{unit.label} differs from the manifest: sha256 {sha256} ({size:,} bytes), "
                f"the report says {entry.get('sha256')} ({entry.get('bytes')} bytes)"
            )
        seen.add(unit.label)
    roots = [p.rstrip("/") for p in paths]
    missing = [
        p for p in manifest if p not in seen and any(p == r or p.startswith(r + "/") for r in roots)
    ]
    if missing:
        raise InvalidReportError(f"{len(missing)} file(s) of the manifest are missing, e.g. {missing[0]}")
    return len(seen), []


def verify_report(
    path: Path,
    *,
    public: Ed25519PublicKey | None = None,
    media: Sequence[str] = (),
    allow_unsigned: bool = False,
) -> Verified:
    """Every check ``verify`` makes of ``path``; raises InvalidReportError with the reason."""
    data = read_bytes(Path(path))
    document: dict[str, Any] | None = None
    try:
        document = parse_report(data, path)
    except InvalidReportError:
        if path.suffix.lower() == ".json" and b'"format": "verifydel-diff/' not in data[:200]:
            raise
        # an HTML, CSV or SARIF report, or a diff: only its signature can be checked
    out = Verified()
    if allow_unsigned and not signature_path(path).is_file():
        out.notes.append("not signed: checked for consistency only; anyone could have written it")
    else:
        out.signed_by, out.signer_from_report = check_report_signature(data, path, public, document)
    if document is not None:
        named = document.get("signer")
        if out.signed_by and isinstance(named, dict) and named.get("key_id") not in (None, out.signed_by):
            raise InvalidReportError(f"{path} names signer {named.get('key_id')}, but key {out.signed_by} signed it")
        check_consistency(document, path)
        out.consistent = True
        if media:
            out.media_checked, _ = check_media(document, media)
    elif media:
        raise InvalidReportError("--media needs the JSON report (it holds the manifest)")
    return out


__all__ = ["Verified", "check_consistency", "check_media", "check_report_signature", "verify_report"]
