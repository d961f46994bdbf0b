"""Synthetic demo data: a leaked set, a broker folder with survivors and decoys, the answer key.

Public API:

- ``make_demo(directory, *, seed=2023, records=3000) -> DemoManifest``: writes
  ``leaked.csv``, ``broker/`` and ``answer_key.json``.
- ``DemoManifest`` (``.load(path)``, ``.write()``), ``PlantedSurvivor``, ``PlantedDecoy``.
- ``check_matches(manifest, matches) -> DemoCheck``: a scan's matches against the key.
"""

from __future__ import annotations

from verifydel.demo.manifest import (
    DemoCheck,
    DemoManifest,
    PlantedDecoy,
    PlantedSurvivor,
    check_matches,
)
from verifydel.demo.synth import make_demo

__all__ = [
    "DemoCheck",
    "DemoManifest",
    "PlantedDecoy",
    "PlantedSurvivor",
    "check_matches",
    "make_demo",
]
