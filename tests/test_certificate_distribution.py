"""The trust list from the technician's file to the centre and on to every kiosk: the real
``kiosk`` and ``kiosk-central`` commands, a real server on 127.0.0.1 (SQLite and
PostgreSQL), ETags, and a running kiosk that picks the list up by itself."""

from __future__ import annotations

import base64
import email.utils
import http.server
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from central_support import CENTRAL, ENGINES, CentralServer, central, database_url, enrol

from kiosk import cli
from kiosk.app import Kiosk
from kiosk.certificates import trustlist, verdicts
from kiosk.certificates.refresh import refresh
from kiosk.scan import Scan
from kiosk.sync import protocol
from kiosk.sync.client import Refused, SyncClient
from tests.certificate_support import make_issuer, vaccination
from tests.conftest import make_config

NOW = time.time()


@pytest.fixture(scope="module", params=ENGINES)
def server(request, tmp_path_factory) -> Iterator[CentralServer]:
    db = database_url(request.param, tmp_path_factory.mktemp('central'))
    srv = CentralServer(db)
    yield srv
    assert "Traceback" not in srv.stop()


def gateway_file(directory: Path, *issuers) -> Path:
    """A trust list as the EU gateway hands it out (its /trustList/DSC JSON)."""
    path = directory / f"gateway-{uuid.uuid4().hex[:6]}.json"
    path.write_text(json.dumps([
        {"kid": base64.b64encode(i.kid).decode(), "country": "VN", "certificateType": "DSC",
         "rawData": base64.b64encode(i.der).decode()} for i in issuers]))
    return path


def get(server, token=None, etag=None) -> httpx.Response:
    headers = {**(protocol.bearer(token) if token else {}),
               **({"If-None-Match": etag} if etag else {})}
    return httpx.get(server.url + protocol.TRUST_LIST_PATH, headers=headers, timeout=30)


def test_the_centre_serves_its_list_only_to_enrolled_kiosks_with_an_etag(server, tmp_path):
    kiosk = enrol(server.db, f"k-{uuid.uuid4().hex[:8]}")
    assert get(server).status_code == 401
    assert get(server, "not-a-token").status_code == 401
    central("certificates", "import", "--db", server.db,
            str(gateway_file(tmp_path, make_issuer(), make_issuer())))
    first = get(server, kiosk.token)
    assert first.status_code == 200
    held = trustlist.parse(first.content)
    assert len(held) == 2
    assert first.headers["ETag"] == trustlist.etag(first.content)
    unchanged = get(server, kiosk.token, etag=first.headers["ETag"])
    assert unchanged.status_code == 304 and unchanged.content == b""
    central("kiosks", "revoke", "--db", server.db, kiosk.kiosk_id)
    assert get(server, kiosk.token).status_code == 401


def test_a_kiosk_refreshes_only_when_the_centres_list_changed(server, tmp_path):
    kiosk = enrol(server.db, f"k-{uuid.uuid4().hex[:8]}")
    issuer = make_issuer()
    central("certificates", "import", "--db", server.db, str(gateway_file(tmp_path, issuer)))
    held = tmp_path / "kiosk" / "trust-list.json"
    client = SyncClient(server.url, kiosk.token)
    try:
        assert refresh(client, held).changed
        served = get(server, kiosk.token)
        kept = trustlist.load(held)  # the centre's list, and when and how it came
        assert kept.to_json() != served.content and kept.fetched is not None
        assert kept.imported_at == trustlist.parse(served.content).imported_at
        assert kept.fetched.etag == served.headers["ETag"]
        assert not refresh(client, held).changed  # asked with the centre's ETag: 304
        newcomer = make_issuer()
        central("certificates", "import", "--db", server.db,
                str(gateway_file(tmp_path, issuer, newcomer)))
        again = refresh(client, held)
        assert again.changed and again.signers == 2
        assert trustlist.load(held).find(newcomer.kid)
    finally:
        client.close()


def test_a_centre_without_a_list_says_so_and_the_kiosk_keeps_its_own(tmp_path):
    srv = CentralServer(f"sqlite:///{tmp_path}/empty.db")
    try:
        kiosk = enrol(srv.db, "k-empty")
        answer = get(srv, kiosk.token)
        assert answer.status_code == 404 and "certificates import" in answer.json()["error"]
        held = tmp_path / "trust-list.json"
        trustlist.save(trustlist.build([], imported_at=trustlist.dt.datetime.now(
            trustlist.dt.UTC)), held)
        before = held.read_bytes()
        client = SyncClient(srv.url, kiosk.token)
        with pytest.raises(Refused, match="404"):
            refresh(client, held)
        client.close()
        assert held.read_bytes() == before
    finally:
        srv.stop()


