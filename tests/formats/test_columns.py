"""Column detection: headers, negatives, value sniffing, overrides, --map parsing."""

from __future__ import annotations

import time
from datetime import date, timedelta

import polars as pl
import pytest
from faker import Faker
from hypothesis import given, settings
from hypothesis import strategies as st

from verifydel.errors import ColumnMappingError, UsageError
from verifydel.fields import FIELDS
from verifydel.columns._synonyms import TERMS
from verifydel.columns import (
    SNIFF_ROWS,
    ColumnChoice,
    detect_columns,
    normalise_header,
    parse_map_options,
)


def _fake(seed: int = 7) -> Faker:
    fake = Faker("ja_JP")
    fake.seed_instance(seed)
    return fake


def _frame(data: dict[str, list[str | None]]) -> pl.DataFrame:
    return pl.DataFrame(data, schema={name: pl.String for name in data})


# --- headers -----------------------------------------------------------------------------
HEADER_TABLES: list[tuple[list[str], dict[str, list[str]]]] = [
    (
        ["顧客ID", "氏名", "フリガナ", "郵便番号", "住所", "電話番号", "メールアドレス", "生年月日"],
        {"name": ["氏名"], "name_kana": ["フリガナ"], "address": ["住所"], "postal": ["郵便番号"],
         "phone": ["電話番号"], "email": ["メールアドレス"], "birth_date": ["生年月日"]},
    ),
    (
        ["会員番号", "姓", "名", "セイ", "メイ", "〒", "都道府県", "市区町村", "番地", "建物名",
         "TEL", "携帯", "FAX"],
        {"name": ["姓", "名"], "name_kana": ["セイ", "メイ"], "postal": ["〒"],
         "address": ["都道府県", "市区町村", "番地", "建物名"], "phone": ["TEL", "携帯", "FAX"]},
    ),
    # Parts are joined in Japanese order whatever the table order.
    (["名", "姓"], {"name": ["姓", "名"]}),
    (["FIRST_NAME", "LAST_NAME"], {"name": ["LAST_NAME", "FIRST_NAME"]}),
    (["GIVEN_NAME", "FAMILY_NAME"], {"name": ["FAMILY_NAME", "GIVEN_NAME"]}),
    (["名前", "苗字"], {"name": ["名前"]}),  # a full-name column wins over a part
    (["部屋番号", "建物名", "番地", "町域", "市区町村", "都道府県"],
     {"address": ["都道府県", "市区町村", "町域", "番地", "建物名", "部屋番号"]}),
    (["住所2", "住所1", "都道府県"], {"address": ["都道府県", "住所1", "住所2"]}),
    (["ADDRESS2", "ADDRESS1", "CITY", "PREF", "ZIP"],
     {"address": ["PREF", "CITY", "ADDRESS1", "ADDRESS2"], "postal": ["ZIP"]}),
    (["id", "full_name", "kana", "postcode", "address", "phone", "mobile", "e-mail", "dob"],
     {"name": ["full_name"], "name_kana": ["kana"], "postal": ["postcode"], "address": ["address"],
      "phone": ["phone", "mobile"], "email": ["e-mail"], "birth_date": ["dob"]}),
    (["NAME", "LAST_NAME", "FIRST_NAME"], {"name": ["NAME"]}),
    (["SURNAME", "GIVEN_NAME", "FURIGANA", "STREET", "TOWN", "BUILDING", "CELL", "TEL2", "TEL1"],
     {"name": ["SURNAME", "GIVEN_NAME"], "name_kana": ["FURIGANA"],
      "address": ["TOWN", "STREET", "BUILDING"], "phone": ["CELL", "TEL2", "TEL1"]}),
    (["お名前(姓)", "お名前(名)", "フリガナ(セイ)", "フリガナ(メイ)"],
     {"name": ["お名前(姓)", "お名前(名)"], "name_kana": ["フリガナ(セイ)", "フリガナ(メイ)"]}),
    (["氏名（名）", "氏名（姓）", "名(カナ)", "姓(カナ)"],
     {"name": ["氏名（姓）", "氏名（名）"], "name_kana": ["姓(カナ)", "名(カナ)"]}),
    (["TEL1", "TEL2", "自宅電話", "携帯電話", "携帯番号", "連絡先"],
     {"phone": ["TEL1", "TEL2", "自宅電話", "携帯電話", "携帯番号", "連絡先"]}),
    (["shimei", "furigana", "yubin", "jusho", "denwa", "keitai", "seinengappi"],
     {"name": ["shimei"], "name_kana": ["furigana"], "postal": ["yubin"], "address": ["jusho"],
      "phone": ["denwa", "keitai"], "birth_date": ["seinengappi"]}),
    (["sei", "mei", "juusho"], {"name": ["sei", "mei"], "address": ["juusho"]}),
    (["郵便番号2", "郵便番号1"], {"postal": ["郵便番号1", "郵便番号2"]}),
    (["顧客氏名", "お客様電話番号", "自宅住所"],
     {"name": ["顧客氏名"], "phone": ["お客様電話番号"], "address": ["自宅住所"]}),
    (["送付先住所", "携帯メール", "E-mail"], {"address": ["送付先住所"], "email": ["携帯メール", "E-mail"]}),
    (["ＴＥＬ", "ﾌﾘｶﾞﾅ", "メール　アドレス"],
     {"phone": ["ＴＥＬ"], "name_kana": ["ﾌﾘｶﾞﾅ"], "email": ["メール　アドレス"]}),
    (["契約者名", "会員名", "所在地", "県", "誕生日"],
     {"name": ["契約者名"], "address": ["県", "所在地"], "birth_date": ["誕生日"]}),
    (["マンション名", "丁目番地", "市町村"], {"address": ["市町村", "丁目番地", "マンション名"]}),
]


