"""Address: parse first, then normalise; the key keeps the place up to its block numbers.

The key of ``東京都三鷹市下連雀三丁目二十番十二号 ビル101`` is ``3鷹市下連雀3-20-12``,
and its stated prefecture (``東京都``) is kept beside it: two addresses *agree* when
their keys are equal and, if both state a prefecture, the prefectures are the same
(``addresses_agree``; the matcher applies the same rule to fingerprints).

A value is read in two parts, cut on the raw text (docs/normalisation.md, "address"):

1. Leads dropped: 〒, 郵便番号:, a postal code, 日本/日本国, any number of them.
2. The *head* is the text before the first arabic number (ASCII or full width) not
   followed by 条, or before a kanji numeral's 丁目; the *tail* is the rest, cut at the first space that a character which can be no part
   of a block number follows (the building and the room: always dropped).
3. The head: NFKC and the address's characters in one literal pass (variant kanji,
   place-name variants, kanji numerals but in the gazetteer's numbered town names
   (一番町, 十日町), 壱弐参, ヶ/ケ/が/ヵ, の/ノ/之, county forms to their municipality
   (北佐久郡軽井沢町 → 軽井沢町), dashes, 大字 dropped, 字 marked); ガ/か before a kanji
   to ヶ; kanji thousands; the prefecture read off and removed; Kyoto's street
   notation dropped before a known town (``_address_place``); a 小字 (字 + name)
   dropped. Where the head holds block numbers itself (三丁目 in kanji), they are
   *pending*: read with the tail.
4. The tail: 一 typed as a dash between digits to "-", the same literal pass; then the
   first block run of pending + tail is written canonically (``_address_rules``:
   1-2-3, Sapporo's 3条西6, a lot letter or direction kept: 14-イ22, 8-南2-24), the
   text before it kept, everything after it dropped.
5. Key = place + tail; spaces and a trailing "-" dropped; no letter or number: null.

Each part is a pure function of its raw text: ``parse_addresses`` computes each
distinct head and tail once (kept across batches) and assembles rows from them.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Final

import polars as pl

from verifydel.normalise import _text
from verifydel.normalise._address_place import (
    apply_kyoto,
    leading_part_table,
    literal_table,
    prefecture_names,
    tail_table,
)
from verifydel.normalise._address_place import full_rules as address_rules
from verifydel.normalise._address_place import literal_table as address_table
from verifydel.normalise._address_rules import (
    ADDRESS_DASHES,
    BLOCK_FIXUPS,
    BLOCK_RUN_REGEX,
    BLOCK_RUN_REPLACEMENT,
    KANJI_ONE_AS_DASH,
    KOAZA_MARK,
    LOT_KATAKANA_RAW,
    OLD_NUMERALS,
    PREFECTURES,
    RAW_BLOCK_CHARS,
    SMALL_KE_REGEX,
    SPACE_IN_RUN_REGEX,
    SPACE_IN_RUN_REPLACEMENT,
    prefecture_alternation,
    prefix_regex,
)
from verifydel.normalise._cache import ValueCache
from verifydel.normalise._numerals import THOUSANDS_REGEX

__all__ = [
    "PREFECTURES",
    "address_keys",
    "parsed_address",
    "address_rules",
    "address_table",
    "addresses_agree",
    "normalise_address",
    "parse_addresses",
]

ADDRESS: Final = "address"
PREFECTURE: Final = "prefecture"

_WS = r"[\s\u3000\u200b\ufeff]"
#: Every dash a postal code may be written with, before NFKC.
_RAW_DASHES = "".join(
    sorted(set("-－ー‑ｰ﹣" + _text.NON_LETTER_DASHES + ADDRESS_DASHES))
).replace("-", "\\-")
_RAW_POSTAL = rf"[0-9０-９]{{3}}[{_RAW_DASHES}]?[0-9０-９]{{4}}"
#: Step 1 on the raw text: leads at the start, any number of them.
RAW_LEAD_REGEX: Final[str] = (
    rf"^(?:{_WS}|[(（\[［【]?(?:〒|郵便番号{_WS}*[:：]?)|{_RAW_POSTAL}[)）\]］】]?|日本国?(?:{_WS}|〒|郵便|[0-9０-９]))+"
)
#: Step 2: where the tail starts: the first arabic number not followed by 条 (Kyoto's
#: 7条通 and Sapporo's 北3条西 stay in the head), or a kanji numeral's 丁目 (三丁目二十番,
#: so that a place's heads do not multiply by its block numbers); and where it is cut.
FIRST_DIGIT_REGEX: Final[str] = "[0-9０-９]+(?:[^0-9０-９条]|$)|[〇一二三四五六七八九十]+丁目"
#: Replaced by "${1}${2}": the tail up to a space followed by what is no part of a block
#: number, or up to a katakana word (not a lot letter alone: ハイツ, コーポ) right after a
#: number or marker.
TAIL_CUT_REGEX: Final[str] = (
    rf"(?s)^(.*?)(?:{_WS}+[^{RAW_BLOCK_CHARS}\s\u3000]|([0-9０-９号目地番]){_WS}*[{LOT_KATAKANA_RAW}]*[ァ-ヺｦ-ﾝ--[{LOT_KATAKANA_RAW}ｰヶヵケ]]).*$"
)

# column names of the parts' tables
_PLACE, _PENDING, _TEXT, _ALONE, _BLOCK = "place", "pending", "text", "alone", "block"


def _apply(values: pl.Series, *steps) -> pl.Series:  # type: ignore[no-untyped-def]
    frame = values.to_frame("v")
    expr = pl.col("v")
    for step in steps:
        expr = step(expr)
    return frame.select(expr.alias(values.name)).to_series()


@cache
def _old_numerals() -> _text.LiteralTable:
    return _text.LiteralTable.build(OLD_NUMERALS)


def _characters(value: pl.Expr, table: _text.LiteralTable | None = None) -> pl.Expr:
    value = _old_numerals().apply(value)
    value = (table or literal_table()).apply(value)
    value = value.str.replace_all(SMALL_KE_REGEX, "${1}ヶ${2}")
    return value.str.replace_all(THOUSANDS_REGEX, "${1}")


def _drop_koaza(value: pl.Expr) -> pl.Expr:
    return value.str.replace_all(f"{KOAZA_MARK}[^0-9 {KOAZA_MARK}-]*", "")


def _leading_parts(value: pl.Expr) -> pl.Expr:
    return leading_part_table().apply(value)


def _heads(heads: pl.Series) -> pl.DataFrame:
    """Step 3 for distinct raw heads: prefecture, place (no spaces), pending block text."""
    text = _apply(heads, _characters, _leading_parts)
    parts = text.to_frame("t").select(
        pl.col("t").str.extract_groups(prefix_regex(prefecture_names()))
    ).unnest("t")
    stated = parts.select(pl.coalesce("1", "2", "3")).to_series()
    # a county form names its prefecture (北安曇郡池田町 is 長野県's): the literal pass
    # wrote it before the municipality
    inferred = parts.select(
        pl.col("4").str.extract_groups(f"^({prefecture_alternation(prefecture_names())})(.*)$")
    ).unnest("4")
    pref_folded = pl.DataFrame({"s": stated, "i": inferred.get_column("1")}).select(pl.coalesce("s", "i")).to_series()
    rest = inferred.get_column("2").fill_null(parts.get_column("4"))
    rest = _apply(apply_kyoto(rest), _drop_koaza)
    # where the head's own block run starts (a head written in kanji numerals)
    start = rest.to_frame("r").select(
        pl.col("r").str.find(BLOCK_RUN_REGEX).fill_null(pl.col("r").str.len_bytes())
    ).to_series()
    binary = rest.cast(pl.Binary)
    frame = pl.DataFrame({"b": binary, "s": start})
    place = frame.select(pl.col("b").bin.head(pl.col("s")).cast(pl.String)).to_series()
    pending = frame.select(pl.col("b").bin.slice(pl.col("s")).cast(pl.String)).to_series()
    place = place.str.replace_all(" ", "", literal=True)
    alone = place.to_frame("p").select(_text.real_value_or_null(pl.col("p").str.strip_chars_end("-"))).to_series()
    return pl.DataFrame({
        PREFECTURE: _canonical_prefecture(pref_folded),
        _PLACE: place,
        _ALONE: alone,
        _PENDING: pending,
    })


def _tails(tails: pl.Series) -> pl.DataFrame:
    """Step 4's first half for distinct raw tails: the tail's text after the literal pass."""
    def one_as_dash(v: pl.Expr) -> pl.Expr:
        return v.str.replace_all(KANJI_ONE_AS_DASH, "${1}-${2}").str.replace_all(KANJI_ONE_AS_DASH, "${1}-${2}")

    def characters(v: pl.Expr) -> pl.Expr:
        return _characters(v, tail_table())

    text = _apply(tails, one_as_dash, characters, _drop_koaza, _apply_spaces)
    return pl.DataFrame({_TEXT: text, _BLOCK: _blocks(text)})


def _apply_spaces(v: pl.Expr) -> pl.Expr:
    v = v.str.replace_all(SPACE_IN_RUN_REGEX, SPACE_IN_RUN_REPLACEMENT)
    return v.str.replace_all(SPACE_IN_RUN_REGEX, SPACE_IN_RUN_REPLACEMENT)


def _blocks(texts: pl.Series) -> pl.Series:
    """Step 4's second half: the first block run written canonically, the rest dropped,
    spaces dropped (text before the run kept)."""
    def cut(v: pl.Expr) -> pl.Expr:
        v = v.str.replace(BLOCK_RUN_REGEX, BLOCK_RUN_REPLACEMENT)
        for pattern, replacement in BLOCK_FIXUPS:
            v = v.str.replace_all(pattern, replacement)
        v = v.str.split_exact("\x00", 1).struct.field("field_0")
        return v.str.replace_all(" ", "", literal=True)

    return _apply(texts, cut)


def _block_table(texts: pl.Series) -> pl.DataFrame:
    return pl.DataFrame({"block": _blocks(texts)})


@cache
def _caches() -> tuple[ValueCache, ValueCache, ValueCache]:
    return (
        ValueCache(_heads, max_entries=HEAD_CACHE_ENTRIES),
        ValueCache(_tails, max_entries=PART_CACHE_ENTRIES),
        ValueCache(_block_table, max_entries=PART_CACHE_ENTRIES),
    )


#: Distinct heads kept across batches: a broker's places, each in the notations its
#: rows use (about 350,000 per million rows of real places in one 住所 column;
#: some 200 bytes each).
HEAD_CACHE_ENTRIES: Final[int] = 1_000_000
#: Distinct tails (block numbers) and pending block texts kept, each.
PART_CACHE_ENTRIES: Final[int] = 300_000


def clear_address_caches() -> None:
    for c in _caches():
        c.clear()


def _split(values: pl.Series) -> tuple[pl.Series, pl.Series]:
    """Steps 1 and 2 on raw values: (head, cut tail), both null where the value is.

    Every sub-expression is a column of its own before it is used twice (an eager
    select computes a shared sub-expression once per use)."""
    v, b, at = pl.col("v"), pl.col("b"), pl.col("at")
    frame = values.to_frame("v").select(v.str.replace(RAW_LEAD_REGEX, ""))
    frame = frame.select(v.cast(pl.Binary).alias("b"), v.str.find(FIRST_DIGIT_REGEX).fill_null(v.str.len_bytes()).alias("at"))
    frame = frame.select(b.bin.head(at).alias("h"), b.bin.slice(at).cast(pl.String).alias("t"))
    frame = frame.select(
        pl.col("h").cast(pl.String).alias("head"), pl.col("t").str.replace(TAIL_CUT_REGEX, "${1}${2}").alias("tail")
    )
    return frame.get_column("head"), frame.get_column("tail")


def _lookup(cache: ValueCache, values: pl.Series, cached: bool) -> pl.DataFrame:
    """compute's columns for every value (null rows where the value is null)."""
    if cached:
        entry, table = cache.lookup(values)
        return table[entry]
    distinct = values.drop_nulls().unique()
    table = cache._compute(distinct)  # noqa: SLF001 (the same pure function, uncached)
    index = pl.DataFrame({"v": distinct, "i": pl.int_range(distinct.len(), eager=True, dtype=pl.UInt32)})
    entry = values.to_frame("v").join(index, on="v", how="left", maintain_order="left").get_column("i")
    return table[entry]


