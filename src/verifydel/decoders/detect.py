"""Which text encoding a byte sample is in: BOM, then strict decodes, then plausibility.

Only the encodings Japanese broker exports come in are candidates: UTF-8, CP932
(Windows Shift_JIS) and EUC-JP, plus UTF-8/UTF-16 announced by a byte order mark.
A sample that none of them decodes strictly is refused with a hint rather than
guessed: a wrong guess would make every cell unequal to the leaked values and the
scan would report "nothing found" for data that is there.
"""

from __future__ import annotations

import codecs
import re
from functools import cache
from itertools import islice
from typing import Final

from verifydel.errors import DecodeError

#: How many leading bytes callers pass to ``detect_encoding``: large enough that a
#: wrong strict decode shows up, small enough to read for every file of a folder.
DETECTION_SAMPLE_BYTES: Final = 4 << 20

#: Encodings tried when no BOM decides, in this order. UTF-8 first: Japanese text
#: in CP932 or EUC-JP is practically never valid UTF-8 (their lead bytes are not
#: followed by UTF-8 continuation bytes), so a strict UTF-8 decode is decisive.
CANDIDATE_ENCODINGS: Final[tuple[str, ...]] = ("utf-8", "cp932", "euc_jp")

#: Non-ASCII characters a sample must decode to in UTF-8 before its first invalid byte
#: to be taken for UTF-8 with bad bytes in it (read up to them) rather than CP932 or
#: EUC-JP: their text practically never holds that many valid UTF-8 sequences in a row,
#: while CP932 decodes most UTF-8 Japanese (as mojibake that matches nothing).
UTF8_EVIDENCE_CHARS: Final = 16

#: Share of a sample's non-ASCII bytes that may be in bad sequences for it to be taken
#: for text in a candidate encoding with a few bad bytes (``damaged_encoding``).
MAX_DAMAGED_SHARE: Final = 0.01
_ASCII_BYTES: Final = bytes(range(0x80))

#: How many decoded characters the plausibility score looks at.
_SCORE_CHARS: Final = 1 << 16

_BOMS: Final[tuple[tuple[bytes, str], ...]] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# Character classes of the plausibility score (tuned on faker ja_JP names, kana
# names, addresses and sentences in both encodings, 1 to 20 values per sample).
# Real Japanese text is made of kana, CJK punctuation and common kanji; the same
# bytes read in the wrong one of CP932/EUC-JP come out as half-width katakana in
# impossible sequences, private-use and vendor-extension characters and rare
# (JIS level 2 / JIS X 0212) kanji.
_KANA = re.compile("[\u3041-\u3096\u309d\u309e\u30a1-\u30fa\u30fc-\u30fe]")
_JA_PUNCT = re.compile("[\u3000-\u3003\u3005-\u301f\u30fb\uff01-\uff5e]")
_HALFWIDTH_KANA = re.compile("[\uff66-\uff9f]")
# Half-width ideographic punctuation (bytes A1-A5) starts almost every EUC-JP kana
# and symbol read as CP932, and is rare in genuine half-width text.
_HALFWIDTH_PUNCT = re.compile("[\uff61-\uff65]")
# Half-width katakana that no word is spelt with: a (semi-)voiced mark after a kana
# that takes none, a small kana, long-vowel mark or ﾝ opening a word, a small ya/yu/yo
# after a kana that is not of the i-row. EUC-JP kanji bytes read as CP932 are
# full of these; kana names typed by people have none.
_HALFWIDTH_MISSPELT = re.compile(
    "(?<![\uff73\uff76-\uff84\uff8a-\uff8e\uff9c\uff66])\uff9e"  # ﾞ not after ｳｶ-ﾄﾊ-ﾎﾜｦ
    "|(?<![\uff8a-\uff8e])\uff9f"  # ﾟ not after ﾊ-ﾎ
    "|(?<![\uff66-\uff9f])[\uff67-\uff70\uff9d-\uff9f]"  # ｧ-ｯ, ｰ, ﾝ, ﾞ, ﾟ opening a word
    # ｬｭｮ not after an i-row kana (ｷｼﾁﾆﾋﾐﾘ, voiced or not)
    "|(?<![\uff77\uff7c\uff81\uff86\uff8b\uff90\uff98\uff9e\uff9f])[\uff6c-\uff6e]"
)
_IDEOGRAPH = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_IMPLAUSIBLE = re.compile(
    "[\x80-\x9f\ue000-\uf8ff"  # C1 controls, private use (CP932 user-defined area, 0xA0/0xFD-FF)
    "\u2170-\u217f\uffe2\uffe4\uff07\uff02"  # IBM extension small roman numerals and symbols
    "\u0370-\u03ff\u0400-\u04ff\u2500-\u257f]"  # Greek, Cyrillic, box drawing (EUC rows 6-8)
)


