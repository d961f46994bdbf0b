"""Issue 12: the address parser is never worse than today's rules.

Every pair of notations that agrees today must still agree through
``addresses_agree``: the example table of ``test_normalise_address`` (two
inputs with the same expected canonical form agree today), its split-column
rows, and the demo generator's notation variants (what the demo's broker
copies do to a leaked address). The one exception is intended by the issue:
two sides stating *different* prefectures no longer agree.

Then two properties on realistic generated addresses: ``addresses_agree`` is
reflexive (and symmetric), and a key normalised again is the same key.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import replace

import pytest
from faker import Faker
from hypothesis import given
from hypothesis import strategies as st
from normalise_testkit import (
    PROPERTY_SETTINGS,
    address_parts,
    batches,
    realistic_address,
    render_block,
)
from test_normalise_address import EXAMPLES

from verifydel.demo._notation import ADDRESS_STYLES, DASHES, Notation, leaked_address
from verifydel.demo._people import PersonFactory
from verifydel.normalise.address import PREFECTURES, address_keys, addresses_agree

Side = str | tuple[str, ...]


def _stated_prefectures(text: str) -> set[str]:
    text = text.replace("﨑", "崎")
    return {p for p in PREFECTURES if p in text}


def _both_state_different_prefectures(a: str, b: str) -> bool:
    pa, pb = _stated_prefectures(a), _stated_prefectures(b)
    return bool(pa and pb and pa.isdisjoint(pb))


def _pairs_agreeing_today() -> list[tuple[str, str]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for raw, expected in EXAMPLES:
        if raw is not None and expected is not None:
            groups[expected].append(raw)
    return [
        (a, b)
        for raws in groups.values()
        for a, b in itertools.combinations(raws, 2)
        if not _both_state_different_prefectures(a, b)
    ]


TODAY_PAIRS = _pairs_agreeing_today()


def test_the_example_table_yields_pairs() -> None:
    assert len(TODAY_PAIRS) > 100
    # The one pair left out on purpose: 東京都京都市… and 京都府京都市… agree today.
    left_out = [
        (raw, expected) for raw, expected in EXAMPLES if raw and raw.endswith("京都市中京区1-2")
    ]
    assert len(left_out) == 2


@pytest.mark.parametrize(("a", "b"), TODAY_PAIRS)
def test_every_pair_agreeing_today_still_agrees(a: str, b: str) -> None:
    assert addresses_agree(a, b), address_keys([a, b])


@pytest.mark.parametrize(("raw", "expected"), [e for e in EXAMPLES if e[1] is not None])
def test_every_real_example_still_agrees_with_itself(raw: str, expected: str) -> None:
    assert addresses_agree(raw, raw)


@pytest.mark.parametrize(("raw", "expected"), [e for e in EXAMPLES if e[1] is None])
def test_no_value_still_has_no_key(raw: str | None, expected: None) -> None:
    [(key, _)] = address_keys([raw])
    assert key is None
    if raw is not None:
        assert not addresses_agree(raw, raw)


def test_split_columns_agree_as_today() -> None:
    # The rows of test_address_parts_are_joined_in_order_with_null_parts_skipped
    # (null columns left out of the tuple).
    mitaka = "三鷹市下連雀三丁目二十番十二号"
    assert addresses_agree(("東京都", "三鷹市", "下連雀3-20-12", "コーポ201"), mitaka)
    assert addresses_agree(("三鷹市", "下連雀3丁目20番12号"), mitaka)
    assert addresses_agree(("青木", "123", "コーポ201"), "青木123")


def _agree_by_keys(ka: tuple[str | None, str | None], kb: tuple[str | None, str | None]) -> bool:
    """addresses_agree as documented, from the two sides' address_keys."""
    (key_a, pref_a), (key_b, pref_b) = ka, kb
    same_place = key_a is not None and key_a == key_b
    return same_place and (pref_a is None or pref_b is None or pref_a == pref_b)


