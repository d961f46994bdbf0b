"""Synthetic people for the corpus, drawn with numpy and assembled with polars (no row loop).

Faker ja_JP only supplies the pools (surnames with readings, given names,
prefectures, cities, towns, building names). Three populations, kept apart by
construction so that the answer key is exact:

- leaked records: mobile phones 090/080/070 with a serial that is an injective
  map of the record index (every leaked phone unique), house numbers 号 1-29;
- filler (fresh) broker people: 050 phones and house numbers 号 30-59, so a
  filler row can agree with a leaked record on its name at most: never a match;
- decoys: a *namesake* (a leaked record's name, a fresh phone and address: must
  not match at all) and a *reassigned phone* (a leaked record's phone under a
  reserved surname no leaked record has, at a fresh address: weak at most).

Survivors are leaked records written the way a broker would: +81 or bracketed
or full-width phones, kanji or full-width block numbers, 1丁目2の3, no
prefecture, 様 after the name. Everything is seeded: same seed, same bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import polars as pl

from verifydel.demo.pools import block_notation, draw_people, faker_pools, phone_notation

#: Place names holding numerals or block words would blur the block numbers: left out.
_UNSAFE: Final = re.compile(r"[一二三四五六七八九十百千万〇零丁番号のノ之ヶケヵが0-9０-９Ａ-Ｚａ-ｚ]")
#: Surnames no leaked record has: the reassigned-phone decoys carry them.
DECOY_SURNAMES: Final = (("勅使河原", "テシガワラ"), ("東海林", "ショウジ"), ("小鳥遊", "タカナシ"), ("五百旗頭", "イオキベ"))
_PHONE_STEP: Final = 7919  # prime to 10^8: record index -> phone serial is injective
_PHONE_SHIFT: Final = 1_234_567
_SERIAL_SPACE: Final = 100_000_000
LEAKED_HEADER: Final = ("ID", "氏名", "フリガナ", "住所", "電話番号")



#: Column names of each broker table layout, in order.
LAYOUTS: Final[dict[str, tuple[str, ...]]] = {
    "joined": ("会員番号", "氏名", "住所", "電話番号", "備考"),
    "split": ("顧客コード", "姓", "名", "都道府県", "市区町村", "番地", "建物", "TEL"),
    "romanised": ("kaiin_no", "shimei", "jusho", "denwa"),
    "english": ("member_id", "NAME", "ADDRESS", "PHONE"),
}


def _pools() -> dict[str, pl.Series]:
    return faker_pools(exclude_surnames={s for s, _ in DECOY_SURNAMES}, unsafe=_UNSAFE)


@dataclass
class Placed:
    """Where a broker table's planted rows are (1-based data rows) and whose they are."""

    survivors: list[tuple[int, str]] = field(default_factory=list)  # (row, record id)
    namesakes: list[tuple[int, str]] = field(default_factory=list)  # must not match at all
    reassigned: list[tuple[int, str]] = field(default_factory=list)  # weak at most


