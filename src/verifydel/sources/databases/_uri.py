"""Database URIs: parsed once, shown only without their password.

    postgresql://user[:password]@host[:port][/database][?libpq-params][&table=schema.name]...
    postgres://...                      (the same)
    mysql://user[:password]@host[:port][/database][?table=name]...   (mariadb:// the same)
    sqlite:///absolute/path/file.db[?table=name]...   sqlite://relative/path/file.db

A "+driver" suffix after the scheme (postgresql+psycopg://, mysql+pymysql://) is
accepted and ignored. ``table`` may be repeated; without it every table is scanned.
A URI without a database (server engines) means every database the user can see.

Labels never carry the password (replaced by "***") nor the query string (which
may hold ``password=`` or key file paths): a label is
``scheme://user[:***]@host[:port]/database`` as given, and a table's label adds
``!/schema.table`` (PostgreSQL) or ``!/table`` (MariaDB, SQLite).

Passwords should be percent-encoded, but one written raw is still found whatever
it holds (``#``, ``?``, ``/``, ``@``, ``:``, ``%``): the user-info ends at the LAST
"@" that is followed by a host list (``host[:port][,host[:port]]...``) and then
the end, "/", "?" or "#". An "@" in the path or query must therefore be written
``%40`` (else what precedes it is taken for user-info: hidden, never shown).
Driver messages are scrubbed of the password in every form it may take there
(raw, as written, percent-encoded, escaped for libpq or Python).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final
from urllib.parse import parse_qsl, quote, quote_plus, unquote, urlsplit

from verifydel.errors import SourceError

#: Scheme (without "+driver") → engine kind, the ``kind`` of its units and tables.
ENGINE_OF_SCHEME: Final[dict[str, str]] = {
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "mysql": "mariadb",
    "mariadb": "mariadb",
    "sqlite": "sqlite",
}

#: The query parameter naming a table to scan (repeatable); every other parameter
#: belongs to the engine (libpq's for PostgreSQL, a short list for MariaDB).
TABLE_PARAM: Final = "table"

_URI: Final = re.compile(
    r"^(?P<scheme>[A-Za-z][A-Za-z0-9.-]*)(?:\+[A-Za-z0-9_.-]+)?://(?P<after>.*)\Z", re.DOTALL
)

#: A host list as libpq and MariaDB take it: host[:port], comma-separated, a host being
#: a name, an address, a percent-encoded socket directory or a bracketed IPv6 address;
#: then the end, or the path, query or fragment.
_HOSTS: Final = re.compile(
    r"(?P<hosts>(?:\[[0-9A-Za-z:.%]*\]|[^\s@/?#\[\]:,]*)(?::[0-9]*)?"
    r"(?:,(?:\[[0-9A-Za-z:.%]*\]|[^\s@/?#\[\]:,]*)(?::[0-9]*)?)*)(?=[/?#]|\Z)"
)


def split_authority(after: str) -> tuple[str | None, str, str] | None:
    """(user-info or None, hosts, rest) of what follows "scheme://"; None when no host
    list can be found. The user-info ends at the last "@" followed by a host list."""
    for at in reversed([i for i, c in enumerate(after) if c == "@"]):
        match = _HOSTS.match(after, at + 1)
        if match:
            return after[:at], match.group("hosts"), after[match.end() :]
    match = _HOSTS.match(after)
    if match and "@" not in after[: match.end()]:
        return None, match.group("hosts"), after[match.end() :]
    return None


def redact_uri(uri: str) -> str:
    """The URI without password nor query: ``scheme://user:***@hosts/path``, or
    ``scheme://***`` when its user-info cannot be told from its host."""
    match = _URI.match(uri)
    if match is None:
        return "***"
    head = uri[: match.start("after")]
    if match.group("scheme").lower() == "sqlite":
        return head + re.split(r"[?#]", match.group("after"), maxsplit=1)[0]
    parts = split_authority(match.group("after"))
    if parts is None:
        return head + "***"
    userinfo, hosts, rest = parts
    path = re.split(r"[?#]", rest, maxsplit=1)[0]
    return head + _redacted_userinfo(userinfo) + hosts + path


def _redacted_userinfo(userinfo: str | None) -> str:
    if userinfo is None:
        return ""
    user, colon, _ = userinfo.partition(":")
    return f"{user}{':***' if colon else ''}@"


def scheme_of(source: str) -> str | None:
    """The URI scheme of ``source`` (lower case, without "+driver"), None if not a URI."""
    match = _URI.match(source)
    return match.group("scheme").lower() if match else None