def parse_addresses(values: pl.Series, *, cached: bool = True) -> pl.DataFrame:
    """Raw address values → DataFrame(address: key or null, prefecture: stated or null).

    Each distinct head and tail is computed once; with ``cached`` (the default) the
    results are kept across calls. ``cached=False`` gives the same values (tested).
    """
    values = values.cast(pl.String)
    heads_cache, tails_cache, blocks_cache = _caches()
    head, tail = _split(values)
    h = _lookup(heads_cache, head, cached)
    t = _lookup(tails_cache, tail.fill_null(""), cached)
    block = t.get_column(_BLOCK)
    pending = h.get_column(_PENDING).fill_null("")
    needs_pending = pending != ""
    if needs_pending.any():
        # a head with block numbers of its own (三丁目 in kanji): read them with the tail
        rows = needs_pending.arg_true()
        joined = pl.DataFrame({"p": pending.gather(rows), "t": t.get_column(_TEXT).gather(rows)}).select(
            _apply_spaces(pl.col("p") + pl.col("t"))
        ).to_series()
        block = block.scatter(rows, _lookup(blocks_cache, joined, cached).get_column("block"))
    # A block is empty or starts with a digit (a tail starts with one, and so does a
    # pending run): the row's key is place + block, real and no placeholder; or, with no
    # block, the place alone as real_value_or_null(strip("-")) made it.
    frame = pl.DataFrame({"p": h.get_column(_PLACE), "a": h.get_column(_ALONE), "b": block, "v": values})
    key = frame.select(
        pl.when(pl.col("v").is_null()).then(None)
        .when(pl.col("b") != "").then(pl.col("p") + pl.col("b"))
        .otherwise(pl.col("a")).alias(ADDRESS)
    ).to_series()  # fmt: skip
    pref = h.get_column(PREFECTURE).zip_with(key.is_not_null(), pl.repeat(None, values.len(), dtype=pl.String, eager=True))
    return pl.DataFrame({ADDRESS: key, PREFECTURE: pref})