@pytest.mark.parametrize("body", [
    b'{"certificates": "all trusted"}',
    json.dumps({"format": trustlist.FILE_FORMAT, "imported_at": "2026-01-01T00:00:00Z",
                "trustList": [{"kid": "AAAAAAAAAAA=", "country": "ZZ",
                               "rawData": "bm90IGEgY2VydA=="}]}).encode(),
])
def test_an_answer_that_is_not_a_trust_list_never_replaces_the_kiosks(tmp_path, body):
    class Liar(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Liar)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    held = tmp_path / "trust-list.json"
    trustlist.save(trustlist.load(gateway_file(tmp_path, make_issuer())), held)
    before = held.read_bytes()
    client = SyncClient(f"http://127.0.0.1:{httpd.server_port}", "token")
    try:
        with pytest.raises(trustlist.TrustListError):
            refresh(client, held)
    finally:
        client.close()
        httpd.shutdown()
    assert held.read_bytes() == before


def test_a_running_kiosk_fetches_the_list_and_checks_with_it(server, tmp_path):
    enrolled = enrol(server.db, f"k-{uuid.uuid4().hex[:8]}")
    issuer = make_issuer()
    central("certificates", "import", "--db", server.db, str(gateway_file(tmp_path, issuer)))
    config = make_config(tmp_path, kiosk={"id": enrolled.kiosk_id,
                                          "checkpoint_id": enrolled.checkpoint_id},
                         sync={"enabled": True, "server_url": server.url,
                               "token": enrolled.token})
    kiosk = Kiosk(config)
    kiosk.start()
    try:
        deadline = time.monotonic() + 20
        while not config.trust_list_path.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        code = issuer.sign(vaccination(), issued=NOW - 60, expires=NOW + 86400)
        result = kiosk.pipeline.submit(Scan(code.encode(), device_id="cam", lane="in"))
        assert result.certificate.status == verdicts.VALID
    finally:
        kiosk.stop()


def kiosk_at(libfaketime: Path, clock: str, config: Path, *args: str
             ) -> subprocess.CompletedProcess[str]:
    """The real ``kiosk ARGS`` in a process of its own whose clock reads ``clock``
    (libfaketime's FAKETIME: "@2056-06-01 00:00:00", or "-40m" behind the real one), as on
    a kiosk whose clock is wrong. Only the wall clock: the clock since boot runs on as on a
    real kiosk (libfaketime would move ``CLOCK_BOOTTIME`` with it, as no clock step does)."""
    return subprocess.run(
        [sys.executable, "-m", "kiosk.cli", *args, "--config", str(config)],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "LD_PRELOAD": str(libfaketime), "FAKETIME": clock,
             "FAKETIME_DONT_FAKE_MONOTONIC": "1"})


def fetched_by_a_kiosk(server, tmp_path, libfaketime, kiosk_clock, *, centre_clock=None):
    """The centre imports a list (its clock moved to ``centre_clock`` if given, as
    libfaketime's FAKETIME), then a kiosk whose clock reads ``kiosk_clock`` fetches it with
    the real ``kiosk certificates refresh``. The kiosk's config and the list's issuer."""
    enrolled = enrol(server.db, f"k-{uuid.uuid4().hex[:8]}")
    issuer = make_issuer()
    source = gateway_file(tmp_path, issuer)
    if centre_clock is None:
        central("certificates", "import", "--db", server.db, str(source))
    else:
        imported = subprocess.run(
            [*CENTRAL, "certificates", "import", "--db", server.db, str(source)],
            capture_output=True, text=True, timeout=60,
            env={**os.environ, "LD_PRELOAD": str(libfaketime), "FAKETIME": centre_clock})
        assert imported.returncode == 0, imported.stderr
    config = tmp_path / "config.toml"
    config.write_text(f'[kiosk]\nid = "{enrolled.kiosk_id}"\ncheckpoint_id = "CP"\n'
                      f'[sync]\nserver_url = "{server.url}"\ntoken = "{enrolled.token}"\n'
                      '[certificates]\ntrust_list = "keys/trust.json"\nmax_age_days = 7\n'
                      'policy = "require-valid"\n')
    fetched = kiosk_at(libfaketime, kiosk_clock, config, "certificates", "refresh")
    assert fetched.returncode == 0, fetched.stderr
    return config, issuer


