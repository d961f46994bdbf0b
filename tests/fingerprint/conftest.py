"""Fixtures of the key and pack tests."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest


@contextmanager
def no_hang(seconds: float = 10):
    """Interrupts a blocking open()/read() (a FIFO without a writer) instead of hanging the suite."""

    def _raise(signum: int, frame: object) -> None:
        raise TimeoutError(f"blocked for {seconds} s")

    old = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@pytest.fixture
def bounded() -> Callable[..., AbstractContextManager[None]]:
    """``with bounded():`` fails a blocking open()/read() after 10 s instead of hanging."""
    return no_hang
