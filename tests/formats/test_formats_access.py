"""Access databases (.mdb Jet3/Jet4, .accdb) through mdbtools: tables, Japanese text, planted
survivors found with their table and row, and every way it can go wrong ending in the report.

The databases are real files in the Access format, written by access_fixtures/make_access.py
(committed ones, and ones made per test); mdbtools reads them as it would a broker's file.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from verifydel.errors import SourceError
from verifydel.formats import access, open_tables
from verifydel.formats._probe import Probe
from verifydel.core.table import Table
from verifydel.report.model import FAILED, PARTIAL, SCANNED
from verifydel.scan import LoadedPack, ScanOptions, scan
from verifydel.core.unit import Unit

FIXTURES = Path(__file__).parent / "access_fixtures"


def _load_writer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_access", FIXTURES / "make_access.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_access"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


mk = _load_writer()


@pytest.fixture
def mdbtools() -> None:
    """mdbtools on PATH; absent, the test is skipped, except under CI=true where that fails."""
    if all(shutil.which(tool) for tool in ("mdb-tables", "mdb-export", "mdb-count")):
        return
    reason = "mdbtools is not installed (apt install mdbtools)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: these tests must run)")
    pytest.skip(reason)


def rows_of(table: Table) -> list[tuple[str | None, ...]]:
    return [row for batch in table.batches for row in batch.rows()]


def unit(path: Path, label: str | None = None) -> Unit:
    return Unit(label=label or path.name, path=path)


def copy(name: str, folder: Path) -> Path:
    target = folder / name
    shutil.copyfile(FIXTURES / name, target)
    return target


# --- recognised by content ---------------------------------------------------------------


@pytest.mark.parametrize("name", list(mk.FIXTURES))
def test_sniff_recognises_every_version_by_its_header(name: str) -> None:
    assert access.sniff(Probe.read(FIXTURES / name))


@pytest.mark.parametrize(
    "head",
    [
        b"Standard Jet DB\x00" + bytes(100),
        b"\x00\x01\x00\x00Standard XYZ DB\x00" + bytes(100),
        b"ID,name\n1,x\n",
    ],
)
def test_sniff_refuses_other_heads(tmp_path: Path, head: bytes) -> None:
    path = tmp_path / "x.mdb"
    path.write_bytes(head)
    assert not access.sniff(Probe.read(path))


def test_committed_fixtures_are_what_the_writer_writes(tmp_path: Path) -> None:
    for path in mk.write_fixtures(tmp_path):
        assert path.read_bytes() == (FIXTURES / path.name).read_bytes(), path.name


# --- tables, columns, rows ---------------------------------------------------------------

JAPANESE_ROWS = [
    (str(i), name, address, phone, mk.AWKWARD_NOTE if i == 2 else None)
    for i, (name, address, phone) in enumerate(mk.PEOPLE, 1)
]
ROMAJI_ROWS = [(*p, "") for p in mk.ROMAJI]  # the binary cell is left out: empty


@pytest.mark.parametrize(
    ("name", "version"),
    [("people_jet4.mdb", "JET4"), ("people.accdb", "ACE12"), ("people_jet3_cp932.mdb", "JET3")],
)
def test_tables_are_listed_and_read_with_japanese_text(
    name: str, version: str, mdbtools: None
) -> None:
    tables = open_tables(unit(FIXTURES / name))
    labels = [t.label for t in tables]
    expected = [f"{name}!/顧客", f"{name}!/kokyaku"] + (
        [] if version == "JET3" else [f"{name}!/空"]
    )
    assert labels == expected
    assert {t.kind for t in tables} == {"access"}
    japanese, romaji = tables[0], tables[1]
    assert japanese.columns == ["ID", "氏名", "住所", "電話番号", "備考"]
    assert rows_of(japanese) == JAPANESE_ROWS  # the memo keeps its quote, comma and line break
    assert romaji.columns == ["shimei", "jusho", "denwa", "raw"]
    assert rows_of(romaji) == ROMAJI_ROWS
    assert japanese.details["access_version"] == version
    assert japanese.details["rows_in_table_definition"] == 5
    assert japanese.details["rows_exported"] == 5
    if version == "JET3":
        assert (japanese.encoding, japanese.details["jet3_charset"]) == ("cp932", "CP932")
    else:
        assert japanese.encoding is None and "jet3_charset" not in japanese.details
        [empty] = tables[2:]
        assert (empty.columns, rows_of(empty)) == (["メモ"], [])


def test_jet3_text_follows_the_encoding_override(mdbtools: None) -> None:
    """--encoding reaches mdbtools as MDB_JET3_CHARSET: the same bytes read as cp1252 are not Japanese."""
    [japanese, _] = open_tables(unit(FIXTURES / "people_jet3_cp932.mdb"), encoding="cp1252")
    assert japanese.details["jet3_charset"] == "CP1252"
    names = [row[1] for row in rows_of(japanese)]
    assert len(names) == 5 and all(names)
    assert not any("\u3000" <= c <= "\u9fff" for name in names for c in name)  # no kana, no kanji


def test_the_override_leaves_jet4_text_alone(mdbtools: None) -> None:
    [japanese, *_] = open_tables(unit(FIXTURES / "people_jet4.mdb"), encoding="cp1252")
    assert rows_of(japanese) == JAPANESE_ROWS


def test_batches_stay_bounded_across_chunk_cuts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mdbtools: None
) -> None:
    """Tiny chunks cut records anywhere, inside quoted multi-line memos too; batches stay ≤ BATCH_ROWS."""
    notes = ['a "q"\nb', "x,y\r\nz", None, '""', "\n\n"]
    columns = [mk.Column("ID", mk.LONG), mk.Column("氏名", mk.TEXT, 40), mk.Column("備考", mk.MEMO)]
    spec = mk.TableSpec("t", columns, [[i, f"名前{i}", notes[i % 5]] for i in range(1, 301)])
    path = tmp_path / "many.mdb"
    mk.write_database(path, mk.JET4, [spec])
    monkeypatch.setattr(access, "CHUNK_BYTES", 37)
    monkeypatch.setattr(access, "BATCH_ROWS", 7)
    [table] = open_tables(unit(path))
    batches = list(table.batches)
    assert max(b.height for b in batches) == 7 and sum(b.height for b in batches) == 300
    assert all(
        b.columns == ["ID", "氏名", "備考"] and set(b.dtypes) == {pl.String} for b in batches
    )
    rows = [row for b in batches for row in b.rows()]
    assert rows == [(str(i), f"名前{i}", notes[i % 5]) for i in range(1, 301)]


def test_jet3_rows_longer_than_256_bytes_read_back(tmp_path: Path, mdbtools: None) -> None:
    """Jet3 offsets are one byte: longer rows carry a jump table, which mdbtools must follow."""
    address = "東京都千代田区千代田一丁目一番一号" * 4  # 136 bytes in CP932
    columns = [mk.Column(c, mk.TEXT, 255) for c in ("氏名", "住所", "旧住所", "電話番号")]
    rows = [
        ["山田 太郎", address, address[: 10 * i] or None, f"03-0000-{i:04d}"] for i in range(12)
    ]
    path = tmp_path / "long.mdb"
    mk.write_database(path, mk.JET3, [mk.TableSpec("t", columns, rows)], encoding="cp932")
    [table] = open_tables(unit(path))
    assert rows_of(table) == [tuple(r) for r in rows]


def test_a_reader_stopped_early_stops_mdb_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mdbtools: None
) -> None:
    """More output than a pipe holds: closing the batches kills mdb-export and reaps it."""
    spec = mk.TableSpec("t", [mk.Column("x", mk.TEXT, 10)], [[f"{i:08d}"] for i in range(20000)])
    path = tmp_path / "s.accdb"
    mk.write_database(path, mk.ACE, [spec])
    monkeypatch.setattr(access, "BATCH_ROWS", 10)
    monkeypatch.setattr(access, "CHUNK_BYTES", 64)
    started: list[subprocess.Popen[bytes]] = []
    popen = subprocess.Popen

    def recording(*args, **kwargs):  # the real Popen, remembered
        process = popen(*args, **kwargs)
        started.append(process)
        return process

    monkeypatch.setattr(subprocess, "Popen", recording)
    [table] = open_tables(unit(path))
    batches = table.batches
    assert next(batches).height == 10
    exporting = started[-1]
    assert exporting.args[0].endswith("mdb-export") and exporting.poll() is None
    batches.close()  # type: ignore[attr-defined]
    assert exporting.returncode == -signal.SIGKILL
    assert all(p.returncode is not None for p in started)


def test_awkward_table_names_and_no_user_table(tmp_path: Path, mdbtools: None) -> None:
    tables = [
        mk.TableSpec(name, [mk.Column("電話", mk.TEXT, 20)], [["03-0000-0000"]])
        for name in ('a 表, "q"', "-x")
    ]
    path = tmp_path / "odd.mdb"
    mk.write_database(path, mk.JET4, tables)
    quoted, dashed = open_tables(unit(path))
    assert (quoted.label, rows_of(quoted)) == ('odd.mdb!/a 表, "q"', [("03-0000-0000",)])
    assert dashed.label == "odd.mdb!/-x"
    with pytest.raises(SourceError, match="cannot export a table whose name starts with '-'"):
        rows_of(dashed)
    bare = tmp_path / "bare.accdb"
    mk.write_database(bare, mk.ACE, [])
    [only] = open_tables(unit(bare))
    assert (only.label, only.kind, only.columns, only.notes, rows_of(only)) == (
        "bare.accdb",
        "access",
        [],
        ["no user table"],
        [],
    )


@given(
    records=st.lists(
        st.lists(
            st.one_of(
                st.text(alphabet='a山"\n\r,\x1f ', max_size=6).map(
                    lambda s: '"' + s.replace('"', '""') + '"'
                ),
                st.integers(0, 999).map(str),
                st.just(""),
            ),
            min_size=1,
            max_size=4,
        ),
        max_size=6,
    )
)
def test_last_record_end_never_cuts_a_record(records: list[list[str]]) -> None:
    data = b"".join((access.SEPARATOR.join(cells) + "\n").encode() for cells in records)
    ends, total = [0], 0
    for cells in records:
        total += len((access.SEPARATOR.join(cells) + "\n").encode())
        ends.append(total)
    for cut in range(len(data) + 1):
        assert access.last_record_end(data[:cut]) == max(e for e in ends if e <= cut)


# --- end to end: planted survivors --------------------------------------------------------

from planted import BROKER  # noqa: E402
from planted import LEAKED_CSV as _LEAKED  # noqa: E402

LEAKED_CSV = _LEAKED + (
    "L003,Watanabe Yui,075-765-4321,Kyoto-fu Kyoto-shi Sakyo-ku 5-6\n"
    "L900,架空 太郎,070-9999-9999,沖縄県那覇市泉崎1-1-1\n"
)


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory, pack_factory) -> LoadedPack:
    return pack_factory(tmp_path_factory.mktemp("pack"), LEAKED_CSV)


def found(report) -> list[tuple[str, int, str, str]]:
    m = report.matches
    return list(zip(m["source"], m["row"], m["record_id"], m["strength"], strict=True))


@pytest.mark.parametrize(
    ("fmt", "suffix"), [(mk.JET3, ".mdb"), (mk.JET4, ".mdb"), (mk.ACE, ".accdb")]
)
def test_scan_finds_planted_survivors_with_table_and_row(
    tmp_path: Path, pack: LoadedPack, fmt, suffix: str, mdbtools: None
) -> None:
    members = mk.TableSpec(
        "会員",
        [mk.Column("No", mk.LONG), mk.Column("氏名", mk.TEXT, 40), mk.Column("住所", mk.TEXT, 80),
         mk.Column("電話番号", mk.TEXT, 20)],
        [[i, *row] for i, row in enumerate(BROKER, 1)],
    )  # fmt: skip
    orders = mk.TableSpec(
        "orders", [mk.Column("id", mk.LONG), mk.Column("amount", mk.LONG)], [[1, 100], [2, 200]]
    )
    path = tmp_path / f"broker{suffix}"
    mk.write_database(path, fmt, [orders, members], encoding="cp932")
    report = scan([str(path)], pack, ScanOptions(threads=1))
    assert found(report) == [
        (f"{path}!/会員", 3, "L001", "strong"),
        (f"{path}!/会員", 5, "L002", "strong"),
    ]
    sources = {s.path: (s.kind, s.status, s.rows) for s in report.sources}
    assert sources == {
        f"{path}!/orders": ("access", SCANNED, 2),
        f"{path}!/会員": ("access", SCANNED, 5),
    }
    [members_source] = [s for s in report.sources if s.path.endswith("会員")]
    assert members_source.columns["phone"] == ["電話番号"] and members_source.columns[
        "address"
    ] == ["住所"]


def test_scan_of_the_committed_fixture_in_a_folder(
    tmp_path: Path, pack: LoadedPack, mdbtools: None
) -> None:
    folder = tmp_path / "broker"
    folder.mkdir()
    copy("people.accdb", folder)
    report = scan([str(folder)], pack, ScanOptions(threads=1))
    label = f"{folder}/people.accdb"
    assert found(report) == [
        (f"{label}!/顧客", 1, "L001", "strong"),
        (f"{label}!/kokyaku", 2, "L003", "strong"),
    ]
    assert [(s.path, s.status, s.rows) for s in report.sources] == [
        (f"{label}!/顧客", SCANNED, 5), (f"{label}!/kokyaku", SCANNED, 2), (f"{label}!/空", SCANNED, 0)
    ]  # fmt: skip
    assert report.sources[0].details["access_version"] == "ACE12"


# --- what goes wrong ends in the report ---------------------------------------------------


def test_without_mdbtools_the_file_is_failed_with_the_reason(
    tmp_path: Path, pack: LoadedPack, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = copy("people_jet4.mdb", tmp_path)
    empty = tmp_path / "no-tools"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))  # the machine as a user without mdbtools has it
    report = scan([str(path)], pack, ScanOptions(threads=1))
    [source] = report.sources
    assert (source.path, source.kind, source.status, source.rows) == (
        str(path),
        "access",
        FAILED,
        0,
    )
    assert (
        source.error
        == "mdbtools is not installed: Access files cannot be read (apt install mdbtools)"
    )
    assert report.summary["sources_failed"] == 1


def _people() -> bytearray:
    return bytearray((FIXTURES / "people.accdb").read_bytes())


def _page_holding(data: bytes | bytearray, text: str) -> int:
    """The page number of the data page holding ``text`` (UCS-2, as Jet4/ACE store it)."""
    at = bytes(data).find(text.encode("utf-16-le"))
    assert at > 0
    return at // 4096


def _corrupt(name: str, data: bytes | bytearray, folder: Path, pack: LoadedPack):
    path = folder / name
    path.write_bytes(bytes(data))
    report = scan([str(path)], pack, ScanOptions(threads=1))
    for s in report.sources:  # no reason quotes a cell, a table name or mdbtools' own words
        for secret in ("山田", "Watanabe", "顧客", "Error", "warning", "page 7"):
            assert secret not in (s.error or "")
    return path, {
        s.path.removeprefix(str(path)): (s.status, s.rows, s.error) for s in report.sources
    }


def test_a_header_page_alone_fails_with_a_reason(
    tmp_path: Path, pack: LoadedPack, mdbtools: None
) -> None:
    _, sources = _corrupt("head.accdb", _people()[:4096], tmp_path, pack)
    reason = (
        "mdbtools cannot read the catalog (mdb-tables exit status 1) (the file looks corrupt, "
        "encrypted with a password, or is not an Access database)"
    )
    assert sources == {"": (FAILED, 0, reason)}


def test_garbage_after_a_valid_header_fails_with_a_reason(
    tmp_path: Path, pack: LoadedPack, mdbtools: None
) -> None:
    data = _people()[:4096] + bytes(range(256)) * 64
    _, sources = _corrupt("junk.mdb", data, tmp_path, pack)
    assert [status for status, _, _ in sources.values()] == [FAILED]


def test_an_undecodable_data_page_fails_that_table_only(
    tmp_path: Path, pack: LoadedPack, mdbtools: None
) -> None:
    data = _people()
    page = _page_holding(data, "山田 太郎")
    data[page * 4096 + 20 : (page + 1) * 4096] = b"\xa5" * (4096 - 20)
    _, sources = _corrupt("rows.accdb", data, tmp_path, pack)
    status, rows, error = sources["!/顧客"]
    assert (status, rows) == (FAILED, 0)
    assert re.fullmatch(
        r"mdbtools reported \d+ problem\(s\) after data row 0 \(rows that could not be decoded\) "
        r"\(rows may be missing: the file looks corrupt\)",
        error or "",
    )
    assert sources["!/kokyaku"][:2] == (SCANNED, 2) and sources["!/空"][:2] == (SCANNED, 0)


def test_fewer_rows_than_the_table_definition_counts_is_partial(
    tmp_path: Path, pack: LoadedPack, mdbtools: None
) -> None:
    data = _people()
    tdef = data.find(b"\x02\x01", 5 * 4096)  # the first user table's definition page
    assert tdef == 5 * 4096 and data[tdef + 16] == 5
    data[tdef + 16] = 9  # its row count, as a crash mid-write leaves it
    path, sources = _corrupt("count.accdb", data, tmp_path, pack)
    reason = (
        "mdb-export returned 5 rows of the 9 the table definition counts "
        "(rows are missing: the file looks corrupt)"
    )
    assert sources["!/顧客"] == (PARTIAL, 5, reason)
    report = scan([str(path)], pack, ScanOptions(threads=1))
    # the rows read still count
    assert found(report) == [
        (f"{path}!/顧客", 1, "L001", "strong"),
        (f"{path}!/kokyaku", 2, "L003", "strong"),
    ]


def test_a_truncated_file_is_never_clean(tmp_path: Path, pack: LoadedPack, mdbtools: None) -> None:
    data = _people()
    page = _page_holding(data, "山田 太郎")
    _, sources = _corrupt("cut.accdb", data[: page * 4096 + 100], tmp_path, pack)
    assert sources["!/顧客"][0] in (PARTIAL, FAILED)
    assert "it looks truncated" in (sources["!/顧客"][2] or "")
    assert all(status != SCANNED for status, _, _ in sources.values())
    assert all(error for _, _, error in sources.values())
