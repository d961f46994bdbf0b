"""The facts the fast batch paths rest on, each on its own, and their caches.

_address_parts.py and _phone_fast.py list the facts that make them equal to
the reference; here each is checked where it can be: exhaustively over short
strings of the characters the regexes read, and by hypothesis beyond.
"""

from __future__ import annotations

import itertools
import threading
import unicodedata

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from normalise_testkit import PROPERTY_SETTINGS, realistic_address

from verifydel.normalise import _distinct
from verifydel.normalise._address_parts import (
    END_OPEN_REGEX,
    NUMBER_END_REGEX,
    START_CLOSED_AFTER_NUMBER_REGEX,
    START_CLOSED_REGEX,
    _outside,
    normalise_address_parts,
)
from verifydel.normalise._cache import ValueCache
from verifydel.normalise._phone_fast import WIDE_TO_ASCII, normalise_phones
from verifydel.normalise._text import join_parts, nfkc_only
from verifydel.normalise.address import (
    BLOCK_RUN_AFTER_NUMBER_SPACE,
    BLOCK_RUN_AFTER_SPACE,
    BLOCK_RUN_ALPHABET,
    BLOCK_RUN_REGEX,
    PREFECTURES,
    address_characters,
    address_table,
    cut_block_run,
    normalise_address,
    prefix_alphabet,
    prefix_lead_regex,
    prefix_regex,
    strip_prefix,
)
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
def test_no_address_pattern_but_the_space_itself_holds_a_space() -> None:
    mapping = address_table().mapping
    assert mapping[" "] == " "
    assert [k for k in mapping if " " in k and k != " "] == []


@PROPERTY_SETTINGS
@given(st.lists(st.tuples(st.text(max_size=12), st.text(max_size=12)), min_size=20, max_size=50))
def test_literal_pass_of_joined_parts_is_the_parts_passes_joined(
    pairs: list[tuple[str, str]],
) -> None:
    joined = _column([a + " " + b for a, b in pairs], address_characters)
    left = _column([a for a, _ in pairs], address_characters)
    right = _column([b for _, b in pairs], address_characters)
    assert joined == [f"{a} {b}" for a, b in zip(left, right, strict=True)]


# --- fact 2: where the prefix ends ----------------------------------------------
def test_prefix_alphabet_and_leads_cover_the_prefix_regex() -> None:
    regex = prefix_regex()
    literal = {c for c in regex if ord(c) > 127 or c in " \x02"}
    assert literal <= prefix_alphabet()
    assert set("0123456789-") <= prefix_alphabet()
    for name in PREFECTURES:
        folded = address_table().apply_to_text(name)
        assert _column([folded + "市"], lambda v: v.str.contains(prefix_lead_regex())) == [True]


PREFIX_TOKENS = ["〒", "100-0001", "1000001", "123", " ", "日本", "日本国", "国", "東京都", "東京",
                 "3重県", "1\x02000葉県", "大阪府", "大阪市", "x", "-", "都"]  # fmt: skip


def test_prefix_of_two_parts_is_the_prefix_of_the_first_and_its_space() -> None:
    words = _strings(PREFIX_TOKENS, 2)
    firsts, seconds = words, words
    pairs = pl.DataFrame(
        {"w": [w for w in firsts for _ in seconds], "v": [v for _ in firsts for v in seconds]}
    ).with_columns(
        pl.col("w").str.contains(_outside(prefix_alphabet())).alias("not_prefix"),
        (pl.col("v").str.contains("^[^ ]") & ~pl.col("v").str.contains(prefix_lead_regex())).alias(
            "no_lead"
        ),
    )
    safe = pairs.filter(pl.col("not_prefix") | pl.col("no_lead"))
    assert safe.height > 10_000
    out = safe.select(
        strip_prefix(pl.col("w") + " " + pl.col("v")).alias("whole"),
        (strip_prefix(pl.col("w") + " ") + pl.col("v")).alias("parts"),
    )
    assert out.filter(pl.col("whole") != pl.col("parts")).height == 0


# --- facts 4 and 5: where the block run is -----------------------------------------
BLOCK_SYMBOLS = ["1", "23", " ", "丁", "目", "番", "地", "の", "号", "-", "ー", "x"]


