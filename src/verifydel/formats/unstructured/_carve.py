"""Phone-shaped spans in raw bytes, in every encoding verifydel reads, by compiled regexes.

One phone grammar (``phone_grammar``) is written once over characters and compiled
as a ``str`` regex (what a decoded span must be, whole) and as ``bytes`` regexes
over undecoded data: one for the ASCII-compatible encodings together (UTF-8, CP932,
EUC-JP: an ASCII digit is the same byte in all three; each full-width digit, dash or
bracket is an alternative byte sequence), one for UTF-16LE, one for UTF-16BE.
Nothing is decoded to find a span; only the spans found are.

The regexes are slow next to numpy, so they only run where they can match: a
phone holds at least ``MIN_DIGITS`` digits within a few dozen bytes, and numpy
counts digit bytes (or digit byte pairs) in a sliding window over the whole chunk
(``_flagged_words``, ``_regions``). In random bytes that leaves a few hundred bytes per 8 MiB to the
regexes; in text, the lines that hold numbers. An ASCII-only region uses the
grammar's ASCII form, which matches the same spans faster.

The chunks of a file are searched so that the result is what one search of the
whole file would give (``find_spans``: each regex goes on where it left off), so
a span across a chunk boundary is found once. A match with fewer than
``MIN_DIGITS`` digits is no span, and the search goes on from its second byte
(``_scan``): a date before a phone does not hide the phone.

A span of the ASCII-compatible regex that is pure ASCII could be in any of the
three encodings (labelled ``ASCII``); one holding other bytes is read in the
first of them whose reading the ``str`` grammar accepts whole (a chimera of two
encodings is dropped). Two regexes may find overlapping spans (UTF-16 text read
one byte off; a ＋ in UTF-8 that CP932 reads as something else): ``best_span``
keeps one per overlap, the longest, then the one whose neighbouring bytes read
most plausibly as Japanese text, then the first of ``ENCODINGS``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from functools import cache
from typing import BinaryIO, Final, NamedTuple

import numpy as np

from verifydel.decoders.detect import plausibility

ASCII_COMPATIBLE: Final[tuple[str, ...]] = ("utf-8", "cp932", "euc_jp")
UTF16: Final[tuple[str, ...]] = ("utf-16-le", "utf-16-be")
#: Every encoding searched, in order of preference when two readings tie.
ENCODINGS: Final[tuple[str, ...]] = (*ASCII_COMPATIBLE, *UTF16)
#: Label of a pure ASCII span: the same bytes in every ASCII-compatible encoding.
ASCII: Final = "ascii"

DIGITS: Final = "0123456789" + "".join(chr(0xFF10 + i) for i in range(10))
#: Written between the groups of a phone number: hyphens and dashes of every kind
#: (the phone normaliser treats them all as noise), the long vowel mark typed for
#: a dash, spaces (U+3000 too) and dots.
SEPARATORS: Final = "-\uff0d\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\uff70 \u3000."
OPENING: Final = "(\uff08"
CLOSING: Final = ")\uff09"
PLUS: Final = "+\uff0b"

#: Digits a span must hold: a national number with its 0 has 10 or 11.
MIN_DIGITS: Final = 10
#: The longest span the grammar can match, in bytes (41 characters of at most 3
#: bytes, tested): the chunks' overlap is counted from it.
MAX_SPAN_BYTES: Final = 128
#: Bytes a look-behind reads before a span (a UTF-8 full-width digit).
LOOKBEHIND_BYTES: Final = 3
#: Sliding windows of the digit count: an ASCII phone's digits lie within
#: ``ASCII_WINDOW`` bytes of its start (41 characters at most); one with full-width
#: digits or in UTF-16 within ``WIDE_WINDOW`` (= MAX_SPAN_BYTES).
ASCII_WINDOW: Final = 48
WIDE_WINDOW: Final = 128


def phone_grammar(one_of: Callable[[str], str]) -> str:
    """The phone grammar, given how to write "one character of this set" in the target regex.

    Domestic: an optional bracket, 0 and up to 10 more digits, then up to two more
    groups of 1-4 digits, each introduced by separators or a bracket (03-1234-5678,
    (03)1234-5678, 03(1234)5678, 0120-123-456, 09012345678, 03 1234 5678).
    International: + (or 00, 010) and 81, an optional (0), then 1 to 10 digits and the
    same groups. Digits glued to digits are one group: "06 0312345678" is "06" and
    "0312345678", never "06 0312" and "345678". The callers add "not preceded or
    followed by a digit".
    """
    d, sep = one_of(DIGITS), one_of(SEPARATORS)
    opening, closing, zero = one_of(OPENING), one_of(CLOSING), one_of("0\uff10")
    introduced = (
        f"(?:{closing}(?:{sep}){{0,3}}(?:{opening})?|(?:{sep}){{1,3}}(?:{opening})?|{opening})"
    )
    groups = f"(?:{introduced}(?:{d}){{1,4}}){{0,2}}"
    domestic = f"(?:{opening})?{zero}(?:{d}){{0,10}}{groups}"
    country = (
        f"(?:{one_of(PLUS)}(?:{sep}){{0,2}}|{zero}{zero}|{zero}{one_of('1１')}{zero})"
        f"{one_of('8８')}{one_of('1１')}(?:{sep}){{0,3}}"
        f"(?:{opening}{zero}{closing}(?:{sep}){{0,2}})?"
    )
    international = f"{country}(?:{d}){{1,10}}{groups}"
    return f"(?:{international}|{domestic})"


@cache
def text_pattern() -> re.Pattern[str]:
    """What a decoded span must be, whole."""
    return re.compile(phone_grammar(lambda chars: "[" + re.escape(chars) + "]"))


def _byte_class(sequences: set[bytes]) -> str:
    """A regex (as latin-1 text, for a bytes pattern) matching any one of ``sequences``."""

    def cls(values: set[int]) -> str:
        if len(values) == 1:
            return re.escape(bytes(values)).decode("latin-1")
        return "[" + "".join(f"\\x{b:02x}" for b in sorted(values)) + "]"

    def lit(raw: bytes) -> str:
        return re.escape(raw).decode("latin-1")

    parts: list[str] = []
    for length in sorted({len(s) for s in sequences}):
        same = {s for s in sequences if len(s) == length}
        if length == 1:
            parts.append(cls({s[0] for s in same}))
            continue
        by_head: dict[bytes, set[int]] = {}
        by_tail: dict[bytes, set[int]] = {}
        for s in same:
            by_head.setdefault(s[:-1], set()).add(s[-1])
            by_tail.setdefault(s[1:], set()).add(s[0])
        if len(by_head) <= len(by_tail):
            parts += [lit(head) + cls(last) for head, last in sorted(by_head.items())]
        else:
            parts += [cls(first) + lit(tail) for tail, first in sorted(by_tail.items())]
    return "(?:" + "|".join(parts) + ")"


def _encoded(chars: str, encodings: Sequence[str]) -> set[bytes]:
    out: set[bytes] = set()
    for c in chars:
        for encoding in encodings:
            try:
                out.add(c.encode(encoding))
            except UnicodeEncodeError:
                continue  # e.g. U+2011 has no CP932 form
    return out


@cache
def byte_pattern(encodings: tuple[str, ...], *, ascii_only: bool = False) -> re.Pattern[bytes]:
    """The grammar over the bytes of ``encodings`` (ASCII-compatible ones, or one UTF-16),
    not preceded or followed by a digit. ``ascii_only``: its ASCII characters only (for
    ASCII-compatible encodings: the same spans in pure ASCII data, found faster)."""

    def encoded(chars: str) -> set[bytes]:
        kept = "".join(c for c in chars if c.isascii()) if ascii_only else chars
        return _encoded(kept, encodings)

    digits = encoded(DIGITS)
    behind = "".join(  # one fixed-width look-behind per length of a digit's bytes
        f"(?<!{_byte_class({s for s in digits if len(s) == n})})"
        for n in sorted({len(s) for s in digits})
    )
    grammar = phone_grammar(lambda chars: _byte_class(encoded(chars)))
    # Every span starts with a bracket, a 0 or a +: a look-ahead on their first bytes
    # lets the engine skip every other position quickly (4x faster on Japanese text).
    starts = sorted({s[0] for s in encoded(OPENING + "0\uff10" + PLUS)})
    first = "[" + "".join(f"\\x{b:02x}" for b in starts) + "]"
    pattern = f"(?={first}){behind}{grammar}(?!{_byte_class(digits)})"
    return re.compile(pattern.encode("latin-1"), re.DOTALL)


class Span(NamedTuple):
    """A phone-shaped span: absolute bytes ``start``..``end``, read as ``text``."""

    start: int
    end: int
    encoding: str  # ASCII, or the encoding the bytes were read in
    text: str


def read_span(raw: bytes, encodings: tuple[str, ...]) -> tuple[str, str] | None:
    """(encoding label, text) of a span found by the regex of ``encodings``, or None."""
    if len(encodings) > 1 and raw.isascii():
        return ASCII, raw.decode("ascii")
    for encoding in encodings:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if text_pattern().fullmatch(text):
            return encoding, text
    return None


def window_start(start: int, encoding: str, window: int, floor: int = 0) -> int:
    """Where the window before a span at ``start`` begins: ``window`` bytes back (not
    before ``floor``), on the span's byte parity in UTF-16."""
    lo = max(start - window, floor)
    return lo + 1 if encoding in UTF16 and (start - lo) % 2 else lo


