"""The address mapped to several columns, normalised once per distinct part.

``field_expr`` joins the parts (都道府県 + " " + 市区町村 + " " + 番地 + " " +
建物, null parts skipped) and runs the whole chain of ``address`` on every row;
the joined value is nearly unique per row. Its parts are not: a batch holds
47 prefectures, a few thousand towns, some ten thousand block numbers. Here
every step of the chain runs on the distinct part values (kept across
batches in a ``ValueCache``), and each row is assembled from its parts'
results with cheap column operations.

Why this is, row for row, what ``normalise_address(join_parts(parts))``
gives (each fact has its own test in tests/normalise/test_normalise_fast_paths.py,
and the whole path is compared with the reference in
tests/normalise/test_normalise_batch_equivalence.py):

1. The literal pass is context-free across a space (no pattern but " "
   itself holds one): L(a + " " + b) = L(a) + " " + L(b).
2. The prefix regex is anchored at the start. Let v1 and v2 be the first
   two non-null parts after the literal pass. A path of the prefix regex
   that reads past a space reads more spaces or a lead next (〒, a postal
   code, 日本, a prefecture: ``prefix_lead_regex``). If v2 starts with none of
   them, every path that reaches v2 fails right there, so the prefix of the
   row is the prefix of v1 + " ". Likewise if v1 holds a character outside
   the prefix's alphabet: then no path even reaches the space after v1.
3. The thousands regex never matches a space: it runs per part.
4. The block-run regex (a match starts at a digit; no look-behind). Take a
   boundary "w" + " " + "v" between two parts, every boundary before it
   being one no path crosses. A path that reads past the space started in w
   and read all of w after its start: impossible when no digit of w is
   followed by nothing but ``BLOCK_RUN_ALPHABET`` to the end ("end closed").
   After the space it reads one of ``BLOCK_RUN_AFTER_SPACE``, and only one
   of ``BLOCK_RUN_AFTER_NUMBER_SPACE`` when w ends with a number and
   spaces: impossible when v starts with anything else ("start closed").
   Where every boundary up to the one after the part holding the first run
   is closed, the first run of the row is the first run of that part, found
   in the part alone; the parts before it have none.
5. A part followed by the separator space and the same part at the very end
   give the same cut text: the regex's "$" and " " endings give the same
   groups, and the space is dropped with the others.
6. Spaces are dropped part by part; the final strip of "-" and the null
   rules run on the assembled row (``real_value_or_null`` by the pieces'
   flags: the strip adds or removes no letter or number).

Rows where 2 or 4 does not hold (a 市区町村 that repeats the prefecture, a
town ending in a number before a 番地 starting with 丁目...) go through the
reference expression; so do rows with one non-null part (once per distinct
value).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import polars as pl

from verifydel.normalise import _text
from verifydel.normalise._cache import ValueCache
from verifydel.normalise._distinct import apply_expr, normalise_values
from verifydel.normalise._text import PLACEHOLDERS
from verifydel.normalise.address import (
    BLOCK_RUN_AFTER_NUMBER_SPACE,
    BLOCK_RUN_AFTER_SPACE,
    BLOCK_RUN_ALPHABET,
    BLOCK_RUN_REGEX,
    address_characters,
    cut_block_run,
    finish_address,
    normalise_address,
    prefix_alphabet,
    prefix_lead_regex,
    resolve_thousands,
    strip_prefix,
)

#: Distinct part values kept across batches (about 300 bytes each).
PART_CACHE_ENTRIES: Final[int] = 300_000

_TEXT = "text"  # after the literal pass
_SEGMENT = "segment"  # after the thousands too: the part as the block regex sees it
_HAS_RUN = "has_run"  # the block regex matches in the part
_PIECE = "piece"  # the part cut after its first run (if any), without spaces
_REAL = "real"  # the piece holds a letter or a number
_END_CLOSED = "end_closed"  # no block run started in the part reads past its end
_NUMBER_END = "number_end"  # the part ends with a number (and spaces)
_START_CLOSED = "start_closed"  # no block run reads on into the part from before it
_START_CLOSED_AFTER_NUMBER = "start_closed_after_number"  # ... from a part that ends with a number
_NO_LEAD = "no_lead"  # as a second part: the prefix cannot read on into it
_NOT_PREFIX = "not_prefix"  # as a first part: the prefix cannot read past it
_FIRST = "first_"  # prefix of the features of the part as the first part of its row
_FLAGS = "flags"  # the boolean features, one bit each (_BITS)
_BITS = {
    name: 1 << i
    for i, name in enumerate((
        _HAS_RUN, _REAL, _END_CLOSED, _NUMBER_END, _START_CLOSED, _START_CLOSED_AFTER_NUMBER,
        _NO_LEAD, _NOT_PREFIX, _FIRST + _HAS_RUN, _FIRST + _REAL, _FIRST + _END_CLOSED,
        _FIRST + _NUMBER_END,
    ))
}  # fmt: skip
_LETTER_OR_NUMBER = r"[\p{L}\p{N}]"  # what real_value_or_null looks for


def _outside(chars: frozenset[str]) -> str:
    """A regex class matching one character not in ``chars``."""
    return "[^" + "".join(f"\\x{{{ord(c):X}}}" for c in sorted(chars)) + "]"


def _inside(chars: frozenset[str]) -> str:
    """A regex class matching one character of ``chars``."""
    return "[" + "".join(f"\\x{{{ord(c):X}}}" for c in sorted(chars)) + "]"


#: A block run started in the part could read to its end (fact 4): a digit
#: followed by nothing but characters of the regex to the end. Else "end closed".
END_OPEN_REGEX: Final[str] = "[0-9]" + _inside(BLOCK_RUN_ALPHABET) + "*$"
#: The part ends with a number and spaces.
NUMBER_END_REGEX: Final[str] = "[0-9] *$"
#: The part starts with what no path reads right after a space ("start closed"),
#: and with what none reads after a number and a space.
START_CLOSED_REGEX: Final[str] = "^" + _outside(BLOCK_RUN_AFTER_SPACE)
START_CLOSED_AFTER_NUMBER_REGEX: Final[str] = "^" + _outside(BLOCK_RUN_AFTER_NUMBER_SPACE)


def _cut_pieces(segment: pl.Series, has_run: pl.Series) -> pl.Series:
    """``cut_block_run`` of every segment, the regex run only where it matches."""
    piece = segment.str.replace_all(" ", "", literal=True)
    hits = has_run.arg_true()
    if hits.len():
        piece = piece.scatter(hits, apply_expr(segment.gather(hits), cut_block_run))
    return piece


def _run_features(segment: pl.Series, prefix: str = "") -> dict[str, pl.Series]:
    """The block run of a segment (found? the cut piece, real?) and how its end reads on."""
    has_run = segment.str.contains(BLOCK_RUN_REGEX)
    piece = _cut_pieces(segment, has_run)
    return {
        prefix + _HAS_RUN: has_run,
        prefix + _PIECE: piece,
        prefix + _REAL: piece.str.contains(_LETTER_OR_NUMBER),
        prefix + _END_CLOSED: ~segment.str.contains(END_OPEN_REGEX),
        prefix + _NUMBER_END: segment.str.contains(NUMBER_END_REGEX),
    }


def _part_features(raw: pl.Series) -> pl.DataFrame:
    """Per distinct part value: what the row assembly needs of it, as any
    part and as the first part of its row (facts 2 to 5)."""
    frame = pl.DataFrame({_TEXT: raw}).select(address_characters(pl.col(_TEXT)))
    frame = frame.with_columns(
        resolve_thousands(pl.col(_TEXT)).alias(_SEGMENT),
        # fact 2: as a first part, what the prefix leaves of it and its separator
        resolve_thousands(strip_prefix(pl.col(_TEXT) + " ")).str.strip_suffix(" ").alias(_FIRST),
    )
    segment, text = pl.col(_SEGMENT), pl.col(_TEXT)
    flags = frame.select(
        segment.str.contains(START_CLOSED_REGEX).alias(_START_CLOSED),
        segment.str.contains(START_CLOSED_AFTER_NUMBER_REGEX).alias(_START_CLOSED_AFTER_NUMBER),
        (
            text.str.contains("^" + _outside(frozenset(" ")))
            & ~text.str.contains(prefix_lead_regex())
        ).alias(_NO_LEAD),
        text.str.contains(_outside(prefix_alphabet())).alias(_NOT_PREFIX),
    )
    flags = flags.with_columns(
        **_run_features(frame.get_column(_SEGMENT)),
        **_run_features(frame.get_column(_FIRST), _FIRST),
    )
    packed = pl.sum_horizontal(pl.col(name).cast(pl.UInt16) * bit for name, bit in _BITS.items())
    return pl.DataFrame(
        {
            _TEXT: frame.get_column(_TEXT),
            _PIECE: flags.get_column(_PIECE),
            _FIRST + _PIECE: flags.get_column(_FIRST + _PIECE),
            _FLAGS: flags.select(packed.cast(pl.UInt16)).to_series(),
        }
    )


_PARTS = ValueCache(_part_features, max_entries=PART_CACHE_ENTRIES)


def clear_part_cache() -> None:
    _PARTS.clear()


def _nulls(height: int, dtype: pl.DataType) -> pl.Series:
    return pl.repeat(None, height, dtype=dtype, eager=True)


def _frame(series: Sequence[pl.Series]) -> pl.DataFrame:
    """Series of one height side by side, whatever their names."""
    return pl.DataFrame([s.alias(f"c{i}") for i, s in enumerate(series)])


def normalise_address_parts(parts: Sequence[pl.Series]) -> pl.Series:
    """``normalise_address(join_parts(parts))``, row for row, for String
    Series of one height (two or more parts)."""
    height = parts[0].len()
    all_entries, table = _PARTS.lookup(pl.concat(parts, rechunk=False))
    none = table.height  # the entry of a null part
    entries = [
        all_entries.slice(i * height, height).fill_null(none).to_numpy().astype(np.intp)
        for i in range(len(parts))
    ]
    # pieces: the parts', a null for parts not taken, the parts' as first parts
    pieces_table = pl.concat(
        [table.get_column(_PIECE), _nulls(1, pl.String), table.get_column(_FIRST + _PIECE)],
        rechunk=True,
    )
    flags = np.append(table.get_column(_FLAGS).to_numpy(), np.uint16(0))  # none: no flag

    present = [entry != none for entry in entries]
    count = np.sum(present, axis=0)
    several = count >= 2
    ok = np.ones(height, dtype=bool)
    real = np.zeros(height, dtype=bool)  # a taken piece holds a letter or a number
    matched = np.zeros(height, dtype=bool)  # a run found in a part already taken
    matched_before_prev = matched  # ... in a part before the last non-null one
    prev_end_closed = matched  # of the last non-null part
    prev_number_end = matched
    first_not_prefix = matched
    seen = np.zeros(height, dtype=np.uint8)
    piece_index: list[pl.Series] = []
    for entry, here in zip(entries, present, strict=True):
        first = here & (seen == 0) & several
        other = ~first
        part_flags = flags[entry]

        def flag(name: str, part_flags: np.ndarray = part_flags) -> np.ndarray:
            return (part_flags & _BITS[name]) != 0

        def feature(name: str, first: np.ndarray = first, other: np.ndarray = other) -> np.ndarray:
            """The flag of the part as it stands in the row: first part or not."""
            return (first & flag(_FIRST + name)) | (other & flag(name))

        later = here & (seen > 0)
        second = here & (seen == 1)
        # fact 2: the prefix ends within the first part and its separator
        ok &= ~second | first_not_prefix | flag(_NO_LEAD)
        # fact 4: no block run crosses from the previous part into this one
        needed = later & ~matched_before_prev
        closed = (
            prev_end_closed
            | flag(_START_CLOSED)
            | (prev_number_end & flag(_START_CLOSED_AFTER_NUMBER))
        )
        ok &= ~needed | closed
        taken = here & ~matched
        index = entry + first * (none + 1)  # the part's piece, or its piece as a first part
        index[~taken] = none  # the null piece
        piece_index.append(pl.Series(index, dtype=pl.UInt32))
        real |= taken & feature(_REAL)
        matched_before_prev = (here & matched) | (~here & matched_before_prev)
        matched = matched | (taken & feature(_HAS_RUN))
        prev_end_closed = (here & feature(_END_CLOSED)) | (~here & prev_end_closed)
        prev_number_end = (here & feature(_NUMBER_END)) | (~here & prev_number_end)
        first_not_prefix = (first & flag(_NOT_PREFIX)) | (other & first_not_prefix)
        seen += here

    # fact 6: the rest of the chain on the assembled row; real_value_or_null
    # by the pieces' flags (a strip of "-" adds or removes no letter or number)
    keep = pl.Series(several & ok & real)
    out = (
        _frame([pieces_table.gather(index) for index in piece_index])
        .select(pl.concat_str(pl.all(), separator="", ignore_nulls=True).str.strip_chars_end("-"))
        .to_series()
    )
    out = out.zip_with(keep & ~out.is_in(sorted(PLACEHOLDERS)), _nulls(height, pl.String))

    single = pl.Series(count == 1)
    if single.any():
        rows = single.arg_true()
        text_table = pl.concat([table.get_column(_TEXT), _nulls(1, pl.String)], rechunk=True)
        texts = _frame([text_table.gather(pl.Series(e).gather(rows)) for e in entries])
        one_text = texts.select(pl.coalesce(pl.all())).to_series()
        out = out.scatter(rows, normalise_values(one_text, finish_address))
    slow = pl.Series(several & ~ok)
    if slow.any():
        rows = slow.arg_true()
        raw = _frame([r.gather(rows) for r in parts])
        joined = raw.select(_text.join_parts([pl.col(c) for c in raw.columns])).to_series()
        out = out.scatter(rows, normalise_values(joined, normalise_address))
    return out
