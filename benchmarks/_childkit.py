"""What every benchmark child shares: how it reports itself to run.py, and the CP932 transcode.

Peak RSS is the child's own ``VmHWM`` from /proc/self/status at exit, not
``ru_maxrss``: Linux carries ru_maxrss over from the forking parent across exec,
so a small child of a big harness would report the harness's peak.
"""

from __future__ import annotations

import atexit
import codecs
import json
import re
import sys
from pathlib import Path
from typing import Any

PEAK_MARK = "BENCH_PEAK_RSS_KIB"
RESULT_MARK = "BENCH_RESULT"


def _status_kib(key: str) -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            found = re.search(rf"^{key}:\s+(\d+)", f.read(), re.MULTILINE)
    except OSError:
        return 0
    return int(found.group(1)) if found else 0


def rss_kib() -> int:
    """Current resident set size of this process (KiB)."""
    return _status_kib("VmRSS")


def peak_rss_kib() -> int:
    """Peak resident set size of this process so far (KiB)."""
    return _status_kib("VmHWM")


def report_peak_at_exit() -> None:
    """Print this process's peak RSS on stderr when it exits (sys.exit included)."""
    atexit.register(lambda: print(PEAK_MARK, peak_rss_kib(), file=sys.stderr, flush=True))


def report_result(result: dict[str, Any]) -> None:
    """Hand a JSON-able result to the harness (one stderr line)."""
    print(RESULT_MARK, json.dumps(result), file=sys.stderr, flush=True)


def parse_child_stderr(stderr: str) -> tuple[int, dict[str, Any]]:
    """(peak RSS KiB, merged results) from a child's stderr."""
    peak, result = 0, {}
    for line in stderr.splitlines():
        if line.startswith(PEAK_MARK):
            peak = int(line.split()[1])
        elif line.startswith(RESULT_MARK):
            result.update(json.loads(line[len(RESULT_MARK):]))
    return peak, result


def transcode_to_utf8(source: Path, target: Path, encoding: str = "cp932", block: int = 1 << 22) -> None:
    """The plain way to make a CP932 file readable by polars or DuckDB: Python's codec, 4 MiB at a time."""
    decoder = codecs.getincrementaldecoder(encoding)()
    with open(source, "rb") as src, open(target, "wb") as dst:
        while data := src.read(block):
            dst.write(decoder.decode(data).encode("utf-8"))
        dst.write(decoder.decode(b"", final=True).encode("utf-8"))
