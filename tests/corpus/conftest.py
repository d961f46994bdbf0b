"""Make the corpus modules (and the container test kit they reuse) importable; build the corpus once.

The suite runs with ``--import-mode=importlib``, which does not put test folders
on ``sys.path``. The corpus is built once per session at scale 1 in a temporary
folder, its database tables in a schema (PostgreSQL) and a database (MariaDB)
of a unique name, dropped at the end.
"""

from __future__ import annotations

import secrets
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

_HERE = Path(__file__).resolve().parent
for _p in (_HERE, _HERE.parent / "containers"):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

from corpus_build import Corpus, build_corpus, drop_databases  # noqa: E402


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Corpus]:
    out = tmp_path_factory.mktemp("corpus") / "corpus"
    schema = f"verifydel_corpus_{secrets.token_hex(4)}"
    try:
        build_corpus(out, 1, schema=schema)
        yield Corpus.load(out)
    finally:
        drop_databases(schema)
