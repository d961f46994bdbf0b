"""Synthetic Japanese people for the demo: names, real-looking addresses, phones.

Faker's ja_JP ``address()`` glues a random prefecture to a random city
("香川県横浜市…") and allows 42 丁目, so the demo builds its own addresses from
a table of real prefecture/city pairs (with their postal prefix and area code)
and Faker's town and building parts. Every address (without prefecture and
building) and every phone number handed out is unique across the whole demo,
so no two people share an address or a phone unless the demo means it (a
family member, a reassigned number).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, replace
from typing import Final

from faker import Faker


@dataclass(frozen=True)
class City:
    prefecture: str
    city: str  # with its ward for designated cities: "大阪市北区"
    postal_prefix: str  # the first three digits of its postal codes
    area_code: str  # landline area code, with its leading 0


# Real pairs. None holds a kanji numeral (千葉県, 八王子市, 北九州市, 四日市市...), の, ノ
# or ケ: the demo keeps numerals to the block numbers so its reformattings stay
# unambiguous (the normaliser's own tests cover such place names).
CITIES: Final[tuple[City, ...]] = tuple(
    City(*row)
    for row in (
        ("東京都", "港区", "105", "03"),
        ("東京都", "新宿区", "160", "03"),
        ("東京都", "渋谷区", "150", "03"),
        ("東京都", "世田谷区", "154", "03"),
        ("東京都", "練馬区", "176", "03"),
        ("東京都", "江東区", "135", "03"),
        ("東京都", "大田区", "144", "03"),
        ("東京都", "杉並区", "166", "03"),
        ("東京都", "町田市", "194", "042"),
        ("神奈川県", "横浜市港北区", "222", "045"),
        ("神奈川県", "横浜市中区", "231", "045"),
        ("神奈川県", "川崎市中原区", "211", "044"),
        ("神奈川県", "藤沢市", "251", "0466"),
        ("大阪府", "大阪市北区", "530", "06"),
        ("大阪府", "大阪市中央区", "540", "06"),
        ("大阪府", "堺市堺区", "590", "072"),
        ("大阪府", "豊中市", "560", "06"),
        ("大阪府", "吹田市", "564", "06"),
        ("愛知県", "名古屋市中区", "460", "052"),
        ("愛知県", "名古屋市昭和区", "466", "052"),
        ("愛知県", "豊田市", "471", "0565"),
        ("愛知県", "岡崎市", "444", "0564"),
        ("北海道", "札幌市中央区", "060", "011"),
        ("北海道", "旭川市", "070", "0166"),
        ("北海道", "函館市", "040", "0138"),
        ("福岡県", "福岡市博多区", "812", "092"),
        ("福岡県", "福岡市中央区", "810", "092"),
        ("福岡県", "久留米市", "830", "0942"),
        ("京都府", "京都市左京区", "606", "075"),
        ("京都府", "宇治市", "611", "0774"),
        ("兵庫県", "神戸市中央区", "650", "078"),
        ("兵庫県", "姫路市", "670", "079"),
        ("兵庫県", "西宮市", "662", "0798"),
        ("宮城県", "仙台市青葉区", "980", "022"),
        ("広島県", "広島市中区", "730", "082"),
        ("埼玉県", "さいたま市大宮区", "330", "048"),
        ("埼玉県", "川口市", "332", "048"),
        ("茨城県", "水戸市", "310", "029"),
        ("栃木県", "宇都宮市", "320", "028"),
        ("静岡県", "静岡市葵区", "420", "054"),
        ("新潟県", "新潟市中央区", "951", "025"),
        ("沖縄県", "那覇市", "900", "098"),
        ("群馬県", "太田市", "373", "0276"),
    )
)

# Town names Faker offers that would blur the block numbers or the 1の2の3 notation.
_UNSAFE_TOWN: Final = re.compile(
    r"[一二三四五六七八九十百千万〇零丁番号のノ之ヶケヵが0-9０-９Ａ-Ｚａ-ｚ]"
)

# Surnames (kanji, reading) beyond Faker's 50, most with a kanji that has a common
# variant form (高→髙, 崎→﨑, 辺→邊, 沢→澤, 浜→濱, 広→廣), so the broker copy can use it.
EXTRA_SURNAMES: Final[tuple[tuple[str, str], ...]] = (
    ("高田", "タカダ"),
    ("沢田", "サワダ"),
    ("浜田", "ハマダ"),
    ("広田", "ヒロタ"),
    ("高木", "タカギ"),
    ("宮崎", "ミヤザキ"),
    ("岡崎", "オカザキ"),
    ("中沢", "ナカザワ"),
    ("広瀬", "ヒロセ"),
    ("浜口", "ハマグチ"),
    ("高野", "タカノ"),
    ("小沢", "オザワ"),
    ("田辺", "タナベ"),
    ("川崎", "カワサキ"),
    ("野沢", "ノザワ"),
    ("渡部", "ワタナベ"),
    ("長浜", "ナガハマ"),
    ("高山", "タカヤマ"),
    ("黒沢", "クロサワ"),
    ("大崎", "オオサキ"),
)
EXTRA_GIVEN_NAMES: Final[tuple[tuple[str, str], ...]] = (
    ("大輔", "ダイスケ"),
    ("健太", "ケンタ"),
    ("拓也", "タクヤ"),
    ("誠", "マコト"),
    ("大樹", "ダイキ"),
    ("隆", "タカシ"),
    ("達也", "タツヤ"),
    ("剛", "ツヨシ"),
    ("悠斗", "ユウト"),
    ("蓮", "レン"),
    ("颯太", "ソウタ"),
    ("悠真", "ユウマ"),
    ("大和", "ヤマト"),
    ("勇気", "ユウキ"),
    ("和彦", "カズヒコ"),
    ("博", "ヒロシ"),
    ("茂", "シゲル"),
    ("清", "キヨシ"),
    ("美咲", "ミサキ"),
    ("愛", "アイ"),
    ("恵", "メグミ"),
    ("由美", "ユミ"),
    ("真由美", "マユミ"),
    ("久美子", "クミコ"),
    ("智子", "トモコ"),
    ("恵子", "ケイコ"),
    ("幸子", "サチコ"),
    ("京子", "キョウコ"),
    ("陽菜", "ヒナ"),
    ("結菜", "ユイナ"),
    ("葵", "アオイ"),
    ("凛", "リン"),
    ("美穂", "ミホ"),
    ("彩", "アヤ"),
    ("麻衣", "マイ"),
    ("優子", "ユウコ"),
    ("裕子", "ユウコ"),
)

#: Standard kanji → variant forms used in names (a broker copy may use either).
VARIANT_KANJI: Final[dict[str, tuple[str, ...]]] = {
    "高": ("髙",),
    "崎": ("﨑",),
    "辺": ("邊", "邉"),
    "斎": ("齋",),
    "沢": ("澤",),
    "浜": ("濱",),
    "広": ("廣",),
}
_FOLD_VARIANTS: Final = str.maketrans(
    {variant: standard for standard, variants in VARIANT_KANJI.items() for variant in variants}
)

MOBILE_PREFIXES: Final = ("090", "080", "070")


def name_key(text: str) -> str:
    """A name reduced for comparison: no spaces, no 様, variant kanji folded."""
    text = re.sub(r"[\s\u3000]", "", text).removesuffix("様")
    return text.translate(_FOLD_VARIANTS)


@dataclass(frozen=True)
class Address:
    city: City
    town: str
    chome: int
    ban: int
    gou: int
    building: str | None  # building and room, e.g. "芝浦コート305"
    postal: str  # "105-0011"
    style: str  # the leaked set's notation of the block numbers: "chome" or "hyphen"

    @property
    def key(self) -> tuple[str, str, int, int, int]:
        """What identifies the place whatever the notation, prefecture or building."""
        return (self.city.city, self.town, self.chome, self.ban, self.gou)


@dataclass(frozen=True)
class Phone:
    groups: tuple[str, str, str]  # ("090", "1234", "5678"); the first keeps its leading 0

    @property
    def digits(self) -> str:
        return "".join(self.groups)

    @property
    def mobile(self) -> bool:
        return self.groups[0] in MOBILE_PREFIXES


@dataclass(frozen=True)
class Person:
    surname: str
    given: str
    surname_kana: str
    given_kana: str
    address: Address
    phone: Phone
    birth_date: str  # ISO
    email: str

    @property
    def name(self) -> str:
        return f"{self.surname} {self.given}"

    @property
    def kana(self) -> str:
        return f"{self.surname_kana} {self.given_kana}"


class PersonFactory:
    """Hands out people, addresses and phone numbers, never the same address or phone twice."""

    def __init__(self, fake: Faker) -> None:
        self.fake = fake
        self.rng: random.Random = fake.random
        self._addresses: set[tuple[str, str, int, int, int]] = set()
        self._phones: set[str] = set()

    # --- names ----------------------------------------------------------------
    def surname(self) -> tuple[str, str]:
        if self.rng.random() < 0.25:
            return self.rng.choice(EXTRA_SURNAMES)
        kanji, kana, _ = self.fake.last_name_pair()
        return kanji, kana

    def given_name(self) -> tuple[str, str]:
        if self.rng.random() < 0.3:
            return self.rng.choice(EXTRA_GIVEN_NAMES)
        kanji, kana, _ = self.fake.first_name_pair()
        return kanji, kana

    # --- places and numbers -----------------------------------------------------
    def town(self) -> str:
        while True:
            town = str(self.fake.town())
            if not _UNSAFE_TOWN.search(town):
                return town

    def building(self, town: str) -> str:
        name = self.fake.building_name()
        room = self.rng.randint(1, 12) * 100 + self.rng.randint(1, 8)
        form = self.rng.randrange(3)
        if form == 0:
            return f"{town}{name}{room}"
        if form == 1:
            return f"{name}{town} {room}号室"
        return f"{town}{name} {room}"

    def address(self) -> Address:
        while True:
            city = self.rng.choice(CITIES)
            town = self.town()
            chome, ban, gou = (
                self.rng.randint(1, 7),
                self.rng.randint(1, 28),
                self.rng.randint(1, 22),
            )
            key = (city.city, town, chome, ban, gou)
            if key not in self._addresses:
                self._addresses.add(key)
                break
        building = self.building(town) if self.rng.random() < 0.4 else None
        postal = f"{city.postal_prefix}-{self.rng.randrange(10_000):04d}"
        style = "chome" if self.rng.random() < 0.6 else "hyphen"
        return Address(city, town, chome, ban, gou, building, postal, style)

    def phone(self, city: City, *, mobile: bool | None = None) -> Phone:
        if mobile is None:
            mobile = self.rng.random() < 0.6
        while True:
            if mobile:
                groups = (
                    self.rng.choice(MOBILE_PREFIXES),
                    f"{self.rng.randint(1000, 9999)}",
                    f"{self.rng.randrange(10_000):04d}",
                )
            else:
                local_len = 6 - len(city.area_code)
                local = f"{self.rng.randint(2, 9)}" + "".join(
                    str(self.rng.randrange(10)) for _ in range(local_len - 1)
                )
                groups = (city.area_code, local, f"{self.rng.randrange(10_000):04d}")
            phone = Phone(groups)
            if phone.digits not in self._phones:
                self._phones.add(phone.digits)
                return phone

    def birth_date(self) -> str:
        return str(self.fake.date_of_birth(minimum_age=18, maximum_age=90).isoformat())

    # --- people -------------------------------------------------------------------
    def person(self) -> Person:
        surname, surname_kana = self.surname()
        given, given_kana = self.given_name()
        address = self.address()
        return Person(
            surname,
            given,
            surname_kana,
            given_kana,
            address,
            self.phone(address.city),
            self.birth_date(),
            self.fake.email(),
        )

    def family_member(self, of: Person) -> Person:
        """Same address (and building), another given name and reading, own mobile phone."""
        while True:
            given, given_kana = self.given_name()
            if self.rng.random() < 0.8:
                surname, surname_kana = of.surname, of.surname_kana
            else:  # an in-law living with them
                surname, surname_kana = self.surname()
            candidate = (f"{surname} {given}", f"{surname_kana} {given_kana}")
            if name_key(candidate[0]) != name_key(of.name) and candidate[1] != of.kana:
                break
        return Person(
            surname,
            given,
            surname_kana,
            given_kana,
            of.address,
            self.phone(of.address.city, mobile=True),
            self.birth_date(),
            self.fake.email(),
        )

    def stranger_with_phone(self, phone: Phone, not_named: Person) -> Person:
        """Someone else who got a reassigned number: new name, new address."""
        while True:
            person = self.person()
            if name_key(person.name) != name_key(not_named.name) and person.kana != not_named.kana:
                return replace(person, phone=phone)

    def namesake(self, of: Person) -> Person:
        """Same name and reading, a different life: new address, phone, birthday."""
        other = self.person()
        return replace(
            other,
            surname=of.surname,
            given=of.given,
            surname_kana=of.surname_kana,
            given_kana=of.given_kana,
        )

    def renamed(self, person: Person) -> Person:
        """Same person under a new surname (marriage): new surname and reading."""
        while True:
            surname, surname_kana = self.surname()
            if surname != person.surname and surname_kana != person.surname_kana:
                return replace(person, surname=surname, surname_kana=surname_kana)
