"""The demo generator: deterministic files, readable by ordinary readers, an exact answer key.

Files are read back with polars and openpyxl directly (not verifydel's readers),
and the answer key is checked against what the rows really hold.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import time
import unicodedata
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
import pytest

from verifydel.demo import DemoManifest, make_demo
from verifydel.demo._notation import ROW_TAGS
from verifydel.demo._tables import FILE_TAGS
from verifydel.demo.synth import CHANGE_TAGS, DemoPlan, build_plan
from verifydel.errors import UsageError

BROKER_FILES = {
    "members_2023.csv",
    "dm_list.tsv",
    "export.jsonl",
    "customers.xlsx",
    "archive_2022.parquet",
    "old_list.csv",
}
VARIANT_FOLD = str.maketrans(
    {"髙": "高", "﨑": "崎", "邊": "辺", "邉": "辺", "齋": "斎", "澤": "沢", "濱": "浜", "廣": "広"}
)
KANJI_DIGIT = {c: i for i, c in enumerate("〇一二三四五六七八九")}
PREFECTURE = re.compile(r"^(東京都|北海道|京都府|大阪府|..県|...県)")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoManifest:
    return make_demo(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def plan() -> DemoPlan:
    return build_plan()


# --- reading the files back with ordinary readers -------------------------------------
def read_table(broker: Path, label: str) -> list[tuple[Any, ...]]:
    """Data rows of one table (header excluded), as the file's own reader sees them."""
    if "!/" in label:
        file, sheet = label.split("!/")
        book = openpyxl.load_workbook(broker / file)
        return list(book[sheet].iter_rows(min_row=2, values_only=True))
    path = broker / label
    if label == "members_2023.csv":
        text = path.read_bytes().decode("cp932")
        frame = pl.read_csv(io.BytesIO(text.encode()), infer_schema=False)
    elif label == "dm_list.tsv":
        frame = pl.read_csv(path, separator="\t", infer_schema=False)
    elif label == "export.jsonl":
        frame = pl.read_ndjson(path)
    elif label == "archive_2022.parquet":
        frame = pl.read_parquet(path)
    elif label == "old_list.csv":
        frame = pl.read_csv(path, has_header=False, infer_schema=False)
    else:
        raise AssertionError(label)
    return frame.rows()


def kanji_to_digits(text: str) -> str:
    def convert(match: re.Match[str]) -> str:
        value, digit = 0, 0
        for ch in match.group():
            if ch == "十":
                value += (digit or 1) * 10
                digit = 0
            else:
                digit = KANJI_DIGIT[ch]
        return str(value + digit)

    return re.sub(r"[〇一二三四五六七八九十]+", convert, text)


def row_text(row: tuple[Any, ...]) -> str:
    return "|".join(unicodedata.normalize("NFKC", str(c)) for c in row if c is not None)


def phone_digits(cell: Any) -> str:
    text = unicodedata.normalize("NFKC", str(cell)).strip()
    digits = re.sub(r"\D", "", text)
    return (digits[2:] if text.startswith("+81") else digits).lstrip("0")


def row_has_phone(row: tuple[Any, ...], phone: str) -> bool:
    wanted = re.sub(r"\D", "", phone).lstrip("0")
    return any(c is not None and phone_digits(c) == wanted for c in row)


def row_has_address(row: tuple[Any, ...], address: str) -> bool:
    city_town = PREFECTURE.sub("", re.split(r"\d", address, maxsplit=1)[0])
    numbers = [int(n) for n in re.findall(r"\d+", address)[:3]]
    text = row_text(row)
    runs = [int(n) for n in re.findall(r"\d+", kanji_to_digits(text))]
    triple = any(runs[i : i + 3] == numbers for i in range(len(runs) - 2))
    return triple and city_town in text.replace("|", "")


def clean_name(cell: Any) -> str:
    text = re.sub(r"\s", "", unicodedata.normalize("NFKC", str(cell)))
    return text.removesuffix("様").translate(VARIANT_FOLD)


