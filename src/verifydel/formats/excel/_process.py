"""The scanner's side of the Excel worker (``_worker``): start it, read its frames, map its end.

Whatever happens to the worker ends as an error of this one workbook (or sheet),
never of the scanner: a native abort for lack of memory is ``limit memory``, any
other signal or a panic a FormatError saying the reader crashed, a worker that
outlives the source's time budget is killed (``limit time``). The worker's stderr
(a Rust backtrace may quote a cell) is never shown; only whether it ran out of
memory is read from it.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

from verifydel.core.limits import Budget, LimitExceeded, human_size
from verifydel.errors import FormatError

WORKER: Final = Path(__file__).with_name("_worker.py")
#: A frame longer than this is not from an honest worker (a batch is at most 2 million cells).
MAX_FRAME_BYTES: Final = 1 << 30
#: Exit code of a worker that caught a MemoryError (``_worker.main``).
_OUT_OF_MEMORY_EXIT: Final = 3
_STDERR_TAIL: Final = 4096


def workbook_error(kind: str, reason: str) -> FormatError:
    """The error for what the worker said (``password``, ``corrupt``, ``panic``)."""
    if reason == "password":
        return FormatError(
            f"the {kind} workbook is password-protected",
            hint="ask for the password or an unprotected copy",
        )
    if reason == "panic":
        return crashed(kind, "it stopped on an internal error")
    return FormatError(
        f"not a readable {kind} workbook (corrupt, truncated or another kind of file)",
        hint="open it in Excel to check it, or export the sheets as CSV",
    )


def crashed(kind: str, how: str) -> FormatError:
    return FormatError(
        f"the {kind} reader crashed on this workbook ({how}); the workbook is damaged or forged",
        hint="open it in Excel to check it, or export the sheets as CSV",
    )


class Worker:
    """One run of the worker: a request in, frames out."""

    def __init__(self, kind: str, budget: Budget, request: dict[str, Any]) -> None:
        self.kind = kind
        self.budget = budget
        self.memory = budget.limits.max_reader_memory
        self._closed = False
        self._stderr = tempfile.TemporaryFile()
        env = {**os.environ, "RUST_BACKTRACE": "0", "PYTHONDONTWRITEBYTECODE": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-P", str(WORKER), str(self.memory)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=env,
            close_fds=True,
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self._out = self.proc.stdout
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._out, selectors.EVENT_READ)
        try:
            self.proc.stdin.write(json.dumps(request).encode("utf-8") + b"\n")
            self.proc.stdin.close()
        except OSError:
            pass  # the worker died at once: reported when its first frame is missing

    def frames(self) -> Iterator[dict[str, Any]]:
        """The worker's frames until it is done; raises what its end means."""
        try:
            while True:
                head = self._read(4)
                if head is None:
                    raise self._died()
                size = int.from_bytes(head, "big")
                if size > MAX_FRAME_BYTES:
                    raise crashed(self.kind, "it sent a malformed answer")
                body = self._read(size)
                if body is None:
                    raise self._died()
                doc = json.loads(body)
                if not isinstance(doc, dict):
                    raise crashed(self.kind, "it sent a malformed answer")
                if "error" in doc:
                    raise workbook_error(self.kind, str(doc["error"]))
                yield doc
                if "done" in doc or "sheets" in doc:
                    return
        finally:
            self.close()

    def _read(self, n: int) -> bytes | None:
        """``n`` bytes from the worker, None at its end; the source's time limit applies."""
        parts: list[bytes] = []
        while n:
            left = self.budget.seconds_left()
            if left <= 0 or not self._selector.select(timeout=left):
                self.close()
                raise LimitExceeded(
                    "time", f"reading this source took longer than {self.budget.limits.max_seconds:g} seconds"
                )
            chunk = os.read(self._out.fileno(), min(n, 1 << 20))
            if not chunk:
                return None
            parts.append(chunk)
            n -= len(chunk)
        return b"".join(parts)

    def _died(self) -> Exception:
        try:
            code = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # closed its output but lives on
            self.proc.kill()
            code = self.proc.wait()
        self._stderr.seek(max(0, self._stderr.seek(0, 2) - _STDERR_TAIL))
        tail = self._stderr.read()
        if code == _OUT_OF_MEMORY_EXIT or b"memory allocation of" in tail or b"MemoryError" in tail:
            return LimitExceeded(
                "memory",
                f"the {self.kind} reader needed more than {human_size(self.memory)} of memory "
                "for this workbook (a forged sheet spanning a huge empty range?)",
            )
        if code < 0:
            try:
                how = f"signal {signal.Signals(-code).name}"
            except ValueError:
                how = f"signal {-code}"
            return crashed(self.kind, how)
        return crashed(self.kind, f"it exited with code {code}")

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self._selector.close()
        self._out.close()
        self._stderr.close()


def run(kind: str, budget: Budget, request: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The frames of one request to a new worker, started on the first ``next`` (and
    killed when the iterator is closed or dropped before the end)."""
    yield from Worker(kind, budget, request).frames()
