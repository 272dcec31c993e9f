"""Receipts: at a site with no network, entries the centre holds leave the kiosk through the
stick (``docs/sync-operator.md``, "The stick round trip").

``kiosk sync export`` seals the backlog file to the centre's key; ``kiosk-central import``
stores its entries and writes its answer beside it (``FILE.refused``): the entries it refused
and those it holds, the latter sealed under a key derived from the file's *receipt key*, which
only the centre's private key and the kiosk (which kept it at sealing time) can derive. ``kiosk sync
load-refusals`` acknowledges those, as an upload's answer does: they leave the pending set,
are never exported again and the purge removes them in their time. Before, they stayed
labelled exported for ever at a site that never reaches the network, carried again by every
export and kept past the retention. An answer altered on a lost stick, extended, moved to
another file or made by someone who knows only the entries' digest changes nothing; and the
answer on a lost stick does not give away when the entries it acknowledges were scanned.

Real parts: a real centre (its own database, the ``kiosk-central import`` command), real
kiosk stores and the ``kiosk sync`` commands as subprocesses.
"""

from __future__ import annotations

import base64
import contextlib
import ctypes
import hashlib
import hmac
import json
import os
import sqlite3
import subprocess
import sys
import time
import uuid
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


def load(folder: Path, answer: Path, *options: str) -> Any:
    return kiosk_cli(folder / "config.toml", "load-refusals", *options, str(answer))


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
    # "Last success" is an upload's: a stick never set it, so a site with no network read
    # "never" though the centre held all it sent. The last answer loaded is said beside it.
    assert status["last_success"] is None
    assert status["last_answer_loaded"]["held"] == 4
    said = kiosk_cli(folder / "config.toml", "status", "--offline").stdout
    assert "Last file answer loaded" in said and ": the centre holds 4 entries of that file" \
        in said, said
    store = Store(folder / "kiosk.db")
    try:
        audited = store.audit_log()[-1]
    finally:
        store.close()
    assert audited["action"] == "sync.load_refusals"
    assert json.loads(audited["detail"]) == {
        "kiosk": kiosk_id, "named": 3, "count": 3, "first_id": refused[0],
        "last_id": refused[-1], "held": 4, "acknowledged": 4, "already": 0, "unknown": 0}

    assert f"Loaded; {answer} can now be deleted" in loaded.stdout  # it is kept unasked

    again = load(folder, answer, "--delete")  # harmless; and the stick keeps no answer
    assert ("The centre confirms it holds 4 entries of the file: 0 left the pending set, "
            "4 were acknowledged already, 0 ids are not here") in again.stdout
    assert f"Loaded; {answer} is deleted" in again.stdout
    assert not answer.exists()
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
    SHA-256 (sealed in the file, kept in the kiosk's audit record) can: only the
    acknowledgement's seal is left to stop the forgery."""
    body = {key: value for key, value in document.items() if key != "mac"}
    return {**body, "mac": keyed(entries_sha256.encode("ascii"),
                                 b"checkpoint-kiosk-refusals 2 mac\n", body)}


def sealed_with(key: bytes, document: dict[str, Any], held: list[str]) -> dict[str, Any]:
    """``document`` with ``held`` sealed as the centre seals its acknowledgement, under a
    key derived from ``key``."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    body = {key: value for key, value in document.items()
            if key not in ("mac", "acknowledgement")}
    aead = ChaCha20Poly1305(HKDF(hashes.SHA256(), 32, salt=None, info=(
        b"checkpoint-kiosk-refusals 2 acknowledgement")).derive(key))
    plain = json.dumps({"held": held, "past_retention": [], "retention_cut": None})
    nonce = b"\0" * 12
    associated = json.dumps(body, ensure_ascii=True, sort_keys=True, separators=(",", ":"))
    return {**body, "acknowledgement": base64.b64encode(nonce + aead.encrypt(
        nonce, plain.encode("ascii"), associated.encode("ascii"))).decode("ascii")}


def test_the_answer_on_the_stick_gives_away_no_time_of_an_entry_the_centre_holds(
        central, kiosk_id, tmp_path):
    """Each id is a UUIDv7: the millisecond of a scan at the named kiosk. The sealed backlog
    hides them; its answer, in clear on the same stick, must not list them: no held id is in
    its bytes as text, as hex, nor as base64 of the id's bytes. The refused ids stay
    readable, as before acknowledgements, under the digest-keyed ``mac`` that covers the
    whole: a kiosk older than acknowledgements still loads them from this centre's
    answer."""
    folder = tmp_path / "kiosk"
    refused, held, answer = export_and_import(central, folder, kiosk_id,
                                              tmp_path / "usb" / "ql1a.backlog")
    data = answer.read_bytes().lower()
    for one in held:
        raw = uuid.UUID(one).bytes
        for form in (one, uuid.UUID(one).hex, base64.b64encode(raw).decode(),
                     base64.urlsafe_b64encode(raw).decode(), base64.b64encode(
                         one.encode()).decode(), base64.b32encode(raw).decode()):
            assert form.lower().rstrip("=").encode() not in data, form
    for word in ("held", "past_retention", "retention_cut", "receipt"):
        assert f'"{word}"'.encode() not in data
    document = json.loads(answer.read_text(encoding="utf-8"))
    assert with_mac(document, exports(folder / "kiosk.db")[0]["sha256"]) == document
    assert [item["id"] for item in document["refused"]] == refused

    assert load(folder, answer).returncode == 0
    assert sync_states(folder / "kiosk.db") == {"acknowledged": 4, "rejected": 3}


@pytest.mark.parametrize("forgery", ["ids added", "another file's answer",
                                     "a re-export under the same name",
                                     "a refusal added",
                                     "an acknowledgement sealed with the digest",
                                     "an acknowledgement altered",
                                     "an export never made named"])
def test_a_forged_answer_acknowledges_nothing_and_says_why(central, kiosk_id, tmp_path,
                                                           forgery):
    """A lost stick holds the sealed file and its answer; whoever finds it, or knows the
    entries' digest, cannot make the kiosk believe the centre holds entries it does not:
    the acknowledgement is sealed under a key only the centre and the kiosk can derive,
    with the rest of the answer as its associated data, and names the export by its receipt
    key. Each forgery is refused whole: nothing marked, not even its refusals. (An answer
    naming an export the kiosk has no receipt key of is taken for one exported before
    receipts only when such an export of those entries exists.)"""
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
    if forgery == "ids added":  # in clear beside the sealed ones: its associated data
        forged = with_mac({**document, "held": held + later}, first)
    elif forgery == "another file's answer":  # the re-export imported: its acknowledgement
        central_support.central("import", str(stick), "--db", central.db, check=False)
        theirs = json.loads(answer.read_text(encoding="utf-8"))
        forged = with_mac({**document, **{key: theirs[key] for key in (
            "sealed", "acknowledgement")}}, first)
    elif forgery == "a re-export under the same name":  # the first answer, made the second's
        from kiosk.sync.refusals import answers

        forged = with_mac({**document, "answers": answers(second)}, second)
    elif forgery == "a refusal added":  # the acknowledgement's associated data changed
        forged = with_mac({**document, "refused": document["refused"] + [
            {"id": later[0], "reason": "made up", "code": None, "params": None}]}, first)
    elif forgery == "an acknowledgement sealed with the digest":
        forged = with_mac(sealed_with(first.encode("ascii"), document, held + later), first)
    elif forgery == "an acknowledgement altered":
        raw = bytearray(base64.b64decode(document["acknowledgement"]))
        raw[20] ^= 1
        forged = with_mac({**document, "acknowledgement": base64.b64encode(raw).decode()},
                          first)
    else:
        forged = with_mac({**document, "sealed": "0" * 64}, first)
    answer.write_text(json.dumps(forged), encoding="utf-8")

    loaded = load(folder, answer, "--delete")
    assert loaded.returncode == 1
    assert f"{answer} {ALTERED}" in loaded.stderr
    assert answer.exists()  # deleted only once loaded
    assert sync_states(folder / "kiosk.db") == {"sent": 9}
    assert sorted(central.stored_ids(kiosk_id)) == (
        sorted(held + later) if forgery == "another file's answer" else held)


def test_an_answer_with_the_held_ids_in_clear_is_not_the_centres(central, kiosk_id,
                                                                  tmp_path):
    """The earlier form of the acknowledgement (never released): ``held`` in clear with an
    HMAC under the receipt key. One format only: such a file is refused whole, even genuinely
    keyed, and says so; the file is imported again for an answer of this format."""
    folder = tmp_path / "kiosk"
    _, held, answer = export_and_import(central, folder, kiosk_id,
                                        tmp_path / "usb" / "ql1a.backlog")
    record = exports(folder / "kiosk.db")[0]
    body = {key: value for key, value in json.loads(answer.read_text(encoding="utf-8")).items()
            if key not in ("mac", "acknowledgement")}
    body.update(held=held, past_retention=[], retention_cut=None)
    body["receipt"] = keyed(bytes.fromhex(record["receipt_key"]),
                            b"checkpoint-kiosk-refusals 2 receipt\n", body)
    answer.write_text(json.dumps(with_mac(body, record["sha256"])), encoding="utf-8")

    loaded = load(folder, answer)
    assert loaded.returncode == 1
    assert f"{answer} is not a refusals file `kiosk-central import` wrote" in loaded.stderr
    assert sync_states(folder / "kiosk.db") == {"sent": 7}


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
    assert "acknowledgement" in json.loads(answer.read_text(encoding="utf-8"))

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
    from kiosk.sync.kiosk_keys import KioskKeys

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
                   receipt_key=bytes.fromhex(record["receipt_key"]),
                   centre_id=KioskKeys(folder).centre().centre_id)  # the kiosk's centre

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


def test_an_answer_that_cannot_be_deleted_is_loaded_all_the_same_and_said_so(
        central, kiosk_id, tmp_path):
    """A stick whose folder the kiosk's account may not write (mounted read-only, say):
    ``--delete`` cannot remove the answer once loaded. The load stands (entries marked, the
    acknowledged ones out of the pending set); the kiosk says the file is still there, to be
    deleted by hand, and exits 1. As root, without root's power over file modes."""
    folder = tmp_path / "kiosk"
    _, _, answer = export_and_import(central, folder, kiosk_id,
                                     tmp_path / "usb" / "ql1a.backlog")
    answer.parent.chmod(0o555)

    def not_above_permissions() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
            if os.geteuid() == 0 and libc.prctl(24, capability, 0, 0, 0):  # CAPBSET_DROP
                raise OSError(ctypes.get_errno(), "prctl")

    try:
        loaded = subprocess.run(
            [sys.executable, "-m", "kiosk.cli", "sync", "load-refusals", "--delete",
             str(answer), "--config", str(folder / "config.toml")], capture_output=True,
            text=True, timeout=120, stdin=subprocess.DEVNULL, preexec_fn=not_above_permissions)
    finally:
        answer.parent.chmod(0o755)
    assert loaded.returncode == 1, loaded.stderr
    assert "4 left the pending set" in loaded.stdout
    assert (f"Loaded, but {answer} could not be deleted: permission denied. Delete it by hand "
            "(loading it again changes nothing)") in loaded.stderr
    assert answer.exists()
    assert sync_states(folder / "kiosk.db") == {"acknowledged": 4, "rejected": 3}


def test_a_file_that_is_no_whole_answer_says_why_in_the_readers_words_and_is_kept(
        central, kiosk_id, tmp_path):
    """The slips at the stick: the backlog file picked instead of its answer beside it, an
    answer cut off on the way, a name typed wrong. Before, Python's English ('utf-8' codec
    can't decode…, Unterminated string…) stood inside the Vietnamese sentence with no
    advice. Now each says what it is and what to do, nothing changes, and ``--delete``
    leaves the file where it is."""
    folder = tmp_path / "kiosk"
    stick = tmp_path / "usb" / "ql1a.backlog"
    _, _, answer = export_and_import(central, folder, kiosk_id, stick)
    cut = tmp_path / "usb" / "cut.refused"
    cut.write_bytes(answer.read_bytes()[:500])
    before = sync_states(folder / "kiosk.db")
    said = {}
    for path in (stick, cut, tmp_path / "usb" / "missing.refused"):
        loaded = load(folder, path, "--delete")
        assert loaded.returncode == 1 and loaded.stdout == "", loaded.stdout
        said[path.name] = loaded.stderr.strip()
    assert said == {
        "ql1a.backlog": f"{stick} is a backlog file the kiosk exported, not the centre's "
                        f"answer: load {answer} beside it (the centre writes it at import); "
                        "nothing changed",
        "cut.refused": f"the refusals file {cut} is cut off (copied part-way?): copy it "
                       "again from the centre; nothing changed",
        "missing.refused": f"{tmp_path / 'usb' / 'missing.refused'} not found; nothing "
                           "changed"}
    assert stick.exists() and cut.exists()
    assert sync_states(folder / "kiosk.db") == before
    config = folder / "config.toml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        'language = "en"', 'language = "vi"'), encoding="utf-8")
    assert load(folder, stick).stderr.strip() == (
        f"{stick} là tệp tồn đọng trạm xuất ra, không phải câu trả lời của trung tâm: hãy "
        f"nạp tệp {answer} nằm cạnh nó (trung tâm ghi khi nhập); không thay đổi gì")


def test_an_export_killed_once_its_file_took_its_name_leaves_an_answer_the_kiosk_loads(
        central, kiosk_id, tmp_path):
    """A power cut or kill -9 after the file was whole on the stick under its name: the
    export's record (the receipt key its answer is checked with) is kept before the file
    takes its name. Before, it was written after every entry was marked exported, and the
    answer to such a good file was refused for ever ("answers a backlog file this kiosk did
    not export"), importing it again giving the same."""
    import signal

    folder = tmp_path / "kiosk"
    connected_once(folder, central, kiosk_id).stop()
    ids = fill_backlog(folder / "kiosk.db", 50_000, kiosk_id=kiosk_id)
    stick = tmp_path / "usb" / "ql1a.backlog"
    export = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "sync", "export", "--to",
                               str(stick), "--config", str(folder / "config.toml")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              stdin=subprocess.DEVNULL)
    while not stick.exists():
        assert export.poll() is None, "the export ended before it was killed"
        time.sleep(0.002)
    export.send_signal(signal.SIGKILL)
    export.wait(timeout=30)
    central_support.central("import", str(stick), "--db", central.db)
    assert sorted(central.stored_ids(kiosk_id)) == ids

    loaded = load(folder, stick.with_name(stick.name + ".refused"))
    assert loaded.returncode == 0, loaded.stderr
    assert ("The centre confirms it holds 50,000 entries of the file: 50,000 left the "
            "pending set") in loaded.stdout
    assert sync_states(folder / "kiosk.db") == {"acknowledged": 50_000}


