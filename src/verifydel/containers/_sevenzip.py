"""Reading 7z archives through py7zr, one member at a time (imported only when a 7z is met).

py7zr decompresses a whole archive in one call, pushing each member's bytes to
a writer. That call runs on a worker thread here; each member's writer spools
it, hands it over when the member is complete and waits until the scanner has
scanned it, so one member at a time is on disk, as for every other container.

py7zr's own extraction refuses member names such as "../x" (it would write
them to disk); here nothing is written by name, so its worker is driven
directly: every name is only a label. Writes are counted against the limits as
they come; the ratio is that of the whole archive (in a solid archive one
member's compressed bytes are not known), so a ratio limit stops the archive. A
member past ``max_member_bytes`` is cut short: py7zr goes on decompressing it
(it cannot skip within its one call), the rest is counted against the source's
budget but not kept, and the next member is read. py7zr's chunk size is set to
``CHUNK_BYTES`` (it would otherwise decompress up to 128 MB at once).

Encrypted archives (AES-256) open with the password; without one, each
member is reported locked (or the archive, when its names are encrypted too).
"""

from __future__ import annotations

import contextlib
import io
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO, Final, cast

import py7zr
import py7zr.py7zr as _py7zr_internals
from py7zr.exceptions import (
    DecompressionBombError,
    PasswordRequired,
    UnsupportedCompressionMethodError,
)
from py7zr.io import MemIO, Py7zIO, WriterFactory

from verifydel.containers._spool import (
    LOCKED,
    MemberCuts,
    Spool,
    cut_notice,
    link_failure,
    member_label,
    with_budget,
)
from verifydel.core.limits import CHUNK_BYTES, Budget, LimitExceeded, Limits, Meter
from verifydel.errors import FormatError, SourceError
from verifydel.core.unit import Unit, UnitFailure

_AES_CODER: Final = b"\x06\xf1\x07\x01"
#: How long the worker may take to stop once the scanner is done with the archive.
_STOP_SECONDS: Final = 10.0

# py7zr asks this for its decompression chunk size (up to 128 MB by default).
_py7zr_internals.get_memory_limit = lambda: CHUNK_BYTES  # type: ignore[attr-defined]


class _CountingFile(io.RawIOBase):
    """The archive file, counting the bytes read (the compressed side of the ratio) and the time."""

    def __init__(self, fh: BinaryIO, budget: Budget) -> None:
        super().__init__()
        self._fh = fh
        self._budget = budget
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        self._budget.check_time()
        n = self._fh.readinto(buffer)  # type: ignore[attr-defined]
        self.consumed += n or 0
        return n or 0

    def seek(self, pos: int, whence: int = io.SEEK_SET) -> int:
        return self._fh.seek(pos, whence)

    def tell(self) -> int:
        return self._fh.tell()


class _Cancelled(Exception):
    """The scanner is done with the archive: the worker stops at its next write."""


@dataclass
class _Entry:
    index: int
    name: str
    is_link: bool


class _Handoff:
    """Between the worker (producing members) and the generator (yielding them)."""

    def __init__(self) -> None:
        self.events: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.resume = threading.Semaphore(0)
        self.cancelled = False
        self.current: _Writer | None = None
        self.writers: list[_Writer] = []