@pytest.mark.parametrize("behind", ["-40m", "-1d"])
def test_a_kiosk_whose_clock_is_behind_the_centres_uses_the_list_it_just_fetched(
        server, tmp_path, libfaketime, behind):
    """The centre's import time is on the centre's clock; a kiosk clock behind it (by 40
    minutes; by a day, as a Pi without RTC that restored its last shutdown time on a network
    without NTP) must not make the list just fetched look imported by a clock ahead (too
    old, IMPORT IT AGAIN, which the centre's list could never cure). Its age is counted on
    the kiosk's own clock from when it arrived: current, and a valid certificate reads
    valid (let through under require-valid)."""
    config, issuer = fetched_by_a_kiosk(server, tmp_path, libfaketime, behind)

    report = json.loads(kiosk_at(libfaketime, behind, config, "certificates", "status",
                                 "--json").stdout)
    assert report["too_old"] is False and report["age_days"] == 0.0, report
    assert report["later_than_clock"] is False and report["fetched_at"] < report["imported_at"]
    status = kiosk_at(libfaketime, behind, config, "certificates", "status").stdout
    assert "0.0 ngày trước; tối đa 7: còn hạn" in status, status
    valid = issuer.sign(vaccination(), issued=NOW - 3 * 86400, expires=NOW + 30 * 86400)
    scan = kiosk_at(libfaketime, behind, config, "scan", valid)
    assert scan.returncode == 0, scan.stdout + scan.stderr
    assert "CHỨNG NHẬN HỢP LỆ — 2/2 mũi" in scan.stdout, scan.stdout
    assert "QUÁ CŨ" not in scan.stdout


def test_a_kiosk_clock_set_back_since_the_list_arrived_ages_it_by_the_centres_import_time(
        server, tmp_path, libfaketime):
    """The list arrived while the kiosk's clock was 40 minutes ahead, then NTP set it back:
    its recorded arrival is later than the clock reads, so it tells no age. The age is then
    the centre's import time as the clock reads it now (current here; later than the clock
    would be "age unknown, still used"), never "too old, import it again"; and the next
    refresh fetches the list whole (not asked with its ETag) and records its arrival anew."""
    config, issuer = fetched_by_a_kiosk(server, tmp_path, libfaketime, "+40m")
    set_back = "+0"

    report = json.loads(kiosk_at(libfaketime, set_back, config, "certificates", "status",
                                 "--json").stdout)
    assert report["too_old"] is False and report["age_days"] == 0.0, report
    ahead = report["fetched_at"]
    assert ahead > report["imported_at"]
    valid = issuer.sign(vaccination(), issued=NOW - 86400, expires=NOW + 30 * 86400)
    scan = kiosk_at(libfaketime, set_back, config, "scan", valid)
    assert "CHỨNG NHẬN HỢP LỆ — 2/2 mũi" in scan.stdout, scan.stdout

    again = kiosk_at(libfaketime, set_back, config, "certificates", "refresh")
    assert again.returncode == 0, again.stderr
    assert "Đã cập nhật: 1 khoá ký" in again.stdout, again.stdout
    report = json.loads(kiosk_at(libfaketime, set_back, config, "certificates", "status",
                                 "--json").stdout)
    assert report["too_old"] is False and report["fetched_at"] < ahead  # arrived anew
    unchanged = kiosk_at(libfaketime, set_back, config, "certificates", "refresh")
    assert "Đã là bản mới nhất" in unchanged.stdout  # asked with its ETag now: a 304


def assert_eight_days_old(libfaketime: Path, clock: str, config: Path) -> None:
    """``kiosk certificates status`` (and ``--json``) on a clock reading ``clock`` says the
    list is eight days old, too old for at most seven, not by a wrong clock."""
    report = json.loads(kiosk_at(libfaketime, clock, config, "certificates", "status",
                                 "--json").stdout)
    assert report["too_old"] is True and report["age_days"] == 8.0, (clock, report)
    assert report["wrong_clock"] is None
    status = kiosk_at(libfaketime, clock, config, "certificates", "status").stdout
    assert "8.0 ngày trước; tối đa 7: QUÁ CŨ" in status, status


def test_a_list_the_centre_imported_days_ago_is_as_old_on_a_kiosk_whose_clock_is_behind(
        server, tmp_path, libfaketime):
    """The age is the centre's import's, not reset by the fetch: a list the centre imported
    eight days ago (at most seven allowed) is eight days old on a kiosk 40 minutes behind,
    too old (not "import it again"), and a valid certificate reads "trust list too old"."""
    config, issuer = fetched_by_a_kiosk(server, tmp_path, libfaketime, "-40m",
                                        centre_clock="-8d")

    assert_eight_days_old(libfaketime, "-40m", config)
    valid = issuer.sign(vaccination(), issued=NOW - 10 * 86400, expires=NOW + 30 * 86400)
    scan = kiosk_at(libfaketime, "-40m", config, "scan", valid)
    assert "DANH SÁCH KHÓA QUÁ CŨ — CHƯA CHẮC HỢP LỆ" in scan.stdout, scan.stdout


def test_a_list_the_centre_imported_with_its_clock_ahead_is_too_old_until_it_imports_again(
        server, tmp_path, libfaketime):
    """The centre's clock ran a year ahead at its import, and is right when it sends the
    list (its answer's Date): the import time says nothing of the list's age. The kiosk
    (its clock right) calls it too old and says to import it again at the centre."""
    config, _ = fetched_by_a_kiosk(server, tmp_path, libfaketime, "+0", centre_clock="+365d")

    report = json.loads(kiosk_at(libfaketime, "+0", config, "certificates", "status",
                                 "--json").stdout)
    assert report["too_old"] is True and report["wrong_clock"] == "centre", report
    status = kiosk_at(libfaketime, "+0", config, "certificates", "status").stdout
    assert "CẦN NHẬP LẠI Ở TRUNG TÂM" in status, status


