"""E-mail and birth date: example pairs per rule, then properties."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from normalise_testkit import (
    PROPERTY_SETTINGS,
    batches,
    check_idempotent,
    check_same_outputs,
    dash_variant,
    normalise,
    normalise_parts,
    to_full_width,
    width_variant,
)

EMAIL_EXAMPLES = [
    ("taro@example.com", "taro@example.com"),
    (" Taro.Yamada@Example.CO.JP ", "taro.yamada@example.co.jp"),
    ("\u3000taro@example.com\u3000", "taro@example.com"),
    ("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏｍ", "taro@example.com"),
    ("mailto:taro@example.com", "taro@example.com"),
    ("MAILTO:Taro@Example.com", "taro@example.com"),
    ("<taro@example.com>", "taro@example.com"),
    ("taro+tag@mail.example.jp", "taro+tag@mail.example.jp"),
    ("taro..yamada.@docomo.ne.jp", "taro..yamada.@docomo.ne.jp"),  # old carrier addresses
    ("taro@localhost", None),
    ("taro@", None),
    ("@example.com", None),
    ("taro@@example.com", None),
    ("taro yamada@example.com", None),
    ("taro@example.com, hanako@example.com", None),
    ("not an address", None),
    ("", None),
    (None, None),
]


@pytest.mark.parametrize(("raw", "expected"), EMAIL_EXAMPLES)
def test_email_examples(raw: str | None, expected: str | None) -> None:
    assert normalise("email", [raw]) == [expected]


def test_email_several_columns_take_the_first_real_value() -> None:
    rows = [("not an address", "Taro@Example.com"), ("a@b.jp", "c@d.jp"), (None, None)]
    assert normalise_parts("email", rows) == ["taro@example.com", "a@b.jp", None]


_EMAILS = st.from_regex(r"\A[A-Za-z0-9._+-]{1,12}@[A-Za-z0-9-]{1,10}\.(com|jp|co\.jp|ne\.jp)\Z")


@PROPERTY_SETTINGS
@given(batches(_EMAILS))
def test_email_idempotent_lower_case_and_width_insensitive(emails: list[str]) -> None:
    out = check_idempotent("email", emails)
    assert out == [e.lower() for e in emails]
    check_same_outputs("email", [(e, to_full_width(f"  {e.upper()} ")) for e in emails])


BIRTH_DATE_EXAMPLES = [
    ("1980-01-02", "1980-01-02"),
    ("1980/1/2", "1980-01-02"),
    ("1980/01/02", "1980-01-02"),
    ("1980.1.2", "1980-01-02"),
    ("1980年1月2日", "1980-01-02"),
    ("1980年01月02日生", "1980-01-02"),
    ("19800102", "1980-01-02"),
    ("１９８０／１／２", "1980-01-02"),
    ("1980ー01ー02", "1980-01-02"),
    ("1980 1 2", "1980-01-02"),
    ("1980-01-02 00:00:00", "1980-01-02"),
    ("1980-01-02T00:00:00", "1980-01-02"),
    ("1980/1/2 0:00", "1980-01-02"),
    # eras
    ("昭和55年1月2日", "1980-01-02"),
    ("昭和５５年１月２日", "1980-01-02"),
    ("S55.1.2", "1980-01-02"),
    ("s55/1/2", "1980-01-02"),
    ("S.55.1.2", "1980-01-02"),
    ("昭55.1.2", "1980-01-02"),
    ("H2/3/4", "1990-03-04"),
    ("平成2年3月4日", "1990-03-04"),
    ("平成元年1月8日", "1989-01-08"),
    ("令和元年5月1日", "2019-05-01"),
    ("R1.5.1", "2019-05-01"),
    ("R2.1.1", "2020-01-01"),
    ("大正15年12月24日", "1926-12-24"),
    ("T15.12.24", "1926-12-24"),
    ("明治45年7月29日", "1912-07-29"),
    ("M45.7.29", "1912-07-29"),
    # Excel serial
    ("29221", "1980-01-01"),
    ("29222.0", "1980-01-02"),
    # invalid
    ("1980-13-01", None),
    ("1980-02-30", None),
    ("1980-00-10", None),
    ("1981-02-29", None),
    ("昭和70年1月1日", None),  # 昭和 ended in its 64th year
    ("平成0年1月1日", None),
    ("1800-01-01", None),
    ("80/1/2", None),  # two-digit year: ambiguous
    ("01/02/1980", None),  # day/month order unknown
    ("1980", None),
    ("不明", None),
    ("", None),
    (None, None),
]


@pytest.mark.parametrize(("raw", "expected"), BIRTH_DATE_EXAMPLES)
def test_birth_date_examples(raw: str | None, expected: str | None) -> None:
    assert normalise("birth_date", [raw]) == [expected]


def test_birth_date_year_month_day_columns_are_joined() -> None:
    rows = [("1980", "1", "2"), ("昭和55年", "1月", "2日"), (None, None, None)]
    assert normalise_parts("birth_date", rows) == ["1980-01-02", "1980-01-02", None]


_ERAS = (("明治", "M", 1867, 1868), ("大正", "T", 1911, 1912), ("昭和", "S", 1925, 1926),
         ("平成", "H", 1988, 1989), ("令和", "R", 2018, 2019))  # fmt: skip


@st.composite
def _written_date(draw: st.DrawFn) -> tuple[str, str]:
    day = draw(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2030, 12, 31)))
    y, m, d = day.year, day.month, day.day
    styles = [f"{y}-{m:02d}-{d:02d}", f"{y}/{m}/{d}", f"{y}.{m}.{d}", f"{y}年{m}月{d}日",
              f"{y}{m:02d}{d:02d}", f"{y}-{m:02d}-{d:02d} 00:00:00"]  # fmt: skip
    for name, letter, base, first in _ERAS:
        # the era that was in force that year (its last year overlaps the next era's first)
        if y >= first and (name == "令和" or y < next(e[3] for e in _ERAS if e[3] > first)):
            n = y - base
            styles += [f"{name}{'元' if n == 1 else n}年{m}月{d}日", f"{letter}{n}.{m}.{d}"]
    return draw(st.sampled_from(styles)), day.isoformat()


@PROPERTY_SETTINGS
@given(batches(_written_date()))
def test_every_notation_gives_the_iso_date(pairs: list[tuple[str, str]]) -> None:
    assert check_idempotent("birth_date", [w for w, _ in pairs]) == [iso for _, iso in pairs]


@PROPERTY_SETTINGS
@given(batches(_written_date().flatmap(lambda p: st.tuples(st.just(p[0]), width_variant(p[0])))))
def test_birth_date_width_insensitive(pairs: list[tuple[str, str]]) -> None:
    check_same_outputs("birth_date", pairs)


@PROPERTY_SETTINGS
@given(batches(_written_date().flatmap(lambda p: st.tuples(st.just(p[0]), dash_variant(p[0])))))
def test_birth_date_hyphen_insensitive(pairs: list[tuple[str, str]]) -> None:
    check_same_outputs("birth_date", pairs)


@PROPERTY_SETTINGS
@given(batches(st.text(max_size=20)))
def test_birth_date_of_any_text_is_null_or_iso(texts: list[str]) -> None:
    for out in check_idempotent("birth_date", texts):
        assert out is None or dt.date.fromisoformat(out).isoformat() == out
