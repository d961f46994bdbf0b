"""What a command passes down to the reader: one object, built once by the CLI.

Nothing below the CLI reads a global for these: the archive password, the limits
on hostile media, the encoding override, the column mapping and the database
tables asked for all travel here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from verifydel.core.limits import Budget, Limits
from verifydel.core.stop import StopRequest


@dataclass(frozen=True)
class ReadOptions:
    limits: Limits = field(default_factory=Limits)
    #: Opens encrypted archive members (zip, 7z); never written anywhere.
    password: str | None = field(default=None, repr=False)
    #: Text encoding forced on every text source (--encoding); None: detected.
    encoding: str | None = None
    #: field → columns (--map); None: columns recognised from headers and values.
    mapping: Mapping[str, Sequence[str]] | None = None
    #: Database tables to read (--table); None: every one.
    tables: Sequence[str] | None = None
    #: A text table with no phone or address column is searched as free text (scan); off,
    #: it stays a table and the command says what is missing (fingerprint).
    free_text: bool = True
    #: A folder walk follows symbolic links out of the folder given (--follow-symlinks); off,
    #: such a link is a failed source. Special and kernel-interface files are never opened.
    follow_symlinks: bool = False
    #: Asked to stop (SIGINT/SIGTERM): the reader ends what it reads as ``interrupted`` and
    #: starts nothing more. None: the reading cannot be stopped this way.
    stop: StopRequest | None = field(default=None, compare=False)

    def budget(self) -> Budget:
        """A new budget for one top-level source."""
        return Budget(self.limits, self.password, self.stop)


__all__ = ["ReadOptions"]
