"""The public front of normalisation: one expression per field.

``NORMALISATION_VERSION`` is written into packs and reports: bump it on any
change of output for any input (a pack built under one version cannot be
compared with a scan under another).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

import polars as pl

from verifydel import fields
from verifydel.errors import UsageError
from verifydel.normalise import _text
from verifydel.normalise.address import normalise_address
from verifydel.normalise.birth_date import normalise_birth_date
from verifydel.normalise.email import normalise_email
from verifydel.normalise.name import normalise_name
from verifydel.normalise.name_kana import normalise_name_kana
from verifydel.normalise.phone import normalise_phone
from verifydel.normalise.postal import normalise_postal

NORMALISATION_VERSION: Final[str] = "jp-2"

#: Field -> normaliser of one (already joined) value expression. Ordered as
#: verifydel.fields.FIELDS.
NORMALISERS: Final[dict[str, Callable[[pl.Expr], pl.Expr]]] = {
    fields.NAME: normalise_name,
    fields.NAME_KANA: normalise_name_kana,
    fields.ADDRESS: normalise_address,
    fields.POSTAL: normalise_postal,
    fields.PHONE: normalise_phone,
    fields.EMAIL: normalise_email,
    fields.BIRTH_DATE: normalise_birth_date,
}


def field_expr(field: str, cols: Sequence[pl.Expr]) -> pl.Expr:
    """The normalised value of ``field`` from the source column(s) ``cols``.

    ``cols`` are ``pl.String`` expressions (nulls allowed). For a single-valued
    field several columns are joined in order, null parts skipped (姓 + 名;
    都道府県 + 市区町村 + 番地 + 建物), then normalised. For a multi-valued field
    (phone, email) the caller passes one column at a time; given several, the
    first that normalises to a value is used.

    The result is one ``pl.String`` expression: the normalised value, or null
    when there is no real value. Never "".
    """
    normaliser = NORMALISERS.get(field)
    if normaliser is None:
        raise UsageError(
            f"unknown field {field!r}",
            hint="use one of: " + ", ".join(fields.FIELDS),
        )
    cols = list(cols)
    if not cols:
        raise UsageError(
            f"no column given for field {field!r}", hint="map at least one column to the field"
        )
    if field in fields.MULTI_VALUED and len(cols) > 1:
        return pl.coalesce([normaliser(col) for col in cols])
    return normaliser(_text.join_parts(cols))