#: Kanji of names, addresses and the words around them in an export: they make a
#: reading far more plausible than other common kanji do (hand-picked, ~340).
_FREQUENT_KANJI: Final = (
    "一二三四五六七八九十百千万円年月日時分本人大小中上下前後左右東西南北内外入出山川田村井木林森野原島沢池谷口石岡崎橋松竹梅"
    "桜花草藤佐伊加斎吉高鈴渡辺近遠長短新古青赤白黒金銀銅鉄水火土風雨雪雲空海湖浜港町市区郡県府都道里丁目番地号館棟階室荘寮園"
    "台丘坂宮城神社寺堂駅線通条栄幸福富豊和平安康健太郎次子美恵香織奈菜由真理紀代江枝智明秀英雄男夫彦介助輔信義正直誠実清浩宏"
    "弘博隆孝雅昭典則久弓光春夏秋冬朝夕夜星陽翔樹蓮悠斗湊颯結愛葵凛咲希望未来心優彩音季節会員名住所電話携帯氏姓生性別女様殿株"
    "式有限合同店舗支部営業課係表取締役事務学校病院局場物品食商工建設不動産運輸気行保険証券情報技術開発研究管総経販売顧客登録"
    "変更削除確認送付請求払領収書郵便宛先個利用的意期間容記載項備考連絡自宅勤緊急家族続柄関"
)


@cache
def _frequent_kanji() -> re.Pattern[str]:
    """_FREQUENT_KANJI without the SS2 lookalikes (those earn nothing, see below)."""
    lookalikes = set(_ss2_lookalike_chars())
    return re.compile("[" + "".join(c for c in _FREQUENT_KANJI if c not in lookalikes) + "]")


@cache
def _common_kanji() -> re.Pattern[str]:
    """JIS X 0208 level-1 kanji (EUC-JP rows 16-47): the ~3,000 kanji of everyday text."""
    chars = []
    for lead in range(0xB0, 0xD0):
        for trail in range(0xA1, 0xFF):
            try:
                chars.append(bytes((lead, trail)).decode("euc_jp"))
            except UnicodeDecodeError:
                continue
    return re.compile("[" + re.escape("".join(chars)) + "]")


def _ss2_lookalike_chars() -> str:
    """The kanji CP932 makes of EUC-JP half-width katakana (0x8E + A1-DF).

    Common kanji (七, 実, 社...), but a text of nothing else is EUC-JP kana names
    read as CP932, so they earn nothing.
    """
    return "".join(bytes((0x8E, trail)).decode("cp932") for trail in range(0xA1, 0xE0))


@cache
def _ss2_lookalikes() -> re.Pattern[str]:
    return re.compile("[" + re.escape(_ss2_lookalike_chars()) + "]")


def plausibility(text: str) -> int:
    """How much ``text`` looks like Japanese written by people (higher is likelier).

    Used to choose between CP932 and EUC-JP when both decode a sample strictly.
    """
    text = text[:_SCORE_CHARS]

    def count(pattern: re.Pattern[str]) -> int:
        return sum(1 for _ in pattern.finditer(text))

    frequent = count(_frequent_kanji())
    common = count(_common_kanji())
    lookalike = count(_ss2_lookalikes())
    rare = count(_IDEOGRAPH) - common
    # Weights in tenths. A kanji is two bytes, and so are two half-width kana: two
    # well-spelt half-width kana (18) outweigh one common kanji (15) but not one of the
    # kanji names and addresses are made of (15 + 15), so that the two readings of the
    # same bytes do not tie.
    return (
        30 * count(_KANA)
        + 20 * count(_JA_PUNCT)
        + 15 * frequent
        + 15 * (common - lookalike)
        - 20 * rare
        + 9 * count(_HALFWIDTH_KANA)
        - 60 * count(_HALFWIDTH_MISSPELT)
        - 40 * count(_HALFWIDTH_PUNCT)
        - 40 * count(_IMPLAUSIBLE)
    )


