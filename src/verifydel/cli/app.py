"""The command line: thin click commands. Parse options, call one library function, render, exit.

This is the one place that turns exceptions into messages and exit codes.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import click
from rich.console import Console

from verifydel import __version__
from verifydel.errors import VerifydelError
from verifydel.exitcodes import ExitCode

F = TypeVar("F", bound=Callable[..., Any])


def stderr_console() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def fail(message: str, code: ExitCode) -> None:
    from verifydel.cli.safe_text import terminal_safe

    click.echo(f"verifydel: error: {terminal_safe(message, keep=chr(10))}", err=True)
    sys.exit(int(code))


@contextlib.contextmanager
def _cleanup_on_signals() -> Iterator[None]:
    """SIGINT and SIGTERM end the command at once, and no temporary file survives it.

    Members spooled, decompressed or decrypted (``--password``) and transcoded copies
    are removed; the exit code is 4 (deletion not confirmed: the scan did not finish).
    In-process callers (tests) get their handlers back afterwards.
    """
    from verifydel.core import tempfiles

    # Python finds the temporary folder by writing and removing a probe file there, once,
    # on first use: do it now, before the handlers, so that a signal never strands the probe.
    tempfile.gettempdir()

    def stop(signum: int, frame: object) -> None:
        tempfiles.remove_all(closing=True)
        name = signal.Signals(signum).name
        os.write(2, f"verifydel: interrupted ({name}): stopped, temporary files removed\n".encode())
        os._exit(int(ExitCode.INCOMPLETE))

    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, stop)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        tempfiles.remove_all()


def handle_errors(fn: F) -> F:
    """Library errors → a clear message and exit 2; anything else is a bug → exit 1.

    An unexpected exception's message is not shown (it might quote a cell
    value); set VERIFYDEL_DEBUG=1 to see the traceback.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            with _cleanup_on_signals():
                return fn(*args, **kwargs)
        except VerifydelError as exc:
            fail(str(exc), ExitCode.CANNOT_START)
        except (click.exceptions.Exit, click.ClickException, SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:  # noqa: BLE001
            if os.environ.get("VERIFYDEL_DEBUG"):
                raise
            fail(
                f"internal error ({type(exc).__name__}); this is a verifydel bug. "
                "Run again with VERIFYDEL_DEBUG=1 for the traceback.",
                ExitCode.INTERNAL_ERROR,
            )

    return wrapper  # type: ignore[return-value]


class _Group(click.Group):
    """The command group, keeping the arguments it was given (the report records them)."""

    given_args: list[str] = []

    def main(self, args: Any = None, *rest: Any, **kwargs: Any) -> Any:
        _Group.given_args = list(sys.argv[1:] if args is None else args)
        return super().main(args, *rest, **kwargs)


def given_args() -> list[str]:
    """The command line after ``verifydel``, as given."""
    return list(_Group.given_args)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="verifydel")
def main() -> None:
    """verifydel: prove whether leaked personal data is really gone.

    The regulator fingerprints the leaked set into a sealed pack (keygen,
    fingerprint); an inspector or the broker scans files and folders against it
    (scan) and gets an evidence report. Try `verifydel demo` first.
    """

