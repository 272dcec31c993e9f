"""XLSX workbooks streamed straight into their zip: the one writer of every workbook the
project makes (the kiosk's export, the centre's reports and traces).

Each sheet's XML is made row by row and deflated into its zip entry as it goes; the few
fixed parts are constants. No row is ever held whole nor written anywhere but the output:
openpyxl's write-only mode, used before, wrote every sheet uncompressed to the system's
temp folder first (567 MB for a 30-day export, full identities in the clear, left behind
when the process was killed; RAM on a tmpfs /tmp). Text cells are inline strings, never
formulas whatever they say, minus the characters XML 1.0 cannot carry (:func:`xml_text`).
A table longer than a sheet holds (:data:`SHEET_ROWS`, Excel's limit) goes on over further
sheets, ``entries (2)``…, each under the header again.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

from kiosk.messages import LANGUAGES, number, text

SHEET_ROWS = 1_048_576
"""Rows a sheet holds, its header included: Excel's limit; past it Excel drops the rest
("file not loaded completely")."""
SHEET_BYTES = zipfile.ZIP64_LIMIT
"""Uncompressed bytes a sheet's XML holds at most: past it the zip entry would need ZIP64
extensions, which Excel reports as damage to repair. Met only by rows of 2 KB on average."""
TITLE_CHARS = 31
"""Excel's limit on a sheet's name."""
CELL_CHARS = 32_767
"""Excel's limit on a cell's text, in UTF-16 code units: past it Excel reports the workbook
as damaged and cuts the text when repairing it. A longer text is cut to it here, ending in
a mark that says so and how much was cut (:func:`_cut`)."""
_NOT_IN_TITLE = re.compile(r"[\[\]:*?/\\]")
"""Characters Excel refuses in a sheet's name."""

_NOT_IN_XML = re.compile(r"[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""Characters XML 1.0 cannot carry, so no XLSX cell can hold (a QR code, a kiosk's upload
can): control characters but tab and newlines, lone surrogates, U+FFFE and U+FFFF."""
_TO_ESCAPE = re.compile(r"[&<>\r]|" + _NOT_IN_XML.pattern)
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"}
"""``\\r`` as a reference: a parser reads a bare one as ``\\n``."""
_EPOCH = dt.datetime(1899, 12, 30)
"""Excel's day 0 (1900 date system)."""
_DAY = dt.timedelta(days=1)

# cellXfs of _STYLES, by index
_BOLD, _PERCENT, _DATE_TIME, _DATE = 1, 2, 3, 4


@dataclass(frozen=True)
class Table:
    """One table to write: a sheet, or several when longer than :data:`SHEET_ROWS`."""
    title: str
    """Sheet name (cut to :data:`TITLE_CHARS`)."""
    headers: Sequence[str]
    rows: Iterable[Sequence[Any]]
    """Text, numbers, booleans, dates, local date-times (no time zone) or None; read once."""
    widths: Sequence[float] = ()
    """Column widths in characters; left out: the spreadsheet's own."""
    percent: frozenset[int] = field(default_factory=frozenset)
    """Columns whose fractions (floats) show as percentages."""
    banner: bool = False
    """Whether the header is bold and stays in view (frozen) as the rows scroll."""


@dataclass(frozen=True)
class SheetWritten:
    title: str
    rows: int
    """Data rows, the header not counted."""


def xml_text(cell: Any) -> Any:
    """A text cell as an XLSX can hold it: the text minus the characters XML 1.0 cannot
    carry (:data:`_NOT_IN_XML`; a name a kiosk sent with a control character would
    otherwise damage the whole workbook). The rule of every workbook written; the centre
    sizes its columns by it (:func:`kiosk.central.sheets.to_xlsx`)."""
    return _NOT_IN_XML.sub("", cell) if isinstance(cell, str) else cell


def write(out: IO[bytes], tables: Iterable[Table]) -> list[SheetWritten]:
    """Write the workbook of ``tables`` into ``out`` (a file, a pipe: no seek needed, or a
    BytesIO); the sheets written. Rows are read from each table as they are written."""
    written: list[SheetWritten] = []
    taken: set[str] = set()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        for table in tables:
            rows: Iterator[Sequence[Any]] = iter(table.rows)
            for _ in itertools.count(1):
                count, left = _sheet(book, len(written) + 1, table, rows)
                title = _title(table.title, taken)
                taken.add(title.casefold())
                written.append(SheetWritten(title, count))
                if left is None:
                    break
                rows = itertools.chain([left], rows)
        for name, text in _fixed_parts([sheet.title for sheet in written]):
            book.writestr(name, text)
    return written


