"""``sqlite:///PATH``: an SQLite database file named as a URI.

It is read exactly as the file given by its path: the same format reader
(``formats.sqlite.database``) reads the live tables through SQLite, read-only,
and walks the pages for the rows deleted but still on disk; its write-ahead log
and rollback journal beside it are read too. So ``sqlite:///shop.db`` and
``shop.db`` give the same matches, under labels that start with the URI.
``?table=NAME`` (or --table) limits the tables reported.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from verifydel.core.unit import Unit, UnitFailure
from verifydel.sources.databases._uri import DatabaseURI

KIND: Final = "sqlite"

#: The companions read with a database file, when they are there.
COMPANIONS: Final = ("-wal", "-journal")


def expand(uri: DatabaseURI) -> Iterator[Unit | UnitFailure]:
    label = uri.label()
    if uri.params:
        yield UnitFailure(
            label, KIND, f"unknown URI parameter {uri.params[0][0]!r} (an sqlite URI takes table= only)"
        )
        return
    path = uri.database or ""
    if not os.path.isfile(path):
        if path.startswith("/"):
            hint = "sqlite:///PATH reads /PATH; sqlite://PATH reads PATH from the current folder"
        else:
            hint = "sqlite://PATH reads PATH from the current folder; sqlite:///PATH is absolute"
        yield UnitFailure(label, KIND, f"no such database file ({hint})")
        return
    yield Unit(
        label=label,
        path=Path(path),
        size=os.path.getsize(path),
        kind=KIND,
        tables=tuple(uri.tables) or None,
    )
    for suffix in COMPANIONS:
        companion = path + suffix
        if os.path.isfile(companion):
            yield Unit(label=label + suffix, path=Path(companion), size=os.path.getsize(companion))
