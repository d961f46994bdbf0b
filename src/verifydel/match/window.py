"""Corroboration in the text around a hit: for matches found in unstructured bytes.

A phone-shaped span of a log, a call note or a disk image is a row of one column:
it goes through the path every row takes (normalise → fingerprint → lookup →
``grade``) and agrees with a leaked record on the phone alone, a weak match. What a
table holds in its other columns, free text holds around the span. ``corroborate``
looks in that text (``texts``: one or more readings of it per hit row) for the *hit
record's own* name, reading or address, normalised by the package's normalisers
and fingerprinted as the record's per-field fingerprints are (the pack's
``records``), then re-grades each (row, record) pair with ``grade``. Only the hit
record's values are compared: a name of another record nearby, or a name that
happens to be common, changes nothing, and a name alone is still never a match.

Candidates in a text:

- name and reading: the text is cut at characters no name holds (line breaks,
  digits, punctuation, quotes ...); each piece is normalised as a name (reading),
  and every substring of 2 to ``NAME_MAX_CHARS`` characters of the result is a
  candidate. The name normalisers work character by character (NFKC, variant
  kanji, spaces and separators dropped) but for an honorific dropped at the end,
  whose removal only shortens a candidate that is enumerated anyway: so a name
  written anywhere in a piece has its normalised form among the substrings.
  A reading substring is compared by its reading keys (``normalise.reading``)
  with the record's keys.
- address: the text is cut at line breaks, quotes and a few delimiters; every
  suffix of a piece starting at a letter or digit, at most ``ADDRESS_MAX_CHARS``
  characters, is normalised as an address. The address normaliser drops a leading
  postal code and prefecture and everything after the block numbers, so the
  suffix starting where the address starts normalises to the address.

Cost: about 1 ms per hit row (a few readings of ~500 characters: thousands of name
substrings hashed, hundreds of address suffixes normalised; benchmarks/unstructured.py);
rows without a hit cost nothing.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from verifydel.fields import ADDRESS, FIELDS, LISTED, NAME, NAME_KANA
from verifydel.fingerprint.hashing import field_domain, fingerprint_expr
from verifydel.fingerprint.keys import Secret
from verifydel.fingerprint.pack import PackContents
from verifydel.fingerprint.rows import FP_SUFFIX
from verifydel.match.grade import MATCH_LISTS, STRONG, grade
from verifydel.match.index import REC
from verifydel.normalise import field_expr
from verifydel.normalise.batch import ROW
from verifydel.normalise.reading import reading_keys

__all__ = ["ADDRESS_MAX_CHARS", "NAME_MAX_CHARS", "TEXT", "corroborate"]

#: Column of ``texts`` holding a reading of the text around a row.
TEXT: Final = "text"
#: Longest normalised name (or reading) looked for, in characters.
NAME_MAX_CHARS: Final = 20
#: Longest address suffix normalised, in characters (the normaliser cuts after the
#: block numbers, so this only needs to reach them).
ADDRESS_MAX_CHARS: Final = 64

#: Characters no name holds: where the text is cut into pieces.
_NAME_PIECE: Final = (
    r"[^\x00-\x1f\x7f\ufffd0-9０-９、。，．,.:：;；!！?？「」『』()（）\[\]［］【】<>＜＞"
    r"\"'“”‘’/／|｜\\＼@＠#＃*＊%％&＆~〜～+＋_＿$＄^＾]+"
)
#: Characters no address runs across.
_ADDRESS_PIECE: Final = r"[^\x00-\x1f\x7f\ufffd「」『』\"“”<>＜＞|｜:：=＝]+"
#: Where an address suffix may start: not at a space or a punctuation mark.
_ADDRESS_START: Final = r"[\p{L}\p{N}〒]"

_PIECE, _VALUE, _PAIR, _FP = "_piece", "_value", "_pair", "_fp"
_WINDOW_FIELDS: Final = (NAME, NAME_KANA, ADDRESS)


def _pieces(texts: pl.DataFrame, pattern: str) -> pl.DataFrame:
    """(_row, _piece): the distinct pieces of each row's texts."""
    return (
        texts.select(ROW, pl.col(TEXT).str.extract_all(pattern).alias(_PIECE))
        .explode(_PIECE)
        .drop_nulls(_PIECE)
        .unique()
    )


def _normalised(pieces: pl.DataFrame, field: str) -> pl.DataFrame:
    """(_row, _value): each piece normalised as ``field`` (distinct pieces once), nulls dropped."""
    distinct = pieces.select(pl.col(_PIECE).unique())
    done = distinct.with_columns(field_expr(field, [pl.col(_PIECE)]).alias(_VALUE))
    return pieces.join(done, on=_PIECE, how="inner").select(ROW, _VALUE).drop_nulls(_VALUE)


def _substrings(values: pl.DataFrame, shortest: int, longest: int) -> pl.DataFrame:
    """(_row, _value): every substring of ``shortest``..``longest`` characters of each value."""
    size = pl.col(_VALUE).str.len_chars()
    starts = values.with_columns(pl.int_ranges(0, size).alias("_start")).explode("_start")
    longest_here = pl.min_horizontal(size - pl.col("_start"), longest)
    lengths = starts.with_columns(pl.int_ranges(shortest, longest_here + 1).alias("_len"))
    lengths = lengths.explode("_len")
    return lengths.drop_nulls("_len").select(ROW, pl.col(_VALUE).str.slice("_start", "_len"))


