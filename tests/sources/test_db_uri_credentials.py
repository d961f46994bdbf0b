"""Credentials in database URIs, without a server: whatever a password holds, raw or
percent-encoded, it shows in no label, repr or scrubbed message (issue 9, finding 7)."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from verifydel.sources import UnitFailure, expand
from verifydel.sources.databases._uri import parse_uri, redact_uri

PASSWORDS = ["p#ss", "p?ss", "p/ss", "p@ss", "p:ss", "p%zz", "a@b/c?d#e:f%gg&table=t@h", "it's\\"]


@pytest.mark.parametrize("password", PASSWORDS)
@pytest.mark.parametrize("encoded", [False, True])
@pytest.mark.parametrize("scheme", ["postgresql", "mysql"])
def test_a_password_is_found_whatever_it_holds(password: str, encoded: bool, scheme: str) -> None:
    written = quote(password, safe="") if encoded else password
    source = f"{scheme}://inspector:{written}@db.example:5433/broker?table=t1&table=s.t2"
    uri = parse_uri(source)
    assert uri.password == password
    assert (uri.user, uri.hosts, uri.database) == ("inspector", "db.example:5433", "broker")
    assert uri.tables == ("t1", "s.t2")
    assert uri.label() == f"{scheme}://inspector:***@db.example:5433/broker"
    assert redact_uri(source) == uri.label()
    assert password not in repr(uri) and written not in repr(uri)
    for form in {password, written, quote(password), repr(password)[1:-1]}:
        assert password not in uri.scrub(f"failed: {form}!")


def test_the_last_at_before_the_host_ends_the_user_info() -> None:
    uri = parse_uri("postgresql://u:a@b@[::1]:5432,h2:5433/db")
    assert (uri.password, uri.hosts) == ("a@b", "[::1]:5432,h2:5433")
    assert uri.label() == "postgresql://u:***@[::1]:5432,h2:5433/db"
    uri = parse_uri("mysql://only-user@h/db")
    assert (uri.user, uri.password, uri.label()) == ("only-user", None, "mysql://only-user@h/db")


@pytest.mark.parametrize(
    "source",
    [
        "postgresql://u:s3c#r?e/t@x:y%zz@h/db/extra",  # malformed path after a raw password
        "mysql://u:s3c#r?e/t@x:y%zz@h/db?table=",  # empty table name
        "postgresql://u:s3c/r:e@",  # no host at all
    ],
)
def test_a_malformed_uri_with_a_raw_password_fails_without_it(source: str) -> None:
    [failure] = expand(source)
    assert isinstance(failure, UnitFailure)
    for part in ("s3c", "r?e", "e/t", "%zz", "r:e"):
        assert part not in failure.label + failure.error
