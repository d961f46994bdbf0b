"""Issue 9: bytes that are not text are replaced, counted and located, never the end of a file."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from verifydel.decoders import detect_encoding
from verifydel.decoders.parallel import transcode_file_replacing
from verifydel.decoders.replace import LOCATED_OFFSETS, Replacements
from verifydel.decoders.text import TextDecoder, transcode_replacing


def _replacing(data: bytes, encoding: str, chunk: int) -> tuple[str, Replacements]:
    out = io.BytesIO()
    replaced = transcode_replacing(io.BytesIO(data), encoding, out, chunk)
    return out.getvalue().decode("utf-8"), replaced


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 1 << 20])
@pytest.mark.parametrize("encoding", ["utf-8", "cp932", "euc_jp"])
def test_invalid_sequences_and_nuls_are_counted_and_located_whatever_the_chunks(
    encoding: str, chunk: int
) -> None:
    a, b = "氏名,住所\n".encode(encoding), "山田,東京都\n".encode(encoding)
    data = a + b"\x81 " + b + b"x\x00y\n" + b"\x00"
    text, replaced = _replacing(data, encoding, chunk)
    assert text == "氏名,住所\n\ufffd 山田,東京都\nxy\n"
    nul = len(a) + 2 + len(b) + 1
    assert replaced == Replacements(3, [len(a), nul, len(data) - 1])


@pytest.mark.parametrize("encoding", ["utf-8", "cp932"])
def test_many_bad_bytes_are_all_counted_and_the_first_located(encoding: str) -> None:
    # after LOCATED_OFFSETS the codec's own handler takes over: the count stays exact
    row = "山田,東京都\n".encode(encoding)
    data = (row + b"\x81 ") * 5000 + "\ufffd".encode(encoding, "replace") + row
    text, replaced = _replacing(data, encoding, 1000)
    assert replaced.count == 5000
    assert replaced.offsets == [len(row) + i * (len(row) + 2) for i in range(LOCATED_OFFSETS)]
    assert text.count("山田") == 5001


def test_a_genuine_replacement_character_is_not_counted() -> None:
    data = ("\ufffd" * 3).encode() + b"\xff" * 20 + ("あ\ufffd" * 4).encode()
    for chunk in (1, 2, 4, 1 << 20):
        text, replaced = _replacing(data, "utf-8", chunk)
        assert replaced.count == 20 and text.count("\ufffd") == 27


def test_a_character_cut_by_the_end_is_replaced_and_located() -> None:
    data = "山田".encode() + "田".encode()[:2]
    text, replaced = _replacing(data, "utf-8", 1 << 20)
    assert text == "山田\ufffd" and replaced == Replacements(1, [6])


def test_utf16_nuls_are_counted_not_confused_with_its_zero_bytes() -> None:
    data = "a\x00b\n".encode("utf-16")
    decoder = TextDecoder("utf-16", replace=True)
    assert decoder.decode(data, final=True) == "ab\n"
    assert decoder.replaced.count == 1


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_parallel_pieces_merge_their_counts_and_offsets(tmp_path: Path, workers: int) -> None:
    row = "山田,東京都\n".encode("cp932")
    data = (row * 300 + b"\x81 \x00\n") * 20
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_bytes(data)
    replaced = transcode_file_replacing(src, "cp932", dst, workers=workers, min_parallel_bytes=1)
    expected_text, expected = _replacing(data, "cp932", 1 << 20)
    assert replaced == expected and replaced.count == 40
    assert dst.read_text(encoding="utf-8") == expected_text


def test_a_strict_decoder_still_raises() -> None:
    from verifydel.errors import DecodeError

    with pytest.raises(DecodeError, match="byte offset 1"):
        TextDecoder("utf-8").decode(b"a\xff")


def test_details_and_note_hold_the_count_and_offsets_only() -> None:
    replaced = Replacements(12, list(range(0, 100, 10)))
    assert replaced.details() == {
        "replaced_sequences": 12,
        "first_replaced_offsets": "0,10,20,30,40,50,60,70,80,90",
    }
    assert "12 invalid byte sequence" in replaced.note() and "90, ..." in replaced.note()
    assert Replacements().details() == {}


@pytest.mark.parametrize("encoding", ["cp932", "euc_jp", "utf-8"])
def test_detection_sees_through_a_bad_byte_near_the_top(encoding: str) -> None:
    rows = "".join(f"会員{i},東京都港区芝公園{i}丁目,山田 太郎\n" for i in range(200))
    data = "氏名,住所\n".encode(encoding) + b"\x81 \xff\n" + rows.encode(encoding)
    assert detect_encoding(data) == encoding
