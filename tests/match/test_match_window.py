"""Corroboration in the text around a hit: only the hit record's own name or address counts."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from verifydel.match import match_normalised
from verifydel.match.window import NAME_MAX_CHARS, TEXT, candidate_fingerprints, corroborate
from verifydel.normalise.batch import ROW, normalise_batch

LEAKED = (
    "ID,氏名,フリガナ,住所,電話番号\n"
    "L1,山田 太郎,ヤマダ タロウ,東京都港区芝公園4-2-8,03-1234-5678\n"
    "L2,佐藤 花子,サトウ ハナコ,大阪府大阪市北区梅田1-1-1,06-2345-6789\n"
    # a household: one landline, two people
    "L3,髙橋 一郎,タカハシ イチロウ,神奈川県横浜市中区山下町1-2-3,045-111-2222\n"
    "L4,髙橋 美咲,タカハシ ミサキ,神奈川県横浜市中区山下町1-2-3,045-111-2222\n"
)


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory, pack_factory):
    return pack_factory(tmp_path_factory.mktemp("window"), LEAKED)


def _regraded(pack, phones: list[str], texts: list[str | None]) -> list[tuple[int, str, list[str], str]]:
    batch = pl.DataFrame({"phone": phones})
    found = match_normalised(normalise_batch(batch, {"phone": ["phone"]}), pack.secret, pack.contents)
    around = pl.DataFrame(
        {ROW: [i for i, t in enumerate(texts) if t is not None], TEXT: [t for t in texts if t is not None]},
        schema={ROW: pl.UInt32, TEXT: pl.String},
    )
    out = corroborate(found, around, pack.secret, pack.contents)
    return out.select(ROW, "record_id", "fields", "strength").rows()


@pytest.mark.parametrize(
    ("text", "fields"),
    [
        ("2024/01/05 山田太郎様より入電、折り返し希望", ["name", "phone"]),
        ("氏名：山田　太郎\n", ["name", "phone"]),  # U+3000 between the parts
        ("ﾔﾏﾀﾞ ﾀﾛｳ 様", ["name_kana", "phone"]),  # the reading, half-width
        ("住所 〒105-0011 東京都港区芝公園四丁目2番8号 ABCビル3F", ["address", "phone"]),
        ("港区芝公園4-2-8の山田太郎", ["name", "address", "phone"]),
    ],
)
def test_the_records_name_or_address_near_the_phone_makes_it_strong(pack, text: str, fields: list[str]) -> None:
    assert _regraded(pack, ["03-1234-5678"], [text]) == [(0, "L1", fields, "strong")]


@pytest.mark.parametrize(
    "text",
    [
        None,  # no text at all
        "留守電あり、折り返し不要",
        "佐藤花子様 大阪府大阪市北区梅田1-1-1",  # another record's name and address
        "山田様",  # part of the name is not the name
        "山田 次郎",
        "東京都港区芝公園4-2-9",  # one block number off
    ],
)
def test_anything_else_near_the_phone_leaves_it_weak(pack, text: str | None) -> None:
    assert _regraded(pack, ["03-1234-5678"], [text]) == [(0, "L1", ["phone"], "weak")]


def test_a_name_near_a_phone_that_is_not_leaked_matches_nothing(pack) -> None:
    assert _regraded(pack, ["03-9999-8888"], ["山田太郎様 東京都港区芝公園4-2-8"]) == []


def test_a_shared_phone_is_strong_only_for_the_person_named(pack) -> None:
    # Both L3 and L4 have this phone; the text names L4: L3's weak match is dropped.
    assert _regraded(pack, ["045-111-2222"], ["高橋美咲さん"]) == [(0, "L4", ["name", "phone"], "strong")]
    # The shared address corroborates both.
    assert _regraded(pack, ["045-111-2222"], ["横浜市中区山下町1丁目2-3"]) == [
        (0, "L3", ["address", "phone"], "strong"),
        (0, "L4", ["address", "phone"], "strong"),
    ]


def test_rows_are_corroborated_each_by_their_own_text(pack) -> None:
    got = _regraded(pack, ["03-1234-5678", "06-2345-6789"], ["佐藤花子", "山田太郎"])
    assert got == [(0, "L1", ["phone"], "weak"), (1, "L2", ["phone"], "weak")]


def test_several_readings_of_one_row_are_all_looked_at(pack) -> None:
    batch = pl.DataFrame({"phone": ["06-2345-6789"]})
    found = match_normalised(normalise_batch(batch, {"phone": ["phone"]}), pack.secret, pack.contents)
    texts = pl.DataFrame({ROW: [0, 0], TEXT: ["譁・ｭ怜喧縺�", "佐藤 花子"]}, schema={ROW: pl.UInt32, TEXT: pl.String})
    out = corroborate(found, texts, pack.secret, pack.contents)
    assert out.select(ROW, "record_id", "fields", "strength").rows() == [(0, "L2", ["name", "phone"], "strong")]


def test_name_candidates_are_bounded_substrings_of_the_normalised_pieces(pack) -> None:
    texts = pl.DataFrame({ROW: [0], TEXT: ["ab、山田 太郎様。" + "x" * 50]}, schema={ROW: pl.UInt32, TEXT: pl.String})
    fps = candidate_fingerprints(texts, pack.secret)
    # "山田太郎" (the honorific goes with the piece's end): 3 + 2 + 1 substrings of 2..4
    # characters; "ab": 1; the 50 x's: one distinct substring per length 2..NAME_MAX_CHARS.
    assert fps["name"].unique().height == 6 + 1 + (NAME_MAX_CHARS - 1)


def test_no_text_or_no_match_returns_found_unchanged(pack, tmp_path: Path) -> None:
    empty = pl.DataFrame(schema={ROW: pl.UInt32, TEXT: pl.String})
    batch = pl.DataFrame({"phone": ["03-1234-5678"]})
    found = match_normalised(normalise_batch(batch, {"phone": ["phone"]}), pack.secret, pack.contents)
    assert corroborate(found, empty, pack.secret, pack.contents).equals(found)
    none = found.clear()
    assert corroborate(none, empty, pack.secret, pack.contents).height == 0


def test_a_record_id_given_twice_in_the_leaked_set_is_one_match(tmp_path: Path, pack_factory) -> None:
    twice = pack_factory(
        tmp_path, "ID,氏名,電話番号\nL9,山田 太郎,03-1234-5678\nL9,山田 花子,03-1234-5678\n"
    )
    assert _regraded(twice, ["03-1234-5678"], ["山田花子"]) == [(0, "L9", ["name", "phone"], "strong")]
    assert _regraded(twice, ["03-1234-5678"], ["不在"]) == [(0, "L9", ["phone"], "weak")]
