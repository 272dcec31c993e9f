"""The ``kiosk`` command as a technician and a sync operator use it, run as real processes."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kiosk.timestamps import DEFAULT_TIMEZONE, today
from tests.certificate_support import make_issuer, vaccination
from tests.conftest import CCCD_AN, CCCD_BINH


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text("""
[kiosk]
id = "k1"
checkpoint_id = "CP1"
language = "en"
operator = "officer-7"
[store]
path = "kiosk.db"
""", encoding="utf-8")
    return path


def kiosk(config: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "kiosk.cli", *args, "--config", str(config)],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    if ok:
        assert proc.returncode == 0, proc.stderr
    return proc


def on_one_day(config_file: Path, steps: Callable[[Path], None]) -> Path:
    """``steps(config)`` on a new store by ``config_file``; on another when the local day
    turned meanwhile; the config the last run used. Each command reads "today" by its own
    clock: a run across the local midnight (17:00 UTC) scans on one day and lists or
    counts the next."""
    for attempt in range(2):
        config = config_file.parent / f"day-{attempt}" / config_file.name
        config.parent.mkdir()
        config.write_bytes(config_file.read_bytes())
        day = today(ZoneInfo(DEFAULT_TIMEZONE))
        steps(config)
        if today(ZoneInfo(DEFAULT_TIMEZONE)) == day:
            return config
    raise AssertionError("the local day turned twice")


def test_scan_records_into_a_stopped_kiosk_and_entries_masks_documents(config_file):
    def steps(config: Path) -> None:
        out = kiosk(config, "scan", CCCD_AN, "--direction", "in").stdout
        assert "ACCEPTED" in out and "IN" in out and "••••••••2345" in out
        assert "001099012345" not in out
        shown.append(kiosk(config, "entries").stdout)

    shown: list[str] = []
    on_one_day(config_file, steps)
    assert "Nguyễn Văn An" in shown[-1] and "••••••••2345" in shown[-1]
    assert "001099012345" not in shown[-1]


def test_a_name_holding_terminal_controls_prints_as_escapes_on_one_line(config_file):
    """A code's name is whatever its maker wrote (a printed CCCD layout, a forged
    certificate): an escape sequence in it (here one that retitles the terminal, one that
    clears it) or a line break must not reach the technician's terminal from ``kiosk scan``
    or ``kiosk entries``; each result stays one line, the controls shown as escapes. (A
    CCCD so named is refused — no Vietnamese name has controls — its refusal one line too;
    a certificate's name is any country's, so recorded.)"""
    name = "Nguyễn \x1b]0;pwned\x07Văn\x1b[2J\nAn"
    payload = f"001099012345|123456789|{name}|01021990|Nam|Huế|10102021"
    refused = kiosk(config_file, "scan", payload, "--direction", "in", ok=False).stdout
    certificate = make_issuer().sign(vaccination(name=(name, "")), issued=0, expires=2**31)
    scanned = kiosk(config_file, "scan", certificate, "--direction", "in").stdout
    listing = kiosk(config_file, "entries").stdout
    for out in (refused, scanned, listing):
        assert "\x1b" not in out and "\x07" not in out
        [line] = out.splitlines()
        assert r"Nguyễn \x1b]0;pwned\x07Văn\x1b[2J\x0aAn" in line


def test_a_refused_payload_exits_non_zero_with_the_reason(config_file):
    proc = kiosk(config_file, "scan", "001099012345||An|31021990|Nam|HN|10102021", ok=False)
    assert proc.returncode == 1
    assert "Invalid CCCD code: birth date '31021990': no such date" in proc.stdout


def test_reveal_shows_full_numbers_and_is_audited(config_file, tmp_path):
    kiosk(config_file, "scan", CCCD_AN)
    revealed = kiosk(config_file, "entries", "--reveal", "--operator", "inspector").stdout
    assert "001099012345" in revealed
    from kiosk.store import Store
    store = Store(tmp_path / "kiosk.db")
    (entry,) = store.audit_log()
    assert (entry["actor"], entry["action"]) == ("inspector", "entries.reveal")
    store.close()


def test_looking_a_person_up_is_audited_with_what_was_asked(config_file, tmp_path):
    from kiosk.store import Store

    kiosk(config_file, "scan", CCCD_AN)
    kiosk(config_file, "scan", CCCD_BINH)
    assert kiosk(config_file, "entries").stdout.count("\n") == 2  # a plain listing
    found = kiosk(config_file, "entries", "--search", "001099012345", "--operator", "hà").stdout
    assert "Nguyễn Văn An" in found and "Trần Thị Bình" not in found
    kiosk(config_file, "entries", "--subject", "001099012345", "--all")
    store = Store(tmp_path / "kiosk.db")
    try:
        searches = [(e["actor"], e["action"], json.loads(e["detail"]))
                    for e in store.audit_log()]
    finally:
        store.close()
    assert [(actor, action) for actor, action, _ in searches] == [
        ("hà", "entries.search"), (searches[1][0], "entries.search")]
    assert searches[0][2]["search"] == "001099012345" and searches[0][2]["rows"] == 1
    assert searches[1][2]["subject"] == "001099012345" and searches[1][2]["since"] is None


def test_entries_filter_by_direction_and_subject(config_file):
    def steps(config: Path) -> None:
        kiosk(config, "scan", CCCD_AN, "--direction", "in")
        kiosk(config, "scan", CCCD_BINH, "--direction", "out")
        shown.append(kiosk(config, "entries", "--direction", "out").stdout)

    shown: list[str] = []
    config = on_one_day(config_file, steps)
    assert "Trần Thị Bình" in shown[-1] and "Nguyễn Văn An" not in shown[-1]
    one = kiosk(config, "entries", "--subject", "001099012345").stdout
    assert "Nguyễn Văn An" in one and "Trần Thị Bình" not in one
    assert kiosk(config, "entries", "--date", "2001-01-01").stdout == ""


def test_stats_count_today(config_file):
    """A product code scanned in (kind "other") is recorded but no one in "In" or "Inside
    now": it has its own line, as the officer's screen shows it apart."""
    def steps(config: Path) -> None:
        kiosk(config, "scan", CCCD_AN, "--direction", "in")
        kiosk(config, "scan", CCCD_BINH, "--direction", "in")
        kiosk(config, "scan", CCCD_BINH, "--direction", "out")
        kiosk(config, "scan", "not|a|cccd|1|Nam|x|y", ok=False)
        kiosk(config, "scan", "https://example.vn/menu?ban=12", "--direction", "in")
        shown.append(kiosk(config, "stats").stdout)

    shown: list[str] = []
    on_one_day(config_file, steps)
    out = shown[-1]
    lines = dict(line.rsplit(maxsplit=1) for line in out.splitlines()[:6])
    assert lines == {"In": "2", "Out": "1", "Inside now": "1", "Duplicates": "0",
                     "Refused codes": "1", "Codes naming nobody": "1"}


