"""What runs on a cluster's workers: the pack, loaded once per process, and the task that
reads one work unit the way a local scan reads it.

``PackPlugin`` is a Dask ``WorkerPlugin``: registered once by the client, it is set up on
every worker, present and future (a worker restarted after a crash too). It carries the
pack's path (read there when the workers share the storage) and, unless they do, the
pack's bytes; the regulator's secret; and the scan's options (the archive password with
them). The loaded pack is kept per process, keyed by its SHA-256, so scans with other
options against the same pack do not load it again. None of it travels in a task's
arguments: a task names only its work unit and the plugin.

``run_part`` is the task: ``pipeline.read_unit`` with the scan's own ``table_consumer``, the
one reading path a local scan runs (no second reader).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import socket
import threading
import time
from pathlib import Path
from typing import Any

from distributed import WorkerPlugin

from verifydel import containers, formats
from verifydel.cluster.units import Part
from verifydel.containers import zip_archive
from verifydel.core.coverage import FAILED, SCANNED, SourceResult, safe_reason
from verifydel.core.digest import DigestError, FileDigest, RowDigest
from verifydel.core.tempfiles import private_temp_path
from verifydel.core.unit import Unit
from verifydel.errors import SourceError, UsageError
from verifydel.fingerprint.keys import Secret
from verifydel.pipeline import Outcome, read_unit
from verifydel.pipeline.reader import add_member
from verifydel.scan import LoadedPack, ScanOptions, load_pack, table_consumer
from verifydel.sources import databases, expand

#: Pack SHA-256 → the pack loaded in this process.
_PACKS: dict[str, LoadedPack] = {}
#: Plugin name → (pack SHA-256, the scan's options).
_SCANS: dict[str, tuple[str, ScanOptions]] = {}
_LOCK = threading.Lock()

#: The kind of the entry a digest part ends as (never in a report: merged into the file's).
DIGEST_KIND = "sha256"


class PackPlugin(WorkerPlugin):
    """Loads the scan's pack on a worker (see the module docstring)."""

    idempotent = False

    def __init__(
        self, name: str, sha256: str, secret: Secret, options: ScanOptions, path: str, data: bytes | None
    ) -> None:
        self.name = name
        self.sha256 = sha256
        self.secret = secret
        # batches matched on this machine's cores, shared by the worker processes it runs
        # (``threads`` of ``options``: set by the client for a LocalCluster; else every core)
        self.options = dataclasses.replace(options, stop=None)
        self.path = path
        self.data = data

    def setup(self, worker: Any = None) -> None:
        with _LOCK:
            if self.sha256 not in _PACKS:
                _PACKS[self.sha256] = self._load()
            _SCANS[self.name] = (self.sha256, self.options)

    def teardown(self, worker: Any = None) -> None:
        with _LOCK:
            _SCANS.pop(self.name, None)
            if all(sha != self.sha256 for sha, _ in _SCANS.values()):
                _PACKS.pop(self.sha256, None)  # the secret does not outlive the scans that need it

    def _load(self) -> LoadedPack:
        path = Path(self.path)
        if _sha256_of(path) == self.sha256:  # shared storage: the same pack at the same path
            return load_pack(path, self.secret)
        if self.data is None:
            raise SourceError(
                f"the pack {self.path} is not on this worker (or is another file there)",
                hint="put the pack on storage every worker reads at the same path, or let the client send it",
            )
        with private_temp_path(".vdpack") as copy:
            copy.write_bytes(self.data)
            loaded = load_pack(copy, self.secret)
        if loaded.sha256 != self.sha256:
            raise SourceError("the pack sent to this worker is not the scan's (its SHA-256 differs)")
        return dataclasses.replace(loaded, path=path)