def _title(title: str, taken: set[str]) -> str:
    """A sheet name Excel accepts, unlike any ``taken`` (case-folded): ``title`` without the
    characters Excel refuses (``_`` instead) nor apostrophes at its ends, ``Sheet`` if nothing
    is left; ``entries``, then ``entries (2)``… when taken, cut so the number always shows."""
    title = _NOT_IN_TITLE.sub("_", title).strip("'") or "Sheet"
    for part in itertools.count(1):
        suffix = f" ({part})" if part > 1 else ""
        name = title[:TITLE_CHARS - len(suffix)] + suffix
        if name.casefold() not in taken:
            return name
    raise AssertionError("unreachable")


def _sheet(book: zipfile.ZipFile, number: int, table: Table,
           rows: Iterator[Sequence[Any]]) -> tuple[int, Sequence[Any] | None]:
    """Write sheet ``number`` from ``rows`` until they end or the sheet is full
    (:data:`SHEET_ROWS`, :data:`SHEET_BYTES`); how many rows it holds, and the first row
    left for the next sheet (None: every row written)."""
    letters = [_column(i) for i in range(max(len(table.headers), len(table.widths)))]
    head = [_HEAD]
    if table.banner:
        head.append('<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" '
                    'topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
                    '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
                    '</sheetView></sheetViews>')
    if table.widths:
        head.append("<cols>" + "".join(
            f'<col min="{i}" max="{i}" width="{width}" customWidth="1"/>'
            for i, width in enumerate(table.widths, start=1)) + "</cols>")
    head.append("<sheetData>")
    head.append(_row(1, table.headers, letters, table.percent,
                     _BOLD if table.banner else 0))
    tail = b"</sheetData></worksheet>"
    count, left = 0, None
    with book.open(f"xl/worksheets/sheet{number}.xml", "w") as sheet:
        data = "".join(head).encode()
        sheet.write(data)
        size = len(data)
        for values in rows:
            data = _row(count + 2, values, letters, table.percent).encode()
            if count + 1 == SHEET_ROWS or (
                    count and size + len(data) + len(tail) > SHEET_BYTES):
                left = values
                break
            sheet.write(data)
            size += len(data)
            count += 1
        sheet.write(tail)
    return count, left


def _column(index: int) -> str:
    """``A``… ``Z``, ``AA``… for the 0-based column ``index``."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def _row(number: int, values: Sequence[Any], letters: list[str], percent: frozenset[int],
         style: int = 0) -> str:
    """Row ``number``'s XML: empty cells (None, "") left out, as a spreadsheet does, and so
    are numbers Excel has no value for (NaN, infinities: Excel reports them as damage);
    numbers to 16 digits, as openpyxl wrote them (1.0 reads back as 1); text cut to
    :data:`CELL_CHARS`."""
    cells = [f'<row r="{number}">']
    styled = f' s="{style}"' if style else ""
    for index, value in enumerate(values):
        if value is None or value == "":
            continue
        ref = f"{letters[index]}{number}"
        kind = value.__class__
        if kind is str:
            space = ' xml:space="preserve"' if value[0].isspace() or value[-1].isspace() \
                else ""
            if len(value) > CELL_CHARS // 2:
                value = _cut(value)
            if _TO_ESCAPE.search(value) is not None:
                value = _TO_ESCAPE.sub(lambda m: _ESCAPES.get(m.group(), ""), value)
                if not value:  # nothing but characters XML cannot carry: an empty cell
                    continue
            cells.append(f'<c r="{ref}"{styled} t="inlineStr"><is><t{space}>{value}</t></is></c>')
        elif kind is bool:
            cells.append(f'<c r="{ref}"{styled} t="b"><v>{int(value)}</v></c>')
        elif kind is int:
            cells.append(f'<c r="{ref}"{styled}><v>{value}</v></c>')
        elif kind is float:
            if not math.isfinite(value):
                continue
            shown = f' s="{_PERCENT}"' if index in percent else styled
            cells.append(f'<c r="{ref}"{shown}><v>{value:.16g}</v></c>')
        elif isinstance(value, dt.datetime):
            serial = (value - _EPOCH) / _DAY
            cells.append(f'<c r="{ref}" s="{_DATE_TIME}"><v>{serial:.16g}</v></c>')
        elif isinstance(value, dt.date):
            serial = (value - _EPOCH.date()).days
            cells.append(f'<c r="{ref}" s="{_DATE}"><v>{serial}</v></c>')
        elif isinstance(value, int | float | Decimal):  # a subclass, a database's numeric
            if not isinstance(value, int) and not math.isfinite(value):
                continue
            cells.append(f'<c r="{ref}"{styled}><v>{value}</v></c>')
        else:
            raise TypeError(f"an XLSX cell cannot hold {kind.__name__}: {value!r}")
    cells.append("</row>")
    return "".join(cells)


def _cut(text: str) -> str:
    """``text`` in :data:`CELL_CHARS` UTF-16 code units, as Excel counts a cell's text (a
    character outside the BMP is two; one would not be split), characters XML cannot carry
    not counted: a longer one cut, ending in both languages' mark of how many characters
    were cut (``… [1,234 characters cut: Excel holds at most 32,767 a cell]``) — cut
    silently, a reader took a cell's end for the whole text."""
    text = _NOT_IN_XML.sub("", text)
    units = text.encode("utf-16-le", "surrogatepass")
    if len(units) <= 2 * CELL_CHARS:
        return text
    widest = _cut_mark(len(text))  # the mark of the most that can be cut, at least as long
    room = CELL_CHARS - len(widest.encode("utf-16-le")) // 2
    kept = units[:2 * room].decode("utf-16-le", "ignore")
    return kept + _cut_mark(len(text) - len(kept))