def test_csv_export_neutralises_formula_cells(config_file, tmp_path):
    evil = "001099012345|123456789|=HYPERLINK(\"http://x\")|01021990|Nam|@SUM(A1)|10102021"
    kiosk(config_file, "scan", evil)
    target = tmp_path / "export.csv"
    kiosk(config_file, "export", "--from", "2000-01-01", "--format", "csv", "-o", str(target))
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert rows[0]["name"] == "'=HYPERLINK(\"http://x\")"
    assert rows[0]["address"] == "'@SUM(A1)"
    assert rows[0]["document_number"] == "001099012345"


def test_an_export_shows_xlsx_text_as_it_is_and_spares_a_phone_in_csv(config_file, tmp_path):
    """The kiosk's files follow the centre's rule (kiosk.exports.neutralise, one for both):
    an XLSX text cell is text, never a formula, so a name ``=HYPERLINK(…)`` and a phone
    written as the address are shown as they are, with no apostrophe in front; in CSV the
    name is defused but a phone in E.164 is left readable as the number (at worst a
    spreadsheet takes it for one, never a formula). Before, the kiosk put ``'`` before
    both, in XLSX too."""
    from openpyxl import load_workbook
    name, phone = '=HYPERLINK("http://x")', "+12025550143"
    kiosk(config_file, "scan", f"001099012345|123456789|{name}|01021990|Nam|{phone}|10102021")
    kiosk(config_file, "export", "--from", "2000-01-01", "--format", "xlsx", "-o",
          str(tmp_path / "export.xlsx"))
    header, row = load_workbook(tmp_path / "export.xlsx")["entries"].iter_rows()
    cells = {title.value: cell for title, cell in zip(header, row, strict=True)}
    assert (cells["name"].value, cells["name"].data_type) == (name, "s")  # text, not "f"
    assert (cells["address"].value, cells["address"].data_type) == (phone, "s")
    kiosk(config_file, "export", "--from", "2000-01-01", "--format", "csv", "-o",
          str(tmp_path / "export.csv"))
    [written] = csv.DictReader(io.StringIO((tmp_path / "export.csv").read_text("utf-8-sig")))
    assert (written["name"], written["address"]) == ("'" + name, phone)