@pytest.mark.parametrize(("headers", "expected"), HEADER_TABLES)
def test_headers_give_the_expected_columns(
    headers: list[str], expected: dict[str, list[str]]
) -> None:
    choice = detect_columns(headers, None)
    assert choice.fields == expected
    assert choice.how == dict.fromkeys(expected, "header")


def test_fields_come_in_canonical_order() -> None:
    choice = detect_columns(["電話", "住所", "氏名", "メール"], None)
    assert list(choice.fields) == ["name", "address", "phone", "email"]


NOT_PERSONAL = ["会社名", "店舗名", "商品名", "ファイル名", "名刺", "担当者名", "件名", "住所コード",
                "TELフラグ", "電話有無", "担当者電話", "会社住所", "登録日", "電話受付日", "住所変更日",
                "メルマガ配信", "TEL区分", "連絡先名", "法人名", "company_name", "file_name",
                "email_flag", "pref_cd", "hotel", "住所カナ", "性別", "会員番号", "ID", "備考"]


@pytest.mark.parametrize("header", NOT_PERSONAL)
def test_headers_that_are_not_personal_data_are_not_detected(header: str) -> None:
    choice = detect_columns([header, "氏名"], None)
    assert choice.fields == {"name": ["氏名"]}


@pytest.mark.parametrize("header", ["担当者名", "会社名", "性別", "会員番号"])
def test_a_header_that_says_something_is_not_sniffed(header: str) -> None:
    fake = _fake()
    sample = _frame({header: [fake.name() for _ in range(50)]})
    assert detect_columns([header], sample).fields == {}


@pytest.mark.parametrize(
    "header", ["フリガナ", "ふりがな", "カナ", "氏名カナ", "セイ", "メイ", "KANA", "FURIGANA", "name_kana",
               "氏名(フリガナ)", "姓名カナ"]
)
def test_kana_headers_go_to_name_kana_never_to_name(header: str) -> None:
    choice = detect_columns([header], None)
    assert choice.fields == {"name_kana": [header]}


def test_full_name_is_used_when_filled() -> None:
    fake = _fake()
    sample = _frame({
        "氏名": [fake.name() for _ in range(20)],
        "姓": [fake.last_name() for _ in range(20)],
        "名": [fake.first_name() for _ in range(20)],
    })
    choice = detect_columns(sample.columns, sample)
    assert choice.fields["name"] == ["氏名"]


