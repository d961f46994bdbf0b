"""Excel 2007+ workbooks (.xlsx, .xlsm): a zip holding xl/workbook.xml.

This is the one place that tells a workbook from a zip archive. ``layout(path)``
reads the zip's central directory (``core.zipdir``, the same parser the zip
container uses):

- ``WHOLE``: a workbook holding nothing but its own parts; this reader reads it;
- ``WITH_MEMBERS``: a workbook with other parts too (pictures, embedded objects,
  customXml, comments, drawings, a CSV tucked inside, whatever their names) or with
  bytes its directory does not account for (a comment, bytes before, between or
  after the parts): the reader (``verifydel.pipeline``) reads its sheets here and
  walks the zip for the rest, leaving out only the parts ``is_workbook_part`` names,
  those the workbook reader reads;
- ``NOT_A_WORKBOOK``.

When the directory is lost (a truncated copy), the local headers at the start of
the file still name the parts: a zip with parts under xl/ is taken as a whole
workbook, so that the damage is reported as a corrupt workbook (FormatError), not
as an unknown format.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import BinaryIO, Final

from verifydel.core.table import Table
from verifydel.core.unit import Unit
from verifydel.core.zipdir import (
    LOCAL_SIG,
    CentralDirectory,
    ZipEntry,
    central_entries,
    entry_extent,
    find_central_directory,
    read_local_entry,
)
from verifydel.errors import SourceError
from verifydel.formats._probe import Probe
from verifydel.formats.excel._workbook import open_workbook_tables

KIND: Final = "xlsx"
WORKBOOK_PART: Final = "xl/workbook.xml"
_WORKBOOK_FOLDER: Final = "xl/"
#: The parts the workbook reader reads (or that only describe the package): everything else
#: in the zip (pictures, embedded objects, customXml, comments, drawings, printer settings,
#: a CSV anywhere) is walked as a member and read by content, whatever its name.
_READ_PARTS: Final = re.compile(
    r"""\[Content_Types\]\.xml
    |_rels/\.rels
    |xl/_rels/workbook\.xml\.rels
    |xl/workbook\.xml
    |xl/worksheets/[^/]+\.xml
    |xl/sharedStrings\.xml
    |xl/styles\.xml
    |xl/theme/[^/]+\.xml
    |docProps/(?:core|app|custom)\.xml""",
    re.VERBOSE | re.IGNORECASE,
)
#: Entries looked at to tell a workbook from an archive (a workbook has a few dozen).
MAX_WORKBOOK_PARTS: Final = 10_000
#: Local headers read when the central directory is lost.
_MAX_LOCAL_HEADERS: Final = 64


class Layout(Enum):
    NOT_A_WORKBOOK = "not a workbook"
    WHOLE = "workbook"
    WITH_MEMBERS = "workbook with other members"


def is_workbook_part(name: str) -> bool:
    """Whether the workbook reader reads the part ``name`` (the zip walk leaves it out)."""
    return _READ_PARTS.fullmatch(name) is not None


def _entries(fh: BinaryIO, cd: CentralDirectory, cap: int) -> Iterator[ZipEntry]:
    """Up to ``cap`` members; as many as can be read when the directory is damaged."""
    try:
        for n, entry in enumerate(central_entries(fh, cd)):
            if n >= cap:
                return
            yield entry
    except SourceError:
        return


def _leading_names(fh: BinaryIO) -> list[str]:
    """Names in the local headers at the start of the file, up to the first of unknown size."""
    pos, names = 0, list[str]()
    while len(names) < _MAX_LOCAL_HEADERS and (found := read_local_entry(fh, pos)) is not None:
        names.append(found[0].name)
        if not found[0].compressed_size:
            break
        pos = found[1] + found[0].compressed_size
    return names


def layout(path: Path | None) -> Layout:
    """Whether the zip at ``path`` is a workbook, and whether it holds anything else."""
    if path is None:
        return Layout.NOT_A_WORKBOOK
    try:
        with open(path, "rb") as fh:
            if fh.read(4) != LOCAL_SIG:
                return Layout.NOT_A_WORKBOOK
            cd = find_central_directory(fh, fh.seek(0, 2))
            if cd is None:
                leading = _leading_names(fh)
                if any(n.startswith(_WORKBOOK_FOLDER) for n in leading):
                    return Layout.WHOLE
                return Layout.NOT_A_WORKBOOK
            entries = list(_entries(fh, cd, MAX_WORKBOOK_PARTS + 1))
            names = [e.name for e in entries]
            if WORKBOOK_PART not in names:
                return Layout.NOT_A_WORKBOOK
            if (
                len(names) <= MAX_WORKBOOK_PARTS
                and all(is_workbook_part(e.name) or e.is_directory for e in entries)
                and _accounts_for_every_byte(fh, cd, entries)
            ):
                return Layout.WHOLE
    except (OSError, SourceError):
        return Layout.NOT_A_WORKBOOK
    return Layout.WITH_MEMBERS


def _accounts_for_every_byte(fh: BinaryIO, cd: CentralDirectory, entries: list[ZipEntry]) -> bool:
    """Whether the parts, the directory and the end record cover the file with nothing left
    over (no comment, nothing before, between or after): else the zip walk reads the rest."""
    ranges = cd.structure()
    for entry in entries:
        extent = entry_extent(fh, entry)
        if extent is None:
            return False
        ranges.append(extent)
    pos = 0
    for start, end in sorted(ranges):
        if start > pos:
            return False
        pos = max(pos, end)
    return pos >= fh.seek(0, 2)


def sniff(probe: Probe) -> bool:
    return probe.starts_with(LOCAL_SIG) and layout(probe.path) is not Layout.NOT_A_WORKBOOK


def open_tables(unit: Unit, probe: Probe) -> list[Table]:
    return open_workbook_tables(unit, KIND)
