"""Column choice, the reader's last step: which columns hold which field, decided on the first batch.

Also where a text table with no phone or address column is handed to the
unstructured reader instead (call notes, logs, a one-column export).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import polars as pl

from verifydel.columns import HOW_HEADER, detect_columns
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
    fields: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def matchable(self) -> bool:
        return bool(self.fields.get(PHONE) or self.fields.get(ADDRESS))


def choose_columns(
    table: Table, first: pl.DataFrame, mapping: Mapping[str, Sequence[str]] | None
) -> ChosenColumns:
    """The columns of ``table`` for each field, from its header and first batch (and --map)."""
    choice = detect_columns(table.columns, first.select(table.columns), mapping)
    chosen = ChosenColumns({f: list(c) for f, c in choice.fields.items() if c}, list(choice.notes))
    if not chosen.matchable:
        chosen.notes.append(NO_MATCHABLE_COLUMN)
    return chosen


def numbered_batches(
    table: Table, mapping: Mapping[str, Sequence[str]] | None, chosen: ChosenColumns
) -> Iterator[tuple[pl.DataFrame, int]]:
    """(batch, rows before it) in order; ``chosen`` is filled from the first batch read."""
    read = 0
    decided = False
    for batch in table.batches:
        if not decided:
            found = choose_columns(table, batch, mapping)
            chosen.fields, chosen.notes = found.fields, found.notes
            decided = True
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
    choice = detect_columns(table.columns, first.select(table.columns), mapping)

    def found(field: str) -> bool:
        # A "header" as long as a sentence is the first line of free text (住所変更なし
        # in a call note is no address column).
        columns = choice.fields.get(field) or []
        said = choice.how.get(field) == HOW_HEADER
        return bool(columns) and not (said and all(len(c) > HEADER_MAX_CHARS for c in columns))

    if found(PHONE) or found(ADDRESS):
        table.batches = itertools.chain([first], batches)
        return tables
    close = getattr(batches, "close", None)
    if close is not None:
        close()  # a CSV reader's generator removes its temporary copy
    text = open_unstructured(unit, encodings_for(encoding), encoding=table.encoding, binary=False)
    text.notes.append(AS_TEXT_NOTE)
    return [text]
