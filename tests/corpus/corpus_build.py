"""Build the corpus: the leaked set, its key and pack, every case, and the manifest (answer key).

    build_corpus(out, scale=1) -> dict   # the manifest, also written to out/manifest.json

The manifest lists every case with its kind, what to scan, what must be found and
how each named source must end; a case the machine cannot make (no server, no
tool) carries ``skip`` with the reason. Database cases put their tables in the
PostgreSQL schema / MariaDB database ``schema`` (default ``verifydel_corpus``),
dropped and made anew on every build; ``drop_databases`` removes them.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

HERE = Path(__file__).resolve().parent
for _p in (HERE, HERE.parent / "containers"):  # the container test kit is reused, not copied
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

import corpus_cases_container_bytes  # noqa: E402,F401 - registers its cases
import corpus_cases_containers  # noqa: E402,F401
import corpus_cases_dumps  # noqa: E402,F401
import corpus_cases_excel_hostile  # noqa: E402,F401
import corpus_cases_files  # noqa: E402,F401
import corpus_cases_header_hostile  # noqa: E402,F401
import corpus_cases_hostile  # noqa: E402,F401
import corpus_cases_pending  # noqa: E402,F401
import corpus_cases_special_files  # noqa: E402,F401
import corpus_cases_text_hostile  # noqa: E402,F401
from corpus_ctx import Ctx, Servers  # noqa: E402
from corpus_people import People  # noqa: E402
from corpus_registry import CASES, Built, to_json  # noqa: E402

from verifydel.fingerprint.build import build_pack  # noqa: E402
from verifydel.fingerprint.keys import generate_secret, read_key, write_key  # noqa: E402
from verifydel.scan import LoadedPack, load_pack  # noqa: E402

MANIFEST: Final = "manifest.json"
FORMAT: Final = "verifydel-corpus/1"
SEED: Final = 2024


def leaked_size(scale: int) -> int:
    """Leaked records enough for every case's survivors and decoys at ``scale``."""
    return 6000 + 150 * Ctx.survivors_for(1000 * scale)


def build_corpus(
    out: Path, scale: int = 1, *, schema: str = "verifydel_corpus", databases: bool = True,
    only: list[str] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Write the corpus under ``out`` (emptied first) and return its manifest."""
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    started = time.perf_counter()
    people = People(leaked_size(scale), SEED)
    (out / "leaked.csv").write_bytes(people.leaked_csv())
    secret = generate_secret()
    write_key(out / "corpus.key", secret)
    build_pack([str(out / "leaked.csv")], secret, out / "corpus.vdpack", id_column="ID")
    servers = Servers.probe(schema, use=databases)
    servers.drop()
    ctx = Ctx(out, scale, people, servers)
    cases: dict[str, Any] = {}
    for name, c in CASES.items():
        if only is not None and name not in only:
            continue
        t0 = time.perf_counter()
        missing = [m for n in c.needs if (m := servers.missing(n))]
        built = Built([], skip="; ".join(missing)) if missing else c.build(ctx)
        cases[name] = {"kind": c.kind, "needs": list(c.needs), "pending": c.pending, **to_json(built),
                       "build_seconds": round(time.perf_counter() - t0, 3)}  # fmt: skip
    manifest = {
        "format": FORMAT, "scale": scale, "seed": SEED, "leaked": "leaked.csv", "key": "corpus.key",
        "pack": "corpus.vdpack", "id_column": "ID", "leaked_records": people.leaked.height,
        "password": ctx.password, "schema": schema,
        "databases": {"postgresql": servers.pg_uri, "mariadb": servers.maria_uri},
        "build_seconds": round(time.perf_counter() - started, 3), "cases": cases,
    }  # fmt: skip
    (out / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return manifest


@dataclass
class Corpus:
    """A built corpus: its folder, its manifest, its pack loaded under its key."""

    out: Path
    manifest: dict[str, Any]
    pack: LoadedPack

    @classmethod
    def load(cls, out: Path) -> Corpus:
        manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        return cls(out, manifest, load_pack(out / manifest["pack"], read_key(out / manifest["key"])))


def drop_databases(schema: str = "verifydel_corpus") -> None:
    Servers.probe(schema).drop()


__all__ = ["MANIFEST", "Corpus", "build_corpus", "drop_databases", "leaked_size"]
