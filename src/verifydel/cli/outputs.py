"""Report outputs: checked before the scan starts, written whole (and signed) after it.

A scan can take hours; an output it cannot write must stop it before it starts, with
the reason, not after. ``check_outputs`` refuses a folder that does not exist or is not
writable, an output that is a folder, two outputs to one file, and an output that would
overwrite an input (the pack, a key). ``write_output`` writes atomically and, with a
signing key, writes ``REPORT.sig`` beside it (``report.signing``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from verifydel.errors import OutputError, UsageError
from verifydel.report._files import write_bytes_atomically
from verifydel.report.signing import SigningKey, signature_path

#: An output path that means "standard output" (``--json -``).
STDOUT = "-"


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def check_outputs(outputs: Mapping[str, Path | None], *, inputs: Iterable[Path] = ()) -> None:
    """Raise UsageError (exit 2) for an output the scan could not write at its end."""
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


__all__ = ["STDOUT", "check_outputs", "write_output"]