class People:
    """The leaked set and every broker table of one corpus, from one seed."""

    def __init__(self, leaked: int, seed: int = 2024) -> None:
        self.seed = seed
        self.pools = _pools()
        self.leaked = self._leaked(leaked)
        self._next = 0
        self._tables = 0

    @staticmethod
    def record_id(index: int) -> str:
        return f"C{index + 1:07d}"

    # --- raw attributes ---------------------------------------------------------------
    def _draw(self, n: int, rng: np.random.Generator, gou: tuple[int, int]) -> pl.DataFrame:
        return draw_people(n, rng, self.pools, gou=gou)

    def _leaked(self, n: int) -> pl.DataFrame:
        rng = np.random.default_rng([self.seed, 0])
        index = np.arange(n, dtype=np.int64)
        serial = (index * _PHONE_STEP + _PHONE_SHIFT) % _SERIAL_SPACE
        prefix = np.array(["090", "080", "070"])[index % 3]
        phone = pl.Series(prefix) + pl.Series(serial).cast(pl.String).str.zfill(8)
        return self._draw(n, rng, (1, 30)).with_columns(phone.alias("phone"), pl.Series("index", index))

    def _fresh(self, n: int, rng: np.random.Generator) -> pl.DataFrame:
        serial = pl.Series(rng.integers(0, _SERIAL_SPACE, n)).cast(pl.String).str.zfill(8)
        fresh = self._draw(n, rng, (30, 60))
        return fresh.with_columns(("050" + serial).alias("phone"), pl.lit(-1, pl.Int64).alias("index"))

    def take(self, k: int) -> list[int]:
        """``k`` leaked record indices no other table has used."""
        if self._next + k > self.leaked.height:
            raise RuntimeError("the corpus ran out of leaked records: raise the leaked set size")
        out = list(range(self._next, self._next + k))
        self._next += k
        return out

    # --- the leaked set -----------------------------------------------------------------
    def leaked_csv(self) -> bytes:
        serial = pl.col("phone")
        frame = self.leaked.select(
            pl.format("C{}", (pl.col("index") + 1).cast(pl.String).str.zfill(7)).alias("ID"),
            pl.concat_str([pl.col("surname"), pl.lit(" "), pl.col("given")]).alias("氏名"),
            pl.concat_str([pl.col("surname_kana"), pl.lit(" "), pl.col("given_kana")]).alias("フリガナ"),
            pl.concat_str(
                [pl.col("pref"), pl.col("city"), pl.col("town"), pl.col("chome").cast(pl.String), pl.lit("丁目"),
                 pl.col("ban").cast(pl.String), pl.lit("番"), pl.col("gou").cast(pl.String), pl.lit("号")]
            ).alias("住所"),
            pl.concat_str([serial.str.slice(0, 3), pl.lit("-"), serial.str.slice(3, 4), pl.lit("-"),
                           serial.str.slice(7, 4)]).alias("電話番号"),
        )  # fmt: skip
        return frame.write_csv().encode("utf-8")

    # --- broker tables ------------------------------------------------------------------
    def table(
        self, rows: int, *, survivors: int = 3, namesakes: int = 1, reassigned: int = 1, layout: str = "joined",
        digits: bool = False,
    ) -> tuple[pl.DataFrame, Placed]:
        """A broker table of ``rows`` rows (at least the planted ones), every column String.

        Planted rows sit at random positions; ``Placed`` says where and whose. With
        ``digits`` the frame also holds ``_digits``: each row's phone as bare digits.
        """
        self._tables += 1
        rng = np.random.default_rng([self.seed, 1, self._tables])
        planted = survivors + namesakes + reassigned
        rows = max(rows, planted)
        leaked_idx = self.take(planted)
        targets = self.leaked.select(pl.all().gather(pl.Series(leaked_idx, dtype=pl.Int64)))
        surv = targets.head(survivors)
        names = targets.slice(survivors, namesakes)
        phones = targets.slice(survivors + namesakes, reassigned)
        fresh = self._fresh(rows - survivors, rng)
        kinds = ["survivor"] * survivors + ["namesake"] * namesakes + ["reassigned"] * reassigned
        # A namesake: the leaked name on a fresh person; a reassigned phone: the leaked
        # phone on a fresh person under a reserved surname.
        nm = fresh.head(namesakes).with_columns(
            names["surname"], names["given"], names["surname_kana"], names["given_kana"],
            names["index"],
        )  # fmt: skip
        ds = pl.Series(np.array([s for s, _ in DECOY_SURNAMES])[rng.integers(0, len(DECOY_SURNAMES), reassigned)])
        rp = fresh.slice(namesakes, reassigned).with_columns(phones["phone"], phones["index"], ds.alias("surname"))
        filler = fresh.slice(namesakes + reassigned)
        people = pl.concat([surv, nm, rp, filler], how="diagonal_relaxed").with_columns(
            pl.Series("kind", kinds + ["filler"] * filler.height)
        )
        order = rng.permutation(rows)
        people = people.select(pl.all().gather(pl.Series(order)))
        placed = Placed()
        where = {"survivor": placed.survivors, "namesake": placed.namesakes, "reassigned": placed.reassigned}
        kind_col = people["kind"].to_list()
        index_col = people["index"].to_list()
        for pos in np.nonzero(people["kind"].to_numpy() != "filler")[0]:
            where[kind_col[pos]].append((int(pos) + 1, self.record_id(index_col[pos])))
        style = pl.Series("style", rng.integers(0, 4, rows))
        frame = _broker_columns(people.with_columns(style), layout)
        return (frame.with_columns(people["phone"].alias("_digits")) if digits else frame), placed


def _broker_columns(df: pl.DataFrame, layout: str) -> pl.DataFrame:
    """Mixed notations, chosen per row by ``style`` (0-3)."""
    s = pl.col("style")
    phone = phone_notation(s, pl.col("phone"))
    block = block_notation(s)
    pref = pl.when(s == 0).then(pl.lit(None, pl.String)).otherwise(pl.col("pref"))
    given = pl.when(s == 3).then(pl.concat_str([pl.col("given"), pl.lit("様")])).otherwise(pl.col("given"))
    building = pl.when(pl.col("has_building")).then(pl.concat_str([pl.col("building"), pl.col("room").cast(pl.String)]))
    serial = pl.format("M{}", pl.int_range(1, pl.len() + 1).cast(pl.String).str.zfill(8))
    name = pl.concat_str([pl.col("surname"), pl.lit("\u3000"), given])
    address = pl.concat_str([pref, pl.col("city"), pl.col("town"), block, pl.lit(" "), building], ignore_nulls=True)
    cols = {
        "joined": [serial, name, address, phone, pl.lit(None, pl.String)],
        "split": [serial, pl.col("surname"), given, pref, pl.concat_str([pl.col("city"), pl.col("town")]), block,
                  building, phone],
        "romanised": [serial, name, address, phone],
        "english": [serial, name, address, phone],
    }[layout]  # fmt: skip
    names = LAYOUTS[layout]
    return df.select([c.cast(pl.String).alias(n) for c, n in zip(cols, names, strict=True)])


def csv_bytes(frame: pl.DataFrame, encoding: str = "utf-8") -> bytes:
    """The table as CSV text with its header, in ``encoding``."""
    text = frame.write_csv()
    return text.encode(encoding)


__all__ = ["DECOY_SURNAMES", "LAYOUTS", "LEAKED_HEADER", "People", "Placed", "csv_bytes"]
