"""Report outputs: checked before the scan starts, written whole (and signed) after it.

A scan can take hours; an output it cannot write must stop it before it starts, with
the reason, not after. ``check_outputs`` refuses a folder that does not exist or is not
writable, an output that is a folder, two outputs to one file, and an output that would
overwrite an input (the pack, a key). ``write_output`` writes atomically and, with a
signing key, writes ``REPORT.sig`` beside it (``report.signing``).

One report may go to standard output instead (``--json -``): ``write_stdout``. Everything
for the human (summary, progress, errors) goes to standard error, so standard output holds
the report's bytes and nothing else. A reader that stops early (``| head``) closes the pipe:
that ends the writing quietly, and the scan keeps its exit code.
"""

from __future__ import annotations

import os
import select
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

from verifydel.cli.safe_text import terminal_safe
from verifydel.errors import OutputError, UsageError
from verifydel.report._files import write_bytes_atomically
from verifydel.report.signing import SigningKey, signature_path

#: An output path that means "standard output" (``--json -``).
STDOUT = "-"


def output_path(raw: str | None) -> Path | None:
    """An output option's value as given: "-" is standard output (``Path(STDOUT)``); a file
    named "-" (given as ``./-``) is made absolute, so that it is never taken for it."""
    if raw is None:
        return None
    if raw == STDOUT:
        return Path(STDOUT)
    path = Path(raw)
    return path.absolute() if str(path) == STDOUT else path


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def check_outputs(
    outputs: Mapping[str, Path | None], *, inputs: Iterable[Path] = (), signing: bool = False
) -> None:
    """Raise UsageError (exit 2) for an output the scan could not write at its end.

    At most one output may be standard output ("-"), and not when reports are signed (the
    signature is a file beside the report)."""
    to_stdout = [name for name, path in outputs.items() if path is not None and str(path) == STDOUT]
    if len(to_stdout) > 1:
        first, second = to_stdout[:2]
        raise UsageError(
            f"--{first} - and --{second} - both ask for standard output", hint="write all but one of them to a file"
        )
    if to_stdout and signing:
        raise UsageError(
            f"--{to_stdout[0]} - cannot be signed: --sign writes REPORT.sig beside a report file",
            hint=f"give --{to_stdout[0]} a file name, or leave out --sign",
        )
    given = [(name, path) for name, path in outputs.items() if path is not None and str(path) != STDOUT]
    inputs = list(inputs)
    for i, (name, path) in enumerate(given):
        folder = path.parent if str(path.parent) else Path(".")
        if path.is_dir():
            raise UsageError(f"--{name} {path} is a folder", hint="give a file name for the report")
        if not folder.is_dir():
            raise UsageError(f"--{name} {path}: folder {folder} does not exist", hint="create it first, or give another path")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise UsageError(f"--{name} {path}: folder {folder} is not writable", hint="give a folder you may write to")
        for other_name, other in given[:i]:
            if _same(path, other):
                raise UsageError(f"--{name} and --{other_name} name the same file {path}", hint="give each report its own file")
        for source in inputs:
            if _same(path, source):
                raise UsageError(f"--{name} {path} would overwrite an input of the scan", hint="give the report another name")


def write_output(text: str, path: Path, signing_key: SigningKey | None) -> None:
    """Write ``text`` to ``path`` whole; with a key, its signature to ``path.sig`` too.

    The signature is made over the exact bytes written; the report is written first, so a
    failure leaves a report without signature (which ``verify`` rejects), never a
    signature of something else."""
    data = text.encode("utf-8")
    sig = signature_path(path)
    try:
        sig.unlink(missing_ok=True)  # an older signature must not stand beside a new report
    except OSError as exc:
        raise OutputError(f"cannot replace {sig}: {(exc.strerror or '').lower()}") from None
    write_bytes_atomically(data, path)
    if signing_key is not None:
        write_bytes_atomically(signing_key.sign(data), sig)


def for_terminal(text: str) -> str:
    """``text`` with every character that could drive a terminal shown as ``\\uXXXX``.

    Paths come from hostile media; JSON escapes C0 controls only, CSV none. Line ends stay
    (CRLF too), and so does the CSV's BOM; a lone CR, which would let a path overwrite its own line, does not. Inside a
    JSON string the escape means the same character, so JSON stays the same value."""
    return "\r\n".join(terminal_safe(line, keep="\n\t\ufeff") for line in text.split("\r\n"))


def _silence_stdout() -> None:
    """Point file descriptor 1 at /dev/null, so that nothing left in a buffer (flushed at
    exit) meets the closed pipe again and Python complains about it."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return  # not a real file (a test runner's capture): nothing to flush at exit
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


def write_stdout(text: str) -> None:
    """Write ``text`` (UTF-8) to standard output; on a terminal, made safe to look at.

    A closed pipe (the reader stopped early, as ``head`` does) ends it quietly. Any other
    failure (a full disk behind a redirection) raises OutputError: the report is lost."""
    if sys.stdout.isatty():
        text = for_terminal(text)
    data = memoryview(text.encode("utf-8"))
    try:
        sys.stdout.flush()
        stream = sys.stdout.buffer
        # Unbuffered (python -u, PYTHONUNBUFFERED) this is the raw file, whose write may take
        # only part of the bytes (a pipe whose reader left) and say so by its count alone.
        while data.nbytes:
            written = stream.write(data)
            if not written:  # a non-blocking descriptor that is full: wait until it drains
                select.select([], [stream], [])
                continue
            data = data[written:]
        stream.flush()
    except BrokenPipeError:
        _silence_stdout()
    except OSError as exc:
        _silence_stdout()
        raise OutputError(f"cannot write to standard output: {(exc.strerror or type(exc).__name__).lower()}") from None


__all__ = ["STDOUT", "check_outputs", "for_terminal", "output_path", "write_output", "write_stdout"]
