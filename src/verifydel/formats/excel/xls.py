"""Excel 97-2003 workbooks (.xls): an OLE2 compound file, read by calamine.

Other OLE2 files (.doc, .msg, encrypted .xlsx) are refused by calamine and end
as a FormatError: the source is reported as not scanned, never silently skipped.
"""

from __future__ import annotations

from typing import Final

from verifydel.formats.excel._workbook import open_workbook_tables
from verifydel.formats._probe import Probe
from verifydel.core.table import Table
from verifydel.core.unit import Unit

KIND: Final = "xls"
OLE2_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def sniff(probe: Probe) -> bool:
    return probe.starts_with(OLE2_MAGIC)


def open_tables(unit: Unit, probe: Probe) -> list[Table]:
    return open_workbook_tables(unit, KIND)
