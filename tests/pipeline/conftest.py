"""The database fixtures of tests/sources serve here too."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location("_sources_conftest", Path(__file__).parents[1] / "sources" / "conftest.py")
assert _spec is not None and _spec.loader is not None
_sources = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_sources)

pg_uri = _sources.pg_uri
pg_schema = _sources.pg_schema
leaked_pack = _sources.leaked_pack
