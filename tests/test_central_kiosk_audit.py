"""Who put a kiosk on the network, and who took it off: enrolling a kiosk (`kiosks add`, the
Kiosks page's Enrol), revoking one, and a kiosk's token registering the key its backlog files
are signed with are each in the audit log — whoever holds the token uploads entries and signs
files as that kiosk, so these are recorded as account changes are: by whom (a dashboard
administrator and their address, the command's user@host, the kiosk itself), in the act's own
transaction. Real `kiosk-central` commands and `serve`, on SQLite and a real PostgreSQL."""

from __future__ import annotations

import getpass
import json
import socket
from pathlib import Path

import httpx
import pytest
from central_support import ENGINES, central, database_url, enrol
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from test_central_users import audit_log, csrf, serving, signed_in, users

from kiosk.central.audit import KIOSK_KINDS
from kiosk.central.backends import open_storage
from kiosk.sync import backlog_keys, protocol


@pytest.fixture(params=ENGINES)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return database_url(request.param, tmp_path)


def kiosk_records(db: str) -> list[tuple[str, str, tuple[str, str | None], str]]:
    """The log's kiosk records, oldest first: (kind, who, (channel, address), subject)."""
    return [(r["kind"], r["actor"], (r["channel"], r["address"]), r["subject"])
            for r in audit_log(db) if r["kind"] in KIOSK_KINDS]


def test_enrolling_revoking_and_a_tokens_signing_key_are_recorded_with_who_did_them(
        db: str, tmp_path: Path) -> None:
    command = f"{getpass.getuser()}@{socket.gethostname()}"
    users("add", "an.nguyen", "--role", "admin", db=db)
    token = enrol(db, "k-cli", "CP-A").token
    key = Ed25519PrivateKey.generate().public_key()
    with serving(db, "--backlog-key", str(tmp_path / "centre.key")) as server, \
            signed_in(server, "an.nguyen") as admin:
        form = csrf(admin, "/kiosks")
        assert admin.post("/kiosks/enrol", data={
            "csrf_token": form, "checkpoint": "CP-A", "name": "Máy web",
            "kiosk_id": "k-web"}).status_code == 200
        for _ in range(2):  # the same key again registers nothing, and records nothing
            answer = httpx.post(server.url + protocol.BACKLOG_KEYS_PATH,
                                json={"signing_key": backlog_keys.encode(key)},
                                headers=protocol.bearer(token), timeout=30)
            assert answer.status_code == 200, answer.text
        assert admin.post("/kiosks/k-web/revoke", data={"csrf_token": form}).status_code == 200
        page = admin.get("/audit?kind=kiosk-key").text
    assert central("kiosks", "revoke", "k-cli", "--db", db).returncode == 0
    assert central("kiosks", "revoke", "k-cli", "--db", db).returncode == 0  # already: no act
    web = ("web", "127.0.0.1")
    fingerprint = backlog_keys.fingerprint(key)
    assert kiosk_records(db) == [
        ("kiosk-enrol", command, ("cli", None),
         "kiosk k-cli (Máy k-cli) at checkpoint CP-A (checkpoint created)"),
        ("kiosk-enrol", "an.nguyen", web, "kiosk k-web (Máy web) at checkpoint CP-A"),
        ("kiosk-key", "kiosk k-cli", ("api", "127.0.0.1"),
         f"kiosk k-cli backlog signing key {fingerprint}"),
        ("kiosk-revoke", "an.nguyen", web,
         "kiosk k-web (Máy web) at checkpoint CP-A: token refused from now on"),
        ("kiosk-revoke", command, ("cli", None),
         "kiosk k-cli (Máy k-cli) at checkpoint CP-A: token refused from now on")]
    assert token not in json.dumps(audit_log(db))
    assert "Trạm đăng ký khoá ký tệp tồn đọng" in page and fingerprint in page
    listed = central("audit", "list", "--kind", "kiosk-revoke", "--db", db).stdout
    assert (f"{command} (cli) kiosk-revoke (Thu hồi trạm / Kiosk revoked): kiosk k-cli "
            f"(Máy k-cli) at checkpoint CP-A: token refused from now on") in listed


def test_an_enrolment_or_revocation_whose_record_cannot_be_written_does_not_happen(
        tmp_path: Path) -> None:
    """No record, no change: a log refusing its record (a trigger standing in for a full
    disk) leaves no kiosk enrolled and a kiosk's token accepted."""
    db = database_url("sqlite", tmp_path)
    enrol(db, "k1", "CP-A")
    with open_storage(db) as storage, storage._transaction() as tx:
        storage._execute(tx, "CREATE TRIGGER log_full BEFORE INSERT ON audit_log "
                             "BEGIN SELECT RAISE(ABORT, 'no room'); END")
    assert central("kiosks", "add", "--checkpoint", "CP-A", "--name", "Máy 2", "--kiosk-id",
                   "k2", "--db", db, check=False).returncode != 0
    assert central("kiosks", "revoke", "k1", "--db", db, check=False).returncode != 0
    with open_storage(db) as storage:
        assert [(k.id, k.active) for k in storage.kiosks()] == [("k1", True)]
