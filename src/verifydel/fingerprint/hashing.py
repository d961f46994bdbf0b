"""Keyed fingerprints: xxh3-64 under a per-combination seed derived from the secret.

A fingerprint of combination ``c`` over normalised values ``v1..vn`` is
``xxh3_64(v1 + US + ... + vn, seed=Secret.fingerprint_seed(c))`` with US the
unit separator U+001F and the values UTF-8 encoded; null when any value is null.
The vectorised form (polars-hash) and the reference form (python-xxhash) are
pinned bit for bit by the known-answer vectors in fingerprints/vectors/.

xxh3 is fast, not a cryptographic PRF: the fingerprints are protected by the
pack's authenticated encryption, and whoever holds pack and key can test
guesses anyway (see CONTRACT.md "Threat model").
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl
import polars_hash  # noqa: F401  (registers the .nchash namespace)
import xxhash

from verifydel.fields import COMBINATIONS
from verifydel.fingerprint.keys import Secret

SEPARATOR = "\x1f"
HASH_NAME = "xxh3-64"

COMBINATION_IDS: tuple[str, ...] = tuple(cid for cid, _ in COMBINATIONS)
COMBINATION_FIELDS: dict[str, tuple[str, ...]] = dict(COMBINATIONS)
#: The small integer each combination is stored under in the pack (position in COMBINATIONS).
COMBINATION_CODE: dict[str, int] = {cid: i for i, cid in enumerate(COMBINATION_IDS)}


def fingerprint_expr(secret: Secret, domain: str, values: Sequence[pl.Expr]) -> pl.Expr:
    """Vectorised fingerprint of ``values`` (pl.String exprs) in ``domain``; u64, null if any is null."""
    joined = values[0] if len(values) == 1 else pl.concat_str(list(values), separator=SEPARATOR)
    return joined.nchash.xxh3_64(seed=secret.fingerprint_seed(domain))


def fingerprint_reference(secret: Secret, domain: str, values: Sequence[str]) -> int:
    """One fingerprint the slow, obvious way (for vectors and tests only)."""
    data = SEPARATOR.join(values).encode("utf-8")
    return xxhash.xxh3_64_intdigest(data, seed=secret.fingerprint_seed(domain))


def field_domain(field: str) -> str:
    """The domain of a single field's fingerprint (used for corroboration)."""
    return field
