"""The facts the fast batch paths rest on, each on its own, and their caches.

_phone_fast.py lists the facts that make it equal to the reference; here each
is checked where it can be. The address's parts are tested in test_address_parse.py.
"""

from __future__ import annotations

import itertools
import threading
import unicodedata

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from normalise_testkit import PROPERTY_SETTINGS

from verifydel.normalise import _distinct
from verifydel.normalise._cache import ValueCache
from verifydel.normalise._phone_fast import WIDE_TO_ASCII, normalise_phones
from verifydel.normalise._text import nfkc_only
from verifydel.normalise.phone import (
    PHONE_CUT_REGEX,
    PHONE_NATIONAL_NUMBER,
    PHONE_NATIONAL_REGEX,
    normalise_phone,
    phone_from_digits,
)


def _column(values: list[str | None], expr) -> list[str | None]:  # type: ignore[no-untyped-def]
    frame = pl.DataFrame({"v": values}, schema={"v": pl.String})
    return frame.select(expr(pl.col("v"))).to_series().to_list()


def _strings(alphabet: list[str], longest: int) -> list[str]:
    return ["".join(p) for n in range(longest + 1) for p in itertools.product(alphabet, repeat=n)]


# --- fact 1: the literal pass is context-free across a space ----------------------
def test_ascii_is_its_own_nfkc_form_in_the_table() -> None:
    assert [k for k in nfkc_only().mapping if k.isascii()] == []


def test_wide_characters_are_what_nfkc_makes_of_them_or_noise_alike() -> None:
    cut_markers = set("./,、;~〜#xXeE内線又は")
    for wide, narrow in WIDE_TO_ASCII.items():
        nfkc = unicodedata.normalize("NFKC", wide)
        if nfkc == narrow:
            continue
        # a dash NFKC keeps: to the cut and noise regexes a non-digit, non-"+",
        # non-bracket, non-space character, like "-"
        assert narrow == "-" and len(nfkc) == 1 and not nfkc.isspace(), wide
        assert nfkc not in "0123456789+(" and nfkc not in cut_markers, wide
        assert _column([f"03{nfkc}1234{nfkc}5678"], lambda v: v.str.contains(PHONE_CUT_REGEX)) == [
            False
        ]


def test_national_regex_is_built_from_the_national_number() -> None:
    assert (
        PHONE_NATIONAL_REGEX
        == r"^(?:(?:\+|00|010)810?|810?|0)?([1-9][1-9][0-9]{7}|[2-9]0[0-9]{8})$"
    )
    assert PHONE_NATIONAL_NUMBER in PHONE_NATIONAL_REGEX


@PROPERTY_SETTINGS
@given(st.lists(st.text("0123456789", max_size=14), min_size=1, max_size=30))
def test_extraction_of_the_two_fast_digit_shapes(tails: list[str]) -> None:
    domestic = ["0" + t for t in tails]
    extracted = _column(domestic, phone_from_digits)
    valid = _column(domestic, lambda v: v.str.contains(f"^0(?:{PHONE_NATIONAL_NUMBER})$"))
    for d, out, ok in zip(domestic, extracted, valid, strict=True):
        if ok:
            assert out == d
    plus = ["+81" + t for t in tails]
    extracted = _column(plus, phone_from_digits)
    for t, out in zip(tails, extracted, strict=True):
        e = "0" + (t.removeprefix("0"))
        assert out == (
            e
            if _column([e], lambda v: v.str.contains(f"^0(?:{PHONE_NATIONAL_NUMBER})$"))[0]
            else None
        )


def test_phones_fast_and_full_paths_split_and_recombine_in_order() -> None:
    values = ["090-1234-5678", "TEL 03-1234-5678", None, "０３－１２３４－５６７８",
              "+81 (0)3 1234 5678", "(03)1234-5678", "0(0)312345678", "+81-90-1234-5678",
              "12", ""]  # fmt: skip
    expected = _column(values, normalise_phone)
    assert normalise_phones(pl.Series(values, dtype=pl.String)).to_list() == expected
    assert expected[0] == "09012345678" and expected[6] == "0312345678"


# --- the caches ---------------------------------------------------------------------
def _upper(values: pl.Series) -> pl.DataFrame:
    return pl.DataFrame({"upper": values.str.to_uppercase(), "length": values.str.len_chars()})