def test_block_run_alphabet_is_the_pattern_s() -> None:
    assert {c for c in BLOCK_RUN_REGEX if ord(c) > 127} == {
        c for c in BLOCK_RUN_ALPHABET if ord(c) > 127
    }
    assert {c for c in BLOCK_RUN_ALPHABET if ord(c) < 128} == set("0123456789 -")
    assert BLOCK_RUN_AFTER_SPACE <= BLOCK_RUN_ALPHABET
    assert BLOCK_RUN_ALPHABET - BLOCK_RUN_AFTER_SPACE == set("目地")
    assert BLOCK_RUN_AFTER_SPACE - BLOCK_RUN_AFTER_NUMBER_SPACE == set("0123456789")


def test_a_part_cuts_alike_at_the_end_and_before_the_separator() -> None:
    words = _strings(BLOCK_SYMBOLS, 5)
    out = _column(words, cut_block_run)
    spaced = _column([w + " " for w in words], cut_block_run)
    assert [w for w, a, b in zip(words, out, spaced, strict=True) if a != b] == []


def test_a_block_run_never_crosses_a_closed_boundary() -> None:
    words = _strings(BLOCK_SYMBOLS, 3)
    w, v = pl.col("w"), pl.col("v")
    pairs = pl.DataFrame(
        {"w": [a for a in words for _ in words], "v": [b for _ in words for b in words]}
    ).filter(
        ~w.str.contains(END_OPEN_REGEX)
        | v.str.contains(START_CLOSED_REGEX)
        | (w.str.contains(NUMBER_END_REGEX) & v.str.contains(START_CLOSED_AFTER_NUMBER_REGEX))
    )
    assert pairs.height > 200_000
    out = pairs.select(
        cut_block_run(w + " " + v).alias("whole"),
        w.str.contains(BLOCK_RUN_REGEX).alias("w_has"),
        cut_block_run(w).alias("w_cut"),
        (w.str.replace_all(" ", "", literal=True) + cut_block_run(v)).alias("w_then_v"),
    )
    expected = pl.when(pl.col("w_has")).then(pl.col("w_cut")).otherwise(pl.col("w_then_v"))
    assert out.filter(pl.col("whole") != expected).height == 0


def test_the_boundary_rules_are_not_vacuous() -> None:
    """Each rule closes boundaries the others do not (a town ending in 6 before "4-32-37")."""
    frame = pl.DataFrame(
        {"w": ["前弥6", "丸の内jpタワー", "3丁目", "6"], "v": ["4-32-37", "1-2", "x", "丁目"]}
    )
    flags = frame.select(
        (~pl.col("w").str.contains(END_OPEN_REGEX)).alias("end_closed"),
        pl.col("v").str.contains(START_CLOSED_REGEX).alias("start_closed"),
        (
            pl.col("w").str.contains(NUMBER_END_REGEX)
            & pl.col("v").str.contains(START_CLOSED_AFTER_NUMBER_REGEX)
        ).alias("after_number"),
    )
    assert flags.rows() == [
        (False, False, True),
        (True, False, False),
        (False, True, False),
        (False, False, False),
    ]


# --- the whole address path, on its own ----------------------------------------------
def _reference_parts(rows: list[tuple[str | None, ...]]) -> list[str | None]:
    width = len(rows[0])
    frame = pl.DataFrame({f"c{i}": [r[i] for r in rows] for i in range(width)},
                         schema={f"c{i}": pl.String for i in range(width)})  # fmt: skip
    return (
        frame.select(normalise_address(join_parts([pl.col(c) for c in frame.columns])))
        .to_series()
        .to_list()
    )


@settings(PROPERTY_SETTINGS, max_examples=max(10, (PROPERTY_SETTINGS.max_examples or 50) // 2))
@given(st.lists(realistic_address(), min_size=1, max_size=20), st.randoms(use_true_random=False))
def test_address_parts_cut_anywhere(addresses: list[str], rnd) -> None:  # type: ignore[no-untyped-def]
    rows = []
    for text in addresses:
        cuts = sorted(rnd.randint(0, len(text)) for _ in range(2))
        rows.append((text[: cuts[0]], text[cuts[0] : cuts[1]] or None, text[cuts[1] :]))
    parts = [pl.Series([r[i] for r in rows], dtype=pl.String) for i in range(3)]
    assert normalise_address_parts(parts).to_list() == _reference_parts(rows)


# --- the phone's facts ---------------------------------------------------------------
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
