"""Receipts: at a site with no network, entries the centre holds leave the kiosk through the
stick (``docs/sync-operator.md``, "The stick round trip").

``kiosk sync export`` seals the backlog file to the centre's key; ``kiosk-central import``
stores its entries and writes its answer beside it (``FILE.refused``): the entries it refused
and those it holds, the latter keyed with the file's *receipt key*, which only the centre's
private key and the kiosk (which kept it at sealing time) can derive. ``kiosk sync
load-refusals`` acknowledges those, as an upload's answer does: they leave the pending set,
are never exported again and the purge removes them in their time. Before, they stayed
labelled exported for ever at a site that never reaches the network, carried again by every
export and kept past the retention. An answer altered on a lost stick, extended, moved to
another file or made by someone who knows only the entries' digest changes nothing.

Real parts: a real centre (its own database, the ``kiosk-central import`` command), real
kiosk stores and the ``kiosk sync`` commands as subprocesses.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from kiosk.store import Store
from tests import central_support
from tests.sync_support import fill_backlog, sync_states
from tests.test_sync_backlog import connected_once, kiosk_cli, kiosk_worker

ALTERED = "was altered after the centre wrote it, or not written by the centre for this " \
          "kiosk's file; nothing changed"


@pytest.fixture(autouse=True)
def stick_mounted(tmp_path: Path) -> None:
    (tmp_path / "usb").mkdir()


def export_and_import(central: Any, folder: Path, kiosk_id: str, stick: Path, *,
                      typo: int = 3, right: int = 4) -> tuple[list[str], list[str], Path]:
    """A kiosk (reached the centre once, then offline) that scans ``typo`` entries filed
    under a checkpoint typed wrong and ``right`` right ones, exports them to ``stick`` and
    has it imported at the centre: (the refused ids, the held ids, the answer file)."""
    worker = connected_once(folder, central, kiosk_id)
    refused = fill_backlog(worker.store.path, typo, kiosk_id=kiosk_id,
                           checkpoint_id="CP-SYNK", start=time.time() - 100)
    held = fill_backlog(worker.store.path, right, kiosk_id=kiosk_id, start=time.time() - 50)
    assert worker.export(stick).entries == typo + right
    worker.stop()
    central_support.central("import", str(stick), "--db", central.db, check=False)
    return refused, held, stick.with_name(stick.name + ".refused")


def load(folder: Path, answer: Path) -> Any:
    return kiosk_cli(folder / "config.toml", "load-refusals", str(answer))


def test_entries_the_centre_holds_leave_the_pending_set_once_its_answer_is_loaded(
        central, kiosk_id, tmp_path):
    """The round trip: export, import, carry the answer back, load it. The 4 entries the
    centre took leave the pending set (the 3 it refused are marked refused, as before),
    the next export carries only what was scanned since, the purge removes them once past
    the retention, and loading the answer again changes nothing more."""
    folder = tmp_path / "kiosk"
    refused, held, answer = export_and_import(central, folder, kiosk_id,
                                              tmp_path / "usb" / "ql1a.backlog")
    assert sorted(central.stored_ids(kiosk_id)) == held
    document = json.loads(answer.read_text(encoding="utf-8"))
    assert document["held"] == held  # ids (scan times) only: no name, no document
    assert "Nguyễn" not in answer.read_text(encoding="utf-8")

    loaded = load(folder, answer)
    assert loaded.returncode == 0, loaded.stderr
    assert "Marked 3 of the 3 entries the file names" in loaded.stdout
    assert ("The centre confirms it holds 4 entries of the file: 4 left the pending set, "
            "0 were acknowledged already, 0 ids are not here") in loaded.stdout
    assert sync_states(folder / "kiosk.db") == {"acknowledged": 4, "rejected": 3}
    status = json.loads(kiosk_cli(folder / "config.toml", "status", "--offline",
                                  "--json").stdout)
    assert (status["pending"], status["rejected"]) == (0, 3)
    store = Store(folder / "kiosk.db")
    try:
        audited = store.audit_log()[-1]
    finally:
        store.close()
    assert audited["action"] == "sync.load_refusals"
    assert json.loads(audited["detail"]) == {
        "kiosk": kiosk_id, "named": 3, "count": 3, "first_id": refused[0],
        "last_id": refused[-1], "held": 4, "acknowledged": 4, "already": 0, "unknown": 0}

    again = load(folder, answer)  # harmless
    assert ("The centre confirms it holds 4 entries of the file: 0 left the pending set, "
            "4 were acknowledged already, 0 ids are not here") in again.stdout
    assert sync_states(folder / "kiosk.db") == {"acknowledged": 4, "rejected": 3}

    new = fill_backlog(folder / "kiosk.db", 1, kiosk_id=kiosk_id)
    offline = kiosk_worker(folder, kiosk_id, connected_token(folder))
    try:
        summary = offline.export(tmp_path / "usb" / "ql1a-2.backlog")
    finally:
        offline.stop()
    assert (summary.entries, summary.first_id) == (1, new[0])  # never exported again

    store = Store(folder / "kiosk.db")
    try:  # two days on, with a retention of one: the acknowledged entries leave the kiosk
        store.purge(1, now=time.time() + 2 * 86400,
                    now_monotonic_ns=time.monotonic_ns() + 2 * 86400 * 10**9)
    finally:
        store.close()
    assert sync_states(folder / "kiosk.db") == {"rejected": 3, "sent": 1}


def connected_token(folder: Path) -> str:
    from kiosk import config as config_mod

    return config_mod.load(folder / "config.toml").sync.token


def test_entries_pushed_over_the_network_before_the_answer_came_back_are_counted_once(
        central, kiosk_id, tmp_path):
    """The network came back before the stick: a push finds the 4 entries at the centre
    (duplicate) and acknowledges them; the answer loaded after says so and changes
    nothing of them."""
    folder = tmp_path / "kiosk"
    _, held, answer = export_and_import(central, folder, kiosk_id,
                                        tmp_path / "usb" / "ql1a.backlog")
    online = kiosk_worker(folder, kiosk_id, connected_token(folder), central.url)
    try:
        summary = online.push_now()
    finally:
        online.stop()
    assert (summary.accepted, summary.duplicate, summary.rejected) == (0, 4, 3)
    loaded = load(folder, answer)
    assert loaded.returncode == 0, loaded.stderr
    assert ("The centre confirms it holds 4 entries of the file: 0 left the pending set, "
            "4 were acknowledged already, 0 ids are not here") in loaded.stdout
    assert sync_states(folder / "kiosk.db") == {"acknowledged": 4, "rejected": 3}
    assert sorted(central.stored_ids(kiosk_id)) == held


def exports(store_path: Path) -> list[dict[str, Any]]:
    """The kiosk's ``sync.export`` audit records' details, oldest first."""
    with contextlib.closing(sqlite3.connect(store_path)) as conn:
        return [json.loads(row[0]) for row in conn.execute(
            "SELECT detail FROM audit_log WHERE action = 'sync.export' ORDER BY id")]


def keyed(key: bytes, label: bytes, body: dict[str, Any]) -> str:
    """An HMAC of ``body`` as the centre computes its answer's (canonical JSON)."""
    text = json.dumps(body, ensure_ascii=True, sort_keys=True, separators=(",", ":"))
    return hmac.new(key, label + text.encode("ascii"), hashlib.sha256).hexdigest()


