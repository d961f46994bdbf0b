"""The corpus table: case name → builder, and what a builder promises (the answer key).

A case is one small function registered with ``@case(name, kind)``. It writes its
files under ``ctx.dir(name)`` (or tables into a database) and returns ``Built``:
what to scan, every planted survivor it expects found (source, record id,
strength, row, recovered, offset range), its decoys (a namesake that must not
match at all; a reassigned phone that may match weakly, never strongly), and
the status each named source must end with (any of several, and a reason
substring). Labels of files are written ``{out}/cases/<name>/...``: the test and
the benchmark put the corpus folder in place of ``{out}``.

``needs`` names what the machine must offer (a server, a tool); ``pending``
names a reader other work is adding: absent, the case is skipped ("pending
reader"); present, it runs as a non-strict xfail until the entry is removed.
``xfail`` in ``Built`` records a known verifydel bug the case shows.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

OUT: Final = "{out}"
KINDS: Final = (
    "container", "dump", "database", "sqlite", "office", "text", "hostile", "deleted", "unstructured", "access",
)  # fmt: skip


@dataclass
class Expect:
    """A planted survivor the scan must find."""

    source: str  # the report's source label; may hold fnmatch wildcards (``*``)
    record_id: str
    strength: str = "strong"
    row: int | None = None  # checked when given
    recovered: bool | None = None  # True: the match must carry "recovered": true and a page or offset
    offset: tuple[int, int] | None = None  # the match's byte offset must fall in [lo, hi]


@dataclass
class Decoy:
    source: str
    record_id: str
    allow: str  # "none": no match at all; "weak": never strong


@dataclass
class State:
    """How a source must end: one of ``status``, its error holding one of ``reason`` (if any)."""

    source: str
    status: tuple[str, ...]
    reason: tuple[str, ...] = ()


@dataclass
class Built:
    sources: list[str]  # what to scan: "{out}/..." paths or database URIs
    expect: list[Expect] = field(default_factory=list)
    decoys: list[Decoy] = field(default_factory=list)
    states: list[State] = field(default_factory=list)
    rows: int = 0  # data rows written into the case's tables (for the benchmark)
    password: str | None = None
    encoding: str | None = None
    #: Every match must be an expected survivor or an allowed weak decoy.
    exact: bool = True
    xfail: str | None = None  # a known verifydel bug this case shows
    skip: str | None = None  # the builder could not make the case on this machine
    #: Clear values (a planted survivor's name, address, phone as written) that the case's
    #: report entries (sources and matches, scanned without --show-values) must not hold.
    absent: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Case:
    name: str
    kind: str
    build: Callable[[Any], Built]
    needs: tuple[str, ...] = ()
    pending: str | None = None  # a module (or "pkg/_glob*.py" file pattern) another helper is adding


CASES: dict[str, Case] = {}


def case(name: str, kind: str, *, needs: tuple[str, ...] = (), pending: str | None = None) -> Callable:
    """Register the decorated builder under ``name``."""
    if kind not in KINDS:
        raise ValueError(kind)

    def register(fn: Callable[[Any], Built]) -> Callable[[Any], Built]:
        if name in CASES:
            raise ValueError(f"case {name} registered twice")
        CASES[name] = Case(name, kind, fn, needs, pending)
        return fn

    return register


def reader_present(pending: str) -> bool:
    """Whether the reader a pending case waits for exists in the installed verifydel."""
    if "*" in pending:  # a file pattern inside the verifydel package, e.g. "formats/_sqlite_*.py"
        spec = importlib.util.find_spec("verifydel")
        assert spec is not None and spec.origin is not None
        return any(Path(spec.origin).parent.glob(pending))
    try:
        return importlib.util.find_spec(pending) is not None
    except ModuleNotFoundError:
        return False


def to_json(built: Built) -> dict[str, Any]:
    return asdict(built)


def from_json(data: dict[str, Any]) -> Built:
    return Built(
        sources=data["sources"],
        expect=[Expect(**{**e, "offset": tuple(e["offset"]) if e["offset"] else None}) for e in data["expect"]],
        decoys=[Decoy(**d) for d in data["decoys"]],
        states=[State(s["source"], tuple(s["status"]), tuple(s["reason"])) for s in data["states"]],
        **{k: data[k] for k in ("rows", "password", "encoding", "exact", "xfail", "skip")},
        absent=list(data.get("absent", [])),
    )


def resolve(text: str, out: Path) -> str:
    return text.replace(OUT, str(out))


__all__ = ["CASES", "KINDS", "OUT", "Built", "Case", "Decoy", "Expect", "State", "case", "from_json", "reader_present",
           "resolve", "to_json"]  # fmt: skip
