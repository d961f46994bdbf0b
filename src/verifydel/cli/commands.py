"""The commands of CONTRACT.md: keygen, fingerprint, scan, info, demo."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from verifydel.cli.app import handle_errors, main, stderr_console
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
    refuse_swapped,
)
from verifydel.cli.progress import ObserverProgress
from verifydel.errors import OutputError
from verifydel.exitcodes import ExitCode, scan_exit_code
from verifydel.fingerprint.keys import generate_secret, read_key, write_key


@main.command()
@click.argument("keyfile", type=click.Path(path_type=Path, dir_okay=False))
@handle_errors
def keygen(keyfile: Path) -> None:
    """Write a new random 256-bit secret to KEYFILE (mode 0600, never overwritten)."""
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
    """
    from verifydel.core.options import ReadOptions
    from verifydel.fingerprint.build import build_pack
    from verifydel.fingerprint.pack import refuse_existing

    if not force:
        refuse_existing(out)  # before the key and the leaked set are read
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
        )
    click.echo(f"wrote pack {out}: {result.header.records:,} records, sha256 {result.sha256}")
    for label, cols in result.columns.items():
        used = ", ".join(f"{f}={'+'.join(c)}" for f, c in cols.items())
        click.echo(f"  {label}: {used}")


@main.command()
@click.argument("pack", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the metadata as JSON.")
@handle_errors
def info(pack: Path, as_json: bool) -> None:
    """Show a pack's public metadata (no key needed; never shows fingerprints)."""
    from verifydel.cli.safe_text import json_for_terminal, terminal_safe
    from verifydel.fingerprint.pack import read_header_and_sha256

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
    # The header is read without the key: any string in it may be forged, escape codes included.
    if as_json:
        click.echo(json_for_terminal(meta))
        return
    for k, v in meta.items():
        if k == "inputs":
            click.echo("inputs:")
            for item in v:
                name = terminal_safe(item["name"])
                click.echo(f"  {name}  {item.get('bytes', '?')} bytes  sha256 {terminal_safe(item['sha256'])}")
        else:
            click.echo(terminal_safe(f"{k}: {', '.join(v) if isinstance(v, list) else v}"))


@main.command()
@click.argument("sources", nargs=-1, required=True)
@click.option("--pack", "pack_path", required=True, type=click.Path(path_type=Path, dir_okay=False))
@key_option
@click.option("--json", "json_path", type=click.Path(path_type=Path, dir_okay=False), help="Write the JSON report.")
@click.option("--html", "html_path", type=click.Path(path_type=Path, dir_okay=False), help="Write the HTML report.")
@map_option
@encoding_option
@click.option("--jobs", default=1, show_default=True, type=click.IntRange(1, 64), help="Sources scanned in parallel.")
@table_option
@password_option
@follow_symlinks_option
@limit_options
@click.option("--show-values", is_flag=True, help="Put the broker's clear values of matched rows in the reports.")
@click.option("--quiet", "-q", is_flag=True, help="No terminal summary (the exit code still tells).")
@handle_errors
def scan(
    sources: tuple[str, ...],
    pack_path: Path,
    key_path: Path,
    json_path: Path | None,
    html_path: Path | None,
    maps: tuple[str, ...],
    encoding: str | None,
    jobs: int,
    tables: tuple[str, ...],
    password: str | None,
    follow_symlinks: bool,
    show_values: bool,
    quiet: bool,
    **limits: Any,
) -> None:
    """Scan every SOURCE (file, folder, or database URI: postgresql://, mysql://,
    mariadb://, sqlite:///path) against PACK and report surviving records.

    Exit 0 clean, 3 found, 4 not confirmed (a source could not be scanned completely),
    2 could not start, 1 internal error.
    """
    from verifydel.report.html_report import write_html
    from verifydel.report.json_report import write_json
    from verifydel.report.terminal import render_summary
    from verifydel.scan import ScanOptions, load_pack
    from verifydel.scan import scan as run_scan

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
    )
    with refuse_swapped(pack_path, key_path):
        pack = load_pack(pack_path, secret)
    console = stderr_console()
    with interruptible(), ObserverProgress(console) as progress:
        report = run_scan(sources, pack, options, observer=progress)
    code = scan_exit_code(matches=report.matches.height, incomplete_sources=report.incomplete_sources)
    lost = []
    for path, render in ((json_path, write_json), (html_path, write_html)):
        if path:
            try:
                render(report, path, show_values=show_values)
            except OutputError as exc:
                lost.append(str(exc))
    if not quiet:
        render_summary(report, console)
    if lost:
        # The verdict stands; a clean verdict without its evidence is not a clean result.
        for message in lost:
            click.echo(f"verifydel: error: {message}; the report was not written", err=True)
        code = ExitCode.FOUND if code == ExitCode.FOUND else ExitCode.INCOMPLETE
    sys.exit(int(code))


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
@handle_errors
def demo(directory: Path, records: int, seed: int) -> None:
    """Generate a synthetic leak and a broker folder, then fingerprint and scan them."""
    from verifydel.cli.demo_run import run_demo

    ok = run_demo(directory, records=records, seed=seed, console=stderr_console())
    sys.exit(0 if ok else int(ExitCode.INTERNAL_ERROR))
