"""The vocabulary of column detection: header synonyms, blockers, neutral words,
and the value patterns used to sniff columns whose header says nothing.

Every term is written here as a reader would type it; ``columns.normalise_header``
is applied to it when the automaton is built, so "E-mail", "ＴＥＬ" and "FULL_NAME"
are written naturally.

How a term may match a normalised header (trailing digits already cut off, so
"TEL2" is matched as "tel" with line number 2):

- ``e`` exact: the whole header is the term ("名", "氏", "県": short words that
  sit inside many unrelated headers: 会社名, 名刺, 件名, 氏名).
- ``p`` prefix / ``x`` suffix: the header starts / ends with the term ("tel" in
  "telno" and "hometel"; "tel" never in the middle of a word).
- ``s`` substring: anywhere ("住所" in 自宅住所, 送付先住所, 住所1).

A *blocker* cancels every synonym match it lies outside of: 担当 cancels 氏名 in
担当者氏名, コード cancels 住所 in 住所コード, but 日 inside 生年月日 cancels nothing
because it lies within the synonym's own span. ``blocks`` names the fields a
blocker applies to. A *neutral* word cancels nothing; like a blocker it only says
the header means something (会員番号, 性別), so its values are not sniffed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import polars as pl

from verifydel.fields import ADDRESS, BIRTH_DATE, EMAIL, FIELDS, NAME, NAME_KANA, PHONE, POSTAL

# Parts of a field, used to order the columns of a joined field.
FULL: Final = "full"
FAMILY: Final = "family"
GIVEN: Final = "given"
PREF: Final = "pref"
CITY: Final = "city"
TOWN: Final = "town"
LINE: Final = "line"  # 住所, 住所1, ADDRESS2: a generic address line
STREET: Final = "street"
BUILDING: Final = "building"
ROOM: Final = "room"

#: Japanese address order: 都道府県 → 市区町村 → 町域 → (住所 line) → 番地 → 建物 → 部屋.
#: A generic 住所 line sits after 町域 and before 番地: next to 番地 it is the upper part.
ADDRESS_LEVELS: Final[dict[str, int]] = {
    PREF: 0, CITY: 1, TOWN: 2, LINE: 3, STREET: 4, BUILDING: 5, ROOM: 6,
}
NAME_LEVELS: Final[dict[str, int]] = {FULL: 0, FAMILY: 1, GIVEN: 2}

ALL_FIELDS: Final[frozenset[str]] = frozenset(FIELDS)


@dataclass(frozen=True)
class Term:
    """One dictionary entry. ``field`` is None for blockers and neutral words."""

    text: str
    modes: str  # any of "e", "p", "x", "s"
    field: str | None = None
    part: str = FULL
    blocks: frozenset[str] = frozenset()  # blockers only: the fields cancelled


def _syn(field: str, part: str, modes: str, *texts: str) -> list[Term]:
    return [Term(t, modes, field, part) for t in texts]


def _block(modes: str, *texts: str, fields: frozenset[str] = ALL_FIELDS) -> list[Term]:
    return [Term(t, modes, None, FULL, fields) for t in texts]


def _neutral(modes: str, *texts: str) -> list[Term]:
    return [Term(t, modes) for t in texts]


_NAME_TERMS = [
    *_syn(NAME, FULL, "s", "氏名", "名前", "顧客名", "会員名", "契約者名", "お客様名", "利用者名",
          "購入者名", "申込者名", "注文者名", "受取人名", "宛名", "shimei", "namae", "fullname",
          "customername", "membername", "clientname"),
    # 契約者名, 申込者名, 受取人名 ... : a person's name; 担当者名 and 法人名 are blocked below.
    *_syn(NAME, FULL, "x", "者名", "人名"),
    *_syn(NAME, FULL, "s", "姓名"),
    *_syn(NAME, FULL, "e", "name"),
    *_syn(NAME, FAMILY, "ep", "姓"),
    *_syn(NAME, FAMILY, "e", "氏", "sei", "myoji"),
    *_syn(NAME, FAMILY, "s", "苗字", "名字", "lastname", "surname", "familyname", "myouji",
          "氏名姓", "名前姓"),  # 氏名(姓), お名前(姓)
    *_syn(NAME, GIVEN, "e", "名", "mei", "名漢字"),
    *_syn(NAME, GIVEN, "s", "firstname", "givenname", "forename", "氏名名", "名前名"),
]

_KANA_TERMS = [
    *_syn(NAME_KANA, FULL, "s", "フリガナ", "ふりがな", "カナ", "かな", "ヨミ", "よみ", "読み",
          "kana", "furigana", "yomi", "phonetic"),
    *_syn(NAME_KANA, FAMILY, "e", "セイ", "せい", "seikana"),
    *_syn(NAME_KANA, FAMILY, "s", "フリガナセイ", "カナセイ", "ふりがなせい", "セイカナ", "フリガナ姓",
          "ふりがな姓", "カナ姓"),
    *_syn(NAME_KANA, GIVEN, "e", "メイ", "めい", "meikana", "名カナ", "名かな", "名フリガナ",
          "名ふりがな", "名ヨミ"),
    *_syn(NAME_KANA, GIVEN, "s", "フリガナメイ", "カナメイ", "ふりがなめい", "メイカナ", "フリガナ名",
          "ふりがな名", "カナ名"),
]

_ADDRESS_TERMS = [
    *_syn(ADDRESS, LINE, "s", "住所", "所在地", "jusho", "juusho", "jyusho", "juusyo", "jusyo",
          "address", "addr"),
    *_syn(ADDRESS, PREF, "s", "都道府県", "todofuken", "todouhuken", "prefecture"),
    *_syn(ADDRESS, PREF, "e", "県", "県名", "pref", "prefname"),
    *_syn(ADDRESS, CITY, "s", "市区町村", "市町村", "区市町村", "市区郡", "shikuchoson",
          "shikuchouson", "municipality"),
    *_syn(ADDRESS, CITY, "e", "市区"),
    *_syn(ADDRESS, CITY, "ep", "city"),
    *_syn(ADDRESS, TOWN, "s", "町域", "町名", "町丁目", "大字", "choiki"),
    *_syn(ADDRESS, TOWN, "ep", "town"),
    *_syn(ADDRESS, STREET, "s", "番地", "丁目番地", "丁目", "banchi", "street"),
    *_syn(ADDRESS, BUILDING, "s", "建物", "建物名", "マンション", "アパート", "ビル名", "tatemono",
          "building", "bldg", "apartment"),
    *_syn(ADDRESS, ROOM, "s", "部屋番号", "号室", "部屋", "roomnumber", "roomno"),
    *_syn(ADDRESS, ROOM, "ep", "room"),
]

_OTHER_TERMS = [
    *_syn(POSTAL, FULL, "s", "郵便番号", "郵便", "〒", "zipcode", "zipcd", "postcode", "postalcode",
          "postal", "yubin", "yuubin"),
    *_syn(POSTAL, FULL, "ep", "zip"),
    *_syn(POSTAL, FULL, "e", "post"),
    *_syn(PHONE, FULL, "s", "電話", "電話番号", "携帯", "携帯電話", "携帯番号", "自宅電話", "連絡先",
          "ファックス", "ファクス", "ファクシミリ", "phone", "telephone", "denwa", "keitai"),
    *_syn(PHONE, FULL, "epx", "tel", "fax", "mobile", "cell"),
    *_syn(EMAIL, FULL, "s", "メール", "メールアドレス", "eメール", "email", "mail", "mailaddress",
          "emailaddress", "mailaddr"),
    *_syn(EMAIL, FULL, "x", "アドレス"),  # PCアドレス, 携帯アドレス: e-mail in Japanese forms
    *_syn(BIRTH_DATE, FULL, "s", "生年月日", "誕生日", "birthday", "birthdate", "dateofbirth",
          "seinengappi", "tanjobi", "tanjoubi", "birth"),
    *_syn(BIRTH_DATE, FULL, "e", "dob", "生年"),
]

_BLOCKERS = [
    # Someone other than the customer: staff, companies, shops.
    *_block("s", "担当", "作成", "入力", "承認", "営業", "社員", "従業員", "スタッフ", "staff",
            "会社", "社名", "法人", "企業", "勤務先", "勤め先", "店舗", "店名", "支店",
            "company", "corp", "shop", "store"),
    # Things, not people or places.
    *_block("s", "商品", "品名", "製品", "ファイル", "名刺", "件名", "名称", "題名", "タイトル",
            "product", "item", "file", "url", "hotel", "ipaddress", "ipaddr", "macaddress"),
    # Codes, flags and facts about a field rather than the field itself.
    *_block("s", "コード", "フラグ", "有無", "区分", "種別", "種類", "可否", "希望", "確認", "有効",
            "状態", "ステータス", "回数", "件数", "配信", "メルマガ", "マガジン", "許可", "拒否",
            "不可", "備考", "メモ", "期限", "flag", "code", "type", "kind", "status", "count",
            "verified", "confirm", "optin", "optout", "magazine"),
    *_block("x", "日", "時", "時間", "日付", "date", "time", "cd", "id", "kbn", "flg"),
    *_block("e", "ip"),
    # 連絡先名, メール送信者名: the name of something, never a phone or e-mail.
    *_block("x", "名", fields=frozenset({PHONE, EMAIL, POSTAL, BIRTH_DATE})),
]

_NEUTRAL = [
    *_neutral("s", "番号", "性別", "年齢", "職業", "金額", "価格", "数量", "年収", "血液型", "会員",
              "顧客", "登録", "ポイント", "gender", "amount", "price", "quantity", "memo", "note",
              "comment", "remark", "total", "point", "login", "account", "password"),
    *_neutral("e", "id", "no", "sex", "age", "qty", "username", "userid"),
]

TERMS: Final[tuple[Term, ...]] = (
    *_NAME_TERMS, *_KANA_TERMS, *_ADDRESS_TERMS, *_OTHER_TERMS, *_BLOCKERS, *_NEUTRAL,
)

#: The 47 prefectures, for value sniffing (an address names one) and for telling a
#: full address (starts with its prefecture) from the rest after a 都道府県 column.
PREFECTURES: Final[tuple[str, ...]] = (
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "茨城県", "栃木県",
    "群馬県", "埼玉県", "千葉県", "東京都", "神奈川県", "新潟県", "富山県", "石川県", "福井県",
    "山梨県", "長野県", "岐阜県", "静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府",
    "兵庫県", "奈良県", "和歌山県", "鳥取県", "島根県", "岡山県", "広島県", "山口県", "徳島県",
    "香川県", "愛媛県", "高知県", "福岡県", "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県",
    "鹿児島県", "沖縄県",
)

# --- value patterns for sniffing (Rust regex syntax, over NFKC-normalised values) ---
DASHES: Final = r"\-‐‑‒–—―−ー"
PREF_ALTERNATION: Final = "|".join(PREFECTURES)
NAME_CHARS: Final = r"\p{Han}\p{Hiragana}\p{Katakana}々〆ヶー"
KATAKANA: Final = r"\p{Katakana}ー・"
HIRAGANA: Final = r"\p{Hiragana}ー・"
#: Digits of a phone (separators and "+" removed): with its 0 or +81, or without
#: the 0 (a number that went through a spreadsheet): 9 digits landline, 10 mobile.
PHONE_DIGITS: Final = r"^(?:81[1-9]\d{8,9}|0[1-9]\d{8,9}|[1-9]\d{8}|[5789]0\d{8})$"
#: The same without the bare nine-digit case, which an id column also fits.
PHONE_EXPLICIT: Final = r"^(?:81[1-9]\d{8,9}|0[1-9]\d{8,9}|[5789]0\d{8})$"
#: 03-1234-5678, (03)1234-5678, 83-4497-8690: written like a phone, whatever the digits.
PHONE_LAYOUT: Final = rf"^\+?\(?\d{{1,5}}\)?[\s{DASHES}]?\(?\d{{1,4}}\)?[\s{DASHES}]\d{{4}}$"
#: 1980-01-02, 1980/1/2, 1980年1月2日, 19800102, "1980-01-02 00:00:00"; group 1 is the year.
WESTERN_DATE: Final = (
    r"^((?:19|20)\d{2})(?:[-/.年](?:0?[1-9]|1[0-2])[-/.月](?:0?[1-9]|[12]\d|3[01])日?"
    r"|(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))(?:[ T]00:00(?::00(?:\.0+)?)?)?$"
)
#: 昭和55年1月2日, S55.1.2, 平成元年1月2日.
WAREKI_DATE: Final = r"^(?:明治|大正|昭和|平成|令和|[MTSHRmtshr])(?:\d{1,2}|元)[-/.年]\d{1,2}[-/.月]\d{1,2}日?$"
#: Words that make a short kanji value a company or institution, not a person.
COMPANY_WORDS: Final = r"会社|株式|有限|合同|法人|組合|協会|商店|商事|工業|産業|事務所|病院|学校|大学"


def value_shapes(v: pl.Expr, *, latest_birth_year: int) -> dict[str, pl.Expr]:
    """Boolean expressions per shape over NFKC-normalised, stripped values (null where empty).

    ``explicit_phone`` is not a shape of its own: the share of unmistakable phones
    a phone-shaped column must have. A date is a birth date only up to
    ``latest_birth_year`` (和暦 dates always).
    """
    digits = (
        v.str.replace(r"^(\d+)\.0+$", "${1}")  # a number that went through a float
        .str.replace_all(rf"[\s{DASHES}().]", "")
        .str.strip_prefix("+")
    )
    layout = v.str.contains(PHONE_LAYOUT) & digits.str.len_chars().is_between(9, 11)
    phone = digits.str.contains(PHONE_DIGITS) | layout
    explicit_phone = digits.str.contains(PHONE_EXPLICIT) | layout
    birth_year = v.str.extract(WESTERN_DATE, 1).cast(pl.Int32, strict=False)
    birth = (birth_year <= latest_birth_year).fill_null(False) | v.str.contains(WAREKI_DATE)
    letters = v.str.replace_all(" ", "").str.len_chars()
    name = (
        v.str.contains(rf"^[{NAME_CHARS}]+(?: [{NAME_CHARS}]+)?$")
        & letters.is_between(1, 8)  # 1: a given name alone (翔, 茜); variety is checked apart
        & ~v.str.contains(r"[市区都府県郡]$")
        & ~v.is_in(PREFECTURES)
        & ~v.str.contains(COMPANY_WORDS)
    )
    kana = (
        v.str.contains(rf"^[{KATAKANA}]+(?: [{KATAKANA}]+)?$")
        | v.str.contains(rf"^[{HIRAGANA}]+(?: [{HIRAGANA}]+)?$")
    ) & letters.is_between(2, 20)
    return {
        "email": v.str.contains(r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
        "phone": phone,
        "explicit_phone": explicit_phone,
        "postal": v.str.strip_prefix("〒").str.strip_chars().str.contains(
            rf"^\d{{3}}[{DASHES}]?\d{{4}}$"
        ),
        "birth_date": birth,
        "address": letters.ge(6)
        & v.str.contains(rf"(?:{PREF_ALTERNATION}|[市区町村郡])")
        & v.str.contains(r"[0-9一二三四五六七八九十]"),
        "kana": kana,
        "name": name,
    }