#: Bytes on each side of a span that decide between overlapping readings: a few
#: characters (more would let the noise around a line of text outweigh it).
SCORE_BYTES: Final = 32


def japanese_score(data: bytes, span: Span) -> int:
    """How plausibly the few bytes around a span in ``data`` (offsets as in the span)
    read as Japanese text in its encoding (``decoders.detect.plausibility``)."""
    codec = "utf-8" if span.encoding == ASCII else span.encoding
    before = data[window_start(span.start, span.encoding, SCORE_BYTES) : span.start]
    after = data[span.end : span.end + SCORE_BYTES]
    return sum(plausibility(part.decode(codec, "replace")) for part in (before, after))


def overlap_groups(spans: list[Span]) -> list[list[Span]]:
    """``spans`` sorted by start, in groups of overlapping spans (most groups hold one)."""
    spans.sort(key=lambda s: (s.start, -s.end))
    if len(spans) < 2:
        return [[s] for s in spans]
    ends = np.fromiter((s.end for s in spans), dtype=np.int64, count=len(spans))
    starts = np.fromiter((s.start for s in spans), dtype=np.int64, count=len(spans))
    new_group = np.concatenate(([True], starts[1:] >= np.maximum.accumulate(ends)[:-1]))
    firsts = [*np.flatnonzero(new_group).tolist(), len(spans)]
    return [spans[a:b] for a, b in zip(firsts, firsts[1:])]


