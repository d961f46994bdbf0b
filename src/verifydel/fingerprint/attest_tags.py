"""The attestation tier's per-field "fingerprints": anchors and tags keyed by OPRF outputs.

Only phones and addresses go through the OPRF (every match needs one of them to agree).
For a value ``v`` of anchor field ``a`` (phone or address), ``y = F_k(input(a, v))`` is
its 64-byte OPRF output; from it, without any further question to the regulator:

- the *anchor* of ``v``:           ``H(d(a), y)``
- the *tag* of field ``f`` there:  ``H(d(f@a), y, w)`` for the row's normalised value ``w``
  of ``f`` (name, name_kana, postal, email, birth_date), e.g. ``name@phone``; and at an
  address anchor, the prefecture the address states: ``address_prefecture@address``.

with ``H(d, y[, w]) = u64_be(SHA-256(UTF-8(d) || US || hex(y[0:32]) [|| US || UTF-8(w)])[0:8])``,
``d(x) = "verifydel/attest/v1/" + x`` and US the unit separator U+001F. So a name is only
ever hashed together with an OPRF output: without the regulator's answer for the phone
or address it sits with, no tag can be recomputed from a guess.

Per row (and per leaked record) the columns ``<field>_fp`` hold: ``phone_fp`` the
anchors of its phones (List[u64]), ``address_fp`` the anchor of its address (u64), and
for every other field the list of its tags, one per anchor of the row (List[u64]).
A row and a record *agree* on a field when these intersect, which for a row and record
that share an anchor (every candidate pair does) is exactly "the normalised values are
equal": ``verifydel.match.grade`` grades them with the very rules of the full tier.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Final

import polars as pl
import polars_hash  # noqa: F401  (registers the .chash namespace)

from verifydel.fields import (
    ADDRESS,
    BIRTH_DATE,
    EMAIL,
    FIELDS,
    LISTED,
    MULTI_VALUED,
    NAME,
    NAME_KANA,
    PHONE,
    POSTAL,
)
from verifydel.fingerprint.hashing import COMBINATION_CODE
from verifydel.fingerprint.rows import FP_SUFFIX
from verifydel.normalise.batch import ADDRESS_PREFECTURE, ROW

#: The fields that go through the OPRF, in the order of their codes in request files.
ANCHORS: Final[tuple[str, ...]] = (PHONE, ADDRESS)
ANCHOR_CODE: Final[dict[str, int]] = {a: i for i, a in enumerate(ANCHORS)}
#: The fields only ever hashed together with an anchor's OPRF output.
TAGGED: Final[tuple[str, ...]] = (NAME, NAME_KANA, POSTAL, EMAIL, BIRTH_DATE)
DOMAIN_PREFIX: Final = "verifydel/attest/v1/"
TAG_HASH: Final = "sha256-64"
SEPARATOR: Final = "\x1f"
#: OPRF inputs: ``UTF-8(field) || 0x1F || UTF-8(value)``; a value too long for the RFC's
#: 2-byte length is replaced by its SHA-512, marked by 0x1E instead of 0x1F.
_LONG_MARK: Final = b"\x1e"
_MAX_PLAIN: Final = 60_000
#: Column names used here.
VALUE: Final = "value"
Y: Final = "_y"  # hex of the OPRF output's first 32 bytes
_TAG: Final = "_t"
_FIELD: Final = "_f"


def oprf_input(field: str, value: str) -> bytes:
    """The bytes evaluated under the OPRF for one normalised ``value`` of anchor ``field``."""
    data = value.encode("utf-8")
    if len(data) > _MAX_PLAIN:
        return field.encode("ascii") + _LONG_MARK + hashlib.sha512(data).digest()
    return field.encode("ascii") + SEPARATOR.encode("ascii") + data


def y_key(output: bytes) -> str:
    """What the tags are keyed with: the hex of the OPRF output's first 32 bytes."""
    return output[:32].hex()


def domain(name: str) -> str:
    return DOMAIN_PREFIX + name


def tag_domain(field: str, anchor: str) -> str:
    return domain(f"{field}@{anchor}")


def tag_reference(name: str, output: bytes, value: str | None = None) -> int:
    """One anchor (``value`` None) or tag, the slow obvious way (vectors and tests)."""
    text = domain(name) + SEPARATOR + y_key(output)
    if value is not None:
        text += SEPARATOR + value
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def _tag_expr(name: str, y: pl.Expr, value: pl.Expr | None = None) -> pl.Expr:
    """Vectorised ``tag_reference``: u64, null where ``y`` or ``value`` is null."""
    parts = [pl.lit(domain(name) + SEPARATOR), y]
    if value is not None:
        parts += [pl.lit(SEPARATOR), value]
    digest = pl.concat_str(parts).chash.sha2_256()
    return digest.str.slice(0, 16).str.to_integer(base=16, dtype=pl.UInt64)


