"""`kiosk-central kiosks token KIOSK --reason "…"`: a kiosk whose token is lost, or a revoked
kiosk back in safe hands, is given a new token (or a one-time enrolment code for one) under
its OWN id, so the entries it has not sent yet, which carry that id, are still accepted.

What this file shows, with real processes (`kiosk-central serve` on 127.0.0.1, the `kiosk`
command) on SQLite and a real PostgreSQL:

- the new token uploads; the old one is refused (401) from the moment the command runs;
- a revoked kiosk is restored by it, and the act is in the audit log with its reason;
- refused (exit 2, nothing changed): no reason, an unknown kiosk, a QR without a usable
  --server-url;
- with --qr: the kiosk redeems the new code with `kiosk enrol` and keeps its id, while a code
  handed out before the revocation (`kiosks add --qr`) stays refused, before and after.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path

import pytest
from central_support import (
    ENGINES,
    CentralServer,
    batch,
    central,
    database_url,
    enrol,
    kiosk_entries,
)

from kiosk import config as config_mod
from kiosk.central import audit
from kiosk.central.backends import open_storage
from kiosk.sync import protocol
from tests.camera_support import CCCD
from tests.test_enrolment import kiosk_config

REASON = "máy cài lại, mất mã / reinstalled, ticket 42"


@pytest.fixture(params=ENGINES)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return database_url(request.param, tmp_path)


def reissue(db: str, kiosk_id: str, *extra: str, check: bool = True
            ) -> subprocess.CompletedProcess[str]:
    return central("kiosks", "token", kiosk_id, "--db", db, *extra, check=check)


def kiosk(*args: str) -> subprocess.CompletedProcess[str]:
    """The kiosk's own command, as a technician runs it on the kiosk."""
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *args], capture_output=True,
                          text=True, timeout=120)


def held_state(db: str, kiosk_id: str) -> tuple:
    """All the centre holds that this command could change: the kiosk's row (its token's
    hash, revocation, signing key), its enrolment codes and the audit log's acts."""
    with open_storage(db) as storage:
        row = storage._query("SELECT token_hash, revoked_at, signing_key FROM kiosks "
                             "WHERE id = $1", (kiosk_id,))
        codes = storage._query("SELECT secret_hash, expires_at, used_at FROM enrolment_codes "
                               "WHERE kiosk_id = $1 ORDER BY secret_hash", (kiosk_id,))
        acts = audit.records(storage, kind="kiosk-token")
    return [tuple(r) for r in row], [tuple(c) for c in codes], acts


# -- a new token ----------------------------------------------------------------------------
def test_a_revoked_kiosk_given_a_new_token_uploads_its_waiting_entries_under_its_own_id(
        db: str, tmp_path: Path) -> None:
    lane = enrol(db, "ql1a-01")
    waiting = kiosk_entries(tmp_path, "ql1a-01", 3)  # scanned, not yet sent
    central("kiosks", "revoke", "ql1a-01", "--db", db)
    server = CentralServer(db)
    try:
        assert server.post(batch("ql1a-01", waiting), token=lane.token).status_code == 401

        given = json.loads(reissue(db, "ql1a-01", "--reason", REASON, "--json").stdout)

        assert given["kiosk_id"] == "ql1a-01" and given["token"] != lane.token
        assert given["was_revoked_at"] is not None
        sent = server.post(batch("ql1a-01", waiting), token=given["token"])
        assert sent.status_code == 200, sent.text
        assert [r["status"] for r in sent.json()["results"]] == ["accepted"] * 3
        old = server.post(batch("ql1a-01", kiosk_entries(tmp_path, "ql1a-01", 1, start=9)),
                          token=lane.token)
        assert old.status_code == 401
    finally:
        server.stop()
    listing = json.loads(central("kiosks", "list", "--db", db, "--json").stdout)
    assert [(k["id"], k["revoked_at"]) for k in listing] == [("ql1a-01", None)]


