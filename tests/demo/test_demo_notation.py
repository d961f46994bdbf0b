"""The demo's reformattings, one by one."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace

import pytest
from faker import Faker

from verifydel.demo._notation import (
    ROW_TAGS,
    Caps,
    Notation,
    block_numbers,
    choose_notation,
    halfwidth_kana,
    kanji_number,
    leaked_address,
    leaked_phone,
)
from verifydel.demo._people import CITIES, Address, Person, PersonFactory, Phone, name_key

TOKYO = CITIES[0]  # 東京都港区, area code 03
MOBILE = Phone(("090", "1234", "5678"))
LANDLINE = Phone(("03", "3433", "5111"))
ADDRESS = Address(TOKYO, "芝公園", 4, 2, 8, "芝公園ハイツ305", "105-0011", "chome")
PERSON = Person(
    "高橋", "一郎", "タカハシ", "イチロウ", ADDRESS, MOBILE, "1980-01-02", "a@example.com"
)


@pytest.mark.parametrize(
    ("n", "kanji"),
    [(1, "一"), (9, "九"), (10, "十"), (12, "十二"), (20, "二十"), (28, "二十八"), (99, "九十九")],
)
def test_kanji_numbers(n: int, kanji: str) -> None:
    assert kanji_number(n) == kanji


def test_halfwidth_kana_round_trips_through_nfkc() -> None:
    assert halfwidth_kana("ガッコウ パン") == "ｶﾞｯｺｳ ﾊﾟﾝ"
    assert unicodedata.normalize("NFKC", halfwidth_kana("サイトウ ジョウジ")) == "サイトウ ジョウジ"


@pytest.mark.parametrize(
    ("style", "text"),
    [("chome", "4丁目2番8号"), ("hyphen", "4-2-8"), ("no", "4の2の8"), ("kanji", "四丁目二番八号")],
)
def test_block_numbers(style: str, text: str) -> None:
    assert block_numbers(ADDRESS, style) == text


def test_leaked_notation() -> None:
    assert leaked_address(ADDRESS) == "東京都港区芝公園4丁目2番8号芝公園ハイツ305"
    assert (
        leaked_address(replace(ADDRESS, style="hyphen", building=None)) == "東京都港区芝公園4-2-8"
    )
    assert leaked_phone(MOBILE) == "090-1234-5678"


@pytest.mark.parametrize(
    ("style", "mobile", "landline"),
    [
        ("hyphen", "090-1234-5678", "03-3433-5111"),
        ("nohyphen", "09012345678", "0334335111"),
        ("plus81", "+81-90-1234-5678", "+81-3-3433-5111"),
        ("plus81-paren", "+81 (90) 1234-5678", "+81 (3) 3433-5111"),
        ("paren", "090(1234)5678", "03(3433)5111"),
        ("space", "090 1234 5678", "03 3433 5111"),
        ("int", 9012345678, 334335111),
    ],
)
def test_phone_styles(style: str, mobile: str | int, landline: str | int) -> None:
    notation = Notation(phone_style=style)
    assert notation.phone(MOBILE) == mobile
    assert notation.phone(LANDLINE) == landline


def test_fullwidth_and_dash_variants() -> None:
    assert Notation(phone_fullwidth=True).phone(MOBILE) == "０９０－１２３４－５６７８"
    assert Notation(dash="ー").phone(MOBILE) == "090ー1234ー5678"
    wide = Notation(address_style="hyphen", address_fullwidth=True, building=None, prefecture=False)
    assert wide.address(ADDRESS) == "港区芝公園４－２－８"


def test_names() -> None:
    assert Notation().name(PERSON) == "高橋 一郎"
    assert Notation(spacing="\u3000", surname="髙橋").name(PERSON) == "髙橋\u3000一郎"
    assert Notation(spacing="", honorific=True).name(PERSON) == "高橋一郎様"
    assert Notation(honorific=True).name(PERSON) == "高橋 一郎 様"
    assert name_key("髙橋\u3000一郎様") == name_key("高橋 一郎") == "高橋一郎"


def test_address_parts_for_split_columns() -> None:
    notation = Notation(address_style="no", building="芝公園ハイツ305")
    assert notation.address_parts(ADDRESS) == ("東京都", "港区芝公園", "4の2の8", "芝公園ハイツ305")


def test_the_leaked_notation_carries_no_tag() -> None:
    plain = Notation(building=ADDRESS.building)
    assert plain.tags(PERSON, frozenset({"name", "address", "phone"})) == []


def test_tags_only_describe_kept_fields() -> None:
    notation = Notation(
        spacing="", phone_style="plus81", address_style="kanji", building=ADDRESS.building
    )
    assert notation.tags(PERSON, frozenset({"name", "phone"})) == ["name-nospace", "phone-plus81"]
    assert notation.tags(PERSON, frozenset({"address", "phone"})) == ["addr-kanji", "phone-plus81"]


@pytest.mark.parametrize("tag", ROW_TAGS)
def test_a_wanted_tag_is_honoured_where_the_row_allows_it(tag: str) -> None:
    fake = Faker("ja_JP")
    fake.seed_instance(5)
    factory = PersonFactory(fake)
    person = PERSON
    if tag == "building-added":
        person = replace(PERSON, address=replace(ADDRESS, building=None))
    if tag == "addr-chome":
        person = replace(PERSON, address=replace(ADDRESS, style="hyphen"))
    kept = frozenset({"name", "address", "phone"})
    caps = Caps(kana=True, phone_int=True)
    for _ in range(20):  # whatever else the draw does
        notation = choose_notation(person, caps, factory, want=tag)
        assert tag in notation.tags(person, kept)


def test_cities_are_real_pairs_without_numerals() -> None:
    assert len({(c.prefecture, c.city) for c in CITIES}) == len(CITIES)
    for city in CITIES:
        assert not re.search(
            r"[一二三四五六七八九十百千万〇のノケヶ\d]", city.prefecture + city.city
        )
        assert re.fullmatch(r"0\d{1,3}", city.area_code) and re.fullmatch(
            r"\d{3}", city.postal_prefix
        )
        assert city.prefecture[-1] in "都道府県"


def test_factory_never_hands_out_a_phone_or_address_twice() -> None:
    fake = Faker("ja_JP")
    fake.seed_instance(3)
    factory = PersonFactory(fake)
    people = [factory.person() for _ in range(2000)]
    assert len({p.phone.digits for p in people}) == len(people)
    assert len({p.address.key for p in people}) == len(people)
    assert all(len(p.phone.digits) == (11 if p.phone.mobile else 10) for p in people)