class _Writer(Py7zIO):
    """Where py7zr writes one member: counted, spooled (links: counted, not kept).

    Past a per-member limit (``cut``) the rest is counted against the source's
    budget and dropped.
    """

    def __init__(
        self, handoff: _Handoff, entry: _Entry, meter: Meter, archive_meter: Meter
    ) -> None:
        self.handoff = handoff
        self.entry = entry
        self.meter = meter
        self.archive_meter = archive_meter
        self.spool = None if entry.is_link else Spool()
        self.cut: LimitExceeded | None = None

    def write(self, s: bytes | bytearray) -> int:
        if self.handoff.cancelled:
            raise _Cancelled
        if self.cut is None:
            try:
                self.meter.add(len(s))
            except LimitExceeded as exc:
                if not exc.per_member:
                    raise
                self.cut = exc
        if self.cut is not None:  # skipping: the source's budget and time still apply
            self.meter.budget.check_time()
            self.meter.budget.add_bytes(len(s))
        self.archive_meter.add(len(s))
        if self.spool is not None and self.cut is None:
            self.spool.write(bytes(s))
        return len(s)

    def read(self, size: int | None = None) -> bytes:
        return b""

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0

    def flush(self) -> None:
        pass

    def size(self) -> int:
        return self.meter.produced

    def close(self) -> None:
        """The member is complete: hand it to the scanner and wait until it is scanned."""
        if self.spool is not None:
            self.spool.close()
        self.handoff.current = None
        self.handoff.events.put(("member", self))
        self.handoff.resume.acquire()
        if self.handoff.cancelled:
            raise _Cancelled

    def discard(self) -> None:
        if self.spool is not None:
            self.spool.remove()


class _Factory(WriterFactory):
    def __init__(
        self, handoff: _Handoff, entries: dict[str, _Entry], budget: Budget, archive_meter: Meter
    ) -> None:
        self.handoff = handoff
        self.entries = entries
        self.budget = budget
        self.archive_meter = archive_meter

    def create(self, filename: str) -> Py7zIO:
        if self.handoff.cancelled:
            raise _Cancelled
        entry = self.entries[filename]
        self.budget.count_member()
        writer = _Writer(
            self.handoff, entry, Meter(self.budget, f"member {entry.index}"), self.archive_meter
        )
        self.handoff.writers.append(writer)
        self.handoff.current = writer
        return writer


def _encrypted(archive: py7zr.SevenZipFile) -> bool:
    streams = getattr(archive.header, "main_streams", None)
    if streams is None:
        return False
    return any(c.get("method") == _AES_CODER for f in streams.unpackinfo.folders for c in f.coders)


def _open(counted: _CountingFile, password: str | None) -> py7zr.SevenZipFile:
    try:
        return py7zr.SevenZipFile(cast(BinaryIO, counted), mode="r", password=password)
    except SourceError:
        raise
    except PasswordRequired:
        raise SourceError(
            "encrypted archive is locked (give --password)",
            hint="its member names are encrypted too",
        ) from None
    except Exception:  # noqa: BLE001 - py7zr's errors on hostile input are many and varied
        if password is not None:
            raise FormatError(
                "the 7z archive cannot be opened: damaged, or the password given is wrong",
                hint="check the password, or get a complete copy of the archive",
            ) from None
        raise FormatError(
            "the 7z archive is damaged or not one verifydel can read", hint="get a complete copy"
        ) from None


def _reason(exc: BaseException, encrypted: bool, password: str | None, done: int) -> SourceError:
    if isinstance(exc, SourceError):
        return exc
    if isinstance(exc, DecompressionBombError):
        return LimitExceeded("source-bytes", "its archives decompressed past the limit")
    if isinstance(exc, UnsupportedCompressionMethodError):
        return FormatError(
            "the 7z archive uses a compression method verifydel cannot read",
            hint="extract it with 7-Zip and scan the result",
        )
    # With a wrong key the garbage may even inflate and only fail its CRC: in an encrypted
    # archive opened with a password, a CRC error most likely means the password is wrong.
    if encrypted and password is not None:
        return FormatError(
            "the password given does not open this encrypted archive (or it is damaged)",
            hint="check the password",
        )
    return FormatError(
        f"the 7z archive is damaged after {done} members; what came before was scanned",
        hint="the archive is damaged or was altered",
    )