def test_a_kiosk_clock_set_right_after_the_list_arrived_does_not_age_it(
        server, tmp_path, libfaketime):
    """A Pi without RTC boots at its last shutdown time, ten days back, and fetches the list
    the centre just imported; NTP then sets the clock right, adding ten days to the time
    since the recorded arrival. The list is aged by the clock since boot from its arrival,
    which no step moves: as old as the centre's import at once, not ten days until the next
    refresh (an hour of valid certificates refused under require-valid). The next refresh
    is answered "unchanged" (304) with the centre's Date and records the arrival anew (what
    ages it after a reboot): still current, and a valid certificate is let through."""
    config, issuer = fetched_by_a_kiosk(server, tmp_path, libfaketime, "-10d")
    before = json.loads(kiosk_at(libfaketime, "+0", config, "certificates", "status",
                                 "--json").stdout)
    assert before["too_old"] is False and before["age_days"] == 0.0, before
    valid = issuer.sign(vaccination(), issued=NOW - 86400, expires=NOW + 30 * 86400)
    scan = kiosk_at(libfaketime, "+0", config, "scan", valid)
    assert "CHỨNG NHẬN HỢP LỆ — 2/2 mũi" in scan.stdout, scan.stdout + scan.stderr

    unchanged = kiosk_at(libfaketime, "+0", config, "certificates", "refresh")
    assert "Đã là bản mới nhất" in unchanged.stdout, unchanged.stdout + unchanged.stderr
    report = json.loads(kiosk_at(libfaketime, "+0", config, "certificates", "status",
                                 "--json").stdout)
    assert report["too_old"] is False and report["age_days"] == 0.0, report
    assert report["fetched_at"] > before["fetched_at"]
    scan = kiosk_at(libfaketime, "+0", config, "scan", valid)
    assert "CHỨNG NHẬN HỢP LỆ — 2/2 mũi" in scan.stdout, scan.stdout + scan.stderr


def test_a_kiosk_clock_jumping_ahead_after_the_list_arrived_does_not_age_it(
        server, tmp_path, libfaketime):
    """The kiosk's clock, right when the list arrived, jumps twenty days ahead (a glitching
    RTC, a wrong date typed): the list is as old as the clock since boot says, current, and a
    valid certificate is let through under require-valid, not "trust list too old"."""
    config, issuer = fetched_by_a_kiosk(server, tmp_path, libfaketime, "+0")
    report = json.loads(kiosk_at(libfaketime, "+20d", config, "certificates", "status",
                                 "--json").stdout)
    assert report["too_old"] is False and report["age_days"] == 0.0, report
    status = kiosk_at(libfaketime, "+20d", config, "certificates", "status").stdout
    assert "0.0 ngày trước; tối đa 7: còn hạn" in status, status
    valid = issuer.sign(vaccination(), issued=NOW - 86400, expires=NOW + 90 * 86400)
    scan = kiosk_at(libfaketime, "+20d", config, "scan", valid)
    assert "CHỨNG NHẬN HỢP LỆ — 2/2 mũi" in scan.stdout, scan.stdout + scan.stderr


def test_a_kiosk_clock_ahead_when_the_list_arrived_then_set_right_does_not_age_it(
        server, tmp_path, libfaketime):
    """The kiosk's clock reads twenty days ahead (a wrong date typed, a glitching RTC) when
    the list the centre just imported arrives, its Date saying so; NTP then sets it right.
    Before: the arrival was taken as twenty days after the import and the clock since boot
    carried that on, every refresh keeping the older record: "trust list too old", valid
    certificates refused under require-valid, for the rest of the boot (weeks on a kiosk),
    where a clock set right used to cure it at once. Now the next refresh (hourly, or
    ``kiosk certificates refresh``) whose Date agrees with the clock and moved on as the
    clock since boot did drops that record: current, and stays so. (Until that refresh it
    is still too old: a clock set right and one set back by hand look alike.)"""
    config, issuer = fetched_by_a_kiosk(server, tmp_path, libfaketime, "+20d")
    valid = issuer.sign(vaccination(), issued=NOW - 86400, expires=NOW + 90 * 86400)
    again = kiosk_at(libfaketime, "+0", config, "certificates", "refresh")  # set right
    assert again.returncode == 0, again.stderr
    for step in ("refreshed", "refreshed again"):
        report = json.loads(kiosk_at(libfaketime, "+0", config, "certificates", "status",
                                     "--json").stdout)
        assert report["too_old"] is False and report["age_days"] == 0.0, (step, report)
        scan = kiosk_at(libfaketime, "+0", config, "scan", valid)
        assert "CHỨNG NHẬN HỢP LỆ — 2/2 mũi" in scan.stdout, (step, scan.stdout)
        again = kiosk_at(libfaketime, "+0", config, "certificates", "refresh")
        assert again.returncode == 0, again.stderr
    document = json.loads((tmp_path / "keys" / "trust.json").read_text())
    assert "boot" in document["fetched"]  # the arrival with the clock right: by boot again


