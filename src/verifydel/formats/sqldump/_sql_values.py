"""The rows of INSERT ... VALUES lists, read a block at a time without a per-character loop.

numpy finds the structure of a block: which quotes open and close strings (an
escaped or doubled quote does not), and which parentheses, commas and semicolons
lie outside strings. The rows of the block are checked against it (the same
number of values in every row, only whitespace between rows, each ";" followed
by the same statement head or ending the run) and their cells are laid out as
one CSV text that polars reads in one call. Cells that are not plain quoted
strings, bare numbers/words or NULL (hex and bit literals, introducers, E''
strings, doubled quotes) are decoded one by one in Python. A block the fast path
cannot read (double-quoted strings, a malformed row) goes through the slow path
(``_sql_slow``), a regex per literal, which also says exactly where a row is malformed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Final

import numpy as np
import polars as pl

from verifydel.errors import FormatError
from verifydel.formats.sqldump import _sql_slow
from verifydel.formats.sqldump._sql import READ_BYTES, Place, Window
from verifydel.formats.sqldump._sql_slow import first_row
from verifydel.formats.sqldump._sql_run import Literals, Run

OPEN, CLOSE, COMMA, SEMI, QUOTE, DQUOTE, DOLLAR, BACKSLASH, NEWLINE = b"(),;'\"$\\\n"

#: Semicolons compared at once against the learnt statement glue (bounds a 2-D array).
_GLUE_CHUNK: Final = 1 << 16

_SPACE = np.zeros(256, dtype=bool)
_SPACE[list(b" \t\n\r\f\v")] = True
_STRUCTURE = np.zeros(256, dtype=bool)
_STRUCTURE[[OPEN, CLOSE, COMMA, SEMI]] = True
_NO_POSITIONS = np.zeros(0, dtype=np.int64)


@dataclass
class _Step:
    consumed: int  # bytes of the window read
    ended: bool = False  # the run's final ";" was read
    frame: pl.DataFrame | None = None
    error_at: int | None = None  # stream offset of a malformed row, raised after ``frame``


def _skim(window: Window, run: Run, lit: Literals) -> _Step | None:
    """The index pass's fast path: where the run ends, from its quotes and semicolons only."""
    size, base = window.available, window.pos
    if size == 0 or window.buf[base : base + 1] != b"(":
        return None
    arr = np.frombuffer(window.buf, dtype=np.uint8, count=size, offset=base)
    quotes = np.flatnonzero(arr == QUOTE)
    if lit.backslash_escapes and window.buf.find(b"\\", base, base + size) >= 0:
        escapes = escaping(np.flatnonzero(arr == BACKSLASH))
        quotes = np.delete(quotes, _escaped(quotes, np.arange(quotes.size), escapes + 1))

    def outside(positions: np.ndarray) -> np.ndarray:
        even: np.ndarray = (np.searchsorted(quotes, positions) & 1) == 0
        return even

    spos = np.flatnonzero(arr == SEMI)
    spos = spos[outside(spos)]

    def close_before(i: int) -> int:
        return window.buf.rfind(b")", base, base + int(spos[i])) - base

    bounds = _bounds(window, run, lit, arr, spos, close_before)
    if bounds is None:
        return None
    limit, ended, glue_from, glue_to = bounds
    odd = [np.flatnonzero(arr[:limit] == byte) for byte in lit.unusual]
    odd = [positions[outside(positions)] for positions in odd]
    if lit.e_strings and quotes.size:
        openers = quotes[0::2]
        openers = openers[openers > 0]
        odd.append(openers[(arr[openers - 1] | 0x20) == ord("e")])
    if odd and _odd_before(np.sort(np.concatenate(odd)), limit, glue_from, glue_to):
        return None
    if run.width is None:
        row = first_row(window.buf, base, lit, window.eof)
        if row is None:
            return _Step(0)
        if isinstance(row, int):
            return None
        run.width = len(row[0])
    if not ended:  # cut before the last row that may be incomplete
        opens = np.flatnonzero(arr[:limit] == OPEN)
        opens = opens[outside(opens)]
        limit = int(max(glue_to[-1] if glue_to.size else 0, opens[-1] if opens.size else 0))
    return _Step(limit, ended)


