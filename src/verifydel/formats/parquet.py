"""Parquet: every column cast to text, streamed in batches.

Whole floats lose their ".0" (a phone stored as a double), nested values become
JSON text, binary columns UTF-8 text (or "0x" + hex when they are not text).
"""

from __future__ import annotations

from typing import Final

import polars as pl

from verifydel.errors import FormatError
from verifydel.core.cells import as_text, binary_as_text
from verifydel.formats._frames import ReadPosition, stream_frames
from verifydel.core.headers import unique_column_names
from verifydel.formats._probe import Probe
from verifydel.core.table import Table
from verifydel.core.unit import Unit

KIND: Final = "parquet"
MAGIC: Final = b"PAR1"


def sniff(probe: Probe) -> bool:
    return probe.starts_with(MAGIC)


def open_tables(unit: Unit, probe: Probe) -> list[Table]:
    try:
        lf = pl.scan_parquet(unit.path)
        schema = lf.collect_schema()
    except (pl.exceptions.PolarsError, OSError):
        raise FormatError(
            "not a readable Parquet file (truncated or corrupt footer)",
            hint="check whether the file was copied completely",
        ) from None
    names = list(schema.names())
    columns = unique_column_names(names)
    text = lf.select(
        as_text(pl.col(name), dtype).alias(column)
        for name, dtype, column in zip(names, schema.dtypes(), columns, strict=True)
    )
    batches = stream_frames(text, columns=columns, what="Parquet", finish=binary_as_text)
    try:  # the row count is in the footer; where the rows read reach, in row groups' bytes
        rows = lf.select(pl.len()).collect().item()
    except (pl.exceptions.PolarsError, OSError):
        return [Table(unit.label, KIND, columns, batches)]
    position = ReadPosition(probe.size, per_row=probe.size / rows if rows else 0.0)
    return [Table(unit.label, KIND, columns, position.tracking(batches), position=position)]
