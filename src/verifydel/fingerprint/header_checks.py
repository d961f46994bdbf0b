"""Checks of a pack header, which is read before anything is authenticated.

``verifydel info`` has no key and ``read_pack`` sizes its buffers before the first
segment is authenticated, so every header field is hostile until proven otherwise:
the JSON is bounded (size, nesting, number length, no NaN) and every field is
checked for type and bound before use. Messages name the field, never its value.
"""

from __future__ import annotations

import json
import string
from typing import Any

from verifydel.errors import TamperedPackError

MAX_HEADER_BYTES = 1 << 20
#: The largest segment a header may declare (the writer uses 4 MiB). Buffers are sized by
#: the smaller of the header's value and what the file can hold, never by the header alone.
MAX_SEGMENT_BYTES = 64 << 20
MAX_RECORDS = 1 << 32  # record numbers are u32

_HINT = "ask the regulator for a fresh copy"
_TEXT_FIELDS = ("normalisation", "created_at", "tool", "hash", "kdf")
_TEXT_LIST_FIELDS = ("combinations", "fields")
_HEX_FIELDS = {"key_check": 8, "salt": 16, "nonce_prefix": 4}  # field: bytes
_REQUIRED = ("records", "normalisation", "combinations", "fields", "key_check", "inputs", "created_at", "tool")


def _damaged(name: str, problem: str) -> TamperedPackError:
    """A header field is wrong: named, its (unauthenticated, maybe hostile) value never shown."""
    return TamperedPackError(f"the pack header is damaged: field {name!r} {problem}", hint=_HINT)


def shown(value: object) -> str:
    """A header value for a message: escaped (repr) and short."""
    return repr(value[:40]) if isinstance(value, str) else f"<{type(value).__name__}>"


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number")


def _parse_int(text: str) -> int:
    if len(text) > 20:  # a u64 has 20 digits; longer is a forgery (and slow to convert)
        raise ValueError("number too long")
    return int(text)


def parse_header_json(raw: bytes) -> dict[str, Any]:
    if len(raw) > MAX_HEADER_BYTES:
        raise TamperedPackError("the pack header is too large", hint=_HINT)
    try:
        d = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant, parse_int=_parse_int)
    except RecursionError:
        raise TamperedPackError("the pack header is damaged (JSON nested too deeply)", hint=_HINT) from None
    except (UnicodeDecodeError, ValueError):  # JSONDecodeError is a ValueError
        raise TamperedPackError("the pack header is damaged (not valid JSON)", hint=_HINT) from None
    if not isinstance(d, dict):
        raise TamperedPackError("the pack header is damaged (not a JSON object)", hint=_HINT)
    return d


def _is_text(value: object) -> bool:
    """A str a UTF-8 writer could have written (no lone surrogate from a ``\\ud800`` escape)."""
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _is_count(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def check_header_fields(d: dict[str, Any], file_size: int | None) -> None:
    for name in _REQUIRED:
        if name not in d:
            raise TamperedPackError(f"the pack header is incomplete: field {name!r} is missing", hint=_HINT)
    records_max = MAX_RECORDS if file_size is None else min(MAX_RECORDS, file_size)
    if not _is_count(d["records"], 0, records_max):
        raise _damaged("records", f"is not a whole number between 0 and {records_max:,}")
    if not _is_count(d.get("segment_bytes", 1), 1, MAX_SEGMENT_BYTES):
        raise _damaged("segment_bytes", f"is not a whole number between 1 and {MAX_SEGMENT_BYTES:,}")
    for name in _TEXT_FIELDS:
        if name in d and not _is_text(d[name]):
            raise _damaged(name, "is not text")
    for name in _TEXT_LIST_FIELDS:
        if not isinstance(d[name], list) or not all(_is_text(v) for v in d[name]):
            raise _damaged(name, "is not a list of text")
    for name, size in _HEX_FIELDS.items():
        value = d.get(name, "")
        if not _is_text(value) or len(value) != 2 * size or not all(c in string.hexdigits for c in value):
            raise _damaged(name, f"is not {size} bytes in hexadecimal")
    inputs = d["inputs"]
    if not isinstance(inputs, list) or not all(_is_input(item) for item in inputs):
        raise _damaged("inputs", "is not a list of {name[, sha256, bytes]} entries")
    gazetteer = d.get("gazetteer", {})
    if not isinstance(gazetteer, dict) or not all(_is_text(k) and _is_text(v) for k, v in gazetteer.items()):
        raise _damaged("gazetteer", "is not an object of text values")


def _is_input(item: object) -> bool:
    return (
        isinstance(item, dict)
        and _is_text(item.get("name"))
        and ("sha256" not in item or _is_text(item["sha256"]))  # a live table has no file hash
        and ("bytes" not in item or _is_count(item["bytes"], 0, 1 << 63))
    )
