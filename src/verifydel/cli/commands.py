"""The commands of CONTRACT.md: keygen, fingerprint, scan, info, demo."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from verifydel.cli.app import given_args, handle_errors, main, stderr_console
from verifydel.cli.interrupts import interruptible
from verifydel.cli.options import (
    fail_on_option,
    quiet_option,
    sign_option,
    encoding_option,
    follow_symlinks_option,
    key_option,
    limit_options,
    limits_from,
    map_option,
    mapping_from,
    password_option,
    table_option,
    refuse_swapped,
)
from verifydel.cli.outputs import STDOUT, check_outputs, output_path, write_output, write_stdout
from verifydel.cli.progress import ObserverProgress
from verifydel.errors import OutputError
from verifydel.exitcodes import ExitCode
from verifydel.fingerprint.keys import generate_secret, read_key, write_key


@main.command()
@click.argument("keyfile", required=False, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--signing",
    "signing",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Instead: write an Ed25519 report-signing key to FILE (mode 0600) and its public key to FILE.pub.",
)
@handle_errors
def keygen(keyfile: Path | None, signing: Path | None) -> None:
    """Write a new random 256-bit secret to KEYFILE (mode 0600, never overwritten).

    With --signing FILE: a key to sign reports with (scan --sign FILE) instead."""
    if (keyfile is None) == (signing is None):
        raise click.UsageError("give KEYFILE (the regulator's pack key) or --signing FILE (a report-signing key), not both")
    if signing is not None:
        from verifydel.report.signing import public_pem, write_signing_key

        key, public_path = write_signing_key(signing)
        click.echo(f"wrote signing key {signing} (id {key.signer().key_id}); keep it private")
        click.echo(f"wrote public key {public_path}: give it to whoever checks your reports (verifydel verify REPORT --public-key {public_path})")
        click.echo(public_pem(key.public).decode("ascii").rstrip())
        return
    assert keyfile is not None
    secret = generate_secret()
    write_key(keyfile, secret)
    click.echo(f"wrote key {keyfile} (id {secret.key_id()}); keep it secret, it opens every pack made with it")


@main.command()
@click.argument("leaked", nargs=-1, required=True)
@key_option
@click.option("--out", "out", required=True, type=click.Path(path_type=Path, dir_okay=False), help="The pack to write (never an existing file, unless --force).")
@click.option("--force", is_flag=True, help="Replace the file at --out if there is one.")
@click.option("--id-column", default=None, metavar="COL", help="The leaked set's record id column (default: row number). Never a personal field.")
@click.option("--allow-personal-id", is_flag=True, help="Accept an --id-column that holds a personal field (the pack and every report say so).")
@click.option(
    "--attest-out",
    "attest_out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write the attestation pack (.vdattest) of the same records, for brokers (verifydel attest).",
)
@map_option
@encoding_option
@table_option
@password_option
@follow_symlinks_option
@limit_options
@handle_errors
def fingerprint(
    leaked: tuple[str, ...],
    key_path: Path,
    out: Path,
    force: bool,
    id_column: str | None,
    allow_personal_id: bool,
    attest_out: Path | None,
    maps: tuple[str, ...],
    encoding: str | None,
    tables: tuple[str, ...],
    password: str | None,
    follow_symlinks: bool,
    **limits: Any,
) -> None:
    """Normalise and hash the LEAKED set into a sealed PACK.

    LEAKED is read exactly as `scan` reads its sources: files, folders, archives and
    compressed files, SQLite files, SQL dumps, live database URIs. It must be tables
    of records; anything not read completely stops the build (no partial pack).
    An existing file at --out is refused at once (exit 2) unless --force.

    With --attest-out FILE.vdattest, the attestation pack of the same records is written
    too: safe to give brokers (it tests no guess without the regulator's answers).
    """
    from verifydel.core.options import ReadOptions
    from verifydel.fingerprint.attest_file import refuse_existing_output
    from verifydel.fingerprint.build import build_pack
    from verifydel.fingerprint.pack import refuse_existing

    if not force:
        refuse_existing(out)  # before the key and the leaked set are read
        if attest_out is not None:
            refuse_existing_output(attest_out)
    secret = read_key(key_path)
    options = ReadOptions(
        limits=limits_from(limits),
        password=password,
        encoding=encoding,
        mapping=mapping_from(maps),
        tables=tables or None,
        follow_symlinks=follow_symlinks,
    )
    console = stderr_console()
    with interruptible(), ObserverProgress(console) as progress:
        result = build_pack(
            leaked,
            secret,
            out,
            id_column=id_column,
            allow_personal_id=allow_personal_id,
            options=options,
            overwrite=force,
            observer=progress,
            attest_out=attest_out,
        )
    click.echo(f"wrote pack {out}: {result.header.records:,} records, sha256 {result.sha256}")
    if result.attest_path is not None:
        click.echo(
            f"wrote attestation pack {result.attest_path}: sha256 {result.attest_sha256} "
            "(for brokers: `verifydel attest`; keep the key and the pack to yourself)"
        )
    for label, cols in result.columns.items():
        used = ", ".join(f"{f}={'+'.join(c)}" for f, c in cols.items())
        click.echo(f"  {label}: {used}")


@main.command()
@click.argument("pack", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the metadata as JSON.")
@handle_errors
def info(pack: Path, as_json: bool) -> None:
    """Show a pack's public metadata (no key needed; never shows fingerprints).

    Also an attestation pack's (.vdattest): its header, once its signature checks out."""
    from verifydel.fingerprint.attest_file import is_attestation_pack, read_attestation_pack
    from verifydel.fingerprint.pack import read_header_and_sha256

    if is_attestation_pack(pack):  # a .vdattest: its header, its signature checked
        attestation = read_attestation_pack(pack)
        _show_metadata({"file": str(pack), "sha256": attestation.sha256, "signature": "valid", **attestation.header}, as_json)
        return
    header, sha256 = read_header_and_sha256(pack)
    meta = {
        "file": str(pack),
        "sha256": sha256,
        "format": header.format,
        "tier": header.tier,
        "records": header.records,
        "normalisation": header.normalisation,
        "created_at": header.created_at,
        "tool": header.tool,
        "fields": header.fields,
        "combinations": header.combinations,
        "hash": header.hash,
        "cipher": header.cipher,
        "key_check": header.key_check,
        "inputs": header.inputs,
    }
    if header.gazetteer:  # packs written before it was recorded have none
        meta["gazetteer"] = header.gazetteer
    _show_metadata(meta, as_json)


def _show_metadata(meta: dict[str, Any], as_json: bool) -> None:
    """A pack's header, as JSON or one line a key. It is read without the key: any string in
    it may be forged, escape codes included, so every one is made safe for the terminal."""
    from verifydel.cli.safe_text import json_for_terminal, terminal_safe

    if as_json:
        click.echo(json_for_terminal(meta))
        return
    for k, v in meta.items():
        if k == "inputs":
            click.echo("inputs:")
            for item in v:
                click.echo(terminal_safe(f"  {item.get('name')}  {item.get('bytes', '?')} bytes  sha256 {item.get('sha256', '-')}"))
        elif isinstance(v, dict):  # the gazetteer: its source, version, licence, sha256
            click.echo(terminal_safe(f"{k}: " + "; ".join(f"{name} {value}" for name, value in v.items())))
        else:
            click.echo(terminal_safe(f"{k}: {', '.join(map(str, v)) if isinstance(v, list) else v}"))


@main.command()
@click.argument("sources", nargs=-1, required=True)
@click.option("--pack", "pack_path", required=True, type=click.Path(path_type=Path, dir_okay=False))
@key_option
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Write the JSON report (- for standard output; the summary stays on standard error).",
)
@click.option("--html", "html_path", type=click.Path(dir_okay=False, allow_dash=True), help="Write the HTML report.")
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Write the matches as CSV, one line per match (UTF-8 with BOM, for Excel).",
)
@click.option(
    "--sarif",
    "sarif_path",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Write a SARIF 2.1.0 log for code-scanning dashboards (never a clear value).",
)
@map_option
@encoding_option
@click.option("--jobs", default=1, show_default=True, type=click.IntRange(1, 64), help="Sources scanned in parallel.")
@table_option
@password_option
@follow_symlinks_option
@limit_options
@click.option("--show-values", is_flag=True, help="Put the broker's clear values of matched rows in the reports.")
@sign_option
@click.option("--operator", default=None, metavar="NAME", help="Who ran the scan (recorded in the report).")
@click.option("--case", "case_id", default=None, metavar="ID", help="The case or inspection id (recorded in the report).")
@fail_on_option
@click.option(
    "--resume",
    is_flag=True,
    help="Continue the scan the journal beside the report (REPORT.journal) was kept for: "
    "sources it holds are not read again. Give the same command as before.",
)
@click.option(
    "--cluster",
    "cluster",
    default=None,
    metavar="ADDRESS|local:N",
    help="Spread the scan over a Dask cluster: a scheduler's tls://HOST:PORT (or tcp://), or local:N "
    "(N worker processes here). The report is the one a local scan writes.",
)
@click.option(
    "--insecure-cluster",
    is_flag=True,
    help="Allow --cluster tcp://ADDRESS on another machine: the key then crosses the network in the clear.",
)
@quiet_option
@handle_errors
def scan(
    sources: tuple[str, ...],
    pack_path: Path,
    key_path: Path,
    json_path: str | None,
    html_path: str | None,
    csv_path: str | None,
    sarif_path: str | None,
    maps: tuple[str, ...],
    encoding: str | None,
    jobs: int,
    tables: tuple[str, ...],
    password: str | None,
    follow_symlinks: bool,
    show_values: bool,
    sign_path: Path | None,
    operator: str | None,
    case_id: str | None,
    fail_on: str,
    resume: bool,
    cluster: str | None,
    insecure_cluster: bool,
    quiet: bool,
    **limits: Any,
) -> None:
    """Scan every SOURCE (file, folder, or database URI: postgresql://, mysql://,
    mariadb://, sqlite:///path) against PACK and report surviving records.

    Exit 0 clean, 3 found (with --fail-on strong: a strong match), 4 not confirmed
    (a source could not be scanned completely), 2 could not start, 1 internal error.
    One report may be written to standard output ("-"); a reader that closes the pipe
    early (| head) ends it quietly, and the exit code stays the scan's.

    Ctrl-C (SIGINT) or SIGTERM stops the scan after the batch in hand and writes the
    report, the sources not read to their end marked interrupted (exit 4, or 3 if
    something was found); --resume then reads only those. A second Ctrl-C ends at once.
    """
    from datetime import UTC, datetime

    from verifydel.cli.record import run_info
    from verifydel.report.csv_report import render_csv
    from verifydel.cli.resume import check_resume, open_journal, settle_journal
    from verifydel.core.stop import StopRequest
    from verifydel.report.html_report import render_html
    from verifydel.report.json_report import render_json
    from verifydel.report.sarif_report import render_sarif
    from verifydel.report.terminal import render_summary
    from verifydel.scan import ScanOptions, load_pack
    from verifydel.scan import scan as run_scan

    params = click.get_current_context().params
    outputs = {
        name: output_path(raw)
        for name, raw in (("json", json_path), ("html", html_path), ("csv", csv_path), ("sarif", sarif_path))
    }
    check_outputs(
        outputs, inputs=[pack_path, key_path, *(p for p in (sign_path,) if p)], signing=sign_path is not None
    )
    check_resume(resume, outputs, show_values)
    spec = None
    if cluster is not None:
        from verifydel.cluster.client import ClusterSpec, refuse_plain_remote

        spec = ClusterSpec.parse(cluster)
        refuse_plain_remote(spec, insecure_cluster)  # before the key is read
    signing_key = None
    if sign_path is not None:
        from verifydel.report.signing import read_signing_key

        signing_key = read_signing_key(sign_path)
    with refuse_swapped(pack_path, key_path):
        secret = read_key(key_path)
    options = ScanOptions(
        mapping=mapping_from(maps),
        encoding=encoding,
        jobs=jobs,
        show_values=show_values,
        tables=tables or None,
        password=password,
        limits=limits_from(limits),
        follow_symlinks=follow_symlinks,
        stop=(stop := StopRequest()),
    )
    with refuse_swapped(pack_path, key_path):
        pack = load_pack(pack_path, secret)
    console = stderr_console()
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    journal = open_journal(resume=resume, outputs=outputs, sources=sources, options=options, pack=pack,
                           started_at=started_at, console=console)  # fmt: skip
    # A first SIGINT/SIGTERM stops the scan, which still writes its report; see cli.interrupts.
    with interruptible(stop):
        try:
            if spec is not None:
                report = _scan_on_cluster(spec, insecure_cluster, sources, pack, options, journal, console)
            else:
                with ObserverProgress(console) as progress:
                    report = run_scan(sources, pack, options, observer=progress, journal=journal)
        finally:
            if journal is not None:
                journal.close()
        report.run = run_info(given_args(), params, operator=operator, case=case_id, fail_on=fail_on)
        report.signer = signing_key.signer() if signing_key else None
        code = report.exit_code
        renderers = {"json": render_json, "html": render_html, "csv": render_csv, "sarif": render_sarif}
        lost = []
        # Files first, standard output last: a reader that stops early never costs a file.
        for name, path in sorted(outputs.items(), key=lambda item: str(item[1]) == STDOUT):
            if path:
                try:
                    text = renderers[name](report, show_values=show_values)
                    if str(path) == STDOUT:
                        write_stdout(text)
                    else:
                        write_output(text, path, signing_key)
                except OutputError as exc:
                    lost.append(str(exc))
    interrupted = report.summary["sources_interrupted"] if stop.requested else 0
    notes = settle_journal(journal, interrupted=interrupted, report_lost=bool(lost))
    if not quiet:
        render_summary(report, console)
    if lost:
        # The verdict stands; a clean verdict without its evidence is not a clean result.
        for message in lost:
            click.echo(f"verifydel: error: {message}; the report was not written", err=True)
        code = ExitCode.FOUND if code == ExitCode.FOUND else ExitCode.INCOMPLETE
    for note in notes:
        click.echo(note, err=True)
    sys.exit(int(code))


