"""XLSX written straight into its zip (:mod:`kiosk.xlsx`): the kiosk's export leaves no copy
of the identities anywhere but the file asked for — not in the temp folder, not when the
export is stopped half-way — and a period longer than an Excel sheet goes on over further
sheets, each under the header, as the command's summary says."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from kiosk import cli, exports, xlsx
from kiosk.commandline import load_config
from kiosk.pipeline import Pipeline, Policy
from kiosk.scan import Scan
from kiosk.store import Store
from tests.conftest import ctrl_c_as_at_a_terminal

ENTRIES = 300


def write_config(folder: Path) -> Path:
    path = folder / "config.toml"
    path.write_text('[kiosk]\nid = "k1"\ncheckpoint_id = "CP1"\nlanguage = "en"\n'
                    '[store]\npath = "kiosk.db"\n', encoding="utf-8")
    return path


def scanned(folder: Path, count: int) -> Path:
    """A store of ``count`` real scans (an address with a control character, addresses with
    a line break: a name with a control character is refused as a scanner's misreading);
    the config's path."""
    store = Store(folder / "kiosk.db")
    pipeline = Pipeline(store, Policy(checkpoint_id="CP1", kiosk_id="k1",
                                      duplicate_policy="allow"))
    for i in range(count):
        street = "Phố\x01 Huế" if i == 1 else "Phố Huế"
        pipeline.submit(Scan(payload=f"0010990{i:05d}|123456789|Nguyễn Văn An|01021990|Nam|"
                                     f"Số {i} {street},\nHà Nội|10102021".encode(),
                             device_id="d1", lane="in" if i % 2 else "out"))
    store.close()
    return write_config(folder)


def multiplied(folder: Path, copies: int) -> Path:
    """A store of one real scan and ``copies`` more like it a millisecond apart, each with
    its own document number: enough for an export to be stopped half-way."""
    config = scanned(folder, 1)
    with sqlite3.connect(folder / "kiosk.db") as conn:
        conn.row_factory = sqlite3.Row
        row = dict(conn.execute("SELECT * FROM entries").fetchone())
        start = dt.datetime.fromisoformat(row["scanned_at"].replace("Z", "+00:00"))
        columns = ", ".join(row)
        conn.executemany(
            f"INSERT INTO entries ({columns}) VALUES ({', '.join('?' * len(row))})",
            (tuple({**row, "id": f"{row['id']}-{i:07d}", "document_number": f"079{i:09d}",
              "scanned_at": (start + dt.timedelta(milliseconds=i + 1)).isoformat(
                  timespec="milliseconds").replace("+00:00", "Z")}.values())
             for i in range(copies)))
    return config


def watched(folder: Path, command: list[str], env: dict[str, str]
            ) -> tuple[subprocess.Popen[str], set[str]]:
    """``command`` started, and every name seen in ``folder`` (its temp folder) while it
    runs, looked at as often as the machine allows, gathered into the set returned."""
    seen: set[str] = set()
    proc = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL, text=True, env=env)

    def look() -> None:
        while proc.poll() is None:
            seen.update(os.listdir(folder))
        seen.update(os.listdir(folder))

    watcher = threading.Thread(target=look)
    watcher.start()
    proc.wait(timeout=120)
    watcher.join()
    return proc, seen


def export_command(config: Path, out: Path, fmt: str = "xlsx") -> list[str]:
    return [sys.executable, "-m", "kiosk.cli", "export", "--config", str(config),
            "--from", "2000-01-01", "--format", fmt, "-o", str(out)]


def test_the_xlsx_export_holds_the_stores_rows_and_no_copy_of_them_is_left_elsewhere(
        tmp_path: Path) -> None:
    """The temp folder stays empty the whole time (openpyxl wrote every row there first,
    uncompressed); the file reads back as the store's rows: the same values, numbers as
    numbers, what XML cannot carry left out, line breaks kept."""
    config = scanned(tmp_path, ENTRIES)
    temp = tmp_path / "temp"
    temp.mkdir()
    out = tmp_path / "export.xlsx"
    proc, seen = watched(temp, export_command(config, out), {**os.environ, "TMPDIR": str(temp)})
    assert (proc.returncode, proc.stderr.read()) == (0, f"exported {ENTRIES} entries\n")
    assert seen == set()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "config.toml", "export.xlsx", "kiosk.db", "temp"]

    store = Store(tmp_path / "kiosk.db", read_only=True, timezone=load_config(config).timezone)
    pages = store.entry_pages(since="2000-01-01T00:00:00Z", until=None,
                              columns=exports.STORED_COLUMNS, page_rows=exports.PAGE_ROWS)
    expected = [tuple(None if cell == "" else xlsx.xml_text(cell) for cell in row)
                for row in exports.export_rows(pages, store.timezone, for_csv=False)]
    store.close()
    book = load_workbook(out)
    assert book.sheetnames == ["entries"]
    header, *rows = book["entries"].iter_rows(values_only=True)
    assert header == exports.EXPORT_COLUMNS
    assert rows == expected and len(rows) == ENTRIES
    by_name = dict(zip(header, rows[1], strict=True))
    assert by_name["name"] == "Nguyễn Văn An" and by_name["address"] == "Số 1 Phố Huế,\nHà Nội"
    assert isinstance(by_name["id"], str) and by_name["document_number"] == "001099000001"


