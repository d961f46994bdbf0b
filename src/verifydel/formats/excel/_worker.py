"""The Excel worker: calamine run in a process of its own, under a memory limit.

calamine is native code: a forged workbook can make it ask for a 128 GiB grid
(Rust aborts the process), panic, or crash. It therefore never runs in the
scanner's process. The scanner starts this file as a script
(``python -P _worker.py MEMORY``, see ``_process``): it limits its own address
space (RLIMIT_AS) before importing calamine, reads one request (a JSON line) on
stdin and writes frames to stdout, each a 4-byte big-endian length and a JSON
document whose values are text (never a pickle: the parent trusts nothing a
crashed worker may have written):

- ``{"op": "sheets", "path": P, "skip": [S...]}`` → ``{"sheets": [{"name", "visible", "chart", "header"}]}``
  (``header``: the first non-empty row's cells as text, None for an empty sheet or
  one in ``skip``, which the scanner refused without calamine parsing it)
- ``{"op": "rows", "path": P, "sheet": S, "width": W, "batch": N}`` → ``{"columns": [...]}``
  frames of at most N rows, the header skipped, then ``{"done": true}``
- a failure calamine reports → ``{"error": "password" | "corrupt" | "panic"}``.

Nothing here imports verifydel or polars: the worker stays small (about 15 MB),
and ``_workbook`` imports ``cell_text`` from here so both read cells alike.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import sys
from collections.abc import Callable, Sequence
from itertools import islice
from typing import Any, BinaryIO, Final

#: Whole floats below this are written without ".0" (``core.cells.EXACT_FLOAT_LIMIT``).
EXACT_FLOAT_LIMIT: Final = float(2**53)
#: Cells per frame at most, whatever the width (a batch of a 16 384-column sheet is short).
MAX_FRAME_CELLS: Final = 2_000_000


def _float_text(value: float) -> str:
    """9012345678.0 → "9012345678" (a phone stored as a number; the normaliser restores its 0)."""
    if math.isfinite(value) and value.is_integer() and abs(value) < EXACT_FLOAT_LIMIT:
        return str(int(value))
    return repr(value)


def _datetime_text(value: dt.datetime) -> str:
    if value.time() == dt.time(0):
        return value.date().isoformat()
    return value.isoformat(sep=" ")


#: Cell text by exact Python type (looked up by type(value), so a bool is not taken for an int).
_CELL_TEXT: Final[dict[type, Callable[[Any], str | None]]] = {
    str: lambda value: value or None,
    float: _float_text,
    int: str,
    bool: lambda value: "TRUE" if value else "FALSE",
    dt.datetime: _datetime_text,
    dt.date: dt.date.isoformat,
    dt.time: dt.time.isoformat,
    dt.timedelta: str,
}


def cell_text(value: object) -> str | None:
    """One calamine cell as text; empty cells as None."""
    if value is None:
        return None
    convert = _CELL_TEXT.get(type(value))
    return convert(value) if convert is not None else str(value)


def column_texts(values: Sequence[object]) -> list[str | None]:
    """A column of cells as text (a column of text cells, the common case, without a lookup per cell)."""
    if set(map(type, values)) <= {str}:
        return [value or None for value in values]  # type: ignore[misc]
    return [cell_text(value) for value in values]


def is_empty_row(row: Sequence[object]) -> bool:
    return all(value == "" or value is None for value in row)


def _send(out: BinaryIO, doc: object) -> None:
    data = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    out.write(len(data).to_bytes(4, "big") + data)
    out.flush()


def _sheets(calamine: Any, path: str, skip: list[str], out: BinaryIO) -> None:
    sheets = []
    with calamine.CalamineWorkbook.from_path(path) as workbook:
        for meta in workbook.sheets_metadata:
            visible = "visible"
            if meta.visible == calamine.SheetVisibleEnum.Hidden:
                visible = "hidden"
            elif meta.visible == calamine.SheetVisibleEnum.VeryHidden:
                visible = "very hidden"
            chart = meta.typ == calamine.SheetTypeEnum.ChartSheet
            header = None
            if not chart and meta.name not in skip:
                rows = workbook.get_sheet_by_name(meta.name).iter_rows()
                first = next((row for row in rows if not is_empty_row(row)), None)
                header = None if first is None else [cell_text(value) for value in first]
            sheets.append({"name": meta.name, "visible": visible, "chart": chart, "header": header})
    _send(out, {"sheets": sheets})


def _rows(calamine: Any, path: str, sheet: str, width: int, batch: int, out: BinaryIO) -> None:
    batch = max(1, min(batch, MAX_FRAME_CELLS // max(1, width)))
    with calamine.CalamineWorkbook.from_path(path) as workbook:
        rows = workbook.get_sheet_by_name(sheet).iter_rows()
        for row in rows:
            if not is_empty_row(row):
                break  # the header
        while chunk := list(islice(rows, batch)):
            cells = zip(*(row[:width] + [""] * (width - len(row)) for row in chunk), strict=True)
            _send(out, {"columns": [column_texts(values) for values in cells]})
    _send(out, {"done": True})


def main(argv: list[str]) -> int:
    import resource

    memory = int(argv[1])
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    if hard != resource.RLIM_INFINITY:
        memory = min(memory, hard)  # never above what this process was given
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    import python_calamine as calamine

    out = sys.stdout.buffer
    request = json.loads(sys.stdin.readline())
    try:
        if request["op"] == "sheets":
            _sheets(calamine, request["path"], request.get("skip", []), out)
        else:
            _rows(calamine, request["path"], request["sheet"], request["width"], request["batch"], out)
    except calamine.PasswordError:
        _send(out, {"error": "password"})
    except (calamine.CalamineError, OSError, ValueError):
        _send(out, {"error": "corrupt"})
    except MemoryError:
        return 3  # the parent reads a missing frame with this code as "out of memory"
    except BaseException:  # noqa: BLE001 - a Rust panic (pyo3's PanicException) is a BaseException
        _send(out, {"error": "panic"})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