@pytest.mark.parametrize("set_back", ["-10d", "@2000-01-01 00:00:00"])
def test_a_kiosk_clock_set_back_never_makes_an_old_list_young(
        server, tmp_path, libfaketime, set_back):
    """The centre imported the list eight days ago (at most seven allowed): too old on a
    kiosk whose clock is right. Setting the kiosk's clock back (ten days, to before the
    import; to 2000) does not make it "age unknown, still used": the clock since boot still
    says eight days, too old, and a certificate reads "trust list too old"."""
    config, issuer = fetched_by_a_kiosk(server, tmp_path, libfaketime, "+0",
                                        centre_clock="-8d")
    for clock in ("+0", set_back):
        assert_eight_days_old(libfaketime, clock, config)
    valid = issuer.sign(vaccination(), issued=NOW - 20 * 86400, expires=NOW + 30 * 86400)
    scan = kiosk_at(libfaketime, "-10d", config, "scan", valid)
    assert "DANH SÁCH KHÓA QUÁ CŨ — CHƯA CHẮC HỢP LỆ" in scan.stdout, scan.stdout


def test_a_record_of_another_boot_ages_the_list_by_the_times_recorded(
        server, tmp_path, libfaketime):
    """Across a reboot the clock since boot tells nothing: a list whose record is of another
    boot (its id) is aged by the recorded times as before, twenty days on a clock jumped
    twenty days ahead; a record no boot could write (a hand edit) counts as none."""
    config, _ = fetched_by_a_kiosk(server, tmp_path, libfaketime, "+0")
    held = tmp_path / "keys" / "trust.json"
    document = json.loads(held.read_bytes())
    assert document["fetched"]["boot"]["id"] == Path(
        "/proc/sys/kernel/random/boot_id").read_text().strip()
    for boot in ({"id": str(uuid.uuid4()), "counted_from": 0.0},
                 {"id": document["fetched"]["boot"]["id"], "counted_from": 1e300},
                 {"id": document["fetched"]["boot"]["id"], "counted_from": 1e9},
                 {"id": document["fetched"]["boot"]["id"], "counted_from": "soon"}):
        document["fetched"]["boot"] = boot
        held.write_text(json.dumps(document))
        report = json.loads(kiosk_at(libfaketime, "+20d", config, "certificates", "status",
                                     "--json").stdout)
        assert report["too_old"] is True and report["age_days"] == 20.0, (boot, report)


def a_centre_answering(date: str, listed: trustlist.TrustList, tmp_path: Path
                       ) -> http.server.ThreadingHTTPServer:
    """A server on 127.0.0.1 answering as the centre does (the list, 304 to its ETag), every
    answer with the header ``Date: date`` (a proxy's cached answer, a glitching clock)."""
    trustlist.save(listed, tmp_path / "centre.json")
    body = (tmp_path / "centre.json").read_bytes()
    etag = trustlist.etag(body)

    class Centre(http.server.BaseHTTPRequestHandler):
        def date_time_string(self, timestamp=None):
            return date

        def do_GET(self):
            unchanged = self.headers.get("If-None-Match") == etag
            self.send_response(304 if unchanged else 200)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0" if unchanged else str(len(body)))
            self.end_headers()
            if not unchanged:
                self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Centre)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def config_for(httpd: http.server.ThreadingHTTPServer, tmp_path: Path,
               max_age_days: int = 14) -> Path:
    """A kiosk's config (policy require-valid) syncing with ``httpd``."""
    config = tmp_path / "config.toml"
    config.write_text(f'[kiosk]\nid = "k1"\ncheckpoint_id = "CP"\n'
                      f'[store]\npath = "{tmp_path}/kiosk.db"\n'
                      f'[sync]\nserver_url = "http://127.0.0.1:{httpd.server_port}"\n'
                      f'token = "t"\n[certificates]\ntrust_list = "{tmp_path}/trust.json"\n'
                      f'max_age_days = {max_age_days}\npolicy = "require-valid"\n')
    return config


