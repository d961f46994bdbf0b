"""The terminal summary after a scan: a table of sources, their errors and notes, the verdict.

The CLI hands over its ``rich.console.Console``; nothing here prints on its own. Every string
from the scanned media goes in as ``rich.text.Text`` (never parsed as markup) with control
and bidi-override characters made visible, so a hostile path cannot restyle the table or
send escape sequences to the inspector's terminal.
"""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from verifydel.report._matches import per_source_counts
from verifydel.report._text import visible
from verifydel.report._verdict import local_time, verdict_of
from verifydel.report.model import SCANNED, Report, SourceResult

#: Sources scanned completely without a match or note shown before the rest are summed up in
#: one line (failed, partial, matched and annotated sources are always listed).
MAX_CLEAN_SOURCES_LISTED = 20

#: source path -> (matched rows, strong, weak)
_Counts = dict[str, tuple[int, int, int]]

STATUS_STYLES: dict[str, str] = {"scanned": "green", "partial": "yellow", "failed": "bold red", "interrupted": "yellow"}
VERDICT_STYLES: dict[str, str] = {
    "FOUND": "bold white on red",
    "NOT CONFIRMED": "bold black on yellow",
    "CLEAN": "bold white on green",
}


def _text(value: str | None, style: str = "") -> Text:
    return Text(visible(value or ""), style=style)


def _count(value: int | None, style: str = "") -> Text:
    return Text("-" if value is None else f"{value:,}", style=style)


def _problems(sources: list[SourceResult]) -> Text | None:
    """Each source's error (red) and notes (dim) under its path; None if there are none."""
    lines: list[Text] = []
    for source in sources:
        if not source.error and not source.notes:
            continue
        lines.append(
            Text.assemble(
                _text(source.path, "bold"),
                " (",
                _text(source.status, STATUS_STYLES.get(source.status, "")),
                ")",
            )
        )
        if source.error:
            lines.append(Text.assemble("  error: ", _text(source.error, "red")))
        lines += [Text.assemble("  note: ", _text(note, "dim")) for note in source.notes]
    return Text("\n").join([Text("Errors and notes", style="bold"), *lines]) if lines else None


def _listed_sources(report: Report, counts: _Counts) -> tuple[list[SourceResult], int]:
    """Sources to list (report order) and how many clean ones were left out."""
    listed: list[SourceResult] = []
    clean_listed = 0
    for source in report.sources:
        clean = source.status == SCANNED and source.path not in counts and not source.notes
        if clean and clean_listed >= MAX_CLEAN_SOURCES_LISTED:
            continue
        clean_listed += clean
        listed.append(source)
    return listed, len(report.sources) - len(listed)


def _sources_table(listed: list[SourceResult], left_out: int, counts: _Counts) -> Table:
    table = Table(title="Sources", title_justify="left")
    table.add_column("Source", overflow="fold", ratio=1, min_width=16)
    table.add_column("Kind")
    table.add_column("Status")
    table.add_column("Rows", justify="right")
    table.add_column("Matched", justify="right")
    table.add_column("Strong", justify="right")
    table.add_column("Weak", justify="right")
    for source in listed:
        matched, strong, weak = counts.get(source.path, (0, 0, 0))
        table.add_row(
            _text(source.path),
            _text(source.kind),
            _text(source.status, STATUS_STYLES.get(source.status, "")),
            _count(source.rows),
            _count(matched, "bold red" if matched else ""),
            _count(strong, "red" if strong else ""),
            _count(weak, "yellow" if weak else ""),
        )
    if left_out:
        table.add_row(Text(f"… {left_out:,} more sources scanned completely, no match", "dim"))
    return table


class _AtWidth:
    """A renderable drawn ``width`` cells wide, whatever the console's width."""

    def __init__(self, renderable: RenderableType, width: int) -> None:
        self.renderable, self.width = renderable, width

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield from console.render(self.renderable, options.update_width(self.width))


def _print_table(table: Table, console: Console) -> None:
    """On a terminal the table fits the screen (a long path folds in its cell). In a pipe or
    a file no screen wraps lines: the table is as wide as its longest path, which stays whole
    on its row (a path cut mid-name cannot be searched for or copied)."""
    if console.is_terminal:
        console.print(table)
        return
    needed = Measurement.get(console, console.options.update_width(1 << 20), table).maximum
    console.print(_AtWidth(table, max(console.width, needed)), crop=False)


def render_summary(report: Report, console: Console) -> None:
    """Print the per-source table, errors and notes, the totals and the verdict line."""
    summary = report.summary
    verdict = verdict_of(report)
    counts = per_source_counts(report)
    listed, left_out = _listed_sources(report, counts)
    _print_table(_sources_table(listed, left_out, counts), console)
    unwrapped = None if console.is_terminal else True  # no screen to wrap lines for
    problems = _problems(listed)
    if problems is not None:
        console.print(problems, soft_wrap=unwrapped)
    console.print(
        Text.assemble(
            "Rows scanned ",
            (f"{summary['rows_scanned']:,}", "bold"),
            " · matched rows ",
            (f"{summary['matched_rows']:,}", "bold"),
            f" ({summary['strong']:,} strong, {summary['weak']:,} weak)",
            " · leaked records ",
            (f"{summary['matched_records']:,}", "bold"),
            f" · sources {len(report.sources):,} ({summary['sources_failed']:,} failed,"
            f" {summary['sources_partial']:,} partial"
            + (f", {summary['sources_interrupted']:,} interrupted)" if summary["sources_interrupted"] else ")"),
        ),
        soft_wrap=unwrapped,
    )
    console.print(_run_line(report))
    console.print(
        Text.assemble(
            (f" {verdict.label} ", VERDICT_STYLES[verdict.label]), " ", _text(verdict.detail_en)
        ),
        soft_wrap=unwrapped,
    )


def _run_line(report: Report) -> Text:
    """When (in the inspector's time zone, and UTC), for which case, signed by whom."""
    run = report.run
    parts = [
        Text.assemble(
            "Scanned ",
            _text(local_time(report.started_at, run.utc_offset)),
            " – ",
            _text(local_time(report.finished_at, run.utc_offset)),
            f" {run.time_zone}" if run.time_zone else "",
            " (UTC ",
            _text(report.started_at),
            ")",
        )
    ]
    if run.operator or run.case:
        parts.append(Text.assemble(" · operator ", _text(run.operator or "-"), " · case ", _text(run.case or "-")))
    if report.pack.tier != "full":
        parts.append(Text.assemble(" · tier ", _text(report.pack.tier, "bold")))
    if report.signer:
        parts.append(Text.assemble(" · signed by key ", _text(report.signer.key_id, "bold")))
    return Text.assemble(*parts)