def read_values(
    window: Window, run: Run, lit: Literals, place: Place, *, build: bool
) -> Iterator[pl.DataFrame]:
    """The rows of a run, from its first "(" to its final ";" (``window.pos`` left after it).

    Frames have columns c0..c{width-1}, all text. Without ``build`` nothing is
    decoded: only the end of the run and its row width are found (the index pass).
    """
    while True:
        window.ensure(READ_BYTES)
        fast = _fast(window, run, lit, build) if build else _skim(window, run, lit)
        step = fast or _slow(window, run, lit, build)
        if step.frame is not None and step.frame.height:
            yield step.frame
        if step.error_at is not None:
            raise FormatError(
                f"malformed {lit.dialect} INSERT statement at {place(step.error_at)}",
                hint="the rows before it were scanned; the dump may be truncated, corrupt "
                "or hand-edited",
            )
        window.pos += step.consumed
        if step.ended:
            return
        if step.consumed == 0:
            if window.eof:
                raise FormatError(
                    f"the dump ends inside an INSERT statement at {place(window.offset)}",
                    hint="the rows before it were scanned; the dump is truncated",
                )
            window.grow()


# --- the fast path ---------------------------------------------------------------


@dataclass
class _Marks:
    pos: np.ndarray  # positions of ( ) , ; outside strings, ascending
    char: np.ndarray
    quotes: np.ndarray  # how many string quotes come before each of them
    escapes: np.ndarray  # positions of backslashes that escape the next byte
    odd: np.ndarray  # positions of what the fast path cannot read (" outside strings, E'')

    def subset(self, keep: np.ndarray | slice) -> _Marks:
        return _Marks(self.pos[keep], self.char[keep], self.quotes[keep], self.escapes, self.odd)


def _fast(window: Window, run: Run, lit: Literals, build: bool) -> _Step | None:
    size = window.available
    if size == 0:
        return None
    arr = np.frombuffer(window.buf, dtype=np.uint8, count=size, offset=window.pos)
    marks = _marks(arr, lit)
    if not marks.pos.size or marks.pos[0] != 0 or marks.char[0] != OPEN:
        return None
    semis = np.flatnonzero(marks.char == SEMI)

    def close_before(i: int) -> int:
        k = int(semis[i])
        return int(marks.pos[k - 1]) if k and marks.char[k - 1] == CLOSE else -1

    bounds = _bounds(window, run, lit, arr, marks.pos[semis], close_before)
    if bounds is None:
        return None
    limit, ended, glue_from, glue_to = bounds
    if _odd_before(marks.odd, limit, glue_from, glue_to):
        return None
    keep = marks.pos < limit
    if glue_from.size:
        at = np.searchsorted(glue_from, marks.pos, side="left") - 1  # glue_from[at] < pos
        keep &= ~((at >= 0) & (marks.pos < glue_to[np.maximum(at, 0)]))
    marks = marks.subset(keep)
    if not ended:
        opens = np.flatnonzero(marks.char == OPEN)
        limit = int(marks.pos[opens[-1]])  # the last row may be cut: read with the next block
        if limit == 0:
            return _Step(0)
        marks = marks.subset(slice(0, int(opens[-1])))
    if run.width is None:
        closes = np.flatnonzero(marks.char == CLOSE)
        if not closes.size or not (marks.char[1 : closes[0]] == COMMA).all():
            return None
        run.width = int(closes[0])
    if not build:
        return _Step(limit, ended)
    frame = _frame(window, arr, marks, run.width, lit, limit)
    return None if frame is None else _Step(limit, ended, frame)