def test_a_full_value_cache_keeps_what_repeats_and_computes_the_rest() -> None:
    calls: list[list[str]] = []

    def compute(values: pl.Series) -> pl.DataFrame:
        calls.append(sorted(values.to_list()))
        return _upper(values)

    cache = ValueCache(compute, max_entries=1)  # no room for both: "town" repeats, is kept
    for _ in range(2):
        entry, table = cache.lookup(pl.Series(["town", "room 1", "town", None]))
        assert table.get_column("upper").gather(entry).to_list() == ["TOWN", "ROOM 1", "TOWN", None]
    assert calls == [["room 1", "town"], ["room 1"]]


def test_value_cache_gives_each_value_its_row_and_null_for_null() -> None:
    cache = ValueCache(_upper, max_entries=100)
    for values in (["a", "b", None, "a"], ["c", "a", None], [None, None]):
        entry, table = cache.lookup(pl.Series(values, dtype=pl.String))
        got = table.get_column("upper").gather(entry).to_list()
        assert got == [v.upper() if v is not None else None for v in values]


def test_value_cache_starts_afresh_past_its_bound() -> None:
    cache = ValueCache(_upper, max_entries=5, min_count=1)
    for start in range(0, 40, 4):
        values = [f"v{i}" for i in range(start, start + 4)]
        entry, table = cache.lookup(pl.Series(values))
        assert table.height <= 5 + 4
        assert table.get_column("upper").gather(entry).to_list() == [v.upper() for v in values]


def test_value_cache_computes_again_what_another_thread_emptied() -> None:
    calls: list[int] = []

    def compute(values: pl.Series) -> pl.DataFrame:
        calls.append(values.len())
        if len(calls) == 2:  # as if another thread emptied the table during this lookup
            cache.clear()
        return _upper(values)

    cache = ValueCache(compute, max_entries=100, min_count=1)
    cache.lookup(pl.Series(["a", "b"]))
    entry, table = cache.lookup(pl.Series(["a", "b", "c", None]))
    assert table.get_column("upper").gather(entry).to_list() == ["A", "B", "C", None]
    assert calls == [2, 1, 3]  # "c"; then, "a" and "b" gone, all three in a table of its own


def test_value_cache_is_exact_when_hashes_collide(monkeypatch: pytest.MonkeyPatch) -> None:
    from verifydel.normalise import _cache

    # a hash that collides for every two values of one length
    monkeypatch.setattr(_cache, "_keys", lambda values: values.str.len_bytes().cast(pl.UInt64))
    cache = ValueCache(_upper, max_entries=100)
    for values in (["ab", "cd", None, "ab"], ["cd", "ef", "x", "ab"]):
        entry, table = cache.lookup(pl.Series(values, dtype=pl.String))
        assert table.get_column("upper").gather(entry).to_list() == [
            v and v.upper() for v in values
        ]


def test_value_cache_from_two_threads() -> None:
    cache = ValueCache(_upper, max_entries=10_000)
    errors: list[str] = []

    def work(offset: int) -> None:
        for round_ in range(30):
            values = [f"x{(i * 7 + round_ + offset) % 500}" for i in range(200)]
            entry, table = cache.lookup(pl.Series(values))
            if table.get_column("upper").gather(entry).to_list() != [v.upper() for v in values]:
                errors.append(f"thread {offset} round {round_}")

    threads = [threading.Thread(target=work, args=(k,)) for k in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_cached_normalisation_gives_null_what_the_normaliser_gives_it() -> None:
    def normaliser(value: pl.Expr) -> pl.Expr:
        return value.str.to_uppercase().fill_null("none")

    values = pl.Series(["a", None, "b", "a"], dtype=pl.String)
    assert _distinct.map_cached(values, normaliser).to_list() == ["A", "none", "B", "A"]


@pytest.mark.parametrize("ratio", [0.0, 1.0])
def test_repetition_decides_the_path_not_the_result(
    monkeypatch: pytest.MonkeyPatch, ratio: float
) -> None:
    monkeypatch.setattr(_distinct, "DISTINCT_MIN_ROWS", 0)
    monkeypatch.setattr(_distinct, "DISTINCT_RATIO", ratio)
    values = pl.Series(["山田 太郎 様", "髙橋", None, "山田 太郎 様", ""] * 3, dtype=pl.String)
    from verifydel.normalise.name import normalise_name

    assert _distinct.normalise_values(values, normalise_name).to_list() == _column(
        values.to_list(), normalise_name
    )
