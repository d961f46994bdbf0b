"""Exit codes of ``verifydel scan`` (see CONTRACT.md). Changing one breaks scripts."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    CLEAN = 0  # every source scanned completely, no leaked record found
    INTERNAL_ERROR = 1  # a bug: the report may be missing
    CANNOT_START = 2  # bad arguments, unreadable or tampered pack, wrong key
    FOUND = 3  # at least one leaked record found (whatever else happened)
    INCOMPLETE = 4  # nothing found, but a source was not scanned completely


def scan_exit_code(*, matches: int, incomplete_sources: int) -> ExitCode:
    """The exit code a finished scan ends with. A scan with gaps never exits 0."""
    if matches > 0:
        return ExitCode.FOUND
    if incomplete_sources > 0:
        return ExitCode.INCOMPLETE
    return ExitCode.CLEAN
