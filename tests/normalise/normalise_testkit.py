"""Helpers and hypothesis strategies shared by the normalisation tests.

Realistic values are built from parts (prefectures, towns, block numbers in
kanji/arabic/full-width with the several 丁目 styles, phone formats, names
with variant kanji), so that the properties are checked on what data holds,
not only on random text.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Sequence
from typing import TypeVar

import polars as pl
from hypothesis import settings
from hypothesis import strategies as st

from verifydel.normalise import field_expr
from verifydel.normalise._numerals import kanji_numeral
from verifydel.normalise.address import PREFECTURES

#: Each example is a batch of values (``batches``) normalised in one polars
#: call: building the literal automaton costs a few ms per call, so 50
#: batches of up to 20 values check ~500 values in the time of 50 calls.
T = TypeVar("T")

#: VERIFYDEL_HYPOTHESIS_EXAMPLES=2000 runs a deeper search by hand.
PROPERTY_SETTINGS = settings(
    max_examples=int(os.environ.get("VERIFYDEL_HYPOTHESIS_EXAMPLES", "50")), deadline=None
)


def batches(strategy: st.SearchStrategy[T]) -> st.SearchStrategy[list[T]]:
    """Up to 20 values of ``strategy`` at a time."""
    return st.lists(strategy, min_size=1, max_size=20)

#: Every dash-like character the rules fold next to a digit.
DASH_VARIANTS: tuple[str, ...] = (
    "-", "\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2015", "\u2212", "\uff0d",
    "\u30fc", "\uff70",
)  # fmt: skip


def normalise(field: str, values: Sequence[str | None]) -> list[str | None]:
    """Normalise one column of values."""
    frame = pl.DataFrame({"v": list(values)}, schema={"v": pl.String})
    return frame.select(field_expr(field, [pl.col("v")])).to_series().to_list()


def check_idempotent(field: str, values: Sequence[str | None]) -> list[str | None]:
    """Normalise, assert that normalising the output again changes nothing
    and that no output is "", and return the outputs."""
    once = normalise(field, values)
    assert "" not in once
    twice = normalise(field, once)
    assert twice == once, [(v, a, b) for v, a, b in zip(values, once, twice) if a != b]
    return once


def check_same_outputs(field: str, pairs: Sequence[tuple[str, str]]) -> None:
    """Assert that both values of every pair normalise alike."""
    out = normalise(field, [v for pair in pairs for v in pair])
    for i, pair in enumerate(pairs):
        assert out[2 * i] == out[2 * i + 1], (pair, out[2 * i], out[2 * i + 1])


def normalise_parts(field: str, rows: Sequence[Sequence[str | None]]) -> list[str | None]:
    """Normalise values given as several columns (姓, 名 ...)."""
    width = len(rows[0])
    frame = pl.DataFrame(
        {f"c{i}": [row[i] for row in rows] for i in range(width)},
        schema={f"c{i}": pl.String for i in range(width)},
    )
    expr = field_expr(field, [pl.col(f"c{i}") for i in range(width)])
    return frame.select(expr).to_series().to_list()


# --- width ------------------------------------------------------------------
def _half_width_kana() -> dict[str, str]:
    out: dict[str, str] = {}
    for code in range(0xFF61, 0xFFA0):
        half = chr(code)
        out.setdefault(unicodedata.normalize("NFKC", half), half)
    for code in range(0xFF66, 0xFF9E):
        for mark in ("\uff9e", "\uff9f"):
            composed = unicodedata.normalize("NFKC", chr(code) + mark)
            if len(composed) == 1:
                out.setdefault(composed, chr(code) + mark)
    return out


_HALF_KANA = _half_width_kana()


def to_full_width(text: str) -> str:
    """ASCII to full-width forms (space to U+3000)."""
    return "".join(
        "\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text
    )


def to_half_width(text: str) -> str:
    """Full-width ASCII to ASCII, katakana to half-width kana."""
    out = []
    for c in text:
        if "\uff01" <= c <= "\uff5e":
            out.append(chr(ord(c) - 0xFEE0))
        elif c == "\u3000":
            out.append(" ")
        else:
            out.append(_HALF_KANA.get(c, c))
    return "".join(out)


@st.composite
def width_variant(draw: st.DrawFn, text: str) -> str:
    """The text with each character in its own, full-width or half-width form."""
    return "".join(
        draw(st.sampled_from(sorted({c, to_full_width(c), to_half_width(c)}))) for c in text
    )


@st.composite
def dash_variant(draw: st.DrawFn, text: str) -> str:
    """Every dash next to a digit swapped for a random dash variant."""
    out = []
    for i, c in enumerate(text):
        before = i > 0 and text[i - 1].isdigit()
        near_digit = before or (i + 1 < len(text) and text[i + 1].isdigit())
        out.append(draw(st.sampled_from(DASH_VARIANTS)) if c in DASH_VARIANTS and near_digit else c)
    return "".join(out)


# --- addresses ----------------------------------------------------------------
CITIES = (
    "三鷹市", "四日市市", "八王子市", "千代田区", "府中市", "京都市中京区", "札幌市中央区",
    "横浜市港北区", "大阪市北区", "名古屋市中村区", "さいたま市浦和区", "那覇市", "千葉市中央区",
)  # fmt: skip
TOWNS = (
    "下連雀", "青木", "本町", "北一条西", "ひばりヶ丘", "霞ヶ関", "新田", "中央", "旭町",
    "桜台", "大手町", "高田馬場", "百合ヶ丘",
)  # fmt: skip
BUILDINGS = ("コーポ青木201", "ハイツ 305号室", "ビル101", "サンシャイン 12F", "メゾン桜 2-B")


def _kanji(n: int, positional: bool) -> str:
    if positional:
        return "".join("〇一二三四五六七八九"[int(d)] for d in str(n))
    return kanji_numeral(n)


@st.composite
def block_numbers(draw: st.DrawFn) -> list[int]:
    count = draw(st.integers(1, 3))
    first = draw(st.integers(1, 40 if count > 1 else 2999))
    return [first] + [draw(st.integers(1, 60)) for _ in range(count - 1)]


@st.composite
def render_block(draw: st.DrawFn, numbers: list[int]) -> str:
    """The block numbers in one of the notations that must agree."""
    digits = draw(st.sampled_from(["arabic", "full", "kanji", "kanji-positional"]))

    def num(n: int) -> str:
        if digits == "arabic":
            return str(n)
        if digits == "full":
            return to_full_width(str(n))
        return _kanji(n, positional=digits == "kanji-positional")

    nums = [num(n) for n in numbers]
    if len(nums) == 1:
        return nums[0] + draw(st.sampled_from(["", "番地", "番"]))
    styles = ["dash", "no", "banchi"] + (["chome"] if len(nums) == 3 else ["chome2"])
    style = draw(st.sampled_from(styles))
    dash = draw(st.sampled_from(DASH_VARIANTS))
    if style == "dash":
        return dash.join(nums)
    if style == "no":
        return "の".join(nums)
    if style == "banchi":
        return nums[0] + "番地" + ("の" if draw(st.booleans()) else "") + dash.join(nums[1:])
    if style == "chome2":
        return nums[0] + "丁目" + nums[1] + draw(st.sampled_from(["", "番", "番地"]))
    return nums[0] + "丁目" + nums[1] + draw(st.sampled_from(["番", "番地", dash])) + nums[2] + draw(
        st.sampled_from(["号", ""]))


@st.composite
def address_parts(draw: st.DrawFn) -> tuple[str, str, str, list[int], str | None]:
    prefecture = draw(st.sampled_from(PREFECTURES))
    city = draw(st.sampled_from(CITIES))
    town = draw(st.sampled_from(TOWNS))
    numbers = draw(block_numbers())
    building = draw(st.none() | st.sampled_from(BUILDINGS))
    return prefecture, city, town, numbers, building


@st.composite
def render_address(draw: st.DrawFn, parts: tuple[str, str, str, list[int], str | None]) -> str:
    """One way of writing the address: prefecture or not, building or not,
    any block notation, 〒 code in front or not, spaces or not."""
    prefecture, city, town, numbers, building = parts
    text = ""
    if draw(st.booleans()):
        text += draw(st.sampled_from(["〒100-0001 ", "〒1000001", "100-0001 ", ""]))
    if draw(st.booleans()):
        text += prefecture + draw(st.sampled_from(["", " ", "\u3000"]))
    text += city + draw(st.sampled_from(["", " "])) + town + draw(render_block(numbers))
    if building is not None and draw(st.booleans()):
        text += draw(st.sampled_from([" ", "\u3000", "  "])) + building
    return text


def realistic_address() -> st.SearchStrategy[str]:
    return address_parts().flatmap(render_address)


# --- names ------------------------------------------------------------------
#: (variant spelling, standard spelling)
SURNAMES = (
    ("髙橋", "高橋"), ("山﨑", "山崎"), ("渡邊", "渡辺"), ("渡邉", "渡辺"), ("齋藤", "斎藤"),
    ("齊藤", "斎藤"), ("澤田", "沢田"), ("濱田", "浜田"), ("濵田", "浜田"), ("𠮷田", "吉田"),
    ("廣瀬", "広瀬"), ("國分", "国分"), ("嶋田", "島田"), ("冨田", "富田"), ("德永", "徳永"),
    ("眞鍋", "真鍋"), ("櫻井", "桜井"), ("藪内", "薮内"), ("龜井", "亀井"), ("佐藤", "佐藤"),
    ("鈴木", "鈴木"), ("田中", "田中"),
)  # fmt: skip
GIVEN_NAMES = (
    ("惠子", "恵子"), ("榮一", "栄一"), ("太郎", "太郎"), ("花子", "花子"), ("一郎", "一郎"),
    ("美咲", "美咲"), ("翔太", "翔太"), ("眞理", "真理"),
)  # fmt: skip
HONORIFIC_SUFFIXES = ("", "", "様", " 様", "さん", "殿", "くん", "ちゃん", "君")


@st.composite
def name_pair(draw: st.DrawFn) -> tuple[str, str]:
    """(a written name, the same name in standard kanji without decoration)."""
    surname = draw(st.sampled_from(SURNAMES))
    given = draw(st.sampled_from(GIVEN_NAMES))
    sep = draw(st.sampled_from(["", " ", "\u3000", "・"]))
    suffix = draw(st.sampled_from(HONORIFIC_SUFFIXES))
    return surname[0] + sep + given[0] + suffix, surname[1] + given[1]


def realistic_name() -> st.SearchStrategy[str]:
    return name_pair().map(lambda pair: pair[0])


KANA_NAMES = ("ヤマダ タロウ", "サトウ ハナコ", "キャッシュ", "シュウジ", "リョウコ", "ジョン スミス",
              "ヴァイオレット", "ワタナベ ケイコ", "チョウ")  # fmt: skip


def _hiragana(text: str) -> str:
    return "".join(chr(ord(c) - 0x60) if "\u30a1" <= c <= "\u30f6" else c for c in text)


@st.composite
def kana_variant(draw: st.DrawFn) -> tuple[str, str]:
    """(a written reading, the katakana original)."""
    name = draw(st.sampled_from(KANA_NAMES))
    form = draw(st.sampled_from(["kata", "hira", "half"]))
    text = {"kata": name, "hira": _hiragana(name), "half": to_half_width(name)}[form]
    return text.replace(" ", draw(st.sampled_from([" ", "\u3000", "・", ""]))), name


# --- phones -------------------------------------------------------------------
@st.composite
def jp_phone_national(draw: st.DrawFn) -> str:
    """A valid-looking Japanese national number with its 0, as digits."""
    kind = draw(st.sampled_from(["mobile", "tokyo", "osaka", "area3", "area4", "free", "ip"]))

    def rest(n: int) -> str:
        return "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=n, max_size=n)))

    if kind == "mobile":
        prefix = draw(st.sampled_from(["070", "080", "090"]))
        return prefix + draw(st.sampled_from("123456789")) + rest(7)
    if kind == "tokyo":
        return "03" + draw(st.sampled_from("23456789")) + rest(7)
    if kind == "osaka":
        return "06" + draw(st.sampled_from("23456789")) + rest(7)
    if kind == "area3":
        return draw(st.sampled_from(["011", "022", "045", "052", "092", "075"])) + draw(
            st.sampled_from("23456789")) + rest(6)
    if kind == "area4":
        return draw(st.sampled_from(["0422", "0466", "0297", "0859"])) + draw(
            st.sampled_from("23456789")) + rest(5)
    if kind == "free":
        return "0120" + draw(st.sampled_from("123456789")) + rest(5)
    return "050" + draw(st.sampled_from("123456789")) + rest(7)


def group_phone(national: str) -> list[str]:
    """Split a national number into the groups people write."""
    if national.startswith(("070", "080", "090", "050")):
        return [national[:3], national[3:7], national[7:]]
    if national.startswith(("03", "06")):
        return [national[:2], national[2:6], national[6:]]
    if national.startswith("0120"):
        return [national[:4], national[4:7], national[7:]]
    if national[:4] in ("0422", "0466", "0297", "0859"):
        return [national[:4], national[4:6], national[6:]]
    return [national[:3], national[3:6], national[6:]]


@st.composite
def render_phone(draw: st.DrawFn, national: str) -> str:
    """One way of writing the number."""
    groups = group_phone(national)
    style = draw(st.sampled_from(
        ["dash", "plain", "space", "bracket", "+81", "+81(0)", "0081", "010", "81", "int", "float",
         "label", "ext", "full"]))  # fmt: skip
    dash = draw(st.sampled_from(DASH_VARIANTS))
    body = dash.join(groups)
    international = dash.join([groups[0][1:], *groups[1:]])
    if style == "plain":
        return national
    if style == "space":
        return " ".join(groups)
    if style == "bracket":
        return f"({groups[0]}) {groups[1]}-{groups[2]}"
    if style == "+81":
        return "+81" + dash + international
    if style == "+81(0)":
        return f"+81 (0){groups[0][1:]}-{groups[1]}-{groups[2]}"
    if style == "0081":
        return "0081" + national[1:]
    if style == "010":
        return "010-81-" + international
    if style == "81":
        return "81" + national[1:]
    if style == "int":
        return national[1:]
    if style == "float":
        return national[1:] + ".0"
    if style == "label":
        return draw(st.sampled_from(["TEL:", "TEL ", "電話 ", "携帯：", "℡"])) + body
    if style == "ext":
        return body + draw(st.sampled_from([" 内線123", " ext. 12", " x12", "#12", "（内線 45）"]))
    return to_full_width(body)
