"""The options every command that sweeps sources shares (scan, attestation requests).

``SweepOptions`` holds what the reader needs (``reading()`` → ``ReadOptions``) and how
many sources and batches run at once; a command's options extend it with their own.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from verifydel.core.limits import Limits
from verifydel.core.options import ReadOptions
from verifydel.core.stop import StopRequest


@dataclass
class SweepOptions:
    mapping: Mapping[str, Sequence[str]] | None = None
    encoding: str | None = None
    jobs: int = 1  # sources read in parallel
    threads: int = field(default_factory=lambda: os.cpu_count() or 1)  # batches worked in parallel
    limits: Limits = field(default_factory=Limits)
    tables: Sequence[str] | None = None  # database tables to read (default: every one)
    password: str | None = field(default=None, repr=False)  # opens encrypted archive members
    follow_symlinks: bool = False  # folder walks follow links out of the folder given
    #: Set to stop the sweep early (SIGINT/SIGTERM): what was read is reported, the rest interrupted.
    stop: StopRequest | None = field(default=None, compare=False)

    def reading(self) -> ReadOptions:
        """What the reader needs of these options."""
        return ReadOptions(
            limits=self.limits,
            password=self.password,
            encoding=self.encoding,
            mapping=self.mapping,
            tables=self.tables,
            follow_symlinks=self.follow_symlinks,
            stop=self.stop,
        )


__all__ = ["SweepOptions"]