def test_mostly_empty_full_name_gives_way_to_parts() -> None:
    fake = _fake()
    sample = _frame({
        "名": [fake.first_name() for _ in range(20)],
        "氏名": [fake.name() if i < 3 else "" for i in range(20)],
        "姓": [fake.last_name() for _ in range(20)],
    })
    choice = detect_columns(sample.columns, sample)
    assert choice.fields["name"] == ["姓", "名"]
    assert any("氏名" in note and "mostly empty" in note for note in choice.notes)


def test_full_address_after_a_prefecture_column_is_not_doubled() -> None:
    fake = _fake()
    rows = [(fake.prefecture(), fake.address()) for _ in range(30)]
    sample = _frame({"都道府県": [p for p, _ in rows], "住所": [a for _, a in rows]})
    choice = detect_columns(sample.columns, sample)
    assert choice.fields["address"] == ["住所"]
    assert any("prefecture" in note for note in choice.notes)


def test_address_remainder_after_a_prefecture_column_is_joined() -> None:
    fake = _fake()
    sample = _frame({
        "都道府県": [fake.prefecture() for _ in range(30)],
        "住所": [fake.city() + fake.town() + fake.chome() + fake.ban() for _ in range(30)],
    })
    assert detect_columns(sample.columns, sample).fields["address"] == ["都道府県", "住所"]


def test_two_competing_address_columns_keep_the_most_filled() -> None:
    fake = _fake()
    sample = _frame({
        "自宅住所": [fake.address() if i % 4 == 0 else None for i in range(20)],
        "送付先住所": [fake.address() for _ in range(20)],
    })
    choice = detect_columns(sample.columns, sample)
    assert choice.fields["address"] == ["送付先住所"]
    assert any("--map address=" in note for note in choice.notes)


# --- values ------------------------------------------------------------------------------
def _headerless(rows: int, seed: int = 11) -> tuple[pl.DataFrame, dict[str, str]]:
    fake = _fake(seed)
    columns: dict[str, list[str | None]] = {
        "column_1": [f"C{i:07d}" for i in range(rows)],
        "column_2": [fake.name() for _ in range(rows)],
        "column_3": [fake.kana_name() for _ in range(rows)],
        "column_4": [fake.zipcode() for _ in range(rows)],
        "column_5": [fake.address() for _ in range(rows)],
        "column_6": [fake.phone_number() for _ in range(rows)],
        "column_7": [fake.email() for _ in range(rows)],
        "column_8": [fake.date_of_birth(minimum_age=18, maximum_age=90).isoformat() for _ in range(rows)],
        "column_9": [fake.random_element(["男性", "女性"]) for _ in range(rows)],
        "column_10": [fake.company() for _ in range(rows)],
        "column_11": [fake.prefecture() for _ in range(rows)],
    }
    expected = {"name": "column_2", "name_kana": "column_3", "postal": "column_4",
                "address": "column_5", "phone": "column_6", "email": "column_7",
                "birth_date": "column_8"}
    return _frame(columns), expected


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_headerless_file_is_sniffed_from_faker_values(seed: int) -> None:
    sample, expected = _headerless(200, seed)
    choice = detect_columns(sample.columns, sample)
    assert choice.fields == {f: [c] for f, c in expected.items()}
    assert set(choice.how.values()) == {"values"}


def test_sniffing_survives_blanks_and_messy_notation() -> None:
    sample = _frame({
        "列A": ["０９０－１２３４－５６７８", "(03)1234-5678", "+81 90 1234 5678", "9012345678", "",
                None, "0312345678", "080ー1111ー2222"],
        "列B": ["〒100-0001", "1000001", "５３０－０００１", None, "060-0001", "", "980 0001", "1500001"],
        "列C": ["昭和55年1月2日", "1980/01/02", "19791231", "S50.3.4", "1965年7月8日", None, "", "1990-02-03"],
    })
    choice = detect_columns(sample.columns, sample)
    assert choice.fields == {"postal": ["列B"], "phone": ["列A"], "birth_date": ["列C"]}