def distinct_anchor_values(norm: pl.DataFrame) -> dict[str, pl.Series]:
    """Per anchor field: its distinct non-null normalised values in ``norm``."""
    out: dict[str, pl.Series] = {}
    for field in ANCHORS:
        col = norm.get_column(field)
        if field in MULTI_VALUED:
            col = col.explode()
        out[field] = col.drop_nulls().unique().sort().alias(VALUE)
    return out


def outputs_frame(values: Sequence[str], outputs: Sequence[bytes]) -> pl.DataFrame:
    """(value, _y) for one anchor field, from its values and their OPRF outputs."""
    return pl.DataFrame(
        {VALUE: list(values), Y: [y_key(o) for o in outputs]}, schema={VALUE: pl.String, Y: pl.String}
    )


def attested_fingerprints(norm: pl.DataFrame, outputs: Mapping[str, pl.DataFrame]) -> pl.DataFrame:
    """``_row`` plus ``<field>_fp`` for every field (see the module doc), from a normalised
    frame and, per anchor field, (value, _y) for (at least) every value it holds.
    A value without an output (none was asked for it) forms no anchor and no tag."""
    long: list[pl.LazyFrame] = []
    lf = norm.lazy()
    for anchor in ANCHORS:
        base = lf.select(ROW, anchor)
        if anchor in MULTI_VALUED:
            base = base.explode(anchor)
        keyed = base.join(outputs[anchor].lazy(), left_on=anchor, right_on=VALUE, how="inner").select(ROW, Y)
        long.append(keyed.select(ROW, pl.lit(anchor).alias(_FIELD), _tag_expr(anchor, pl.col(Y)).alias(_TAG)))
        with_values = keyed.join(lf.select(ROW, *TAGGED), on=ROW, how="left")
        for field in TAGGED:
            rows = with_values.select(ROW, Y, field)
            if field in LISTED and isinstance(norm.schema[field], pl.List):
                rows = rows.explode(field)
            tags = _tag_expr(f"{field}@{anchor}", pl.col(Y), pl.col(field))
            long.append(rows.select(ROW, pl.lit(field).alias(_FIELD), tags.alias(_TAG)).drop_nulls(_TAG))
        if anchor == ADDRESS and ADDRESS_PREFECTURE in norm.columns:
            # the prefecture the address states, tagged at the address's own anchor
            rows = keyed.join(lf.select(ROW, ADDRESS_PREFECTURE), on=ROW, how="left")
            tags = _tag_expr(f"{ADDRESS_PREFECTURE}@{anchor}", pl.col(Y), pl.col(ADDRESS_PREFECTURE))
            long.append(rows.select(ROW, pl.lit(ADDRESS_PREFECTURE).alias(_FIELD), tags.alias(_TAG)).drop_nulls(_TAG))
    tags = pl.concat(long).unique().collect()
    out = norm.select(ROW)
    for field in FIELDS:
        mine = tags.filter(pl.col(_FIELD) == field)
        if field == ADDRESS:
            per_row = mine.group_by(ROW).agg(pl.col(_TAG).first().alias(field + FP_SUFFIX))
        else:
            per_row = mine.group_by(ROW).agg(pl.col(_TAG).sort().alias(field + FP_SUFFIX))
        out = out.join(per_row, on=ROW, how="left", maintain_order="left")
    pref = tags.filter(pl.col(_FIELD) == ADDRESS_PREFECTURE).group_by(ROW).agg(
        pl.col(_TAG).first().alias(ADDRESS_PREFECTURE + FP_SUFFIX)
    )
    out = out.join(pref, on=ROW, how="left", maintain_order="left")
    return out.with_columns(
        *(pl.col(f + FP_SUFFIX).fill_null(pl.lit([], dtype=pl.List(pl.UInt64))) for f in FIELDS if f != ADDRESS),
        pl.col(ADDRESS + FP_SUFFIX).cast(pl.UInt64),
        pl.col(ADDRESS_PREFECTURE + FP_SUFFIX).cast(pl.UInt64),
    )


def anchor_entries(fps: pl.DataFrame) -> pl.DataFrame:
    """(_row u32, code u8, fp u64): every anchor of every row, for the index lookup
    (codes: those of the ``phone`` and ``address`` combinations)."""
    phones = fps.select(ROW, pl.col(PHONE + FP_SUFFIX).alias("fp")).explode("fp")
    addresses = fps.select(ROW, pl.col(ADDRESS + FP_SUFFIX).alias("fp"))
    return pl.concat(
        [
            part.drop_nulls("fp").select(
                pl.col(ROW).cast(pl.UInt32), pl.lit(COMBINATION_CODE[f], dtype=pl.UInt8).alias("code"), pl.col("fp")
            )
            for f, part in ((PHONE, phones), (ADDRESS, addresses))
        ]
    )


__all__ = [
    "ANCHORS",
    "ANCHOR_CODE",
    "TAGGED",
    "TAG_HASH",
    "anchor_entries",
    "attested_fingerprints",
    "distinct_anchor_values",
    "domain",
    "oprf_input",
    "outputs_frame",
    "tag_domain",
    "tag_reference",
    "y_key",
]