def best_span(group: list[Span], data: bytes, base: int) -> Span:
    """Of overlapping spans: the longest, then the one whose surroundings read most as
    Japanese text, then the first encoding of ENCODINGS."""
    if len(group) == 1:
        return group[0]

    def rank(s: Span) -> tuple[int, int, int]:
        local = s._replace(start=s.start - base, end=s.end - base)
        return (s.end - s.start, japanese_score(data, local), -_ORDER.get(s.encoding, 0))

    return max(group, key=rank)


_ORDER: Final = {encoding: i for i, encoding in enumerate(ENCODINGS)}


#: Full-width digits as (byte, next bytes from, to) in the ASCII-compatible encodings:
#: CP932 82 4F-58, EUC-JP A3 B0-B9, UTF-8 EF BC 90-99 (its last two bytes).
_WIDE_PAIRS: Final = ((0x82, 0x4F), (0xA3, 0xB0), (0xBC, 0x90))
#: Digits are counted per 8-byte word (numpy's popcount of a bool array seen as
#: u64); a window of ``k`` words holds every byte of a window of ``(k - 1) * 8``
#: bytes starting in its first word.
_WORD = 8


def _in_range(b: np.ndarray, first: int, count: int) -> np.ndarray:
    return (b - np.uint8(first)) < count  # u8 arithmetic wraps: one compare


def _word_counts(mask: np.ndarray, words: int) -> np.ndarray:
    """Set positions of ``mask`` per 8-byte word (``words`` words, zero-padded)."""
    padded = np.zeros(words * _WORD, dtype=np.bool_)
    padded[: mask.size] = mask
    return np.bitwise_count(padded.view(np.uint64))


def _window_sums(counts: np.ndarray, k: int) -> np.ndarray:
    """``out[w]`` = ``counts[w : w + k].sum()``."""
    total = np.zeros(counts.size + 1 + k, dtype=np.int32)
    np.cumsum(counts, dtype=np.int32, out=total[1 : counts.size + 1])
    total[counts.size + 1 :] = total[counts.size]
    return total[k : k + counts.size] - total[: counts.size]


