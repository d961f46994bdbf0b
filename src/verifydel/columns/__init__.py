"""Column detection: which columns of a broker table hold which personal-data field.

Three sources, strongest first; ``ColumnChoice.how`` says which one gave a field:

1. ``--map`` overrides ("map") replace detection for their field. A mapped column
   missing from the table leaves a note and detection is kept for that field. A
   mapped column is not detected as anything else.
2. Headers ("header"): an Aho-Corasick pass over the dictionary in ``_synonyms``
   on NFKC, lower-cased headers without spaces, ``_``, hyphens and brackets. Each
   term may match exactly, as prefix, suffix or anywhere; blockers (担当, 会社,
   コード, フラグ) cancel matches they lie outside of. Of several matches the one
   ending last wins (compounds are head-final: 携帯メール is an e-mail), then the
   longest. A kana marker (カナ, フリガナ, セイ, kana) makes a name ``name_kana``;
   on an address or phone header it makes the header unusable.
3. Values ("values"): columns whose header says nothing at all (no synonym, no
   blocker, no neutral word such as 会員番号; headerless ``column_1``...) are
   sniffed on the sample with polars expressions; a column takes the shape of at
   least ``SNIFF_THRESHOLD`` of its non-empty values. Only fills fields the
   headers did not find.

Joined fields are ordered: name 姓 → 名 (a full-name column wins unless mostly
empty in the sample); address 都道府県 → 市区町村 → 町域 → 住所 lines (住所1, 住所2)
→ 番地 → 建物 → 部屋. Phone and e-mail keep every matching column. Notes never
quote a cell value: they name fields and column headers only.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Final

import ahocorasick
import polars as pl

from verifydel.errors import ColumnMappingError
from verifydel.fields import (
    ADDRESS, BIRTH_DATE, EMAIL, FIELDS, MULTI_VALUED, NAME, NAME_KANA, PHONE, POSTAL,
)
from verifydel.columns._synonyms import (
    ADDRESS_LEVELS, FAMILY, FULL, GIVEN, PREF, PREF_ALTERNATION, TERMS, Term, value_shapes,
)

__all__ = ["ColumnChoice", "detect_columns", "normalise_header", "parse_map_options"]

HOW_MAP: Final = "map"
HOW_HEADER: Final = "header"
HOW_VALUES: Final = "values"

#: Share of a column's non-empty sampled values that must have a shape for the
#: column to be taken as that field.
SNIFF_THRESHOLD: Final = 0.7
#: Rows of the sample looked at (spread evenly over the batch).
SNIFF_ROWS: Final = 5_000
#: A full-name column filled in fewer than this share of sampled rows is "mostly
#: empty": the 姓/名 parts are used instead if they are filled more often.
MOSTLY_EMPTY: Final = 0.5
#: Name-shaped columns must be varied: at least this share of their non-empty
#: values distinct, or at least ``NAME_DISTINCT_ENOUGH`` distinct values. 男性/女性
#: or 会社員/主婦 are short kanji too, but repeat.
MIN_DISTINCT_SHARE: Final = 0.5
NAME_DISTINCT_ENOUGH: Final = 40
#: Share of a phone-shaped column's values that must be unmistakably phones (a
#: leading 0 or +81, separators, or a mobile number that lost its 0): a column of
#: nine-digit numbers alone is more likely an id than landlines without their 0.
MIN_EXPLICIT_PHONE_SHARE: Final = 0.1
#: A date-shaped value counts as a birth date only if at least this many years
#: old (or written in 和暦): registration and order dates are mostly recent.
MIN_BIRTH_AGE_YEARS: Final = 10

_HEADER_NOISE = re.compile(r"[\s_\-‐‑‒–—―−・.,:;/\\()\[\]{}「」『』【】<>*※#'\"]+")
_TRAILING_NUMBER = re.compile(r"^(.*?)(\d+)$")


@dataclass
class ColumnChoice:
    """The columns chosen for each field of one table.

    ``fields`` maps a field (in ``FIELDS`` order, only those found) to its columns
    in join order; ``how`` says for each of those fields whether the columns came
    from ``--map`` ("map"), the headers ("header") or the values ("values");
    ``notes`` explain choices and ignored options, without any cell value.
    """

    fields: dict[str, list[str]] = field(default_factory=dict)
    how: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _HeaderMatch:
    field: str
    part: str
    number: int | None  # the trailing line number: 住所2 → 2, TEL → None


@dataclass(frozen=True)
class _Candidate:
    column: str
    index: int  # position in the table
    match: _HeaderMatch


def normalise_header(header: str) -> str:
    """NFKC, lower case, without spaces, underscores, hyphens, dots and brackets."""
    return _HEADER_NOISE.sub("", unicodedata.normalize("NFKC", header).lower())


# --- headers ------------------------------------------------------------------
@cache
def _automaton() -> ahocorasick.Automaton:
    grouped: dict[str, list[Term]] = defaultdict(list)
    for term in TERMS:
        key = normalise_header(term.text)
        if not key:
            raise ValueError(f"synonym {term.text!r} normalises to nothing")
        grouped[key].append(term)
    automaton = ahocorasick.Automaton()
    for key, terms in grouped.items():
        automaton.add_word(key, (len(key), tuple(terms)))
    automaton.make_automaton()
    return automaton


def _classify_header(header: str) -> tuple[_HeaderMatch | None, bool]:
    """The field a header names, and whether the header means anything at all."""
    core = normalise_header(header)
    number: int | None = None
    numbered = _TRAILING_NUMBER.match(core)
    if numbered:
        core, number = numbered.group(1), int(numbered.group(2))
    if not core:
        return None, False
    last = len(core) - 1
    synonyms: list[tuple[int, int, Term]] = []
    blockers: list[tuple[int, int, Term]] = []
    says_something = False
    for end, (length, terms) in _automaton().iter(core):
        start = end - length + 1
        for term in terms:
            if not _mode_allows(term.modes, start, end, last):
                continue
            says_something = True
            if term.field is not None:
                synonyms.append((start, end, term))
            elif term.blocks:
                blockers.append((start, end, term))
    alive = [
        (start, end, term)
        for start, end, term in synonyms
        if not any(
            term.field in blocker.blocks and not (start <= b_start and b_end <= end)
            for b_start, b_end, blocker in blockers
        )
    ]
    if not alive:
        return None, says_something
    found = {term.field for _, _, term in alive}
    if NAME_KANA in found:
        if found - {NAME, NAME_KANA}:
            return None, True  # 住所カナ, 電話カナ: the reading of something else
        return _HeaderMatch(NAME_KANA, _kana_part(alive), number), True
    best = max(alive, key=lambda h: (h[1], h[1] - h[0], -FIELDS.index(str(h[2].field))))[2]
    return _HeaderMatch(str(best.field), best.part, number), True


def says_something(header: str) -> bool:
    """Whether a header holds a word of the dictionary: a synonym, blocker or neutral word."""
    return _classify_header(header)[1]


def _mode_allows(modes: str, start: int, end: int, last: int) -> bool:
    at_start, at_end = start == 0, end == last
    return ("s" in modes or ("e" in modes and at_start and at_end)
            or ("p" in modes and at_start) or ("x" in modes and at_end))


def _kana_part(hits: list[tuple[int, int, Term]]) -> str:
    """セイ, フリガナ(セイ), 姓カナ → family; 氏名カナ, 姓名カナ, フリガナ → full.

    The last-ending (then longest) kana term decides if it names a part, else the
    last-ending name term does.
    """
    for wanted in (NAME_KANA, NAME):
        own = [hit for hit in hits if hit[2].field == wanted]
        if own:
            part = max(own, key=lambda hit: (hit[1], hit[1] - hit[0]))[2].part
            if part != FULL or wanted == NAME:
                return part
    return FULL


# --- --map ------------------------------------------------------------------------
def parse_map_options(items: Sequence[str]) -> dict[str, list[str]]:
    """Parse repeated ``--map FIELD=COL`` options, keeping their order per field.

    ``["name=姓", "name=名"]`` gives ``{"name": ["姓", "名"]}``; a column given twice
    for one field is kept once.
    """
    valid = ", ".join(FIELDS)
    hint = f"write --map FIELD=COLUMN with FIELD one of: {valid}"
    mapping: dict[str, list[str]] = {}
    for item in items:
        name, sep, column = item.partition("=")
        name, column = name.strip().lower(), column.strip()
        if not sep:
            raise ColumnMappingError(f"--map {item!r} has no '='", hint=hint)
        if name not in FIELDS:
            raise ColumnMappingError(f"--map: unknown field {name!r}", hint=hint)
        if not column:
            raise ColumnMappingError(f"--map {name}= names no column", hint=hint)
        columns = mapping.setdefault(name, [])
        if column not in columns:
            columns.append(column)
    return mapping


def _resolve_overrides(
    columns: list[str], overrides: Mapping[str, Sequence[str]], notes: list[str]
) -> dict[str, list[str]]:
    """The overrides whose columns all exist here (exactly, else by normalised header)."""
    by_normalised: dict[str, list[str]] = defaultdict(list)
    for column in columns:
        by_normalised[normalise_header(column)].append(column)
    present = set(columns)
    resolved: dict[str, list[str]] = {}
    for name, wanted in overrides.items():
        if name not in FIELDS:
            raise ColumnMappingError(
                f"--map: unknown field {name!r}", hint=f"FIELD is one of: {', '.join(FIELDS)}"
            )
        chosen: list[str] = []
        complete = True
        for column in wanted:
            similar = by_normalised.get(normalise_header(column), [])
            if column in present:
                found = column
            elif len(similar) == 1:
                found = similar[0]
            else:
                complete = False
                notes.append(f"--map {name}={column}: " + (
                    "several columns match; give the exact header" if similar
                    else "no such column in this table"))
                continue
            if found not in chosen:
                chosen.append(found)
        if complete and chosen:
            resolved[name] = chosen
    return resolved


# --- the sample -------------------------------------------------------------------------
#: Value shapes in the order that breaks ties between equally common shapes.
_SHAPE_FIELDS: Final[dict[str, str]] = {
    "email": EMAIL, "phone": PHONE, "postal": POSTAL, "birth_date": BIRTH_DATE,
    "address": ADDRESS, "kana": NAME_KANA, "name": NAME,
}
_NAME_SHAPES: Final = frozenset({"kana", "name"})


def _profile(
    sample: pl.DataFrame | None, columns: list[str], address: set[str], sniff: set[str]
) -> tuple[int, dict[str, dict[str, int]]]:
    """Counts per column over the sample, vectorised (two polars selects, no row loop).

    Every column: ``filled`` (non-blank values). Address columns: ``pref_start``
    (values starting with a prefecture). Columns to sniff: one count per shape,
    ``distinct`` and ``spaced``. Returns (rows looked at, counts).
    """
    if sample is None or sample.height == 0:
        return 0, {}
    wanted = [c for c in columns if c in sample.columns]
    if not wanted:
        return 0, {}
    step = -(-sample.height // SNIFF_ROWS)
    rows = sample.select(wanted).gather_every(step) if step > 1 else sample.select(wanted)
    values = rows.select(
        pl.col(c)
        .cast(pl.String)
        .str.normalize("NFKC")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
        .replace("", None)
        .alias(f"c{i}")
        for i, c in enumerate(wanted)
    )
    exprs: list[pl.Expr] = []
    for i, column in enumerate(wanted):
        v = pl.col(f"c{i}")
        exprs.append(v.is_not_null().sum().alias(f"{i}:filled"))
        if column in address:
            starts = v.str.contains(rf"^(?:{PREF_ALTERNATION})")
            exprs.append(starts.sum().alias(f"{i}:pref_start"))
        if column in sniff:
            shapes = value_shapes(v, latest_birth_year=date.today().year - MIN_BIRTH_AGE_YEARS)
            exprs.extend(e.sum().alias(f"{i}:{shape}") for shape, e in shapes.items())
            exprs.append(v.drop_nulls().n_unique().alias(f"{i}:distinct"))
            exprs.append(v.str.contains(" ").sum().alias(f"{i}:spaced"))
    counts = values.select(exprs).row(0, named=True)
    profile: dict[str, dict[str, int]] = {column: {} for column in wanted}
    for key, count in counts.items():
        index, stat = key.split(":", 1)
        profile[wanted[int(index)]][stat] = int(count or 0)
    return rows.height, profile


# --- choosing among header candidates -------------------------------------------------
class _Chooser:
    """Orders and prunes one field's candidates, using the sample profile if any."""

    def __init__(self, rows: int, profile: dict[str, dict[str, int]], notes: list[str]) -> None:
        self.rows = rows
        self.profile = profile
        self.notes = notes

    def fill(self, column: str) -> float | None:
        if not self.rows or column not in self.profile:
            return None
        return self.profile[column].get("filled", 0) / self.rows

    def best(self, name: str, candidates: list[_Candidate]) -> _Candidate:
        """The most filled candidate (the first in the table if the sample cannot tell)."""
        chosen = max(candidates, key=lambda c: (self.fill(c.column) or 0.0, -c.index))
        if len(candidates) > 1:
            others = ", ".join(c.column for c in candidates if c is not chosen)
            self.notes.append(
                f"{name}: used {chosen.column}, not {others}; choose with --map {name}=COLUMN"
            )
        return chosen

    def arrange(self, name: str, candidates: list[_Candidate]) -> list[str]:
        candidates = sorted(candidates, key=lambda c: c.index)
        if name in MULTI_VALUED:
            return [c.column for c in candidates]
        if name in (NAME, NAME_KANA):
            return self._person_name(name, candidates)
        return self._joined(name, candidates)

    def _person_name(self, name: str, candidates: list[_Candidate]) -> list[str]:
        by_part: dict[str, list[_Candidate]] = defaultdict(list)
        for candidate in candidates:
            by_part[candidate.match.part].append(candidate)
        parts = [self.best(name, by_part[p]).column for p in (FAMILY, GIVEN) if by_part[p]]
        if not by_part[FULL]:
            return parts
        full = self.best(name, by_part[FULL]).column
        full_fill = self.fill(full)
        parts_fill = max((self.fill(p) or 0.0 for p in parts), default=0.0)
        if parts and full_fill is not None and full_fill < MOSTLY_EMPTY and parts_fill > full_fill:
            used = " + ".join(parts)
            self.notes.append(f"{name}: {full} is mostly empty in the sample; used {used}")
            return parts
        return [full]

    def _joined(self, name: str, candidates: list[_Candidate]) -> list[str]:
        groups: dict[tuple[int, int], list[_Candidate]] = defaultdict(list)
        for candidate in candidates:
            level = ADDRESS_LEVELS.get(candidate.match.part, 0) if name == ADDRESS else 0
            groups[(level, candidate.match.number or 0)].append(candidate)
        chosen = [self.best(name, groups[key]) for key in sorted(groups)]
        if name == ADDRESS:
            chosen = self._without_repeated_prefecture(chosen)
        return [c.column for c in chosen]

    def _without_repeated_prefecture(self, chosen: list[_Candidate]) -> list[_Candidate]:
        """Drop the parts before the first non-prefecture column that starts with one.

        With 都道府県 and a 住所 holding the full address, joining both would write
        the prefecture twice.
        """
        for position, candidate in enumerate(chosen):
            if candidate.match.part == PREF:
                continue
            filled = self.profile.get(candidate.column, {}).get("filled", 0)
            starts = self.profile.get(candidate.column, {}).get("pref_start", 0)
            if position and filled and starts / filled >= SNIFF_THRESHOLD:
                dropped = ", ".join(c.column for c in chosen[:position])
                self.notes.append(f"address: {candidate.column} already starts with the "
                                  f"prefecture; left out {dropped}")
                return chosen[position:]
            return chosen
        return chosen


