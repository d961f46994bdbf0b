"""``scan --cluster``: the scan spread over a Dask cluster, one report as a local scan writes it.

The client plans the work units (``cluster.units``), registers the pack on the workers once
(``cluster.worker.PackPlugin``), submits one task per unit (Dask retries a task once: a
worker that dies mid-unit costs that unit a second run elsewhere) and gathers the results
as they complete, telling the observer. It then merges them, in source order, into the
outcomes a local scan would have had, and builds the same report from them
(``scan.make_report``): same sources, same matches in the same order, same exit code.

A unit that failed twice (its task raised twice, or its workers died twice: Dask's
``KilledWorker``) is a failed source with that reason, never a silent gap. With a
journal (``scan --resume``), every unit is recorded as it comes back (the parts of a file
read in parts each under its own key): a resumed scan does not read them again.

The regulator's secret reaches the workers in the plugin: over ``tls://`` (Dask's TLS
settings) it is encrypted; over plain ``tcp://`` it is sent only to a scheduler on this
machine (loopback), unless the caller says otherwise (``insecure``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import ipaddress
import json
import logging
import os
import re
import secrets
import socket
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import TimeoutError as FuturesTimeout
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Protocol

import polars as pl

from verifydel.cluster.units import PART_BYTES, TABLE_ROWS, Part, Planned, plan, whole
from verifydel.cluster.worker import MemberRead, PackPlugin, check, run_part
from verifydel.containers import zip_archive
from verifydel.containers._spool import MemberCuts
from verifydel.core.coverage import FAILED, INTERRUPTED, PARTIAL, SCANNED, Medium, SourceResult, safe_reason
from verifydel.core.limits import LimitExceeded
from verifydel.core.stop import STOPPED_BEFORE_READING, STOPPED_BETWEEN_MEMBERS, STOPPED_WHILE_READING, stop_requested
from verifydel.core.unit import Unit, UnitFailure
from verifydel.errors import SourceError, UsageError
from verifydel.pipeline import Outcome
from verifydel.pipeline.reader import stopped_part_way
from verifydel.report.model import Report
from verifydel.scan import LoadedPack, ScanJournal, ScanOptions, make_report

#: Set in a worker's environment, glibc's malloc thresholds are fixed (see ``connect``).
MALLOC_TRIM: Final = "MALLOC_TRIM_THRESHOLD_"
#: How often the gathering loop looks at a stop request while no unit comes back (seconds).
_POLL_SECONDS: Final = 0.5
#: The reason of a unit whose workers died twice (Dask's KilledWorker).
WORKERS_DIED: Final = "the cluster's workers died twice while reading it (the unit was retried once)"


class ClusterObserver(Protocol):
    """Who follows a cluster scan (the CLI's progress display)."""

    def planned(self, units: int, total_bytes: int, workers: int) -> None: ...
    def unit_done(self, read_bytes: int, rows: int, workers: int) -> None: ...


@dataclass(frozen=True)
class ClusterSpec:
    """Where to run: ``local:N`` (a LocalCluster of N worker processes) or a scheduler's address."""

    address: str | None
    local_workers: int = 0

    @classmethod
    def parse(cls, text: str) -> ClusterSpec:
        if m := re.fullmatch(r"local:(\d+)", text):
            n = int(m.group(1))
            if not 1 <= n <= 256:
                raise UsageError("--cluster local:N needs 1 to 256 workers")
            return cls(None, n)
        if re.fullmatch(r"(tcp|tls)://[^\s/]+", text):
            return cls(text)
        raise UsageError(
            f"--cluster {text!r} is neither tcp://HOST:PORT, tls://HOST:PORT nor local:N",
            hint="give the address of a running Dask scheduler (dask scheduler prints it), or local:2",
        )

    @property
    def plain_remote(self) -> bool:
        """A ``tcp://`` scheduler not on this machine: what is sent to it is in the clear."""
        if self.address is None or not self.address.startswith("tcp://"):
            return False
        host = self.address.removeprefix("tcp://").rsplit(":", 1)[0].strip("[]")
        return not _loopback(host)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        try:
            return all(ipaddress.ip_address(info[4][0]).is_loopback for info in socket.getaddrinfo(host, None))
        except (OSError, ValueError):
            return False


def refuse_plain_remote(spec: ClusterSpec, insecure: bool) -> None:
    """The key (and the archive password) never go in the clear to another machine unless asked."""
    if spec.plain_remote and not insecure:
        raise UsageError(
            f"refusing to send the pack's key over plain TCP to {spec.address}: anyone on the network could read it",
            hint="run the scheduler and workers with TLS and give tls://HOST:PORT (see README, 'Scans on a cluster'),"
            " or add --insecure-cluster on a network you trust",
        )


@contextlib.contextmanager
def connect(spec: ClusterSpec, *, insecure: bool = False) -> Iterator[Any]:
    """A Dask client of the cluster ``spec`` names, for the ``with`` block (a LocalCluster is
    started for it, and closed after). Raises UsageError when it cannot be reached."""
    refuse_plain_remote(spec, insecure)
    try:
        import dask
        from distributed import Client, LocalCluster
    except ImportError:
        raise UsageError(
            "--cluster needs Dask distributed, which is not installed",
            hint="pip install 'verifydel[cluster]'",
        ) from None
    if spec.address is None:
        # a unit whose worker died twice is failed, not tried a third time (Dask's default: 3);
        # and glibc keeps its own malloc thresholds: Dask's fixed MALLOC_TRIM_THRESHOLD_ for
        # worker processes also fixes the mmap threshold, and made a SQL dump's scan ~18 %
        # slower (benchmarks/RESULTS.md, "Cluster at 2.05 GB")
        environ = {**dask.config.get("distributed.nanny.pre-spawn-environ", {}), MALLOC_TRIM: None}
        settings = {"distributed.scheduler.allowed-failures": 1, "distributed.nanny.pre-spawn-environ": environ}
        with dask.config.set(settings), _environ_kept():
            cluster = LocalCluster(
                n_workers=spec.local_workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
        try:
            with Client(cluster) as client:
                yield client
        finally:
            cluster.close()
        return
    try:
        client = Client(spec.address, timeout="20s")
    except (OSError, FuturesTimeout) as exc:
        raise UsageError(
            f"cannot reach the Dask scheduler at {spec.address} ({type(exc).__name__})",
            hint="start one with `dask scheduler`, and workers with `dask worker ADDRESS`; over tls:// give Dask's TLS settings",
        ) from None
    with client:
        yield client


@contextlib.contextmanager
def _environ_kept() -> Iterator[None]:
    """This process's environment as it was after the block: Dask's nanny writes its
    workers' settings (OMP_NUM_THREADS=1, ...) into the parent's ``os.environ`` to pass them
    on, and leaves them there, where they would reach every process started after."""
    before = dict(os.environ)
    try:
        yield
    finally:
        for name in set(os.environ) - set(before):
            del os.environ[name]
        for name, value in before.items():
            if os.environ.get(name) != value:
                os.environ[name] = value


def local_threads(spec: ClusterSpec) -> int | None:
    """Batch threads per worker of a LocalCluster (its workers share this machine's cores);
    None for a remote cluster (the scan's own default)."""
    if spec.address is not None:
        return None
    return max(1, (os.cpu_count() or 1) // spec.local_workers)


def fixed_malloc_note(client: Any) -> str | None:
    """A note for the terminal when the cluster's workers (started by someone else's
    ``dask worker``) run with a fixed malloc trim threshold, as Dask's nanny sets it by
    default; None when none does (or no worker is there yet)."""
    try:
        seen = client.run(os.getenv, MALLOC_TRIM)
    except Exception:  # noqa: BLE001 - a hint only: never stops a scan
        return None
    fixed = sum(1 for value in seen.values() if value is not None)
    if not fixed:
        return None
    return (
        f"note: {fixed} of {len(seen)} workers run with {MALLOC_TRIM} set (Dask's default), "
        "which made scans up to ~18 % slower in our measurements; "
        "see README, 'Scans on a cluster', to unset it on the worker machines"
    )


def _plugin_name(pack: LoadedPack, options: ScanOptions) -> str:
    """The plugin's name: the pack's SHA-256, and a hash of this scan's options (never them)."""
    salt = secrets.token_bytes(16)  # two scans at once never share (nor tear down) one plugin
    identity = json.dumps(options.identity(), sort_keys=True, default=str).encode()
    return f"verifydel-pack-{pack.sha256}-{hashlib.sha256(salt + identity).hexdigest()[:16]}"


def scan_on_cluster(
    sources: Sequence[str],
    pack: LoadedPack,
    options: ScanOptions,
    client: Any,
    *,
    observer: ClusterObserver | None = None,
    journal: ScanJournal | None = None,
    part_bytes: int = PART_BYTES,
    table_rows: int = TABLE_ROWS,
    send_pack: bool = True,
    threads: int | None = None,
) -> Report:
    """Scan ``sources`` on the cluster ``client`` reaches; the report a local ``scan`` writes.

    ``send_pack``: send the pack's bytes with the plugin (else every worker must read it at
    ``pack.path``). ``part_bytes``: files larger than this are read in parts of about that size;
    ``table_rows``: live tables with more rows (and a one-column integer primary key), in key
    ranges of about that many rows.
    ``threads``: threads each worker task matches batches on (default: the client's cores, as
    ``options.threads``; a LocalCluster of N workers: the cores / N, ``local_threads``)."""
    started_at = journal.started_at if journal is not None else datetime.now(UTC).isoformat(timespec="seconds")
    exclude = (journal.path,) if journal is not None else ()
    planned = plan(sources, options.reading(), part_bytes=part_bytes, exclude=exclude, table_rows=table_rows)
    known = dict(journal.known()) if journal is not None else {}
    todo = [
        part
        for p in planned
        if p.label not in known  # read whole by an earlier run (local or cluster)
        for part in p.parts
        if part.key not in known
    ]
    if threads is not None:
        options = dataclasses.replace(options, threads=threads)
    name = _plugin_name(pack, options)
    data = pack.path.read_bytes() if send_pack else None
    client.register_plugin(PackPlugin(name, pack.sha256, pack.secret, options, str(pack.path), data), name=name)
    try:
        results, failures = _gather(client, name, todo, options, observer, journal)
        # zips whose members showed they cannot be read apart: read again, whole
        again = [i for i, p in enumerate(planned) if p.layout == "members" and _read_whole(p, results, options)]
        for i in again:
            planned[i] = whole(planned[i])
        if again and not stop_requested(options.stop):
            more, failed = _gather(client, name, [planned[i].parts[0] for i in again], options, None, journal)
            results.update(more)
            failures.update(failed)
    finally:
        with contextlib.suppress(Exception):
            client.unregister_worker_plugin(name)
    results.update(known)
    outcomes = []
    for p in planned:
        merged = merge(p, results, failures)
        if p.layout == "members" and journal is not None and not stopped_part_way(merged):
            journal.record(p.label, merged)  # as a local scan records it: read whole by a resumed scan
        outcomes += merged
    return make_report(pack, started_at, outcomes, show_values=options.show_values)


def _read_whole(planned: Planned, results: Mapping[str, Any], options: ScanOptions) -> bool:
    """A zip read member by member that must be read as one unit after all: a member said so
    (``MemberRead.whole``), or the members together hit a limit of the whole archive (the
    bytes they decompressed, the time they took), which a local scan applies to all of them."""
    reads = [results.get(p.key) for p in planned.reads]
    got = [r for r in reads if isinstance(r, MemberRead)]
    if any(r.whole is not None for r in got):
        return True
    limits = options.limits
    return sum(r.info.source_bytes for r in got) > limits.max_source_bytes or sum(r.seconds for r in got) >= limits.max_seconds


def _workers(client: Any) -> int:
    with contextlib.suppress(Exception):
        return len(client.scheduler_info(n_workers=-1)["workers"])
    return 0


def _gather(
    client: Any,
    plugin: str,
    todo: list[Part],
    options: ScanOptions,
    observer: ClusterObserver | None,
    journal: ScanJournal | None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Run every part; (key → outcomes, or a ``MemberRead``; key → why it failed), as they come back."""
    from distributed import KilledWorker, wait

    _check_plugin(client, plugin)
    if observer is not None:
        observer.planned(len(todo), sum(p.size or 0 for p in todo), _workers(client))
    futures = {
        client.submit(run_part, part, plugin, retries=1, pure=False, priority=-i, key=f"verifydel-unit-{i}-{plugin[-16:]}"): part
        for i, part in enumerate(todo)
    }
    results: dict[str, Any] = {}
    failures: dict[str, str] = {}
    pending = set(futures)
    while pending:
        if stop_requested(options.stop):
            client.cancel(list(pending), force=True)
            break
        try:
            done, pending = wait(pending, timeout=_POLL_SECONDS, return_when="FIRST_COMPLETED")
        except (TimeoutError, FuturesTimeout):
            continue
        for future in done:
            part = futures.pop(future)
            if future.status == "finished":
                got = future.result()
                results[part.key] = got
                # a zip's members are recorded together, merged, under the zip's label
                outcomes = got.outcomes if isinstance(got, MemberRead) else got
                if journal is not None and not isinstance(got, MemberRead) and not stopped_part_way(outcomes):
                    journal.record(part.key, outcomes)
                rows = sum(o.result.rows for o in outcomes)
            else:
                exc = future.exception()
                if isinstance(exc, UsageError):
                    client.cancel(list(pending), force=True)
                    raise exc
                failures[part.key] = _reason(exc, KilledWorker)
                rows = 0
            future.release()
            if observer is not None:
                observer.unit_done(part.size or 0, rows, _workers(client))
    return results, failures


def _check_plugin(client: Any, plugin: str) -> None:
    """Every worker has the pack (a wrong key or an unreadable pack stops the scan here)."""
    try:
        client.run(check, plugin)
    except KeyError:
        raise SourceError(
            "the cluster's workers could not load the pack",
            hint="check that the workers run the same verifydel version, and that the pack is readable there",
        ) from None


def _reason(exc: BaseException | None, killed: type) -> str:
    if isinstance(exc, killed):
        return WORKERS_DIED
    if isinstance(exc, SourceError):
        return f"{exc} (on the cluster, twice)"
    name = type(exc).__name__ if exc is not None else "error"
    return f"unexpected {name} on the cluster's workers, twice (a verifydel bug, or a worker's environment: please report it)"


# -- merging -------------------------------------------------------------------


def merge(planned: Planned, results: Mapping[str, list[Outcome]], failures: Mapping[str, str]) -> list[Outcome]:
    """The outcomes a local scan would have of ``planned``, from its parts' (see the module docstring)."""
    item = planned.item
    if isinstance(item, UnitFailure):
        return [Outcome(SourceResult(path=item.label, kind=item.kind, status=FAILED, error=item.error))]
    # read whole (by a worker, or by a local scan whose journal is resumed)
    if planned.layout == "whole" or planned.label in results:
        outcomes = results.get(planned.label)
        if outcomes is None:
            return [_missing(planned, failures.get(planned.label))]
        if item.path is not None and outcomes:
            outcomes[0].result.medium = Medium(item.label, item.size)  # the manifest names it
        return outcomes
    if planned.layout == "members":
        return _merge_members(planned, results, failures)
    return [_merge_parts(planned, results, failures)]


def _merge_members(planned: Planned, results: Mapping[str, Any], failures: Mapping[str, str]) -> list[Outcome]:
    """A zip read member by member: its own entry, then its members' entries in order, as
    ``pipeline`` reads a container (the per-member limits hit make its own entry partial)."""
    item = planned.item
    assert isinstance(item, Unit)
    own = SourceResult(path=item.label, kind=zip_archive.KIND, status=SCANNED, bytes=item.size)
    outcomes = [Outcome(own)]
    cuts = MemberCuts()
    errors: list[str] = []
    for part in planned.reads:
        got = results.get(part.key)
        assert part.slot is not None
        if isinstance(got, MemberRead):
            outcomes += got.outcomes
            if got.info.cut is not None:
                cuts.note(LimitExceeded(*got.info.cut, per_member=True))
            continue
        failure = failures.get(part.key)
        status, error = (FAILED, failure) if failure else (INTERRUPTED, STOPPED_BEFORE_READING)
        outcomes.append(Outcome(SourceResult(path=part.slot.label, kind="member", status=status, error=error)))
        if failure:
            errors.append(failure)
    try:
        cuts.raise_if_any()
    except LimitExceeded as exc:
        own.status, own.error = (PARTIAL if len(outcomes) > 1 else FAILED), safe_reason(exc)
    if errors and own.status == SCANNED:
        own.status, own.error = PARTIAL, errors[0]
    if stopped_part_way(outcomes[1:]):
        own.status, own.error = INTERRUPTED, STOPPED_BETWEEN_MEMBERS
    else:
        _seal_digest(own, planned, results, failures)
    own.medium = Medium(item.label, item.size)
    return outcomes


def _seal_digest(own: SourceResult, planned: Planned, results: Mapping[str, Any], failures: Mapping[str, str]) -> None:
    """The zip's SHA-256 on its own entry, as ``pipeline``'s ``_sealed`` puts it."""
    digest = planned.digest
    assert digest is not None
    got = results.get(digest.key)
    error = got[0].result.error if got else f"not hashed: {failures.get(digest.key, STOPPED_BEFORE_READING)}"
    if error is None:
        own.sha256 = got[0].result.sha256  # type: ignore[index]
        return
    if own.status == SCANNED:
        own.status = PARTIAL
    own.error = error if own.error is None else f"{own.error}; {error}"


def _missing(planned: Planned, failure: str | None) -> Outcome:
    item = planned.item
    status, error = (FAILED, failure) if failure else (INTERRUPTED, STOPPED_BEFORE_READING)
    medium = Medium(item.label, item.size) if getattr(item, "path", None) is not None else None
    kind = getattr(item, "kind", "file")
    return Outcome(SourceResult(path=item.label, kind=kind, status=status, error=error, bytes=item.size, medium=medium))  # type: ignore[union-attr]


def _merge_parts(planned: Planned, results: Mapping[str, list[Outcome]], failures: Mapping[str, str]) -> Outcome:
    """One entry for a file read in parts: rows added up, matches renumbered, notes kept once."""
    item = planned.item
    parts = planned.reads
    read = [results.get(p.key) for p in parts]
    if all(r is None for r in read):
        return _missing(planned, next((failures[p.key] for p in parts if p.key in failures), None))
    first = next(r[0].result for r in read if r)
    result = dataclasses.replace(first, notes=list(first.notes), details=dict(first.details), columns=dict(first.columns))
    table = planned.layout == "ranges"  # a live table: no bytes, no medium; its row digest
    result.bytes, result.medium, result.sha256, result.row_digest = (
        (None, None, None, None) if table else (item.size, Medium(item.label, item.size), None, None)  # type: ignore[union-attr]
    )
    statuses: list[str] = []
    errors: list[str] = []
    payload: list[pl.DataFrame] = []
    rows_before = 0
    result.rows, result.seconds = 0, 0.0
    for i, (part, outcomes) in enumerate(zip(parts, read)):
        if not outcomes:
            failure = failures.get(part.key)
            statuses.append(FAILED if failure else INTERRUPTED)
            errors.append(failure or STOPPED_WHILE_READING)
            continue
        got = outcomes[0].result
        statuses.append(got.status)
        if got.error:
            errors.append(got.error)
        result.notes += [n for n in got.notes if n not in result.notes]
        result.details.update({k: v for k, v in got.details.items() if k not in result.details})
        if not result.columns and got.columns:
            result.columns = dict(got.columns)
        result.rows += got.rows
        result.seconds += got.seconds
        for frame in outcomes[0].payload:
            if rows_before and "row" in frame.columns:
                frame = frame.with_columns(pl.col("row") + rows_before)
            payload.append(frame)
        # the rows before the next part: this one's data rows (the header row, row 0, is not one)
        rows_before += got.rows - (1 if i == 0 and planned.led else 0)
    digest = planned.digest
    digested = results.get(digest.key) if digest is not None else None
    if digested:
        d = digested[0].result
        if d.error:
            errors.append(d.error)
            statuses.append(PARTIAL)
        elif table:
            result.row_digest = d.row_digest
        else:
            result.sha256 = d.sha256
    elif digest is not None and digest.key in failures:
        errors.append(f"not hashed: {failures[digest.key]}")
        statuses.append(PARTIAL)
    result.status = _worst(statuses)
    result.error = "; ".join(dict.fromkeys(errors)) or None
    if result.status == INTERRUPTED:  # not read to its end: no digest, as a local scan
        result.sha256 = result.row_digest = None
    return Outcome(result, payload)


def _worst(statuses: list[str]) -> Any:
    if INTERRUPTED in statuses:
        return INTERRUPTED
    if statuses and all(s == FAILED for s in statuses):
        return FAILED
    if any(s in (FAILED, PARTIAL) for s in statuses):
        return PARTIAL
    return SCANNED


__all__ = [
    "WORKERS_DIED", "ClusterObserver", "ClusterSpec", "connect", "fixed_malloc_note", "merge",
    "refuse_plain_remote", "scan_on_cluster",
]  # fmt: skip
