"""JSON Lines: one object per line, each a row; the union of the keys are the columns.

Values are kept as their JSON text: strings as they are, numbers and booleans as
written, nested objects and arrays as JSON text. Files that are not UTF-8 (or
carry a BOM, which polars refuses, or hold invalid sequences or NUL bytes) are
transcoded into a private temporary file, bad bytes replaced and noted as for CSV.

The key union needs a first pass over the whole file (native in polars); a
non-UTF-8 file is therefore transcoded twice, once per pass, so that no
temporary copy outlives a call.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import polars as pl

from verifydel.decoders.utf8 import readable_as_utf8
from verifydel.formats._frames import ReadPosition, note_replacements, stream_frames
from verifydel.core.headers import unique_column_names
from verifydel.formats._probe import Probe
from verifydel.core.table import Table
from verifydel.core.unit import Unit

KIND: Final = "jsonl"

#: Read by polars from the file itself; anything else is transcoded first.
POLARS_JSONL_ENCODINGS: Final = frozenset({"utf-8", "ascii"})


def sniff(probe: Probe) -> bool:
    """Text whose first non-blank character opens an object."""
    return not probe.is_binary and probe.text_head.lstrip()[:1] == "{"


def open_tables(unit: Unit, probe: Probe) -> list[Table]:
    with readable_as_utf8(
        unit.path, probe.encoding, direct=POLARS_JSONL_ENCODINGS, suffix=".jsonl"
    ) as (readable, _):
        keys = key_union(readable)
    columns = unique_column_names(keys)
    position = _position(probe)
    table = Table(unit.label, KIND, columns, iter(()), encoding=probe.encoding, position=position)
    table.batches = position.tracking(_batches(unit.path, probe.encoding, keys, table))
    return [table]


def _position(probe: Probe) -> ReadPosition:
    """Where the rows read reach in the file, at the rate of the objects of its head."""
    lines = probe.text_head.splitlines(keepends=True)
    if not probe.text_head_is_whole_file:
        lines = lines[:-1]  # maybe cut
    chars, rows = 0, []
    for line in lines:
        if line.strip():
            try:
                record = json.loads(line)
            except ValueError:
                break
            if not isinstance(record, dict):
                break
            rows.append([_as_read(value) for value in record.values()])
        chars += len(line)
    return ReadPosition.from_head(probe.size, probe.bytes_of_head_text(probe.text_head[:chars]), rows)


def _as_read(value: object) -> str | None:
    """A value as the reader's cell holds it: strings as they are, the rest as JSON text."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _batches(path: Path, encoding: str, keys: list[str], table: Table) -> Iterator[pl.DataFrame]:
    if not keys:
        return
    columns = table.columns
    with readable_as_utf8(path, encoding, direct=POLARS_JSONL_ENCODINGS, suffix=".jsonl") as (
        readable,
        replaced,
    ):
        note_replacements(table, replaced)
        # Every key read as String: polars keeps numbers as written and nested values as JSON.
        lf = pl.scan_ndjson(readable, schema={key: pl.String for key in keys})
        renamed = lf.select(
            pl.col(key).alias(column) for key, column in zip(keys, columns, strict=True)
        )
        yield from stream_frames(renamed, columns=columns, what="JSON Lines")


def key_union(path: Path) -> list[str]:
    """Every top-level key of the file's objects, in order of first appearance.

    Polars infers them natively over the whole file when the values' types agree.
    When they do not (a key holding an object on one line and a list on another)
    or a line is broken, the keys are collected line by line up to the first
    broken line (reading the rows will then stop there with a FormatError).
    """
    try:
        return pl.scan_ndjson(path, infer_schema_length=None).collect_schema().names()
    except pl.exceptions.PolarsError:
        pass
    keys: dict[str, None] = {}
    with open(path, encoding="utf-8", errors="replace") as lines:
        for line in lines:
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                break
            if not isinstance(record, dict):
                break
            keys.update(dict.fromkeys(record))
    return list(keys)
