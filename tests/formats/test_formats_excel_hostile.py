"""Hostile workbooks end as a failed workbook or sheet with the limit they hit, never as a crash.

Every workbook is read in a child process under a memory cap and a timeout, so that a reader
which aborts (as calamine did on a cell at XFD1048576) fails the test instead of killing it.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
#: What the child reading a workbook may use: far less than a 17-billion-cell grid.
CHILD_MEMORY = 3 << 30

_READ = """
import json, sys
from pathlib import Path
from verifydel.core.limits import Budget, Limits
from verifydel.core.unit import Unit
from verifydel.formats import open_tables

path, limits = Path(sys.argv[1]), json.loads(sys.argv[2])
unit = Unit(label="book", path=path, size=path.stat().st_size, budget=Budget(Limits(**limits)))
out = []
try:
    tables = open_tables(unit)
except Exception as exc:
    out.append(["book", 0, str(exc)])
else:
    for table in tables:
        rows, error = 0, None
        try:
            for batch in table.batches:
                rows += batch.height
        except Exception as exc:
            error = str(exc)
        out.append([table.label, rows, error])
print(json.dumps(out))
"""


def _cap() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY, CHILD_MEMORY))


def _read(path: Path, **limits: int) -> dict[str, tuple[int, str | None]]:
    """label → (rows read, error) for each table of ``path``, read in a capped child."""
    done = subprocess.run(
        [sys.executable, "-c", _READ, str(path), json.dumps(limits)],
        capture_output=True, text=True, timeout=300, preexec_fn=_cap,
    )  # fmt: skip
    assert done.returncode == 0, f"the reader crashed (exit {done.returncode}): {done.stderr[-2000:]}"
    return {label: (rows, error) for label, rows, error in json.loads(done.stdout)}


def _xlsx(path: Path, sheets: dict[str, str], shared: bytes | None = None) -> Path:
    """A workbook of raw sheet XML (``<sheetData>`` contents), deflated."""
    listed = "".join(f'<sheet name="{n}" sheetId="{i}" r:id="rId{i}"/>' for i, n in enumerate(sheets, 1))
    rels = "".join(
        f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, len(sheets) + 1)
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Default Extension="xml" ContentType="application/xml"/></Types>')  # fmt: skip
        z.writestr("_rels/.rels", f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" '
                   f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')  # fmt: skip
        z.writestr("xl/workbook.xml", f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>{listed}</sheets></workbook>')
        if shared is not None:
            rels += f'<Relationship Id="rIdS" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
            z.writestr("xl/sharedStrings.xml", shared)
        z.writestr("xl/_rels/workbook.xml.rels", f'<Relationships xmlns="{_PKG}">{rels}</Relationships>')
        for i, data in enumerate(sheets.values(), 1):
            z.writestr(f"xl/worksheets/sheet{i}.xml", f'<worksheet xmlns="{_MAIN}"><sheetData>{data}</sheetData></worksheet>')
    return path


_MEMBERS = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>氏名</t></is></c><c r="B1" t="inlineStr"><is><t>TEL</t></is></c></row>'
    '<row r="2"><c r="A2" t="inlineStr"><is><t>山田 太郎</t></is></c><c r="B2"><v>9012345678</v></c></row>'
)
_FAR = '<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'


def test_a_cell_at_xfd1048576_fails_its_sheet_alone(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "far.xlsx", {"会員": _MEMBERS, "far": _FAR, "after": _MEMBERS})
    tables = _read(path)
    assert tables["book!/会員"] == (1, None)
    assert tables["book!/after"] == (1, None)
    rows, error = tables["book!/far"]
    assert rows == 0 and error is not None and error.startswith("limit cells:")


def test_a_lower_case_far_reference_is_bounded_too(tmp_path: Path) -> None:
    far = '<row r="1"><c r="A1"><v>1</v></c><c r="xfd1048576"><v>1</v></c></row>'
    [(_, error)] = _read(_xlsx(tmp_path / "lower.xlsx", {"far": far})).values()
    assert error is not None and error.startswith("limit cells:")


def test_cells_without_references_count_where_the_reader_puts_them(tmp_path: Path) -> None:
    """A row far down, then cells without ``r``: placed one after another in that row."""
    far = '<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576">' + "<c><v>1</v></c>" * 40 + "</row>"
    [(_, error)] = _read(_xlsx(tmp_path / "noref.xlsx", {"far": far})).values()
    assert error is not None and error.startswith("limit cells:")


def test_a_column_beyond_excel_is_refused(tmp_path: Path) -> None:
    far = '<row r="1"><c r="A1"><v>1</v></c><c r="ZZZZZZ99999999999"><v>1</v></c></row>'
    [(_, error)] = _read(_xlsx(tmp_path / "wide.xlsx", {"wide": far})).values()
    assert error is not None and error.startswith("limit columns:")


def test_the_cell_limits_are_named_and_can_be_lowered(tmp_path: Path) -> None:
    grid = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c><c r="J{r}"><v>1</v></c></row>' for r in range(1, 101))
    path = _xlsx(tmp_path / "grid.xlsx", {"grid": grid})
    assert _read(path)["book!/grid"] == (99, None)
    assert _read(path, max_cells=999)["book!/grid"][1].startswith("limit cells:")  # type: ignore[union-attr]
    assert _read(path, max_columns=9)["book!/grid"][1].startswith("limit columns:")  # type: ignore[union-attr]


def test_a_shared_strings_bomb_fails_the_workbook(tmp_path: Path) -> None:
    """256 MiB of shared strings from about 250 KB: refused before the reader holds them."""
    shared = f'<sst xmlns="{_MAIN}"><si><t>'.encode() + b"A" * (256 << 20) + b"</t></si></sst>"
    path = _xlsx(tmp_path / "bomb.xlsx", {"s": '<row r="1"><c r="A1" t="s"><v>0</v></c></row>'}, shared)
    del shared
    assert path.stat().st_size < 2 << 20
    [(label, (rows, error))] = _read(path).items()
    assert label == "book" and error is not None and error.startswith("limit ratio:")
    assert "sharedStrings" in error
    assert _read(path, max_ratio=1_000_000, max_part_bytes=64 << 20)["book"][1].startswith("limit part-bytes:")  # type: ignore[union-attr]


def test_a_native_abort_in_the_reader_fails_the_workbook_not_the_scan(tmp_path: Path) -> None:
    """With the bounds lifted, calamine itself gets the far cell and aborts in its worker: the
    workbook fails with "limit memory"."""
    path = _xlsx(tmp_path / "far.xlsx", {"far": _FAR})
    [(label, (_, error))] = _read(path, max_cells=1 << 62, max_reader_memory=1 << 30).items()
    assert label == "book" and error is not None and error.startswith("limit memory:")


def test_a_panic_in_the_reader_fails_the_workbook(tmp_path: Path) -> None:
    far = '<row r="1"><c r="A1"><v>1</v></c><c r="ZZZZZZ99999999999"><v>1</v></c></row>'
    path = _xlsx(tmp_path / "panic.xlsx", {"wide": far})
    [(_, (_, error))] = _read(path, max_cells=1 << 100, max_columns=1 << 62).items()
    assert error is not None and "reader crashed" in error


def test_a_forged_xls_cell_fails_the_workbook(tmp_path: Path) -> None:
    """BIFF NUMBER record claiming row and column 65535: a 128 GiB grid for the native reader."""
    xlwt = pytest.importorskip("xlwt")
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("会員")
    ws.write(0, 0, "TEL")
    ws.write(1, 0, 1.2345678901234567)
    path = tmp_path / "old.xls"
    wb.save(str(path))
    data = bytearray(path.read_bytes())
    at = data.find(b"\x03\x02\x0e\x00\x01\x00\x00\x00")
    assert at >= 0
    data[at + 4 : at + 8] = b"\xff\xff\xff\xff"
    path.write_bytes(bytes(data))
    [(label, (_, error))] = _read(path).items()
    assert label == "book" and error is not None and error.startswith("limit memory:")
