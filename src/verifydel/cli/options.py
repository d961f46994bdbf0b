"""Option groups shared by several commands."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from verifydel.columns import parse_map_options
from verifydel.errors import KeyFileIsAPackError, PackIsAKeyFileError, SwappedPackAndKeyError, UsageError


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


def table_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--table",
        "tables",
        multiple=True,
        metavar="[SCHEMA.]NAME",
        help="Database sources only: read just this table (repeatable). Default: every table.",
    )(fn)


def password_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--password",
        default=None,
        envvar="VERIFYDEL_ARCHIVE_PASSWORD",
        help="Password for encrypted zip/7z members (or VERIFYDEL_ARCHIVE_PASSWORD). "
        "Without it they are reported locked.",
    )(fn)


def follow_symlinks_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--follow-symlinks",
        is_flag=True,
        help="Follow symbolic links that lead out of a folder given (default: reported, not "
        "followed). Pipes, devices and /proc or /sys files are never read.",
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


class ByteSize(click.ParamType):
    """A size in bytes: 123, 512K, 64M, 8G, 1T (binary: K = 1024), optionally with "iB"/"B"."""

    name = "SIZE"
    _UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        text = str(value).strip().upper().removesuffix("IB").removesuffix("B")
        number, unit = text, ""
        if text and text[-1] in self._UNITS:
            number, unit = text[:-1], text[-1]
        try:
            size = int(float(number) * self._UNITS[unit])
        except ValueError:
            self.fail(f"{value!r} is not a size (write e.g. 512M, 64G or a number of bytes)", param, ctx)
        if size <= 0:
            self.fail("a size must be positive", param, ctx)
        return size


def _limit_defaults() -> Any:
    from verifydel.core.limits import Limits

    return Limits()


def limit_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The limits on hostile media an inspector may need to raise (defaults in the README)."""
    d = _limit_defaults()
    options = [
        click.option("--max-depth", type=click.IntRange(1, 64), default=d.max_depth, show_default=True,
                     help="Containers inside containers (zip in tar in gz ...) opened at most."),
        click.option("--max-bytes", type=ByteSize(), default=d.max_source_bytes, show_default="64G",
                     help="Bytes decompressed at most for one top-level source, all members together."),
        click.option("--max-member-bytes", type=ByteSize(), default=d.max_member_bytes, show_default="8G",
                     help="Bytes decompressed at most for one archive member."),
        click.option("--max-ratio", type=click.IntRange(2, 1_000_000), default=d.max_ratio, show_default=True,
                     help="Decompressed : compressed ratio above which a member is a bomb."),
        click.option("--max-members", type=click.IntRange(1), default=d.max_members, show_default=True,
                     help="Members of one top-level source read at most."),
        click.option("--max-seconds", type=click.FloatRange(1), default=d.max_seconds, show_default=True,
                     help="Wall time for one top-level source."),
    ]  # fmt: skip
    for option in reversed(options):
        fn = option(fn)
    return fn


def limits_from(kwargs: dict[str, Any]) -> Any:
    """The ``Limits`` the limit options give (pops them from ``kwargs``)."""
    from verifydel.core.limits import Limits

    return Limits(
        max_depth=kwargs.pop("max_depth"),
        max_source_bytes=kwargs.pop("max_bytes"),
        max_member_bytes=kwargs.pop("max_member_bytes"),
        max_ratio=kwargs.pop("max_ratio"),
        max_members=kwargs.pop("max_members"),
        max_seconds=kwargs.pop("max_seconds"),
    )


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


def sign_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``--sign KEY``: sign every file written with an Ed25519 key (``keygen --signing``)."""
    return click.option(
        "--sign",
        "sign_path",
        type=click.Path(path_type=Path, dir_okay=False),
        help="Sign every report written with this key (keygen --signing): REPORT.sig beside each.",
    )(fn)


def fail_on_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``--fail-on strong|any``: what makes exit 3 (weak matches are reported either way)."""
    from verifydel.report.model import FAIL_ON

    return click.option(
        "--fail-on",
        type=click.Choice(FAIL_ON),
        default="any",
        show_default=True,
        help="Exit 3 on any match present, or only on a strong one (weak ones are still reported).",
    )(fn)


def quiet_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--quiet", "-q", is_flag=True, help="No terminal summary (the exit code still tells).")(fn)
