"""Backlog files: a site with no network exports its pending entries, the centre imports them.

The file is signed with a key derived from the kiosk's token, which the centre holds for
every enrolled kiosk: an altered, cut-off or foreign file is refused with a clear reason and
nothing from it is stored. Importing twice, or receiving the same entries over the network
later, stores each entry once.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from kiosk import config as config_mod
from kiosk.central.backends import open_storage
from kiosk.central.importer import import_file
from kiosk.store import Store
from kiosk.sync import backlog
from kiosk.sync.backlog import BacklogError, BacklogReader
from kiosk.sync.protocol import backlog_file_key
from kiosk.sync.worker import SyncWorker
from tests import central_support
from tests.sync_support import fill_backlog, sync_states, write_config

OFFLINE = "http://127.0.0.1:9"


def offline_worker(tmp_path: Path, kiosk_id: str, token: str, url: str = OFFLINE,
                   **kiosk) -> SyncWorker:
    config = config_mod.load(write_config(tmp_path / "config.toml", kiosk_id=kiosk_id,
                                          server_url=url, token=token, **kiosk))
    return SyncWorker.from_config(config, base_backoff_seconds=0.02)


@pytest.fixture
def exported(central, kiosk_id, tmp_path):
    """A kiosk with 700 pending entries exported to usb/backlog.zip; (worker, ids, file)."""
    worker = offline_worker(tmp_path, kiosk_id, central.enrol(kiosk_id))
    ids = fill_backlog(worker.store.path, 700, kiosk_id=kiosk_id)
    (tmp_path / "usb").mkdir()
    path = tmp_path / "usb" / "backlog.zip"
    summary = worker.export(path)
    assert (summary.entries, summary.marked_sent) == (700, 700)
    assert (summary.first_id, summary.last_id) == (ids[0], ids[-1])
    yield worker, ids, path
    worker.stop()


def test_exporting_labels_entries_sent_but_keeps_them_pending(exported):
    worker, ids, path = exported
    assert sync_states(worker.store.path) == {"sent": 700}
    assert worker.state().pending == 700
    assert not path.with_name("backlog.zip.part").exists()
    assert worker.store.audit_log()[-1]["action"] == "sync.export"
    with zipfile.ZipFile(path) as archive:  # any archive tool can look inside
        assert set(archive.namelist()) == {"entries.jsonl", "manifest.json", "manifest.hmac"}
        manifest = json.loads(archive.read("manifest.json"))
        first = json.loads(archive.open("entries.jsonl").readline())
    assert manifest["kiosk_id"] == worker.kiosk_id and manifest["entries"] == 700
    assert first["id"] == ids[0] and "payload_b64" in first


def test_a_file_imports_once_and_a_later_push_of_the_same_entries_is_duplicate(
        central, exported, tmp_path):
    worker, ids, path = exported
    first = central_support.central("import", str(path), "--db", central.db)
    assert "700 entries — 700 accepted" in first.stdout
    assert sorted(central.stored_ids(worker.kiosk_id)) == ids
    again = central_support.central("import", str(path), "--db", central.db)
    assert "0 mới, 700 đã có" in again.stdout and "0 accepted, 700 duplicate" in again.stdout
    assert len(central.stored_ids(worker.kiosk_id)) == 700
    storage = open_storage(central.db)
    try:  # a file's age says nothing about the kiosk's clock: the offset stays unknown
        assert {e["clock_offset_seconds"] for e in storage.entries(kiosk_id=worker.kiosk_id)} \
            == {None}
        kiosk = storage.kiosk(worker.kiosk_id)
        assert (kiosk.last_seen_at, kiosk.last_clock_offset, kiosk.entries) == (None, None, 700)
    finally:
        storage.close()

    online = offline_worker(tmp_path, worker.kiosk_id, worker.token, url=central.url)
    summary = online.push_now()
    online.stop()
    assert (summary.accepted, summary.duplicate, summary.remaining) == (0, 700, 0)
    assert sync_states(worker.store.path) == {"acknowledged": 700}


def _rewrite(path: Path, change) -> None:
    """Rebuild the zip with ``change(name, data) -> data`` applied to each member."""
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, change(name, data))
    path.write_bytes(buffer.getvalue())


def flip_a_compressed_byte(path: Path) -> None:
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("entries.jsonl")
    data = bytearray(path.read_bytes())
    spot = info.header_offset + 30 + len(info.filename) + 20 + info.compress_size // 2
    data[spot] ^= 0x01
    path.write_bytes(bytes(data))


def cut_off(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size * 2 // 3])


def change_a_name(path: Path) -> None:
    _rewrite(path, lambda name, data: data.replace("Nguyễn".encode(), b"Nguyen")
             if name == "entries.jsonl" else data)


def drop_the_last_entry_and_fix_the_manifest(path: Path) -> None:
    """What someone without the token could do: a self-consistent file, not re-signable."""
    import hashlib

    with zipfile.ZipFile(path) as archive:
        lines = archive.read("entries.jsonl").splitlines(keepends=True)[:-1]
        manifest = json.loads(archive.read("manifest.json"))
    body = b"".join(lines)
    manifest.update(entries=len(lines), entries_sha256=hashlib.sha256(body).hexdigest(),
                    entries_bytes=len(body), last_id=json.loads(lines[-1])["id"])
    _rewrite(path, lambda name, data: body if name == "entries.jsonl" else
             json.dumps(manifest).encode() if name == "manifest.json" else data)


def sign_with_a_guessed_token(path: Path) -> None:
    drop_the_last_entry_and_fix_the_manifest(path)
    with zipfile.ZipFile(path) as archive:
        manifest = archive.read("manifest.json")
    forged = backlog.sign(backlog_file_key("guessed-token"), manifest) + "\n"
    _rewrite(path, lambda name, data: forged.encode() if name == "manifest.hmac" else data)


def garble_the_signature(path: Path) -> None:
    """A flipped high bit: the signature is no longer even ASCII."""
    _rewrite(path, lambda name, data: b"\xff" + data[1:] if name == "manifest.hmac" else data)


@pytest.mark.parametrize(("spoil", "reason"), [
    (garble_the_signature, "signature does not match"),
    (flip_a_compressed_byte, "damaged entry data"),
    (cut_off, "truncated or damaged file"),
    (change_a_name, "entry data differs from what was signed"),
    (drop_the_last_entry_and_fix_the_manifest, "signature does not match"),
    (sign_with_a_guessed_token, "signature does not match"),
])
def test_an_altered_or_cut_off_file_is_refused_and_nothing_from_it_is_stored(
        central, exported, spoil, reason):
    worker, _, path = exported
    spoil(path)
    with open_storage(central.db) as storage:
        result = import_file(storage, path)
    assert result.error is not None and reason in result.error
    assert result.accepted == result.duplicate == 0
    assert central.stored_ids(worker.kiosk_id) == []


def test_the_import_command_names_the_refused_file_and_exits_non_zero(central, exported):
    _, _, path = exported
    cut_off(path)
    proc = central_support.central("import", str(path), "--db", central.db, check=False)
    assert proc.returncode == 1
    assert f"REFUSED {path}: truncated or damaged file" in proc.stderr
    assert "nothing from this file was stored" in proc.stderr


def test_a_file_from_a_kiosk_the_centre_does_not_know_is_refused(central, tmp_path):
    worker = offline_worker(tmp_path, "never-enrolled", "token-of-nobody")
    fill_backlog(worker.store.path, 3, kiosk_id="never-enrolled")
    worker.export(tmp_path / "b.zip")
    worker.stop()
    with open_storage(central.db) as storage:
        result = import_file(storage, tmp_path / "b.zip")
    assert "kiosk 'never-enrolled' is not enrolled at this centre" in result.error


def test_a_revoked_kiosks_file_is_refused_like_its_uploads(central, exported, kiosk_id):
    """A stolen or retired kiosk cannot bring its entries in on a USB stick instead."""
    _, _, path = exported
    central_support.central("kiosks", "revoke", kiosk_id, "--db", central.db)
    with open_storage(central.db) as storage:
        result = import_file(storage, path)
        assert f"kiosk {kiosk_id!r} was revoked at " in result.error
        assert storage.entries(kiosk_id=kiosk_id) == []


def test_export_refuses_entries_recorded_under_another_kiosk_id(tmp_path):
    """After kiosk.id was changed, old entries would be refused by the centre anyway."""
    worker = offline_worker(tmp_path, "kiosk-new", "t")
    fill_backlog(worker.store.path, 3, kiosk_id="kiosk-old")
    with pytest.raises(BacklogError, match="belongs to kiosk 'kiosk-old', not 'kiosk-new'"):
        worker.export(tmp_path / "b.zip")
    worker.stop()
    assert not (tmp_path / "b.zip").exists() and not (tmp_path / "b.zip.part").exists()
    assert sync_states(tmp_path / "kiosk.db") == {"pending": 3}


def test_entries_are_handed_out_only_after_the_whole_file_was_verified(exported):
    _, ids, path = exported
    with BacklogReader(path) as reader:
        with pytest.raises(BacklogError, match="before the file was verified"):
            next(reader.batches())
        reader.verify(backlog_file_key(exported[0].token))
        assert [e["id"] for batch in reader.batches(300) for e in batch] == ids


def test_a_kiosk_without_a_token_cannot_sign_a_file(tmp_path):
    worker = offline_worker(tmp_path, "k", "")
    with pytest.raises(BacklogError, match="No sync token"):
        worker.export(tmp_path / "b.zip")
    worker.stop()
    assert Store(tmp_path / "kiosk.db").sync_counts()["pending"] == 0