@pytest.fixture(scope="module")
def long_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return multiplied(tmp_path_factory.mktemp("long"), 150_000)


@pytest.mark.parametrize(("fmt", "signum", "code"), [
    ("xlsx", signal.SIGTERM, 143), ("xlsx", signal.SIGINT, 130), ("csv", signal.SIGTERM, 143)])
def test_an_export_stopped_half_way_deletes_its_file_and_says_so(
        long_store: Path, tmp_path: Path, fmt: str, signum: int, code: int) -> None:
    """A service stop or a timeout (SIGTERM), or Ctrl-C: the half-written file is deleted —
    it holds full identities, and its first rows would pass for the whole period's — and
    one line says so, no traceback. Before, SIGTERM left the part (a CSV's, openpyxl's
    uncompressed copy in the temp folder) and Ctrl-C printed Python's traceback."""
    temp = tmp_path / "temp"
    temp.mkdir()
    out = tmp_path / f"export.{fmt}"
    proc = subprocess.Popen(export_command(long_store, out, fmt), stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True,
                            env={**os.environ, "TMPDIR": str(temp)},
                            preexec_fn=ctrl_c_as_at_a_terminal)
    deadline = time.monotonic() + 60
    while not (out.exists() and out.stat().st_size) and time.monotonic() < deadline:
        time.sleep(0.001)
    proc.send_signal(signal.SIGSTOP)  # held half-way: the signal lands mid-export
    assert proc.poll() is None and out.stat().st_size > 0
    proc.send_signal(signum)
    proc.send_signal(signal.SIGCONT)
    err = proc.communicate(timeout=60)[1]
    assert proc.returncode == code
    assert err == f"Export stopped; the unfinished file {out} was deleted\n"
    assert list(tmp_path.iterdir()) == [temp] and list(temp.iterdir()) == []


