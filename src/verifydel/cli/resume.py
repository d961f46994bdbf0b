"""``scan --resume``: which journal a scan keeps, and whether the one it finds may be resumed.

Every scan that writes a report to a file keeps a journal beside it (``REPORT.journal``:
beside ``--json FILE``, else beside ``--html FILE``; see ``report.journal``), removed once
the report of a complete scan is written. After a crash, a ``kill -9`` or a Ctrl-C, the
same command with ``--resume`` reads only the sources the journal does not hold. A scan
with ``--show-values`` keeps none (a journal holds no clear value, and its report needs
them), so it cannot be resumed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from rich.console import Console

from verifydel.cli.outputs import STDOUT
from verifydel.errors import UsageError
from verifydel.report.journal import Journal, journal_path, scan_tag
from verifydel.scan import LoadedPack, ScanOptions


def journal_file(outputs: Mapping[str, Path | None]) -> Path | None:
    """The journal beside the first report written to a file (JSON, HTML, CSV, SARIF); None if none is."""
    for name in ("json", "html", "csv", "sarif"):
        path = outputs.get(name)
        if path is not None and str(path) != STDOUT:
            return journal_path(path)
    return None


def check_resume(resume: bool, outputs: Mapping[str, Path | None], show_values: bool) -> None:
    """Refuse, before anything is read, a --resume that cannot work (exit 2)."""
    if not resume:
        return
    if show_values:
        raise UsageError(
            "--resume cannot be used with --show-values: a scan that shows clear values keeps no journal",
            hint="resume without --show-values, or run the scan again from the start",
        )
    if journal_file(outputs) is None:
        raise UsageError(
            "--resume needs the report file the journal is kept beside",
            hint="give the same --json FILE (or --html FILE) as the scan to resume",
        )


def open_journal(
    *,
    resume: bool,
    outputs: Mapping[str, Path | None],
    sources: Sequence[str],
    options: ScanOptions,
    pack: LoadedPack,
    started_at: str,
    console: Console,
) -> Journal | None:
    """The journal this scan writes to (and, with ``resume``, reads what an earlier run finished)."""
    path = journal_file(outputs)
    if path is None or options.show_values:
        return None
    key = pack.secret.journal_key()
    tag = scan_tag(key, sources, options.identity())
    if resume and path.exists():
        journal = Journal.resume(path, key=key, pack_sha256=pack.sha256, tag=tag)
        console.print(f"verifydel: resuming: {journal.finished:,} source(s) already scanned are taken from {path}", highlight=False)
        return journal
    if resume:
        console.print(f"verifydel: no journal {path} to resume: scanning every source", highlight=False)
    elif path.exists():
        console.print(
            f"verifydel: replacing the journal of an unfinished scan {path} (to continue that scan instead, add --resume)",
            highlight=False,
        )
    return Journal.start(path, key=key, pack_sha256=pack.sha256, tag=tag, started_at=started_at)


def settle_journal(journal: Journal | None, *, interrupted: int, report_lost: bool) -> list[str]:
    """Remove the journal once the report of a complete scan is written; otherwise keep it,
    and say (the lines returned) what ``--resume`` will do with it."""
    if journal is None:
        return (
            [f"verifydel: interrupted: {interrupted:,} source(s) not read to their end are listed as interrupted"]
            if interrupted
            else []
        )
    notes = []
    if journal.failed is not None:
        notes.append(f"verifydel: warning: {journal.failed}; this scan cannot be resumed")
    elif interrupted:
        notes.append(
            f"verifydel: interrupted: {interrupted:,} source(s) not read to their end are listed as interrupted;"
            " run the same command with --resume to scan them"
        )
    elif report_lost:
        notes.append(
            f"verifydel: the scan's journal {journal.path} is kept: once the report can be written,"
            " run the same command with --resume (nothing is read again)"
        )
    if journal.failed is not None or not (interrupted or report_lost):
        journal.remove()
    return notes


__all__ = ["check_resume", "journal_file", "open_journal", "settle_journal"]