def test_the_act_is_in_the_audit_log_with_who_why_and_that_the_kiosk_was_revoked(
        db: str) -> None:
    enrol(db, "ql1a-01")
    central("kiosks", "revoke", "ql1a-01", "--db", db)

    said = reissue(db, "ql1a-01", "--reason", REASON).stdout

    assert "New token issued for kiosk ql1a-01" in said and "Đã cấp mã truy cập mới" in said
    assert "no longer revoked" in said and "written to the audit log" in said
    token = said.split("ONCE:\n", 1)[1].split()[0]
    logged = central("audit", "list", "--db", db, "--kind", "kiosk-token").stdout
    assert ("(cli) kiosk-token (Cấp mã truy cập mới cho trạm / Kiosk token reissued): kiosk "
            "ql1a-01 (revoked ") in logged
    assert ", restored): new token; old token refused" in logged
    assert f"reason: {REASON}" in logged
    assert token not in logged  # the token itself is shown once, never recorded


def test_an_active_kiosk_that_lost_its_token_gets_a_new_one_and_the_old_is_refused(
        db: str) -> None:
    lane = enrol(db, "ql1a-01")

    given = json.loads(reissue(db, "ql1a-01", "--reason", REASON, "--json").stdout)

    assert given["was_revoked_at"] is None
    with open_storage(db) as storage:
        assert storage.kiosk_for_token(protocol.token_hash(given["token"])).id == "ql1a-01"
        assert storage.kiosk_for_token(protocol.token_hash(lane.token)) is None
        assert storage.kiosk("ql1a-01").active
    assert "kiosk ql1a-01 (active): new token" in central(
        "audit", "list", "--db", db, "--kind", "kiosk-token").stdout


def test_the_backlog_signing_key_is_left_as_it_is(db: str) -> None:
    enrol(db, "ql1a-01")
    with open_storage(db) as storage:
        storage.register_signing_key("ql1a-01", b"K" * 32)
    central("kiosks", "revoke", "ql1a-01", "--db", db)

    reissue(db, "ql1a-01", "--reason", REASON)

    with open_storage(db) as storage:
        assert storage.signing_key("ql1a-01")[0] == b"K" * 32


# -- refused: nothing changes ---------------------------------------------------------------
@pytest.mark.parametrize("reason", [None, "", "  x ", "x" * 501])
def test_without_a_usable_reason_nothing_changes_and_the_old_token_is_still_the_one(
        db: str, reason: str | None) -> None:
    lane = enrol(db, "ql1a-01")
    before = held_state(db, "ql1a-01")

    refused = reissue(db, "ql1a-01", *(() if reason is None else ("--reason", reason)),
                      check=False)

    assert refused.returncode == 2
    assert "no new token issued: reason" in refused.stderr
    assert "không cấp mã truy cập mới" in refused.stderr
    assert refused.stdout == ""
    assert held_state(db, "ql1a-01") == before
    with open_storage(db) as storage:
        assert storage.kiosk_for_token(protocol.token_hash(lane.token)).id == "ql1a-01"


def test_an_unknown_kiosk_is_refused_and_nothing_changes(db: str) -> None:
    enrol(db, "ql1a-01")
    before = held_state(db, "ql1a-01")

    refused = reissue(db, "ql1a-99", "--reason", REASON, check=False)

    assert refused.returncode == 2
    assert "unknown kiosk 'ql1a-99'" in refused.stderr and refused.stdout == ""
    # a kiosk's refused token sends its technician here; a centre restored from a backup
    # older than the kiosk's enrolment no longer knows it: the way back is named
    assert ("or the database was restored from a backup older than its enrolment — enrol it "
            "again under the same id: `kiosk-central kiosks add --kiosk-id ql1a-99 "
            "--checkpoint … --name …`") in refused.stderr
    assert held_state(db, "ql1a-01") == before
    with open_storage(db) as storage:
        assert storage.kiosk("ql1a-99") is None
        assert audit.records(storage, kind="kiosk-token") == []


@pytest.mark.parametrize("url", [None, "ftp://central.example.vn", "central.example.vn"])
def test_a_qr_without_a_usable_server_url_is_refused_before_anything_changes(
        db: str, tmp_path: Path, url: str | None) -> None:
    enrol(db, "ql1a-01")
    central("kiosks", "revoke", "ql1a-01", "--db", db)
    before = held_state(db, "ql1a-01")

    refused = reissue(db, "ql1a-01", "--reason", REASON, "--qr", str(tmp_path / "q.png"),
                      *(() if url is None else ("--server-url", url)), check=False)

    assert refused.returncode == 2 and "--server-url" in refused.stderr
    assert held_state(db, "ql1a-01") == before  # still revoked, same token, no code
    assert not (tmp_path / "q.png").exists()


