"""Option groups shared by several commands."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from verifydel.errors import KeyFileIsAPackError, PackIsAKeyFileError, SwappedPackAndKeyError, UsageError
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


def _check_encoding(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """An unknown --encoding is a usage error (exit 2) before anything is read, not a failure per source."""
    from verifydel.decoders import canonical_encoding

    if value is None:
        return None
    try:
        canonical_encoding(value)
    except UsageError:
        raise click.BadParameter(
            f"{value!r} is not a text encoding Python knows; "
            "useful ones: utf-8, cp932 (Shift_JIS as Windows writes it), euc_jp, utf-16",
            ctx=ctx,
            param=param,
        ) from None
    return value


def encoding_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--encoding",
        default=None,
        metavar="ENC",
        callback=_check_encoding,
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


@contextmanager
def refuse_swapped(pack_path: Path, key_path: Path) -> Iterator[None]:
    """A pack given as --key, or a key file as --pack: say so (exit 2) instead of a decoding error."""
    try:
        yield
    except KeyFileIsAPackError:
        raise SwappedPackAndKeyError(
            f"--pack and --key seem swapped: --key {key_path} is a verifydel pack",
            hint=f"give the pack as --pack and the key file as --key (--pack {key_path} --key ...)",
        ) from None
    except PackIsAKeyFileError:
        raise SwappedPackAndKeyError(
            f"--pack and --key seem swapped: --pack {pack_path} is a verifydel key file, not a pack",
            hint="give the .vdpack file as --pack and the key file as --key",
        ) from None