def with_mac(document: dict[str, Any], entries_sha256: str) -> dict[str, Any]:
    """``document`` with the digest-keyed ``mac`` made again, as whoever knows the entries'
    SHA-256 (sealed in the file, kept in the kiosk's audit record) can: only ``receipt``
    is left to stop the forgery."""
    body = {key: value for key, value in document.items() if key != "mac"}
    return {**body, "mac": keyed(entries_sha256.encode("ascii"),
                                 b"checkpoint-kiosk-refusals 2 mac\n", body)}


@pytest.mark.parametrize("forgery", ["ids added", "another file's answer",
                                     "a re-export under the same name",
                                     "a receipt keyed with the digest",
                                     "an export never made named"])
def test_a_forged_answer_acknowledges_nothing_and_says_why(central, kiosk_id, tmp_path,
                                                           forgery):
    """A lost stick holds the sealed file and its answer; whoever finds it, or knows the
    entries' digest, cannot make the kiosk believe the centre holds entries it does not:
    the receipt covers the id list and names the export by its receipt key, which only the
    centre and the kiosk can derive. Each forgery is refused whole: nothing marked, not
    even its refusals. (An answer naming an export the kiosk has no receipt key of is taken
    for one exported before receipts only when such an export of those entries exists.)"""
    folder = tmp_path / "kiosk"
    stick = tmp_path / "usb" / "ql1a.backlog"
    _, held, answer = export_and_import(central, folder, kiosk_id, stick)
    document = json.loads(answer.read_text(encoding="utf-8"))
    first = exports(folder / "kiosk.db")[0]["sha256"]
    later = fill_backlog(folder / "kiosk.db", 2, kiosk_id=kiosk_id)  # not at the centre
    offline = kiosk_worker(folder, kiosk_id, connected_token(folder))
    try:  # the stick's file exported again under its name: the 7 and the 2 since
        assert offline.export(stick, force=True).entries == 9
    finally:
        offline.stop()
    second = exports(folder / "kiosk.db")[1]["sha256"]
    if forgery == "ids added":
        forged = with_mac({**document, "held": document["held"] + later}, first)
    elif forgery == "another file's answer":  # the re-export imported: its answer's receipt
        central_support.central("import", str(stick), "--db", central.db, check=False)
        theirs = json.loads(answer.read_text(encoding="utf-8"))
        forged = with_mac({**document, **{key: theirs[key] for key in ("sealed", "receipt")}},
                          first)
    elif forgery == "a re-export under the same name":  # the first answer, made the second's
        from kiosk.sync.refusals import answers

        forged = with_mac({**document, "answers": answers(second),
                           "held": document["held"] + later}, second)
    elif forgery == "an export never made named":
        forged = with_mac({**document, "sealed": "0" * 64,
                           "held": document["held"] + later}, first)
    else:
        body = {key: value for key, value in document.items()
                if key not in ("mac", "receipt")}
        body["held"] = document["held"] + later
        forged = with_mac({**body, "receipt": keyed(
            first.encode("ascii"), b"checkpoint-kiosk-refusals 2 receipt\n", body)}, first)
    answer.write_text(json.dumps(forged), encoding="utf-8")

    loaded = load(folder, answer)
    assert loaded.returncode == 1
    assert f"{answer} {ALTERED}" in loaded.stderr
    assert sync_states(folder / "kiosk.db") == {"sent": 9}
    assert sorted(central.stored_ids(kiosk_id)) == (
        sorted(held + later) if forgery == "another file's answer" else held)


