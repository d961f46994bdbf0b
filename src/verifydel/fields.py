"""The personal-data fields verifydel knows, and the combinations it fingerprints.

Field names and combination ids are written into packs and reports: they are
API. Changing one is a format version bump.
"""

from __future__ import annotations

from typing import Final

NAME: Final = "name"
NAME_KANA: Final = "name_kana"
ADDRESS: Final = "address"
POSTAL: Final = "postal"
PHONE: Final = "phone"
EMAIL: Final = "email"
BIRTH_DATE: Final = "birth_date"

#: Every field, in the order reports list them.
FIELDS: Final[tuple[str, ...]] = (NAME, NAME_KANA, ADDRESS, POSTAL, PHONE, EMAIL, BIRTH_DATE)

#: Fields a row may hold several values of (each mapped column is its own candidate:
#: TEL, 携帯 and FAX are all checked). Other fields mapped to several columns are
#: joined in order (姓 + 名, 都道府県 + 市区町村 + 番地 + 建物).
MULTI_VALUED: Final[frozenset[str]] = frozenset({PHONE, EMAIL})
#: Fields a normalised row holds as a list: the multi-valued ones, and the reading
#: (name_kana: the reading keys of the row's フリガナ and of a name written in kana or
#: romaji, verifydel.normalise.reading). Their fingerprints are lists too.
LISTED: Final[frozenset[str]] = MULTI_VALUED | {NAME_KANA}

#: Combinations looked up in the pack's index, as (id, fields). A combination id is
#: its fields joined with "+", in this canonical field order.
COMBINATIONS: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("phone", (PHONE,)),
    ("address", (ADDRESS,)),
    ("name+phone", (NAME, PHONE)),
    ("name+address", (NAME, ADDRESS)),
    ("address+phone", (ADDRESS, PHONE)),
    ("name_kana+phone", (NAME_KANA, PHONE)),
    ("name_kana+address", (NAME_KANA, ADDRESS)),
    ("postal+phone", (POSTAL, PHONE)),
)

#: The fields whose agreement makes a match (CONTRACT.md "What counts as a match").
#: A name reading (name_kana) counts as the name.
IDENTITY_GROUPS: Final[dict[str, str]] = {NAME: NAME, NAME_KANA: NAME, ADDRESS: ADDRESS, PHONE: PHONE}
#: Groups that can make a weak match on their own. A name alone is never a match.
WEAK_ALONE: Final[frozenset[str]] = frozenset({ADDRESS, PHONE})