@pytest.mark.parametrize("name", ["q.txt", "q.eps", "q"])
def test_a_qr_file_neither_png_nor_svg_is_refused_before_anything_changes(
        db: str, tmp_path: Path, name: str) -> None:
    lane = enrol(db, "ql1a-01")
    before = held_state(db, "ql1a-01")

    refused = reissue(db, "ql1a-01", "--reason", REASON, "--qr", str(tmp_path / name),
                      "--server-url", "https://central.example.vn", check=False)

    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "the QR file's name must end in .png or .svg" in refused.stderr
    assert "phải có đuôi .png hoặc .svg" in refused.stderr and refused.stdout == ""
    assert held_state(db, "ql1a-01") == before  # same token, no code, no audit record
    assert not (tmp_path / name).exists()
    with open_storage(db) as storage:
        assert storage.kiosk_for_token(protocol.token_hash(lane.token)).id == "ql1a-01"


# -- a one-time enrolment code instead ------------------------------------------------------
def test_a_revoked_kiosk_redeems_the_code_of_this_command_and_keeps_its_id_while_the_code_of_its_first_enrolment_stays_refused(  # noqa: E501
        tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'central.db'}"
    server = CentralServer(db)
    try:
        first = json.loads(central(
            "kiosks", "add", "--db", db, "--checkpoint", "CP-QR", "--name", "Máy lane-1",
            "--kiosk-id", "lane-1", "--qr", str(tmp_path / "first.png"), "--server-url",
            server.url, "--json").stdout)  # the QR printed at enrolment, never used
        central("kiosks", "revoke", "lane-1", "--db", db)
        config = kiosk_config(tmp_path / "kiosk")

        too_late = kiosk("enrol", "--code", first["code"], "--config", str(config))
        assert too_late.returncode == 1 and "HTTP 403" in too_late.stderr

        given = json.loads(reissue(
            db, "lane-1", "--reason", REASON, "--qr", str(tmp_path / "again.svg"),
            "--server-url", server.url, "--json").stdout)

        assert given["kiosk_id"] == "lane-1" and "token" not in given
        assert (tmp_path / "again.svg").read_text().lstrip().startswith("<?xml")
        # restoring the kiosk did not bring back the code handed out before
        still = kiosk("enrol", "--code", first["code"], "--config", str(config))
        assert still.returncode == 1 and "HTTP 410" in still.stderr

        enrolled = kiosk("enrol", "--code", given["code"], "--config", str(config))

        assert enrolled.returncode == 0, enrolled.stdout + enrolled.stderr
        assert "Kiosk lane-1 enrolled at checkpoint CP-QR" in enrolled.stdout
        assert config_mod.load(config).kiosk.id == "lane-1"
        assert kiosk("scan", CCCD, "--config", str(config)).returncode == 0
        pushed = kiosk("sync", "push", "--config", str(config))
        assert pushed.returncode == 0, pushed.stdout + pushed.stderr
        again = kiosk("enrol", "--code", given["code"], "--config", str(config))
        assert again.returncode == 1 and "HTTP 409" in again.stderr
    finally:
        server.stop()
    with closing(sqlite3.connect(db.removeprefix("sqlite:///"))) as held:
        assert held.execute("SELECT kiosk_id, name FROM entries").fetchall() == [
            ("lane-1", "Nguyễn Văn An")]
        assert held.execute("SELECT revoked_at FROM kiosks").fetchall() == [(None,)]
    logged = central("audit", "list", "--db", db, "--kind", "kiosk-token").stdout
    assert "kiosk lane-1 (revoked " in logged and "one-time enrolment code until" in logged


def test_with_a_qr_the_old_token_is_refused_at_once_not_only_once_the_code_is_used(
        db: str, tmp_path: Path) -> None:
    """A token lost may be in someone's hands: it is not left usable while the code waits
    to be redeemed (the kiosk keeps its scans meanwhile and sends them once enrolled)."""
    lane = enrol(db, "ql1a-01")

    reissue(db, "ql1a-01", "--reason", REASON, "--qr", str(tmp_path / "q.png"),
            "--server-url", "https://central.example.vn")

    with open_storage(db) as storage:
        assert storage.kiosk_for_token(protocol.token_hash(lane.token)) is None
        assert storage.kiosk("ql1a-01").active


