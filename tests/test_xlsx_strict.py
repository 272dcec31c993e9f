"""XLSX as Excel reads it, not only as openpyxl does: openpyxl opens what Excel calls damaged
("We found a problem with some content… try to recover"), so these read the parts' XML
themselves against the rules Excel holds a workbook to (ECMA-376 and Excel's limits)."""

from __future__ import annotations

import io
import math
import re
import subprocess
import zipfile
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree

from test_xlsx_streamed import export_command, scanned

from kiosk import xlsx
from kiosk.pipeline import Pipeline, Policy
from kiosk.scan import Scan
from kiosk.store import Store
from tests.certificate_support import make_issuer, vaccination

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def parts(tables: list[xlsx.Table]) -> dict[str, ElementTree.Element]:
    out = io.BytesIO()
    xlsx.write(out, tables)
    with zipfile.ZipFile(out) as book:
        return {name: ElementTree.fromstring(book.read(name)) for name in book.namelist()}


def cells(sheet: ElementTree.Element) -> dict[str, ElementTree.Element]:
    return {cell.get("r"): cell for cell in sheet.iter(f"{MAIN}c")}


def test_a_number_excel_cannot_hold_is_an_empty_cell_not_a_damaged_sheet() -> None:
    """Excel has no NaN nor infinity: ``<v>nan</v>`` makes it repair the sheet (LibreOffice
    reads it as 0, silently)."""
    sheet = parts([xlsx.Table("t", ["a", "b", "c", "d", "e"],
                              [[math.nan, math.inf, -math.inf, Decimal("NaN"), 0.5]],
                              percent=frozenset({0}))])["xl/worksheets/sheet1.xml"]
    values = {ref: cell.findtext(f"{MAIN}v") for ref, cell in cells(sheet).items()}
    assert values == {"A1": None, "B1": None, "C1": None, "D1": None, "E1": None,
                      "E2": "0.5"}
    for text in values.values():
        assert text is None or re.fullmatch(r"-?\d+(\.\d+)?([eE][-+]?\d+)?", text)


def test_a_text_longer_than_an_excel_cell_is_cut_to_its_32767_characters_and_says_so(
        ) -> None:
    """Past Excel's 32,767 characters a cell is damage Excel repairs by cutting it: cut here,
    counted as Excel counts them (UTF-16: a character outside the BMP is two), and ending in
    a mark in both languages saying how many characters were cut — cut silently before, a
    reader took the cell's end for the whole text."""
    sheet = parts([xlsx.Table("t", ["a", "b", "c"], [
        ["x" * 40_000, "𝄞" * 20_000, "&" * 32_767]])])["xl/worksheets/sheet1.xml"]
    texts = {ref: "".join(cell.itertext()) for ref, cell in cells(sheet).items()}
    for ref in ("A2", "B2"):
        assert len(texts[ref].encode("utf-16-le")) // 2 <= 32_767
    kept, mark = texts["A2"].split(" … [", 1)
    assert set(kept) == {"x"}
    cut = f"{40_000 - len(kept):,}"  # 7,310: each language groups it its own way (a
    vi_cut = cut.replace(",", ".")  # Vietnamese reader takes "7,310" for seven and a bit)
    assert mark == (f"cắt bớt {vi_cut} ký tự: Excel giữ tối đa 32.767 ký tự một ô] / "
                    f"… [{cut} characters cut: Excel holds at most 32,767 a cell]")
    kept, mark = texts["B2"].split(" … [", 1)
    assert kept == "𝄞" * len(kept) and len(kept) > 16_000
    assert f"{20_000 - len(kept):,} characters cut" in mark
    assert texts["C2"] == "&" * 32_767  # just fits: whole, no mark


def test_a_frozen_header_is_written_as_excel_writes_it() -> None:
    sheet = parts([xlsx.Table("t", ["a"], [[1]], banner=True)])["xl/worksheets/sheet1.xml"]
    view = sheet.find(f"{MAIN}sheetViews/{MAIN}sheetView")
    assert view is not None
    pane, selection = list(view)
    assert pane.attrib == {"ySplit": "1", "topLeftCell": "A2", "activePane": "bottomLeft",
                           "state": "frozen"}
    assert selection.tag == f"{MAIN}selection"
    assert selection.attrib == {"pane": "bottomLeft", "activeCell": "A2", "sqref": "A2"}


def test_sheet_names_are_ones_excel_accepts_and_unique() -> None:
    """Excel refuses a name with any of []:*?/\\, empty, starting or ending with an
    apostrophe, or the same as another's (letter case aside)."""
    book = parts([xlsx.Table(title, ["a"], [[1]]) for title in
                  ("a/b:c*?[d]\\", "x" * 40, "X" * 41, "", "'quoted'", "Entries",
                   "entries")])["xl/workbook.xml"]
    names = [sheet.get("name") for sheet in book.iter(f"{MAIN}sheet")]
    assert names == ["a_b_c___d__", "x" * 31, "X" * 27 + " (2)", "Sheet", "quoted",
                     "Entries", "entries (2)"]


def test_a_name_of_nothing_but_control_characters_is_exported_as_an_empty_cell(
        tmp_path: Path) -> None:
    """A scan's name can be only characters XML cannot carry: once removed, nothing is left,
    and the export crashed on it (IndexError) instead of writing the cell empty."""
    config = scanned(tmp_path, 1)
    store = Store(tmp_path / "kiosk.db")
    pipeline = Pipeline(store, Policy(checkpoint_id="CP1", kiosk_id="k1",
                                      duplicate_policy="allow"))
    issuer = make_issuer()  # a certificate's name is any text (a CCCD so named is refused)
    for name in ("\x01\x02", "Mai"):
        code = issuer.sign(vaccination(name=(name, ""), birth="1971-07-07"), issued=0,
                           expires=2**31)
        pipeline.submit(Scan(payload=code.encode(), device_id="d1", lane="in"))
    store.close()
    out = tmp_path / "entries.xlsx"
    done = subprocess.run(export_command(config, out), capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(out) as book:
        sheet = ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml"))
    rows = list(sheet.iter(f"{MAIN}row"))
    assert len(rows) == 4
    certificates = [row for row in rows if any("".join(c.itertext()) == "1971-07-07"
                                               for c in row)]
    empty, named = sorted(certificates, key=lambda row: len(list(row)))
    assert "Mai" in ["".join(c.itertext()) for c in named]
    assert len(list(empty)) == len(list(named)) - 1


def test_every_cell_of_an_edge_case_workbook_is_one_excel_parses() -> None:
    sheet = parts([xlsx.Table("t", [f"h{i}" for i in range(30)],
                              [[" lead", "trail ", "a\nb", "\r", 1e20, -1e-7, True,
                                *range(23)]])])["xl/worksheets/sheet1.xml"]
    found = cells(sheet)
    assert "AD2" in found and "AA1" in found
    for ref in ("A2", "B2", "D2"):
        assert found[ref].find(f"{MAIN}is/{MAIN}t").get(
            "{http://www.w3.org/XML/1998/namespace}space") == "preserve"
    assert "".join(found["D2"].itertext()) == "\r"
    assert found["E2"].findtext(f"{MAIN}v") == "1e+20"