# --- choosing among sniffed columns ----------------------------------------------------
def _sniffed_shape(stats: dict[str, int]) -> tuple[str, float] | None:
    filled = stats.get("filled", 0)
    if not filled:
        return None
    best: tuple[str, float] | None = None
    distinct = stats.get("distinct", 0)
    for shape in _SHAPE_FIELDS:
        rate = stats.get(shape, 0) / filled
        if shape in _NAME_SHAPES and (
            distinct < NAME_DISTINCT_ENOUGH and distinct / filled < MIN_DISTINCT_SHARE
        ):
            continue
        if shape == "phone" and stats.get("explicit_phone", 0) / filled < MIN_EXPLICIT_PHONE_SHARE:
            continue
        if rate >= SNIFF_THRESHOLD and (best is None or rate > best[1]):
            best = (shape, rate)
    return best


def _sniff(
    silent: list[tuple[int, str]], profile: dict[str, dict[str, int]], skip: set[str]
) -> dict[str, list[str]]:
    """Fields found from values, for fields not already found otherwise."""
    found: dict[str, list[tuple[int, str, float]]] = defaultdict(list)
    for index, column in silent:
        shape = _sniffed_shape(profile.get(column, {}))
        if shape and _SHAPE_FIELDS[shape[0]] not in skip:
            found[_SHAPE_FIELDS[shape[0]]].append((index, column, shape[1]))
    chosen: dict[str, list[str]] = {}
    for name, hits in found.items():
        if name in MULTI_VALUED:
            chosen[name] = [column for _, column, _ in hits]
        elif name in (NAME, NAME_KANA):
            chosen[name] = _sniffed_person_name(hits, profile)
        else:
            chosen[name] = [max(hits, key=lambda hit: (hit[2], -hit[0]))[1]]
    return chosen


