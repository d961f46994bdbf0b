"""What a case builder works with: the corpus folder, the scale, the people, the servers."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import polars as pl
from corpus_people import People, Placed, csv_bytes
from corpus_registry import OUT, Built, Decoy, Expect

#: Data rows of a case's main table at scale 1.
BASE_ROWS: Final = 1000
#: The password of every encrypted archive the corpus holds (synthetic, not a secret).
PASSWORD: Final = "corpus-pass"
PG_CANDIDATES: Final = (
    [os.environ["VERIFYDEL_TEST_POSTGRESQL_URI"]]
    if os.environ.get("VERIFYDEL_TEST_POSTGRESQL_URI")
    else ["postgresql://root@127.0.0.1:5432/test", "postgresql://postgres@127.0.0.1:5432/test"]
)
MARIADB_URI: Final = os.environ.get("VERIFYDEL_TEST_MARIADB_URI", "mariadb://root@127.0.0.1:3306/test")


@dataclass
class Servers:
    """The database servers the corpus may use, and the schema (database) name its tables go in."""

    schema: str = "verifydel_corpus"
    pg_uri: str | None = None  # reachable PostgreSQL (database ``test``)
    maria_uri: str | None = None  # reachable MariaDB (its database part is replaced by ``schema``)
    maria_args: dict[str, Any] | None = None  # pymysql.connect keywords
    problems: dict[str, str] = field(default_factory=dict)

    @classmethod
    def probe(cls, schema: str = "verifydel_corpus", use: bool = True) -> Servers:
        servers = cls(schema=schema)
        if not use:
            servers.problems = {"postgresql": "databases not used (--no-databases)",
                                "mariadb": "databases not used (--no-databases)"}  # fmt: skip
            return servers
        try:
            import psycopg

            for uri in PG_CANDIDATES:
                try:
                    psycopg.connect(uri, connect_timeout=5).close()
                    servers.pg_uri = uri
                    break
                except psycopg.Error as exc:
                    servers.problems["postgresql"] = f"PostgreSQL not reachable ({str(exc).splitlines()[0]})"
        except ImportError:
            servers.problems["postgresql"] = "psycopg is not installed"
        try:
            import pymysql

            from verifydel.sources.databases._uri import host_and_port, parse_uri, user_of

            uri = parse_uri(MARIADB_URI)
            host, port = host_and_port(uri, 3306)
            args = {"host": host, "port": port, "user": user_of(uri), "password": uri.password or "",
                    "charset": "utf8mb4", "autocommit": True, "connect_timeout": 5}  # fmt: skip
            try:
                pymysql.connect(**args).close()
                servers.maria_args = args
                servers.maria_uri = MARIADB_URI.rsplit("/", 1)[0] + "/" + schema
            except pymysql.Error as exc:
                servers.problems["mariadb"] = f"MariaDB not reachable at {host}:{port} ({exc})"
        except ImportError:
            servers.problems["mariadb"] = "pymysql is not installed"
        return servers

    def missing(self, need: str) -> str | None:
        """Why ``need`` is not met on this machine, or None."""
        if need == "postgresql":
            return None if self.pg_uri else self.problems.get("postgresql", "PostgreSQL not reachable")
        if need == "mariadb":
            return None if self.maria_args else self.problems.get("mariadb", "MariaDB not reachable")
        if need in ("pg_dump", "pg_restore", "mariadb-dump"):
            return None if shutil.which(need) else f"{need} is not installed"
        if need == "mdbtools":
            return None if shutil.which("mdb-export") else "mdbtools (mdb-export) is not installed"
        if need == "symlinks":
            return None if hasattr(os, "symlink") and os.name == "posix" else "no symbolic links here"
        raise ValueError(need)

    def pg(self) -> Any:
        import psycopg

        assert self.pg_uri
        return psycopg.connect(self.pg_uri, autocommit=True)

    def maria(self, database: str | None = None) -> Any:
        import pymysql

        assert self.maria_args
        args = dict(self.maria_args)
        if database:
            args["database"] = database
        return pymysql.connect(**args)

    def drop(self) -> None:
        """Drop the corpus schema (PostgreSQL) and database (MariaDB); absent ones are fine."""
        if self.pg_uri:
            with self.pg() as db:
                for name in (self.schema, self.schema + "_dump"):
                    db.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        if self.maria_args:
            db = self.maria()
            try:
                for name in (self.schema, self.schema + "_dump"):
                    db.cursor().execute(f"DROP DATABASE IF EXISTS `{name}`")
            finally:
                db.close()


class Ctx:
    """Handed to every builder."""

    def __init__(self, out: Path, scale: int, people: People, servers: Servers) -> None:
        self.out = out
        self.scale = scale
        self.people = people
        self.servers = servers
        self.password = PASSWORD
        self.shared: dict[str, Any] = {}  # what several cases build once (a dumped schema)

    def dir(self, name: str) -> Path:
        path = self.out / "cases" / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def label(self, path: Path) -> str:
        """The report label of a file scanned by its path (or inside a scanned folder)."""
        return f"{OUT}/{path.relative_to(self.out).as_posix()}"

    def rows(self, factor: float = 1.0) -> int:
        return max(20, int(BASE_ROWS * self.scale * factor))

    @staticmethod
    def survivors_for(rows: int) -> int:
        return 3 + rows // 1000

    def table(self, rows: int, layout: str = "joined", *, survivors: int | None = None, namesakes: int = 1,
              reassigned: int = 1, digits: bool = False) -> tuple[pl.DataFrame, Placed]:  # fmt: skip
        n = self.survivors_for(rows) if survivors is None else survivors
        return self.people.table(rows, survivors=n, namesakes=namesakes, reassigned=reassigned, layout=layout,
                                 digits=digits)  # fmt: skip

    @staticmethod
    def plant(built: Built, label: str, placed: Placed, *, row_offset: int = 0, rows: bool = True) -> None:
        """Record ``placed``'s survivors (strong, at their rows) and decoys under ``label``."""
        for row, rid in placed.survivors:
            built.expect.append(Expect(label, rid, "strong", row + row_offset if rows else None))
        built.decoys += [Decoy(label, rid, "none") for _, rid in placed.namesakes]
        built.decoys += [Decoy(label, rid, "weak") for _, rid in placed.reassigned]

    def csv(self, built: Built, label: str, rows: int, *, layout: str = "joined", encoding: str = "utf-8",
            **kw: int) -> bytes:  # fmt: skip
        """A broker CSV (header + ``rows`` rows) planted under ``label``."""
        frame, placed = self.table(rows, layout, **kw)
        self.plant(built, label, placed)
        built.rows += frame.height
        return csv_bytes(frame, encoding)


__all__ = ["BASE_ROWS", "PASSWORD", "Ctx", "Servers"]
