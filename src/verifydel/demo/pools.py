"""Synthetic Japanese people, drawn in bulk (vectorised) from Faker's ja_JP word lists.

The benchmarks' generator (``benchmarks/generate.py``) and the test corpus
(``tests/corpus``) both draw their people here: Faker supplies only the pools
(surnames with readings, given names, prefectures, cities, towns, buildings);
every draw is a numpy index into them, so tens of millions of people take seconds.
``phone_notation`` and ``block_notation`` write them as brokers do, row by row.
"""

from __future__ import annotations

import re
from collections.abc import Collection

import numpy as np
import polars as pl
from faker.providers.address.ja_JP import Provider as AddressProvider
from faker.providers.person.ja_JP import Provider as PersonProvider

from verifydel.demo._notation import kanji_number

#: "1".."99" → kanji numerals as addresses write them (12 → 十二), for ``replace_strict``.
KANJI_NUMBERS: dict[str, str] = {str(i): kanji_number(i) for i in range(1, 100)}
#: Digits and "-" → full width, for ``str.replace_many``.
FULLWIDTH: dict[str, str] = {str(d): chr(0xFF10 + d) for d in range(10)} | {"-": "－"}


def faker_pools(*, exclude_surnames: Collection[str] = (), unsafe: re.Pattern[str] | None = None) -> dict[str, pl.Series]:
    """The word pools; ``unsafe`` drops place names it matches (e.g. ones holding numerals)."""

    def keep(names: Collection[str]) -> list[str]:
        return [n for n in names if unsafe is None or not unsafe.search(n)]

    surnames = [p for p in PersonProvider.last_name_pairs if p[0] not in set(exclude_surnames)]
    given = list(PersonProvider.first_name_pairs)
    return {
        "surname": pl.Series([s[0] for s in surnames]),
        "surname_kana": pl.Series([s[1] for s in surnames]),
        "given": pl.Series([g[0] for g in given]),
        "given_kana": pl.Series([g[1] for g in given]),
        "pref": pl.Series(list(AddressProvider.prefectures)),
        "city": pl.Series(keep(AddressProvider.cities)),
        "town": pl.Series(keep(AddressProvider.towns)),
        "building": pl.Series(keep(AddressProvider.building_names)),
    }


def draw_people(n: int, rng: np.random.Generator, pools: dict[str, pl.Series], *, gou: tuple[int, int]) -> pl.DataFrame:
    """Raw attributes of ``n`` people: names and readings, address parts, block numbers
    (``gou`` bounds the last one), a building and room for about 30 %. Same seed, same people."""
    si = pl.Series(rng.integers(0, len(pools["surname"]), n))
    gi = pl.Series(rng.integers(0, len(pools["given"]), n))

    def pick(pool: str) -> pl.Series:
        return pools[pool].gather(pl.Series(rng.integers(0, len(pools[pool]), n)))

    return pl.DataFrame(
        {
            "surname": pools["surname"].gather(si),
            "given": pools["given"].gather(gi),
            "surname_kana": pools["surname_kana"].gather(si),
            "given_kana": pools["given_kana"].gather(gi),
            "pref": pick("pref"),
            "city": pick("city"),
            "town": pick("town"),
            "chome": rng.integers(1, 10, n),
            "ban": rng.integers(1, 40, n),
            "gou": rng.integers(gou[0], gou[1], n),
            "building": pick("building"),
            "room": rng.integers(101, 1000, n),
            "has_building": rng.random(n) < 0.3,
        }
    )


def phone_notation(style: pl.Expr, phone: pl.Expr) -> pl.Expr:
    """An 11-digit number ``phone`` ("09012345678") as written by ``style`` 0-3:
    as is, "+81-90-1234-5678", "０９０－１２３４－５６７８", "(090)1234-5678"."""
    dashed = pl.concat_str([phone.str.slice(0, 3), pl.lit("-"), phone.str.slice(3, 4), pl.lit("-"), phone.str.slice(7, 4)])
    return (
        pl.when(style == 0).then(phone)
        .when(style == 1).then(pl.concat_str([pl.lit("+81-"), phone.str.slice(1, 2), pl.lit("-"),
                                              phone.str.slice(3, 4), pl.lit("-"), phone.str.slice(7, 4)]))
        .when(style == 2).then(dashed.str.replace_many(FULLWIDTH))
        .otherwise(pl.concat_str([pl.lit("("), phone.str.slice(0, 3), pl.lit(")"), phone.str.slice(3, 4),
                                  pl.lit("-"), phone.str.slice(7, 4)]))
    )  # fmt: skip


def block_notation(style: pl.Expr) -> pl.Expr:
    """The block numbers (columns chome, ban, gou) as written by ``style`` 0-3:
    "3-12-5", "三丁目十二番五号", "３－１２－５", "3丁目12の5"."""

    def num(c: str) -> pl.Expr:
        return pl.col(c).cast(pl.String)

    def kanji(c: str) -> pl.Expr:
        return num(c).replace_strict(KANJI_NUMBERS)

    dashes = pl.concat_str([num("chome"), pl.lit("-"), num("ban"), pl.lit("-"), num("gou")])
    return (
        pl.when(style == 0).then(dashes)
        .when(style == 1).then(pl.concat_str([kanji("chome"), pl.lit("丁目"), kanji("ban"), pl.lit("番"),
                                              kanji("gou"), pl.lit("号")]))
        .when(style == 2).then(dashes.str.replace_many(FULLWIDTH))
        .otherwise(pl.concat_str([num("chome"), pl.lit("丁目"), num("ban"), pl.lit("の"), num("gou")]))
    )  # fmt: skip


__all__ = ["FULLWIDTH", "KANJI_NUMBERS", "block_notation", "draw_people", "faker_pools", "phone_notation"]
