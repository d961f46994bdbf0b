"""Ctrl-C stops a command whatever it is reading, and leaves no temporary file behind.

Python runs its signal handlers in the main thread only, and only once that
thread gets back to the interpreter. The kernel may deliver a signal sent to the
process to any of its threads (polars and the reader start many): the main
thread, blocked in a read that never ends (a pipe nobody writes to, /proc/kmsg),
then never notices it, and Ctrl-C did nothing. ``interruptible`` fixes that for
the span of a command, whatever the SIGINT/SIGTERM handlers are (Python's
KeyboardInterrupt, or the CLI's own):

- Every SIGINT or SIGTERM Python handles, whichever thread receives it, wakes a
  watcher thread (``signal.set_wakeup_fd`` is written by the C-level handler on
  any thread). The watcher then sends ``KICK`` (a signal with a handler that does
  nothing) to the main thread itself: its blocking read fails with EINTR, the
  interpreter runs the pending handlers, and the command stops as its SIGINT or
  SIGTERM handler says (unwinding removes the temporary files).
- If the process is still alive ``GRACE_SECONDS`` after the signal (a read
  blocked on another thread keeps the interpreter from exiting), the watcher
  removes every temporary file still registered and ends the process with
  ``INTERRUPTED_EXIT`` (4: the scan did not finish, deletion is not confirmed).

For the CLI's commands only: once a signal arrived, the process ends.

``interruptible(stop)`` (``scan``) stops gently instead: the first SIGINT or SIGTERM only
sets ``stop`` (the watcher sets it the moment the signal arrives, whatever thread took it,
and says so on stderr); the scan ends the batch in hand, lists what it did not read as
``interrupted`` and writes its report. A second signal, or the block not left within
``STOP_GRACE_SECONDS`` (a read stuck in a C call), ends the process as above: temporary
files removed, exit 4, no report.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any, Final

from verifydel.core.stop import StopRequest
from verifydel.core.tempfiles import remove_all
from verifydel.exitcodes import ExitCode

#: Seconds an interrupted command has to end on its own before it is ended.
GRACE_SECONDS: Final = 5.0
#: Seconds a scan asked to stop has to finish its batch and write its report before it is ended.
STOP_GRACE_SECONDS: Final = 20.0
#: The exit code of a command ended by the watcher: the scan did not finish.
INTERRUPTED_EXIT: Final = int(ExitCode.INCOMPLETE)
#: Sent to the main thread to break a blocking system call; ignored by default, so a stray one is harmless.
KICK: Final = signal.SIGURG
_STOPPING: Final = frozenset({signal.SIGINT, signal.SIGTERM})
_KICK_SECONDS: Final = 0.2
_QUIT: Final = b"\0"  # written by ``interruptible`` on its way out: the watcher ends


def _nothing(signum: int, frame: object) -> None:
    """KICK's handler: being caught (not ignored) is what makes a blocking call return EINTR."""


def _end(message: str) -> None:
    """End the process now: no temporary file left, exit 4 (the scan did not finish)."""
    remove_all(closing=True)
    with contextlib.suppress(OSError):
        os.write(2, message.encode())
    os._exit(INTERRUPTED_EXIT)


class _Watcher:
    def __init__(self, wake: socket.socket, stop: StopRequest | None, grace: float) -> None:
        self.wake = wake
        self.stop = stop
        self.grace = grace
        self.done = threading.Event()  # the command's block was left
        self.signalled = threading.Event()
        self.main_id = threading.main_thread().ident
        self.thread = threading.Thread(target=self.run, name="verifydel-interrupt", daemon=True)

    def _stopping(self, timeout: float | None) -> list[int] | None:
        """The stopping signals that arrived (empty: none within ``timeout``); None: quit."""
        self.wake.settimeout(timeout)
        try:
            data = self.wake.recv(256)
        except TimeoutError:
            return []
        except OSError:
            return None
        if not data or _QUIT in data:
            return None
        return [signum for signum in data if signum in _STOPPING]

    def run(self) -> None:
        while not (arrived := self._stopping(None)):
            if arrived is None:
                return
        self.signalled.set()
        if self.stop is not None:
            self._stop_gently(arrived)
        else:
            self._end_after_grace()

    def _stop_gently(self, arrived: list[int]) -> None:
        self.stop.request()  # type: ignore[union-attr]
        name = signal.Signals(arrived[0]).name
        with contextlib.suppress(OSError):
            os.write(
                2,
                f"\nverifydel: interrupted ({name}): stopping after the batch in hand and writing the report"
                " (what was not read is listed as interrupted); press Ctrl-C again to end at once, without a report\n".encode(),
            )
        deadline = time.monotonic() + self.grace
        count = len(arrived)
        while not self.done.is_set():
            if count > 1:
                _end("verifydel: interrupted again: ended at once, temporary files removed, no report written\n")
            left = deadline - time.monotonic()
            if left <= 0:
                _end(f"verifydel: interrupted, and the scan did not stop within {self.grace:g} s: ended, no report written\n")
            more = self._stopping(min(left, _KICK_SECONDS))
            if more is None:
                return
            count += len(more)

    def _end_after_grace(self) -> None:
        deadline = time.monotonic() + GRACE_SECONDS
        while not self.done.is_set() and time.monotonic() < deadline:
            assert self.main_id is not None
            signal.pthread_kill(self.main_id, KICK)  # EINTR: the main thread runs its handlers
            self.done.wait(_KICK_SECONDS)
        time.sleep(max(0.0, deadline - time.monotonic()))
        # Still alive: something blocks the way out. Leave nothing decrypted or decompressed behind.
        remove_all()
        with contextlib.suppress(Exception):
            sys.stderr.write("verifydel: interrupted, and a read did not stop: ended\n")
            sys.stderr.flush()
        os._exit(INTERRUPTED_EXIT)


@contextlib.contextmanager
def interruptible(stop: StopRequest | None = None, *, grace: float = STOP_GRACE_SECONDS) -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM reach the main thread even during a read that blocks.

    With ``stop``, the first one only sets it; a second, or ``grace`` seconds without the block
    being left, ends the process (exit 4, temporary files removed)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signals are the main thread's business: nothing to install
        return
    wake, wake_write = socket.socketpair()
    wake_write.setblocking(False)
    watcher = _Watcher(wake, stop, grace)
    old_fd = signal.set_wakeup_fd(wake_write.fileno(), warn_on_full_buffer=False)
    old_kick = signal.signal(KICK, _nothing)
    old_stopping: dict[int, Any] = {}
    if stop is not None:  # the watcher does the rest; the main thread only must not be unwound
        for signum in _STOPPING:
            old_stopping[signum] = signal.signal(signum, lambda signum, frame: stop.request())
    watcher.thread.start()
    interrupted = False
    try:
        yield
    except KeyboardInterrupt:
        interrupted = True
        remove_all()  # what the unwinding did not reach (a generator left suspended)
        raise
    finally:
        watcher.done.set()
        for signum, handler in old_stopping.items():
            signal.signal(signum, handler)
        if stop is not None or not (interrupted or watcher.signalled.is_set()):
            signal.set_wakeup_fd(old_fd)
            signal.signal(KICK, old_kick)
            with contextlib.suppress(OSError):
                wake_write.send(_QUIT)
            watcher.thread.join(1.0)
            wake.close()
            wake_write.close()
        # Signalled: the watcher stays until the process ends (or its grace period does).


__all__ = ["GRACE_SECONDS", "INTERRUPTED_EXIT", "KICK", "STOP_GRACE_SECONDS", "interruptible"]
