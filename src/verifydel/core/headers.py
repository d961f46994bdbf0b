"""Header names as every Table has them: trimmed, never empty, unique."""

from __future__ import annotations

from collections.abc import Sequence


def positional_names(count: int) -> list[str]:
    """column_1 .. column_N: the names of a table without a header row."""
    return [f"column_{i}" for i in range(1, count + 1)]


def unique_column_names(raw: Sequence[str | None]) -> list[str]:
    """Names for the header cells ``raw``, in order.

    Surrounding whitespace (and a stray BOM) is trimmed; an empty cell at 1-based
    position i becomes "column_i"; a repeated name gets "_2", "_3"... ("TEL",
    "TEL_2"), skipping any suffix that another header already uses.
    """
    filled = [
        name if name else f"column_{i}"
        for i, name in enumerate(((cell or "").strip().strip("\ufeff").strip() for cell in raw), 1)
    ]
    taken = set(filled)
    seen: set[str] = set()
    names: list[str] = []
    for name in filled:
        unique = name
        if name in seen:
            k = 2
            while f"{name}_{k}" in taken:
                k += 1
            unique = f"{name}_{k}"
            taken.add(unique)
        seen.add(unique)
        names.append(unique)
    return names
