"""Ordered, bounded parallel map over threads (polars releases the GIL while it computes)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: Items in flight per worker: enough to keep the workers busy while the reader reads on.
IN_FLIGHT_PER_WORKER = 2


def ordered_map(fn: Callable[[T], R], items: Iterable[T], workers: int) -> Iterator[R]:
    """``map(fn, items)`` on ``workers`` threads, results in input order.

    At most ``IN_FLIGHT_PER_WORKER * workers`` items are read ahead, so memory
    stays bounded. If reading ``items`` fails, the results of every item read
    before the failure are still yielded, then the error is raised.
    """
    workers = max(1, workers)
    if workers == 1:
        yield from map(fn, items)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending: deque[Future[R]] = deque()
        try:
            for item in items:
                pending.append(pool.submit(fn, item))
                while len(pending) > IN_FLIGHT_PER_WORKER * workers:
                    yield pending.popleft().result()
        except Exception:
            while pending:
                yield pending.popleft().result()
            raise
        while pending:
            yield pending.popleft().result()
