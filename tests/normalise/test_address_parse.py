"""The address is parsed in two parts cut on the raw text (head: the place; tail: the
block numbers), each distinct part normalised once and kept across batches. These
check that the caches change nothing and that the cut is where the docs say."""

from __future__ import annotations

import polars as pl
from hypothesis import given
from hypothesis import strategies as st
from normalise_testkit import PROPERTY_SETTINGS, batches, realistic_address

from verifydel.normalise.address import address_keys, clear_address_caches, parse_addresses
from verifydel.normalise.address import _split as split_raw

_ALPHABET = "0123456789０１２３４５６７８９三二十一千百丁目番地号のノ之条東西南北イロ -－ー‐〒字大字郵便番号：日本国東京都京都府下京区四条通烏丸東入ル長刀鉾町札幌市中央区町 　コーポ"


def _both(values: list[str | None]) -> None:
    series = pl.Series("v", values, dtype=pl.String)
    clear_address_caches()
    cold = parse_addresses(series)
    warm = parse_addresses(series)
    plain = parse_addresses(series, cached=False)
    assert cold.equals(plain), [(v, a, b) for v, a, b in zip(values, cold.rows(), plain.rows()) if a != b]
    assert warm.equals(plain)


@PROPERTY_SETTINGS
@given(batches(realistic_address()))
def test_cached_parts_give_the_uncached_result_on_realistic_addresses(values: list[str]) -> None:
    _both(values)


@PROPERTY_SETTINGS
@given(batches(st.one_of(st.none(), st.text(_ALPHABET, max_size=30))))
def test_cached_parts_give_the_uncached_result_on_adversarial_text(values: list[str | None]) -> None:
    _both(values)


def test_the_raw_cut() -> None:
    head, tail = split_raw(pl.Series(["〒181-0013 東京都三鷹市下連雀3-20-12 コーポ201", "下連雀３ ２０－１２ メゾン", "下連雀", None]))
    assert head.to_list() == ["東京都三鷹市下連雀", "下連雀", "下連雀", None]
    assert tail.to_list() == ["3-20-12", "３ ２０－１２", "", None]


def test_a_head_with_its_own_block_numbers_reads_them_with_the_tail() -> None:
    keys = [k for k, _ in address_keys(["下連雀三丁目20-12", "下連雀三丁目二十番12号", "下連雀3-20-12", "下連雀三丁目二十番十二号"])]
    assert keys == ["下連雀3-20-12"] * 4


def test_split_columns_are_the_joined_value() -> None:
    rows = [("東京都", "三鷹市", "下連雀3-20-12", "コーポ201"), ("東京都三鷹市下連雀3", "20-12")]
    assert [k for k, _ in address_keys(rows)] == ["3鷹市下連雀3-20-12"] * 2
    assert [p for _, p in address_keys(rows)] == ["東京都"] * 2


def test_a_batch_of_many_rows_is_the_rows_one_by_one() -> None:
    values = ["東京都三鷹市下連雀3-20-12", "札幌市中央区北3西6 1-2", None, "", "京都市下京区四条通烏丸東入ル長刀鉾町10"] * 1000
    many = parse_addresses(pl.Series(values))
    one = [address_keys([v])[0] for v in values[:5]]
    assert list(zip(many["address"].to_list()[:5], many["prefecture"].to_list()[:5])) == one
    assert many.height == len(values)


def test_kyoto_in_split_columns_is_kyoto_in_one_cell() -> None:
    one = address_keys(["京都府京都市東山区清本町9丁目6番28号 シャルム109"])
    split = address_keys([("京都府", "京都市東山区清本町", "九丁目六番二十八号", "シャルム109"), (None, "京都市北区西賀茂円峰", "1-3-28", "コート951")])
    assert one[0] == split[0] == ("東山区清本町9-6-28", "京都府")
    assert split[1] == ("北区西賀茂円峰1-3-28", None)