# --- the demo generator's notations -------------------------------------------------------
def _demo_people(n: int):  # type: ignore[no-untyped-def]
    fake = Faker("ja_JP")
    fake.seed_instance(12)
    factory = PersonFactory(fake)
    return [factory.person() for _ in range(n)]


def _demo_notations(address) -> list[Side]:  # type: ignore[no-untyped-def]
    out: list[Side] = []
    for style, prefecture, fullwidth, dash, building in itertools.product(
        ADDRESS_STYLES, (True, False), (False, True), (None, *DASHES), (None, address.building)
    ):
        notation = Notation(
            address_style=style,
            prefecture=prefecture,
            address_fullwidth=fullwidth,
            dash=dash,
            building=building,
        )
        out.append(notation.address(address))
        out.append(tuple(part for part in notation.address_parts(address) if part))
    return out


def test_demo_notations_of_one_address_agree() -> None:
    people = _demo_people(12)
    rows: list[tuple[Side, Side]] = []
    for person in people:
        leaked = leaked_address(person.address)
        rows += [(leaked, variant) for variant in _demo_notations(person.address)]
        # the leaked set's other block style, with the building dropped
        other = "hyphen" if person.address.style == "chome" else "chome"
        rows.append((leaked, leaked_address(replace(person.address, style=other, building=None))))
    keys = address_keys([side for row in rows for side in row])
    bad = [
        (row, keys[2 * i], keys[2 * i + 1])
        for i, row in enumerate(rows)
        if not _agree_by_keys(keys[2 * i], keys[2 * i + 1])
    ]
    assert not bad, bad[:5]
    # and through addresses_agree itself, on a sample (one polars call per pair)
    for row in rows[:: max(1, len(rows) // 60)]:
        assert addresses_agree(*row), row


def test_demo_people_at_different_addresses_do_not_agree() -> None:
    people = _demo_people(12)
    leaked = [leaked_address(p.address) for p in people]
    keys = address_keys(leaked)
    assert len({key for key, _ in keys}) == len({p.address.key for p in people})


# --- properties -------------------------------------------------------------------------
@st.composite
def _split_address(draw: st.DrawFn) -> tuple[str, ...]:
    """A realistic address as split 住所 columns hold it: cut between its
    parts (都道府県 | 市区町村 | 町域 | 番地 | 建物), in one of the layouts forms use."""
    prefecture, city, town, numbers, building = draw(address_parts())
    block = draw(render_block(numbers))
    pref = prefecture if draw(st.booleans()) else ""
    layout = draw(st.sampled_from(["4", "pref|rest", "jusho1|jusho2", "address|building"]))
    if layout == "4":
        parts = (pref, city, town + block, building or "")
    elif layout == "pref|rest":
        parts = (pref, city + town + block, building or "")
    elif layout == "jusho1|jusho2":
        parts = (pref + city + town, block + (" " + building if building else ""))
    else:
        parts = (pref + city + town + block, building or "")
    return tuple(p for p in parts if p)


_side = realistic_address() | _split_address()


@PROPERTY_SETTINGS
@given(batches(_side))
def test_addresses_agree_is_reflexive_on_realistic_addresses(values: list[Side]) -> None:
    for value in values:
        assert addresses_agree(value, value), (value, address_keys([value]))


@PROPERTY_SETTINGS
@given(batches(_side), batches(_side))
def test_addresses_agree_is_symmetric(left: list[Side], right: list[Side]) -> None:
    for a, b in zip(left, right):
        assert addresses_agree(a, b) == addresses_agree(b, a), (a, b)


@PROPERTY_SETTINGS
@given(batches(_side))
def test_a_key_normalised_again_is_the_same_key(values: list[Side]) -> None:
    keys = [key for key, _ in address_keys(values)]
    assert None not in keys and "" not in keys
    again = address_keys(keys)
    assert [key for key, _ in again] == keys, [
        (v, k, a) for v, k, (a, _) in zip(values, keys, again) if k != a
    ]