def test_a_stop_while_the_finished_export_waits_to_be_recorded_keeps_file_and_record(
        long_store: Path, tmp_path: Path) -> None:
    """The file is whole and closed; the audit row with its count waits for the running
    kiosk's write lock (up to the store's busy timeout) when a service stop comes. The row
    is written and the file kept with it; before, SIGTERM ended the command there and left
    a file of full identities that no record said was made."""
    from tests.central_support import write_lock_held_by_another_process

    out = tmp_path / "export.csv"
    proc = subprocess.Popen(export_command(long_store, out, "csv"), stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + 60
    while not out.exists() and time.monotonic() < deadline:
        time.sleep(0.001)
    proc.send_signal(signal.SIGSTOP)  # rows still to write: the lock is taken meanwhile
    with write_lock_held_by_another_process(long_store.parent / "kiosk.db"):
        proc.send_signal(signal.SIGCONT)
        deadline = time.monotonic() + 120  # the rows left: slow beside other test runs
        while time.monotonic() < deadline and (holds_open(proc.pid, out)
                                               or state_of(proc.pid) != "S"):
            time.sleep(0.001)  # the file closed, and asleep: waiting for the lock
        assert not holds_open(proc.pid, out) and state_of(proc.pid) == "S"
        proc.send_signal(signal.SIGTERM)
    err = proc.communicate(timeout=60)[1]
    assert (proc.returncode, err) == (0, "exported 150001 entries\n")
    with sqlite3.connect(long_store.parent / "kiosk.db") as conn:
        rows = conn.execute("SELECT action, json_extract(detail, '$.rows') FROM audit_log "
                            "WHERE json_extract(detail, '$.file') = ?", (str(out),)).fetchall()
    assert rows == [("export.csv", None), ("export.csv.done", 150_001)]
    with out.open(encoding="utf-8-sig", newline="") as whole:
        assert sum(1 for _ in csv.reader(whole)) == 1 + 150_001  # the header and every row


def holds_open(pid: int, path: Path) -> bool:
    folder = Path(f"/proc/{pid}/fd")
    return any(os.path.realpath(folder / fd) == str(path) for fd in os.listdir(folder))


def state_of(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


def test_a_period_longer_than_a_sheet_goes_on_over_further_sheets_as_the_summary_says(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Excel opens 1,048,576 rows a sheet and drops the rest ("file not loaded
    completely"), which the export used to call done: now ``entries (2)``… follow, each
    under the header, every entry once, in order."""
    config = scanned(tmp_path, 7)
    monkeypatch.setattr(xlsx, "SHEET_ROWS", 4)  # a header and 3 entries a sheet
    out = tmp_path / "export.xlsx"
    assert cli.main(["export", "--config", str(config), "--from", "2000-01-01",
                     "--format", "xlsx", "-o", str(out)]) == 0
    assert capsys.readouterr().err == (
        "exported 7 entries\nthe entries are on 3 sheets (entries, entries (2), entries (3)): "
        "an Excel sheet holds at most 4 rows; each sheet has its own header row\n")
    book = load_workbook(out)
    assert book.sheetnames == ["entries", "entries (2)", "entries (3)"]
    sheets = [list(book[name].iter_rows(values_only=True)) for name in book.sheetnames]
    assert [len(rows) for rows in sheets] == [4, 4, 2]
    assert all(rows[0] == exports.EXPORT_COLUMNS for rows in sheets)
    numbers = [row[exports.EXPORT_COLUMNS.index("document_number")]
               for rows in sheets for row in rows[1:]]
    assert numbers == [f"0010990{i:05d}" for i in range(7)]


def read(tables: list[xlsx.Table]) -> tuple[list[xlsx.SheetWritten], Any]:
    out = io.BytesIO()
    written = xlsx.write(out, tables)
    return written, load_workbook(io.BytesIO(out.getvalue()))


def test_a_sheet_ends_before_its_xml_would_need_zip64(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows of 2 KB on average would take a full sheet past the 2 GiB a plain zip entry
    holds (Excel reports ZIP64 as damage): the sheet ends there, the rest goes on."""
    monkeypatch.setattr(xlsx, "SHEET_BYTES", 1100)
    written, book = read([xlsx.Table("Lượt", ["n", "text"], ([i, "x" * 300] for i in range(5)))])
    assert [(w.title, w.rows) for w in written] == [("Lượt", 2), ("Lượt (2)", 2),
                                                   ("Lượt (3)", 1)]
    assert [row[0] for name in book.sheetnames
            for row in book[name].iter_rows(min_row=2, values_only=True)] == list(range(5))


def test_cells_read_back_as_written_text_never_a_formula() -> None:
    """Text stays text whatever it says (a formula, markup, spaces around it, a carriage
    return); numbers, booleans, dates and local times keep their types and formats; the
    header of a report is bold and frozen, its columns as wide as asked."""
    rows = [["=1+2", " <b> & </b> ", "a\r\nb", 7, 0.125, True,
             dt.datetime(2026, 11, 28, 7, 30, 15), dt.date(1990, 2, 1), None, ""]]
    headers = [f"c{i}" for i in range(len(rows[0]))]
    long_title = "Máy chờ gửi không rõ bao lâu, rất lâu"
    written, book = read([xlsx.Table(long_title, headers, rows, widths=[12] * 10,
                                     percent=frozenset({4}), banner=True)])
    assert [w.title for w in written] == book.sheetnames == [long_title[:31]]
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == headers and all(c.font.b for c in sheet[1])
    assert sheet.freeze_panes == "A2" and sheet.column_dimensions["J"].width == 12
    cells = sheet[2]
    assert [c.value for c in cells] == [*rows[0][:6], dt.datetime(2026, 11, 28, 7, 30, 15),
                                        dt.datetime(1990, 2, 1), None, None]
    assert cells[0].data_type == "s" and not cells[0].font.b
    assert [cells[i].number_format for i in (4, 6, 7)] == ["0.0%", "dd/mm/yyyy hh:mm",
                                                          "dd/mm/yyyy"]
    assert xlsx.write(io.BytesIO(), [xlsx.Table("a", ["x"], [])])[0].rows == 0


def test_xlsx_text_is_the_text_minus_what_xml_cannot_carry() -> None:
    """The one rule for every workbook written, the kiosk's export and the centre's reports
    and traces: XML 1.0 carries tab, line breaks and every other character but the C0
    controls, lone surrogates, U+FFFE and U+FFFF; one of those would damage the whole
    workbook, so a cell holds its text without them."""
    assert xlsx.xml_text("Nguyen\x01Van A") == "NguyenVan A"
    assert xlsx.xml_text("a\x00\x08\x0b\x0c\x0e\x1f\ud800\udfff\ufffe\uffffb") == "ab"
    carried = "Phố\tcổ\nHà Nội\r\n\x7f\x85\x9b\ufffd😀"
    assert xlsx.xml_text(carried) == carried
    assert xlsx.xml_text(5) == 5 and xlsx.xml_text(None) is None
    _, book = read([xlsx.Table("t", ["a"], [["a\x00\x08\ud800b" + carried]])])
    assert book.worksheets[0]["A2"].value == "ab" + carried
