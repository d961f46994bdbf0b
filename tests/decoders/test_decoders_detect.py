"""Encoding detection: BOMs, strict decodes, and CP932 against EUC-JP on real Japanese."""

from __future__ import annotations

import codecs

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verifydel.decoders import detect_encoding
from verifydel.decoders.detect import (
    UTF8_EVIDENCE_CHARS,
    strict_decode_prefix,
    utf8_before_bad_bytes,
)
from verifydel.errors import DecodeError

# Real-looking values of a broker export: names, kana readings (full and half width),
# addresses, phones, sentences.
SENTENCES = [
    "山田 太郎,ヤマダ タロウ,東京都千代田区千代田1-1-1,03-1234-5678",
    "佐藤 花子,サトウ ハナコ,大阪府大阪市北区梅田3丁目4番5号 梅田ビル101,090-1111-2222",
    "高橋 美咲,北海道札幌市中央区北一条西二丁目,011-222-3333",
    "お客様の個人情報は、適切に管理しております。ご不明な点はお問い合わせください。",
    "会員番号,氏名,フリガナ,郵便番号,住所,電話番号,携帯番号,生年月日",
    "ﾔﾏﾀﾞ ﾀﾛｳ,03-1234-5678\nｽｽﾞｷ ｲﾁﾛｳ,06-2222-3333\nﾀﾅｶ ﾊﾅｺ,011-444-5555",
    "神奈川県横浜市港北区新横浜二丁目 新横浜マンション 305号室",
]

# Values whose bytes decode strictly as BOTH cp932 and euc_jp: plausibility decides.
AMBIGUOUS = [
    ("佐藤 修平\n", "euc_jp"),
    ("山田 花子\n", "euc_jp"),
    ("大阪府大阪市北区梅田\n", "euc_jp"),
    ("木村食品合同会社\n", "euc_jp"),
    ("西新宿\n", "euc_jp"),
    ("ｲﾄｳ ｻﾕﾘ,090-9460-9318\n", "euc_jp"),
    ("ﾔﾏﾀﾞ ﾀﾛｳ,03-1234-5678\n", "euc_jp"),
    ("ﾀｶﾊｼ ｶｽﾞﾔ,070-3449-0939\n", "cp932"),
]


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        (b"", "utf-8"),
        (b"name,phone\nYamada,0312345678\n", "utf-8"),
        (codecs.BOM_UTF8 + "氏名".encode(), "utf-8-sig"),
        (codecs.BOM_UTF8 + b"ascii only", "utf-8-sig"),
        ("氏名,電話".encode("utf-16-le").join([codecs.BOM_UTF16_LE, b""]), "utf-16"),
        ("氏名,電話".encode("utf-16"), "utf-16"),
        (codecs.BOM_UTF16_BE + "氏名".encode("utf-16-be"), "utf-16"),
    ],
    ids=["empty", "ascii", "utf8-bom", "utf8-bom-ascii", "utf16le-bom", "utf16-bom", "utf16be-bom"],
)
def test_bom_and_ascii(sample: bytes, expected: str) -> None:
    assert detect_encoding(sample) == expected


@pytest.mark.parametrize("encoding", ["utf-8", "cp932", "euc_jp"])
@pytest.mark.parametrize("text", SENTENCES, ids=range(len(SENTENCES)))
def test_real_japanese_in_each_encoding(text: str, encoding: str) -> None:
    assert detect_encoding(text.encode(encoding)) == encoding


@pytest.mark.parametrize(("text", "expected"), AMBIGUOUS, ids=[e for _, e in AMBIGUOUS])
def test_ambiguous_bytes_are_settled_by_plausibility(text: str, expected: str) -> None:
    data = text.encode(expected)
    # The case is only interesting if both readings are strictly valid.
    assert strict_decode_prefix(data, "cp932") is not None
    assert strict_decode_prefix(data, "euc_jp") is not None
    assert detect_encoding(data) == expected


@pytest.mark.parametrize("encoding", ["utf-8", "cp932", "euc_jp"])
def test_a_character_cut_at_the_end_of_the_sample_is_not_an_error(encoding: str) -> None:
    data = ("\n".join(SENTENCES) * 50).encode(encoding)
    for cut in range(1, 4):
        assert detect_encoding(data[:-cut]) == encoding


