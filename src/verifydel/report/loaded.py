"""Reading a JSON report back (``verify``, ``diff``): any report this tool ever wrote.

Reports written before the evidence keys existed (no ``run``, ``media``, ``sha256``,
``notes``, ``verdict``) load too: every reader here treats a missing key as "not
recorded", never as an error, and says so where it matters.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

from verifydel.errors import InvalidReportError

FORMAT_PREFIX: Final = "verifydel-report/"


def read_bytes(path: Path, what: str = "report") -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise InvalidReportError(f"{what} {path} not found", hint="check the path") from None
    except IsADirectoryError:
        raise InvalidReportError(f"{what} {path} is a folder", hint="give the report file") from None
    except OSError as exc:
        raise InvalidReportError(f"cannot read {what} {path}: {(exc.strerror or '').lower()}") from None


def parse_report(data: bytes, path: Path) -> dict[str, Any]:
    """The JSON report in ``data``; InvalidReportError when it is not one."""
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
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
