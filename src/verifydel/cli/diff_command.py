"""``verifydel diff OLD NEW [MORE...]``: follow-up scans compared, oldest first (see ``report.diff``)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from verifydel.cli.app import handle_errors, main
from verifydel.cli.options import fail_on_option, quiet_option, sign_option
from verifydel.cli.outputs import STDOUT, check_outputs, write_output
from verifydel.cli.safe_text import terminal_safe
from verifydel.errors import OutputError
from verifydel.exitcodes import ExitCode
from verifydel.report.diff import Diff, LoadedReport, diff_reports

_LABEL = {ExitCode.FOUND: "FOUND", ExitCode.INCOMPLETE: "NOT CONFIRMED", ExitCode.CLEAN: "CLEAN"}


def _summary_lines(diff: Diff) -> list[str]:
    lines = []
    for step in diff.steps:
        s = step.summary
        old, new = diff.reports[step.old].file, diff.reports[step.new].file
        lines.append(
            f"{old} → {new}: gone {s['gone']:,} ({s['gone_unconfirmed']:,} not confirmed), "
            f"still present {s['still_present']:,} ({s['still_present_strong']:,} strong), new {s['new']:,}; "
            f"sources added {s['sources_added']:,}, removed {s['sources_removed']:,}, changed {s['sources_changed']:,}; "
            f"coverage worse {s['coverage_worse']:,}"
        )
    newest = diff.reports[-1]
    code = diff.exit_code
    if code == ExitCode.FOUND:
        verdict = f"{newest.records_present:,} leaked record(s) present in {newest.file}"
    elif code == ExitCode.INCOMPLETE:
        verdict = (
            f"nothing present in {newest.file}, but coverage got worse in {len(diff.coverage_worse):,} source(s) "
            f"and {len(diff.gone_unconfirmed):,} gone record(s) were not read again: deletion is not confirmed"
        )
    else:
        verdict = f"nothing present in {newest.file} and coverage not worse"
    lines.extend(f"note: {n}" for n in diff.notes)
    lines.append(f"{_LABEL[code]}: {verdict}")
    return [terminal_safe(line) for line in lines]


@main.command()
@click.argument(
    "reports",
    nargs=-1,
    required=True,
    metavar="OLD.json NEW.json [MORE.json]...",
    type=click.Path(path_type=Path),
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the diff as JSON (- for standard output).",
)
@click.option(
    "--html",
    "html_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the diff as one HTML page.",
)
@click.option(
    "--allow-different-pack",
    is_flag=True,
    help="Compare reports of scans against different packs (e.g. the same leaked set fingerprinted again).",
)
@fail_on_option
@sign_option
@quiet_option
@handle_errors
def diff(
    reports: tuple[Path, ...],
    json_path: Path | None,
    html_path: Path | None,
    allow_different_pack: bool,
    fail_on: str,
    sign_path: Path | None,
    quiet: bool,
) -> None:
    """Compare JSON reports of follow-up scans: OLD NEW, or a series oldest first.

    Per leaked record: still present, gone or new; per source: added, removed, changed
    (SHA-256); coverage that got worse (a source scanned before, partial, failed or not
    scanned now). Reports of scans against different packs are refused unless
    --allow-different-pack.

    Exit 3 when a leaked record is present in the newest report, 4 when nothing is but
    coverage got worse (deletion not confirmed), 0 otherwise, 2 on bad input.
    """
    from verifydel.report.diff_html import render_diff_html
    from verifydel.report.diff_json import render_diff_json
    from verifydel.report.loaded import load_report

    if len(reports) < 2:
        raise click.UsageError(
            "give at least two reports: OLD.json NEW.json (a series: oldest first)"
        )
    outputs = {"json": json_path, "html": html_path}
    if str(json_path) == str(html_path) == STDOUT:
        raise click.UsageError(
            "--json - and --html - both ask for standard output: give one of them a file"
        )
    check_outputs(outputs, inputs=[*reports, *(p for p in (sign_path,) if p)])
    signing_key = None
    if sign_path is not None:
        from verifydel.report.signing import read_signing_key

        signing_key = read_signing_key(sign_path)
    loaded = [LoadedReport.of(str(path), *load_report(path)) for path in reports]
    result = diff_reports(loaded, allow_different_pack=allow_different_pack, fail_on=fail_on)
    code = result.exit_code
    renderers = {"json": render_diff_json, "html": render_diff_html}
    lost = []
    for name, path in outputs.items():
        if path is None:
            continue
        text = renderers[name](result)
        if str(path) == STDOUT:
            click.echo(text, nl=False)
            continue
        try:
            write_output(text, path, signing_key)
        except OutputError as exc:
            lost.append(str(exc))
    if not quiet:
        for line in _summary_lines(result):
            click.echo(line, err=True)
    if lost:
        for message in lost:
            click.echo(f"verifydel: error: {message}; the diff was not written", err=True)
        code = ExitCode.FOUND if code == ExitCode.FOUND else ExitCode.INCOMPLETE
    sys.exit(int(code))
