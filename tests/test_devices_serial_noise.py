"""A serial port read at another baud rate than the scanner sends is line noise, never a
person (review: each read of a wrong-baud line was recorded green as "Mã khác", counted in
"Vào hôm nay" and "Đang ở trong", its byte 0x9E replaced by U+FFFD and kept nowhere).

Real pseudo-terminals, the supervisor and a real pipeline over a store file, as in the
field. The pty sends what the reviewer's line at the wrong speed produced (NUL and control
bytes among bytes cp1258 does not define): each read is refused "not read whole — scan
again", naming the baud rate, nothing is counted, and the refused log keeps the bytes
exactly as they arrived. Every real code — CCCD, PC-Covid, HC1, URLs, GS1, plain text, in
UTF-8 or cp1258 — still passes.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from pathlib import Path

import pytest
from devices_support import Pty, wait_until
from openpyxl import load_workbook

from kiosk import exports
from kiosk.config import validate_device
from kiosk.devices.serial_framer import clean_frame
from kiosk.devices.supervisor import CONNECTED, Supervisor
from kiosk.scan import ScanResult, Status

TESTDATA = Path(__file__).resolve().parents[2] / "shared" / "testdata"
WRONG_BAUD = [  # the reviewer's three reads (/dev/pts at 9600, the scanner at another rate)
    bytes.fromhex("80 f8 00 fe 78 80 00 f8 66 9e 06 e0 78 1e 80 e6 86"),
    bytes.fromhex("e6 18 9e 80 78 f8 06 00 86 fe 1e 80 60 e0 98 18 66"),
    bytes.fromhex("80 f8 00 fe 78 80 00 f8 66 06 e0 78 1e 80 e6 86 98 66 e0"),
]
CCCD_AN = "001099012345|123456789|Nguyễn Văn An|01021990|Nam|Số 1 Phố Huế, Hà Nội|10102021"
PCCOVID = "******012345|NGUYEN VAN AN|1990-**-**|0|162979388586171100|<1<00<0912345678"
HC1 = json.loads((TESTDATA / "dgc" / "DE" / "2DCode" / "raw" / "1.json").read_text())["PREFIX"]


TONES = "\u0300\u0301\u0303\u0309\u0323"
"""Vietnamese tone marks: combining characters in cp1258, never precomposed there."""


def cp1258(text: str) -> bytes:
    """``text`` as a Windows-1258 scanner sends it: a base letter (â, ơ, đ… are in the code
    page), then its tone as a combining mark."""
    out = b""
    for char in text:
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            marks = unicodedata.normalize("NFD", char)
            base = "".join(c for c in marks if c not in TONES)
            tone = "".join(c for c in marks if c in TONES)
            out += (unicodedata.normalize("NFC", base) + tone).encode("cp1258")
    return out


class Lane:
    """One serial scanner on a pty, supervised, its scans submitted to a real pipeline."""

    def __init__(self, make_pipeline, **settings: object) -> None:
        self.pipeline = make_pipeline(duplicate_policy="allow")
        self.results: list[ScanResult] = []
        self.pipeline.subscribe(self.results.append)
        self.pty = Pty()
        options = validate_device(0, {"id": "lane1", "type": "serial", "port": self.pty.path,
                                      "lane": "in", **settings})
        self.supervisor = Supervisor([options], self.pipeline.submit, poll_missing=0.05,
                                     backoff_initial=0.05)
        self.supervisor.start()
        wait_until(lambda: self.supervisor.status()[0].state == CONNECTED, what="connected")

    def scan(self, data: bytes) -> ScanResult:
        """Send one code with its CRLF; the result the officer is shown."""
        count = len(self.results) + 1
        self.pty.send(data + b"\r\n")
        wait_until(lambda: len(self.results) >= count, what=f"{count} results",
                   found=lambda: repr([(r.status, r.scan.payload) for r in self.results]))
        return self.results[-1]

    def close(self) -> None:
        self.supervisor.stop()
        self.pty.unplug()


@pytest.fixture
def lane(make_pipeline):
    one = Lane(make_pipeline)
    yield one
    one.close()


def test_a_wrong_baud_rates_noise_is_refused_scan_again_naming_the_baud_rate(lane) -> None:
    results = [lane.scan(read) for read in WRONG_BAUD]
    for result in results:
        assert result.status is Status.REJECTED and not result.recorded
        assert result.reason_code == "code_cut"  # the officer's card: QUÉT LẠI / SCAN AGAIN
        assert "baud rate (usually 9600 or 115200)" in result.reason_in("en")
        assert "mã đọc không rõ" in result.reason_in("vi")
        assert "tốc độ baud" in result.reason_in("vi")
    store = lane.pipeline.store
    stats = store.stats(lane.pipeline.policy.checkpoint_id)
    assert (stats.entries_in, stats.inside, stats.refused) == (0, 0, 3)
    assert store.conn.execute("SELECT count(*) FROM entries").fetchone()[0] == 0


def test_the_refused_log_keeps_the_noise_byte_for_byte(lane) -> None:
    """Read with cp1258, 0x9E would become U+FFFD and 19 bytes 33: the bytes that arrived
    are kept, for whoever works out what the line was doing."""
    for read in WRONG_BAUD:
        lane.scan(read)
    kept = [bytes(row[0]) for row in lane.pipeline.store.conn.execute(
        "SELECT payload FROM refused_scans ORDER BY id")]
    assert kept == WRONG_BAUD
    assert [r.scan.payload for r in lane.results] == WRONG_BAUD


CODES = [
    pytest.param(CCCD_AN.encode(), "cccd", id="cccd-utf8"),
    pytest.param("\ufeff".encode() + CCCD_AN.encode(), "cccd", id="cccd-bom"),
    pytest.param(PCCOVID.encode(), "pccovid", id="pccovid"),
    pytest.param(HC1.encode(), "hc1", id="hc1-eu-test-data"),
    pytest.param(b"https://vi.wikipedia.org/wiki/H%C3%A0_N%E1%BB%99i?x=1&y=2", "other",
                 id="url"),
    pytest.param(b"]Q3010893850597419417261231\x1d10LOT-42", "other", id="gs1-with-gs"),
    pytest.param(cp1258("Nhà văn hoá phường Đội Cấn"), "other", id="cp1258-text"),
    pytest.param(b"\x02" + cp1258("Trần Thị Bình, 12 Nguyễn Huệ") + b"\x03", "other",
                 id="cp1258-stx-etx-framed"),
    pytest.param(b"Venue 42\tHall B", "other", id="plain-text-with-tab"),
    pytest.param(cp1258(CCCD_AN.replace("|", "\x1d")), "other", id="cp1258-with-gs"),
    pytest.param(b"\x02" + cp1258("Trần Thị Bình") + b"\x03\x9d", "other",
                 id="cp1258-stx-etx-and-a-checksum-byte"),
]


@pytest.mark.parametrize(("code", "kind"), CODES)
def test_every_real_code_still_passes(lane, code: bytes, kind: str) -> None:
    result = lane.scan(code)
    assert result.status is Status.ACCEPTED, result.reason_in("en")
    assert result.identity is not None and result.identity.kind == kind


def test_no_recorded_real_code_is_taken_for_line_noise() -> None:
    """The zxing-cpp photographs' decoded texts and the EU certificates' payloads: real
    codes from outside the project, none of them line noise."""
    texts = [path.read_bytes() for path in TESTDATA.glob("qr-photos/*/*.txt")]
    certificates = [json.loads(path.read_text()).get("PREFIX", "").encode()
                    for path in TESTDATA.glob("dgc/*/2DCode/raw/*.json")]
    assert texts and certificates
    assert [code for code in texts + certificates if "noise" in clean_frame(code)[2]] == []


def test_noise_without_its_terminator_names_the_baud_rate_not_the_terminator(lane) -> None:
    """At the wrong speed the scanner's CR LF arrives garbled too: the quiet line ends the
    read, and the reason is the baud rate, not a terminator to configure."""
    lane.pty.send(WRONG_BAUD[0])
    wait_until(lambda: lane.results, what="a result")
    [result] = lane.results
    assert result.status is Status.REJECTED and result.reason_code == "code_cut"
    assert "baud rate" in result.reason_in("en") and "terminator" not in result.reason_in("en")


def test_a_frame_read_in_the_fallback_code_page_keeps_the_bytes_it_came_as(lane) -> None:
    """A frame that is not UTF-8 is read as cp1258 and recorded as its text in UTF-8 — with
    the tones composed (NFC), and a byte cp1258 does not define (an STX…ETX frame's checksum
    byte 0x9D) become U+FFFD: neither the bytes that came nor the fact was kept anywhere.
    The entry keeps them now, in hex, with the code page they were read in; it goes to the
    centre as it is (personal data in ``extra`` travels as the payload does)."""
    frames = [b"\x02" + cp1258("Trần Thị Bình") + b"\x03\x9d",  # two scanners' recordings
              cp1258("Nhà văn hoá phường Đội Cấn")]
    results = [lane.scan(frame) for frame in frames]
    utf8 = lane.scan(CCCD_AN.encode())  # a UTF-8 frame is its payload: nothing beside it
    assert [r.status for r in results] == [Status.ACCEPTED, Status.ACCEPTED]
    assert "\ufffd" in results[0].scan.payload.decode()  # what the text alone could say
    entries = {e["id"]: e for e in lane.pipeline.store.entries(since="2000", until="9999")}
    kept = [json.loads(entries[r.entry_id]["extra"]) for r in results]
    assert [bytes.fromhex(extra["sent_hex"]) for extra in kept] == frames
    assert [extra["sent_as"] for extra in kept] == ["cp1258", "cp1258"]
    assert "sent_hex" not in json.loads(entries[utf8.entry_id]["extra"] or "{}")


def test_the_bytes_a_frame_came_as_stay_out_of_the_kiosks_exports(lane, tmp_path) -> None:
    """The frame's bytes in hex are the whole card code again, and an export (a CSV or XLSX
    on a stick, handed round) leaves the payload out on purpose: ``sent_hex`` and
    ``sent_as`` are left out of the ``extra`` column likewise; the rest of it stays."""
    frame = cp1258("001099012345|123456789|Trần Thị Bình|01021990|Nữ|Phố Huế|10102021")
    [result] = [lane.scan(frame)]
    assert result.status is Status.ACCEPTED
    store = lane.pipeline.store
    csv_out, xlsx_out = io.BytesIO(), io.BytesIO()
    assert exports.write_csv(store, None, None, csv_out, workers=1) == 1
    exports.write_xlsx(store, None, None, xlsx_out)
    header, row = [*csv.reader(io.StringIO(csv_out.getvalue().decode()))]
    sheet = load_workbook(xlsx_out, read_only=True)["entries"]
    cells = [list(r) for r in sheet.iter_rows(values_only=True)][1]
    for exported in (dict(zip(header, row, strict=True)),
                     dict(zip(header, cells, strict=True))):
        assert exported["name"] == "Trần Thị Bình"
        assert "sent_hex" not in (exported["extra"] or "") and frame.hex() not in str(exported)
        assert "sent_as" not in (exported["extra"] or "")
