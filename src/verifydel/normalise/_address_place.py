"""The address rules that need the gazetteer (Japan Post's towns, ``gazetteer``).

- **Counties** (郡) are optional: every "<county><municipality>" of the gazetteer is a
  literal pattern replaced by the municipality (北佐久郡軽井沢町 → 軽井沢町), also with a
  space between them. 郡 written before a name the gazetteer does not hold is kept.
- **Numbered town names stay words**: a town name that ends with a kanji numeral
  and 番, 号 or 丁 (一番, 麻布十番) is kept verbatim, so that the block numbers after
  it are not read as its continuation (熱田区一番1丁目2-3 is not lot 1-1-2). A name
  that is nothing but the numeral and its marker is kept only after its
  municipality's last part (熱田区一番): alone, 一番 may be lot 1. Other numbered
  names (一番町, 三番町, 八丁堀, 十日町, 四日市) need nothing: the block grammar never
  reads a number followed by 町/堀/日 as a block, so 三番町 and 3番町 agree.
- **Kyoto's street notation** (四条通烏丸東入ル, in brackets or not) is dropped when what
  follows it is a town the gazetteer knows in that ward; the key is then ward + town
  (京都市 dropped: it is implied by the ward and the known town; the prefecture rule
  still tells 京都府 from another prefecture's ward of the same name).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import cache
from typing import Final

import polars as pl

from verifydel.normalise import _text
from verifydel.normalise._address_rules import PREFECTURES, address_rules
from verifydel.normalise._numerals import THOUSANDS_REGEX

#: 京都市's eleven wards.
KYOTO_WARDS: Final[tuple[str, ...]] = (
    "北区", "上京区", "左京区", "中京区", "東山区", "下京区", "南区", "右京区", "伏見区", "山科区", "西京区",
)  # fmt: skip
#: 上ル/下ル/東入/西入 in their spellings as the literal pass writes them (上がる and
#: 上ガル are 上ヶる, 上ヶル by then), longest first (the regex takes the first
#: alternative that matches at a place).
KYOTO_DIRECTIONS: Final[tuple[str, ...]] = (
    "上ヶる", "上ヶル", "下ヶる", "下ヶル", "上る", "上ル", "下る", "下ル",
    "東入る", "東入ル", "西入る", "西入ル", "東入", "西入",
)  # fmt: skip
_NUMBERED_END = re.compile("[一二三四五六七八九十百千]+(?:番|号|丁)$")
_LOCK = threading.Lock()


def _gazetteer():  # type: ignore[no-untyped-def]
    from verifydel.normalise.gazetteer import gazetteer

    return gazetteer()


def _last_part(municipality: str) -> str:
    """青葉区 of 仙台市青葉区; 府中市 of 府中市."""
    m = re.match(r"^(.+?市)(.+区)$", municipality)
    return m.group(2) if m else municipality


@cache
def protected_names() -> tuple[str, ...]:
    """Town names that end with a kanji numeral and 番, 号 or 丁 (一番, 麻布十番): read as
    numbers, the block numbers after them would join them (熱田区一番1丁目2 would be lot
    1-1-2). A name that is nothing but the numeral and its marker is kept only after
    its municipality's last part (熱田区一番), with or without a space."""
    out: set[str] = set()
    for municipality, town in _gazetteer().towns.select("municipality", "town").unique().iter_rows():
        m = _NUMBERED_END.search(town)
        if m is None:
            continue
        if m.start() == 0:
            out.add(_last_part(municipality) + town)
            out.add(_last_part(municipality) + " " + town)
        else:
            out.add(town)
    # 字 inside a town's name is no 小字 marker (栗沢町万字寿町, and 万字寿町 without its
    # leading part)
    with_ji = _gazetteer().towns.filter(pl.col("town").str.contains("字", literal=True))["town"].to_list()
    out.update(with_ji)
    out.update(m.group(2) for t in with_ji if (m := _LEADING.match(t)) and "字" in m.group(2))
    return tuple(sorted({unicodedata.normalize("NFKC", n) for n in out}))


_LEADING = re.compile(r"^(.{1,4}?[町村])(.{2,})$")


@cache
def leading_part_replacements() -> tuple[tuple[str, str], ...]:
    """(town, town without its leading part): a town named after the former town or
    village it lay in (伊達市保原町旭町, 岩見沢市栗沢町万字寿町, 厚別区厚別町下野幌) is
    also written without it (伊達市旭町). Kept only where the shorter name is no other
    town of the municipality and no other town shortens to it there."""
    towns = _gazetteer().towns.select("prefecture", "municipality", "town").unique()
    parts = towns.with_columns(
        pl.col("town").str.extract(_LEADING.pattern, 2).alias("short")
    ).filter(pl.col("short").is_not_null())
    taken = towns.select("prefecture", "municipality", pl.col("town").alias("short"))
    parts = parts.join(taken, on=["prefecture", "municipality", "short"], how="anti")
    unique = parts.filter(pl.len().over("prefecture", "municipality", "short") == 1)
    table = literal_table()
    written = unique.select(
        _written(table.apply(pl.col("town"))).alias("t"), _written(table.apply(pl.col("short"))).alias("s")
    )
    return tuple(sorted(dict(written.iter_rows()).items()))


def _written(value: pl.Expr) -> pl.Expr:
    """A gazetteer name as the head's passes write it (before the leading-part pass)."""
    from verifydel.normalise._address_rules import SMALL_KE_REGEX

    value = value.str.replace_all(SMALL_KE_REGEX, "${1}ヶ${2}").str.replace_all(THOUSANDS_REGEX, "${1}")
    return value.str.replace_all(" ", "", literal=True)