def test_a_stolen_kiosks_thief_gets_nothing_from_its_restoration(db: str, tmp_path: Path
                                                                 ) -> None:
    """The thief holds the revoked kiosk's token and the QR printed at its enrolment; the
    administrator restores the kiosk id for the machine's replacement by a code."""
    from kiosk.central.enrol import enrolment_code, redeem
    from kiosk.central.storage import EnrolmentRefused

    lane = enrol(db, "ql1a-01")
    with open_storage(db) as storage:
        kept = enrolment_code(storage, storage.kiosk("ql1a-01"), "https://central.example.vn")
    central("kiosks", "revoke", "ql1a-01", "--db", db)

    reissue(db, "ql1a-01", "--reason", REASON, "--qr", str(tmp_path / "q.png"),
            "--server-url", "https://central.example.vn")

    with open_storage(db) as storage:
        assert storage.kiosk("ql1a-01").active
        assert storage.kiosk_for_token(protocol.token_hash(lane.token)) is None
        with pytest.raises(EnrolmentRefused) as caught:
            redeem(storage, kept.secret)
        assert caught.value.status == 410


def test_help_says_the_signing_key_is_left_as_is_and_ends_with_examples() -> None:
    shown = central("kiosks", "token", "--help").stdout
    assert "signing key is left as is" in " ".join(shown.split())
    assert shown.rstrip().splitlines()[-1].strip().startswith("kiosk-central kiosks token")


# -- a code redeemed at the very moment of the re-issue -------------------------------------
def test_an_earlier_code_redeemed_while_the_token_is_reissued_never_outlasts_the_new_token(
        db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whoever holds a code handed out earlier redeems it just as the administrator runs
    `kiosks token`: the redeem has read the code, the re-issue runs, then the redeem goes
    on. On PostgreSQL (READ COMMITTED) the re-issue is not held back — the redeem has locked
    nothing yet — and the redeem, reading the code again once it holds the kiosk, finds it
    expired (410); it used to write its token over the new one. On SQLite the redeem's
    transaction holds the write lock: the re-issue waits for it, then replaces the token it
    gave. Either way only the administrator's new token works."""
    from kiosk.central.enrol import enrolment_code, prepare_reissue, redeem
    from kiosk.central.enrol import reissue as reissue_now
    from kiosk.central.storage import EnrolmentRefused

    enrol(db, "ql1a-01")
    with open_storage(db) as redeeming, open_storage(db) as admin, \
            ThreadPoolExecutor(2) as pool:
        earlier = enrolment_code(redeeming, redeeming.kiosk("ql1a-01"),
                                 "https://central.example.vn")
        read, go_on = threading.Event(), threading.Event()
        execute = redeeming._execute

        def paused(tx: object, sql: str, params: object = ()) -> object:
            """The redeem stops after its first statement (its read of the code)."""
            done = execute(tx, sql, params)
            if not read.is_set():
                read.set()
                go_on.wait(60)
            return done

        monkeypatch.setattr(redeeming, "_execute", paused)
        try:
            redeemed = pool.submit(redeem, redeeming, earlier.secret)
            assert read.wait(60)
            prepared = prepare_reissue(admin.kiosk("ql1a-01"))
            reissued = pool.submit(reissue_now, admin, prepared)
            if admin.postgresql:  # done while the redeem is still open (a hang guard only)
                reissued.result(timeout=60)
        finally:
            go_on.set()
        reissued.result(timeout=60)
        failed = redeemed.exception(timeout=60)

        assert prepared.token is not None, failed
        assert admin.kiosk_for_token(protocol.token_hash(prepared.token)).id == "ql1a-01"
        if admin.postgresql:
            assert isinstance(failed, EnrolmentRefused) and failed.status == 410
        else:  # it went first, whole: its token was replaced
            assert failed is None
            assert admin.kiosk_for_token(protocol.token_hash(redeemed.result()[1])) is None
        assert admin.kiosk("ql1a-01").active
