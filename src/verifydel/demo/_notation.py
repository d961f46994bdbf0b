"""How a broker copy writes a name, an address or a phone: the demo's reformattings.

``choose_notation`` draws one way of writing a row; ``Notation`` renders the
person's fields that way and names, as short tags, what differs from the
leaked set's own notation. Every reformatting keeps the value's substance:
the tool's normalisers are expected to see through each of them.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from typing import Final

from verifydel.demo._people import VARIANT_KANJI, Address, Person, PersonFactory, Phone

NAME_TAGS: Final = (
    "name-nospace",
    "name-ideographic-space",
    "honorific",
    "variant-kanji",
    "halfwidth-kana",
)
ADDRESS_TAGS: Final = (
    "addr-chome",
    "addr-hyphen",
    "addr-no",
    "addr-kanji",
    "no-prefecture",
    "building-dropped",
    "building-added",
)
PHONE_TAGS: Final = (
    "phone-nohyphen",
    "phone-plus81",
    "phone-plus81-paren",
    "phone-paren",
    "phone-space",
    "phone-int",
)
SHARED_TAGS: Final = ("fullwidth", "dash-variant")  # digits/hyphens of an address or a phone
ROW_TAGS: Final = NAME_TAGS + ADDRESS_TAGS + PHONE_TAGS + SHARED_TAGS

ADDRESS_STYLES: Final = ("chome", "hyphen", "no", "kanji")
PHONE_STYLES: Final = ("hyphen", "nohyphen", "plus81", "plus81-paren", "paren", "space", "int")
DASHES: Final = ("ー", "‐")  # long-vowel mark and U+2010, both in CP932

_FULLWIDTH: Final = str.maketrans("0123456789-()+", "０１２３４５６７８９－（）＋")
_KANJI_DIGITS: Final = "〇一二三四五六七八九"
_HALFWIDTH_KANA: Final = {
    unicodedata.normalize("NFKC", chr(cp)): chr(cp) for cp in range(0xFF66, 0xFFA0)
}


def kanji_number(n: int) -> str:
    """1..99 in kanji numerals as addresses write them: 12 → 十二, 20 → 二十."""
    tens, ones = divmod(n, 10)
    text = "" if tens == 0 else ("十" if tens == 1 else _KANJI_DIGITS[tens] + "十")
    return text + (_KANJI_DIGITS[ones] if ones else "")


def halfwidth_kana(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(_HALFWIDTH_KANA.get(ch, ch) for ch in decomposed)


def block_numbers(address: Address, style: str) -> str:
    c, b, g = address.chome, address.ban, address.gou
    if style == "chome":
        return f"{c}丁目{b}番{g}号"
    if style == "hyphen":
        return f"{c}-{b}-{g}"
    if style == "no":
        return f"{c}の{b}の{g}"
    if style == "kanji":
        return f"{kanji_number(c)}丁目{kanji_number(b)}番{kanji_number(g)}号"
    raise ValueError(f"unknown address style {style!r}")


def leaked_address(address: Address) -> str:
    """The leaked set's own notation: prefecture, city, town, block numbers, building."""
    text = address.city.prefecture + address.city.city + address.town
    text += block_numbers(address, address.style)
    if address.building:
        text += (" " if address.style == "hyphen" else "") + address.building
    return text


def leaked_phone(phone: Phone) -> str:
    return "-".join(phone.groups)


@dataclass(frozen=True)
class Caps:
    """What a broker table can show: one name column? a reading column? Excel numbers?"""

    full_name: bool = True
    kana: bool = False
    phone_int: bool = False


