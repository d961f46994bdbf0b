"""The attestation round on every corpus case finds what `scan` with the full pack finds.

Same rows (or byte offsets, pages), same leaked records, same strengths, same coverage,
case by case: archives, dumps, live databases, SQLite with deleted rows, workbooks,
text, Access. The one difference by design: a match in unstructured bytes is graded on
the phone alone in the attestation tier (the request does not carry the text around a
span), so there it may be weak where the scan says strong; the same spans match.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from corpus_build import Corpus
from corpus_registry import CASES, from_json, resolve

from verifydel.attest import RequestOptions, answer_request, finish, make_request
from verifydel.attest.request import UNSTRUCTURED_NOTE
from verifydel.fingerprint.attest_keys import AttestKey
from verifydel.fingerprint.build import build_pack
from verifydel.fingerprint.keys import read_key
from verifydel.scan import ScanOptions, scan

WHERE = ["source", "row", "offset", "page", "record_id"]


@pytest.fixture(scope="module")
def attestation(corpus: Corpus, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, AttestKey]:
    """The corpus leak's attestation pack, made with the corpus key (records in the pack's order)."""
    out = tmp_path_factory.mktemp("corpus-attest")
    secret = read_key(corpus.out / corpus.manifest["key"])
    built = build_pack(
        [str(corpus.out / corpus.manifest["leaked"])], secret, out / "p.vdpack",
        id_column=corpus.manifest["id_column"], attest_out=out / "p.vdattest",
    )  # fmt: skip
    assert built.header.records == corpus.pack.header.records
    return out / "p.vdattest", AttestKey.from_secret(secret)


def _located(matches: pl.DataFrame, ids: pl.Series | None = None) -> pl.DataFrame:
    if ids is not None:
        n = matches["record_id"].str.strip_prefix("#").cast(pl.Int64) - 1
        matches = matches.with_columns(ids.gather(n).alias("record_id"))
    for column in ("offset", "page"):
        if column not in matches.columns:
            matches = matches.with_columns(pl.lit(None, pl.Int64).alias(column))
    return matches.select(*WHERE, "strength").sort(WHERE, nulls_last=True)


def _cases() -> list[str]:
    """Every case but the hostile ones (bombs, loops, damaged archives: what they test is the
    reader, which the request shares with the scan; test_corpus covers them) and pending ones."""
    return [name for name, c in CASES.items() if not c.pending and c.kind != "hostile"]


@pytest.mark.parametrize("name", _cases())
def test_case_round_equals_scan(
    name: str, corpus: Corpus, attestation: tuple[Path, AttestKey], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = from_json(corpus.manifest["cases"][name])
    if built.skip or built.xfail:
        pytest.skip(built.skip or f"known issue: {built.xfail}")
    monkeypatch.chdir(tmp_path)
    sources = [resolve(s, corpus.out) for s in built.sources]
    full = scan(sources, corpus.pack, ScanOptions(encoding=built.encoding, password=built.password))
    attest_path, key = attestation
    made = make_request(sources, tmp_path / "q.vdreq", RequestOptions(encoding=built.encoding, password=built.password))
    answer_request(made.path, key, tmp_path / "a.vdans", ledger=tmp_path / "ledger")
    report = finish(tmp_path / "a.vdans", made.state_path, attest_path).report

    def coverage(sources: list) -> list[tuple[str, str, int]]:
        # SQLite's -shm index appears once the first of the two has opened a WAL database
        return [(s.path, s.status, s.rows) for s in sources if not s.path.endswith("-shm")]

    assert coverage(report.sources) == coverage(full.sources)
    mine = _located(report.matches, corpus.pack.contents.records["record_id"])
    theirs = _located(full.matches)
    free_text = {s.path for s in report.sources if UNSTRUCTURED_NOTE in s.notes}
    in_tables = ~pl.col("source").is_in(list(free_text))
    assert mine.filter(in_tables).equals(theirs.filter(in_tables))
    # unstructured bytes: the same spans and records; strong in the scan may be weak here
    spans_mine = mine.filter(~in_tables).select(WHERE).unique().sort(WHERE, nulls_last=True)
    spans_theirs = theirs.filter(~in_tables).select(WHERE).unique().sort(WHERE, nulls_last=True)
    assert spans_mine.equals(spans_theirs)
    assert report.exit_code == full.exit_code