@pytest.mark.parametrize(("phones", "found"), [(16, False), (26, False), (28, True), (40, True)])
def test_a_shape_needs_about_seventy_percent_of_non_empty_values(phones: int, found: bool) -> None:
    fake = _fake()
    values: list[str | None] = [fake.phone_number() for _ in range(phones)]
    values += ["不明"] * (40 - phones) + [None] * 20  # blanks do not count either way
    choice = detect_columns(["column_1"], _frame({"column_1": values}))
    assert choice.fields == ({"phone": ["column_1"]} if found else {})


def test_phones_that_lost_their_leading_zero_are_phones() -> None:
    fake = _fake()
    lost = [fake.numerify(fake.random_element(["90########", "80########", "3########"]))
            for _ in range(40)]
    sample = _frame({"column_1": lost})
    assert detect_columns(sample.columns, sample).fields == {"phone": ["column_1"]}


def test_values_that_only_resemble_fields_are_not_sniffed() -> None:
    today = date.today()
    sample = _frame({
        "column_1": [str(100_000_000 + i) for i in range(60)],  # nine-digit ids
        "column_3": [(today - timedelta(days=5 * i)).isoformat() for i in range(60)],  # recent dates
        "column_4": ["会社員", "主婦", "学生", "自営業"] * 15,
        "column_5": ["https://example.com/a"] * 60,
    })
    assert detect_columns(sample.columns, sample).fields == {}


def test_two_neighbouring_name_parts_are_joined_in_table_order() -> None:
    fake = _fake(5)  # faker knows few names: 40 rows keep them as varied as real ones
    sample = _frame({
        "column_1": [f"{i:06d}" for i in range(40)],
        "column_2": [fake.last_name() for _ in range(40)],
        "column_3": [fake.first_name() for _ in range(40)],
    })
    assert detect_columns(sample.columns, sample).fields == {"name": ["column_2", "column_3"]}


def test_a_header_wins_over_sniffing() -> None:
    fake = _fake()
    sample = _frame({
        "TEL": [fake.phone_number() for _ in range(30)],
        "column_2": [fake.phone_number() for _ in range(30)],
        "column_3": [fake.email() for _ in range(30)],
    })
    choice = detect_columns(sample.columns, sample)
    assert choice.fields == {"phone": ["TEL"], "email": ["column_3"]}
    assert choice.how == {"phone": "header", "email": "values"}


def test_no_sample_or_empty_sample_sniffs_nothing() -> None:
    empty = _frame({"column_1": [], "電話": []})
    for sample in (None, empty, _frame({"column_1": [None, "", "  "], "電話": [None] * 3})):
        choice = detect_columns(["column_1", "電話"], sample)
        assert choice.fields == {"phone": ["電話"]}