@cache
def leading_part_table() -> _text.LiteralTable:
    """The second literal pass of the head: a town without its leading part (on the
    head as the first pass left it, so every spelling of the town is caught)."""
    return _text.LiteralTable.build(dict(leading_part_replacements()))


@cache
def _base_table() -> _text.LiteralTable:
    """The literal pass without the gazetteer's replacements (to write their outputs)."""
    return _text.LiteralTable.build(_text.with_nfkc(address_rules(protected_names())))


def _folded_prefecture(name: str) -> str:
    return re.sub(THOUSANDS_REGEX, r"\1", _base_table().apply_to_text(name))


@cache
def county_replacements() -> tuple[tuple[str, str], ...]:
    """(county + municipality, prefecture + municipality) and the same with a space, as
    the literal pass writes them: a county is optional, and names its prefecture (every
    county form is in one prefecture only; the head reads the prefecture from there)."""
    base = _base_table()
    g = _gazetteer()
    pref_of = {
        county + municipality: prefecture
        for prefecture, county, municipality in g.municipalities.select("prefecture", "county", "municipality").iter_rows()
        if county
    }
    out: list[tuple[str, str]] = []
    for form, municipality in sorted(g.county_forms().items()):
        county = form[: len(form) - len(municipality)]
        written = _folded_prefecture(pref_of[form]) + base.apply_to_text(municipality)
        out.append((form, written))
        out.append((county + " " + municipality, written))
    return tuple(out)


@cache
def full_rules() -> dict[str, str]:
    """Every literal rule of the address, the gazetteer's included (before NFKC)."""
    return address_rules(protected_names(), county_replacements())


@cache
def tail_table() -> _text.LiteralTable:
    """The tail's literal pass: the address's characters without the gazetteer's names
    (a tail starts at a block number; 1,000s of names would only cost time)."""
    return _text.LiteralTable.build(_text.with_nfkc(address_rules()))


@cache
def literal_table() -> _text.LiteralTable:
    """NFKC and every literal rule of the address, the gazetteer's included, in one table."""
    with _LOCK:
        return _text.LiteralTable.build(_text.with_nfkc(full_rules()))


@cache
def prefecture_names() -> tuple[str, ...]:
    """The 47 names as the literal pass leaves them (三重県 is 3重県 by then), in
    ``PREFECTURES`` order."""
    thousands = re.compile(THOUSANDS_REGEX)
    return tuple(thousands.sub(r"\1", literal_table().apply_to_text(p)) for p in PREFECTURES)


_KYOTO = rf"^(?:京都市)? *({'|'.join(KYOTO_WARDS)}) *(.*)$"
_DIRECTION = "|".join(KYOTO_DIRECTIONS)


@cache
def kyoto_towns() -> pl.DataFrame:
    """(ward, town) of 京都市, the town as the head's literal pass writes it."""
    table = literal_table()
    ky = _gazetteer().kyoto_towns.select("ward", "town").unique()
    written = ky.select(
        "ward",
        table.apply(pl.col("town")).str.replace_all(" ", "", literal=True).alias("town"),
    )
    return written.unique().with_columns(pl.lit(True).alias("known"))


def apply_kyoto(rest: pl.Series) -> pl.Series:
    """Kyoto's street notation dropped before a known town (see the module docstring)."""
    frame = rest.to_frame("r").with_columns(pl.col("r").str.extract_groups(_KYOTO).alias("g")).unnest("g")
    frame = frame.rename({"1": "ward", "2": "after"})
    if frame.get_column("ward").null_count() == frame.height:
        return rest
    # brackets dropped, and the spaces at the ends: a head of joined columns ends with one
    # (京都市下京区 長刀鉾町 ); a space inside still ends the town (上本能寺前町1 コーポ)
    after = pl.col("after").str.replace_all(r"\([^)]*\)", "").str.strip_chars(" ")
    frame = frame.with_columns(after.alias("after"))
    after = pl.col("after")
    by_direction = after.str.extract(rf"^.*(?:{_DIRECTION}) *(.*)$", 1)
    by_street = after.str.extract(r"^.*通 *(.*)$", 1)
    # the town: up to its block numbers if the head holds them (三丁目), or all of it
    town_of = lambda e: e.str.extract(r"^([^ \x01]*?)(?:[0-9]+(?:丁目|番地|番|号|の|[-\u30fc]| |$).*)?$", 1)  # noqa: E731
    frame = frame.with_columns(
        by_direction.alias("d"), by_street.alias("s"), town_of(after).alias("t0")
    ).with_columns(town_of(pl.col("d")).alias("t1"), town_of(pl.col("s")).alias("t2"))
    towns = kyoto_towns()
    for t in ("t0", "t1", "t2"):
        frame = frame.join(
            towns.rename({"town": t, "known": "k" + t}), left_on=["ward", t], right_on=["ward", t], how="left",
            maintain_order="left",
        )
    ward = pl.col("ward")
    out = (
        pl.when(ward.is_null()).then(pl.col("r"))
        .when(pl.col("kt1").fill_null(False)).then(ward + pl.col("d"))
        .when(pl.col("kt0").fill_null(False)).then(ward + after)
        .when(pl.col("kt2").fill_null(False)).then(ward + pl.col("s"))
        .otherwise(pl.col("r"))
    )  # fmt: skip
    return frame.select(out.alias(rest.name)).to_series()