def strict_decode_prefix(sample: bytes, encoding: str) -> str | None:
    """The sample decoded strictly, or None. A character cut at the end is not an error."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        return decoder.decode(sample, final=False)
    except UnicodeDecodeError:
        return None


def utf8_before_bad_bytes(sample: bytes) -> bool:
    """True when ``sample`` is UTF-8 up to an invalid byte, after UTF8_EVIDENCE_CHARS
    non-ASCII characters or more (a damaged or concatenated UTF-8 file)."""
    try:
        codecs.getincrementaldecoder("utf-8")(errors="strict").decode(sample, final=False)
        return False  # valid: not "before bad bytes"
    except UnicodeDecodeError as exc:
        prefix = codecs.decode(sample[: exc.start], "utf-8")
    non_ascii = re.finditer("[^\x00-\x7f]", prefix)
    return next(islice(non_ascii, UTF8_EVIDENCE_CHARS - 1, None), None) is not None


def _replaced_in(sample: bytes, encoding: str) -> tuple[int, str]:
    """How many bad sequences ``sample`` holds in ``encoding``, and its text (U+FFFD for
    them; a character cut at the end left out). UTF-8's are counted as escapes, so a
    genuine U+FFFD in the text is not taken for one."""
    if encoding == "utf-8":
        text = codecs.getincrementaldecoder(encoding)(errors="surrogateescape").decode(sample)
        escaped = text.encode("utf-8", "surrogatepass")
        return escaped.count(b"\xed\xb2") + escaped.count(b"\xed\xb3"), text
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(sample)
    return text.count("\ufffd"), text  # these codecs decode no valid bytes to U+FFFD


def damaged_encoding(sample: bytes) -> str | None:
    """The candidate ``sample`` is written in with a few bad bytes, or None.

    A bad byte near the top of a file must not make it unreadable (a broker could
    hide a file behind one). UTF-8 when at most MAX_DAMAGED_SHARE of its non-ASCII
    bytes are bad and the rest holds UTF8_EVIDENCE_CHARS characters or more (the
    bytes of CP932 or EUC-JP text practically never do); else CP932 or EUC-JP within
    the same share, the one with fewer bad sequences (a tie: the more plausible).
    """
    non_ascii = len(sample.translate(None, _ASCII_BYTES))
    allowed = non_ascii * MAX_DAMAGED_SHARE
    bad, _ = _replaced_in(sample, "utf-8")
    if bad <= allowed and non_ascii - bad >= 2 * UTF8_EVIDENCE_CHARS:
        return "utf-8"
    fits = []
    for encoding in ("cp932", "euc_jp"):
        bad, text = _replaced_in(sample, encoding)
        if bad <= allowed:
            fits.append((-bad, plausibility(text), encoding == "cp932", encoding))
    return max(fits)[-1] if fits else None


def bom_encoding(sample: bytes) -> str | None:
    """The encoding a byte order mark at the start announces, if any."""
    for bom, encoding in _BOMS:
        if sample.startswith(bom):
            return encoding
    return None


def detect_encoding(sample: bytes) -> str:
    """The Python codec name ``sample`` (the first bytes of a file) is written in.

    A BOM decides first; then pure ASCII is "utf-8"; then the first of
    CANDIDATE_ENCODINGS that decodes strictly, except that when both CP932 and
    EUC-JP do, the more plausible reading wins; then UTF-8 with bad bytes after
    some Japanese (see UTF8_EVIDENCE_CHARS); then the candidate with a few bad
    bytes in it (``damaged_encoding``). The readers replace the bad bytes and read
    on (``decoders.replace``). Raises DecodeError when none fits.
    """
    announced = bom_encoding(sample)
    if announced is not None:
        return announced
    if sample.isascii():
        return "utf-8"
    readings = {
        encoding: text
        for encoding in CANDIDATE_ENCODINGS
        if (text := strict_decode_prefix(sample, encoding)) is not None
    }
    if "utf-8" in readings or utf8_before_bad_bytes(sample):
        return "utf-8"
    if len(readings) == 2:
        # Ties go to CP932: it is what Excel and most Windows exports write.
        return max(("cp932", "euc_jp"), key=lambda enc: plausibility(readings[enc]))
    if readings:
        return next(iter(readings))
    damaged = damaged_encoding(sample)
    if damaged is not None:
        return damaged
    raise DecodeError(
        "the text is not UTF-8, CP932 (Shift_JIS) or EUC-JP",
        hint="if you know its encoding, try --encoding=cp932 (or euc_jp, utf-16)",
    )
