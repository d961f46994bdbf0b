"""Text from a file, made safe to print on a terminal.

A pack's header is read without the key and may be forged: a field holding ESC,
CSI (U+009B) or a bidi override could recolour the terminal, rewrite its title or
make a line read backwards. Such characters are shown as ``\\uXXXX`` escapes.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

#: Control (C0, DEL, C1), format (bidi overrides and isolates, zero-width), line and
#: paragraph separators, and lone surrogates (which cannot even be encoded).
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})


def _escape(ch: str) -> str:
    code = ord(ch)
    if code > 0xFFFF:  # as JSON spells it: a surrogate pair
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def terminal_safe(text: str, keep: str = "") -> str:
    """``text`` with every unsafe character (but those in ``keep``) escaped as ``\\uXXXX``."""
    if text.isprintable():  # the common case: nothing to escape
        return text
    return "".join(
        _escape(ch) if ch not in keep and unicodedata.category(ch) in _UNSAFE_CATEGORIES else ch for ch in text
    )


def json_for_terminal(value: Any) -> str:
    """Indented JSON, Japanese kept readable, every unsafe character ``\\u``-escaped.

    ``json.dumps`` escapes C0 inside strings only; C1, DEL, bidi controls and lone
    surrogates it writes raw. Those can only occur inside strings, where a ``\\uXXXX``
    escape means the same character, so the result is still the same JSON value.
    The newlines kept are the indentation's own.
    """
    return terminal_safe(json.dumps(value, ensure_ascii=False, indent=2), keep="\n")