@dataclass(frozen=True, repr=False)
class DatabaseURI:
    """One database source, parsed. ``source`` and ``netloc`` may hold a password: its
    repr shows the label only (a Unit's opener holds one, and reprs end up in logs)."""

    source: str
    scheme: str  # as written, lower case, without "+driver"
    engine: str  # "postgresql" | "mariadb" | "sqlite"
    netloc: str  # user[:password]@host[:port] as written (percent-encoded)
    database: str | None  # None: every database the user can see (SQLite: the file path)
    params: tuple[tuple[str, str], ...]  # query parameters other than ``table``, decoded
    tables: tuple[str, ...]  # the tables asked for, in order; empty: every table

    @property
    def password(self) -> str | None:
        userinfo, at, _ = self.netloc.rpartition("@")
        if not at or ":" not in userinfo:
            return None
        return unquote(userinfo.partition(":")[2])

    @property
    def hosts(self) -> str:
        """host[:port][,host[:port]]... as written (never holds "@")."""
        return self.netloc.rpartition("@")[2]

    @property
    def user(self) -> str | None:
        userinfo, at, _ = self.netloc.rpartition("@")
        return (unquote(userinfo.partition(":")[0]) or None) if at else None

    @property
    def redacted_netloc(self) -> str:
        userinfo, at, hosts = self.netloc.rpartition("@")
        return _redacted_userinfo(userinfo if at else None) + hosts

    def label(self, database: str | None = None) -> str:
        """The source's label; for a URI without database, ``database``'s label."""
        if self.engine == "sqlite":
            return f"{self.scheme}://{self.netloc}"
        name = self.database if self.database is not None else database
        path = f"/{name}" if name else ""
        return f"{self.scheme}://{self.redacted_netloc}{path}"

    def __repr__(self) -> str:
        return f"DatabaseURI({self.label()!r})"

    def scrub(self, message: str) -> str:
        """``message`` with the password (raw, percent-encoded, or a ``password=``
        parameter) blanked out, should a driver ever quote it."""
        secrets = {self.password, self.netloc.rpartition("@")[0].partition(":")[2]}
        secrets |= {value for key, value in self.params if key == "password"}
        forms: set[str] = set()
        for secret in filter(None, secrets):
            forms |= {
                secret,
                quote(secret, safe=""),
                quote(secret),
                quote_plus(secret),
                secret.replace("\\", "\\\\").replace("'", "\\'"),  # libpq's key='value'
                repr(secret)[1:-1],  # a Python repr of a conninfo or argument tuple
            }
        for form in sorted(filter(None, forms), key=len, reverse=True):
            message = message.replace(form, "***")
        return message


def parse_uri(source: str, tables: tuple[str, ...] = ()) -> DatabaseURI:
    """Parse ``source``; ``tables`` are added to the URI's own ``table`` parameters.

    Raises SourceError (with a message free of the password) when the URI is malformed.
    """
    match = _URI.match(source)
    if match is None or match.group("scheme").lower() not in ENGINE_OF_SCHEME:
        raise SourceError("not a database URI", hint="write postgresql://, mysql:// or sqlite:///")
    scheme = match.group("scheme").lower()
    engine = ENGINE_OF_SCHEME[scheme]
    if engine == "sqlite":
        netloc, tail = "", match.group("after")
    else:
        parts = split_authority(match.group("after"))
        if parts is None:
            raise SourceError(
                "the host in the URI cannot be told from its user and password",
                hint="percent-encode the password (@ as %40, / as %2F, ? as %3F, # as %23)",
            )
        userinfo, hosts, tail = parts
        netloc = hosts if userinfo is None else f"{userinfo}@{hosts}"
    rest, _, query = tail.partition("#")[0].partition("?")
    pairs = parse_qsl(query, keep_blank_values=True)
    named = tuple(v for k, v in pairs if k == TABLE_PARAM) + tuple(tables)
    params = tuple((k, v) for k, v in pairs if k != TABLE_PARAM)
    if any(not name.strip() for name in named):
        raise SourceError("an empty table name was given", hint="write ?table=schema.name")
    if engine == "sqlite":
        if not rest:
            raise SourceError(
                "no database file in the URI", hint="write sqlite:///absolute/path.db"
            )
        if rest.startswith("//"):  # SQLAlchemy's sqlite:////abs/path form: still one absolute path
            rest = "/" + rest.lstrip("/")
        return DatabaseURI(source, scheme, engine, rest, unquote(rest), params, named)
    path = rest.removeprefix("/")
    if "/" in path.rstrip("/"):
        raise SourceError(
            "the URI path holds more than a database name",
            hint="write scheme://user@host:port/database",
        )
    database = unquote(path.rstrip("/")) or None
    if engine == "postgresql":
        database = dict(params).get("dbname", database)
    return DatabaseURI(source, scheme, engine, netloc, database, params, named)


def host_and_port(uri: DatabaseURI, default_port: int) -> tuple[str, int]:
    """Host and port of a server URI (one host; "localhost" when none is written)."""
    try:
        parts = urlsplit(f"//{uri.hosts}")  # never the user-info: it may hold anything
        port = parts.port
    except ValueError:
        raise SourceError("the port in the URI is not a number", hint="write host:3306") from None
    return (unquote(parts.hostname or "") or "localhost", port or default_port)


def user_of(uri: DatabaseURI) -> str | None:
    return uri.user
