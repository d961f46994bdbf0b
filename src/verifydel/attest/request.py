"""`verifydel attest request`: the broker's sources → blinded points (the request) and its state.

Sources are read exactly as `scan` reads them (``pipeline.read`` and
``pipeline.consume_table``: the same units, containers, formats, column choice,
coverage and manifest) and normalised as `scan` normalises them. Rows with neither a
phone nor an address cannot match and are not kept. The distinct phones and addresses
are the questions: each is hashed to the group and blinded with a fresh random scalar
(RFC 9497 Blind), and the points are written in a random order. The regulator sees
their number and nothing else.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import numpy as np
import polars as pl

from verifydel.attest.files import source_to_json, state_path_for, write_request, write_state
from verifydel.core.coverage import SourceResult
from verifydel.core.table import Table
from verifydel.core.unit import Unit
from verifydel.errors import UsageError
from verifydel.fields import ADDRESS, FIELDS, LISTED, PHONE
from verifydel.fingerprint import oprf
from verifydel.fingerprint.attest_file import refuse_existing_output
from verifydel.fingerprint.attest_tags import ANCHORS, oprf_input
from verifydel.normalise import NORMALISATION_VERSION
from verifydel.normalise.batch import ADDRESS_PREFECTURE, ROW, normalise_batch
from verifydel.pipeline.sweep import SweepOptions
from verifydel.pipeline import Observer, Outcome, consume_table, read
from verifydel.report.model import OPTIONAL_MATCH_SCHEMA

#: Said of every source of phone-shaped spans in unstructured bytes: the full tier looks
#: at the text around each span for the record's name or address; the request does not
#: carry that text, so such a match is graded on the phone alone (weak).
UNSTRUCTURED_NOTE: Final = (
    "attestation tier: a match in unstructured bytes is graded on the phone number alone "
    "(the text around it is not looked at): weak, where a scan with the full pack may find it strong"
)
SOURCE: Final = "source"
#: Values blinded at a time (bounds the memory of the intermediate Python objects).
SLICE: Final = 1 << 20


@dataclass
class RequestOptions(SweepOptions):
    case: str | None = None
    operator: str | None = None


@dataclass
class RequestResult:
    path: Path
    state_path: Path
    sha256: str
    points: int
    rows: int  # rows kept (with a phone or an address)
    sources: list[SourceResult]


def _rows_of(table: Table, batch: pl.DataFrame, first_row: int, cols: Mapping[str, Sequence[str]]) -> pl.DataFrame:
    """A batch normalised, only its rows with a phone or an address, with where they are."""
    norm = normalise_batch(batch, cols)
    row = (pl.col(ROW).cast(pl.Int64) + first_row + 1) if table.numbered else pl.lit(None, pl.Int64)
    where = [pl.lit(table.label).alias(SOURCE), row.alias("row")]
    if table.location:
        located = batch.select(
            *(pl.col(src).cast(OPTIONAL_MATCH_SCHEMA[name]).alias(name) for name, src in table.location.items())
        )
        norm = pl.concat([norm, located], how="horizontal")
        where += [pl.col(name) for name in table.location]
    keep = (pl.col(PHONE).list.len() > 0) | pl.col(ADDRESS).is_not_null()
    return norm.filter(keep).select(*where, *FIELDS, ADDRESS_PREFECTURE)


def _questions(rows: pl.DataFrame) -> pl.DataFrame:
    """(field, value): the distinct phones and addresses of ``rows``, in a random order."""
    parts = []
    for anchor in ANCHORS:
        col = rows.get_column(anchor)
        if col.dtype == pl.List(pl.String):
            col = col.explode()
        values = col.drop_nulls().unique()
        parts.append(pl.DataFrame({"field": pl.Series([anchor] * len(values), dtype=pl.String), "value": values}))
    distinct = pl.concat(parts)
    order = np.random.default_rng(secrets.randbits(128)).permutation(distinct.height)
    return distinct[order] if distinct.height else distinct


def make_request(
    sources: Sequence[str],
    out: Path,
    options: RequestOptions | None = None,
    observer: Observer | None = None,
    *,
    run: Mapping[str, Any] | None = None,
    overwrite: bool = False,
) -> RequestResult:
    """Read ``sources``, write the request to ``out`` and the state beside it (``out.state``)."""
    options = options or RequestOptions()
    out = Path(out)
    state_path = state_path_for(out)
    if not overwrite:
        refuse_existing_output(out)
        refuse_existing_output(state_path)
    started_at = datetime.now(UTC).isoformat(timespec="seconds")

    def consume(table: Table, unit: Unit) -> Outcome:
        def work(batch: pl.DataFrame, first_row: int, cols: Mapping[str, Sequence[str]]) -> pl.DataFrame:
            return _rows_of(table, batch, first_row, cols)

        outcome = consume_table(
            table, options.mapping, work, threads=options.threads, observer=observer,
            unit_label=unit.label, live=unit.path is None,
        )  # fmt: skip
        if table.window_texts is not None:
            outcome.result.notes.append(UNSTRUCTURED_NOTE)
        return outcome

    outcomes = read(sources, options.reading(), consume, observer, jobs=options.jobs)
    frames = [frame for o in outcomes for frame in o.payload if frame.height]
    empty = {SOURCE: pl.String, "row": pl.Int64, **_field_schema()}
    rows = pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame(schema=empty)
    questions = _questions(rows)
    parts, blinded = [], []
    for start in range(0, questions.height, SLICE):  # bounded memory: a slice of values at a time
        part = questions.slice(start, SLICE)
        inputs = [oprf_input(f, v) for f, v in part.iter_rows()]
        inverses, points = oprf.blind_all(inputs, workers=options.threads)
        blinded.append(b"".join(points))
        parts.append(
            part.with_columns(
                pl.Series("input", inputs, dtype=pl.Binary), pl.Series("blind_inverse", inverses, dtype=pl.Binary)
            )
        )
    values = pl.concat(parts) if parts else questions.with_columns(
        pl.Series("input", [], dtype=pl.Binary), pl.Series("blind_inverse", [], dtype=pl.Binary)
    )
    finished_at = datetime.now(UTC).isoformat(timespec="seconds")
    results = [o.result for o in outcomes]
    media = [
        {"path": s.medium.path, "bytes": s.medium.bytes, "sha256": s.sha256} for s in results if s.medium is not None
    ]
    count = questions.height
    sha = write_request(
        out,
        blinded,
        {
            "case": options.case,
            "operator": options.operator,
            "created_at": finished_at,
            "normalisation": NORMALISATION_VERSION,
            "media": media,
            "sources_read": len(results),
            "rows_read": sum(s.rows for s in results),
        },
        overwrite=overwrite,
    )
    try:
        write_state(
            state_path,
            {
                "request_sha256": sha,
                "request_file": out.name,
                "count": count,
                "case": options.case,
                "operator": options.operator,
                "started_at": started_at,
                "finished_at": finished_at,
                "normalisation": NORMALISATION_VERSION,
                "sources": [source_to_json(s) for s in results],
                "run": dict(run or {}),
            },
            values,
            rows,
            overwrite=overwrite,
        )
    except BaseException:
        out.unlink(missing_ok=True)  # a request without its state could never be finished
        raise
    return RequestResult(
        path=out, state_path=state_path, sha256=sha, points=count, rows=rows.height, sources=results
    )


def _field_schema() -> dict[str, pl.DataType]:
    return {
        **{f: pl.List(pl.String()) if f in LISTED else pl.String() for f in FIELDS},
        ADDRESS_PREFECTURE: pl.String(),
    }


def check_request_outputs(out: Path, *, overwrite: bool) -> None:
    """Refuse (exit 2) before anything is read: an existing request or state without --force,
    or a folder that is not there."""
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"--out {out}: folder {folder} does not exist", hint="create it first, or give another path")
    if not overwrite:
        refuse_existing_output(out)
        refuse_existing_output(state_path_for(out))


__all__ = ["UNSTRUCTURED_NOTE", "RequestOptions", "RequestResult", "check_request_outputs", "make_request"]
