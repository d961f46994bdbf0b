"""Write the verifydel test corpus: every container, dump, database, deleted-record and hostile case.

    python tests/corpus/build.py OUT_DIR [--scale N] [--schema NAME] [--no-databases] [--case NAME]...
    python tests/corpus/build.py --drop [--schema NAME]      # remove the corpus schema/database

OUT_DIR (emptied first) receives leaked.csv, corpus.key, corpus.vdpack, cases/<name>/...
and manifest.json, the answer key: per case what to scan and what must be found
(see corpus_registry.py). Database cases create tables in the PostgreSQL schema
and the MariaDB database named --schema (default verifydel_corpus) on the local
servers (VERIFYDEL_TEST_POSTGRESQL_URI / VERIFYDEL_TEST_MARIADB_URI point
elsewhere). --scale multiplies every table's rows (1 = about 1,000 per table).

Scan one case the way an inspector would, e.g.:

    verifydel scan OUT_DIR/cases/zip-aes-password --pack OUT_DIR/corpus.vdpack \\
        --key OUT_DIR/corpus.key --password corpus-pass --json report.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus_build import build_corpus, drop_databases  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path, nargs="?")
    ap.add_argument("--scale", type=int, default=1, help="multiplies the rows of every table (default 1)")
    ap.add_argument("--schema", default="verifydel_corpus", help="PostgreSQL schema / MariaDB database to fill")
    ap.add_argument("--no-databases", action="store_true", help="make no database case (no server is touched)")
    ap.add_argument("--case", action="append", dest="cases", help="build only this case (repeatable)")
    ap.add_argument("--drop", action="store_true", help="drop the corpus schema and database, then exit")
    a = ap.parse_args(argv)
    if a.drop:
        drop_databases(a.schema)
        return 0
    if a.out is None or a.scale < 1:
        ap.error("give OUT_DIR, and a --scale of 1 or more")
    manifest = build_corpus(a.out, a.scale, schema=a.schema, databases=not a.no_databases, only=a.cases)
    for name, c in manifest["cases"].items():
        state = f"skipped: {c['skip']}" if c["skip"] else f"{c['rows']} rows, {len(c['expect'])} survivors"
        print(f"{name:34} {c['kind']:12} {state}")
    print(json.dumps({"out": str(a.out), "cases": len(manifest["cases"]), "seconds": manifest["build_seconds"]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
