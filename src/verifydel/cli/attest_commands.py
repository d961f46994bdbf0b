"""``verifydel attest request|answer|finish``: the attestation tier (see ``verifydel.attest``)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from verifydel.cli.safe_text import terminal_safe
from verifydel.cli.app import given_args, handle_errors, main, stderr_console
from verifydel.cli.interrupts import interruptible
from verifydel.cli.options import (
    encoding_option,
    follow_symlinks_option,
    key_option,
    limit_options,
    limits_from,
    map_option,
    mapping_from,
    password_option,
    table_option,
)
from verifydel.cli.outputs import STDOUT, check_outputs, output_path, write_output, write_stdout
from verifydel.cli.progress import ObserverProgress
from verifydel.errors import OutputError
from verifydel.exitcodes import ExitCode
from verifydel.report.model import FAIL_ON


@main.group()
def attest() -> None:
    """The attestation tier: a broker certifies deletion without holding the leak.

    \b
    regulator: verifydel fingerprint LEAKED --key KEY --out PACK --attest-out LEAK.vdattest
    broker:    verifydel attest request SOURCE... --out Q.vdreq      (also Q.vdreq.state, 0600)
    regulator: verifydel attest answer Q.vdreq --key KEY --out A.vdans [--max N]
    broker:    verifydel attest finish A.vdans --state Q.vdreq.state --pack LEAK.vdattest --json R.json

    The broker's phones and addresses are evaluated blind (RFC 9497 OPRF): the regulator
    sees only their number (logged in its ledger), the broker never holds a key.
    """


@attest.command("request")
@click.argument("sources", nargs=-1, required=True)
@click.option("--out", "out", required=True, type=click.Path(path_type=Path, dir_okay=False), help="The request to write (the state goes beside it: OUT.state, mode 0600).")
@click.option("--force", is_flag=True, help="Replace an existing request and state.")
@click.option("--case", "case_id", default=None, metavar="ID", help="Your case id, as the regulator gave it (written into the request).")
@click.option("--operator", default=None, metavar="NAME", help="Who made the request (written into the request).")
@map_option
@encoding_option
@click.option("--jobs", default=1, show_default=True, type=click.IntRange(1, 64), help="Sources read in parallel.")
@table_option
@password_option
@follow_symlinks_option
@limit_options
@handle_errors
def request(
    sources: tuple[str, ...],
    out: Path,
    force: bool,
    case_id: str | None,
    operator: str | None,
    maps: tuple[str, ...],
    encoding: str | None,
    jobs: int,
    tables: tuple[str, ...],
    password: str | None,
    follow_symlinks: bool,
    **limits: Any,
) -> None:
    """Read every SOURCE as `scan` does and write the blinded questions (phones and
    addresses, each once) for the regulator to answer.

    Send OUT to the regulator; keep OUT.state (your rows and the blinds): `finish` needs it.
    """
    from verifydel.attest import RequestOptions, check_request_outputs, make_request
    from verifydel.cli.record import recorded_options, redacted_command

    check_request_outputs(out, overwrite=force)
    params = click.get_current_context().params
    options = RequestOptions(
        mapping=mapping_from(maps),
        encoding=encoding,
        jobs=jobs,
        limits=limits_from(limits),
        tables=tables or None,
        password=password,
        follow_symlinks=follow_symlinks,
        case=case_id,
        operator=operator,
    )
    run = {"command": ["verifydel", *redacted_command(given_args())], "options": recorded_options(params)}
    console = stderr_console()
    with interruptible(), ObserverProgress(console) as progress:
        result = make_request(sources, out, options, observer=progress, run=run, overwrite=force)
    gaps = sum(1 for s in result.sources if s.status != "scanned")
    click.echo(
        f"wrote request {result.path}: {result.points:,} questions from {result.rows:,} rows with a phone or an "
        f"address, {len(result.sources):,} source(s) read{f' ({gaps:,} not completely)' if gaps else ''}; "
        f"sha256 {result.sha256}"
    )
    click.echo(f"wrote state {result.state_path} (mode 0600): keep it, `verifydel attest finish` needs it")
    click.echo(f"send {result.path.name} to the regulator; it answers with `verifydel attest answer {result.path.name} ...`")
    for source in result.sources:  # nothing silently skipped: the finish report will list these as gaps
        if source.status != "scanned":
            click.echo(
                terminal_safe(f"warning: {source.path} ({source.status}): {source.error or 'not read completely'}"),
                err=True,
            )
    if gaps:
        click.echo(
            "warning: the report `attest finish` writes will not confirm deletion (exit 4 at best) "
            "until every source is read completely",
            err=True,
        )


@attest.command("answer")
@click.argument("request_path", metavar="REQUEST", type=click.Path(path_type=Path, dir_okay=False))
@key_option
@click.option("--out", "out", required=True, type=click.Path(path_type=Path, dir_okay=False), help="The answer to write.")
@click.option("--max", "max_points", type=click.IntRange(0), default=None, metavar="N", help="Refuse a request of more than N questions (the broker's declared size).")
@click.option("--case", "case_id", default=None, metavar="ID", help="The case the ledger counts this answer under (default: the case the request names).")
@click.option("--ledger", "ledger", type=click.Path(path_type=Path, dir_okay=False), default=None, help="The ledger to append to (default: KEY.ledger beside the key file).")
@click.option("--force", is_flag=True, help="Replace an existing answer file.")
@handle_errors
def answer(
    request_path: Path, key_path: Path, out: Path, max_points: int | None, case_id: str | None, ledger: Path | None, force: bool
) -> None:
    """Evaluate a broker's REQUEST blind under the key, sign the answer, log it in the ledger.

    Refused (exit 2): more questions than --max, a repeated point, a point that is not a
    valid group element or is the identity. Nothing is answered or logged then.
    """
    from verifydel.attest import answer_request, default_ledger
    from verifydel.fingerprint.attest_keys import AttestKey
    from verifydel.fingerprint.keys import read_key

    if out.exists() and not force:
        from verifydel.fingerprint.attest_file import refuse_existing_output

        refuse_existing_output(out)
    secret = read_key(key_path)
    ledger = ledger or default_ledger(key_path)
    with interruptible():
        result = answer_request(
            request_path, AttestKey.from_secret(secret), out, ledger=ledger, max_points=max_points,
            case=case_id, overwrite=force,
        )  # fmt: skip
    case = result.case or "(no case id)"
    click.echo(f"wrote answer {result.path}: {result.points:,} questions answered, sha256 {result.sha256}")
    click.echo(
        f"ledger {result.ledger}: case {case} has asked {result.case_points:,} questions in "
        f"{result.case_answers:,} answer(s)"
    )


@attest.command("finish")
@click.argument("answer_path", metavar="ANSWER", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--state", "state_path", required=True, type=click.Path(path_type=Path, dir_okay=False), help="The state `attest request` wrote beside the request (Q.vdreq.state).")
@click.option("--pack", "pack_path", required=True, type=click.Path(path_type=Path, dir_okay=False), help="The regulator's attestation pack (.vdattest).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, allow_dash=True), help="Write the JSON report (- for standard output).")
@click.option("--html", "html_path", type=click.Path(dir_okay=False, allow_dash=True), help="Write the HTML report.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, allow_dash=True), help="Write the matches as CSV.")
@click.option("--sarif", "sarif_path", type=click.Path(dir_okay=False, allow_dash=True), help="Write a SARIF 2.1.0 log.")
@click.option("--sign", "sign_path", type=click.Path(path_type=Path, dir_okay=False), help="Sign every report written with this key (keygen --signing).")
@click.option("--fail-on", type=click.Choice(FAIL_ON), default="any", show_default=True, help="Exit 3 on any match, or only on a strong one.")
@click.option("--quiet", "-q", is_flag=True, help="No terminal summary (the exit code still tells).")
@handle_errors
def finish(
    answer_path: Path,
    state_path: Path,
    pack_path: Path,
    json_path: str | None,
    html_path: str | None,
    csv_path: str | None,
    sarif_path: str | None,
    sign_path: Path | None,
    fail_on: str,
    quiet: bool,
) -> None:
    """Check the regulator's ANSWER, unblind it and write the usual report (tier attestation).

    Exit 0 clean, 3 found, 4 not confirmed (a source was not read completely), 2 refused:
    an answer from another key, for another request, or changed.
    """
    from verifydel.attest import finish as run_finish
    from verifydel.cli.record import run_info
    from verifydel.report.csv_report import render_csv
    from verifydel.report.html_report import render_html
    from verifydel.report.json_report import render_json
    from verifydel.report.sarif_report import render_sarif
    from verifydel.report.terminal import render_summary

    params = click.get_current_context().params
    outputs = {
        name: output_path(raw)
        for name, raw in (("json", json_path), ("html", html_path), ("csv", csv_path), ("sarif", sarif_path))
    }
    check_outputs(
        outputs, inputs=[answer_path, state_path, pack_path, *(p for p in (sign_path,) if p)], signing=sign_path is not None
    )
    signing_key = None
    if sign_path is not None:
        from verifydel.report.signing import read_signing_key

        signing_key = read_signing_key(sign_path)
    finished = run_finish(answer_path, state_path, pack_path)
    report = finished.report
    state = finished.state.header
    report.run = run_info(
        given_args(), params, operator=state.get("operator"), case=state.get("case"), fail_on=fail_on
    )
    request_run = state.get("run") if isinstance(state.get("run"), dict) else {}
    request_options = request_run.get("options") if isinstance(request_run.get("options"), dict) else {}
    report.run.options["sources"] = request_options.get("sources", [])  # what `diff` compares
    report.run.options["request"] = {
        "command": request_run.get("command", []),
        "sha256": state.get("request_sha256"),
        "answer_sha256": finished.answer.sha256,
    }
    report.signer = signing_key.signer() if signing_key else None
    code = report.exit_code
    renderers = {"json": render_json, "html": render_html, "csv": render_csv, "sarif": render_sarif}
    lost = []
    for name, path in sorted(outputs.items(), key=lambda item: str(item[1]) == STDOUT):
        if path:
            try:
                text = renderers[name](report)
                if str(path) == STDOUT:
                    write_stdout(text)
                else:
                    write_output(text, path, signing_key)
            except OutputError as exc:
                lost.append(str(exc))
    if not quiet:
        render_summary(report, stderr_console())
    if lost:
        for message in lost:
            click.echo(f"verifydel: error: {message}; the report was not written", err=True)
        code = ExitCode.FOUND if code == ExitCode.FOUND else ExitCode.INCOMPLETE
    sys.exit(int(code))
