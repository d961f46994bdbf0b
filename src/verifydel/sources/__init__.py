"""Sources: where bytes come from. Each source string expands to units (or failures).

Public API: ``expand(source) -> Iterator[Unit | UnitFailure]``.

A source kind is a module with ``KIND``, ``claims(source) -> bool`` and
``expand(source) -> Iterator[Unit | UnitFailure]``; adding one is one module plus
one line in ``SOURCE_KINDS``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from types import ModuleType
from typing import Final

from verifydel.sources import databases, files
from verifydel.core.unit import Unit, UnitFailure

#: Tried in order; the first that claims a source expands it. Specific kinds
#: recognised by their form (a URI scheme) come first; files claim anything,
#: so they come last.
SOURCE_KINDS: Final[tuple[ModuleType, ...]] = (
    databases,
    files,
)


def expand(
    source: str, *, tables: Sequence[str] | None = None, follow_symlinks: bool = False
) -> Iterator[Unit | UnitFailure]:
    """The units of one source as given on the command line, in a stable order.

    ``tables`` (the CLI's --table) limits database sources to those tables;
    ``follow_symlinks`` (--follow-symlinks) lets a folder walk follow links out of
    the folder. A source kind takes an option when its module lists it in ``OPTIONS``.
    """
    given = {"tables": tables or None, "follow_symlinks": follow_symlinks}
    for kind in SOURCE_KINDS:
        if kind.claims(source):
            takes = getattr(kind, "OPTIONS", ())
            yield from kind.expand(source, **{k: v for k, v in given.items() if v and k in takes})
            return


__all__ = ["SOURCE_KINDS", "Unit", "UnitFailure", "expand"]