def row_has_name(row: tuple[Any, ...], name: str) -> bool:
    """A cell, or two adjacent cells (姓, 名), holds exactly this name."""
    cells = ["" if c is None else clean_name(c) for c in row]
    candidates = set(cells) | {a + b for a, b in zip(cells, cells[1:], strict=False)}
    return name.replace(" ", "") in candidates


@pytest.fixture(scope="module")
def leaked(demo: DemoManifest) -> dict[str, dict[str, str]]:
    frame = pl.read_csv(demo.leaked, infer_schema=False)
    return {r["顧客ID"]: r for r in frame.iter_rows(named=True)}


@pytest.fixture(scope="module")
def tables(demo: DemoManifest) -> dict[str, list[tuple[Any, ...]]]:
    return {label: read_table(demo.broker, label) for label in demo.files}


# --- the tests -------------------------------------------------------------------------
def test_writes_the_promised_files(demo: DemoManifest) -> None:
    assert demo.leaked == demo.directory / "leaked.csv"
    assert {p.name for p in demo.broker.iterdir()} == BROKER_FILES
    assert (demo.directory / "answer_key.json").is_file()
    assert DemoManifest.load(demo.directory / "answer_key.json") == demo


def test_same_seed_same_bytes_other_seed_other_data(tmp_path: Path) -> None:
    make_demo(tmp_path / "a", seed=7, records=400)
    make_demo(tmp_path / "b", seed=7, records=400)
    make_demo(tmp_path / "c", seed=8, records=400)
    files = sorted(
        p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file()
    )
    assert len(files) == 8
    for rel in files:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel
    assert (tmp_path / "a/leaked.csv").read_bytes() != (tmp_path / "c/leaked.csv").read_bytes()


def test_leaked_set_is_real_looking_and_unique(leaked: dict[str, dict[str, str]]) -> None:
    rows = list(leaked.values())
    assert len(rows) == 3000
    assert list(leaked)[:2] == ["C0000001", "C0000002"]
    assert list(rows[0]) == [
        "顧客ID",
        "氏名",
        "フリガナ",
        "郵便番号",
        "住所",
        "電話番号",
        "生年月日",
        "メールアドレス",
    ]
    for r in rows:
        assert PREFECTURE.match(r["住所"]), r["顧客ID"]
        assert re.search(r"\d+丁目\d+番\d+号|\d+-\d+-\d+", r["住所"]), r["顧客ID"]
        assert re.fullmatch(r"0\d{1,3}-\d{2,4}-\d{4}", r["電話番号"]), r["顧客ID"]
        assert len(re.sub(r"\D", "", r["電話番号"])) in (10, 11)
        assert re.fullmatch(r"\d{3}-\d{4}", r["郵便番号"])
    assert len({r["電話番号"] for r in rows}) == len(rows)
    blocks = {
        (
            PREFECTURE.sub("", re.split(r"\d", r["住所"], maxsplit=1)[0]),
            tuple(re.findall(r"\d+", r["住所"])[:3]),
        )
        for r in rows
    }
    assert len(blocks) == len(rows)
    variantable = sum(bool(re.search("[高崎辺斎沢浜広]", r["氏名"].split()[0])) for r in rows)
    assert variantable > 0.1 * len(rows)
    assert any("丁目" in r["住所"] for r in rows) and any(
        re.search(r"\d-\d", r["住所"]) for r in rows
    )


def test_every_file_is_readable_and_sized_as_the_key_says(
    demo: DemoManifest, tables: dict[str, list[tuple[Any, ...]]]
) -> None:
    planted = [(s.file, s.row) for s in demo.survivors] + [(d.file, d.row) for d in demo.decoys]
    assert len(set(planted)) == len(planted)
    for label, rows in tables.items():
        numbers = sorted(r for f, r in planted if f == label)
        assert numbers == list(range(1, len(rows) + 1)), label
        assert all(len(row) == len(rows[0]) for row in rows)
    assert len(tables["old_list.csv"][0]) == 3


