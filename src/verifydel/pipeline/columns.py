"""Column choice, the reader's last step: which columns hold which field, from the first batch.

Also where a text table with no phone or address column is handed to the
unstructured reader instead (call notes, logs, a one-column export), and where
a header row that looks like a record is scanned as data too: it is numbered
row 0 (the header line), the rows after it keep their numbers. Column names that
look like personal values (a phone, an address, a name that is no header word)
are never reported: the report, and every note, shows ``column_N`` instead.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import polars as pl

from verifydel.columns import HOW_HEADER, detect_columns
from verifydel.columns.header_row import could_be_data, personal_names, shown_name
from verifydel.core.table import Table
from verifydel.core.unit import Unit
from verifydel.fields import ADDRESS, PHONE
from verifydel.formats.unstructured.reader import (
    AS_TEXT_NOTE,
    HEADER_MAX_CHARS,
    TEXT_TABLE_KINDS,
    encodings_for,
    open_unstructured,
)

NO_MATCHABLE_COLUMN = "no phone or address column recognised: no row here can match"


@dataclass
class ChosenColumns:
    """The columns of each field (the table's own names), and how to report them.

    ``notes`` never name a column whose name looks like a personal value: ``shown``
    maps each such name to the ``column_N`` a report shows instead.
    """

    fields: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    shown: dict[str, str] = field(default_factory=dict)

    @property
    def matchable(self) -> bool:
        return bool(self.fields.get(PHONE) or self.fields.get(ADDRESS))

    def shown_fields(self) -> dict[str, list[str]]:
        """``fields`` as a report shows them: personal-looking names replaced by position."""
        return {f: [self.shown.get(c, c) for c in cs] for f, cs in self.fields.items()}


def shown_names(columns: Sequence[str]) -> dict[str, str]:
    """Column name → ``column_N`` for every name of ``columns`` that looks like a personal value."""
    personal = personal_names(columns)
    return {c: shown_name(i) for i, c in enumerate(columns) if personal[i]}


def redact(text: str, shown: Mapping[str, str]) -> str:
    """``text`` with every name of ``shown`` replaced (longest first: "TEL_2" before "TEL")."""
    for name in sorted(shown, key=len, reverse=True):
        text = text.replace(name, shown[name])
    return text


def choose_columns(
    table: Table, first: pl.DataFrame, mapping: Mapping[str, Sequence[str]] | None
) -> ChosenColumns:
    """The columns of ``table`` for each field, from its header and first batch (and --map)."""
    choice = detect_columns(table.columns, first.select(table.columns), mapping)
    shown = shown_names(table.columns)
    notes = [redact(note, shown) for note in choice.notes]
    chosen = ChosenColumns({f: list(c) for f, c in choice.fields.items() if c}, notes, shown)
    if not chosen.matchable:
        chosen.notes.append(NO_MATCHABLE_COLUMN)
    return chosen


def header_as_data(table: Table) -> pl.DataFrame | None:
    """The table's header row as a one-row batch, when it might be a record (else None)."""
    cells = table.header_row
    if cells is None or len(cells) != len(table.columns) or not could_be_data(cells):
        return None
    return pl.DataFrame(
        [pl.Series(n, [c], dtype=pl.String) for n, c in zip(table.columns, cells, strict=True)]
    )


def _with_header(
    table: Table, batches: Iterator[pl.DataFrame]
) -> tuple[Iterator[pl.DataFrame], bool]:
    """``batches``, the first one led by the header row when it might be a record (and
    whether it is). A table with no row after its header yields that row alone."""
    head = header_as_data(table)
    if head is None:
        return batches, False
    first = next(batches, None)
    if first is None:
        return iter([head]), True
    first = pl.concat([head, first], how="diagonal_relaxed").select(first.columns)
    return itertools.chain([first], batches), True


def whole_sample(table: Table) -> pl.DataFrame | None:
    """For a part of a file (``Table.whole`` set): the batch a reading of the whole file
    chooses columns from (its first, led by its header row when that might be a record);
    None for a table read whole, or a whole file with no row."""
    whole = table.whole
    if whole is None:
        return None
    batches, _ = _with_header(whole, iter(whole.batches))
    try:
        return next(batches, None)
    finally:
        _close(whole.batches)


def _close(batches: object) -> None:
    close = getattr(batches, "close", None)
    if close is not None:
        close()  # a CSV reader's generator removes its temporary copy


def numbered_batches(
    table: Table,
    mapping: Mapping[str, Sequence[str]] | None,
    chosen: ChosenColumns,
    on_chosen: Callable[[ChosenColumns], None] | None = None,
) -> Iterator[tuple[pl.DataFrame, int]]:
    """(batch, rows before it) in order; ``chosen`` is filled from the first batch read,
    and ``on_chosen(chosen)`` called once then, before that batch is yielded (a command
    records the choice, or refuses it by raising).

    A header row that might be a record leads the first batch, numbered row 0: its
    "rows before" is -1, so the data rows keep their numbers (row 1 is the first
    row after the header)."""
    batches, led = _with_header(table, iter(table.batches))
    read = -1 if led else 0
    decided = False
    for batch in batches:
        if not decided:
            sample = whole_sample(table)
            found = choose_columns(table, batch if sample is None else sample, mapping)
            chosen.fields, chosen.notes, chosen.shown = found.fields, found.notes, found.shown
            decided = True
            if on_chosen is not None:
                on_chosen(chosen)
        yield batch, read
        read += batch.height


def text_unless_matchable(
    tables: list[Table],
    unit: Unit,
    *,
    mapping: Mapping[str, Sequence[str]] | None = None,
    encoding: str | None = None,
) -> list[Table]:
    """``tables`` as read, unless they are one text table (CSV, TSV, JSON Lines) in which
    no phone or address column is found with ``mapping`` (--map), or only by a "header"
    longer than HEADER_MAX_CHARS: then the unit's bytes as unstructured text, noted.
    The first batch is read to decide, and put back."""
    if len(tables) != 1 or tables[0].kind not in TEXT_TABLE_KINDS or unit.path is None:
        return tables
    table = tables[0]
    batches = iter(table.batches)
    first = next(batches, None)
    if first is None:
        return tables
    head = header_as_data(table)
    sample = first if head is None else pl.concat([head, first.select(table.columns)])
    if table.whole is not None:  # a part of a file: decided as for the whole file
        sample = whole_sample(table)
        if sample is None:
            sample = first
    choice = detect_columns(table.columns, sample.select(table.columns), mapping)

    def found(field: str) -> bool:
        # A "header" as long as a sentence is the first line of free text (住所変更なし
        # in a call note is no address column).
        columns = choice.fields.get(field) or []
        said = choice.how.get(field) == HOW_HEADER
        return bool(columns) and not (said and all(len(c) > HEADER_MAX_CHARS for c in columns))

    if found(PHONE) or found(ADDRESS):
        table.batches = itertools.chain([first], batches)
        return tables
    _close(batches)
    text = open_unstructured(unit, encodings_for(encoding), encoding=table.encoding, binary=False)
    text.notes.append(AS_TEXT_NOTE)
    return [text]