@pytest.mark.parametrize("cell", ["=1+2", "+1", "-1", "@x", "\tx", "\rx"])
def test_every_formula_prefix_is_defused(cell):
    from kiosk.exports import neutralise
    assert neutralise(cell) == "'" + cell
    assert neutralise("Nguyễn") == "Nguyễn" and neutralise(5) == 5


def test_xlsx_export_holds_a_name_minus_its_control_character(config_file, tmp_path):
    """A code whose name holds U+0001 (a certificate's: a CCCD so named is refused): the
    kiosk's XLSX export holds the name without it (before, U+FFFD stood in its place: one
    rule now, the centre's)."""
    from openpyxl import load_workbook
    kiosk(config_file, "scan", make_issuer().sign(vaccination(name=("Nguyen\x01Van A", "")),
                                                  issued=0, expires=2**31))
    target = tmp_path / "export.xlsx"
    kiosk(config_file, "export", "--from", "2000-01-01", "--format", "xlsx", "-o", str(target))
    header, row = load_workbook(target)["entries"].iter_rows(values_only=True)
    assert dict(zip(header, row, strict=True))["name"] == "NguyenVan A"


def test_config_check_reports_ok_or_the_problem(config_file, tmp_path):
    assert "OK" in kiosk(config_file, "config", "check").stdout
    bad = tmp_path / "bad.toml"
    bad.write_text('[kiosk]\nid = "k"\ncheckpoint_id = "c"\nlanguage = "fr"\n')
    proc = kiosk(bad, "config", "check", ok=False)
    assert proc.returncode == 2
    assert 'kiosk.language: expected one of "vi", "en", got "fr"' in proc.stderr


def test_an_unwritable_store_is_reported_not_crashed_in_the_kiosks_language(tmp_path):
    locked = tmp_path / "ro"
    locked.mkdir()
    (locked / "kiosk.db").write_bytes(b"this is not a database" * 100)
    path = tmp_path / "c.toml"
    path.write_text(f'[kiosk]\nid = "k"\ncheckpoint_id = "c"\n[store]\npath = '
                    f'"{locked / "kiosk.db"}"\n')
    proc = kiosk(path, "scan", CCCD_AN, ok=False)
    assert proc.returncode == 3
    assert proc.stderr.startswith(f"lỗi kho dữ liệu: {locked / 'kiosk.db'}: ")
    assert "kiosk store recover" in proc.stderr and "store error" not in proc.stderr
    assert (locked / "kiosk.db").read_bytes() == b"this is not a database" * 100