@dataclass(frozen=True)
class Notation:
    spacing: str = " "
    honorific: bool = False
    surname: str | None = None  # the surname with variant kanji, when used
    halfwidth_kana: bool = False
    address_style: str = "chome"
    prefecture: bool = True
    building: str | None = None  # what the building column says (may differ from the leak)
    building_change: str | None = None  # None, "dropped" or "added"
    address_fullwidth: bool = False
    phone_style: str = "hyphen"
    phone_fullwidth: bool = False
    dash: str | None = None

    # --- rendering ------------------------------------------------------------------
    def name(self, person: Person) -> str:
        text = f"{self.surname or person.surname}{self.spacing}{person.given}"
        return text + (" 様" if self.spacing == " " else "様") if self.honorific else text

    def split_name(self, person: Person) -> tuple[str, str]:
        return self.surname or person.surname, person.given

    def kana(self, person: Person) -> str:
        return halfwidth_kana(person.kana) if self.halfwidth_kana else person.kana

    def _digits(self, text: str, fullwidth: bool) -> str:
        if self.dash:
            text = text.replace("-", self.dash)
        return text.translate(_FULLWIDTH) if fullwidth else text

    def address_parts(self, address: Address) -> tuple[str, str, str, str]:
        """(都道府県, 市区町村 with town, 番地, 建物) as the split columns hold them."""
        prefecture = address.city.prefecture if self.prefecture else ""
        numbers = self._digits(block_numbers(address, self.address_style), self.address_fullwidth)
        building = self._digits(self.building or "", self.address_fullwidth)
        return prefecture, address.city.city + address.town, numbers, building

    def address(self, address: Address) -> str:
        prefecture, city_town, numbers, building = self.address_parts(address)
        text = prefecture + city_town + numbers
        if building:
            text += (" " if self.address_style == "hyphen" else "") + building
        return text

    def phone(self, phone: Phone) -> str | int:
        area, local, line = phone.groups
        national = area[1:]
        style = self.phone_style
        if style == "int":
            return int(phone.digits)
        if style == "hyphen":
            text = f"{area}-{local}-{line}"
        elif style == "nohyphen":
            text = phone.digits
        elif style == "plus81":
            text = f"+81-{national}-{local}-{line}"
        elif style == "plus81-paren":
            text = f"+81 ({national}) {local}-{line}"
        elif style == "paren":
            text = f"{area}({local}){line}"
        elif style == "space":
            text = f"{area} {local} {line}"
        else:
            raise ValueError(f"unknown phone style {style!r}")
        return self._digits(text, self.phone_fullwidth)

    # --- what differs from the leaked notation -----------------------------------------------
    def tags(self, person: Person, kept: frozenset[str]) -> list[str]:
        tags: list[str] = []
        if "name" in kept:
            if self.spacing == "":
                tags.append("name-nospace")
            elif self.spacing == "\u3000":
                tags.append("name-ideographic-space")
            tags += ["honorific"] * self.honorific + ["variant-kanji"] * (self.surname is not None)
            tags += ["halfwidth-kana"] * self.halfwidth_kana
        dashed = False
        if "address" in kept:
            if self.address_style != person.address.style:
                tags.append(f"addr-{self.address_style}")
            tags += ["no-prefecture"] * (not self.prefecture)
            if self.building_change:
                tags.append(f"building-{self.building_change}")
            tags += ["fullwidth"] * self.address_fullwidth
            dashed = self.address_style == "hyphen"
        if "phone" in kept:
            if self.phone_style != "hyphen":
                tags.append(f"phone-{self.phone_style}")
            tags += ["fullwidth"] * (self.phone_fullwidth and self.phone_style != "int")
            dashed = dashed or self.phone_style in ("hyphen", "plus81", "plus81-paren")
        if self.dash and dashed:
            tags.append("dash-variant")
        return list(dict.fromkeys(tags))


def _variant_surname(surname: str, rng: random.Random) -> str | None:
    if not any(ch in VARIANT_KANJI for ch in surname):
        return None
    return "".join(rng.choice(VARIANT_KANJI[ch]) if ch in VARIANT_KANJI else ch for ch in surname)


def choose_notation(
    person: Person,
    caps: Caps,
    factory: PersonFactory,
    *,
    want: str | None = None,
) -> Notation:
    """Draw a way of writing ``person``'s row; ``want`` forces one tag when the row allows it."""
    rng = factory.rng
    address = person.address
    spacing = rng.choices((" ", "", "\u3000"), weights=(5, 3, 2))[0] if caps.full_name else " "
    honorific = caps.full_name and rng.random() < 0.12
    variant = _variant_surname(person.surname, rng) if rng.random() < 0.5 else None
    halfwidth = caps.kana and rng.random() < 0.25
    style = address.style if rng.random() < 0.4 else rng.choice(ADDRESS_STYLES)
    prefecture = rng.random() >= 0.2
    change: str | None = None
    building = address.building
    if address.building and rng.random() < 0.3:
        building, change = None, "dropped"
    elif not address.building and rng.random() < 0.2:
        building, change = factory.building(address.town), "added"
    address_fullwidth = rng.random() < 0.12
    phone_styles = PHONE_STYLES if caps.phone_int else PHONE_STYLES[:-1]
    weights = (35, 15, 12, 10, 10, 8, 10)[: len(phone_styles)]
    phone_style = rng.choices(phone_styles, weights=weights)[0]
    phone_fullwidth = rng.random() < 0.12
    dash = rng.choice(DASHES) if rng.random() < 0.08 else None

    # A wanted tag the row can carry overrides the draw (so every tag shows up in the demo).
    if want == "name-nospace" and caps.full_name:
        spacing = ""
    elif want == "name-ideographic-space" and caps.full_name:
        spacing = "\u3000"
    elif want == "honorific" and caps.full_name:
        honorific = True
    elif want == "variant-kanji":
        variant = _variant_surname(person.surname, rng)
    elif want == "halfwidth-kana" and caps.kana:
        halfwidth = True
    elif want is not None and want.startswith("addr-") and want[5:] != address.style:
        style = want[5:]
    elif want == "no-prefecture":
        prefecture = False
    elif want == "building-dropped" and address.building:
        building, change = None, "dropped"
    elif want == "building-added" and not address.building:
        building, change = factory.building(address.town), "added"
    elif want is not None and want.startswith("phone-") and (want != "phone-int" or caps.phone_int):
        phone_style = want[6:]
    elif want == "fullwidth":
        address_fullwidth = True
    elif want == "dash-variant":
        dash, phone_style = DASHES[0], "hyphen"
    return Notation(
        spacing=spacing,
        honorific=honorific,
        surname=variant,
        halfwidth_kana=halfwidth,
        address_style=style,
        prefecture=prefecture,
        building=building,
        building_change=change,
        address_fullwidth=address_fullwidth,
        phone_style=phone_style,
        phone_fullwidth=phone_fullwidth,
        dash=dash,
    )