def _register(archive: py7zr.SevenZipFile, factory: _Factory) -> dict[str, _Entry]:
    """Give every member with data a writer; folders get none (py7zr still checks their data)."""
    entries: dict[str, _Entry] = {}
    for index, f in enumerate(archive.files, 1):
        if f.is_directory or f.is_socket:
            archive.worker.register_filelike(f.id, None)
            continue
        key = str(f.id)
        entries[key] = _Entry(index, f.filename, bool(f.is_symlink or f.is_junction))
        archive.worker.register_filelike(f.id, MemIO(key, factory))
    return entries


def members(unit: Unit, limits: Limits) -> Iterator[Unit | UnitFailure]:
    budget = Budget.of(unit, limits)
    budget.enter(unit.depth)
    unit = with_budget(unit, budget)
    assert unit.path is not None
    with open(unit.path, "rb") as fh:
        counted = _CountingFile(fh, budget)
        archive = _open(counted, budget.password)
        try:
            encrypted = _encrypted(archive)
            if encrypted and budget.password is None:
                for f in archive.files:
                    budget.count_member()
                    if not (f.is_directory or f.is_socket):
                        yield UnitFailure(member_label(unit, f.filename), "member", LOCKED)
                return
            yield from _extract(unit, archive, counted, budget, encrypted)
        finally:
            with contextlib.suppress(Exception):
                archive.close()


def _extract(
    unit: Unit, archive: py7zr.SevenZipFile, counted: _CountingFile, budget: Budget, encrypted: bool
) -> Iterator[Unit | UnitFailure]:
    handoff = _Handoff()
    archive_meter = Meter(
        budget,
        "the 7z archive",
        compressed=lambda: counted.consumed,
        member_limit=False,
        count_source=False,
    )
    factory = _Factory(handoff, {}, budget, archive_meter)
    factory.entries = _register(archive, factory)
    archive.worker.max_extract_size = max(0, budget.limits.max_source_bytes - budget.source_bytes)

    def work() -> None:
        try:
            archive.worker.extract(archive.fp, None, parallel=False)
        except BaseException as exc:  # noqa: BLE001 - handed to the generator
            handoff.events.put(("done", exc))
        else:
            handoff.events.put(("done", None))

    worker = threading.Thread(target=work, name="verifydel-7z", daemon=True)
    worker.start()
    done = 0
    cuts = MemberCuts()
    try:
        while True:
            try:
                kind, payload = handoff.events.get(timeout=max(0.0, budget.seconds_left()) + 1.0)
            except queue.Empty:
                budget.check_time()
                continue
            if kind == "member":
                writer: _Writer = payload
                try:
                    done += 1
                    label = member_label(unit, writer.entry.name)
                    if writer.entry.is_link:
                        yield link_failure(unit, writer.entry.name)
                    else:
                        assert writer.spool is not None
                        kept = bool(writer.spool.size) or writer.cut is None
                        if kept:
                            yield writer.spool.member(label, unit.depth, budget)
                        if writer.cut is not None:
                            cuts.note(writer.cut)
                            yield cut_notice(label, writer.cut, follows=kept)
                finally:
                    writer.discard()
                    handoff.resume.release()
                continue
            if payload is None:
                cuts.raise_if_any()
                return
            reason = _reason(payload, encrypted, budget.password, done)
            cut = handoff.current
            out_of_time = isinstance(reason, LimitExceeded) and reason.code == "time"
            kept = bool(
                cut is not None and cut.spool is not None and cut.spool.size and not out_of_time
            )
            if kept:
                assert cut is not None and cut.spool is not None
                cut.spool.close()
                yield cut.spool.member(member_label(unit, cut.entry.name), unit.depth, budget)
            if cut is not None and not cut.entry.is_link:
                limit = cut.cut or reason
                if isinstance(limit, LimitExceeded):
                    yield cut_notice(member_label(unit, cut.entry.name), limit, follows=kept)
            raise reason
    finally:
        handoff.cancelled = True
        handoff.resume.release()
        worker.join(_STOP_SECONDS)
        for writer in handoff.writers:
            writer.discard()


__all__ = ["members"]