def test_a_large_batch_is_sampled_and_stays_fast() -> None:
    fake = _fake()
    phones = [fake.phone_number() for _ in range(1_000)]
    rows = SNIFF_ROWS * 40
    sample = _frame({"column_1": phones * (rows // len(phones)), "column_2": ["x"] * rows})
    started = time.perf_counter()
    choice = detect_columns(sample.columns, sample)
    assert choice.fields == {"phone": ["column_1"]}
    assert time.perf_counter() - started < 5.0


def test_notes_never_quote_cell_values() -> None:
    fake = _fake()
    values = [fake.address() for _ in range(20)]
    sample = _frame({"都道府県": [v[:3] for v in values], "住所": values, "現住所": values,
                     "氏名": [None] * 20, "姓": [fake.last_name() for _ in range(20)]})
    choice = detect_columns(sample.columns, sample, {"phone": ["電話"]})
    assert choice.notes  # several notes were written
    cells = {v for column in sample.columns for v in sample[column].drop_nulls()}
    assert not [note for note in choice.notes for cell in cells if cell in note]


# --- overrides ---------------------------------------------------------------------------
def test_map_replaces_detection_for_its_field_only() -> None:
    choice = detect_columns(["氏名", "顧客名", "TEL"], None, {"name": ["顧客名"]})
    assert choice.fields == {"name": ["顧客名"], "phone": ["TEL"]}
    assert choice.how == {"name": "map", "phone": "header"}


def test_map_keeps_the_given_order_and_claims_its_columns() -> None:
    choice = detect_columns(["備考1", "連絡先", "TEL"], None, {"address": ["連絡先", "備考1"]})
    assert choice.fields == {"address": ["連絡先", "備考1"], "phone": ["TEL"]}


def test_map_to_a_missing_column_leaves_a_note_and_keeps_detection() -> None:
    choice = detect_columns(["姓", "名", "TEL"], None, {"name": ["氏名"], "phone": ["携帯"]})
    assert choice.fields == {"name": ["姓", "名"], "phone": ["TEL"]}
    assert choice.how == {"name": "header", "phone": "header"}
    assert "--map name=氏名: no such column in this table" in choice.notes
    assert "--map phone=携帯: no such column in this table" in choice.notes


def test_map_with_one_missing_part_is_not_applied() -> None:
    choice = detect_columns(["氏名", "姓"], None, {"name": ["姓", "名"]})
    assert choice.fields == {"name": ["氏名"]}
    assert choice.notes == ["--map name=名: no such column in this table"]


def test_map_matches_a_header_written_differently() -> None:
    choice = detect_columns(["TEL", "備考"], None, {"phone": ["tel"], "email": ["備 考"]})
    assert choice.fields == {"phone": ["TEL"], "email": ["備考"]}
    assert choice.how == {"phone": "map", "email": "map"}


def test_map_with_an_unknown_field_is_refused() -> None:
    with pytest.raises(ColumnMappingError):
        detect_columns(["氏名"], None, {"surname": ["氏名"]})


# --- parse_map_options -------------------------------------------------------------------
def test_parse_map_keeps_order_per_field() -> None:
    parsed = parse_map_options(["name=姓", "phone=TEL", "name=名", "phone=携帯", "name=姓"])
    assert parsed == {"name": ["姓", "名"], "phone": ["TEL", "携帯"]}
    assert list(parsed["name"]) == ["姓", "名"]


def test_parse_map_splits_on_the_first_equals_and_trims() -> None:
    assert parse_map_options([" Address = 住所=1 "]) == {"address": ["住所=1"]}


@pytest.mark.parametrize("item", ["name", "nmae=氏名", "=氏名", "name=", "phone:TEL"])
def test_parse_map_refuses_bad_items_with_a_hint(item: str) -> None:
    with pytest.raises(ColumnMappingError) as caught:
        parse_map_options([item])
    assert isinstance(caught.value, UsageError)
    assert all(name in caught.value.hint for name in FIELDS)


def test_parse_map_of_nothing_is_empty() -> None:
    assert parse_map_options([]) == {}


# --- properties --------------------------------------------------------------------------
_WORDS = sorted({term.text for term in TERMS}) + ["column_1", "x", "備考", "1", ""]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_WORDS), min_size=1, max_size=3).map("_".join),
                min_size=0, max_size=10, unique=True))
def test_every_chosen_column_exists_and_is_used_once(headers: list[str]) -> None:
    choice = detect_columns(headers, None)
    assert isinstance(choice, ColumnChoice)
    used = [column for columns in choice.fields.values() for column in columns]
    assert set(used) <= set(headers)
    assert len(used) == len(set(used))
    assert set(choice.fields) == set(choice.how) and set(choice.fields) <= set(FIELDS)
    assert all(choice.fields.values())


def test_normalise_header() -> None:
    assert normalise_header("ＦＵＬＬ＿ＮＡＭＥ") == "fullname"
    assert normalise_header(" E-mail ") == "email"
    assert normalise_header("氏名（カナ）") == "氏名カナ"
    assert normalise_header("メール　アドレス") == "メールアドレス"