def test_about_a_tenth_survives_spread_over_every_table(demo: DemoManifest) -> None:
    assert len(demo.survivors) == 300
    assert len(demo.decoys) == len(demo.survivors)
    assert len({s.record_id for s in demo.survivors}) == len(demo.survivors)
    assert len(demo.files) == 7
    for label in demo.files:
        assert any(s.file == label for s in demo.survivors), label
        assert any(d.file == label for d in demo.decoys), label
    assert {d.kind for d in demo.decoys} == {"fresh", "near-address", "near-phone", "near-name"}
    assert all((d.near_record_id is None) == (d.kind == "fresh") for d in demo.decoys)


def test_survivor_rows_hold_their_record(
    demo: DemoManifest, leaked: dict[str, dict[str, str]], tables: dict[str, list[tuple[Any, ...]]]
) -> None:
    for s in demo.survivors:
        record, row = leaked[s.record_id], tables[s.file][s.row - 1]
        assert len(s.kept) >= 2
        checks = {
            "name": row_has_name(row, record["氏名"]),
            "address": row_has_address(row, record["住所"]),
            "phone": row_has_phone(row, record["電話番号"]),
        }
        assert all(checks[f] for f in s.kept), (s, checks)
        for lost in {"name", "address", "phone"} - set(s.kept):
            assert not checks[lost], (s, lost)


def test_decoy_rows_hold_exactly_their_one_field(
    demo: DemoManifest, leaked: dict[str, dict[str, str]], tables: dict[str, list[tuple[Any, ...]]]
) -> None:
    leaked_phones = {re.sub(r"\D", "", r["電話番号"]).lstrip("0") for r in leaked.values()}
    for d in demo.decoys:
        row = tables[d.file][d.row - 1]
        if d.kind != "near-phone":
            assert not any(c is not None and phone_digits(c) in leaked_phones for c in row), d
        if d.near_record_id is None:
            continue
        record = leaked[d.near_record_id]
        checks = {
            "name": row_has_name(row, record["氏名"]),
            "address": row_has_address(row, record["住所"]),
            "phone": row_has_phone(row, record["電話番号"]),
        }
        assert [f for f, hit in checks.items() if hit] == [d.kind.removeprefix("near-")], (
            d,
            checks,
        )


@pytest.mark.parametrize("seed", [2023, 1, 99])
def test_every_reformatting_tag_appears(seed: int, tmp_path: Path) -> None:
    manifest = make_demo(tmp_path, seed=seed, records=3000 if seed == 2023 else 1000)
    seen = {tag for s in manifest.survivors for tag in s.tags}
    assert set(ROW_TAGS) | set(FILE_TAGS) | set(CHANGE_TAGS) <= seen
    assert {"xlsx", "hidden-sheet"} <= seen


def test_the_hidden_sheet_is_hidden_and_holds_survivors(demo: DemoManifest) -> None:
    book = openpyxl.load_workbook(demo.broker / "customers.xlsx")
    assert book["退会者"].sheet_state == "hidden"
    assert book["顧客一覧"].sheet_state == "visible"
    for sheet in ("顧客一覧", "退会者"):
        assert any(s.file == f"customers.xlsx!/{sheet}" for s in demo.survivors)


def test_integer_phones_are_excel_numbers(
    demo: DemoManifest, tables: dict[str, list[tuple[Any, ...]]]
) -> None:
    planted = [s for s in demo.survivors if "phone-int" in s.tags]
    assert planted
    for s in planted:
        assert s.file.startswith("customers.xlsx!/")
        assert any(
            isinstance(c, int) and not isinstance(c, bool) and c > 10**8
            for c in tables[s.file][s.row - 1]
        )


