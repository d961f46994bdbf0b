"""File and member names made fit for a label (the report is UTF-8 JSON)."""

from __future__ import annotations

import os
import re
from typing import Final

#: C1 controls and private use: what CP932 makes of bytes that are not text.
_UNPRINTABLE: Final = re.compile("[\x80-\x9f\ue000-\uf8ff]")


def readable_name(name: str) -> str:
    """A file name fit for a label (the report is UTF-8 JSON).

    Names that are not UTF-8 on disk (a Windows zip unpacked on Linux keeps its
    CP932 names) come from the OS with surrogate escapes; their bytes are read as
    CP932 or EUC-JP when that works, else shown with backslash escapes.
    """
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raw = os.fsencode(name)
        for encoding in ("cp932", "euc_jp"):
            try:
                decoded = raw.decode(encoding)
            except UnicodeDecodeError:
                continue
            if not _UNPRINTABLE.search(decoded):
                return decoded
        return raw.decode("utf-8", "backslashreplace")
    return name
