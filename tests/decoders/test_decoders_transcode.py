"""Incremental decoding and transcoding: chunk boundaries never split a character."""

from __future__ import annotations

import codecs
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verifydel.decoders import TextDecoder, canonical_encoding, detect_encoding, transcode_to_utf8
from verifydel.decoders.text import decode_head
from verifydel.errors import DecodeError, UsageError

ENCODINGS = ["utf-8", "utf-8-sig", "cp932", "euc_jp", "utf-16"]

# Characters every one of ENCODINGS can write: kana, common kanji, ASCII, punctuation.
_ALPHABET = (
    [chr(c) for c in range(0x3041, 0x3094)]  # hiragana
    + [chr(c) for c in range(0x30A1, 0x30F7)]  # katakana
    + list("山田太郎花子佐藤鈴木東京都千代田区大阪府北海道丁目番地号")
    + list("abcXYZ0123456789 ,-\n\"'\t　、。「」ー")
)
japanese_chars = st.text(alphabet=st.sampled_from(_ALPHABET), max_size=200)


def _transcode(data: bytes, encoding: str, chunk: int) -> str:
    out = io.BytesIO()
    written = transcode_to_utf8(io.BytesIO(data), encoding, out, chunk)
    assert written == len(out.getvalue())
    return out.getvalue().decode("utf-8")


@settings(max_examples=300, deadline=None)
@given(text=japanese_chars, encoding=st.sampled_from(ENCODINGS), chunk=st.integers(1, 7))
def test_transcoding_round_trips_whatever_the_chunk_size(
    text: str, encoding: str, chunk: int
) -> None:
    data = text.encode(encoding)
    if encoding in ("cp932", "euc_jp"):
        assert _transcode(data, encoding, chunk) == text
    else:  # the encodings a BOM announces also round-trip through detection
        detected = (
            detect_encoding(data)
            if data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE))
            else encoding
        )
        assert _transcode(data, detected, chunk) == text


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16-le", "utf-16-be"])
def test_a_bom_is_dropped_even_when_the_encoding_is_given_without_it(encoding: str) -> None:
    data = "\ufeff氏名".encode(encoding)
    assert _transcode(data, encoding, 3) == "氏名"


def test_only_the_leading_bom_is_dropped() -> None:
    assert _transcode("\ufeffa\ufeffb".encode(), "utf-8", 1) == "a\ufeffb"


@pytest.mark.parametrize(
    ("encoding", "good", "bad"),
    [
        ("utf-8", "山田", b"\xff"),
        ("cp932", "山田", b"\x81\x20"),
        ("euc_jp", "山田", b"\xa9\xa1"),
        ("utf-16", "山田", b"\x00\xdc"),  # a lone low surrogate (little endian)
    ],
)
@pytest.mark.parametrize("chunk", [1, 2, 5, 1 << 20])
def test_invalid_bytes_are_reported_by_offset_not_content(
    encoding: str, good: str, bad: bytes, chunk: int
) -> None:
    prefix = (good * 7).encode(encoding)
    with pytest.raises(DecodeError) as info:
        _transcode(prefix + bad + b"tail", encoding, chunk)
    message = str(info.value)
    assert f"byte offset {len(prefix)}" in message
    assert "--encoding=" in message
    assert good not in message


def test_a_character_cut_at_the_end_of_the_file_is_an_error() -> None:
    data = "山田".encode("cp932")[:-1]
    with pytest.raises(DecodeError, match="truncated cp932 byte sequence at byte offset 2"):
        _transcode(data, "cp932", 1)


@pytest.mark.parametrize(
    ("encoding", "bad"),
    [
        ("cp932", b"\x81\x20"),
        ("euc_jp", b"\xa9\xa1"),
        ("utf-8", b"\xff"),
        ("utf-16-le", b"\x00\xdc"),
    ],
)
@pytest.mark.parametrize("chunk", [1, 3, 1 << 20])
def test_everything_before_the_bad_bytes_is_written(encoding: str, bad: bytes, chunk: int) -> None:
    good = "氏名,住所\n山田,東京都\n佐"
    out = io.BytesIO()
    with pytest.raises(DecodeError):
        transcode_to_utf8(
            io.BytesIO(good.encode(encoding) + bad + "後".encode(encoding)), encoding, out, chunk
        )
    assert out.getvalue().decode("utf-8") == good


