"""Database URIs (postgresql://, mysql://, mariadb://, sqlite:///): claimed, not read yet.

Claiming them now keeps a URI from being taken for a file name ("no such file")
and gives the inspector an honest reason; a later issue reads them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from verifydel.sources.base import Unit, UnitFailure

KIND: Final = "database"

#: URI schemes of the databases verifydel will read, with an optional "+driver"
#: suffix as SQLAlchemy-style URIs write it (postgresql+psycopg://).
SCHEMES: Final[frozenset[str]] = frozenset({"postgresql", "postgres", "mysql", "mariadb", "sqlite"})

_URI: Final = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9.-]*)(?:\+[A-Za-z0-9_.-]+)?://")


def claims(source: str) -> bool:
    match = _URI.match(source)
    return match is not None and match.group("scheme").lower() in SCHEMES


def expand(source: str) -> Iterator[Unit | UnitFailure]:
    # The label must not echo a password given in the URI (user:secret@host).
    yield UnitFailure(redact_uri(source), KIND, "database sources are not supported yet")


def redact_uri(uri: str) -> str:
    """The URI with the password of its user-info part replaced by "***"."""
    return re.sub(r"^([^:/]+(?:\+[^:/]+)?://[^:/@]*):[^@/]*@", r"\1:***@", uri)
