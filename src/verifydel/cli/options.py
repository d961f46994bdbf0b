"""Option groups shared by several commands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from verifydel.formats.columns import parse_map_options


def map_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--map",
        "maps",
        multiple=True,
        metavar="FIELD=COL",
        help="Use column COL for FIELD (name, name_kana, address, postal, phone, email, birth_date). "
        "Repeat to join columns in order: --map name=姓 --map name=名.",
    )(fn)


def encoding_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--encoding",
        default=None,
        metavar="ENC",
        help="Text encoding of the files (utf-8, cp932, euc_jp, utf-16). Default: detected per file.",
    )(fn)


def key_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--key",
        "key_path",
        required=True,
        type=click.Path(path_type=Path, dir_okay=False),
        help="The key file `verifydel keygen` wrote.",
    )(fn)


def mapping_from(maps: tuple[str, ...]) -> dict[str, list[str]] | None:
    return parse_map_options(maps) if maps else None