@pytest.mark.parametrize(("args", "message"), [
    (("scan", "hex:zz"), "'hex:zz': not hex bytes"),
    (("stats", "--date", "2024-13-01"), "'2024-13-01': expected a date, YYYY-MM-DD"),
])
def test_bad_arguments_are_refused_before_any_file_is_created(config_file, tmp_path, args,
                                                              message):
    proc = kiosk(config_file, *args, ok=False)
    assert proc.returncode == 2 and message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "kiosk.db").exists()


@pytest.mark.parametrize("args", [
    ("entries", "--date", "9999-12-31"), ("entries", "--from", "0001-01-01T08:00"),
    ("export", "--to", "9999-12-31"), ("export", "--from", "9999-12-31T23:00+14:00"),
    ("stats", "--date", "9999-12-31"), ("stats", "--date", "0001-01-01")])
def test_a_day_at_either_end_of_the_calendar_is_refused_before_the_store_is_opened(
        config_file: Path, tmp_path: Path, args: tuple[str, ...]) -> None:
    """A day's bounds need the next day's midnight, and the kiosk's zone moves a time by
    hours: on the calendar's first or last day either falls outside it. Every option taking
    a day or a time refuses those two days in both languages, naming the days it takes;
    before, ``entries``, ``export`` and ``stats`` ended in an OverflowError or ValueError."""
    refused = kiosk(config_file, *args, ok=False)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    option, value = args[1], repr(args[2])
    assert (f"tham số {option}: {value}: cần một ngày từ 0001-01-02 đến 9999-12-30 / argument "
            f"{option}: {value}: expected a date from 0001-01-02 to 9999-12-30"
            ) in refused.stderr
    assert not (tmp_path / "kiosk.db").exists()


def test_the_days_next_to_the_calendar_ends_are_taken(config_file: Path) -> None:
    """The first and last days a command takes give their counts (none here)."""
    for day in ("0001-01-02", "9999-12-30"):
        assert "In" in kiosk(config_file, "stats", "--date", day).stdout
        assert kiosk(config_file, "entries", "--date", day).stdout == ""
        assert kiosk(config_file, "export", "--from", day, "--to", day).stdout.count("\n") == 1


def test_a_payload_is_recorded_byte_for_byte_even_when_it_is_not_utf8(config_file):
    """Text options refuse bytes that are not UTF-8; a payload is a scanner's bytes, whatever
    they are, so ``kiosk scan`` still records them (as :func:`payload_argument` reads them)."""
    scanned = kiosk(config_file, "scan", "Tr\udce0n", "--direction", "in").stdout
    assert "ACCEPTED" in scanned and "Other code" in scanned


def test_a_code_naming_nobody_is_recorded_and_said_to_be_no_id_code(config_file):
    """A URL (kind "other") is recorded, but the console says what the officer's amber card
    says — recorded, not an ID code, ask for one — not "ACCEPTED" alone, which waved it on."""
    out = kiosk(config_file, "scan", "https://example.vn/menu", "--direction", "in").stdout
    assert "ACCEPTED" in out and "id=" in out  # recorded: scripts still read the entry id
    assert ("IN — NOT AN ID CODE: This code does not say who the person is. Ask for "
            "an ID document") in out
    person = kiosk(config_file, "scan", CCCD_AN, "--direction", "in").stdout
    assert "NOT AN ID CODE" not in person


@pytest.mark.parametrize("value", ["٣", "+5", "5x", "-2"])
def test_a_whole_number_option_takes_ascii_digits_only_and_names_itself_when_not(
        config_file: Path, tmp_path: Path, value: str) -> None:
    """``--limit`` (every whole-number option of both commands reads it so) takes digits 0-9
    and nothing else, refused in both languages naming the option and what it got. Before,
    int() read "٣" as 3 and "+5" as 5, and argparse refused "5x" in its own English
    ("invalid int value")."""
    refused = kiosk(config_file, "entries", "--limit", value, ok=False)
    assert refused.returncode == 2 and "invalid int value" not in refused.stderr
    assert (f"--limit {value!r}: cần một số nguyên viết bằng chữ số 0-9 / --limit {value!r}: "
            "expected a whole number in digits 0-9") in refused.stderr
    assert not (tmp_path / "kiosk.db").exists()  # refused before the store is opened
    kiosk(config_file, "scan", CCCD_AN)
    kiosk(config_file, "scan", CCCD_BINH)
    assert "••••••••2345" in kiosk(config_file, "entries", "--limit", "5").stdout