def _scan_on_cluster(spec: Any, insecure: bool, sources: tuple[str, ...], pack: Any, options: Any, journal: Any, console: Any) -> Any:
    """``scan --cluster``: the same report, read by a Dask cluster's workers (``verifydel.cluster``)."""
    from verifydel.cli.progress import ClusterProgress
    from verifydel.cluster.client import connect, fixed_malloc_note, local_threads, scan_on_cluster

    with connect(spec, insecure=insecure) as client:
        note = fixed_malloc_note(client) if spec.address is not None else None
        if note is not None:
            click.echo(note, err=True)
        with ClusterProgress(console) as progress:
            # a LocalCluster's workers share this machine's cores; a remote one's pack is sent
            return scan_on_cluster(
                sources, pack, options, client, observer=progress, journal=journal,
                send_pack=spec.address is not None, threads=local_threads(spec),
            )  # fmt: skip


@main.command()
@click.argument("report", type=click.Path(path_type=Path))
@click.argument("more_media", nargs=-1, metavar="")
@click.option("--public-key", "public_key", type=click.Path(path_type=Path, dir_okay=False), help="The signer's public key (KEY.pub); without it, the key the report names.")
@click.option("--media", multiple=True, metavar="PATH", help="Hash these files or folders again against the report's manifest (repeatable).")
@click.option("--allow-unsigned", is_flag=True, help="Check an unsigned report's consistency only (it proves nothing about who wrote it).")
@handle_errors
def verify(
    report: Path, more_media: tuple[str, ...], public_key: Path | None, media: tuple[str, ...], allow_unsigned: bool
) -> None:
    """Check REPORT's signature (REPORT.sig), its consistency and, with --media PATH...,
    hash the media again against the report's manifest.

    Exit 0 valid, 2 invalid (the reason is printed)."""
    if more_media and not media:
        raise click.UsageError("give one report; media to check go after --media (verify REPORT --media PATH...)")
    media = media + more_media
    from verifydel.report.signing import read_public_key
    from verifydel.report.verify import verify_report

    public = read_public_key(public_key) if public_key else None
    result = verify_report(report, public=public, media=media, allow_unsigned=allow_unsigned)
    if result.signed_by:
        click.echo(f"signature valid: signed by key {result.signed_by}")
        if result.signer_from_report:
            click.echo("  checked against the key the report names: pass --public-key to check who that is")
    for note in result.notes:
        click.echo(f"warning: {note}")
    if result.consistent:
        click.echo("consistent: summary, verdict and exit code follow from the sources and matches")
    if result.media_checked:
        click.echo(f"media: {result.media_checked} file(s) match the manifest")
    click.echo(f"{report}: valid")


@main.command()
@click.option(
    "--dir",
    "directory",
    default="verifydel-demo",
    show_default=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Where to write the demo data, key, pack and reports.",
)
@click.option("--records", default=3000, show_default=True, type=click.IntRange(100, 1_000_000))
@click.option("--seed", default=2023, show_default=True, type=int)
@click.option(
    "--attest",
    is_flag=True,
    help="Then the attestation round on the same data (attest request, answer, finish), checked against the scan.",
)
@handle_errors
def demo(directory: Path, records: int, seed: int, attest: bool) -> None:
    """Generate a synthetic leak and a broker folder, then fingerprint and scan them."""
    from verifydel.cli.demo_run import run_demo

    ok = run_demo(directory, records=records, seed=seed, console=stderr_console(), attest=attest)
    sys.exit(0 if ok else int(ExitCode.INTERNAL_ERROR))
