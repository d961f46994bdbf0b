"""`verifydel demo`: the whole job on synthetic data, end to end, with its own answer key."""

from __future__ import annotations

from pathlib import Path

import click
import polars as pl
from rich.console import Console

from verifydel.attest import answer_request, finish, make_request
from verifydel.cli.progress import ObserverProgress
from verifydel.demo import check_matches, make_demo
from verifydel.fingerprint.attest_keys import AttestKey
from verifydel.fingerprint.build import build_pack
from verifydel.fingerprint.keys import Secret, generate_secret, write_key
from verifydel.report.html_report import write_html
from verifydel.report.json_report import write_json
from verifydel.report.model import Report
from verifydel.report.terminal import render_summary
from verifydel.scan import LoadedPack, ScanOptions, load_pack, scan


def run_demo(directory: Path, *, records: int, seed: int, console: Console, attest: bool = False) -> bool:
    """Generate, fingerprint, scan, report; True when the scan found exactly what was planted.

    With ``attest``, then the attestation round on the same data (request, answer,
    finish); True only if it also finds exactly what the scan found."""
    directory.mkdir(parents=True, exist_ok=True)
    steps = 7 if attest else 4
    click.echo(f"1/{steps} generating a synthetic leak of {records:,} records and a broker folder in {directory}/")
    manifest = make_demo(directory, seed=seed, records=records)
    key = directory / "demo.key"
    key.unlink(missing_ok=True)  # the demo's own throwaway key: a new one each run
    secret = generate_secret()
    write_key(key, secret)
    pack_path = directory / "leaked.vdpack"
    attest_path = directory / "leaked.vdattest" if attest else None
    click.echo(f"2/{steps} verifydel keygen {key}")
    also = f" --attest-out {attest_path}" if attest_path else ""
    click.echo(f"3/{steps} verifydel fingerprint {manifest.leaked} --key {key} --out {pack_path} --id-column 顧客ID{also}")
    # the demo's own folder: its pack is made anew each run, like its key
    built = build_pack(
        [str(manifest.leaked)], secret, pack_path, id_column="顧客ID", overwrite=True, attest_out=attest_path
    )
    click.echo(f"    {built.header.records:,} records sealed, sha256 {built.sha256[:16]}…")
    json_path, html_path = directory / "report.json", directory / "report.html"
    click.echo(f"4/{steps} verifydel scan {manifest.broker} --pack {pack_path} --key {key} --json {json_path} --html {html_path}")
    pack = load_pack(pack_path, secret)
    with ObserverProgress(console) as progress:
        report = scan([str(manifest.broker)], pack, ScanOptions(), observer=progress)
    write_json(report, json_path)
    write_html(report, html_path)
    render_summary(report, console)
    check = check_matches(manifest, report.matches.iter_rows(named=True))
    decoys = len(manifest.decoys)
    click.echo("")
    click.echo(f"planted survivors: {len(manifest.survivors)}, found as strong: {len(check.found)}, missed: {len(check.missed)}")
    click.echo(f"decoys: {decoys}, found as strong: {len(check.strong_decoys)}")
    if check.unplanned_rows:
        click.echo(f"matched rows that were not planted: {len(check.unplanned_rows)}")
    click.echo(f"reports: {json_path}  {html_path}")
    same = True
    if attest_path is not None:
        same = _attestation_round(directory, manifest.broker, key, secret, attest_path, pack, report, steps, console)
    ok = check.ok and same
    click.echo("demo " + ("passed: every survivor found, no decoy strong" if ok else "FAILED"))
    return ok


def _attestation_round(
    directory: Path, broker: Path, key: Path, secret: Secret, attest_path: Path, pack: LoadedPack, scanned: Report,
    steps: int, console: Console,
) -> bool:  # fmt: skip
    """request → answer → finish on the same broker folder; True when it finds what the scan found."""
    request, answer = directory / "request.vdreq", directory / "answer.vdans"
    state, ledger = directory / "request.vdreq.state", directory / "demo.key.ledger"
    for stale in (request, state, answer, ledger):
        stale.unlink(missing_ok=True)  # the demo's own files, made anew each run
    click.echo("")
    click.echo(f"5/{steps} verifydel attest request {broker} --out {request}        (the broker: no key, no pack)")
    made = make_request([str(broker)], request)
    click.echo(f"    {made.points:,} blinded questions (each phone and address once), state in {state} (0600)")
    click.echo(f"6/{steps} verifydel attest answer {request} --key {key} --out {answer}   (the regulator)")
    answered = answer_request(request, AttestKey.from_secret(secret), answer, ledger=ledger)
    click.echo(f"    {answered.points:,} answered, logged in {ledger}")
    json_path, html_path = directory / "report-attest.json", directory / "report-attest.html"
    click.echo(
        f"7/{steps} verifydel attest finish {answer} --state {state} --pack {attest_path} --json {json_path} --html {html_path}"
    )
    report = finish(answer, state, attest_path).report
    write_json(report, json_path)
    write_html(report, html_path)
    render_summary(report, console)
    ids = pack.contents.records["record_id"]
    n = report.matches["record_id"].str.strip_prefix("#").cast(pl.Int64) - 1
    keys = ["source", "row", "record_id", "strength"]
    mine = report.matches.with_columns(ids.gather(n).alias("record_id")).select(keys).sort(keys)
    same = mine.equals(scanned.matches.select(keys).sort(keys))
    click.echo(
        f"attestation round: {report.matches.height:,} matches, "
        + ("the same rows, records and strengths as the scan with the full pack" if same else "NOT the same as the scan")
    )
    click.echo(f"reports: {json_path}  {html_path}")
    return same