def test_enrol_with_no_tries_is_refused_in_words_not_a_traceback(
        config_file: Path, tmp_path: Path) -> None:
    """``enrol --tries 0`` would make no attempt and end in a traceback ("unreachable"):
    refused before anything is opened, naming the option and the numbers it takes."""
    refused = kiosk(config_file, "enrol", "--code", "x", "--tries", "0", ok=False)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert ("--tries '0': cần một số từ 1 đến … / --tries '0': expected a number from 1 "
            "to …") in refused.stderr
    assert not (tmp_path / "kiosk.db").exists()


@pytest.mark.parametrize("value", ["٣", "+5", "1e3", "inf", "nan", "1_0", "-2", ".5"])
def test_a_seconds_option_takes_a_decimal_in_ascii_digits_and_names_itself_when_not(
        config_file: Path, tmp_path: Path, value: str) -> None:
    """``enrol --retry-seconds`` (0: at once) and ``--seconds`` (above 0), as every
    seconds option of both commands, take digits 0-9 with one optional "." fraction, refused
    in both languages naming the option and what it got. Before, float() read "٣" as 3 and
    took "1e3", "inf", "nan" and "1_0", and argparse refused the rest in its own English."""
    refused = kiosk(config_file, "enrol", "--code", "x", "--retry-seconds", value, ok=False)
    assert refused.returncode == 2 and "invalid float value" not in refused.stderr
    assert (f"--retry-seconds {value!r}: cần một số viết bằng chữ số 0-9, phần lẻ (nếu có) sau "
            f"một dấu '.' / --retry-seconds {value!r}: expected a number in digits 0-9, any "
            "fraction after one '.'") in refused.stderr
    for seconds in (value, "0"):
        refused = kiosk(config_file, "enrol", "--camera", "0", "--seconds", seconds, ok=False)
        assert refused.returncode == 2 and (
            f"--seconds {seconds!r}: expected a number above 0 in digits 0-9") in refused.stderr
    assert not (tmp_path / "kiosk.db").exists()  # refused before the store is opened
    # 0 and a fraction are read: the code itself is what is refused then.
    read = kiosk(config_file, "enrol", "--code", "x", "--retry-seconds", "0", "--seconds",
                 "2.5", ok=False)
    assert "--retry-seconds" not in read.stderr and "--seconds" not in read.stderr


def test_an_export_file_that_cannot_be_written_is_named_once_with_the_reason(
        config_file: Path, tmp_path: Path) -> None:
    kiosk(config_file, "scan", CCCD_AN)
    proc = kiosk(config_file, "export", "-o", str(tmp_path), ok=False)  # a folder
    assert proc.returncode == 2 and "Traceback" not in proc.stderr  # refused before reading
    assert proc.stderr == (f"{tmp_path} is a folder: give the name of a file in it, e.g. "
                           f"{tmp_path / 'entries.csv'}; nothing written\n")


