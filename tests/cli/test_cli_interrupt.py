"""Ctrl-C stops a scan, even one facing reads that block, and leaves no temporary file behind.

Real processes, real signals: ``python -m verifydel scan`` in a child, SIGINT sent
after a moment. Every wait is bounded by a timeout, so a regression fails, never hangs.
"""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from verifydel.cli.interrupts import INTERRUPTED_EXIT
from verifydel.core.tempfiles import PREFIX
from verifydel.exitcodes import ExitCode

#: How long an interrupted process may take to end (its grace period is 5 s).
ENDS_WITHIN = 20.0
INTERRUPTED = {int(ExitCode.INTERNAL_ERROR), int(ExitCode.INCOMPLETE)}  # 1: KeyboardInterrupt; 4: the CLI's own handler, or the watcher


def _kmsg_readable() -> bool:
    return os.path.exists("/proc/kmsg") and os.access("/proc/kmsg", os.R_OK)


def _start(argv: list[str], tmp: Path, cwd: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "TMPDIR": str(tmp), "PYTHONIOENCODING": "utf-8"}
    return subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _interrupt(proc: subprocess.Popen[str], after: float) -> tuple[int, str]:
    time.sleep(after)
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=ENDS_WITHIN)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail(f"still running {ENDS_WITHIN:g} s after SIGINT")
    return proc.returncode, err


def _leftovers(tmp: Path) -> list[str]:
    return [p.name for p in tmp.iterdir() if p.name.startswith(PREFIX)]


def test_a_scan_of_a_folder_with_a_fifo_and_a_link_to_kmsg_ends_on_sigint(sealed: Path) -> None:
    """Before: the link to /proc/kmsg was read and blocked; SIGINT landed on a polars thread and
    the scan never ended. Now neither it nor the FIFO is opened; the scan goes on to a large
    compressed CSV (spooled to a temporary file), and Ctrl-C in the middle of it ends the scan."""
    broker = sealed / "broker"
    broker.mkdir()
    os.mkfifo(broker / "a_pipe.csv")
    if _kmsg_readable():
        (broker / "a_kmsg.csv").symlink_to("/proc/kmsg")
    rows = "".join(f"別人{i},03{i:08d}\n" for i in range(2_000_000))  # some seconds to scan
    (broker / "big.csv.gz").write_bytes(gzip.compress(("名前,TEL\n" + rows).encode(), 1))
    tmp = sealed / "tmp"
    tmp.mkdir()
    proc = _start([sys.executable, "-m", "verifydel", "scan", "broker", "--pack", "p.vdpack", "--key", "k.key",
                   "--follow-symlinks"], tmp, sealed)  # fmt: skip
    deadline = time.monotonic() + 60  # the signal lands while the big member is being read, however fast
    while not _leftovers(tmp) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _leftovers(tmp), "the compressed CSV was never spooled (the scan did not get past the FIFO and link)"
    code, err = _interrupt(proc, after=0.2)
    assert code in INTERRUPTED, err[-2000:]
    assert _leftovers(tmp) == []


GUARDED_READ = textwrap.dedent(
    """
    import os, sys, threading
    import polars as pl
    from verifydel.cli.interrupts import interruptible
    from verifydel.core.tempfiles import new_private_file

    pl.DataFrame({"a": list(range(100_000))}).sort("a")  # polars' threads exist: SIGINT may land there
    new_private_file()  # a temporary file, as a member being spooled
    where = sys.argv[2]
    def block():
        if where == "main":
            with open(sys.argv[1], "rb") as fh:  # a FIFO nobody writes to: blocks for ever
                fh.read(1)
        else:  # a pipe whose writer is this process: nothing ever ends the read
            read_end, write_end = os.pipe()
            os.read(read_end, 1)
    print("reading", flush=True)
    try:
        with interruptible():
            if where == "main":
                block()
            else:  # blocked on a non-daemon thread: the interpreter cannot exit by itself
                finished = threading.Event()
                threading.Thread(target=lambda: (block(), finished.set())).start()
                finished.wait()  # (not join(): an interrupted join marks the thread as ended)
    except KeyboardInterrupt:
        sys.exit(1)
    """
)


@pytest.mark.parametrize("where", ["main", "worker"])
def test_a_read_that_blocks_does_not_make_ctrl_c_ineffective(tmp_path: Path, where: str) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    proc = _start([sys.executable, "-c", GUARDED_READ, str(fifo), where], tmp, tmp_path)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "reading"
    code, err = _interrupt(proc, after=1.0)
    if where == "main":  # KeyboardInterrupt raised in the main thread's read
        assert code == 1, err[-2000:]
    else:  # the interpreter could not exit: ended by the watcher after its grace period
        assert code == INTERRUPTED_EXIT and "a read did not stop" in err, err[-2000:]
    assert _leftovers(tmp) == []


STUCK_SCAN = textwrap.dedent(
    """
    import os, sys, threading
    from verifydel.cli.interrupts import interruptible
    from verifydel.core.stop import StopRequest
    from verifydel.core.tempfiles import new_private_file

    new_private_file()  # a temporary file, as a member being spooled
    stop = StopRequest()
    print("reading", flush=True)
    with interruptible(stop, grace=float(sys.argv[1])):
        read_end, write_end = os.pipe()
        threading.Thread(target=lambda: os.read(read_end, 1)).start()  # stuck, as in a C call
        while True:
            threading.Event().wait(0.05)
            if stop.requested:
                print("asked to stop", flush=True)
                threading.Event().wait()  # but the read it waits for never ends
    """
)


def test_a_scan_that_does_not_stop_within_its_grace_period_is_ended(tmp_path: Path) -> None:
    """The first SIGINT only asks a scan to stop (it then writes its report); one that cannot
    (a read stuck in a C call) is ended when the grace period is over: exit 4, no temporary file."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    proc = _start([sys.executable, "-c", STUCK_SCAN, "1.0"], tmp, tmp_path)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "reading"
    started = time.monotonic()
    code, err = _interrupt(proc, after=0.2)
    assert code == INTERRUPTED_EXIT, err[-2000:]
    assert "did not stop within 1 s" in err and "stopping after the batch in hand" in err
    assert time.monotonic() - started >= 1.0
    assert _leftovers(tmp) == []
