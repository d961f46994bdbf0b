"""normalise_batch (the fast paths) gives exactly what normalise_batch_reference gives.

The reference is one ``field_expr`` per field over every row: the per-field
expressions as they are documented and tested. Any difference of output is a
matching bug, so the fast batch is compared with it, byte for byte, on
(a) every input of the example tables of tests/normalise, the addresses also
split into columns at every position; (b) hypothesis-generated values, both
realistic (split addresses, written phones, names) and adversarial (random
text over the characters the rules look at); (c) 200,000 rows of the
benchmark generator's broker data and of the demo's tables. Each comparison
runs twice: with the process-wide caches as they come, then warm.
"""

from __future__ import annotations

import importlib.util
import random
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from normalise_testkit import (
    BUILDINGS,
    CITIES,
    DASH_VARIANTS,
    PROPERTY_SETTINGS,
    TOWNS,
    block_numbers,
    jp_phone_national,
    realistic_name,
    render_block,
    render_phone,
    to_full_width,
)
from polars.testing import assert_frame_equal
from test_normalise_address import EXAMPLES as ADDRESS_EXAMPLES
from test_normalise_email_birth_date import BIRTH_DATE_EXAMPLES, EMAIL_EXAMPLES
from test_normalise_name import KANA_EXAMPLES, NAME_EXAMPLES
from test_normalise_phone import PHONE_EXAMPLES, POSTAL_EXAMPLES

from verifydel import fields
from verifydel.normalise import _distinct, batch
from verifydel.normalise.address import PREFECTURES
from verifydel.normalise.batch import normalise_batch, normalise_batch_reference

