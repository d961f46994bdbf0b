"""benchmarks/corpus.py still runs end to end (tiny: two kinds, scale 1) and checks the answer.

No timing is asserted: only that every step ran, the table was written, and every
planted survivor of the measured kinds was found.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_corpus_benchmark_smoke(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "corpus.py"), "--scale", "1", "--kinds", "text,sqlite",
         "--no-databases", "--out", str(tmp_path / "corpus"), "--results", str(results)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    table = results.read_text(encoding="utf-8")
    lines = [line for line in table.splitlines() if line.startswith(("| text ", "| sqlite "))]
    assert len(lines) == 2 and all(line.endswith("| ok |") for line in lines), table
    assert "--kinds text,sqlite" in table