def test_an_answer_to_an_export_kept_no_receipt_key_of_marks_only_its_refusals(
        central, kiosk_id, tmp_path):
    """A file exported before this release: the kiosk kept no receipt key of it, so the
    centre's word that it holds entries cannot be checked. The centre writes its answer all
    the same; the kiosk loads its refusals (keyed with the digest, as before), leaves the
    rest pending and says why and what to do."""
    folder = tmp_path / "kiosk"
    worker = connected_once(folder, central, kiosk_id)
    refused = fill_backlog(worker.store.path, 3, kiosk_id=kiosk_id, checkpoint_id="CP-SYNK")
    fill_backlog(worker.store.path, 4, kiosk_id=kiosk_id)
    stick = tmp_path / "usb" / "ql1a.backlog"
    worker.export(stick)
    worker.stop()
    with contextlib.closing(sqlite3.connect(folder / "kiosk.db")) as conn, conn:
        conn.execute("UPDATE audit_log SET detail = json_remove(detail, '$.receipt_key') "
                     "WHERE action = 'sync.export'")  # as an older kiosk recorded it
    central_support.central("import", str(stick), "--db", central.db, check=False)
    answer = stick.with_name(stick.name + ".refused")
    assert len(json.loads(answer.read_text(encoding="utf-8"))["held"]) == 4

    loaded = load(folder, answer)
    assert loaded.returncode == 0, loaded.stderr
    assert "Marked 3 of the 3 entries the file names" in loaded.stdout
    assert ("This file answers an export this kiosk kept no receipt key of (written before "
            "this release): the entries the centre says it holds cannot be confirmed from it "
            "and stay pending until the kiosk reaches the network") in loaded.stdout
    assert sync_states(folder / "kiosk.db") == {"rejected": len(refused), "sent": 4}


def test_entries_the_centre_answered_past_its_retention_leave_and_are_said_so(
        central, kiosk_id, tmp_path):
    """Entries filed before the cut of the centre's latest purge are answered "duplicate"
    yet not held (purged, or never received): an upload's answer takes them out of the
    pending set and the kiosk says so for good (``kiosk sync status``); the stick's answer
    does the same. The centre's writer of the answer, with the receipt key of a real
    export, stands in for an import after such a purge."""
    from kiosk.sync import refusals

    folder = tmp_path / "kiosk"
    worker = connected_once(folder, central, kiosk_id)
    ids = fill_backlog(worker.store.path, 3, kiosk_id=kiosk_id)
    stick = tmp_path / "usb" / "ql1a.backlog"
    worker.export(stick)
    worker.stop()
    record = exports(folder / "kiosk.db")[0]
    cut = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 86400))
    answer = stick.with_name(stick.name + ".refused")
    refusals.write(answer, kiosk_id=kiosk_id, entries_sha256=record["sha256"], refused=[],
                   complete=True, held=ids, past_retention=ids[:2], retention_cut=cut,
                   receipt_key=bytes.fromhex(record["receipt_key"]))

    loaded = load(folder, answer)
    assert loaded.returncode == 0, loaded.stderr
    assert "3 left the pending set" in loaded.stdout
    assert f"2 entries older than the retention cut ({cut}): not stored, not counted" \
        in loaded.stdout
    assert sync_states(folder / "kiosk.db") == {"acknowledged": 3}
    status = json.loads(kiosk_cli(folder / "config.toml", "status", "--offline",
                                  "--json").stdout)
    assert status["past_retention_params"]["count"] == 2
    assert status["past_retention_params"]["cutoff"] == cut