def test_a_date_close_to_the_import_never_makes_a_list_younger(tmp_path):
    """An answer replayed or cached since soon after the centre's import carries a Date an
    hour after it: with the kiosk's clock right, the list five days old is five days old
    (too old for at most two), not an hour."""
    imported = trustlist.dt.datetime.now(trustlist.dt.UTC) - trustlist.dt.timedelta(days=5)
    listed = trustlist.build([trustlist.signer_from_der(make_issuer().der)],
                             imported_at=imported, source="centre import")
    date = email.utils.format_datetime(imported + trustlist.dt.timedelta(hours=1),
                                       usegmt=True)
    httpd = a_centre_answering(date, listed, tmp_path)
    client = SyncClient(f"http://127.0.0.1:{httpd.server_port}", "token")
    held = tmp_path / "trust-list.json"
    try:
        for _ in range(2):  # fetched, then unchanged (304)
            refresh(client, held)
            kept = trustlist.load(held)
            assert kept.age() > trustlist.dt.timedelta(days=5)
            assert kept.too_old(trustlist.dt.timedelta(days=2)) is True
    finally:
        client.close()
        httpd.shutdown()


def test_a_date_in_year_9999_is_taken_as_none(tmp_path, capsys):
    """A Date no clock could read (year 9999: a glitch, a forged header) says nothing of the
    centre's clock: the list is aged by its import time, ``status`` words it, and a genuine
    certificate is valid, never "kiosk software fault"."""
    issuer = make_issuer()
    listed = trustlist.build([trustlist.signer_from_der(issuer.der)],
                             imported_at=trustlist.dt.datetime.now(trustlist.dt.UTC)
                             - trustlist.dt.timedelta(hours=2), source="centre import")
    httpd = a_centre_answering("Fri, 31 Dec 9999 23:59:59 GMT", listed, tmp_path)
    config = config_for(httpd, tmp_path)
    try:
        for _ in range(2):  # fetched, then unchanged (304)
            assert cli.main(["certificates", "refresh", "--config", str(config)]) == 0
        capsys.readouterr()
        assert cli.main(["certificates", "status", "--config", str(config)]) == 0
        assert "0.1 ngày trước; tối đa 14: còn hạn" in capsys.readouterr().out
        valid = issuer.sign(vaccination(), issued=NOW - 86400, expires=NOW + 30 * 86400)
        assert cli.main(["scan", valid, "--config", str(config)]) == 0
        assert "CHỨNG NHẬN HỢP LỆ — 2/2 mũi" in capsys.readouterr().out
    finally:
        httpd.shutdown()


def test_a_kiosk_clock_set_back_and_a_replayed_date_never_make_an_old_list_young(
        tmp_path, libfaketime):
    """The list is eight days old (at most seven allowed) and every answer carries a Date an
    hour after its import (a replayed answer). The kiosk's clock, right when it fetched the
    list, is set back ten days: its record now reads later than the clock, so the next
    refresh fetches it whole, and by that Date the kiosk's clock is behind and the list an
    hour old. Within the boot no answer makes the list younger than the clock since boot
    says: still eight days, too old, after that refresh and after the 304 that follows."""
    issuer = make_issuer()
    imported = trustlist.dt.datetime.now(trustlist.dt.UTC) - trustlist.dt.timedelta(days=8)
    listed = trustlist.build([trustlist.signer_from_der(issuer.der)], imported_at=imported,
                             source="centre import")
    date = email.utils.format_datetime(imported + trustlist.dt.timedelta(hours=1),
                                       usegmt=True)
    httpd = a_centre_answering(date, listed, tmp_path)
    config = config_for(httpd, tmp_path, max_age_days=7)
    try:
        assert kiosk_at(libfaketime, "+0", config, "certificates", "refresh").returncode == 0
        for answered in ("Đã cập nhật: 1 khoá ký", "Đã là bản mới nhất"):
            refreshed = kiosk_at(libfaketime, "-10d", config, "certificates", "refresh")
            assert answered in refreshed.stdout, refreshed.stdout + refreshed.stderr
            report = json.loads(kiosk_at(libfaketime, "-10d", config, "certificates",
                                         "status", "--json").stdout)
            assert report["too_old"] is True and report["age_days"] == 8.0, report
        valid = issuer.sign(vaccination(), issued=NOW - 20 * 86400,
                            expires=NOW + 30 * 86400)
        scan = kiosk_at(libfaketime, "-10d", config, "scan", valid)
        assert "DANH SÁCH KHÓA QUÁ CŨ — CHƯA CHẮC HỢP LỆ" in scan.stdout, scan.stdout
    finally:
        httpd.shutdown()