def test_a_missing_token_file_is_named_once_per_language(tmp_path: Path) -> None:
    """The OS error's own text repeats the file name; the message names it once in each
    language, the system's English left to -v."""
    config = tmp_path / "config.toml"
    config.write_text('[kiosk]\nid = "k1"\ncheckpoint_id = "CP1"\nlanguage = "en"\n'
                      '[sync]\nenabled = true\ntoken_file = "missing-token"\n', encoding="utf-8")
    kiosk(config, "scan", CCCD_AN)
    proc = kiosk(config, "sync", "push", ok=False)
    token = tmp_path / "missing-token"
    assert (f"tệp mã đồng bộ {token} không đọc được: không có tệp hoặc thư mục đó; không có "
            "mã thì không tải lên được. Kiểm tra [sync] token_file / "
            f"sync token file {token} unreadable: no such file or folder; without a token "
            "nothing is uploaded. Check [sync] token_file") in proc.stderr
    assert "No such file or directory" not in proc.stderr  # the system's English: -v only
    assert proc.stderr.count(str(token)) == 2  # once per language


def test_a_token_file_that_is_no_utf8_is_named_as_such_like_a_missing_one(tmp_path: Path) -> None:
    """A token file of bytes that are no text (a damaged copy): no token, said in words
    naming the file, as for a token file not there; no traceback."""
    config = tmp_path / "config.toml"
    config.write_text('[kiosk]\nid = "k1"\ncheckpoint_id = "CP1"\nlanguage = "en"\n'
                      '[sync]\nenabled = true\ntoken_file = "token"\n', encoding="utf-8")
    (tmp_path / "token").write_bytes(b"\xff\xfe")
    kiosk(config, "scan", CCCD_AN)
    proc = kiosk(config, "sync", "push", ok=False)
    assert "Traceback" not in proc.stderr
    assert (f"tệp mã đồng bộ {tmp_path / 'token'} không đọc được: không phải văn bản UTF-8, "
            "byte 0 sai [invalid start byte]; không có mã") in proc.stderr  # the codec's
    assert (f"sync token file {tmp_path / 'token'} unreadable: not UTF-8 text, byte 0 is "
            "wrong [invalid start byte]; without a token") in proc.stderr  # English: a detail


def test_stats_of_a_past_day_shows_who_was_inside_at_its_end_not_today(
        tmp_path: Path, libfaketime: Path) -> None:
    """Someone came in 40 hours ago (the kiosk's clock moved back by libfaketime) and never
    left: that day ended with one person inside; today, past the 24-hour horizon, none."""
    config = tmp_path / "config.toml"
    config.write_text('[kiosk]\nid = "k1"\ncheckpoint_id = "CP1"\nlanguage = "en"\n'
                      'timezone = "UTC"\n[store]\npath = "kiosk.db"\n', encoding="utf-8")
    scan = subprocess.run([sys.executable, "-m", "kiosk.cli", "scan", CCCD_AN, "--config",
                           str(config)], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "LD_PRELOAD": str(libfaketime), "FAKETIME": "-40h"})
    assert scan.returncode == 0, scan.stderr
    day = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=40)).date().isoformat()
    past = kiosk(config, "stats", "--date", day).stdout.splitlines()
    assert past[0].split() == ["In", "1"]
    assert past[2].split() == ["Inside", "at", "day", "end", "1"]
    today = kiosk(config, "stats").stdout.splitlines()
    assert today[2].split() == ["Inside", "now", "0"]


def test_entries_asked_as_midnight_passes_list_one_day_not_two(tmp_path, monkeypatch):
    """``kiosk entries`` and ``export`` with no period list today. Its start and its end
    were each read by the clock: a command run as the local midnight passed between the
    two reads listed today and tomorrow. Both bounds now come from one reading."""
    from kiosk import store as store_module
    from kiosk.cli import time_bounds
    from kiosk.store import Store
    from kiosk.timestamps import day_bounds

    zone = ZoneInfo("Asia/Ho_Chi_Minh")
    store = Store(tmp_path / "kiosk.db", timezone=zone)
    days = iter([dt.date(2026, 12, 31), dt.date(2027, 1, 1)])  # midnight passes
    monkeypatch.setattr(store_module, "today", lambda timezone: next(days))
    asked = argparse.Namespace(date=None, since=None, until=None, all=False, subject=None)
    assert time_bounds(asked, store) == day_bounds(dt.date(2026, 12, 31), zone)
    store.close()
