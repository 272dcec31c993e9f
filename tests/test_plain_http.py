"""A centre address in plain ``http://`` to another machine is refused unless allowed.

Over plain HTTP the kiosk's token, an enrolment code's secret and every name and document
number cross the network readable, and whatever answers on the path is believed: an
impostor answering "accepted" took entries out of the kiosk's pending set though no centre
held them. ``kiosk config check``, ``kiosk doctor``, the sync, ``kiosk enrol`` and
``kiosk-central kiosks add --qr`` refuse such an address, naming the explicit setting that
allows it (a lab, a VPN), which is then warned about; this machine (127.0.0.1, ``localhost``,
``::1``) is not another machine. Real processes, a real HTTP server on this machine reached by
one of its names that is not ``localhost`` (as a spoofed name or hotspot would be reached).
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest
from central_support import central, database_url

from kiosk import config as config_mod
from kiosk.enrolment import parse
from tests.sync_support import (
    CentralServer,
    TakingEveryBatch,
    fill_backlog,
    serving,
    sync_states,
    write_config,
)

REMOTE = "http://central.example.vn:8765"
REFUSED_EN = ("is a plain http:// address of another machine: the token, the enrolment code "
              "and people's names and document numbers would cross the network readable")
REFUSED_VI = "là địa chỉ http:// không mã hoá tới một máy khác"


def kiosk(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *args], capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL)


def this_machine_by_another_name() -> str:
    """A name of this machine other than ``localhost`` that resolves to 127.0.0.1 (its host
    name, as /etc/hosts often maps it): reached by it, the kiosk talks to this machine, yet
    by the name alone it is another one."""
    for name in (socket.gethostname(), "localhost.localdomain"):
        try:
            address = socket.gethostbyname(name)
        except OSError:
            continue
        if name != "localhost" and address == "127.0.0.1":
            return name
    pytest.skip("no name of this machine resolves to 127.0.0.1 but localhost")


class Impostor(TakingEveryBatch):
    """Answers "accepted" for every entry, as anyone on a plain-HTTP path can; keeps the
    Authorization header of every request it got."""

    heard: list[str]

    def do_GET(self) -> None:
        self.heard.append(self.headers.get("Authorization", ""))
        super().do_GET()

    def do_POST(self) -> None:
        self.heard.append(self.headers.get("Authorization", ""))
        super().do_POST()


@pytest.mark.parametrize("url", [REMOTE, "http://192.0.2.10:8765", "http://[fd00::2]:8765"])
def test_config_check_refuses_a_plain_http_centre_on_another_machine(tmp_path, url):
    config = write_config(tmp_path / "config.toml", kiosk_id="k1", server_url=url,
                          token="t0ken")

    checked = kiosk("config", "check", "--config", str(config))

    assert checked.returncode == 2, checked.stderr
    assert f"config error: sync.server_url: {url} {REFUSED_EN}" in checked.stderr
    assert "Nothing is sent. Use the centre's https:// address; only on a network trusted " \
           "end to end (a lab, a VPN) set [sync] allow_plain_http = true" in checked.stderr
    assert "is correct" not in checked.stdout
    in_vietnamese = kiosk("config", "check", "--config", str(write_config(
        tmp_path / "vi.toml", kiosk_id="k1", server_url=url, token="t0ken", language="vi")))
    assert f"lỗi cấu hình: sync.server_url: {url} {REFUSED_VI}" in in_vietnamese.stderr


def test_an_allowed_plain_http_centre_is_checked_correct_with_a_loud_warning(tmp_path):
    config = write_config(tmp_path / "config.toml", kiosk_id="k1", server_url=REMOTE,
                          token="t0ken", allow_plain_http=True)

    checked = kiosk("config", "check", "--config", str(config))

    assert checked.returncode == 0, checked.stderr
    assert (f"WARNING: {REMOTE} is plain http:// and [sync] allow_plain_http = true is on: "
            "the token and people's data cross the network readable") in checked.stderr


@pytest.mark.parametrize("url", ["http://127.0.0.1:8765", "http://127.0.1.1:8765",
                                 "http://localhost:8765", "http://[::1]:8765",
                                 "https://central.example.vn"])
def test_this_machine_or_https_is_no_plain_http_centre(tmp_path, url):
    config = write_config(tmp_path / "config.toml", kiosk_id="k1", server_url=url,
                          token="t0ken")
    checked = kiosk("config", "check", "--config", str(config))
    assert checked.returncode == 0, checked.stderr
    assert "plain http" not in checked.stderr
    assert not config_mod.plain_http(url)


def test_a_kiosk_sends_nothing_to_a_plain_http_centre_and_its_entries_stay_pending(tmp_path):
    """The push, the doctor and the status's health check never contact it: the token is
    not sent, and an impostor there answering "accepted" takes nothing out of the pending
    set. Before, the push said "1 new" and the entries were gone from the kiosk."""
    name = this_machine_by_another_name()
    impostor = type("Centre", (Impostor,), {"batches": [], "heard": []})
    with serving(impostor) as url:
        address = url.replace("127.0.0.1", name)
        config = write_config(tmp_path / "config.toml", kiosk_id="k1", server_url=address,
                              token="the-kiosks-token", enabled=True)
        fill_backlog(tmp_path / "kiosk.db", 3, kiosk_id="k1", checkpoint_id="CP-SYNC")

        pushed = kiosk("sync", "push", "--config", str(config))
        doctor = kiosk("doctor", "--config", str(config))
        status = kiosk("sync", "status", "--config", str(config))

    assert impostor.heard == [] and impostor.batches == []
    assert sync_states(tmp_path / "kiosk.db") == {"pending": 3}
    assert pushed.returncode != 0
    assert f"{address} {REFUSED_EN}" in pushed.stderr + pushed.stdout
    assert doctor.returncode != 0
    assert f"Centre address: {address} {REFUSED_EN}" in doctor.stdout
    assert (f"{address} — not contacted (the config forbids it): {address} {REFUSED_EN}"
            in status.stdout)
    assert "unreachable" not in status.stdout  # the network is fine: the config says no


def test_sync_status_says_why_a_plain_http_centre_is_not_contacted_in_the_kiosks_language(
        tmp_path):
    """"unreachable" sent the sync operator to check a network that works: the status says
    the config forbids it, why and the setting, as ``kiosk config check`` does — in
    Vietnamese for a Vietnamese kiosk, and in its JSON."""
    config = write_config(tmp_path / "config.toml", kiosk_id="k1", server_url=REMOTE,
                          token="t0ken", language="vi")
    fill_backlog(tmp_path / "kiosk.db", 1, kiosk_id="k1", checkpoint_id="CP-SYNC")

    status = kiosk("sync", "status", "--config", str(config))
    report = json.loads(kiosk("sync", "status", "--json", "--config", str(config)).stdout)

    assert status.returncode == 0, status.stderr
    assert (f"{REMOTE} — không liên lạc (cấu hình chặn): {REMOTE} {REFUSED_VI}"
            in status.stdout)
    assert "[sync] allow_plain_http = true" in status.stdout
    assert "không kết nối được" not in status.stdout
    assert report["server_reachable"] is None
    assert report["server_not_contacted"].startswith(f"{REMOTE} {REFUSED_VI}")


def test_kiosks_add_refuses_a_qr_for_a_plain_http_centre_unless_allowed(tmp_path):
    db = database_url("sqlite", tmp_path)
    add = ("kiosks", "add", "--db", db, "--checkpoint", "CP-QR", "--name", "lane",
           "--kiosk-id", "lane-1", "--qr", str(tmp_path / "qr.svg"), "--server-url", REMOTE)

    refused = central(*add, check=False)

    assert refused.returncode == 2
    assert (f"The QR would point the kiosk at {REMOTE}, a plain http:// address of another "
            "machine") in refused.stderr
    assert "add --allow-plain-http (the kiosk then enrols with `kiosk enrol " \
           "--allow-plain-http`)" in refused.stderr
    assert "Mã QR sẽ trỏ trạm tới" in refused.stderr
    assert not (tmp_path / "qr.svg").exists()
    listed = json.loads(central("kiosks", "list", "--db", db, "--json").stdout)
    assert listed == []

    allowed = central(*add, "--allow-plain-http")

    assert f"WARNING: the QR points at {REMOTE}, plain http:// (--allow-plain-http)" in \
        allowed.stderr
    assert parse(allowed.stdout.split("--code '")[1].split("'")[0]).server_url == REMOTE


def test_kiosk_enrol_sends_a_code_to_a_plain_http_centre_only_when_allowed(tmp_path):
    """Refused before the code's secret is sent (exit 2, the code unspent, no token);
    ``--allow-plain-http`` enrols, warned, and sets ``[sync] allow_plain_http = true`` so
    that the kiosk's sync goes on to reach that centre."""
    name = this_machine_by_another_name()
    server = CentralServer(tmp_path / "centre")
    try:
        address = server.url.replace("127.0.0.1", name)
        made = central("kiosks", "add", "--db", server.db, "--checkpoint", "CP-QR",
                       "--name", "lane", "--kiosk-id", "lane-2", "--qr",
                       str(tmp_path / "qr.svg"), "--server-url", address,
                       "--allow-plain-http", "--json")
        code = json.loads(made.stdout)["code"]
        config = tmp_path / "kiosk" / "config.toml"
        config.parent.mkdir()

        refused = kiosk("enrol", "--code", code, "--config", str(config))

        assert refused.returncode == 2, refused.stderr
        assert f"{address} {REFUSED_EN}" in refused.stderr
        assert "set `kiosk enrol --allow-plain-http`" in refused.stderr
        assert not (tmp_path / "kiosk" / "sync-token").exists()

        enrolled = kiosk("enrol", "--code", code, "--config", str(config),
                         "--allow-plain-http")

        assert enrolled.returncode == 0, enrolled.stderr  # the refused run spent nothing
        assert f"{address} is plain http:// and [sync] allow_plain_http = true is on" in \
            enrolled.stderr
        settings = config_mod.load(config).sync
        assert (settings.server_url, settings.allow_plain_http) == (address, True)
    finally:
        server.stop()


def test_the_rule_reads_the_address_as_written():
    """By the name written, not what it resolves to: a name's address can be spoofed."""
    assert config_mod.plain_http("HTTP://Central.Example.VN")
    assert config_mod.plain_http("http://10.0.0.5:8765/")
    assert not config_mod.plain_http("http://LOCALHOST.:8765")
    assert not config_mod.plain_http("http://127.8.9.10")
    assert not config_mod.plain_http("http://[::1")  # not an address: refused as such
