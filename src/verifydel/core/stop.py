"""A request to stop reading: set by the CLI on SIGINT/SIGTERM, polled by the reader.

The reader looks at it between top-level units, archive members and batches (never
inside a C call): the table being read ends ``interrupted`` with the rows read so far
counted, and every unit not yet started is still listed, ``interrupted`` with no row,
so nothing is silently missing from the report. Setting it is safe from a signal
handler or any thread.
"""

from __future__ import annotations

import threading
from typing import Final

from verifydel.errors import SourceError

#: The reason of a table stopped part-way (its rows so far were scanned).
STOPPED_WHILE_READING: Final = "the scan was interrupted while this source was read: the rows after those counted were not read"
#: The reason of a source not started before the scan stopped.
STOPPED_BEFORE_READING: Final = "the scan was interrupted before this source was read"
#: The reason of a container whose members were not all read.
STOPPED_BETWEEN_MEMBERS: Final = "the scan was interrupted before every member of this archive was read"


class ScanStopped(SourceError):
    """Raised by a reader that polls the request in a long step (spooling, decompressing):
    the source it was reading ends ``interrupted``."""

    def __init__(self) -> None:
        super().__init__(STOPPED_WHILE_READING)


class StopRequest:
    """Whether the command was asked to stop. ``request`` tells whether it was the first ask."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.RLock()  # a signal handler may run while its thread holds it

    def request(self) -> bool:
        """Ask to stop; True the first time only (the caller then says so, once)."""
        with self._lock:
            first = not self._event.is_set()
            self._event.set()
        return first

    @property
    def requested(self) -> bool:
        return self._event.is_set()


def stop_requested(stop: StopRequest | None) -> bool:
    """``stop`` was requested (None: nobody can ask this reading to stop)."""
    return stop is not None and stop.requested


__all__ = [
    "STOPPED_BEFORE_READING",
    "STOPPED_BETWEEN_MEMBERS",
    "STOPPED_WHILE_READING",
    "ScanStopped",
    "StopRequest",
    "stop_requested",
]