ROOT = Path(__file__).resolve().parents[2]
#: Half the usual examples (each one normalises its batch three times). The
#: fixture ``fast_distinct`` only sets constants: sharing it across inputs is fine.
SETTINGS = settings(
    PROPERTY_SETTINGS,
    max_examples=max(10, (PROPERTY_SETTINGS.max_examples or 50) // 2),
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
ADDRESS_COLUMNS = ["都道府県", "市区町村", "番地", "建物"]
BROKER_COLUMNS = {"name": ["姓", "名"], "address": ADDRESS_COLUMNS, "phone": ["TEL"]}


@pytest.fixture(params=["distinct", "row"])
def fast_everywhere(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Fast paths for any batch size; values normalised per distinct value
    (``distinct``) or per row (``row``): both must agree with the reference."""
    monkeypatch.setattr(batch, "FAST_MIN_ROWS", 0)
    monkeypatch.setattr(_distinct, "DISTINCT_MIN_ROWS", 0)
    monkeypatch.setattr(_distinct, "DISTINCT_RATIO", 1.0 if request.param == "distinct" else 0.0)
    return str(request.param)


@pytest.fixture
def fast_distinct() -> Iterator[None]:
    """Fast paths for any batch size, every field normalised per distinct value
    (the phone and the split address take their own paths whatever the ratio).
    Not monkeypatch: hypothesis runs many inputs in one function-scoped fixture."""
    saved = batch.FAST_MIN_ROWS, _distinct.DISTINCT_MIN_ROWS, _distinct.DISTINCT_RATIO
    batch.FAST_MIN_ROWS, _distinct.DISTINCT_MIN_ROWS, _distinct.DISTINCT_RATIO = 0, 0, 1.0
    yield
    batch.FAST_MIN_ROWS, _distinct.DISTINCT_MIN_ROWS, _distinct.DISTINCT_RATIO = saved


def assert_same(frame: pl.DataFrame, columns: Mapping[str, Sequence[str]]) -> None:
    expected = normalise_batch_reference(frame, columns)
    for _ in range(2):  # caches as they come, then warm
        assert_frame_equal(normalise_batch(frame, columns), expected)


def _strings(data: Mapping[str, Sequence[str | None]]) -> pl.DataFrame:
    return pl.DataFrame(dict(data), schema={name: pl.String for name in data})


# --- (a) the example tables -----------------------------------------------------
def _inputs(examples: Sequence[tuple[object, object]]) -> list[str | None]:
    return [raw if raw is None else str(raw) for raw, _ in examples]


def test_example_tables_of_every_field(fast_everywhere: str) -> None:
    tables = {
        "name": _inputs(NAME_EXAMPLES), "name_kana": _inputs(KANA_EXAMPLES),
        "address": _inputs(ADDRESS_EXAMPLES), "postal": _inputs(POSTAL_EXAMPLES),
        "phone": _inputs(PHONE_EXAMPLES), "email": _inputs(EMAIL_EXAMPLES),
        "birth_date": _inputs(BIRTH_DATE_EXAMPLES),
    }  # fmt: skip
    height = max(map(len, tables.values()))
    frame = _strings({f: (v * height)[:height] for f, v in tables.items()})
    assert_same(frame, {f: [f] for f in tables})
    # every phone example also as a second column of the other (TEL, 携帯)
    phones = tables["phone"]
    frame = _strings({"TEL": phones, "携帯": phones[::-1]})
    assert_same(frame, {"phone": ["TEL", "携帯"]})


def _splits(text: str, rnd: random.Random) -> Iterator[list[str | None]]:
    """The text cut into two columns at every position, and into four at random ones."""
    for i in range(len(text) + 1):
        yield [text[:i], text[i:], None, None]
    for _ in range(10):
        cuts = sorted(rnd.randint(0, len(text)) for _ in range(3))
        pieces = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
        yield [p if rnd.random() > 0.15 else None for p in pieces]


def test_address_examples_split_into_columns(fast_everywhere: str) -> None:
    rnd = random.Random(7)
    rows = [row for raw in _inputs(ADDRESS_EXAMPLES) if raw for row in _splits(raw, rnd)]
    rows += [[None, None, None, None], ["", "", "", ""], [" ", None, "\u3000", ""]]
    frame = _strings({c: [row[i] for row in rows] for i, c in enumerate(ADDRESS_COLUMNS)})
    assert_same(frame, {"address": ADDRESS_COLUMNS})
    assert_same(frame, {"address": ADDRESS_COLUMNS[1:]})  # three columns
    assert_same(frame, {"address": ADDRESS_COLUMNS[2:]})  # two


def test_name_examples_split_into_columns(fast_everywhere: str) -> None:
    rows = [
        (raw[:i], raw[i:]) for raw in _inputs(NAME_EXAMPLES) if raw for i in range(len(raw) + 1)
    ]
    frame = _strings({"姓": [r[0] for r in rows], "名": [r[1] for r in rows]})
    assert_same(frame, {"name": ["姓", "名"]})


# --- (b) hypothesis: realistic and adversarial values ----------------------------
@st.composite
def split_address(draw: st.DrawFn) -> tuple[str | None, str | None, str | None, str | None]:
    """An address as brokers split it: 都道府県, 市区町村 (+ town), 番地, 建物,
    in the notations that must agree, with the usual slips (the prefecture
    repeated in 市区町村, a 〒 code in front, the town in 番地, spaces)."""
    prefecture = draw(st.sampled_from(PREFECTURES))
    city = draw(st.sampled_from(CITIES))
    town = draw(st.sampled_from(TOWNS))
    block = draw(block_numbers().flatmap(render_block))
    building = draw(st.sampled_from(BUILDINGS))
    space = st.sampled_from(["", " ", "\u3000"])
    first = draw(st.sampled_from([prefecture, None, "", f"〒100-0001 {prefecture}", "日本"]))
    second = draw(st.sampled_from([city + draw(space) + town, city, prefecture + city]))
    third = draw(st.sampled_from([block, town + block, draw(space) + block]))
    fourth = draw(st.sampled_from([None, building, "", draw(space) + building, "405", "-405"]))
    return first, second, third, fourth


#: The characters the address rules look at, to build adversarial parts from.
ADDRESS_ALPHABET = (
    "0123456789０１２３４５６７８９" "〇一二三四五六七八九十百千"
    "丁目番地の号ノ大字ケヶがヵ" "-‐ー－−ｰ" "  \u3000,、"
    "〒日本国東京都大阪府北海道三重県千葉県" "市区町村麻布十番aAＡ・" "\u3099ｶﾞ゛"
)  # fmt: skip
address_part = st.none() | st.text(st.sampled_from(ADDRESS_ALPHABET), max_size=8)


@SETTINGS
@given(st.lists(split_address(), min_size=1, max_size=30))
def test_realistic_split_addresses(fast_distinct: None, rows: list[tuple[str | None, ...]]) -> None:
    frame = _strings({c: [row[i] for row in rows] for i, c in enumerate(ADDRESS_COLUMNS)})
    assert_same(frame, {"address": ADDRESS_COLUMNS})


@SETTINGS
@given(
    st.lists(
        st.tuples(address_part, address_part, address_part, address_part), min_size=1, max_size=30
    )
)
def test_adversarial_split_addresses(
    fast_distinct: None, rows: list[tuple[str | None, ...]]
) -> None:
    frame = _strings({c: [row[i] for row in rows] for i, c in enumerate(ADDRESS_COLUMNS)})
    assert_same(frame, {"address": ADDRESS_COLUMNS})


PHONE_ALPHABET = "0123456789０１２３４５６７８９+＋()（） 　-－‐−ーｰ.x#/内線81"
written_phone = jp_phone_national().flatmap(render_phone)
phone_text = st.text(st.sampled_from(PHONE_ALPHABET), max_size=18)


@SETTINGS
@given(
    st.lists(
        st.tuples(written_phone | phone_text | st.none(), phone_text | st.none()),
        min_size=1,
        max_size=30,
    )
)
def test_phones(fast_distinct: None, rows: list[tuple[str | None, str | None]]) -> None:
    frame = _strings({"TEL": [r[0] for r in rows], "携帯": [r[1] for r in rows]})
    assert_same(frame, {"phone": ["TEL"]})
    assert_same(frame, {"phone": ["TEL", "携帯"]})


@st.composite
def dashed_phone(draw: st.DrawFn) -> str:
    """Digits in groups joined by any dash, in any width: the fast shapes' edges."""
    groups = draw(st.lists(st.text("0123456789", min_size=1, max_size=5), min_size=1, max_size=4))
    text = draw(st.sampled_from(DASH_VARIANTS)).join(groups)
    lead = draw(st.sampled_from(["", "+81", "+", "(0)", "0", "00", "010"]))
    return to_full_width(lead + text) if draw(st.booleans()) else lead + text


@SETTINGS
@given(st.lists(dashed_phone(), min_size=1, max_size=30))
def test_dashed_phones(fast_distinct: None, phones: list[str]) -> None:
    assert_same(_strings({"TEL": phones}), {"phone": ["TEL"]})


@SETTINGS
@given(
    st.lists(st.tuples(realistic_name(), st.text(max_size=4) | st.none()), min_size=1, max_size=30)
)
def test_names(fast_distinct: None, rows: list[tuple[str, str | None]]) -> None:
    frame = _strings({"姓": [r[0] for r in rows], "名": [r[1] for r in rows]})
    assert_same(frame, {"name": ["姓", "名"], "name_kana": ["名"]})


# --- batches of any shape ----------------------------------------------------------
def test_empty_all_null_single_row_and_odd_dtypes(fast_everywhere: str) -> None:
    columns = {"name": ["姓", "名"], "address": ADDRESS_COLUMNS, "phone": ["TEL", "携帯"],
               "email": ["mail"], "birth_date": ["生年月日"]}  # fmt: skip
    names = ["姓", "名", *ADDRESS_COLUMNS, "TEL", "携帯", "mail", "生年月日"]
    empty = pl.DataFrame(schema={c: pl.String for c in names})
    assert_same(empty, columns)
    assert_same(
        pl.DataFrame({c: [None, None] for c in names}, schema={c: pl.String for c in names}),
        columns,
    )
    one = _strings({c: ["東京都三鷹市下連雀三丁目二十番十二号"] for c in names})
    assert_same(one, columns)
    odd = pl.DataFrame({"TEL": [9012345678, None, 312345678], "携帯": [1.5, None, 9.0e9],
                        "番地": [1, 2, None], "都道府県": ["東京都", None, "北海道"]})  # fmt: skip
    assert_same(
        odd, {"phone": ["TEL", "携帯"], "address": ["都道府県", "番地"], "name": ["absent"]}
    )


# --- (c) 200,000 rows of the benchmark generator and of the demo -------------------
def _generator() -> object:
    spec = importlib.util.spec_from_file_location(
        "bench_generate", ROOT / "benchmarks" / "generate.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_benchmark_broker_data(tmp_path: Path) -> None:
    generate = _generator()
    generate.generate(tmp_path, 20_000, [200_000])  # type: ignore[attr-defined]
    frame = pl.read_csv(tmp_path / "broker-200k.csv", infer_schema=False)
    assert frame.height == 200_000
    for part in frame.iter_slices(100_000):  # two batches: the second finds the caches warm
        assert_same(part, BROKER_COLUMNS)


@pytest.mark.parametrize(
    ("layout", "columns"),
    [("single", {"name": ["氏名"], "address": ["住所"], "phone": ["TEL"]}),
     ("two", {"name": ["氏名"], "address": ["住所1", "住所2"], "phone": ["TEL"]})],
)
def test_benchmark_broker_layouts(tmp_path: Path, layout: str, columns: dict[str, list[str]]) -> None:
    """The benchmark's one-住所-column and 住所1/住所2 layouts (nearly every address distinct)."""
    generate = _generator()
    generate.generate(tmp_path, 5_000, [40_000], formats={layout: ["csv"]})  # type: ignore[attr-defined]
    frame = pl.read_csv(tmp_path / f"broker-{layout}-40k.csv", infer_schema=False)
    assert frame.height == 40_000
    for part in frame.iter_slices(20_000):
        assert_same(part, columns)


def _demo_frames(records: int) -> Iterator[tuple[pl.DataFrame, dict[str, list[str]]]]:
    from verifydel.demo.synth import build_plan
    from verifydel.columns import detect_columns

    plan = build_plan(2023, records)
    for spec, rows in plan.tables:
        cells = [spec.cells(row) for row in rows]
        header = list(spec.header or [f"column_{i + 1}" for i in range(len(cells[0]))])
        frame = pl.DataFrame(
            {
                h: [None if c is None else str(c) for c in column]
                for h, column in zip(header, zip(*cells, strict=True), strict=True)
            },
            schema={h: pl.String for h in header},
        )
        choice = detect_columns(header, frame, None)
        yield frame, {f: list(c) for f, c in choice.fields.items() if c}


def test_demo_data() -> None:
    rnd = random.Random(3)
    frames = list(_demo_frames(5000))
    total = 0
    for frame, columns in frames:
        assert columns, "the demo's columns are recognised"
        # each table shuffled and repeated to ~30,000 rows: batch-sized, values repeat
        repeat = max(1, 30_000 // frame.height)
        big = pl.concat(
            [
                frame.sample(fraction=1.0, shuffle=True, seed=rnd.randrange(1 << 30))
                for _ in range(repeat)
            ]
        )
        assert_same(big, columns)
        total += big.height
    assert total >= 200_000


def test_field_order_and_schema_are_the_reference_ones() -> None:
    frame = _strings({"TEL": ["090-1234-5678"] * 3000, "氏名": ["山田 太郎"] * 3000})
    out = normalise_batch(frame, {"phone": ["TEL"], "name": ["氏名"]})
    assert out.columns == ["_row", *fields.FIELDS, "address_prefecture"]
    assert (
        out.schema == normalise_batch_reference(frame, {"phone": ["TEL"], "name": ["氏名"]}).schema
    )
    assert out["phone"].to_list()[0] == ["09012345678"]