def test_cp932_vendor_characters_are_cp932() -> None:
    # 髙 and 﨑 (IBM extensions, common in names) exist in CP932 only.
    assert detect_encoding("髙橋 﨑山,①番地".encode("cp932")) == "cp932"


def test_large_sample_is_detected() -> None:
    rows = "\n".join(SENTENCES[:3]) + "\n"
    data = (rows * 40_000).encode("euc_jp")[: 4 << 20]
    assert len(data) == 4 << 20
    assert detect_encoding(data) == "euc_jp"


def test_undecodable_bytes_raise_with_a_hint_and_without_the_bytes() -> None:
    # Invalid in UTF-8 (0xFF), in CP932 (0x81 0x20 is no character) and in EUC-JP (0x81).
    secret = b"\x81\x20\xff\x81\x20"
    with pytest.raises(DecodeError) as info:
        detect_encoding(secret)
    message = str(info.value)
    assert "--encoding=cp932" in message
    assert "\\x81" not in message and "81 20" not in message


# ---- property: Japanese text in any of the four encodings is detected and read back ---------

_WORDS = (
    "佐藤 鈴木 高橋 田中 渡辺 伊藤 山本 中村 小林 加藤 吉田 山田 佐々木 松本 井上 木村 林 "
    "太郎 花子 一郎 美咲 陽子 健太 さくら 翔太 ゆい 大輔 恵子 サトウ スズキ ヤマダ タロウ ハナコ "
    "東京都 大阪府 北海道 神奈川県 千代田区 札幌市 中央区 横浜市 港北区 新宿区 西新宿 梅田 "
    "丁目 番地 番 号 マンション ハイツ 101号室 1-2-3 ３丁目 090-1234-5678 〒100-0001 "
    "です ます こんにちは ありがとう 会員 氏名 住所 電話番号 ﾔﾏﾀﾞ ﾀﾛｳ ｻﾄｳ ﾊﾅｺ ｽｽﾞｷ ｲﾁﾛｳ"
).split()
_SEPARATORS = [",", " ", "\n", "\u3000", "\t", "\r\n"]

japanese_text = st.lists(
    st.tuples(st.sampled_from(_WORDS), st.sampled_from(_SEPARATORS)), min_size=1, max_size=40
).map(lambda parts: "".join(word + sep for word, sep in parts))


@settings(max_examples=300, deadline=None)
@given(text=japanese_text, encoding=st.sampled_from(["utf-8", "cp932", "euc_jp", "utf-16"]))
def test_japanese_text_is_detected_in_every_encoding(text: str, encoding: str) -> None:
    data = text.encode(encoding)
    detected = detect_encoding(data)
    assert codecs.decode(data, detected) == text
    # ASCII-only text is the same bytes in utf-8, cp932 and euc_jp: "utf-8" is right.
    assert detected == ("utf-8" if data.isascii() else encoding)


# ---- UTF-8 with bad bytes: read as UTF-8 up to them, never as CP932 mojibake ----------------


@pytest.mark.parametrize("bad", [b"\xff", b"\x81\x20", b"\xe5\xb1"])
def test_utf8_japanese_with_bad_bytes_is_utf8(bad: bytes) -> None:
    good = ("氏名,住所\n" + "山田 太郎,東京都港区芝公園4-2-8\n" * 20).encode()
    sample = good + b"9," + bad + b"\n" + good
    assert detect_encoding(sample) == "utf-8"
    assert utf8_before_bad_bytes(sample)


def test_a_few_utf8_characters_before_bad_bytes_are_no_evidence() -> None:
    sample = ("id,名前\n1," + "山" * (UTF8_EVIDENCE_CHARS - 3) + "\n").encode() + b"\x81\x20\n"
    assert not utf8_before_bad_bytes(sample)
    with pytest.raises(DecodeError):
        detect_encoding(sample)
    assert utf8_before_bad_bytes(sample.replace(b"1,", "1,山".encode()))  # one more is enough


@settings(max_examples=300, deadline=None)
@given(
    text=japanese_text,
    encoding=st.sampled_from(["cp932", "euc_jp"]),
    bad=st.sampled_from([b"\xff", b"\x81\x20", b"\x80"]),
)
def test_cp932_and_euc_jp_with_bad_bytes_are_never_taken_for_utf8(
    text: str, encoding: str, bad: bytes
) -> None:
    data = text.encode(encoding)
    assert not utf8_before_bad_bytes(data + bad + data)