def test_text_decoder_counts_bytes_and_yields_text_in_pieces() -> None:
    decoder = TextDecoder("euc_jp")
    data = "氏名,住所\n".encode("euc_jp")
    pieces = list(decoder.iter_text(io.BytesIO(data), chunk=3))
    assert "".join(pieces) == "氏名,住所\n"
    assert len(pieces) > 1
    assert decoder.bytes_consumed == len(data)


@pytest.mark.parametrize(
    ("name", "canonical"),
    [("UTF8", "utf-8"), ("Shift_JIS", "shift_jis"), ("EUC-JP", "euc_jp"), ("cp932", "cp932")],
)
def test_encoding_names_are_canonical(name: str, canonical: str) -> None:
    assert canonical_encoding(name) == canonical


@pytest.mark.parametrize("name", ["no-such-encoding", "base64", "rot13"])
def test_unknown_or_non_text_encodings_are_refused(name: str) -> None:
    with pytest.raises(UsageError, match="unknown text encoding"):
        canonical_encoding(name)


def test_a_text_decoder_for_a_sample_detects_unless_told() -> None:
    sample = "氏名,住所\n山田,東京都\n".encode("euc_jp")
    assert TextDecoder.for_sample(sample).encoding == "euc_jp"
    assert TextDecoder.for_sample(sample, "cp932").encoding == "cp932"


@pytest.mark.parametrize(
    ("encoding", "data"),
    [
        ("cp932", "山田".encode("cp932")[:-1]),
        ("euc_jp", "山田".encode("euc_jp")[:-1]),
        ("utf-8", "山田".encode()[:-1]),
        ("utf-16-le", "山田".encode("utf-16-le")[:-1]),
    ],
)
def test_a_character_cut_by_the_end_says_cut_short_not_try_another_encoding(
    encoding: str, data: bytes
) -> None:
    with pytest.raises(DecodeError) as info:
        _transcode(data, encoding, 1 << 20)
    assert str(info.value).startswith("truncated ")
    assert "cut short" in info.value.hint and "--encoding" not in info.value.hint


def test_an_invalid_last_byte_is_invalid_not_truncated() -> None:
    with pytest.raises(DecodeError, match="invalid utf-8 byte sequence at byte offset 6") as info:
        _transcode("山田".encode() + b"\xff", "utf-8", 1 << 20)
    assert "--encoding=cp932" in info.value.hint


@pytest.mark.parametrize("encoding", ["utf-8", "cp932", "euc_jp"])
def test_the_head_reads_past_bad_bytes_as_replacement_characters(encoding: str) -> None:
    # Issue 9: bad bytes no longer end the head (nor the file) after its last complete line.
    good = "氏名,住所\r\n山田,東京都\r\n".encode(encoding)
    cut = "佐藤,大阪".encode(encoding)
    assert decode_head(good + cut + b"\x81\x20\n9,9\n", encoding, final=False) == (
        "氏名,住所\r\n山田,東京都\r\n佐藤,大阪\ufffd \n9,9\n"
    )
    # a character cut by the end of the whole file is replaced too
    assert decode_head(good + cut[:-1], encoding, final=True).endswith("佐藤,大\ufffd")
    # ... but left out at the end of a sample of a longer file
    assert decode_head(good + cut[:-1], encoding, final=False) == "氏名,住所\r\n山田,東京都\r\n佐藤,大"


@pytest.mark.parametrize("head", [b"", b"\n\r\n  \n", "氏名,住所".encode("cp932")])
def test_the_head_is_read_past_bad_bytes_at_its_top(head: bytes) -> None:
    # (was: a DecodeError when no complete line came before the bad bytes)
    text = decode_head(head + b"\x81\x20\n" + "山田\n".encode("cp932") + b"\x00", "cp932", final=False)
    assert text == head.decode("cp932") + "\ufffd \n山田\n"  # the NUL dropped


@settings(max_examples=100, deadline=None)
@given(text=japanese_chars)
def test_a_decodable_head_is_decoded_whole(text: str) -> None:
    assert decode_head(text.encode("cp932"), "cp932", final=True) == text
