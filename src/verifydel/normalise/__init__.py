"""Normalisation: pure, vectorised polars expressions per field.

The only place in verifydel that knows Japanese notation. Every function takes
polars expressions for the source column(s) (already cast to ``pl.String``) and
returns one ``pl.String`` expression: the normalised value, or null when the
input holds no real value for that field (empty, blank, a phone with the wrong
number of digits...). Applying a normaliser to its own output changes nothing.

Public API (stable; the scan and the fingerprint builder call only this):

- ``NORMALISATION_VERSION``: written into packs and reports; bump on any change
  of output for any input.
- ``field_expr(field, cols) -> pl.Expr``: the normaliser of one field.
  ``cols`` is a non-empty list of expressions; for single-valued fields they are
  joined in order (姓 + 名; 都道府県 + 市区町村 + 番地 + 建物) before normalising.
  For multi-valued fields (phone, email) the caller passes one column at a time
  (given several, the first that normalises to a value is used).

The rules, their examples, the variant-kanji sources and the measured costs are
in docs/normalisation.md. Each field has its module (``name``, ``name_kana``,
``address``, ``postal``, ``phone``, ``email``, ``birth_date``); ``_text`` holds
what they share (NFKC applied as one literal table composed with the field's
own character rules, dashes, whitespace, placeholders).
"""

from __future__ import annotations

from verifydel.normalise._registry import NORMALISATION_VERSION, field_expr

__all__ = ["NORMALISATION_VERSION", "field_expr"]
