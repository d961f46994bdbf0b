"""match_batch (candidate fields for every row, the rest for hit rows only) == the plain way."""

from __future__ import annotations

from pathlib import Path


from verifydel.demo import make_demo
from verifydel.fingerprint.build import build_pack
from verifydel.fingerprint.keys import Secret
from verifydel.formats import open_tables
from verifydel.columns import detect_columns
from verifydel.match import match_batch, match_normalised
from verifydel.normalise.batch import normalise_batch
from verifydel.scan import load_pack
from verifydel.sources import expand
from verifydel.core.unit import Unit

SECRET = Secret(bytes(range(1, 33)))


def test_match_batch_equals_match_of_the_whole_normalised_batch(tmp_path: Path) -> None:
    manifest = make_demo(tmp_path, seed=5, records=300)
    build_pack([str(manifest.leaked)], SECRET, tmp_path / "p.vdpack", id_column="顧客ID")
    pack = load_pack(tmp_path / "p.vdpack", SECRET)
    compared = found = 0
    for unit in expand(str(manifest.broker)):
        if not isinstance(unit, Unit) or unit.path is None:
            continue
        try:
            tables = open_tables(unit)
        except Exception:  # noqa: BLE001 - archives and the like: other tests cover them
            continue
        for table in tables:
            for batch in table.batches:
                choice = detect_columns(table.columns, batch, None)
                cols = {f: list(c) for f, c in choice.fields.items() if c}
                fast = match_batch(batch, cols, SECRET, pack.contents)
                plain = match_normalised(normalise_batch(batch, cols), SECRET, pack.contents)
                assert fast.equals(plain), table.label
                compared += 1
                found += fast.height
    assert compared >= 3 and found > 30  # survivors in the plain files (archives are left out)
