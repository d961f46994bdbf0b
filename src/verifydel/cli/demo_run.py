"""`verifydel demo`: the whole job on synthetic data, end to end, with its own answer key."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from verifydel.cli.progress import ObserverProgress
from verifydel.demo import check_matches, make_demo
from verifydel.fingerprint.build import build_pack
from verifydel.fingerprint.keys import generate_secret, write_key
from verifydel.report.html_report import write_html
from verifydel.report.json_report import write_json
from verifydel.report.terminal import render_summary
from verifydel.scan import ScanOptions, load_pack, scan


def run_demo(directory: Path, *, records: int, seed: int, console: Console) -> bool:
    """Generate, fingerprint, scan, report; True when the scan found exactly what was planted."""
    directory.mkdir(parents=True, exist_ok=True)
    click.echo(f"1/4 generating a synthetic leak of {records:,} records and a broker folder in {directory}/")
    manifest = make_demo(directory, seed=seed, records=records)
    key = directory / "demo.key"
    key.unlink(missing_ok=True)  # the demo's own throwaway key: a new one each run
    secret = generate_secret()
    write_key(key, secret)
    pack_path = directory / "leaked.vdpack"
    click.echo(f"2/4 verifydel keygen {key}")
    click.echo(f"3/4 verifydel fingerprint {manifest.leaked} --key {key} --out {pack_path} --id-column 顧客ID")
    # the demo's own folder: its pack is made anew each run, like its key
    built = build_pack([str(manifest.leaked)], secret, pack_path, id_column="顧客ID", overwrite=True)
    click.echo(f"    {built.header.records:,} records sealed, sha256 {built.sha256[:16]}…")
    json_path, html_path = directory / "report.json", directory / "report.html"
    click.echo(f"4/4 verifydel scan {manifest.broker} --pack {pack_path} --key {key} --json {json_path} --html {html_path}")
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
    click.echo("demo " + ("passed: every survivor found, no decoy strong" if check.ok else "FAILED"))
    return check.ok