class TestKioskCommands:
    def run(self, capsys, config_path, *args):
        code = cli.main(["certificates", *args, "--config", str(config_path)])
        out = capsys.readouterr()
        return code, out.out, out.err

    def run_at(self, libfaketime, clock, config_path, *args):
        """``kiosk certificates ARGS`` in a process of its own whose clock reads ``clock``
        (libfaketime), as on a kiosk whose clock is wrong."""
        return kiosk_at(libfaketime, f"@{clock}", config_path, "certificates", *args)

    def imported_at(self, tmp_path, libfaketime, clock):
        """A kiosk's config, an issuer and the gateway's file of it, imported by ``kiosk
        certificates import`` while the clock read ``clock``: the list is stamped then."""
        path = self.config_file(tmp_path)
        issuer = make_issuer()
        source = gateway_file(tmp_path, issuer)
        done = self.run_at(libfaketime, clock, path, "import", str(source))
        assert done.returncode == 0, done.stderr
        stamped = trustlist.load(tmp_path / "keys" / "trust.json").imported_at
        assert stamped.year == int(clock[:4])
        return path, issuer, source

    def check_too_old_until_imported_again(self, capsys, path, issuer, source):
        """A held list of unknown age: ``status --json`` calls it too old with no age; a
        valid certificate reads "trust list too old — not confirmed", never valid. Imported
        again with the clock right, the list is current and certificates read valid."""
        report = json.loads(self.run(capsys, path, "status", "--json")[1])
        assert report["too_old"] is True and report["age_days"] is None
        valid = issuer.sign(vaccination(), issued=NOW - 60, expires=NOW + 86400)
        assert cli.main(["scan", valid, "--config", str(path)]) == 0
        out = capsys.readouterr().out
        assert "DANH SÁCH KHÓA QUÁ CŨ — CHƯA CHẮC HỢP LỆ — 2/2 mũi" in out
        assert "CHỨNG NHẬN HỢP LỆ" not in out

        assert self.run(capsys, path, "import", str(source))[0] == 0  # the clock right
        assert "0.0 ngày trước; tối đa 7: còn hạn" in self.run(capsys, path, "status")[1]
        again = issuer.sign(vaccination(name=("Lê", "Tú")), issued=NOW - 60,
                            expires=NOW + 86400)
        assert cli.main(["scan", again, "--config", str(path)]) == 0
        assert "CHỨNG NHẬN HỢP LỆ — 2/2 mũi" in capsys.readouterr().out

    def config_file(self, tmp_path) -> Path:
        path = tmp_path / "config.toml"
        path.write_text('[kiosk]\nid = "k1"\ncheckpoint_id = "CP"\n'
                        '[certificates]\ntrust_list = "keys/trust.json"\nmax_age_days = 7\n')
        return path

    def test_import_then_status_shows_signers_and_age(self, tmp_path, capsys):
        path = self.config_file(tmp_path)
        issuer = make_issuer()
        pem = tmp_path / "pem"
        pem.mkdir()
        (pem / "vn.pem").write_bytes(issuer.pem)
        code, out, _ = self.run(capsys, path, "import", str(pem))
        assert code == 0 and "Đã nhập 1 khoá ký (VN 1)" in out  # [kiosk] language = "vi"
        assert (tmp_path / "keys" / "trust.json").exists()
        code, out, _ = self.run(capsys, path, "status")
        assert code == 0 and "0.0 ngày trước; tối đa 7: còn hạn" in out
        code, out, _ = self.run(capsys, path, "list")
        assert code == 0 and base64.b64encode(issuer.kid).decode() in out
        assert "mọi loại" in out and "DSC test VN" in out
        code, out, _ = self.run(capsys, path, "status", "--json")
        report = json.loads(out)
        assert report["signers"] == 1 and report["too_old"] is False
        assert report["age_days"] == 0.0 and report["later_than_clock"] is False

    def test_at_1970_status_gives_the_import_time_without_a_negative_age(
            self, tmp_path, capsys, libfaketime):
        """The RTC battery went flat after the list was imported: its import time is later
        than the clock reads. ``kiosk certificates status`` gives it as recorded and says so,
        in the kiosk's words (as ``kiosk sync status`` and ``kiosk doctor`` do), not
        "-20000 ngày trước" (a negative age, which also passes as "còn hạn"): its age is
        unknown, and the certificates are still checked against it. ``--json`` gives no age
        (``age_days`` and ``too_old`` null) and says why (``later_than_clock``)."""
        path = self.config_file(tmp_path)
        pem = tmp_path / "pem"
        pem.mkdir()
        (pem / "vn.pem").write_bytes(make_issuer().pem)
        assert self.run(capsys, path, "import", str(pem))[0] == 0

        at_1970 = self.run_at(libfaketime, "1970-01-01 00:00:00", path, "status")

        assert at_1970.returncode == 0, at_1970.stderr
        imported = next(line for line in at_1970.stdout.splitlines()
                        if line.startswith("nhập lúc"))
        assert "(-" not in imported, imported
        assert "muộn hơn giờ đồng hồ trạm đang chỉ" in imported, imported
        assert "không rõ đã bao lâu" in imported and "còn hạn" not in imported, imported

        as_json = self.run_at(libfaketime, "1970-01-01 00:00:00", path, "status", "--json")
        report = json.loads(as_json.stdout)
        assert report["imported_at"] > "20" and report["later_than_clock"] is True
        assert report["age_days"] is None and report["too_old"] is None

    def test_a_list_imported_at_1970_is_too_old_until_imported_again(
            self, tmp_path, capsys, libfaketime):
        """The list imported while the RTC battery was flat (the clock at 1970), the clock
        set right since: its import time says nothing of its age — it may be years old and
        miss every signer revoked since — so it is not taken as current. ``status`` says to
        import it again; each certificate checked against it reads "trust list too old —
        not confirmed", not "valid". Imported again with the clock right, it is current."""
        path, issuer, source = self.imported_at(tmp_path, libfaketime, "1970-01-01 00:00:00")

        code, out, _ = self.run(capsys, path, "status")
        assert code == 0 and "còn hạn" not in out
        assert ("đồng hồ trạm chỉ sai lúc ghi; tối đa 7: CẦN NHẬP LẠI: đồng hồ trạm chỉ sai "
                "lúc nhập nên không rõ danh sách đã cũ bao lâu; kết quả kiểm tra sẽ báo 'danh "
                "sách khoá quá cũ' cho đến khi nhập lại") in out, out
        report = json.loads(self.run(capsys, path, "status", "--json")[1])
        assert report["later_than_clock"] is False  # earlier than the clock reads now
        self.check_too_old_until_imported_again(capsys, path, issuer, source)

    def test_a_list_imported_with_the_clock_ahead_is_too_old_until_imported_again(
            self, tmp_path, capsys, libfaketime):
        """The clock ran thirty years ahead at the import (2056), and is right now: the
        import time says nothing of the list's age, so it is not used as current for thirty
        years. ``status`` says to import it again; certificates read "trust list too old"."""
        path, issuer, source = self.imported_at(tmp_path, libfaketime, "2056-06-01 00:00:00")

        code, out, _ = self.run(capsys, path, "status")
        assert code == 0 and "còn hạn" not in out and "không rõ đã bao lâu" not in out
        assert "muộn hơn giờ đồng hồ trạm đang chỉ; tối đa 7: CẦN NHẬP LẠI" in out, out
        self.check_too_old_until_imported_again(capsys, path, issuer, source)

    def test_a_bad_file_is_refused_and_the_held_list_is_untouched(self, tmp_path, capsys):
        path = self.config_file(tmp_path)
        self.run(capsys, path, "import", str(gateway_file(tmp_path, make_issuer())))
        held = (tmp_path / "keys" / "trust.json").read_bytes()
        bad = tmp_path / "bad.json"
        bad.write_text('{"certificates": [{"rawData": "bm90IGEgY2VydA=="}]}')
        code, _, err = self.run(capsys, path, "import", str(bad))
        assert code == 1 and "Chưa nhập" in err and "không có chứng thư nào dùng được" in err
        assert (tmp_path / "keys" / "trust.json").read_bytes() == held

    def test_kiosk_scan_prints_the_verdict_and_refuses_under_require_valid(self, tmp_path,
                                                                          capsys):
        path = self.config_file(tmp_path)
        issuer = make_issuer()
        self.run(capsys, path, "import", str(gateway_file(tmp_path, issuer)))
        valid = issuer.sign(vaccination(), issued=NOW - 60, expires=NOW + 86400)
        assert cli.main(["scan", valid, "--config", str(path)]) == 0
        assert "CHỨNG NHẬN HỢP LỆ — 2/2 mũi" in capsys.readouterr().out
        path.write_text(path.read_text() + 'policy = "require-valid"\n')
        expired = issuer.sign(vaccination(name=("Lê", "Tú")), issued=NOW - 9e5,
                              expires=NOW - 60)
        assert cli.main(["scan", expired, "--config", str(path)]) == 1
        assert "HẾT HẠN" in capsys.readouterr().out

    def test_kiosk_scan_words_a_recorded_forgery_as_the_card_does(self, tmp_path, capsys):
        """Recorded (exit 0, ACCEPTED: the entry's status), and what the officer must do."""
        path = self.config_file(tmp_path)
        issuer, forger = make_issuer(), make_issuer()
        self.run(capsys, path, "import", str(gateway_file(tmp_path, issuer)))
        fake = forger.sign(vaccination(), issued=NOW - 60, expires=NOW + 86400, kid=issuer.kid)
        assert cli.main(["scan", fake, "--config", str(path)]) == 0
        out = capsys.readouterr().out
        assert "ACCEPTED" in out
        assert "CHỨNG NHẬN KHÔNG HỢP LỆ — KIỂM TRA GIẤY TỜ (CHỮ KÝ KHÔNG HỢP LỆ)" in out
        assert "2/2" not in out

    def test_status_without_a_list_says_how_to_load_one(self, tmp_path, capsys):
        code, _, err = self.run(capsys, self.config_file(tmp_path), "status")
        assert code == 1 and "kiosk certificates import TỆP" in err
