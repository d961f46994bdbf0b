"""Who ran what, where and how: the report's ``run`` (RunInfo), with every secret left out.

The command line is recorded as typed, except that the value of a secret option
(``--password``) becomes "***" and a database URI loses its password and query
(``postgresql://user:***@host/db``). Options are recorded with the values used,
defaults included; a secret only as "given" or null. Paths are kept: they say what was
scanned. Values (cells) never reach a command line, so none can appear here.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from verifydel.report.model import RunInfo
from verifydel.sources.databases import redact_uri, scheme_of

#: Options whose values are secrets: never recorded, only whether they were given.
SECRET_OPTIONS: Final = frozenset({"password"})
_SECRET_FLAGS: Final = ("--password",)


def _redact_argument(argument: str) -> str:
    if "://" in argument and scheme_of(argument) is not None:
        return redact_uri(argument)
    return argument


def redacted_command(argv: Sequence[str]) -> list[str]:
    """``argv`` with secret option values replaced by "***" and URIs without credentials."""
    out: list[str] = []
    hide_next = False
    for argument in argv:
        if hide_next:
            out.append("***")
            hide_next = False
            continue
        flag, equals, _ = argument.partition("=")
        if flag in _SECRET_FLAGS:
            if equals:
                out.append(f"{flag}=***")
            else:
                out.append(argument)
                hide_next = True
            continue
        out.append(_redact_argument(argument))
    return out


def _plain(value: Any) -> Any:
    """An option value as JSON holds it (paths as text, tuples as lists)."""
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def recorded_options(params: Mapping[str, Any]) -> dict[str, Any]:
    """Every option's value as used, sorted by name; a secret as "given" or null."""
    out: dict[str, Any] = {}
    for name in sorted(params):
        value = params[name]
        if name in SECRET_OPTIONS:
            out[name] = None if value in (None, "") else "given"
        elif name == "sources":
            out[name] = [_redact_argument(str(v)) for v in value]
        else:
            out[name] = _plain(value)
    return out


def local_zone() -> tuple[str, str]:
    """The inspector's time zone here: its name (e.g. JST) and UTC offset (+09:00)."""
    if hasattr(time, "tzset"):
        time.tzset()  # TZ as set now, not as it was when Python started
    now = datetime.now().astimezone()
    offset = now.strftime("%z")
    return (now.tzname() or time.tzname[0], f"{offset[:3]}:{offset[3:]}" if offset else "+00:00")


def run_info(
    argv: Sequence[str],
    params: Mapping[str, Any],
    *,
    operator: str | None,
    case: str | None,
    fail_on: str,
) -> RunInfo:
    zone, offset = local_zone()
    return RunInfo(
        command=["verifydel", *redacted_command(argv)],
        options=recorded_options(params),
        operator=operator,
        case=case,
        host=socket.gethostname(),
        time_zone=zone,
        utc_offset=offset,
        fail_on=fail_on,
    )


__all__ = ["SECRET_OPTIONS", "local_zone", "recorded_options", "redacted_command", "run_info"]
