"""Excel 2007+ workbooks (.xlsx, .xlsm): a zip holding xl/workbook.xml.

The zip's central directory says so. When the directory is lost (a truncated
copy), the local headers at the start of the file still name the parts: a zip
with parts under xl/ is taken as a workbook, so that the damage
is reported as a corrupt workbook (FormatError), not as an unknown format.
"""

from __future__ import annotations

import struct
import zipfile
from typing import Final

from verifydel.formats._excel import open_workbook_tables
from verifydel.formats._probe import Probe
from verifydel.formats.base import Table
from verifydel.sources.base import Unit

KIND: Final = "xlsx"
ZIP_MAGIC: Final = b"PK\x03\x04"
WORKBOOK_PART: Final = "xl/workbook.xml"
_WORKBOOK_FOLDER: Final = "xl/"

_LOCAL_HEADER: Final = struct.Struct("<4sHHHHHIIIHH")  # 30 bytes, then name and extra
_MAX_LOCAL_HEADERS: Final = 64
_DATA_DESCRIPTOR_FLAG: Final = 0x08


def sniff(probe: Probe) -> bool:
    if not probe.starts_with(ZIP_MAGIC):
        return False
    try:
        with zipfile.ZipFile(probe.path) as archive:
            return WORKBOOK_PART in archive.NameToInfo
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return any(name.startswith(_WORKBOOK_FOLDER) for name in _leading_part_names(probe.head))


def _leading_part_names(head: bytes) -> list[str]:
    """Part names in the zip's local file headers within ``head``.

    Stops at the first header whose data size is only given after the data.
    """
    names: list[str] = []
    offset = 0
    while len(names) < _MAX_LOCAL_HEADERS and offset + _LOCAL_HEADER.size <= len(head):
        fields = _LOCAL_HEADER.unpack_from(head, offset)
        signature, flags, compressed_size, name_length, extra_length = (
            fields[0],
            fields[2],
            fields[7],
            fields[9],
            fields[10],
        )
        if signature != ZIP_MAGIC:
            break
        name_start = offset + _LOCAL_HEADER.size
        names.append(head[name_start : name_start + name_length].decode("utf-8", "replace"))
        if flags & _DATA_DESCRIPTOR_FLAG:
            break  # the size follows the data: the next header cannot be found cheaply
        offset = name_start + name_length + extra_length + compressed_size
    return names


def open_tables(unit: Unit, probe: Probe) -> list[Table]:
    return open_workbook_tables(unit, KIND)