def _canonical_prefecture(folded: pl.Series) -> pl.Series:
    names = prefecture_names()
    mapping = dict(zip(names, PREFECTURES, strict=True))
    return folded.replace_strict(mapping, default=None, return_dtype=pl.String)


def normalise_address(value: pl.Expr) -> pl.Expr:
    """The address key (see the module docstring), or null."""
    return value.map_batches(
        lambda s: parse_addresses(s, cached=False).get_column(ADDRESS), return_dtype=pl.String, is_elementwise=True
    )


def parsed_address(value: pl.Expr) -> pl.Expr:
    """Key and stated prefecture in one parse: a struct of ``address`` and ``prefecture``."""
    return value.map_batches(
        lambda s: parse_addresses(s, cached=False).to_struct(s.name),
        return_dtype=pl.Struct({ADDRESS: pl.String, PREFECTURE: pl.String}),
        is_elementwise=True,
    )


def _joined(values: Sequence[str | tuple[str | None, ...] | None]) -> pl.Series:
    out = []
    for v in values:
        if isinstance(v, tuple):
            parts = [p for p in v if p is not None]
            out.append(" ".join(parts) if parts else None)
        else:
            out.append(v)
    return pl.Series("address", out, dtype=pl.String)


def address_keys(values: Sequence[str | tuple[str | None, ...] | None]) -> list[tuple[str | None, str | None]]:
    """Per value (one 住所 cell, or a tuple of columns joined as a scan joins them):
    (key, stated prefecture)."""
    parsed = parse_addresses(_joined(values))
    return list(zip(parsed[ADDRESS].to_list(), parsed[PREFECTURE].to_list(), strict=True))


def addresses_agree(a: str | tuple[str | None, ...], b: str | tuple[str | None, ...]) -> bool:
    """The matcher's rule on two values: same non-null key, and the same prefecture
    where both state one."""
    (ka, pa), (kb, pb) = address_keys([a, b])
    return ka is not None and ka == kb and (pa is None or pb is None or pa == pb)
