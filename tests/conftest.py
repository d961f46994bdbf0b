"""Fixtures shared across the test folders."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from verifydel.fingerprint.build import build_pack
from verifydel.fingerprint.keys import generate_secret
from verifydel.scan import LoadedPack, load_pack

PackFactory = Callable[..., LoadedPack]


@pytest.fixture(scope="session", autouse=True)
def _gazetteer_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The gazetteer's cache goes to a folder of the session, never under the real home
    (subprocesses the tests start inherit it)."""
    folder = tmp_path_factory.mktemp("verifydel-data")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VERIFYDEL_DATA_DIR", str(folder))
        yield folder


def _make_pack(folder: Path, leaked_csv: str, *, id_column: str = "ID", name: str = "p.vdpack") -> LoadedPack:
    """Write ``leaked_csv`` into ``folder``, fingerprint it under a fresh key, load the pack."""
    leaked = folder / "leaked.csv"
    leaked.write_text(leaked_csv, encoding="utf-8")
    secret = generate_secret()
    build_pack([str(leaked)], secret, folder / name, id_column=id_column)
    return load_pack(folder / name, secret)


@pytest.fixture(scope="session")
def pack_factory() -> PackFactory:
    """``pack_factory(folder, leaked_csv, id_column="ID")`` → a loaded pack of that leaked set."""
    return _make_pack


@pytest.fixture(scope="module")
def dask_client():  # type: ignore[no-untyped-def]
    """A Dask client of a real LocalCluster (2 worker processes, 1 thread each), as
    ``scan --cluster local:2`` starts it; one per test module. Dask is a test dependency:
    it is imported, never skipped (under CI a skipped cluster test would hide the feature)."""
    from verifydel.cluster.client import ClusterSpec, connect

    with connect(ClusterSpec.parse("local:2")) as client:
        client.wait_for_workers(2, timeout=120)
        yield client