def _sha256_of(path: Path) -> str | None:
    try:
        with open(path, "rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except OSError:
        return None


def loaded(plugin: str) -> tuple[LoadedPack, ScanOptions]:
    """The pack and options of the scan ``plugin`` set up in this process."""
    with _LOCK:
        sha, options = _SCANS[plugin]
        return _PACKS[sha], options


def check(plugin: str) -> str:
    """The SHA-256 of the pack this worker loaded for ``plugin`` (the client's first task)."""
    pack, _ = loaded(plugin)
    return pack.sha256


@dataclasses.dataclass
class MemberRead:
    """One zip member read on its own (``Part.slot``): its outcomes as the local walk makes
    them, what the zip's own entry needs (``info``), and ``whole``: why the client must read
    the zip as one unit after all (a nested container, a stream ending before its declared
    size, a limit of the whole archive); None when the outcomes stand."""

    outcomes: list[Outcome]
    info: zip_archive.SlotRead
    seconds: float
    whole: str | None = None


def run_part(part: Part, plugin: str) -> list[Outcome] | MemberRead:
    """The outcomes of one work unit, as a local scan would make them (no observer: the
    client counts progress as units come back)."""
    pack, options = loaded(plugin)
    _check_visible(part)
    if part.digest:
        return [_digest(part) if part.unit is not None else _row_digest(part, options)]
    if part.slot is not None:
        return _read_member(part, pack, options)
    unit = _unit(part, options)
    if unit is None:
        return [Outcome(SourceResult(path=part.label, kind="table", status=FAILED, error="no longer in its source"))]
    unit = dataclasses.replace(unit, budget=options.reading().budget())
    return read_unit(unit, options.reading(), table_consumer(pack, options))


def _check_visible(part: Part) -> None:
    """Raise when this worker cannot see the part's file: the client found it, so the
    workers do not share its storage (or it went away meanwhile)."""
    path = part.unit.path if part.unit is not None else None
    if path is not None and not os.path.lexists(path):
        raise SourceError(
            f"the worker on {socket.gethostname()} cannot see the file at {path}",
            hint="every worker must read the sources at the same path as the machine that runs scan: shared storage",
        )


def _read_member(part: Part, pack: LoadedPack, options: ScanOptions) -> MemberRead:
    """The member ``part.slot`` of its zip, item by item as ``pipeline`` reads a container's."""
    assert part.unit is not None and part.slot is not None
    reading = options.reading()
    unit = dataclasses.replace(part.unit, budget=reading.budget())
    info = zip_archive.SlotRead()
    consume = table_consumer(pack, options)
    outcomes: list[Outcome] = []
    started = time.monotonic()
    whole = None
    items = zip_archive.read_slot(unit, reading.limits, part.slot, info)
    last = 0
    try:
        for item in items:
            if isinstance(item, Unit) and (containers.detect(item) is not None or formats.reads_whole(item)):
                whole = "a container or a workbook inside: its limits are the whole archive's"
                break
            last = add_member(item, outcomes, last, reading, consume)
    except UsageError:
        raise
    except Exception as exc:  # noqa: BLE001 - a limit of the whole archive, damage: read it whole
        whole = safe_reason(exc)
    finally:
        items.close()
    if whole is None and info.slack:
        whole = "its stream ends before its declared size: the rest is read as unaccounted bytes"
    return MemberRead(outcomes, info, time.monotonic() - started, whole)


def _unit(part: Part, options: ScanOptions) -> Unit | None:
    if part.unit is not None:
        return part.unit
    assert part.source is not None
    if part.key_range is not None:
        return databases.range_unit(part.source, part.label, options.tables, part.key_range, first=part.first)
    for item in expand(part.source, tables=options.tables, follow_symlinks=options.follow_symlinks):
        if isinstance(item, Unit) and item.label == part.label:
            return item
    return None


def _row_digest(part: Part, options: ScanOptions) -> Outcome:
    """The row digest of a live table read in key ranges: its rows streamed whole, in the
    order a local scan streams them (by primary key), hashed as ``consume_table`` hashes them."""
    result = SourceResult(path=part.label, kind=DIGEST_KIND, status=SCANNED)
    try:
        unit = _unit(dataclasses.replace(part, key_range=None), options)
        if unit is None or unit.opener is None:
            raise SourceError("no longer in its source")
        rows = RowDigest()
        for table in unit.opener():
            for batch in table.batches:
                rows.update(batch)
        result.row_digest = rows.hexdigest()
    except Exception as exc:  # noqa: BLE001 - the table's entry says why it has no digest
        result.status, result.error = FAILED, safe_reason(exc)
    return Outcome(result)


def _digest(part: Part) -> Outcome:
    assert part.unit is not None and part.unit.path is not None
    result = SourceResult(path=part.label, kind=DIGEST_KIND, status=SCANNED)
    try:
        result.sha256, _ = FileDigest(part.unit.path).result()
    except DigestError as exc:
        result.status, result.error = FAILED, str(exc)
    return Outcome(result)


def worker_pid() -> int:
    """This worker's process id (tests end one to see the scan survive it)."""
    return os.getpid()


__all__ = ["DIGEST_KIND", "MemberRead", "PackPlugin", "check", "loaded", "run_part", "worker_pid"]
