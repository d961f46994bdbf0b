"""How a dialect writes INSERT values (``Literals``), and one run of INSERT statements (``Run``):
what the fast reader (``_sql_values``) and the slow one (``_sql_slow``) share."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np


@dataclass(frozen=True)
class Literals:
    """How one dialect writes the values of an INSERT statement."""

    dialect: str  # "MySQL", "PostgreSQL": for messages
    backslash_escapes: bool  # '...' strings take backslash escapes
    escapes: dict[
        str, str
    ]  # backslash + character → text, decoded by polars; other escapes in Python
    unusual: bytes  # bytes that, outside strings, send a block to the slow path
    e_strings: bool  # E'...' strings exist (PostgreSQL): they go to the slow path
    value: re.Pattern[bytes]  # whitespace, one literal (group 1), whitespace
    open_literal: re.Pattern[bytes]  # fullmatches a literal cut by the end of the buffer
    tail: bytes  # regex of what may stand between a statement's last row and its ";"
    decode: Callable[[bytes], str | None]  # one literal as text (None for NULL)

    @cached_property
    def fast_escape(self) -> np.ndarray:
        table: np.ndarray = np.zeros(256, dtype=bool)
        table[[ord(key[1]) for key in self.escapes]] = True
        return table

    @cached_property
    def escape_pairs(self) -> tuple[list[str], list[str]]:
        return list(self.escapes), list(self.escapes.values())

    @cached_property
    def unusual_bytes(self) -> np.ndarray:
        return np.frombuffer(self.unusual, dtype=np.uint8)


@dataclass
class Run:
    """Consecutive INSERT statements of one table with the same head, read as one stream of rows."""

    head: bytes  # the statement up to and including VALUES, as written
    width: int | None = None  # values per row, from the first row
    glue: bytes | None = None  # the exact bytes between the rows of two consecutive statements
    glue_semi: int = 0  # where the ";" is in ``glue``
    _patterns: dict[str, re.Pattern[bytes]] = field(default_factory=dict, repr=False)

    def continuation(self, lit: Literals) -> re.Pattern[bytes]:
        if "next" not in self._patterns:
            self._patterns["next"] = re.compile(
                rb"\s*+" + lit.tail + rb"\s*+(;)\s*+" + re.escape(self.head) + rb"\s*+(?=\()"
            )
        return self._patterns["next"]

    def end(self, lit: Literals) -> re.Pattern[bytes]:
        if "end" not in self._patterns:
            self._patterns["end"] = re.compile(rb"\s*+" + lit.tail + rb"\s*+;")
        return self._patterns["end"]
