"""Bulk synthetic people: repeatable per seed, pools filtered as asked."""

from __future__ import annotations

import re

import numpy as np

from verifydel.demo.pools import draw_people, faker_pools


def test_the_same_seed_draws_the_same_people() -> None:
    pools = faker_pools()
    a = draw_people(500, np.random.default_rng(3), pools, gou=(1, 30))
    b = draw_people(500, np.random.default_rng(3), pools, gou=(1, 30))
    c = draw_people(500, np.random.default_rng(4), pools, gou=(1, 30))
    assert a.equals(b) and not a.equals(c)
    assert a["gou"].min() >= 1 and a["gou"].max() < 30
    assert 0.2 < a["has_building"].mean() < 0.4


def test_pools_leave_out_what_they_are_told_to() -> None:
    unsafe = re.compile(r"[0-9一二三]")
    pools = faker_pools(exclude_surnames={"佐藤"}, unsafe=unsafe)
    assert "佐藤" not in pools["surname"].to_list()
    assert not any(unsafe.search(t) for t in pools["town"].to_list())
    assert pools["surname"].len() == pools["surname_kana"].len() > 40


def test_the_four_notations_of_phones_and_block_numbers() -> None:
    import polars as pl

    from verifydel.demo.pools import block_notation, phone_notation

    df = pl.DataFrame({"style": [0, 1, 2, 3], "phone": ["09012345678"] * 4, "chome": [3] * 4, "ban": [12] * 4, "gou": [5] * 4})
    got = df.select(phone_notation(pl.col("style"), pl.col("phone")).alias("p"), block_notation(pl.col("style")).alias("b"))
    assert got.rows() == [
        ("09012345678", "3-12-5"),
        ("+81-90-1234-5678", "三丁目十二番五号"),
        ("０９０－１２３４－５６７８", "３－１２－５"),
        ("(090)1234-5678", "3丁目12の5"),
    ]