def _sniffed_person_name(
    hits: list[tuple[int, str, float]], profile: dict[str, dict[str, int]]
) -> list[str]:
    """A full name (values with a space) alone, else two neighbouring parts (姓 名), else the best."""
    spaced = [h for h in hits if profile[h[1]].get("spaced", 0) >= profile[h[1]]["filled"] * 0.5]
    if spaced:
        return [max(spaced, key=lambda hit: (hit[2], -hit[0]))[1]]
    for first, second in zip(hits, hits[1:], strict=False):
        if second[0] == first[0] + 1:
            return [first[1], second[1]]
    return [max(hits, key=lambda hit: (hit[2], -hit[0]))[1]]


# --- the front ---------------------------------------------------------------------------
def detect_columns(
    columns: list[str],
    sample: pl.DataFrame | None,
    overrides: Mapping[str, Sequence[str]] | None = None,
) -> ColumnChoice:
    """Find the columns of each personal-data field in one table.

    ``columns`` are the table's headers in order; ``sample`` its first batch (all
    ``pl.String``), possibly None or empty (then nothing is sniffed and ties go to
    the first column); ``overrides`` the parsed ``--map`` options. Raises
    ``ColumnMappingError`` for an override naming an unknown field.
    """
    columns = list(columns)
    choice = ColumnChoice()
    mapped = _resolve_overrides(columns, overrides or {}, choice.notes)
    claimed = {column for cols in mapped.values() for column in cols}

    by_field: dict[str, list[_Candidate]] = defaultdict(list)
    silent: list[tuple[int, str]] = []
    for index, column in enumerate(columns):
        if column in claimed:
            continue
        match, says_something = _classify_header(column)
        if match is not None:
            by_field[match.field].append(_Candidate(column, index, match))
        elif not says_something:
            silent.append((index, column))

    address = {c.column for c in by_field.get(ADDRESS, [])}
    rows, profile = _profile(sample, columns, address, {column for _, column in silent})
    chooser = _Chooser(rows, profile, choice.notes)
    from_headers = {
        name: chooser.arrange(name, by_field[name])
        for name in FIELDS
        if by_field.get(name) and name not in mapped
    }
    from_values = _sniff(silent, profile, skip=set(mapped) | set(from_headers)) if rows else {}

    sources = ((mapped, HOW_MAP), (from_headers, HOW_HEADER), (from_values, HOW_VALUES))
    for name in FIELDS:
        for source, how in sources:
            if source.get(name):
                choice.fields[name] = list(source[name])
                choice.how[name] = how
                break
    return choice