def _marks(arr: np.ndarray, lit: Literals) -> _Marks:
    """Quotes, escapes and structure of a block."""
    candidate = (arr - np.uint8(DQUOTE)) <= np.uint8(COMMA - DQUOTE)  # " # $ % & ' ( ) * + ,
    candidate |= arr == SEMI
    pos = np.flatnonzero(candidate)
    char = arr[pos]
    is_quote = char == QUOTE
    escapes = _NO_POSITIONS
    if lit.backslash_escapes:
        backslashes = np.flatnonzero(arr == BACKSLASH)
        if backslashes.size:
            escapes = escaping(backslashes)
            is_quote[_escaped(pos, np.flatnonzero(is_quote), escapes + 1)] = False
    count = np.cumsum(is_quote, dtype=np.int32)  # int32: four times faster than the default
    inside = (count & 1) == 1  # for a quote: it opens a string
    outside = ~inside & ~is_quote
    odd = pos[outside & np.isin(char, lit.unusual_bytes)] if lit.unusual else _NO_POSITIONS
    if lit.e_strings:
        openers = pos[is_quote & inside]
        openers = openers[openers > 0]
        odd = np.union1d(odd, openers[(arr[openers - 1] | 0x20) == ord("e")])
    structural = outside & _STRUCTURE[char]
    return _Marks(pos[structural], char[structural], count[structural], escapes, odd)


def _odd_before(odd: np.ndarray, limit: int, glue_from: np.ndarray, glue_to: np.ndarray) -> bool:
    """Whether something the fast path cannot read lies in the rows before ``limit``
    (statement heads between the rows of a run may hold anything)."""
    odd = odd[odd < limit]
    if odd.size and glue_from.size:
        at = np.searchsorted(glue_from, odd, side="right") - 1
        odd = odd[~((at >= 0) & (odd < glue_to[np.maximum(at, 0)]))]
    return bool(odd.size)


def escaping(backslashes: np.ndarray) -> np.ndarray:
    """Of runs of backslashes, the 1st, 3rd, ... : those that escape the byte after them."""
    starts = np.empty(backslashes.size, dtype=bool)
    starts[0] = True
    starts[1:] = backslashes[1:] != backslashes[:-1] + 1
    run_start = np.maximum.accumulate(np.where(starts, backslashes, 0))
    escaping_ones: np.ndarray = backslashes[((backslashes - run_start) & 1) == 0]
    return escaping_ones