def _flagged_words(data: bytes) -> dict[str, np.ndarray]:
    """Per search, the 8-byte words where a span with ``MIN_DIGITS`` digits may start."""
    b = np.frombuffer(data, dtype=np.uint8)
    words = -(-b.size // _WORD)
    ascii_k, wide_k = ASCII_WINDOW // _WORD + 1, WIDE_WINDOW // _WORD + 1
    digit = _in_range(b, 0x30, 10)
    ascii_counts = _word_counts(digit, words)
    out = {"ascii-compatible": _window_sums(ascii_counts, ascii_k) >= MIN_DIGITS}
    wide = np.zeros(b.size, dtype=np.bool_)
    for lead, first in _WIDE_PAIRS:
        wide[:-1] |= (b[:-1] == lead) & _in_range(b[1:], first, 10)
    if wide.any():
        wide_counts = _word_counts(wide, words)
        near_wide = _window_sums(wide_counts, wide_k) > 0
        any_digit = np.where(near_wide, ascii_counts + wide_counts, 0)
        out["ascii-compatible"] |= near_wide & (_window_sums(any_digit, wide_k) >= MIN_DIGITS)
    if b"\x00" in data or b"\xff" in data:
        # a UTF-16 digit: an ASCII digit next to 00, or 10-19 next to FF, either way round
        zero, ff, low = b == 0, b == 0xFF, _in_range(b, 0x10, 10)
        pair = np.zeros(b.size, dtype=np.bool_)
        pair[:-1] = (digit[:-1] & zero[1:]) | (zero[:-1] & digit[1:])
        pair[:-1] |= (low[:-1] & ff[1:]) | (ff[:-1] & low[1:])
        utf16 = _window_sums(_word_counts(pair, words), wide_k) >= MIN_DIGITS
        out["utf-16-le"] = out["utf-16-be"] = utf16
    return out


def _regions(flagged: np.ndarray, size: int, until: int) -> list[tuple[int, int]]:
    """Merged byte ranges around flagged words (those starting before ``until``)."""
    at = np.flatnonzero(flagged[: -(-until // _WORD)]) * _WORD
    if not at.size:
        return []
    lo = np.maximum(at - LOOKBEHIND_BYTES, 0)
    hi = np.minimum(at + WIDE_WINDOW + _WORD + MAX_SPAN_BYTES, size)
    reach = np.maximum.accumulate(hi)
    first = np.flatnonzero(np.concatenate(([True], lo[1:] > reach[:-1])))
    last = np.concatenate((first[1:] - 1, [at.size - 1]))
    return list(zip(lo[first].tolist(), reach[last].tolist()))


#: The regexes run over each chunk, by name, with the encodings each stands for.
SEARCHES: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("ascii-compatible", ASCII_COMPATIBLE),
    ("utf-16-le", ("utf-16-le",)),
    ("utf-16-be", ("utf-16-be",)),
)


def searches_for(encodings: Sequence[str]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The searches for a subset of ENCODINGS (in ENCODINGS order)."""
    chosen = [e for e in ENCODINGS if e in encodings]
    out = []
    family = tuple(e for e in chosen if e in ASCII_COMPATIBLE)
    if family:
        out.append(("ascii-compatible", family))
    out += [(e, (e,)) for e in chosen if e in UTF16]
    return tuple(out)


_ASCII_DIGITS: Final = b"0123456789"
_DIGIT: Final = re.compile("[" + DIGITS + "]")


def _digits(raw: bytes, text: str) -> int:
    if len(raw) == len(text):  # ASCII
        return len(raw) - len(raw.translate(None, _ASCII_DIGITS))
    return len(_DIGIT.findall(text))


def _scan(
    data: bytes,
    regions: list[tuple[int, int]],
    encodings: tuple[str, ...],
    at: int,
    stop: int,
    until: int,
) -> tuple[list[tuple[int, int, str, str]], int]:
    """One search from ``at``: the spans starting before ``until`` (start, end, label,
    text), and where the search goes on after its last match starting before ``stop``.

    A match with fewer than MIN_DIGITS digits (a date before a phone: "01/06 06-2345-6789"
    first matches "06 06-2345") is not a span: the search goes on from its second byte,
    not from its end, so that the phone inside it is still found.
    """
    found: list[tuple[int, int, str, str]] = []
    resume = pos = at
    for r0, r1 in regions:
        if r1 <= pos:
            continue
        if r0 >= until:
            break
        ascii_only = len(encodings) > 1 and data[max(r0 - LOOKBEHIND_BYTES, 0) : r1].isascii()
        search = byte_pattern(encodings, ascii_only=ascii_only).search
        pos = max(pos, r0)
        while (m := search(data, pos, r1)) is not None:
            s, e = m.span()
            if s >= until:
                return found, resume
            raw = data[s:e]
            read = read_span(raw, encodings) if e - s >= MIN_DIGITS else None
            if read is not None and _digits(raw, read[1]) >= MIN_DIGITS:
                found.append((s, e, *read))
                pos = e
            else:
                pos = s + 1
            if s < stop:
                resume = pos
    return found, resume


#: Key of ``find_spans``'s state: where the last span it returned (or its overlap group) ended.
_RETURNED = "returned"


def find_spans(
    data: bytes,
    start: int,
    stop: int,
    state: dict[str, int],
    *,
    base: int = 0,
    searches: Sequence[tuple[str, tuple[str, ...]]] = SEARCHES,
) -> list[Span]:
    """The spans starting in ``data[start:stop]``, sorted, one per overlap group.

    ``base`` is the absolute offset of ``data[0]``. ``state`` (empty at the start of a
    file) says where each search goes on and where the last returned span ended; it is
    updated, so that consecutive ranges give exactly the spans one search of the whole
    would, each once. ``data`` must hold ``2 * MAX_SPAN_BYTES + WIDE_WINDOW`` bytes past
    ``stop`` (unless it ends the file) and ``SCORE_BYTES`` before ``start`` (unless it
    starts the file). A span holds at least ``MIN_DIGITS`` digits.
    """
    flagged = _flagged_words(data)
    until = stop + MAX_SPAN_BYTES  # a little past stop: see below
    per_search: list[list[Span]] = []
    for name, encodings in searches:
        regions = _regions(flagged[name], len(data), until) if name in flagged else []
        at = max(state.get(name, 0) - base, start)
        spans, resume = _scan(data, regions, encodings, at, stop, until)
        state[name] = base + max(resume, stop)
        if spans:
            per_search.append([Span(base + s, base + e, lab, text) for s, e, lab, text in spans])
    returned = state.get(_RETURNED, 0)
    out: list[Span] = []
    if len(per_search) == 1:  # spans of one search never overlap
        out = [s for s in per_search[0] if returned <= s.start < base + stop]
        if out:
            returned = out[-1].end
    elif per_search:
        # A span of one search overlapping one of another is weighed against it here,
        # even if it starts past stop; the next range then leaves the group alone.
        for group in overlap_groups([s for spans in per_search for s in spans]):
            if group[0].start >= base + stop:
                break
            if group[0].start >= returned:
                out.append(best_span(group, data, base))
            returned = max(returned, max(s.end for s in group))
    state[_RETURNED] = returned
    return out


def _read_full(stream: BinaryIO, size: int) -> bytes:
    parts: list[bytes] = []
    while size > 0:
        part = stream.read(size)
        if not part:
            break
        parts.append(part)
        size -= len(part)
    return b"".join(parts)


def carve(
    stream: BinaryIO,
    *,
    chunk_bytes: int,
    searches: Sequence[tuple[str, tuple[str, ...]]] = SEARCHES,
) -> Iterator[list[Span]]:
    """The phone-shaped spans of ``stream``, chunk by chunk, in order of offset.

    Each chunk is searched with a few hundred bytes of the next one, so that a span
    across a boundary is whole; a span belongs to the chunk it starts in, and is
    found once (see ``find_spans``). Raises OSError.
    """
    behind = SCORE_BYTES + LOOKBEHIND_BYTES + 1
    ahead = SCORE_BYTES + 2 * MAX_SPAN_BYTES + WIDE_WINDOW + LOOKBEHIND_BYTES + 1
    base, pos = 0, 0
    data = _read_full(stream, chunk_bytes + ahead)
    state: dict[str, int] = {}
    while True:
        want = pos + chunk_bytes + ahead - (base + len(data))
        if want > 0:
            more = _read_full(stream, want)
            data += more
            eof = len(more) < want
        else:
            eof = False
        stop = base + len(data) if eof else pos + chunk_bytes
        yield find_spans(data, pos - base, stop - base, state, base=base, searches=searches)
        if eof:
            return
        pos = stop
        keep = max(pos - behind, 0)
        data, base = data[keep - base :], keep
