"""Reading a JSON report back (``verify``, ``diff``): any report this tool ever wrote.

Reports written before the evidence keys existed (no ``run``, ``media``, ``sha256``,
``notes``, ``verdict``) load too: every reader here treats a missing key as "not
recorded", never as an error, and says so where it matters.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Final

from verifydel.errors import InvalidReportError
from verifydel.fingerprint.keys import open_regular_file

FORMAT_PREFIX: Final = "verifydel-report/"
#: The largest report read back (a report of tens of millions of matches is a few GB).
MAX_REPORT_BYTES: Final = 16 << 30


def read_bytes(path: Path, what: str = "report", limit: int = MAX_REPORT_BYTES) -> bytes:
    """The whole file: a regular file (never a FIFO or device) of at most ``limit`` bytes."""
    fd = open_regular_file(Path(path), InvalidReportError, what)
    try:
        size = os.fstat(fd).st_size
        if size > limit:
            raise InvalidReportError(f"{what} {path} is {size:,} bytes, more than any report verifydel writes")
        with os.fdopen(os.dup(fd), "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise InvalidReportError(f"cannot read {what} {path}: {(exc.strerror or '').lower()}") from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise InvalidReportError(f"{what} {path} grew while it was read")
    return data


def parse_report(data: bytes, path: Path) -> dict[str, Any]:
    """The JSON report in ``data``; InvalidReportError when it is not one."""
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise InvalidReportError(
            f"{path} is not a JSON report", hint="give the file `scan --json` wrote (not the HTML, CSV or SARIF)"
        ) from None
    if not isinstance(document, dict) or not str(document.get("format", "")).startswith(FORMAT_PREFIX):
        raise InvalidReportError(f"{path} is not a verifydel report (no verifydel-report format)", hint="give the file `scan --json` wrote")
    for key, kind in (("sources", list), ("matches", list), ("summary", dict), ("pack", dict)):
        if not isinstance(document.get(key), kind):
            raise InvalidReportError(f"{path}: the report's {key!r} is missing or malformed")
    return document


def load_report(path: Path) -> tuple[bytes, dict[str, Any]]:
    data = read_bytes(path)
    return data, parse_report(data, path)


__all__ = ["FORMAT_PREFIX", "load_report", "parse_report", "read_bytes"]
