"""The worked example of docs/central.md, run as written: the table's scans reach the centre
through the real ingest path (the station's kiosk 3 hours slow, its clock measured from the
batch's ``sent_at``), the documented `kiosk-central trace` command runs, and every field the
documented output shows must be what the command prints — so the doc cannot drift."""

from __future__ import annotations

import datetime as dt
import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from central_support import ENGINES, central, database_url
from trace_support import NAMES, Visit, store_scans

from kiosk.central.backends import open_storage

DOC = Path(__file__).resolve().parents[1] / "docs" / "central.md"
CHECKPOINTS = {"Chợ Bến Đò": "CP-CHO-BD", "Bến xe Trung tâm": "CP-BX-TT"}
KIOSKS = {"CP-CHO-BD": "k-cho", "CP-BX-TT": "k-bx"}
SLOW = {"k-bx": 3 * 3600.0}  # the station's clock, seconds behind the centre's
FORMS = {"CCCD": "cccd", "PC-Covid, masked": "pccovid_masked",
         "manual entry, phone": "manual_phone"}
LOCAL = dt.timezone(dt.timedelta(hours=7))
DAY = dt.date(2026, 11, 20)
ELLIPSIS = "…"


def section() -> str:
    """The worked example, up to the next heading (a listing's "#3" lines are not one)."""
    text = DOC.read_text(encoding="utf-8")
    start = text.index("### A worked example")
    end = re.compile(r"^#{1,3} ", re.MULTILINE).search(text, start + 1)
    return text[start:end.start() if end else len(text)]


def documented_scans(text: str) -> list[Visit]:
    """The table's rows as scans: an in and, unless the cell is "—", an out."""
    scans = []
    for row in re.findall(r"^\| (?!who|---)(.+) \|$", text, re.MULTILINE):
        who, where, came, left, code = (cell.strip() for cell in row.split("|"))
        person, checkpoint = NAMES.index(who), CHECKPOINTS[where]
        for direction, cell in (("in", came), ("out", left)):
            if cell == "—":
                continue
            clock, _, next_day = cell.partition(" ")
            hour, minute = map(int, clock.split(":"))
            day = DAY + dt.timedelta(days=1 if next_day == "(21st)" else 0)
            at = dt.datetime.combine(day, dt.time(hour, minute), LOCAL)
            scans.append(Visit(person, FORMS[code], checkpoint, direction, at,
                               kiosk=KIOSKS[checkpoint]))
    return scans


def documented_command(text: str) -> list[str]:
    line = re.search(r"```sh\n\.venv/bin/kiosk-central (.+)\n```", text).group(1)
    return shlex.split(line)


def documented_output(text: str) -> dict[str, Any]:
    return json.loads(re.search(r"Real output.*?```json\n(.+?)\n```", text, re.DOTALL).group(1))


def differences(shown: Any, real: Any, where: str = "") -> list[str]:
    """Where the documented value differs from the real one. A field the doc leaves out is
    not compared; a list the doc ends with "…" is compared on the items shown, in order."""
    if isinstance(shown, dict) and isinstance(real, dict):
        return [d for key, value in shown.items()
                for d in (differences(value, real[key], f"{where}.{key}") if key in real
                          else [f"{where}.{key}: documented, not in the output"])]
    if isinstance(shown, list) and isinstance(real, list):
        cut = shown[-1:] == [ELLIPSIS]
        items = shown[:-1] if cut else shown
        if len(real) < len(items) or (not cut and len(real) != len(items)):
            return [f"{where}: {len(items)} documented, {len(real)} in the output"]
        return [d for n, item in enumerate(items)
                for d in differences(item, real[n], f"{where}[{n}]")]
    return [] if shown == real else [f"{where}: documented {shown!r}, output {real!r}"]


@pytest.fixture(params=ENGINES)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The centre with the example's two checkpoints, their kiosks, and the table's scans."""
    url = database_url(request.param, tmp_path)
    for name, checkpoint in CHECKPOINTS.items():
        central("kiosks", "add", "--db", url, "--checkpoint", checkpoint,
                "--checkpoint-name", name, "--name", f"Máy {name}",
                "--kiosk-id", KIOSKS[checkpoint])
    with open_storage(url) as storage:
        store_scans(storage, documented_scans(section()), SLOW)
    return url


def test_the_documented_scenario_is_the_one_the_text_describes() -> None:
    scans = documented_scans(section())
    assert len(scans) == 9  # five rows, one without an exit
    binh = [s for s in scans if NAMES[s.person] == "Trần Thị Bình"]
    assert [(s.form, s.checkpoint, s.kiosk) for s in binh] == [
        ("cccd", "CP-CHO-BD", "k-cho"), ("cccd", "CP-CHO-BD", "k-cho"),
        ("pccovid_masked", "CP-BX-TT", "k-bx"), ("pccovid_masked", "CP-BX-TT", "k-bx")]
    assert binh[-1].at == dt.datetime(2026, 11, 21, 0, 20, tzinfo=LOCAL)


def test_the_worked_example_prints_what_the_doc_shows(db: str) -> None:
    text = section()
    command = documented_command(text)
    assert command[0] == "trace"
    printed = central(*command, "--db", db)
    real = json.loads(printed.stdout)
    shown = documented_output(text)
    assert differences(shown, real) == []
    # What the prose says of the answer, beyond the fields compared:
    assert len(real["visits"]) == 2 and len(real["contacts"]) == 3
    dung = next(e for e in real["exposures"] if e["rank"] == 3)  # Phạm Thị Dung, no exit
    assert (dung["their_entry"], dung["their_exit"], dung["estimated"]) == (
        "2026-11-20T09:20:00+07:00", "2026-11-20T11:20:00+07:00", True)


def test_the_documented_audit_log_follows_the_example(db: str, tmp_path: Path) -> None:
    """The JSON trace, the same as a workbook, then the listing the doc shows: each numbered
    in order, the listing recording itself first (the time and the actor are the run's own)."""
    text = section()
    command = documented_command(text)
    answer = json.loads(central(*command, "--db", db).stdout)
    assert answer["audit"] == documented_output(text)["audit"]
    central(*command, "--db", db, "--format", "xlsx", "-o", str(tmp_path / "F0-1234.xlsx"))
    block = re.search(r"```\n\$ \.venv/bin/kiosk-central (audit list [^\n]+)\n(.+?)\n```", text,
                      re.DOTALL)
    printed = central(*shlex.split(block.group(1)), "--db", db).stdout
    assert own_run(printed) == own_run(block.group(2))


def own_run(listing: str) -> list[str]:
    """The audit listing's lines without each record's time and actor."""
    return [re.sub(r"^(#\d+) \S+Z \S+ \(", r"\1 (", line) for line in listing.splitlines()]
