"""Units to tables, for every command: containers walked, formats opened, failures accounted for.

``read_unit`` is the recursion a scan and a fingerprint share: a unit is a
container (walked, each member read the same way), or a file a format reads
(sometimes both: a workbook with other members), or a table a source opens
itself (a live database table). The command's ``consume`` turns each table into
an ``Outcome``; whatever fails on the way becomes a failed (or partial) entry with
its reason, and the walk goes on.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

import polars as pl

from verifydel import containers, formats
from verifydel.containers import zip_archive
from verifydel.core.coverage import (
    FAILED,
    INTERRUPTED,
    PARTIAL,
    SCANNED,
    Medium,
    SourceResult,
    safe_reason,
)
from verifydel.core.digest import DigestError, FileDigest
from verifydel.core.limits import LimitExceeded
from verifydel.core.options import ReadOptions
from verifydel.core.stop import (
    STOPPED_BEFORE_READING,
    STOPPED_BETWEEN_MEMBERS,
    STOPPED_WHILE_READING,
    ScanStopped,
    stop_requested,
)
from verifydel.core.table import Table
from verifydel.core.unit import Unit, UnitFailure
from verifydel.errors import UsageError
from verifydel.formats.excel import xlsx
from verifydel.pipeline.columns import text_unless_matchable
from verifydel.sources import expand


class Observer(Protocol):
    """Who listens to the reading (the CLI's progress display).

    Each top-level unit is read on one thread (several at once with ``jobs``), its members
    on the same thread: every call about a unit, and about its members, comes from the
    thread that called ``unit_started`` for it. The calls about one unit:

    - ``unit_started(label, total_bytes)``: its size in bytes, None when it has none (a
      live database table) or is not known;
    - ``bytes_read(label, position)``: how many of its bytes the rows handed over so far
      were read from, when its reader can tell (``Table.position``; never past its size);
    - ``rows_done(label, rows)``: ``rows`` more rows dealt with, told by the command;
    - ``source_finished(result)``: each entry of the coverage it ends as (a table, a
      failure, a container's own entry);
    - ``unit_finished(label)``: nothing more of it (nor of its members) will be read.
    """

    def unit_started(self, label: str, total_bytes: int | None) -> None: ...
    def bytes_read(self, label: str, position: int) -> None: ...
    def rows_done(self, label: str, rows: int) -> None: ...
    def source_finished(self, result: SourceResult) -> None: ...
    def unit_finished(self, label: str) -> None: ...


@dataclass
class Outcome:
    """One entry of the coverage, and what the command made of it (matches, fingerprints...)."""

    result: SourceResult
    payload: list[Any] = field(default_factory=list)


#: consume(table, unit) → the outcome of reading that table (the command's own work).
Consume = Callable[[Table, Unit], Outcome]
#: finished(label, outcomes): a top-level unit was read to its end (not stopped part-way).
Finished = Callable[[str, list[Outcome]], None]


def top_units(sources: Sequence[str], options: ReadOptions) -> Iterator[Unit | UnitFailure]:
    """Every source's units, each top-level unit with a budget of its own."""
    for source in sources:
        for item in expand(source, tables=options.tables, follow_symlinks=options.follow_symlinks):
            if isinstance(item, Unit) and item.budget is None:
                item = dataclasses.replace(item, budget=options.budget())
            yield item


def _failed(label: str, kind: str, error: str, size: int | None = None) -> Outcome:
    return Outcome(SourceResult(path=label, kind=kind, status=FAILED, error=error, bytes=size))


def _not_read(unit: Unit, reason: str = STOPPED_BEFORE_READING) -> Outcome:
    """A unit the scan was stopped before (or while opening it): listed, with no row, never
    silently missing."""
    return Outcome(SourceResult(path=unit.label, kind=unit.kind, status=INTERRUPTED, error=reason, bytes=unit.size))


def stopped_part_way(outcomes: list[Outcome]) -> bool:
    """Some entry of these ended ``interrupted``: the unit was not read to its end."""
    return any(o.result.status == INTERRUPTED for o in outcomes)


def is_excluded(item: Unit | UnitFailure, exclude: Sequence[Path]) -> bool:
    path = getattr(item, "path", None)
    if path is None or not exclude:
        return False
    for own in exclude:
        if path.name == own.name:  # the name first: a stat only for a likely one
            try:
                if os.path.samefile(path, own):
                    return True
            except OSError:
                continue
    return False


def _tell(observer: Observer | None, outcomes: list[Outcome]) -> list[Outcome]:
    if observer:
        for o in outcomes:
            observer.source_finished(o.result)
    return outcomes


def _open_tables(unit: Unit, options: ReadOptions) -> list[Table]:
    if unit.opener is not None:
        tables = unit.opener()
    else:  # --map says what the columns are: NUL bytes do not make such a file binary
        prefer_text = bool(options.mapping)
        tables = formats.open_tables(unit, encoding=options.encoding, prefer_text=prefer_text)
    if not options.free_text:
        return tables
    return text_unless_matchable(tables, unit, mapping=options.mapping, encoding=options.encoding)


def _told(
    batches: Iterator[pl.DataFrame], position: Callable[[], int], label: str, observer: Observer
) -> Iterator[pl.DataFrame]:
    """``batches``, telling ``observer`` where in the file each one leaves the reader."""
    for batch in batches:
        observer.bytes_read(label, position())
        yield batch
    observer.bytes_read(label, position())


def _read_tables(
    unit: Unit, tables: list[Table], consume: Consume, observer: Observer | None, digest: FileDigest | str | None
) -> list[Outcome]:
    if observer:
        for table in tables:
            if table.position is not None:
                table.batches = _told(iter(table.batches), table.position, unit.label, observer)
    outcomes = [consume(t, unit) for t in tables]
    if not outcomes:  # a workbook with no sheet: still accounted for
        outcomes = [Outcome(SourceResult(path=unit.label, kind=unit.kind, status=SCANNED))]
    for o in outcomes:
        o.result.bytes = unit.size if len(outcomes) == 1 else None
    return _tell(observer, _sealed(outcomes, unit, digest))


def read_unit(
    unit: Unit, options: ReadOptions, consume: Consume, observer: Observer | None = None
) -> list[Outcome]:
    """The outcomes of one unit: one per table, or a container's own entry and its members'.

    Every entry read from the unit's bytes carries their SHA-256 (the manifest). Once a stop
    is requested, a unit is not opened: its one entry is ``interrupted``, with no row."""
    if stop_requested(options.stop):
        return [_not_read(unit)]
    if observer is None:
        return _read_unit(unit, options, consume, None)
    observer.unit_started(unit.label, unit.size)
    try:
        return _read_unit(unit, options, consume, observer)
    finally:
        observer.unit_finished(unit.label)


def _read_unit(
    unit: Unit, options: ReadOptions, consume: Consume, observer: Observer | None
) -> list[Outcome]:
    digest = _start_digest(unit)
    handler = None
    if unit.opener is None and not formats.reads_whole(unit):
        handler = containers.detect(unit)
    if handler is not None:
        return _read_container(unit, handler, options, consume, observer, digest)
    try:
        tables = _open_tables(unit, options)
    except UsageError:
        raise  # the options are wrong, not the source: nothing can be read
    except ScanStopped:
        return _tell(observer, _sealed([_not_read(unit, STOPPED_WHILE_READING)], unit, digest))
    except Exception as exc:  # noqa: BLE001 - a reader's failure ends this source, not the run
        failed = [_failed(unit.label, unit.kind, safe_reason(exc), unit.size)]
        return _tell(observer, _sealed(failed, unit, digest))
    return _read_tables(unit, tables, consume, observer, digest)


def _start_digest(unit: Unit) -> FileDigest | str | None:
    """The unit's SHA-256: known (a spooled member), or hashed from now on beside the reader."""
    if unit.sha256 is not None:
        return unit.sha256
    if unit.path is None or unit.opener is not None:  # a live table, or a file read as another entry too
        return None
    if unit.span is not None:  # a part of a file: the whole file's digest is taken apart
        return None
    return FileDigest(unit.path)


def _sealed(outcomes: list[Outcome], unit: Unit, digest: FileDigest | str | None) -> list[Outcome]:
    """Put the unit's digest on the entries read from it; a file that changed while it was
    read is a gap (its entries partial, with the reason), never a clean digest."""
    if digest is None:
        return outcomes
    if stopped_part_way(outcomes):  # not read to its end: its digest is not waited for
        if isinstance(digest, FileDigest):
            digest.cancel()
        return outcomes
    try:
        sha256 = digest if isinstance(digest, str) else digest.result()[0]
    except DigestError as exc:
        for o in outcomes:
            if o.result.status == SCANNED:
                o.result.status = PARTIAL
            o.result.error = str(exc) if o.result.error is None else f"{o.result.error}; {exc}"
        return outcomes
    for o in outcomes:
        o.result.sha256 = sha256
    return outcomes


def _members(unit: Unit, handler: ModuleType, options: ReadOptions) -> Iterator[Unit | UnitFailure]:
    """The members of a container; a workbook with other members is read as a workbook first."""
    if handler is zip_archive and xlsx.layout(unit.path) is xlsx.Layout.WITH_MEMBERS:
        yield dataclasses.replace(unit, opener=lambda: xlsx.open_tables(unit, None), kind=xlsx.KIND)  # type: ignore[arg-type]
        yield from zip_archive.members(unit, options.limits, skip=xlsx.is_workbook_part)
        return
    yield from handler.members(unit, options.limits)


def _read_container(
    unit: Unit,
    handler: ModuleType,
    options: ReadOptions,
    consume: Consume,
    observer: Observer | None,
    digest: FileDigest | str | None,
) -> list[Outcome]:
    """The container's own entry (its coverage: scanned, or partial with the limit hit), then its members'."""
    own = SourceResult(path=unit.label, kind=handler.KIND, status=SCANNED, bytes=unit.size)
    outcomes = [Outcome(own)]
    last = 0  # where the outcomes of the last member unit start
    try:
        if unit.depth >= options.limits.max_depth:
            raise LimitExceeded("depth", f"more than {options.limits.max_depth} nested containers")
        members = _members(unit, handler, options)
        for member in members:
            if stop_requested(options.stop):
                own.status, own.error = INTERRUPTED, STOPPED_BETWEEN_MEMBERS
                if isinstance(member, Unit):  # spooled, not read: listed all the same
                    outcomes.append(_not_read(member))
                members.close()  # the member it spooled is removed now
                break
            last = add_member(member, outcomes, last, options, consume, observer)
    except UsageError:
        raise  # the options are wrong (or the command refuses what it read): stop
    except ScanStopped:  # stopped while a member was spooled or decompressed
        own.status, own.error = INTERRUPTED, STOPPED_BETWEEN_MEMBERS
    except Exception as exc:  # noqa: BLE001 - recorded; what was read before stays scanned
        own.status = PARTIAL if len(outcomes) > 1 else FAILED
        own.error = safe_reason(exc)
    if own.status == SCANNED and stopped_part_way(outcomes[1:]):  # a member was stopped part-way
        own.status, own.error = INTERRUPTED, STOPPED_BETWEEN_MEMBERS
    _tell(observer, _sealed([outcomes[0]], unit, digest))
    return outcomes


def add_member(
    member: Unit | UnitFailure,
    outcomes: list[Outcome],
    last: int,
    options: ReadOptions,
    consume: Consume,
    observer: Observer | None = None,
) -> int:
    """Add what one item a container yields ends as to ``outcomes`` (a member's entries, a
    failure, or the mark of the member before it cut short by a limit, ``outcomes[last]``);
    where the last member's entries now start."""
    cut = outcomes[last].result if last < len(outcomes) else None  # the last member's (first) entry
    if isinstance(member, containers.MemberCut) and member.follows and cut is not None and cut.path == member.label:
        # that member was cut short by a limit: partial (failed if nothing was read), never clean
        cut.status = FAILED if cut.status == FAILED else PARTIAL
        cut.error = member.error if cut.error is None else f"{member.error}; {cut.error}"
        return last
    if isinstance(member, UnitFailure):
        outcomes += _tell(observer, [_failed(member.label, member.kind, member.error)])
        return last
    start = len(outcomes)
    outcomes += read_unit(member, options, consume, observer)
    return start


def read(
    sources: Sequence[str],
    options: ReadOptions,
    consume: Consume,
    observer: Observer | None = None,
    *,
    jobs: int = 1,
    known: Mapping[str, list[Outcome]] | None = None,
    finished: Finished | None = None,
    exclude: Sequence[Path] = (),
) -> list[Outcome]:
    """Every source's outcomes, in source order (``jobs`` top-level units read at once).

    A top-level unit whose label is in ``known`` is not read again: its outcomes are those
    (a resumed scan's journal). ``finished(label, outcomes)`` is called, from the thread
    that read it, for every top-level unit read to its end (not stopped part-way). The files
    of ``exclude`` (the command's own, e.g. its journal) are never read, should a folder hold them."""
    work = [item for item in top_units(sources, options) if not is_excluded(item, exclude)]
    known = known or {}

    def run(item: Unit | UnitFailure) -> list[Outcome]:
        if item.label in known:
            return known[item.label]
        if isinstance(item, UnitFailure):
            outcomes = _tell(observer, [_failed(item.label, item.kind, item.error)])
        else:
            outcomes = read_unit(item, options, consume, observer)
            if item.path is not None and outcomes:
                outcomes[0].result.medium = Medium(item.label, item.size)  # the manifest names it
        if finished is not None and not stopped_part_way(outcomes):
            finished(item.label, outcomes)
        return outcomes

    if jobs > 1 and len(work) > 1:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            per_unit = list(pool.map(run, work))
    else:
        per_unit = [run(item) for item in work]
    return [o for group in per_unit for o in group]