def test_an_answer_for_a_province_s_file_is_written_without_copies_of_its_ids(tmp_path):
    """The centre's answer seals the ids of every entry it holds, in one piece (a million
    for a province's file). Writing it held the ids as texts, then their JSON, the sealed
    bytes, their base64 as bytes and as text, and the whole answer twice more (the mac's
    canonical text, the file's): ~9 times the sealed size, 350 MB at a million. It holds
    now the ids' JSON and the sealed bytes, and writes the base64 a piece at a time; the
    file is the same text as before (``json.dumps`` of the whole) and reads back whole."""
    import tracemalloc

    from kiosk.sync import refusals

    ids = [f"0190a1b2-c3d4-7e5f-8a9b-{n:012d}" for n in range(150_000)]
    held = refusals.HeldIds(ids)
    answer = tmp_path / "big.backlog.refused"
    digest, receipt = "ab" * 32, os.urandom(32)
    tracemalloc.start()
    try:
        refusals.write(answer, kiosk_id="ql1a-01", entries_sha256=digest, refused=[],
                       complete=True, held=held, past_retention=ids[:3],
                       retention_cut="2026-01-01", receipt_key=receipt, centre_id="c-1")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    sealed = 39 * len(ids)  # '"' + 36 + '",' an id
    assert peak < 2.5 * sealed  # the ids' JSON once more, and sealed: ~2 ×
    text = answer.read_text(encoding="ascii")
    assert text == json.dumps(json.loads(text))
    read = refusals.read(answer, [(digest, receipt)])
    assert (read.held, read.past_retention, read.complete) == (ids, ids[:3], True)