def test_encodings(demo: DemoManifest) -> None:
    members = (demo.broker / "members_2023.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        members.decode("utf-8")
    assert members.decode("cp932").startswith("会員番号,姓,名,")
    assert b"\r\n" in members
    dm = (demo.broker / "dm_list.tsv").read_bytes()
    assert dm.startswith(b"\xef\xbb\xbf") and b"\t" in dm
    old = (demo.broker / "old_list.csv").read_bytes().decode("utf-8")
    first = old.splitlines()[0]
    assert "住所" not in first and re.search(r"\d", first)


def test_english_headers(demo: DemoManifest) -> None:
    assert pl.read_parquet(demo.broker / "archive_2022.parquet").columns[1:4] == [
        "NAME",
        "ADDRESS",
        "PHONE",
    ]
    assert {"name", "address", "phone"} <= set(pl.read_ndjson(demo.broker / "export.jsonl").columns)


def _raw_keys(person: Any) -> dict[str, set[Any]]:
    return {
        "name": {person.name, "kana:" + person.kana},
        "address": {person.address.key},
        "phone": {person.phone.digits},
    }


def _shared_with_leaked(
    plan: DemoPlan, person: Any, blank: frozenset[str] = frozenset()
) -> dict[int, set[str]]:
    mine = _raw_keys(person)
    shared: dict[int, set[str]] = {}
    for i, record in enumerate(plan.leaked):
        fields = {f for f, keys in _raw_keys(record).items() if f not in blank and keys & mine[f]}
        if fields:
            shared[i] = fields
    return shared


def test_decoys_never_share_two_fields_with_one_leaked_record(plan: DemoPlan) -> None:
    by_id = {rid: i for i, rid in enumerate(plan.record_ids)}
    decoys = [row for _, rows in plan.tables for row in rows if row.kind != "survivor"]
    assert len(decoys) == 300
    for row in decoys:
        shared = _shared_with_leaked(plan, row.person)
        assert all(len(fields) <= 1 for fields in shared.values()), (row.kind, shared)
        phone_or_address = {i for i, f in shared.items() if f & {"phone", "address"}}
        if row.kind == "fresh":
            assert not phone_or_address
        else:
            assert row.record_id is not None
            target = by_id[row.record_id]
            assert shared[target] == {row.kind.removeprefix("near-")}
            assert phone_or_address <= {target}


def test_survivors_single_out_their_record(plan: DemoPlan) -> None:
    by_id = {rid: i for i, rid in enumerate(plan.record_ids)}
    survivors = [row for _, rows in plan.tables for row in rows if row.kind == "survivor"]
    for row in survivors:
        assert row.record_id is not None
        shared = _shared_with_leaked(plan, row.person, row.blank)
        assert shared[by_id[row.record_id]] == set(row.kept)
        assert all(len(f) <= 1 for i, f in shared.items() if i != by_id[row.record_id])


def test_generation_is_quick(tmp_path: Path) -> None:
    started = time.perf_counter()
    make_demo(tmp_path)
    assert time.perf_counter() - started < 10  # about 0.5 s on the reference machine


def test_refuses_too_few_records(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        make_demo(tmp_path, records=10)
    assert not (tmp_path / "leaked.csv").exists()


def test_same_bytes_across_processes(tmp_path: Path) -> None:
    """Nothing depends on Python's per-process string hashing."""
    src = Path(__file__).resolve().parents[2] / "src"
    code = "import sys; from pathlib import Path; from verifydel.demo import make_demo; "
    code += "make_demo(Path(sys.argv[1]), seed=3, records=300)"
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(src)}
        subprocess.run([sys.executable, "-c", code, str(tmp_path / hash_seed)], env=env, check=True)
    for path in (tmp_path / "1").rglob("*"):
        if path.is_file():
            twin = tmp_path / "2" / path.relative_to(tmp_path / "1")
            assert path.read_bytes() == twin.read_bytes(), path.name
