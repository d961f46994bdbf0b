"""E-mail address: NFKC, trimmed, lower-cased, and it must look like local@domain.

A leading "mailto:" and surrounding angle brackets are dropped. The local part
is lower-cased too (providers treat it case-insensitively in practice). The
domain needs a dot and no empty label at its end; nothing else is checked.
"""

from __future__ import annotations

from functools import cache
from typing import Final

import polars as pl

from verifydel.normalise import _text

_ATOM: Final[str] = r"[^\s@<>()\[\]\\,;:\"]"
#: Group 1: the address.
EMAIL_REGEX: Final[str] = (
    rf"^\s*(?i:mailto:)?\s*<?\s*({_ATOM}+@{_ATOM}+\.[^\s@<>()\[\]\\,;:\".]+)\s*>?\s*$"
)


@cache
def email_table() -> _text.LiteralTable:
    """NFKC and lower case in one pass."""
    return _text.LiteralTable.build(_text.with_nfkc(_text.ascii_lowercase_table()))


def normalise_email(value: pl.Expr) -> pl.Expr:
    """The lower-cased address, or null."""
    return email_table().apply(value).str.extract(EMAIL_REGEX, 1)