def _cut_mark(cut: int) -> str:
    """How many characters were cut, in both languages, each grouping it its own way
    (2.308 / 2,308: "cắt bớt 2,308 ký tự" reads as two and a bit)."""
    return " " + " / ".join(text("xlsx.cut", language, cut=number(cut, language))
                            for language in LANGUAGES)


_HEAD = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
         '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE = "http://schemas.openxmlformats.org/package/2006"
_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_STYLES = (
    f'{_DECLARATION}<styleSheet xmlns="{_MAIN}">'
    '<numFmts count="3"><numFmt numFmtId="164" formatCode="0.0%"/>'
    '<numFmt numFmtId="165" formatCode="dd/mm/yyyy hh:mm"/>'
    '<numFmt numFmtId="166" formatCode="dd/mm/yyyy"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    '</cellStyleXfs>'
    '<cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '</cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '</styleSheet>')


def _attribute(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def _fixed_parts(titles: list[str]) -> Iterator[tuple[str, str]]:
    """The parts around the sheets: what they are, where they are, their names, styles."""
    numbers = range(1, len(titles) + 1)
    yield "[Content_Types].xml", (
        f'{_DECLARATION}<Types xmlns="{_PACKAGE}/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPE}.sheet.main+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{_TYPE}.styles+xml"/>'
        + "".join(f'<Override PartName="/xl/worksheets/sheet{n}.xml" '
                  f'ContentType="{_TYPE}.worksheet+xml"/>' for n in numbers)
        + "</Types>")
    yield "_rels/.rels", (
        f'{_DECLARATION}<Relationships xmlns="{_PACKAGE}/relationships">'
        f'<Relationship Id="rId1" Type="{_OFFICE}/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>")
    yield "xl/workbook.xml", (
        f'{_DECLARATION}<workbook xmlns="{_MAIN}" xmlns:r="{_OFFICE}"><sheets>'
        + "".join(f'<sheet name="{_attribute(title)}" sheetId="{n}" r:id="rId{n}"/>'
                  for n, title in zip(numbers, titles, strict=True))
        + "</sheets></workbook>")
    yield "xl/_rels/workbook.xml.rels", (
        f'{_DECLARATION}<Relationships xmlns="{_PACKAGE}/relationships">'
        + "".join(f'<Relationship Id="rId{n}" Type="{_OFFICE}/worksheet" '
                  f'Target="worksheets/sheet{n}.xml"/>' for n in numbers)
        + f'<Relationship Id="rId{len(titles) + 1}" Type="{_OFFICE}/styles" '
          'Target="styles.xml"/></Relationships>')
    yield "xl/styles.xml", _STYLES