def _suffixes(pieces: pl.DataFrame) -> pl.DataFrame:
    """(_row, _piece): the suffixes of each piece that may start an address, cut to
    ``ADDRESS_MAX_CHARS``."""
    starts = pieces.with_columns(pl.int_ranges(0, pl.col(_PIECE).str.len_chars()).alias("_start"))
    starts = starts.explode("_start").drop_nulls("_start")
    starts = starts.filter(pl.col(_PIECE).str.slice("_start", 1).str.contains(_ADDRESS_START))
    return starts.select(ROW, pl.col(_PIECE).str.slice("_start", ADDRESS_MAX_CHARS)).unique()


def _reading_keys(values: pl.DataFrame) -> pl.DataFrame:
    """(_row, _value): the reading keys of each value (distinct values once), as the
    records' name_kana holds them (``normalise.reading``)."""
    distinct = values.select(pl.col(_VALUE).unique())
    keys = distinct.with_columns(reading_keys(pl.col(_VALUE)).alias(_FP)).explode(_FP).drop_nulls(_FP)
    return values.join(keys, on=_VALUE, how="inner").select(ROW, pl.col(_FP).alias(_VALUE))


def candidate_fingerprints(texts: pl.DataFrame, secret: Secret) -> dict[str, pl.DataFrame]:
    """Per field (name, name_kana, address): (_row, _fp) of the candidates in ``texts``
    (repeats left in: the caller only semi-joins them)."""
    names = _pieces(texts, _NAME_PIECE)
    values = {
        NAME: _substrings(_normalised(names, NAME), 2, NAME_MAX_CHARS),
        NAME_KANA: _reading_keys(_substrings(_normalised(names, NAME_KANA), 2, NAME_MAX_CHARS)),
        ADDRESS: _normalised(_suffixes(_pieces(texts, _ADDRESS_PIECE)), ADDRESS),
    }
    return {
        field: frame.select(
            ROW, fingerprint_expr(secret, field_domain(field), [pl.col(_VALUE)]).alias(_FP)
        )
        for field, frame in values.items()
    }


def _exploded(field: str, pairs: pl.DataFrame) -> pl.DataFrame:
    """A listed field's fingerprints (the reading keys), one per line."""
    return pairs.explode(_FP) if field in LISTED else pairs


def corroborate(
    found: pl.DataFrame, texts: pl.DataFrame, secret: Secret, contents: PackContents
) -> pl.DataFrame:
    """``found`` re-graded with what ``texts`` say about each hit record.

    ``found``: (_row u32, record_id, fields, strength) as ``match_normalised`` gives;
    ``texts``: (_row u32, text String), any number of readings per row (rows without
    one keep their matches as they are). Returns the same columns, ordered by row then
    record; where a row now matches a record strongly, its weak matches are dropped.
    """
    if found.height == 0 or texts.height == 0:
        return found
    fp_cols = [f + FP_SUFFIX for f in FIELDS]
    ids = found.select(pl.col("record_id").unique())
    records = contents.records.filter(pl.col("record_id").is_in(ids.to_series().implode()))
    # one row per (row, leaked record); a record id given twice in the leaked set is two
    pairs = found.join(
        records.select("record_id", *fp_cols), on="record_id", how="left", maintain_order="left"
    ).with_row_index(_PAIR)
    hit_texts = texts.filter(pl.col(ROW).is_in(found[ROW].unique().implode()))
    candidates = candidate_fingerprints(hit_texts, secret)
    agreed = {
        field: _exploded(field, pairs.select(_PAIR, ROW, pl.col(field + FP_SUFFIX).alias(_FP)))
        .join(candidates[field], on=[ROW, _FP], how="semi")
        .get_column(_PAIR)
        for field in _WINDOW_FIELDS
    }

    def holds(field: str) -> pl.Expr:
        said = pl.col("fields").list.contains(field)
        return said | pl.col(_PAIR).is_in(agreed[field].implode()) if field in agreed else said

    # grade() compares a row's fingerprints with a record's: each pair is a row here,
    # holding its record's fingerprint for every field it agrees on, null elsewhere.
    row_fps = pairs.select(
        pl.col(_PAIR).alias(ROW),
        *(pl.when(holds(f)).then(pl.col(f + FP_SUFFIX)).alias(f + FP_SUFFIX) for f in FIELDS),
    )
    hits = pairs.select(
        pl.col(_PAIR).alias(ROW), pl.col(_PAIR).alias(REC), pl.lit(0, pl.UInt8).alias("code")
    )
    graded = grade(hits, row_fps, pairs.select(fp_cols))
    regraded = graded.select(pl.col(ROW).alias(_PAIR), *MATCH_LISTS, "strength").join(
        pairs.select(_PAIR, ROW, "record_id"), on=_PAIR
    )
    best_is_strong = (pl.col("strength") == STRONG).any().over(ROW)
    return (
        regraded.filter((pl.col("strength") == STRONG) | ~best_is_strong)
        .select(ROW, "record_id", *MATCH_LISTS, "strength")
        .sort(ROW, "record_id", pl.col("strength") != STRONG)
        .unique([ROW, "record_id"], keep="first", maintain_order=True)
    )