def _escaped(pos: np.ndarray, quote_at: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """The indices (into ``pos``) of the quotes at one of ``targets`` (few: searched for)."""
    quote_pos = pos[quote_at]
    at = np.minimum(np.searchsorted(quote_pos, targets), max(quote_pos.size - 1, 0))
    found: np.ndarray = quote_at[at[quote_pos[at] == targets]] if quote_pos.size else quote_at[:0]
    return found


def _bounds(
    window: Window,
    run: Run,
    lit: Literals,
    arr: np.ndarray,
    spos: np.ndarray,
    close_before: Callable[[int], int],
) -> tuple[int, bool, np.ndarray, np.ndarray] | None:
    """Where the block's rows end: (limit, run ended, continuation glue starts, ends).

    ``spos`` are the semicolons outside strings; ``close_before(i)`` is where the ")"
    before the i-th one is (-1: none). Each such ";" either joins the next statement
    of the run (the same head follows) or ends the run. A ";" too close to the end of
    the block to tell limits the block to before it.
    """
    joined = np.zeros(spos.size, dtype=bool)
    after = np.zeros(spos.size, dtype=np.int64)  # where the next statement's first "(" is
    if run.glue is not None:
        _match_glue(arr, spos, run, joined, after, 0)
    limit, ended = arr.size, False
    i = 0
    while i < spos.size:
        if joined[i]:
            i += 1
            continue
        s, close = int(spos[i]), close_before(i)
        if close < 0:
            return None
        found = run.continuation(lit).match(window.buf, window.pos + close + 1)
        if found is not None and found.start(1) - window.pos == s:
            joined[i], after[i] = True, found.end() - window.pos
            if run.glue is None:
                run.glue = bytes(window.buf[window.pos + close + 1 : found.end()])
                run.glue_semi = s - close - 1
                _match_glue(arr, spos, run, joined, after, i + 1)
            i += 1
            continue
        if not window.eof and s + 1 + len(run.head) + _sql_slow.DECIDE_BYTES > arr.size:
            limit = s  # undecided: the row before it is read with the next block
            break
        ending = run.end(lit).match(window.buf, window.pos + close + 1)
        if ending is None or ending.end() - window.pos != s + 1:
            return None
        limit, ended = s + 1, True
        break
    chosen = joined & (spos < limit)
    return limit, ended, spos[chosen], after[chosen]


def _match_glue(
    arr: np.ndarray, spos: np.ndarray, run: Run, joined: np.ndarray, after: np.ndarray, first: int
) -> None:
    """Marks the semicolons from ``first`` on that sit in exactly the glue learnt before."""
    assert run.glue is not None
    glue = np.frombuffer(run.glue, dtype=np.uint8)
    before, behind = run.glue_semi, glue.size - run.glue_semi - 1
    steps = np.arange(glue.size)
    for lo in range(first, spos.size, _GLUE_CHUNK):
        s = spos[lo : lo + _GLUE_CHUNK]
        ok = (s - before - 1 >= 0) & (s + behind + 1 < arr.size)
        at = np.flatnonzero(ok) + lo
        s = spos[at]
        same = (arr[(s - before)[:, None] + steps] == glue).all(axis=1)
        same &= (arr[s - before - 1] == CLOSE) & (arr[s + behind + 1] == OPEN)
        joined[at[same]] = True
        after[at[same]] = s[same] + behind + 1


def _frame(
    window: Window, arr: np.ndarray, marks: _Marks, width: int, lit: Literals, limit: int
) -> pl.DataFrame | None:
    """The rows before ``limit`` as a frame, or None if they are not well formed."""
    per = width + 2  # "(", width-1 commas, ")", and the separator after the row
    if not marks.pos.size or marks.pos.size % per:
        return None
    rows = marks.pos.size // per
    shape, grid = marks.char.reshape(rows, per), marks.pos.reshape(rows, per)
    if not (
        (shape[:, 0] == OPEN).all()
        and (shape[:, 1:width] == COMMA).all()
        and (shape[:, width] == CLOSE).all()
        and ((shape[:, width + 1] == COMMA) | (shape[:, width + 1] == SEMI)).all()
    ):
        return None
    by_comma = shape[:, width + 1] == COMMA  # rows joined by ";" were checked with their statements
    next_open = np.append(grid[1:, 0], limit)
    gap_from = np.concatenate([grid[by_comma, width] + 1, grid[by_comma, width + 1] + 1])
    gap_to = np.concatenate([grid[by_comma, width + 1], next_open[by_comma]])
    if not _only_space(arr, gap_from, gap_to):
        return None
    raw_starts, raw_ends = (grid[:, :width] + 1).ravel(), grid[:, 1 : width + 1].ravel()
    starts, ends = _trim(arr, raw_starts, raw_ends)
    if (starts >= ends).any():
        return None
    counted = marks.quotes.reshape(rows, per)
    quotes = (counted[:, 1 : width + 1] - counted[:, :width]).ravel()
    first, last = arr[starts], arr[ends - 1]
    bare = quotes == 0
    special = ~(((first == QUOTE) & (last == QUOTE) & (quotes == 2)) | bare)
    special |= bare & (first == ord("_"))  # _binary 0x...
    length = ends - starts
    null = np.zeros(starts.size, dtype=bool)
    four = np.flatnonzero(bare & (length == 4))
    if four.size:  # NULL, any case
        word = np.stack([arr[starts[four] + k] | 0x20 for k in range(4)], axis=1)
        null[four[(word == np.frombuffer(b"null", dtype=np.uint8)).all(axis=1)]] = True
    zero = np.flatnonzero(bare & (first == ord("0")) & (length > 1))
    if zero.size:  # 0x... hex and 0b... bit literals
        second = arr[starts[zero] + 1] | 0x20
        special[zero[(second == ord("x")) | (second == ord("b"))]] = True
    unescape = np.zeros(starts.size, dtype=bool)
    csv = arr[:limit].copy()
    escapes = marks.escapes[marks.escapes < limit]
    if escapes.size:
        cell = np.searchsorted(starts, escapes, side="right") - 1
        if not ((cell >= 0) & (escapes < ends[np.maximum(cell, 0)])).all():
            return None
        escaped = arr[escapes + 1]
        special[cell[~lit.fast_escape[escaped]]] = True
        unescape[cell] = True
        csv[escapes[escaped == QUOTE]] = QUOTE  # \' becomes '' for the CSV reader
    dropped = special | null
    keep = np.ones(limit, dtype=bool)
    keep[
        _ranges(  # "(", whatever lies between ")" and the next "(", blanks and dropped cells
            np.concatenate([grid[:, 0], grid[:, width] + 1, raw_starts, ends, starts[dropped]]),
            np.concatenate([grid[:, 0] + 1, next_open, starts, raw_ends, ends[dropped]]),
        )
    ] = False
    csv[grid[:, width]] = NEWLINE
    text = csv[keep].tobytes()
    try:
        frame = _read_cells(text, width, "utf8")
    except pl.exceptions.ComputeError:
        # Bytes that are not UTF-8 (a BLOB dumped as a string): read again with them as
        # U+FFFD, and decode the cells holding one from their bytes (as "0x" + hex).
        try:
            frame = _read_cells(text, width, "utf8-lossy")
        except pl.exceptions.PolarsError:
            return None
        lossy = frame.select(pl.all().str.contains("\ufffd", literal=True).fill_null(False))
        special |= lossy.to_numpy().ravel() & ~null
    except pl.exceptions.PolarsError:
        return None
    if frame.height != rows:
        return None
    return _finish(window, frame, starts, ends, special, unescape & ~special, lit)


def _read_cells(text: bytes, width: int, encoding: str) -> pl.DataFrame:
    return pl.read_csv(
        text,
        has_header=False,
        separator=",",
        quote_char="'",
        eol_char="\n",
        schema={f"c{j}": pl.String for j in range(width)},
        encoding=encoding,
        raise_if_empty=False,
    )


def _finish(
    window: Window,
    frame: pl.DataFrame,
    starts: np.ndarray,
    ends: np.ndarray,
    special: np.ndarray,
    unescape: np.ndarray,
    lit: Literals,
) -> pl.DataFrame:
    """Backslash escapes decoded by polars, unusual literals one by one in Python."""
    width, base = frame.width, window.pos
    fixes: dict[int, list[tuple[int, str | None]]] = {}
    for at in np.flatnonzero(special).tolist():
        raw = window.buf[base + int(starts[at]) : base + int(ends[at])]
        fixes.setdefault(at % width, []).append((at // width, lit.decode(raw)))
    return patch_cells(frame, fixes, unescape.reshape(-1, width), lit.escape_pairs)


def patch_cells(
    frame: pl.DataFrame,
    fixes: dict[int, list[tuple[int, str | None]]],
    unescape: np.ndarray,
    escape_pairs: tuple[list[str], list[str]],
) -> pl.DataFrame:
    """``frame`` with the cells ``unescape`` marks (rows x columns) escape-decoded by polars
    and the cells in ``fixes`` (column → [(row, text)]) replaced."""
    if not fixes and not unescape.any():
        return frame
    patterns, texts = escape_pairs
    columns = []
    for j in range(frame.width):
        column = frame.to_series(j)
        at_rows = np.flatnonzero(unescape[:, j])
        if at_rows.size:
            column = column.scatter(
                at_rows, column.gather(at_rows).str.replace_many(patterns, texts)
            )
        if j in fixes:
            rows, values = zip(*fixes[j], strict=True)
            column = column.scatter(list(rows), pl.Series(values, dtype=pl.String))
        columns.append(column)
    return pl.DataFrame(columns)


def _ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Every position in the half-open ranges [starts, ends) (empty ones skipped)."""
    lengths = ends - starts
    nonempty = lengths > 0
    starts, lengths = starts[nonempty], lengths[nonempty]
    if not starts.size:
        return _NO_POSITIONS
    return np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())


def _trim(arr: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    last = arr.size - 1
    while (move := (starts < ends) & _SPACE[arr[np.minimum(starts, last)]]).any():
        starts = starts + move
    while (move := (ends > starts) & _SPACE[arr[np.maximum(ends - 1, 0)]]).any():
        ends = ends - move
    return starts, ends


def _only_space(arr: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> bool:
    lengths = ends - starts
    if (lengths < 0).any():
        return False
    return bool(_SPACE[arr[_ranges(starts, ends)]].all())


# --- the slow path ----------------------------------------------------------------


def _slow(window: Window, run: Run, lit: Literals, build: bool) -> _Step:
    """Rows one literal at a time (see ``_sql_slow``), up to about one block."""
    consumed, ended, frame, error_at = _sql_slow.slow_rows(window, run, lit, build)
    return _Step(consumed, ended, frame, error_at)
