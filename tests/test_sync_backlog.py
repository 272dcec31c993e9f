"""Backlog files: a site with no network exports its pending entries, the centre imports them.

The kiosk signs the file with its own Ed25519 key (the centre holds only the public half,
registered over the sync link) and seals it to the centre's X25519 key (whose private half
is a file beside the centre's database, not in it). So a lost stick reveals nothing, a copy
of the centre's database signs nothing, and an altered, cut-off, foreign or forged file is
refused with its reason and nothing from it stored. Importing twice, or receiving the same
entries over the network later, stores each entry once.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import io
import json
import logging
import os
import re
import sqlite3
import struct
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from kiosk import cli
from kiosk import config as config_mod
from kiosk.central.backends import open_storage
from kiosk.central.backlog_key import FILE_NAME, load_centre_key, open_key
from kiosk.central.importer import import_file
from kiosk.store import Store
from kiosk.sync import backlog, protocol
from kiosk.sync.backlog import BacklogError, BacklogReader
from kiosk.sync.backlog_keys import encode, encryption_public, fingerprint, raw
from kiosk.sync.kiosk_keys import CentreKeyChanged, KioskKeys
from kiosk.sync.status import saved_keys_alert
from kiosk.sync.worker import SyncWorker
from tests import central_support
from tests.sync_support import (
    JsonAnswering,
    TakingBacklogKeys,
    backlog_rows,
    centre_holding_another_signing_key,
    fill_backlog,
    serving,
    sync_states,
    write_config,
)
from tests.test_store_disk_failing import fill, small_disk

OFFLINE = "http://127.0.0.1:9"


def kiosk_worker(folder: Path, kiosk_id: str, token: str, url: str = OFFLINE) -> SyncWorker:
    """The kiosk of ``folder`` (config, store and key files there)."""
    folder.mkdir(exist_ok=True)
    config = config_mod.load(write_config(folder / "config.toml", kiosk_id=kiosk_id,
                                          server_url=url, token=token))
    return SyncWorker.from_config(config, base_backoff_seconds=0.02)


def connected_once(folder: Path, central, kiosk_id: str) -> SyncWorker:
    """An enrolled kiosk that reached the centre once (registering its signing key and
    learning the centre's key), then lost the network: its worker, offline."""
    token = central.enrol(kiosk_id)
    online = kiosk_worker(folder, kiosk_id, token, central.url)
    assert online.push_now().error is None
    online.stop()
    return kiosk_worker(folder, kiosk_id, token)


def centre_key(central) -> X25519PrivateKey:
    return load_centre_key(Path(central.db_path).parent / FILE_NAME)


def importing(central, path: Path, **options):
    with open_storage(central.db) as storage:
        return import_file(storage, path, centre_key(central), **options)


@pytest.fixture(autouse=True)
def stick_mounted(tmp_path):
    """The stick each test writes its files to (usb/), mounted: an export writes only into
    a folder that is there, never makes one (tests/test_sync_commands.py: not mounted)."""
    (tmp_path / "usb").mkdir()


@pytest.fixture
def exported(central, kiosk_id, tmp_path):
    """A kiosk with 700 pending entries exported to usb/ql1a.backlog; (worker, ids, file)."""
    worker = connected_once(tmp_path / "kiosk", central, kiosk_id)
    ids = fill_backlog(worker.store.path, 700, kiosk_id=kiosk_id)
    path = tmp_path / "usb" / "ql1a.backlog"
    summary = worker.export(path)
    assert (summary.entries, summary.marked_sent) == (700, 700)
    assert (summary.first_id, summary.last_id) == (ids[0], ids[-1])
    assert summary.signing_key_registered
    yield worker, ids, path
    worker.stop()


def test_exporting_labels_entries_sent_but_keeps_them_pending(exported):
    worker, _, path = exported
    assert sync_states(worker.store.path) == {"sent": 700}
    assert worker.state().pending == 700
    assert not path.with_name("ql1a.backlog.part").exists()
    recorded, finished = worker.store.audit_log()[-2:]  # the record before the file's name
    assert (recorded["action"], finished["action"]) == ("sync.export", "sync.export_marked")
    assert json.loads(finished["detail"])["marked"] == 700
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_lost_stick_reveals_no_name_number_or_kiosk(exported):
    """Only the header is in clear: what the file is and the keys it is sealed with."""
    worker, ids, path = exported
    data = path.read_bytes()
    assert data.startswith(b"checkpoint-kiosk-backlog 2\n")
    for secret in ("Nguyễn Văn An", "Trần Thị Bình", "Phố Huế", ids[0], ids[-1],
                   worker.kiosk_id, "001099000"):
        assert secret.encode() not in data
        assert secret.encode() not in _inflate_anything(data)


def _inflate_anything(data: bytes) -> bytes:
    """Whatever zlib would make of the file from any offset (sealed data is not zlib)."""
    import zlib

    out = []
    for start in range(0, min(len(data), 4096)):
        try:
            out.append(zlib.decompressobj().decompress(data[start:], 1 << 16))
        except zlib.error:
            continue
    return b"".join(out)


def test_the_kiosks_keys_sit_beside_its_token_for_its_owner_only(exported):
    worker, _, _ = exported
    keys: KioskKeys = worker.keys
    for path in (keys.signing_key_path, keys.centre_path):
        assert path.parent == worker.store.path.parent  # the config's folder here
        assert path.stat().st_mode & 0o777 == 0o600
    assert b"PRIVATE KEY" in keys.signing_key_path.read_bytes()


def test_a_file_imports_once_and_a_later_push_of_the_same_entries_is_duplicate(
        central, exported):
    worker, ids, path = exported
    first = central_support.central("import", str(path), "--db", central.db)
    assert "700 entries — 700 accepted" in first.stdout
    assert sorted(central.stored_ids(worker.kiosk_id)) == ids
    again = central_support.central("import", str(path), "--db", central.db)
    assert "0 mới, 700 đã có" in again.stdout and "0 accepted, 700 duplicate" in again.stdout
    assert len(central.stored_ids(worker.kiosk_id)) == 700
    with open_storage(central.db) as storage:  # a file's age says nothing of the kiosk clock
        assert {e["clock_offset_seconds"] for e in storage.entries(kiosk_id=worker.kiosk_id)} \
            == {None}
        assert storage.kiosk(worker.kiosk_id).entries == 700

    online = kiosk_worker(worker.store.path.parent, worker.kiosk_id, worker.token, central.url)
    summary = online.push_now()
    online.stop()
    assert (summary.accepted, summary.duplicate, summary.remaining) == (0, 700, 0)
    assert sync_states(worker.store.path) == {"acknowledged": 700}


def test_scans_filed_by_their_age_and_then_imported_from_a_file_are_duplicate(
        central, kiosk_id, tmp_path):
    """A kiosk with a flat clock battery scans at 1970, and the site exports its backlog to a
    stick; the network comes back in the same boot, after the clock was set, and the kiosk
    uploads the scans, filed today by their age on its monotonic clock. Then the stick
    arrives. A file says nothing of that clock, so its 1970 scans alone would be refused as
    more than 400 days old; but the centre holds each, unchanged: ``duplicate``."""
    worker = connected_once(tmp_path / "kiosk", central, kiosk_id)
    ids = fill_backlog(worker.store.path, 3, kiosk_id=kiosk_id)
    with worker.store.transaction() as conn:
        conn.execute("UPDATE entries SET scanned_at = '1970-01-01T00:03:00.000000Z'")
    path = tmp_path / "usb" / "ql1a.backlog"
    assert worker.export(path).entries == 3
    worker.stop()
    online = kiosk_worker(worker.store.path.parent, kiosk_id, worker.token, central.url)
    assert online.push_now().accepted == 3
    online.stop()

    result = importing(central, path)
    assert (result.error, result.accepted, result.duplicate, result.reasons) == (
        None, 0, 3, {})
    assert sorted(central.stored_ids(kiosk_id)) == ids

# -- spoiled and forged files -------------------------------------------------------------
def test_an_export_the_store_cannot_mark_is_said_good_with_its_entries_still_pending(
        tmp_path):
    """A backup moved over the store while the export writes (``kiosk sync export``, the
    sync screen): the file holds every entry, checked on the disk, and may be their only
    copy; the store refuses to mark them exported. The export does not fail (the operator
    would throw the file away): its summary says the file is good, why the entries could
    not be marked, and that they stay pending — printed in place of "Exported"."""
    import sqlite3

    worker = kiosk_worker(tmp_path / "kiosk", "k-swap", "t0ken-swap")  # centre out of reach
    centre = X25519PrivateKey.generate()
    worker.keys.remember({"centre_key": encode(centre.public_key())})
    db = Path(worker.store.path)
    backup = db.with_name("backup.db")
    with contextlib.closing(sqlite3.connect(backup)) as copy, \
            contextlib.closing(sqlite3.connect(db)) as source:
        source.backup(copy)
    fill_backlog(db, 30, kiosk_id="k-swap")  # since the backup: only in this file
    target = tmp_path / "usb" / "k-swap.backlog"
    try:
        summary = worker.export(target, progress=lambda done: os.replace(backup, db)
                                if backup.exists() else None)
        assert (summary.entries, summary.marked_sent) == (30, 0)
        assert summary.not_marked is not None
        assert summary.not_marked.params["why"].code == "store.gone"
        said = summary.not_marked("en")  # nor could it keep the export's record
        assert said.startswith(f"30 entries written to {target}; the file is good: carry it")
        assert f"its record was cut short ({db}: the store file was deleted" in said
        assert said.endswith("the centre's answer to it cannot be loaded here: once the "
                             "store takes writes again, export again; the entries stay "
                             "pending")
        assert "vẫn chờ gửi" in summary.not_marked("vi")
        assert worker.store.outbox_summary().pending == 30
    finally:
        worker.stop()
    with BacklogReader(target, centre) as reader:
        reader.verify(worker.keys.signing_key().public_key())
        assert sum(len(batch) for batch in reader.batches()) == 30


def _parts(path: Path) -> tuple[bytes, list[bytes]]:
    """The file's clear header and its sealed parts, each with its length prefix."""
    data = path.read_bytes()
    header, rest = data[:backlog.HEADER_BYTES], data[backlog.HEADER_BYTES:]
    parts = []
    while rest:
        (length,) = struct.unpack(">I", rest[:4])
        parts.append(rest[:4 + length])
        rest = rest[4 + length:]
    return header, parts


def flip_a_byte_in_the_middle(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def cut_off(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size * 2 // 3])


def drop_the_last_part(path: Path) -> None:
    """Cut exactly at a part boundary: every part left is whole and genuine."""
    header, parts = _parts(path)
    path.write_bytes(header + b"".join(parts[:-1]))


def swap_two_parts(path: Path) -> None:
    header, parts = _parts(path)
    parts[0], parts[1] = parts[1], parts[0]
    path.write_bytes(header + b"".join(parts))


def cut_in_its_first_line(path: Path) -> None:
    """A stick pulled as the copy began: the first 20 bytes of the header arrived. It was
    refused as "not a kiosk backlog file", as if the wrong file had been brought."""
    path.write_bytes(path.read_bytes()[:20])


def emptied(path: Path) -> None:
    """A stick pulled before any byte was written (FAT shows the file, 0 bytes)."""
    path.write_bytes(b"")


def add_bytes_at_the_end(path: Path) -> None:
    path.write_bytes(path.read_bytes() + b"\x00\x00\x00\x20" + os.urandom(32))


@pytest.mark.parametrize(("spoil", "reason"), [
    (flip_a_byte_in_the_middle, "cannot be decrypted — the file was altered or damaged"),
    (cut_off, "the file is cut off"),
    (drop_the_last_part, "the file is cut off"),
    (cut_in_its_first_line, "the file is cut off"),
    (emptied, "the file is empty (0 bytes: copied part-way?): refused; copy it from the "
              "kiosk again"),
    (swap_two_parts, "part 1 cannot be decrypted"),
    (add_bytes_at_the_end, "cannot be decrypted"),
])
def test_an_altered_or_cut_off_file_is_refused_and_nothing_from_it_is_stored(
        central, kiosk_id, tmp_path, monkeypatch, spoil, reason):
    worker = connected_once(tmp_path / "kiosk", central, kiosk_id)
    fill_backlog(worker.store.path, 700, kiosk_id=kiosk_id)
    monkeypatch.setattr(backlog, "PART_BYTES", 16 * 1024)  # several parts from 700 entries
    path = tmp_path / "b.backlog"
    worker.export(path)
    worker.stop()
    assert len(_parts(path)[1]) > 3
    spoil(path)
    result = importing(central, path)
    assert result.error is not None and reason in result.error, result.error
    assert result.accepted == result.duplicate == 0
    assert central.stored_ids(kiosk_id) == []


def test_a_file_of_tiny_parts_is_refused_at_its_first_short_part_before_the_rest_is_listed(
        tmp_path, monkeypatch):
    """Anyone can seal a file to the centre's public key, and its parts are listed before
    any is authenticated. The kiosk fills every part but its last entry part and the
    manifest's, so a short part with two more after it is refused as damaged where it
    stands: a file of millions of tiny parts no longer holds ~5 times its size in memory
    while each is listed. A genuine file of several parts, its last entry part short,
    still opens."""
    monkeypatch.setattr(backlog, "PART_BYTES", 16 * 1024)  # several parts from 700 rows
    centre, signing = X25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    genuine = tmp_path / "genuine.backlog"
    backlog.write_backlog(genuine, backlog_rows(700, kiosk_id="ql1a-01"), signing_key=signing,
                          centre_key=centre.public_key(), kiosk_id="ql1a-01",
                          checkpoint_id="CP-SYNC")
    assert len(_parts(genuine)[1]) > 3
    with BacklogReader(genuine, centre) as reader:
        assert reader.verify(signing.public_key()).entries == 700
    tiny = tmp_path / "tiny.backlog"
    tiny.write_bytes(backlog.MAGIC + raw(X25519PrivateKey.generate().public_key())
                     + raw(centre.public_key()) + (struct.pack(">I", 17) + bytes(17)) * 100_000)
    with pytest.raises(BacklogError, match="part 1 cannot be decrypted — the file was altered"):
        BacklogReader(tiny, centre)


def _forge(path: Path, central, *, kiosk_id: str, signing_key: Ed25519PrivateKey,
           rows_of: str | None = None, sealed_to: X25519PrivateKey | None = None) -> None:
    backlog.write_backlog(path, backlog_rows(50, kiosk_id=rows_of or kiosk_id),
                          signing_key=signing_key,
                          centre_key=(sealed_to or centre_key(central)).public_key(),
                          kiosk_id=kiosk_id, checkpoint_id="CP-SYNC")


def test_a_file_signed_with_another_key_is_refused(central, exported, tmp_path):
    """What someone holding the centre's database and key file could write: well sealed,
    well formed, but not signed by the kiosk."""
    worker, _, _ = exported
    forged = tmp_path / "forged.backlog"
    _forge(forged, central, kiosk_id=worker.kiosk_id, signing_key=Ed25519PrivateKey.generate())
    result = importing(central, forged)
    assert f"does not match kiosk {worker.kiosk_id}'s registered signing key" in result.error
    assert "chữ ký không khớp" in result.error
    assert central.stored_ids(worker.kiosk_id) == []


def test_a_file_claiming_another_kiosk_is_refused(central, exported, kiosk_id, tmp_path):
    """Kiosk A, with its own genuine key, writes a file in kiosk B's name."""
    worker_a, _, _ = exported
    other = f"{kiosk_id}-b"
    connected_once(tmp_path / "kiosk-b", central, other).stop()
    forged = tmp_path / "swapped.backlog"
    _forge(forged, central, kiosk_id=other, signing_key=worker_a.keys.signing_key())
    result = importing(central, forged)
    assert f"does not match kiosk {other}'s registered signing key" in result.error
    assert central.stored_ids(other) == []


def test_a_file_sealed_to_another_centre_is_refused_by_name(central, exported, tmp_path):
    worker, _, _ = exported
    foreign = tmp_path / "foreign.backlog"
    _forge(foreign, central, kiosk_id=worker.kiosk_id, signing_key=worker.keys.signing_key(),
           sealed_to=X25519PrivateKey.generate())
    result = importing(central, foreign)
    assert "the file is encrypted to centre key" in result.error
    assert "not this centre's" in result.error


def test_an_old_format_file_is_refused_with_how_to_export_it_again(central, tmp_path):
    old = tmp_path / "old-backlog.zip"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in ("entries.jsonl", "manifest.json", "manifest.hmac"):
            archive.writestr(name, b"{}")
    old.write_bytes(buffer.getvalue())
    result = importing(central, old)
    assert "old-format backlog file (v1" in result.error
    assert "kiosk sync export --to" in result.error and "định dạng cũ" in result.error


@pytest.mark.parametrize(("content", "reason"), [
    (b"", "the file is empty (0 bytes: copied part-way?)"),  # not "not a backlog file"
    (b"checkpoint-kiosk", "the file is cut off"),
    (b"id,name\n1,An\n", "not a kiosk backlog file"),
    (b"checkpoint-kiosk-backlog 3\n" + bytes(64), "format 'checkpoint-kiosk-backlog 3'"),
    (b"checkpoint-kiosk-backlog 2\n" + bytes(10), "the file is cut off"),
])
def test_what_is_not_a_backlog_file_is_named(central, tmp_path, content, reason):
    path = tmp_path / "x.backlog"
    path.write_bytes(content)
    result = importing(central, path)
    assert reason in result.error


def test_a_manifest_nested_without_end_is_refused_as_unreadable(central, tmp_path, monkeypatch):
    """Anyone can seal a file to the centre's public key; its manifest is read before the
    signature is checked, so one nested deeper than Python's parser goes ("[" * 30000) must
    be refused in words like any unreadable manifest, not end the import in a traceback."""
    monkeypatch.setattr(backlog.Manifest, "to_json", lambda self: b"[" * 30000 + b"]" * 30000)
    path = tmp_path / "deep.backlog"
    _forge(path, central, kiosk_id="k-deep", signing_key=Ed25519PrivateKey.generate())
    result = importing(central, path)
    assert "unreadable manifest: refused" in result.error, result.error
    assert "không đọc được bản kê của tệp" in result.error


def test_the_import_command_names_the_refused_file_and_exits_non_zero(central, exported):
    _, _, path = exported
    cut_off(path)
    proc = central_support.central("import", str(path), "--db", central.db, check=False)
    assert proc.returncode == 1
    assert f"TỪ CHỐI / REFUSED {path}: tệp bị cắt cụt" in proc.stderr
    assert "the file is cut off" in proc.stderr
    assert "nothing from this file was stored" in proc.stderr


def test_an_import_that_refused_entries_exits_1_and_says_so(central, kiosk_id, tmp_path):
    """A kiosk at a site with no network, its checkpoint id typed wrong: its file is
    genuine, yet the centre refuses every entry (a clock two days ahead, the example here
    before, is now filed at its arrival, below). The import said "0 accepted, …
    rejected" and exited 0, so a script — or an operator reading only the last line — took
    the stick's entries for delivered; it now exits 1, as ``kiosk sync push`` does when
    entries are refused, and says the entries are
    not at the centre."""
    worker = connected_once(tmp_path / "kiosk", central, kiosk_id)
    try:
        fill_backlog(worker.store.path, 3, kiosk_id=kiosk_id, checkpoint_id="CP-SYNK")
        path = tmp_path / "usb" / "typo.backlog"
        assert worker.export(path).entries == 3
    finally:
        worker.stop()
    proc = central_support.central("import", str(path), "--db", central.db, check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "3 entries — 0 accepted, 0 duplicate, 3 rejected" in proc.stdout
    assert "3 entries of this file were refused: they are not at the centre" in proc.stderr
    assert "3 lượt của tệp này bị từ chối" in proc.stderr
    assert central.stored_ids(kiosk_id) == []


def test_an_answer_the_full_stick_cannot_take_fails_the_import_and_leaves_no_part(
        central, exported, tmp_path):
    """The stick had room for the backlog file, not for the centre's answer beside it (a
    real tmpfs, filled once the file is on it). The entries were stored, but the import
    exited 0 with the system's English ("No space left on device") and left
    ``FILE.refused.part`` on the stick: the operator carried back no answer, nothing said
    why the kiosk's entries then stayed pending, nor how to get one. Now it exits 1, says
    why in both languages and what to do, and leaves no half answer."""
    _, ids, path = exported
    with small_disk(tmp_path / "stick", size_kib=256) as stick:
        on_stick = stick / path.name
        on_stick.write_bytes(path.read_bytes())
        fill(stick)
        proc = central_support.central("import", str(on_stick), "--db", central.db,
                                       check=False)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert "700 entries — 700 accepted" in proc.stdout
        assert (f"the centre's answer could not be written to {on_stick}.refused: the disk "
                "is full — the kiosk cannot learn which entries the centre holds or refused "
                "(they stay pending there, nothing is lost). Make room on the stick (or give "
                "--refusals-to DIR) and import the file again: nothing is stored twice"
                ) in proc.stderr
        assert f"không ghi được câu trả lời của trung tâm vào {on_stick}.refused: ổ đĩa đã đầy" \
            in proc.stderr
        assert "No space left" not in proc.stderr
        assert sorted(p.name for p in stick.iterdir()) == ["filler", path.name]
    assert sorted(central.stored_ids(exported[0].kiosk_id)) == sorted(ids)


def test_the_import_words_each_kind_of_refusal_once_in_both_languages_with_its_count(
        central, kiosk_id, tmp_path):
    """A file whose entries the centre refuses for several reasons: three dated over a
    century ahead (no clock set wrong by hand gives that; two days ahead is filed at its
    arrival, below), two filed under a checkpoint typed wrong, and
    one each of four other kinds. The import printed the English reason of each entry,
    grouped by its whole text: the three clock ones on three lines (each holds its own
    time) — and, five lines at most, the other kinds unsaid. It now prints one line per
    kind of refusal, most first (a kind: the refusal's code and the field it names), with
    its count and its first entry's reason worded from the catalogue in Vietnamese and
    English, the clock advice in both; past five kinds, which they are and how many entries."""
    worker = connected_once(tmp_path / "kiosk", central, kiosk_id)
    try:
        ahead = fill_backlog(worker.store.path, 3, kiosk_id=kiosk_id,
                             start=time.time() + 101 * 365.25 * 86400)
        fill_backlog(worker.store.path, 2, kiosk_id=kiosk_id, checkpoint_id="CP-SYNK")
        fill_backlog(worker.store.path, 1, kiosk_id=kiosk_id, start=time.time() - 500 * 86400)
        odd = fill_backlog(worker.store.path, 3, kiosk_id=kiosk_id)
        with worker.store.transaction() as conn:
            conn.execute("UPDATE entries SET device_id = ? WHERE id = ?", ("d" * 5000, odd[0]))
            conn.execute("UPDATE entries SET source = '' WHERE id = ?", (odd[1],))
            conn.execute("UPDATE entries SET device_id = ? WHERE id = ?", ("lane\x00", odd[2]))
        path = tmp_path / "usb" / "mixed.backlog"
        assert worker.export(path).entries == 9
    finally:
        worker.stop()
    proc = central_support.central("import", str(path), "--db", central.db, check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "9 entries — 0 accepted, 0 duplicate, 9 rejected" in proc.stdout
    said = [line.strip() for line in proc.stdout.splitlines() if line.startswith("  ")]
    with contextlib.closing(sqlite3.connect(worker.store.path)) as conn:
        (ahead_at,), = conn.execute("SELECT scanned_at FROM entries WHERE id = ?", (ahead[0],))
    assert said[:2] == [
        f"3 lượt bị từ chối, như lượt đầu: scanned_at: {ahead_at} muộn hơn lúc tới trung tâm "
        "— kiểm tra đồng hồ trạm / 3 entries rejected, like the first: scanned_at: "
        f"{ahead_at} is later than it reached the centre — check the kiosk's clock",
        f"2 lượt bị từ chối, như lượt đầu: checkpoint_id: trạm '{kiosk_id}' được đăng ký tại "
        f"điểm 'CP-SYNC', không phải 'CP-SYNK' / 2 entries rejected, like the first: "
        f"checkpoint_id: kiosk '{kiosk_id}' is enrolled at checkpoint 'CP-SYNC', not "
        "'CP-SYNK'"]
    assert len(said) == 6 and all(line.startswith("1 lượt bị từ chối: ") for line in said[2:5])
    assert said[5] == ("… và lý do khác (nul_character device_id): thêm 1 lượt bị từ chối, đủ "
                       "cả trong tệp trả lời .refused / … other reasons (nul_character "
                       "device_id): 1 more rejected, each in the .refused answer")


def test_a_file_of_scans_made_while_the_clock_ran_ahead_is_imported_at_arrival_uncertain(
        central, kiosk_id, tmp_path):
    """A site with no network whose kiosk's clock ran two days ahead: a file carries no send
    time to correct the clock by, and the centre refused its scans for good (``scanned_at …
    is later than it reached the centre``), though the officer saw each one ACCEPTED. They
    cannot have been made after they reached the centre: each is stored, filed at the
    import, of uncertain time (the daily report lists its kiosk), and the import exits 0.
    The import said nothing of it, where a push says so: at a site with no network the
    sync operator carrying the stick is who can have the clock set (no NTP there), and the
    report is read by others, days later. It now says how many, whose clock, what to do."""
    worker = connected_once(tmp_path / "kiosk", central, kiosk_id)
    try:
        ahead = fill_backlog(worker.store.path, 3, kiosk_id=kiosk_id,
                             start=time.time() + 2 * 86400)
        path = tmp_path / "usb" / "ahead.backlog"
        assert worker.export(path).entries == 3
    finally:
        worker.stop()
    proc = central_support.central("import", str(path), "--db", central.db)
    assert "3 entries — 3 accepted, 0 duplicate, 0 rejected" in proc.stdout
    assert (f"3 entries dated after they were imported (kiosk {kiosk_id}'s clock runs "
            "ahead): stored, filed when imported, their scan time uncertain — at the next "
            "visit, set the kiosk's clock by hand (`sudo date -s \"YYYY-MM-DD HH:MM\"`, then "
            "`sudo hwclock -w`)") in proc.stdout
    assert f"3 lượt có giờ quét muộn hơn lúc nhập (đồng hồ máy {kiosk_id} chạy nhanh)" \
        in proc.stdout
    for entry_id in ahead:
        row = central.stored_entry(entry_id)
        assert (dt.datetime.fromisoformat(row["scanned_at"])
                + dt.timedelta(seconds=row["clock_offset_seconds"])
                == dt.datetime.fromisoformat(row["received_at"]))
    assert set(ahead) <= {r[0] for r in central._query("SELECT id FROM entries_time_uncertain")}


def test_refused_entries_go_back_on_the_stick_and_the_kiosk_marks_them_refused_offline(
        central, kiosk_id, tmp_path):
    """A site with no network, its entries filed under a checkpoint id typed wrong: the
    centre refuses them on import, and nothing took that news back — the kiosk showed them
    pending (exported) for ever, and ``retry-rejected --checkpoint`` needed a network answer.
    The import now writes their ids and the centre's reasons beside the file on the stick
    (FILE.refused: nothing else of the entries); back at the kiosk, ``kiosk sync
    load-refusals`` marks them refused, ``kiosk sync status`` lists them, and
    ``retry-rejected --checkpoint`` files them under the right one: the next file's are
    taken."""
    folder = tmp_path / "kiosk"
    worker = connected_once(folder, central, kiosk_id)  # registered at CP-SYNC
    typo = fill_backlog(worker.store.path, 3, kiosk_id=kiosk_id, checkpoint_id="CP-SYNK")
    fill_backlog(worker.store.path, 2, kiosk_id=kiosk_id)
    path = tmp_path / "usb" / "ql1a.backlog"
    assert worker.export(path).entries == 5
    worker.stop()

    imported = central_support.central("import", str(path), "--db", central.db, check=False)
    assert imported.returncode == 1, imported.stderr
    answer = path.with_name("ql1a.backlog.refused")
    assert (f"the ids and reasons of the 3 refused entries are written to {answer} (with the "
            "centre's receipt for the 2 it holds): carry it back to the kiosk and run "
            f"`kiosk sync load-refusals {answer}`") in imported.stderr
    refusals = json.loads(answer.read_text(encoding="utf-8"))
    assert refusals["kiosk"] == kiosk_id
    assert [entry["id"] for entry in refusals["refused"]] == typo
    assert {entry["code"] for entry in refusals["refused"]} == {"other_checkpoint"}
    assert "Nguyễn" not in answer.read_text(encoding="utf-8")  # no name, no document

    config = folder / "config.toml"
    loaded = kiosk_cli(config, "load-refusals", str(answer))
    assert loaded.returncode == 0, loaded.stderr
    assert "Marked 3 of the 3 entries the file names" in loaded.stdout
    assert sync_states(worker.store.path) == {"rejected": 3, "acknowledged": 2}
    status = json.loads(kiosk_cli(config, "status", "--offline", "--json").stdout)
    assert status["rejected"] == 3
    assert "CP-SYNK" in status["rejected_entries"][0]["sync_error"]
    again = kiosk_cli(config, "load-refusals", str(answer))  # harmless
    assert "Marked 0 of the 3 entries" in again.stdout

    retried = kiosk_cli(config, "retry-rejected", "--checkpoint", "CP-SYNC")
    assert retried.returncode == 0, retried.stderr
    assert retried.stdout.rstrip().endswith(  # it said only push, at a site with no network
        "run `kiosk sync push`, or at a site with no network export them again (`kiosk sync "
        "export --to FILE`)"), retried.stdout
    offline = kiosk_worker(folder, kiosk_id, worker.token)
    try:
        assert offline.export(tmp_path / "usb" / "ql1a-2.backlog").entries == 3
    finally:
        offline.stop()
    second = central_support.central("import", str(tmp_path / "usb" / "ql1a-2.backlog"),
                                     "--db", central.db)
    assert "3 entries — 3 accepted, 0 duplicate, 0 rejected" in second.stdout
    assert "refused entries are written" not in second.stderr
    assert json.loads((tmp_path / "usb" / "ql1a-2.backlog.refused").read_text(
        encoding="utf-8"))["refused"] == []  # nothing refused, said for the kiosk too

    # The first answer, still on the stick, loaded again: its refusal ("filed under
    # CP-SYNK") no longer holds for entries filed under CP-SYNC since — and held at the
    # centre. It marked all 3 refused again, with that reason; it now leaves them waiting.
    stale = kiosk_cli(config, "load-refusals", str(answer))
    assert stale.returncode == 0, stale.stderr
    assert "Marked 0 of the 3 entries the file names" in stale.stdout
    assert sync_states(worker.store.path) == {"sent": 3, "acknowledged": 2}
    assert kiosk_cli(config, "load-refusals",
                     str(tmp_path / "usb" / "ql1a-2.backlog.refused")).returncode == 0
    assert sync_states(worker.store.path) == {"acknowledged": 5}


def test_the_refused_file_on_the_stick_quotes_no_value_of_the_refused_entries(
        central, kiosk_id, tmp_path):
    """The backlog file is sealed, but its ``.refused`` lies in clear beside it on a stick
    that may be lost, and an answer quoted a refused field's value (60 characters of it).
    It now carries no value of the entries at all — field names, limits, the type of what
    came — and the kiosk still words each reason in its reader's language from it."""
    folder = tmp_path / "kiosk"
    worker = connected_once(folder, central, kiosk_id)
    ids = fill_backlog(worker.store.path, 4, kiosk_id=kiosk_id)
    name, number = "Nguyễn Thị Mai Phương " * 200, "079912345678" * 400  # over 4,096
    with contextlib.closing(sqlite3.connect(worker.store.path)) as conn, conn:
        for entry, column, value in ((ids[0], "scanned_at", "05/12/2026 08:15 0912345678"),
                                     (ids[1], "monotonic_ns", -84912345678),
                                     (ids[2], "name", name),
                                     (ids[3], "document_number", number)):
            conn.execute(f"UPDATE entries SET {column} = ? WHERE id = ?", (value, entry))
    path = tmp_path / "usb" / "ql1a.backlog"
    assert worker.export(path).entries == 4
    worker.stop()

    imported = central_support.central("import", str(path), "--db", central.db, check=False)
    assert "4 entries — 0 accepted, 0 duplicate, 4 rejected" in imported.stdout
    answer = path.with_name("ql1a.backlog.refused")
    data = answer.read_bytes()
    for value in ("05/12/2026", "0912345678", "84912345678", "Nguyễn", "Phương",
                  "079912345678"):
        assert value.encode() not in data, value
        assert json.dumps(value).encode() not in data, value  # nor escaped
    refused = {item["id"]: item for item in json.loads(data)["refused"]}
    assert refused[ids[0]]["params"] == {"field": "scanned_at", "got": "string"}
    assert refused[ids[1]]["params"] == {"field": "monotonic_ns", "min": 0,
                                         "max": "2^63-1", "got": "number"}
    assert refused[ids[2]]["params"] == {"field": "name", "limit": 4096}
    assert refused[ids[3]]["reason"] == "document_number: longer than 4096 characters"

    config = folder / "config.toml"
    assert kiosk_cli(config, "load-refusals", str(answer)).returncode == 0
    for language, said in (("en", "scanned_at: expected UTC time like "
                                  "2024-05-01T08:30:00.000000Z, got a string"),
                           ("vi", "scanned_at: cần giờ UTC dạng 2024-05-01T08:30:00.000000Z, "
                                  "nhận được một chuỗi")):
        text = config.read_text(encoding="utf-8")
        config.write_text(re.sub(r'language = "\w+"', f'language = "{language}"', text),
                          encoding="utf-8")
        status = kiosk_cli(config, "status", "--offline")
        assert status.returncode == 0, status.stderr
        assert f"✗ {ids[0]}" in status.stdout and said in status.stdout, status.stdout
    listed = json.loads(kiosk_cli(config, "status", "--offline", "--json").stdout)
    assert {entry["sync_error_code"] for entry in listed["rejected_entries"]} == {
        "refusal.not_utc_time", "refusal.not_integer", "refusal.too_long"}


def test_an_import_refusing_nothing_replaces_the_refused_file_an_earlier_one_left(
        central, kiosk_id, tmp_path):
    """The stick's backlog refused for a checkpoint typed wrong, its ``.refused`` loaded and
    the entries retried; the next export goes to the same name and is imported with nothing
    refused. That import wrote no ``.refused``, so the first one stayed beside the file, and
    loading it marked 3 entries refused that the centre holds. The latest import's answer is
    always written: here, that none was refused."""
    folder = tmp_path / "kiosk"
    worker = connected_once(folder, central, kiosk_id)
    typo = fill_backlog(worker.store.path, 3, kiosk_id=kiosk_id, checkpoint_id="CP-SYNK")
    path = tmp_path / "usb" / "ql1a.backlog"
    assert worker.export(path).entries == 3
    worker.stop()
    central_support.central("import", str(path), "--db", central.db, check=False)
    answer = path.with_name("ql1a.backlog.refused")
    config = folder / "config.toml"
    assert kiosk_cli(config, "load-refusals", str(answer)).returncode == 0
    assert kiosk_cli(config, "retry-rejected", "--checkpoint", "CP-SYNC").returncode == 0
    path.unlink()  # the stick's old backlog replaced by today's, under the same name
    offline = kiosk_worker(folder, kiosk_id, worker.token)
    try:
        assert offline.export(path).entries == 3
    finally:
        offline.stop()

    second = central_support.central("import", str(path), "--db", central.db)
    assert "3 entries — 3 accepted, 0 duplicate, 0 rejected" in second.stdout
    assert sorted(central.stored_ids(kiosk_id)) == sorted(typo)
    assert json.loads(answer.read_text(encoding="utf-8"))["refused"] == []
    loaded = kiosk_cli(config, "load-refusals", str(answer))
    assert loaded.returncode == 0, loaded.stderr
    assert sync_states(folder / "kiosk.db") == {"acknowledged": 3}  # none marked refused


def test_a_refusals_file_that_is_not_one_changes_nothing(central, kiosk_id, tmp_path):
    folder = tmp_path / "kiosk"
    connected_once(folder, central, kiosk_id).stop()
    fill_backlog(folder / "kiosk.db", 2, kiosk_id=kiosk_id)
    forged = tmp_path / "usb" / "x.refused"
    forged.write_text('{"format": "something else"}', encoding="utf-8")
    refused = kiosk_cli(folder / "config.toml", "load-refusals", str(forged))
    assert refused.returncode == 1
    assert (f"{forged} is not a refusals file `kiosk-central import` wrote (or is too "
            "large); nothing changed") in refused.stderr
    assert sync_states(folder / "kiosk.db") == {"pending": 2}


def test_a_refusals_file_of_an_older_centre_is_said_to_be_so(central, kiosk_id, tmp_path):
    """A centre not yet upgraded writes version 1 (no binding to the backlog file): not
    taken, but named for what it is, with the way to a file the kiosk can load."""
    folder = tmp_path / "kiosk"
    connected_once(folder, central, kiosk_id).stop()
    ids = fill_backlog(folder / "kiosk.db", 2, kiosk_id=kiosk_id)
    old = tmp_path / "usb" / "ql1a.backlog.refused"
    old.parent.mkdir(parents=True, exist_ok=True)
    old.write_text(json.dumps({
        "format": "checkpoint-kiosk-refusals", "version": 1, "kiosk": kiosk_id,
        "entries_sha256": "ab", "refused": [
            {"id": ids[0], "reason": "bad", "code": None, "params": None}]}),
        encoding="utf-8")
    refused = kiosk_cli(folder / "config.toml", "load-refusals", str(old))
    assert refused.returncode == 1
    assert (f"{old} is a refusals file of an older format (version 1), written by a centre "
            "not yet upgraded; nothing changed. Import the backlog file again at an "
            "upgraded centre for a new one") in refused.stderr
    assert sync_states(folder / "kiosk.db") == {"pending": 2}


def refused_on_import(central, folder: Path, kiosk_id: str, stick: Path
                      ) -> tuple[SyncWorker, list[str], Path]:
    """A kiosk that exported 3 entries filed under a checkpoint typed wrong and 2 right
    ones to ``stick``, imported at the centre: (its worker, offline; the 3 ids; the
    ``.refused`` the import wrote)."""
    worker = connected_once(folder, central, kiosk_id)
    typo = fill_backlog(worker.store.path, 3, kiosk_id=kiosk_id, checkpoint_id="CP-SYNK")
    fill_backlog(worker.store.path, 2, kiosk_id=kiosk_id)
    assert worker.export(stick).entries == 5
    central_support.central("import", str(stick), "--db", central.db, check=False)
    return worker, typo, stick.with_name(stick.name + ".refused")


def test_a_refusals_file_of_another_kiosks_backlog_file_is_refused(central, kiosk_id, tmp_path):
    """Two kiosks' sticks at one centre, their ``.refused`` files swapped on the way back:
    the one that answers the other kiosk's file is refused by name, nothing changed; the
    kiosk's own is taken."""
    ours, _, own = refused_on_import(central, tmp_path / "kiosk", kiosk_id,
                                     tmp_path / "usb" / "ours.backlog")
    ours.stop()
    other = f"{kiosk_id}-b"
    theirs, _, foreign = refused_on_import(central, tmp_path / "other", other,
                                           tmp_path / "usb" / "theirs.backlog")
    theirs.stop()
    config = tmp_path / "kiosk" / "config.toml"
    refused = kiosk_cli(config, "load-refusals", str(foreign))
    assert refused.returncode == 1
    assert (f"{foreign} answers a backlog file this kiosk did not export (another kiosk's, "
            f"{other}, or an export this kiosk's store holds no record of); nothing "
            "changed") in refused.stderr
    assert sync_states(ours.store.path) == {"sent": 5}
    assert kiosk_cli(config, "load-refusals", str(own)).returncode == 0
    assert sync_states(ours.store.path) == {"rejected": 3, "acknowledged": 2}


@pytest.mark.parametrize("forgery", ["entries added", "another kiosk named"])
def test_a_refusals_file_altered_on_the_stick_is_refused_whole(
        central, kiosk_id, tmp_path, forgery):
    """``FILE.refused`` is in clear on the stick, and the centre holds no signing key; but
    it carries an HMAC keyed with the SHA-256 of the backlog file's entries, which only the
    kiosk and the centre know (it is sealed in the file). Entries added to it — those the
    centre took, or another kiosk's ids with that kiosk named — make it refused whole, as
    altered: nothing is marked."""
    worker, typo, answer = refused_on_import(central, tmp_path / "kiosk", kiosk_id,
                                             tmp_path / "usb" / "ql1a.backlog")
    worker.stop()
    document = json.loads(answer.read_text(encoding="utf-8"))
    taken = sorted(set(backlog_ids(worker.store.path)) - set(typo))
    item = document["refused"][0]
    if forgery == "entries added":
        document["refused"] += [{**item, "id": entry} for entry in taken]
    else:
        document["kiosk"] = f"{kiosk_id}-b"
    answer.write_text(json.dumps(document), encoding="utf-8")
    loaded = kiosk_cli(tmp_path / "kiosk" / "config.toml", "load-refusals", str(answer))
    assert loaded.returncode == 1
    assert (f"{answer} was altered after the centre wrote it, or not written by the centre "
            "for this kiosk's file; nothing changed") in loaded.stderr
    assert sync_states(worker.store.path) == {"sent": 5}


def test_a_genuine_refusals_file_never_marks_an_entry_the_centre_acknowledged(
        central, kiosk_id, tmp_path):
    """Loading only ever marks entries still waiting refused: entries acknowledged since
    (here over the network, a later answer) stay delivered, whatever the file says."""
    worker, typo, answer = refused_on_import(central, tmp_path / "kiosk", kiosk_id,
                                             tmp_path / "usb" / "ql1a.backlog")
    worker.stop()
    store = Store(worker.store.path)
    try:
        store.mark_synced(typo[:2], {})  # as an answer that acknowledged them
    finally:
        store.close()
    loaded = kiosk_cli(tmp_path / "kiosk" / "config.toml", "load-refusals", str(answer))
    assert loaded.returncode == 0, loaded.stderr
    assert "Marked 1 of the 3 entries the file names" in loaded.stdout
    assert sync_states(worker.store.path) == {"acknowledged": 4, "rejected": 1}


def backlog_ids(store_path: Path) -> list[str]:
    with contextlib.closing(sqlite3.connect(store_path)) as conn:
        return [row[0] for row in conn.execute("SELECT id FROM entries ORDER BY id")]


@pytest.mark.parametrize("params", [{"field": "name", "got": []},
                                    {"field": "name", "got": {"a": 1}}])
def test_a_refusals_file_with_a_list_or_object_in_its_params_is_not_one(
        central, kiosk_id, tmp_path, params):
    """A centre's params are JSON scalars (``allowed``: a list of them). A forged file with a
    list or object as ``got`` ended ``load-refusals`` in a traceback (unhashable type); it is
    now said not to be a refusals file, nothing changed — and the wording of such params,
    should they come in an upload's answer, quotes them rather than failing."""
    from kiosk.messages import refusal

    folder = tmp_path / "kiosk"
    connected_once(folder, central, kiosk_id).stop()
    ids = fill_backlog(folder / "kiosk.db", 2, kiosk_id=kiosk_id)
    forged = tmp_path / "usb" / "x.refused"
    forged.parent.mkdir(parents=True, exist_ok=True)
    forged.write_text(json.dumps({
        "format": "checkpoint-kiosk-refusals", "version": 2, "kiosk": kiosk_id,
        "answers": "", "mac": "", "refused": [{"id": ids[0], "reason": "x",
                                               "code": "not_string", "params": params}]}),
        encoding="utf-8")
    loaded = kiosk_cli(folder / "config.toml", "load-refusals", str(forged))
    assert "Traceback" not in loaded.stderr
    assert loaded.returncode == 1
    assert f"{forged} is not a refusals file `kiosk-central import` wrote" in loaded.stderr
    assert sync_states(folder / "kiosk.db") == {"pending": 2}
    assert refusal("not_string", params)("en").startswith("name: expected a string, got ")


def test_files_named_in_latin1_on_a_stick_are_read_and_named_with_those_bytes_escaped(
        central, exported, kiosk_id):
    """A FAT stick mounted as Latin-1 (or a name made on Windows) holds names that are not
    UTF-8: ``kiosk-central import /media/usb/*`` reads each file as the system names it — the
    good ones imported, not the whole command refused for one name — and shows such a name,
    on the screen and in the audit log, with its odd bytes as ``\\xNN``."""
    _, ids, path = exported
    genuine = path.rename(path.parent / os.fsdecode(b"sao l\xfau.backlog"))
    (path.parent / os.fsdecode(b"h\xf4ng.ckb")).write_bytes(b"not a backlog")
    central.revoke(kiosk_id)  # an audited import: the file's name is in its record
    proc = central_support.central(
        "import", "--allow-revoked", "--reason", "máy bị mất 12/3", "--db", central.db,
        *sorted(str(p) for p in path.parent.iterdir()), check=False)  # the shell's glob
    assert proc.returncode == 1, proc.stderr  # one file refused
    assert f"{path.parent}/sao l\\xfau.backlog: kiosk {kiosk_id}, 700 entries — 700 " \
        "accepted" in proc.stdout
    assert f"REFUSED {path.parent}/h\\xf4ng.ckb: " in proc.stderr
    assert "not a kiosk backlog file" in proc.stderr
    assert sorted(central.stored_ids(kiosk_id)) == ids and genuine.exists()
    audit = json.loads(central_support.central("audit", "list", "--db", central.db,
                                               "--kind", "revoked-import", "--json").stdout)
    assert any(r["subject"].startswith(f"sao l\\xfau.backlog: kiosk {kiosk_id} ") for r in audit)


def test_an_import_meeting_another_programs_write_lock_says_so_in_words(central, exported):
    """Another process holds the centre's SQLite write lock (a ``sqlite3 central.db`` left in
    a transaction) past the busy timeout: the import stops, stores nothing, and says the
    store is locked by another program in Vietnamese and English, exit 3. SQLite's own
    English ("database is locked") is only in the log that ``-v`` shows (it was the
    reason on the line: 'bộ lưu trữ đang bận: database is locked')."""
    _, _, path = exported
    with central_support.write_lock_held_by_another_process(central.db_path):
        proc = central_support.central("-v", "import", str(path), "--db", central.db,
                                       check=False)
    assert proc.returncode == 3, proc.stderr
    said = [line for line in proc.stderr.splitlines() if "bộ lưu trữ đang bận" in line]
    assert len(said) == 1, proc.stderr
    assert "một chương trình khác đang khoá kho dữ liệu" in said[0]
    assert "storage busy: another program holds the store locked" in said[0]
    assert "database is locked" not in said[0]
    logged = [line for line in proc.stderr.splitlines() if " INFO " in line]
    assert any("database is locked" in line for line in logged), proc.stderr


def test_an_import_stopped_by_a_storage_error_names_the_files_it_did_not_import(
        central, exported):
    """A store that fails one file (full disk, lost server) would most likely fail the next
    too, so ``import /media/usb/*.backlog`` stops at the storage error (exit 3) and names
    each file after it, to be imported once it is fixed. A trigger refusing every new entry
    stands in for the failing store: SQLite's own error, through the real command."""
    _, _, path = exported
    rest = [path.with_name("ql1b.backlog"), path.with_name("ql1c.backlog")]
    for copy in rest:
        copy.write_bytes(path.read_bytes())
    with contextlib.closing(sqlite3.connect(central.db_path)) as conn:
        with conn:
            conn.execute("CREATE TRIGGER failing BEFORE INSERT ON entries "
                         "BEGIN SELECT RAISE(ABORT, 'the store fails'); END")
        try:
            proc = central_support.central("import", str(path), *map(str, rest),
                                           "--db", central.db, check=False)
        finally:
            with conn:  # the centre is the module's
                conn.execute("DROP TRIGGER failing")
    assert proc.returncode == 3, proc.stderr
    assert f"storage error while importing {path}:" in proc.stderr
    assert proc.stderr.endswith(
        "đã dừng ở lỗi lưu trữ đó: 2 tệp sau chưa được nhập, nhập lại sau khi sửa lỗi / "
        "stopped at that storage error: the 2 file(s) after it were not imported, import "
        f"them once it is fixed\n  {rest[0]}\n  {rest[1]}\n"), proc.stderr


def test_an_import_cut_short_by_the_store_still_tells_the_kiosk_what_it_refused_before(
        central, kiosk_id, tmp_path):
    """The store failed part-way through a file: the batches answered before the failure
    had entries refused, yet no ``.refused`` was written, so the kiosk never learnt of them
    until the store was fixed and the file imported again. The answers before the stop are
    now written, the file said to be only part; loading it marks those entries refused,
    says the import was cut short, and marks nothing else: the rest stay waiting."""
    folder = tmp_path / "kiosk"
    worker = connected_once(folder, central, kiosk_id)
    typo = fill_backlog(worker.store.path, 3, kiosk_id=kiosk_id, checkpoint_id="CP-SYNK",
                        start=time.time() - 100)
    fill_backlog(worker.store.path, 4, kiosk_id=kiosk_id, start=time.time() - 50)
    path = tmp_path / "usb" / "ql1a.backlog"
    assert worker.export(path).entries == 7
    worker.stop()
    with contextlib.closing(sqlite3.connect(central.db_path)) as conn:
        with conn:
            conn.execute("CREATE TRIGGER failing BEFORE INSERT ON entries "
                         "BEGIN SELECT RAISE(ABORT, 'the store fails'); END")
        try:  # the first batch is the 3 refused entries; the second meets the failing store
            proc = central_support.central("import", "--batch-size", "3", str(path),
                                           "--db", central.db, check=False)
        finally:
            with conn:
                conn.execute("DROP TRIGGER failing")
    assert proc.returncode == 3, proc.stderr
    assert f"storage error while importing {path}:" in proc.stderr
    answer = path.with_name("ql1a.backlog.refused")
    assert (f"the ids and reasons of the 3 refused entries are written to {answer}"
            in proc.stderr)
    document = json.loads(answer.read_text(encoding="utf-8"))
    assert (document["complete"], [item["id"] for item in document["refused"]]) == (False, typo)

    loaded = kiosk_cli(folder / "config.toml", "load-refusals", str(answer))
    assert loaded.returncode == 0, loaded.stderr
    assert "Marked 3 of the 3 entries the file names" in loaded.stdout
    assert ("The centre's import of that file stopped part-way: the file names only the "
            "entries answered before the stop; those the centre did not answer stay waiting "
            "here. Import the file at the centre again to learn the rest") in loaded.stdout
    assert sync_states(folder / "kiosk.db") == {"rejected": 3, "sent": 4}


def test_a_reimport_cut_short_keeps_the_complete_answer_an_earlier_import_wrote(
        central, kiosk_id, tmp_path):
    """The file imported whole, its 3 refused entries written for the kiosk; imported
    again (the stick kept, the officer unsure) with the store failing at the first batch:
    that import answered nothing, and its empty part replaced the full answer, so the
    kiosk never learnt of the 3. The complete answer to the same file is kept."""
    folder = tmp_path / "kiosk"
    worker, typo, answer = refused_on_import(central, folder, kiosk_id,
                                             tmp_path / "usb" / "ql1a.backlog")
    worker.stop()
    first = answer.read_bytes()
    assert json.loads(first)["complete"] is True
    with contextlib.closing(sqlite3.connect(central.db_path)) as conn:
        with conn:
            conn.execute("CREATE TRIGGER failing BEFORE INSERT ON batches "  # the batch log
                         "BEGIN SELECT RAISE(ABORT, 'the store fails'); END")
        try:
            again = central_support.central("import", str(answer.with_suffix("")),
                                            "--db", central.db, check=False)
        finally:
            with conn:
                conn.execute("DROP TRIGGER failing")
    assert again.returncode == 3, again.stderr
    assert (f"{answer} kept: it answers this file in full from an earlier import; this "
            "import stopped part-way, so does not replace it") in again.stderr
    assert answer.read_bytes() == first
    loaded = kiosk_cli(folder / "config.toml", "load-refusals", str(answer))
    assert "Marked 3 of the 3 entries the file names" in loaded.stdout
    assert sync_states(folder / "kiosk.db")["rejected"] == len(typo)


def test_a_file_changed_while_read_still_tells_the_kiosk_what_was_refused_before(
        central, kiosk_id, tmp_path, monkeypatch, capsys):
    """The stick's file changed on disk after its first batches were answered (a flaky
    stick, another program): the import is refused from there on, and the entries refused
    in those first batches are written for the kiosk all the same, as only part."""
    from kiosk.central.importer import report_cut_short, write_refusals

    folder = tmp_path / "kiosk"
    worker = connected_once(folder, central, kiosk_id)
    typo = fill_backlog(worker.store.path, 100, kiosk_id=kiosk_id, checkpoint_id="CP-SYNK",
                        start=time.time() - 1000)
    fill_backlog(worker.store.path, 600, kiosk_id=kiosk_id, start=time.time() - 500)
    monkeypatch.setattr(backlog, "PART_BYTES", 16 * 1024)  # several parts from 700 entries
    path = tmp_path / "usb" / "ql1a.backlog"
    worker.export(path)
    worker.stop()
    header, parts = _parts(path)
    last_entries = len(header) + sum(map(len, parts[:-2])) + 20

    def change_the_last_entries_once(done: int, total: int) -> None:
        if done == 100:  # the refused batch is answered; the reader is on its first part
            data = bytearray(path.read_bytes())
            data[last_entries] ^= 0x01
            path.write_bytes(bytes(data))

    result = importing(central, path, batch_size=100, progress=change_the_last_entries_once)
    assert result.error is not None and "changed" in result.error, result.error
    report_cut_short(result)
    write_refusals(result, None)
    said = capsys.readouterr().err
    assert "the file changed while it was read" in said
    answer = path.with_name("ql1a.backlog.refused")
    assert f"the ids and reasons of the 100 refused entries are written to {answer}" in said
    loaded = kiosk_cli(folder / "config.toml", "load-refusals", str(answer))
    assert "Marked 100 of the 100 entries the file names" in loaded.stdout
    assert "The centre's import of that file stopped part-way" in loaded.stdout
    states = sync_states(folder / "kiosk.db")
    assert states["rejected"] == len(typo)  # and those stored before the stop, acknowledged:
    assert states.get("acknowledged", 0) == len(central.stored_ids(kiosk_id)) == result.accepted
    assert states["sent"] == 700 - len(typo) - result.accepted  # the rest stay waiting


@pytest.mark.parametrize("ephemeral", [bytes(32), (1).to_bytes(32, "little")],
                         ids=["zero", "one"])
def test_a_file_sealed_with_a_low_order_key_is_refused_and_the_next_file_still_imported(
        central, exported, tmp_path, ephemeral):
    """Anyone can write a file whose ephemeral key is a low-order point (no shared secret
    comes of it): the centre's public key is in clear in every file. The command refuses
    it by name and goes on to the genuine file after it."""
    worker, ids, genuine = exported
    header, parts = _parts(genuine)
    crafted = tmp_path / "low.backlog"
    crafted.write_bytes(backlog.MAGIC + ephemeral + header[len(backlog.MAGIC) + 32:]
                        + b"".join(parts))
    proc = central_support.central("import", str(crafted), str(genuine), "--db", central.db,
                                   check=False)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 1
    assert f"TỪ CHỐI / REFUSED {crafted}: khoá mã hoá ghi ở đầu tệp" in proc.stderr
    assert "the file's encryption key cannot be used — the file was altered or crafted" \
        in proc.stderr
    assert "nothing from this file was stored" in proc.stderr
    assert "700 entries — 700 accepted" in proc.stdout
    assert sorted(central.stored_ids(worker.kiosk_id)) == ids


def test_a_file_from_a_kiosk_the_centre_does_not_know_is_refused(central, tmp_path):
    path = tmp_path / "b.backlog"
    _forge(path, central, kiosk_id="never-enrolled", signing_key=Ed25519PrivateKey.generate())
    result = importing(central, path)
    assert "kiosk never-enrolled is not enrolled at this centre" in result.error


# -- revoked kiosks -----------------------------------------------------------------------
def test_a_revoked_kiosks_file_is_refused_unless_an_administrator_gives_a_reason(
        central, exported, kiosk_id):
    """A stolen kiosk cannot bring its entries in on a USB stick instead; entries it took
    before it was stolen can be, on an administrator's audited word."""
    _, ids, path = exported
    central.revoke(kiosk_id)
    refused = central_support.central("import", str(path), "--db", central.db, check=False)
    assert refused.returncode == 1
    assert f"kiosk {kiosk_id} was revoked at " in refused.stderr
    assert "--allow-revoked" in refused.stderr
    assert central.stored_ids(kiosk_id) == []

    no_reason = central_support.central("import", "--allow-revoked", str(path), "--db",
                                        central.db, check=False)
    assert no_reason.returncode == 2 and "reason: required" in no_reason.stderr
    assert central.stored_ids(kiosk_id) == []

    allowed = central_support.central(
        "import", "--allow-revoked", "--reason", "máy bị mất 12/3, dữ liệu trước đó",
        str(path), "--db", central.db)
    assert "700 accepted" in allowed.stdout
    assert sorted(central.stored_ids(kiosk_id)) == ids
    audit = [record for record in json.loads(central_support.central(
        "audit", "list", "--db", central.db, "--kind", "revoked-import", "--json").stdout)
        if kiosk_id in record["subject"]]  # the centre is the module's: other tests' kiosks
    assert len(audit) == 1
    assert audit[0]["reason"] == "máy bị mất 12/3, dữ liệu trước đó"
    assert kiosk_id in audit[0]["subject"] and "700 entries" in audit[0]["subject"]
    assert audit[0]["actor"]


def made_at(entry_id: str, moment: dt.datetime) -> str:
    """``entry_id`` as a kiosk whose clock read ``moment`` would have made it (UUIDv7)."""
    hex_ms = f"{int(moment.timestamp() * 1000):012x}"
    return f"{hex_ms[:8]}-{hex_ms[8:]}{entry_id[13:]}"


def test_an_allowed_import_of_a_revoked_kiosks_file_refuses_what_was_taken_after_revocation(
        central, kiosk_id, tmp_path):
    """The laptop is stolen and the kiosk revoked; the thief scans 5 more and exports the
    lot. Imported with --allow-revoked for the entries taken before the theft, the 25 before
    are stored; the 5 whose id (the kiosk's clock at the scan) or scanned_at is at or after
    the revocation are refused with their own words and counted, and the audit log says so.
    The signing key went with the laptop: a thief who set its clock back gets entries
    through that no file can tell from genuine ones."""
    worker = connected_once(tmp_path / "kiosk", central, kiosk_id)
    before = fill_backlog(worker.store.path, 25, kiosk_id=kiosk_id)
    central.revoke(kiosk_id)
    with open_storage(central.db) as storage:
        revoked_at = storage.kiosk(kiosk_id).revoked_at
    revoked = dt.datetime.fromisoformat(revoked_at)
    after = fill_backlog(worker.store.path, 5, kiosk_id=kiosk_id, start=time.time())
    backdated = made_at(after[1], revoked - dt.timedelta(hours=2))
    store = Store(worker.store.path)
    try:
        with store.transaction() as conn:
            conn.execute("UPDATE entries SET scanned_at = ? WHERE id = ?",  # id before, time not
                         (protocol.format_time(revoked), before[3]))
            conn.execute("UPDATE entries SET scanned_at = ? WHERE id = ?",  # time before, id not
                         (protocol.format_time(revoked - dt.timedelta(hours=1)), after[0]))
            conn.execute("UPDATE entries SET id = ?, scanned_at = ? WHERE id = ?",  # both set back
                         (backdated, protocol.format_time(revoked - dt.timedelta(hours=2)),
                          after[1]))
    finally:
        store.close()
    path = tmp_path / "usb" / "stolen.backlog"
    assert worker.export(path).entries == 30
    worker.stop()

    allowed = central_support.central(
        "import", "--allow-revoked", "--reason", "stolen laptop, entries before theft",
        str(path), "--db", central.db, check=False)
    assert allowed.returncode == 1, allowed.stderr  # not all of the file is at the centre
    assert "5 entries of this file were refused" in allowed.stderr
    assert (f"30 entries — 25 accepted, 0 duplicate, 0 rejected, 5 refused: taken at or "
            f"after the kiosk's revocation ({revoked_at})") in allowed.stdout
    assert f"5 bị từ chối vì ghi từ lúc trạm bị thu hồi ({revoked_at})" in allowed.stdout
    answers = json.loads(path.with_name("stolen.backlog.refused").read_text(
        encoding="utf-8"))["refused"]  # the kiosk learns which 5 too
    assert sorted(a["id"] for a in answers) == sorted([before[3], after[0], *after[2:]])
    assert {a["code"] for a in answers} == {"after_revocation"}
    assert answers[0]["reason"] == (f"taken at or after the kiosk's revocation ({revoked_at}): "
                                    "not stored at the centre")
    assert sorted(central.stored_ids(kiosk_id)) == sorted(
        [i for i in before if i != before[3]] + [backdated])
    audit = json.loads(central_support.central("audit", "list", "--db", central.db,
                                               "--kind", "revoked-import", "--json").stdout)
    mine = [r for r in audit if kiosk_id in r["subject"]]
    assert len(mine) == 1 and mine[0]["reason"] == "stolen laptop, entries before theft"
    assert f"entries taken at or after {revoked_at} (id or scanned_at) refused" \
        in mine[0]["subject"]


def test_a_forged_file_of_a_revoked_kiosk_is_refused_even_when_allowed(
        central, exported, kiosk_id, tmp_path):
    """--allow-revoked lifts the revocation, not the signature check; nothing is audited."""
    central.revoke(kiosk_id)
    forged = tmp_path / "forged.backlog"
    _forge(forged, central, kiosk_id=kiosk_id, signing_key=Ed25519PrivateKey.generate())
    result = importing(central, forged, allow_revoked="a reason", actor="tester@host")
    assert "does not match" in result.error
    assert central.stored_ids(kiosk_id) == []


# -- the kiosk's side ---------------------------------------------------------------------
def test_entries_of_an_earlier_kiosk_id_hold_back_no_new_one_and_reach_the_centre_in_a_file(
        central, kiosk_id, tmp_path):
    """A kiosk revoked while offline and enrolled again under a new id (the same machine,
    keys and store): the centre refuses a batch holding the old id's entries whole (403), so
    sending them first held back every later scan for ever. Now each token sends its own
    kiosk's entries; the old id's wait, named with their way to the centre, and go in a
    file of that kiosk's, signed by the key it registered."""
    old = f"{kiosk_id}-old"
    folder = tmp_path / "kiosk"
    connected_once(folder, central, old).stop()  # registered this machine's signing key
    before = fill_backlog(folder / "kiosk.db", 3, kiosk_id=old)
    central.revoke(old)
    worker = kiosk_worker(folder, kiosk_id, central.enrol(kiosk_id), central.url)
    after = fill_backlog(worker.store.path, 2, kiosk_id=kiosk_id)
    try:
        assert worker.push_now().error is None
        assert sorted(central.stored_ids(kiosk_id)) == after
        assert sync_states(worker.store.path) == {"pending": 3, "acknowledged": 2}
        assert worker.state().elsewhere == ((old, 3),)

        nothing_of_ours = worker.export(tmp_path / "ours.backlog")
        assert nothing_of_ours.entries == 0
        summary = worker.export(tmp_path / "old.backlog", kiosk_id=old)
        assert (summary.entries, summary.first_id, summary.last_id) == (3, before[0], before[-1])
        # the centre holds this machine's key for the old id: the kiosk cannot know, and
        # says so instead of that the centre will refuse the file (it takes it, below)
        assert summary.note is not None and summary.note("en") == (
            f"Note: whether the centre holds this machine's signing key for kiosk {old} is "
            f"not known here (this kiosk connects as {kiosk_id}): if the centre refuses the "
            f"file for its key, an administrator runs `kiosk-central kiosks signing-key {old} "
            f"--set={worker.keys.public_signing_key()} --reason …` (key in "
            f"{worker.keys.signing_key_path})")
        with BacklogReader(tmp_path / "old.backlog", centre_key(central)) as reader:
            assert reader.manifest.kiosk_id == old
    finally:
        worker.stop()
    assert sync_states(worker.store.path) == {"sent": 3, "acknowledged": 2}  # until confirmed
    assert "revoked" in importing(central, tmp_path / "old.backlog").error
    allowed = importing(central, tmp_path / "old.backlog", allow_revoked="re-enrolled as new id",
                        actor="tester@host")
    assert (allowed.error, allowed.accepted) == (None, 3)
    assert sorted(central.stored_ids(old)) == before


def test_a_kiosk_that_never_reached_the_centre_writes_no_unencrypted_file(tmp_path):
    worker = kiosk_worker(tmp_path, "k-offline", "some-token")
    fill_backlog(worker.store.path, 3, kiosk_id="k-offline")
    with pytest.raises(BacklogError, match="encryption key is not known yet"):
        worker.export(tmp_path / "b.backlog")
    worker.stop()
    assert not (tmp_path / "b.backlog").exists()
    assert sync_states(tmp_path / "kiosk.db") == {"pending": 3}


class CentreBeforeKeyExchange(JsonAnswering):
    """A centre of a release before the backlog key exchange: that path is not found."""

    def do_POST(self) -> None:
        self._answer({"detail": "Not Found"}, status=404)


def test_a_kiosk_upgraded_before_its_centre_says_to_upgrade_the_centre_first(tmp_path):
    """During a rollout an upgraded kiosk whose centre is still the old release cannot
    learn the centre's key (404): the export says to upgrade the centre first, in both
    languages, and so does the sync status; nothing is written, every entry stays pending."""
    with serving(CentreBeforeKeyExchange) as url:
        worker = kiosk_worker(tmp_path, "k-rollout", "some-token", url)
        fill_backlog(worker.store.path, 3, kiosk_id="k-rollout")
        try:
            with pytest.raises(BacklogError) as refused:
                worker.export(tmp_path / "b.backlog")
        finally:
            worker.stop()
    assert refused.value.words("en") == (
        f"The centre {url} runs an older version without the key exchange (it answered 404): "
        "upgrade the centre first, then connect again (`kiosk sync push`) to export a file; "
        "the entries stay on the kiosk")
    assert refused.value.words("vi").startswith(
        f"Trung tâm {url} chạy phiên bản cũ, chưa trao đổi khoá mã hoá (trả lời 404): nâng "
        "cấp trung tâm trước")
    with contextlib.closing(Store(tmp_path / "kiosk.db")) as store:
        assert saved_keys_alert(store).code == "backlog.centre_too_old"
    assert not (tmp_path / "b.backlog").exists()
    assert sync_states(tmp_path / "kiosk.db") == {"pending": 3}


def test_entries_are_handed_out_only_after_the_whole_file_was_verified(central, exported):
    worker, ids, path = exported
    with BacklogReader(path, centre_key(central)) as reader:
        with pytest.raises(RuntimeError, match="before the file was verified"):
            next(reader.batches())
        reader.verify(worker.keys.signing_key().public_key())
        assert [e.id for batch in reader.batches(300) for e in batch] == ids


def test_a_valid_file_is_parsed_once_straight_into_wire_entries(central, exported, monkeypatch):
    """Verification decodes only each line's id and kiosk; the import's pass parses each
    batch straight into :class:`protocol.Entry`, as the centre parses an upload's. Before,
    every line was parsed twice into Python objects (once to verify, once to store), then
    converted: the most of a million-entry import's CPU (docs/benchmarks.md)."""
    worker, ids, path = exported
    parsed: list[bytes] = []
    parse = json.loads
    with BacklogReader(path, centre_key(central)) as reader:  # its manifest read
        monkeypatch.setattr(json, "loads",
                            lambda text, **kw: parsed.append(text) or parse(text, **kw))
        reader.verify(worker.keys.signing_key().public_key())
        batches = list(reader.batches(300))
    assert parsed == []
    assert [len(batch) for batch in batches] == [300, 300, 100]
    assert {type(entry).__mro__[1] for batch in batches for entry in batch} == {protocol.Entry}
    assert [entry.id for batch in batches for entry in batch] == ids
    monkeypatch.undo()
    result = importing(central, path)
    assert (result.accepted, result.error) == (700, None)
    assert len(result.held) == 700
    assert result.held.canonical() == json.dumps(ids, separators=(",", ":")).encode()


class _LineBytes(str):
    """An entry line whose bytes are given, not its text's UTF-8: what only a writer other
    than the kiosk's own could put in a file, signed with the kiosk's key."""

    line: bytes

    def encode(self, *_: object) -> bytes:  # type: ignore[override]
        return self.line


def _file_of_lines(path: Path, worker: SyncWorker, central,
                   lines: dict[int, Callable[[str], bytes]], monkeypatch, count: int = 50
                   ) -> list[str]:
    """A file of ``count`` genuine entries signed by ``worker``'s kiosk, but for the lines
    of ``lines`` (by position: the bytes made of the line's text); the ids."""
    rows = list(backlog_rows(count, kiosk_id=worker.kiosk_id))
    dumps = json.dumps
    written = iter(range(count))

    def line(obj: object, **options: object) -> str:
        text = dumps(obj, **options)
        number = next(written, None)  # then the manifest
        if number not in lines:
            return text
        given = _LineBytes(text)
        given.line = lines[number](text)
        assert given.line != text.encode()
        return given

    monkeypatch.setattr(backlog, "json", type("Json", (), {"dumps": staticmethod(line)}))
    backlog.write_backlog(path, rows, signing_key=worker.keys.signing_key(),
                          centre_key=centre_key(central).public_key(),
                          kiosk_id=worker.kiosk_id, checkpoint_id="CP-SYNC")
    monkeypatch.undo()
    return [row["id"] for row in rows]


def test_a_line_json_reads_but_the_fast_parse_does_not_is_judged_as_before(
        central, exported, tmp_path, monkeypatch):
    """A line only Python's JSON reads (a NaN, which no kiosk writes) passes verification as
    it did, and its batch is parsed as plain JSON for the ingest to judge each entry and
    word its refusal, as an upload's batch is: the others are stored."""
    worker, _, _ = exported
    path = tmp_path / "usb" / "nan.backlog"
    ids = _file_of_lines(path, worker, central, monkeypatch=monkeypatch, lines={
        7: lambda text: text.replace('"extra":{', '"extra":{"reading":NaN,').encode()})
    result = importing(central, path, batch_size=20)
    assert result.error is None
    assert (result.accepted, result.rejected) == (49, 1)
    assert [(answer["id"], answer["params"]["field"]) for answer in result.refused] == [
        (ids[7], "extra")]
    assert set(central.stored_ids(worker.kiosk_id)) >= set(ids) - {ids[7]}


def test_a_line_not_utf8_is_refused_whole_before_anything_is_stored(
        central, exported, tmp_path, monkeypatch):
    """Verification decodes only a line's id and kiosk, and the fast decoder passes over
    the bytes of a text it skips: a line whose other text is not UTF-8 (a key holder's
    crafted file) must still refuse the file whole, as before, not after its first batches
    were stored."""
    worker, _, _ = exported
    path = tmp_path / "usb" / "latin1.backlog"
    _file_of_lines(path, worker, central, monkeypatch=monkeypatch, lines={
        45: lambda text: text.encode().replace(b'"operator":""', b'"operator":"Nguy\xe9n"')})
    result = importing(central, path, batch_size=20)
    assert result.error is not None and "differs from what was signed" in result.error
    assert result.answered == 0
    assert central.stored_ids(worker.kiosk_id) == []


# -- signing keys at the centre -----------------------------------------------------------
def test_a_registered_key_is_never_replaced_on_a_kiosks_word(central, exported, tmp_path):
    """A kiosk (or whoever holds its token) offering another key gets 409, and its files
    stay refused, until an administrator resets the key with an audited reason."""
    import httpx

    worker, _, path = exported
    usurper = encode(Ed25519PrivateKey.generate().public_key())
    answer = httpx.post(central.url + protocol.BACKLOG_KEYS_PATH,
                        json={"signing_key": usurper}, headers=protocol.bearer(worker.token))
    assert answer.status_code == 409
    assert "does not replace it on a kiosk's word" in answer.json()["error"]
    assert answer.headers["cache-control"] == "no-store"  # it carries the centre's key too
    assert importing(central, path).accepted == 700  # the genuine key still counts

    no_reason = central_support.central("kiosks", "signing-key", worker.kiosk_id, "--reset",
                                        "--db", central.db, check=False)
    assert no_reason.returncode == 2
    central_support.central("kiosks", "signing-key", worker.kiosk_id, "--reset", "--reason",
                            "máy cài lại / reinstalled, ticket 42", "--db", central.db)
    audit = json.loads(central_support.central("audit", "list", "--db", central.db,
                                               "--kind", "signing-key", "--json").stdout)
    assert audit[0]["reason"] == "máy cài lại / reinstalled, ticket 42"
    assert worker.kiosk_id in audit[0]["subject"]
    assert "no backlog signing key registered" in central_support.central(
        "kiosks", "signing-key", worker.kiosk_id, "--db", central.db).stdout
    again = httpx.post(central.url + protocol.BACKLOG_KEYS_PATH,
                       json={"signing_key": usurper}, headers=protocol.bearer(worker.token))
    assert again.status_code == 200 and again.json()["signing_key"] == usurper


def test_a_retired_keys_file_brings_in_only_what_was_taken_before_the_key_was_retired(
        central, kiosk_id, tmp_path):
    """A kiosk enrolled again by code brings a new key, and the old one is retired then. The
    old machine still holds that key (stolen, or found in a drawer): a file it exports later
    is the kiosk's for the 25 entries taken before, while the 5 taken since — by id or
    scanned_at, as for a revoked kiosk — are refused and counted."""
    import httpx

    from kiosk.central.enrol import enrolment_code
    from kiosk.enrolment import ENROL_PATH

    worker = connected_once(tmp_path / "kiosk", central, kiosk_id)
    before = fill_backlog(worker.store.path, 25, kiosk_id=kiosk_id)
    with open_storage(central.db) as storage:
        code = enrolment_code(storage, storage.kiosk(kiosk_id), central.url)
    assert httpx.post(central.url + ENROL_PATH, json={
        "secret": code.secret,
        "signing_key": encode(Ed25519PrivateKey.generate().public_key())}).status_code == 200
    with open_storage(central.db) as storage:
        retired = storage.retired_signing_key(
            kiosk_id, fingerprint(worker.keys.signing_key().public_key()))
    assert retired.reason == "enrolment code redeemed"
    fill_backlog(worker.store.path, 5, kiosk_id=kiosk_id, start=time.time() + 1)
    path = tmp_path / "usb" / "old-machine.backlog"
    assert worker.export(path).entries == 30
    worker.stop()

    imported = central_support.central("import", "--allow-retired-key", "--reason",
                                       "old machine found in a drawer, ticket 51", str(path),
                                       "--db", central.db, check=False)
    assert "30 entries — 25 accepted, 0 duplicate, 0 rejected" in imported.stdout
    assert f"retired {retired.retired_at}: 5 entries taken at or after then and 0 taken " \
        f"before the key was registered ({retired.registered_at}) refused" in imported.stdout
    assert sorted(central.stored_ids(kiosk_id)) == before
    assert imported.returncode == 1  # 5 of the file's entries are not at the centre
    assert "5 entries of this file were refused" in imported.stderr
    answers = json.loads(path.with_name("old-machine.backlog.refused").read_text(
        encoding="utf-8"))["refused"]
    assert [a["code"] for a in answers] == ["after_retirement"] * 5


def test_a_retired_keys_entries_from_before_its_registration_go_back_as_refused(
        central, kiosk_id, tmp_path):
    """A key reset (disk replaced) retires the key; a stick of that key's holding 5 entries
    and 4 made 10 days before the key was registered is imported allowed. The 4 were
    dropped before the ingest yet not counted: the import exited 0, said nothing refused and
    wrote no ``.refused`` — the kiosk kept them as exported, not at the centre. They count
    now (exit 1, the stderr line) and go back, each with why, for ``load-refusals``."""
    folder = tmp_path / "kiosk"
    worker = connected_once(folder, central, kiosk_id)
    fill_backlog(worker.store.path, 5, kiosk_id=kiosk_id)
    ten_days_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=10)
    made = fill_backlog(worker.store.path, 4, kiosk_id=kiosk_id,
                        start=ten_days_ago.timestamp())
    early = [made_at(entry_id, ten_days_ago + dt.timedelta(seconds=number / 2))
             for number, entry_id in enumerate(made)]  # their ids by that clock too
    store = Store(worker.store.path)
    try:
        with store.transaction() as conn:
            conn.executemany("UPDATE entries SET id = ? WHERE id = ?", zip(early, made,
                                                                            strict=True))
    finally:
        store.close()
    central_support.central("kiosks", "signing-key", kiosk_id, "--reset", "--reason",
                            "disk replaced", "--db", central.db)
    path = tmp_path / "usb" / "old.backlog"
    assert worker.export(path).entries == 9
    worker.stop()

    allowed = central_support.central(
        "import", "--allow-retired-key", "--reason", "last stick", str(path), "--db",
        central.db, check=False)
    assert allowed.returncode == 1, allowed.stderr
    assert "4 entries of this file were refused" in allowed.stderr
    answer = path.with_name("old.backlog.refused")
    answers = json.loads(answer.read_text(encoding="utf-8"))["refused"]
    assert sorted(a["id"] for a in answers) == sorted(early)
    assert {a["code"] for a in answers} == {"before_registration"}
    loaded = kiosk_cli(folder / "config.toml", "load-refusals", str(answer))
    assert "Marked 4 of the 4 entries the file names" in loaded.stdout
    assert "trước khi khoá ký" in loaded.stdout or "before its signing key" in kiosk_cli(
        folder / "config.toml", "status", "--offline", "--json").stdout


def test_a_file_naming_a_retired_key_it_was_not_signed_with_is_refused_as_such(
        central, exported, tmp_path, monkeypatch):
    """The refusal says which key failed: the retired one the file names (altered, or a
    forgery naming it), or a key this centre never held for the kiosk."""
    worker, _, _ = exported
    old = fingerprint(worker.keys.signing_key().public_key())
    central_support.central("kiosks", "signing-key", worker.kiosk_id, "--reset", "--reason",
                            "disk replaced, ticket 44", "--db", central.db)
    with open_storage(central.db) as storage:
        retired_at = storage.retired_signing_key(worker.kiosk_id, old).retired_at
    naming_old = tmp_path / "naming-old.backlog"
    with monkeypatch.context() as patched:
        patched.setattr(backlog, "fingerprint", lambda key: old)
        _forge(naming_old, central, kiosk_id=worker.kiosk_id,
               signing_key=Ed25519PrivateKey.generate())
    refused = central_support.central("import", str(naming_old), "--db", central.db,
                                      check=False)
    assert refused.returncode == 1
    assert (f"the signature does not match the file's signing key {old}, which kiosk "
            f"{worker.kiosk_id} held until {retired_at} (retired)") in refused.stderr

    central_support.central("kiosks", "signing-key", worker.kiosk_id,
                            f"--set={worker.keys.public_signing_key()}", "--reason",
                            "the old disk was fine after all", "--db", central.db)
    stranger = Ed25519PrivateKey.generate()
    forged = tmp_path / "forged.backlog"
    _forge(forged, central, kiosk_id=worker.kiosk_id, signing_key=stranger)
    assert (f"does not match kiosk {worker.kiosk_id}'s registered signing key ({old}), nor "
            f"any old key of it this centre keeps: the file names "
            f"{fingerprint(stranger.public_key())}, a key this centre does not hold for it "
            f"(never had, or forgot as compromised)") in importing(central, forged).error
    assert central.stored_ids(worker.kiosk_id) == []


def test_a_stolen_machines_retired_key_brings_in_nothing_unasked_and_nothing_backdated(
        central, kiosk_id, tmp_path):
    """The kiosk's machine is stolen and the administrator resets its signing key (not yet
    knowing --compromised). The thief holds the old key and writes a file of the 25 entries
    the kiosk took plus 40 invented ones dated 10 days back, before the key was even
    registered (id and scanned_at). Imported as is, the file is refused with words naming
    the retired key, when and why it was retired, and how a genuine file is imported; with
    --allow-retired-key and a reason (audited), the 25 are stored and the 40 refused as
    taken before the key was registered. (Before: imported unasked, all 65 stored.)"""
    worker = connected_once(tmp_path / "kiosk", central, kiosk_id)
    genuine = fill_backlog(worker.store.path, 25, kiosk_id=kiosk_id)
    ten_days_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=10)
    invented = fill_backlog(worker.store.path, 40, kiosk_id=kiosk_id,
                            start=ten_days_ago.timestamp())
    store = Store(worker.store.path)
    try:
        with store.transaction() as conn:
            for number, entry_id in enumerate(invented):
                moment = ten_days_ago + dt.timedelta(seconds=number / 2)
                conn.execute("UPDATE entries SET id = ? WHERE id = ?",
                             (made_at(entry_id, moment), entry_id))
    finally:
        store.close()
    old = fingerprint(worker.keys.signing_key().public_key())
    central_support.central("kiosks", "signing-key", kiosk_id, "--reset", "--reason",
                            "máy bị trộm / kiosk stolen, ticket 9", "--db", central.db)
    with open_storage(central.db) as storage:
        retired = storage.retired_signing_key(kiosk_id, old)
    path = tmp_path / "usb" / "thief.backlog"
    assert worker.export(path).entries == 65
    worker.stop()

    refused = central_support.central("import", str(path), "--db", central.db, check=False)
    assert refused.returncode == 1
    assert (f"the file is signed with kiosk {kiosk_id}'s old signing key {old}, retired "
            f"{retired.retired_at} (máy bị trộm / kiosk stolen, ticket 9): refused. If the "
            f"file is genuine") in refused.stderr
    assert "kiosk-central import --allow-retired-key --reason" in refused.stderr
    assert f"tệp ký bằng khoá cũ {old} của trạm {kiosk_id}" in refused.stderr
    assert central.stored_ids(kiosk_id) == []

    allowed = central_support.central(
        "import", "--allow-retired-key", "--reason", "thẻ nhớ cuối / last stick, ticket 9",
        str(path), "--db", central.db, check=False)
    assert allowed.returncode == 1  # 40 of the file's entries are not at the centre
    assert "65 entries — 25 accepted, 0 duplicate, 0 rejected" in allowed.stdout
    assert (f"0 entries taken at or after then and 40 taken before the key was registered "
            f"({retired.registered_at}) refused") in allowed.stdout
    assert sorted(central.stored_ids(kiosk_id)) == genuine
    audit = [record for record in json.loads(central_support.central(
        "audit", "list", "--db", central.db, "--kind", "retired-key-import", "--json").stdout)
        if kiosk_id in record["subject"]]
    assert len(audit) == 1 and audit[0]["reason"] == "thẻ nhớ cuối / last stick, ticket 9"
    assert f"or before {retired.registered_at} (id or scanned_at) refused" \
        in audit[0]["subject"]


def test_a_key_learned_compromised_after_its_reset_is_forgotten_and_imports_nothing(
        central, exported, tmp_path):
    """The kiosk's disk is reset, then the replacement machine's key set: the old key is
    kept as retired. Told later the old machine was stolen, the administrator sets the new
    key again --compromised: the old keys are forgotten (the reset says so, and to revoke
    the kiosk if the machine was stolen), none is listed, and a file signed with the old key
    is refused even with --allow-retired-key. --compromised alone changes nothing."""
    worker, _, path = exported
    alone = central_support.central("kiosks", "signing-key", worker.kiosk_id, "--compromised",
                                    "--db", central.db, check=False)
    assert alone.returncode == 2 and "--compromised goes with --reset or --set" in alone.stderr
    central_support.central("kiosks", "signing-key", worker.kiosk_id, "--reset", "--reason",
                            "disk died, ticket 9", "--db", central.db)
    replacement = f"--set={encode(Ed25519PrivateKey.generate().public_key())}"
    central_support.central("kiosks", "signing-key", worker.kiosk_id, replacement,
                            "--reason", "the replacement machine, ticket 9", "--db", central.db)

    compromised = central_support.central(
        "kiosks", "signing-key", worker.kiosk_id, replacement, "--compromised", "--reason",
        "the old machine was stolen, ticket 9", "--db", central.db)
    assert (f"Kiosk {worker.kiosk_id}'s old signing keys are forgotten (1): files signed "
            f"with them are refused, even with --allow-retired-key. If the machine was "
            f"stolen, revoke the kiosk (kiosk-central kiosks revoke {worker.kiosk_id})"
            ) in compromised.stdout
    shown = central_support.central("kiosks", "signing-key", worker.kiosk_id, "--db",
                                    central.db).stdout
    assert "retired signing key" not in shown
    imported = central_support.central("import", "--allow-retired-key", "--reason",
                                       "the thief's stick", str(path), "--db", central.db,
                                       check=False)
    assert imported.returncode == 1
    assert "a key this centre does not hold for it (never had, or forgot as compromised)" \
        in imported.stderr
    assert central.stored_ids(worker.kiosk_id) == []


def test_a_key_offer_nested_without_end_gets_400_saying_so(central, exported):
    """A backlog-key request 2,000 ``[`` deep (within its 4 KiB) is refused 400 as a body
    that is no key offer, saying it is nested too deeply (before: a RecursionError, 500)."""
    import httpx

    worker, _, _ = exported
    answer = httpx.post(central.url + protocol.BACKLOG_KEYS_PATH,
                        content=b"[" * 2000 + b"]" * 2000,
                        headers={**protocol.bearer(worker.token),
                                 "Content-Type": "application/json"})
    assert answer.status_code == 400, answer.text
    assert answer.json()["code"] == "api.keys_body"
    assert answer.json()["error"].endswith("body: JSON nested too deeply")


def signing_key_starting_with_a_dash(path: Path) -> None:
    """A kiosk signing key (PEM, 0600, at ``path``) whose printed public key begins with
    "-": one kiosk in 64 has one (URL-safe base64), and a command line must still take it."""
    while encode((key := Ed25519PrivateKey.generate()).public_key())[0] != "-":
        pass
    path.touch(mode=0o600)
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))


def test_a_site_that_never_had_network_registers_its_key_by_hand(central, kiosk_id, tmp_path):
    """The kiosk prints its public key on export; the administrator sets it at the centre
    with the command the export prints (``--set=KEY``), even for a key beginning with "-"."""
    token = central.enrol(kiosk_id)
    signing_key_starting_with_a_dash(KioskKeys(tmp_path).signing_key_path)
    worker = kiosk_worker(tmp_path, kiosk_id, token)
    KioskKeys(tmp_path).remember(
        {"centre_key": encode(centre_key(central).public_key())})  # as a technician would
    fill_backlog(worker.store.path, 20, kiosk_id=kiosk_id)
    summary = worker.export(tmp_path / "b.backlog")
    worker.stop()
    assert not summary.signing_key_registered
    assert "has not registered a signing key" in importing(central, tmp_path / "b.backlog").error
    central_support.central("kiosks", "signing-key", kiosk_id,
                            f"--set={worker.keys.public_signing_key()}", "--reason",
                            "site offline", "--db", central.db)
    assert importing(central, tmp_path / "b.backlog").accepted == 20


# -- the same on both engines -------------------------------------------------------------
@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path):
    (tmp_path / "centre").mkdir()
    return central_support.database_url(request.param, tmp_path / "centre")


def test_each_engine_imports_a_genuine_file_once_and_refuses_forgeries_and_revoked_kiosks(
        database, tmp_path):
    """A real `serve` hands the kiosk the centre's key over the link; `import` on the same
    database (and key file, outside it) takes the file once, refuses a forgery, and a
    revoked kiosk's file only with a reason."""
    key_file = tmp_path / "keys" / "central-backlog.key"
    enrolled = central_support.enrol(database, "ql1a-01", "CP-SYNC")
    server = central_support.CentralServer(database, "--backlog-key", str(key_file))
    try:
        online = kiosk_worker(tmp_path / "kiosk", "ql1a-01", enrolled.token, server.url)
        assert online.push_now().error is None  # nothing pending: keys exchanged
        online.stop()
    finally:
        server.stop()
    assert key_file.stat().st_mode & 0o777 == 0o600
    worker = kiosk_worker(tmp_path / "kiosk", "ql1a-01", enrolled.token)
    ids = fill_backlog(worker.store.path, 500, kiosk_id="ql1a-01")
    stick = tmp_path / "usb" / "ql1a-01.backlog"
    assert worker.export(stick).signing_key_registered
    worker.stop()

    def run(*args: str, check: bool = True):
        return central_support.central("import", *args, "--db", database, "--backlog-key",
                                       str(key_file), check=check)

    assert "500 accepted" in run(str(stick)).stdout
    assert "0 accepted, 500 duplicate" in run(str(stick)).stdout
    forged = tmp_path / "usb" / "forged.backlog"
    backlog.write_backlog(forged, backlog_rows(5, kiosk_id="ql1a-01"),
                          signing_key=Ed25519PrivateKey.generate(),
                          centre_key=load_centre_key(key_file).public_key(),
                          kiosk_id="ql1a-01", checkpoint_id="CP-SYNC")
    refused = run(str(forged), check=False)
    assert refused.returncode == 1 and "registered signing key" in refused.stderr
    central_support.central("kiosks", "revoke", "ql1a-01", "--db", database)
    assert "was revoked at" in run(str(stick), check=False).stderr
    allowed = run("--allow-revoked", "--reason", "dữ liệu trước khi mất máy", str(stick))
    assert "500 duplicate" in allowed.stdout
    with open_storage(database) as storage:
        assert sorted(e["id"] for e in storage.entries(kiosk_id="ql1a-01")) == ids
    without_key = central_support.central("import", str(stick), "--db", database,
                                          "--backlog-key", str(tmp_path / "nowhere.key"),
                                          check=False)
    assert without_key.returncode == 2
    assert "the centre's backlog key file is missing" in without_key.stderr
    assert "this database's kiosks were given key" in without_key.stderr


def test_a_stick_signed_before_a_key_reset_still_imports_once_the_kiosk_is_reinstalled(
        database, tmp_path):
    """The site's kiosk disk dies while its last stick is on its way to the centre. The
    administrator resets its signing key as docs/sync-operator.md says, and the reinstalled
    kiosk registers a new one. The stick, signed with the old key, still imports on the
    administrator's audited word (--allow-retired-key, refused without it): the centre kept
    that key as retired (when, why), the reset said so and how, the import says which key it
    checked with and is written to the audit log with its reason. (Before d7e34a7, the file
    was refused as not the kiosk's and the old key was kept nowhere: its entries were lost.)"""
    key_file = tmp_path / "keys" / "central-backlog.key"
    enrolled = central_support.enrol(database, "ql1a-01", "CP-SYNC")
    server = central_support.CentralServer(database, "--backlog-key", str(key_file))
    try:
        online = kiosk_worker(tmp_path / "kiosk", "ql1a-01", enrolled.token, server.url)
        assert online.push_now().error is None  # its first key registered
        online.stop()
        dead = kiosk_worker(tmp_path / "kiosk", "ql1a-01", enrolled.token)
        ids = fill_backlog(dead.store.path, 200, kiosk_id="ql1a-01")  # after registration
        stick = tmp_path / "usb" / "ql1a-01.backlog"
        assert dead.export(stick).signing_key_registered
        old = fingerprint(dead.keys.signing_key().public_key())
        dead.stop()

        reset = central_support.central("kiosks", "signing-key", "ql1a-01", "--reset",
                                        "--reason", "hỏng ổ đĩa / disk died, ticket 7",
                                        "--db", database)
        assert (f"Backlog files kiosk ql1a-01 signed with its old key {old} stay importable "
                f"with `kiosk-central import --allow-retired-key --reason \"…\"`: their "
                f"entries taken before now are stored") in reset.stdout
        assert "If the machine was stolen: reset with --compromised (the old key is " \
            "forgotten) and revoke the kiosk (kiosk-central kiosks revoke ql1a-01)" \
            in reset.stdout
        reinstalled = kiosk_worker(tmp_path / "reinstalled", "ql1a-01", enrolled.token,
                                   server.url)
        assert reinstalled.push_now().error is None  # its new key registered
        new = fingerprint(reinstalled.keys.signing_key().public_key())
        reinstalled.stop()
    finally:
        server.stop()
    shown = central_support.central("kiosks", "signing-key", "ql1a-01", "--db", database).stdout
    assert f"signing key {new} (registered " in shown
    assert f"retired signing key {old}, retired " in shown and "disk died, ticket 7" in shown

    unasked = central_support.central("import", str(stick), "--db", database,
                                      "--backlog-key", str(key_file), check=False)
    assert unasked.returncode == 1
    assert f"the file is signed with kiosk ql1a-01's old signing key {old}, retired " \
        in unasked.stderr
    imported = central_support.central("import", "--allow-retired-key", "--reason",
                                       "thẻ nhớ cuối / last stick, ticket 7", str(stick),
                                       "--db", database, "--backlog-key", str(key_file))
    assert "200 entries — 200 accepted, 0 duplicate, 0 rejected" in imported.stdout
    assert f"signed with kiosk ql1a-01's old signing key {old}, retired " in imported.stdout
    assert "0 entries taken at or after then and 0 taken before the key was registered" \
        in imported.stdout
    with open_storage(database) as storage:
        assert sorted(e["id"] for e in storage.entries(kiosk_id="ql1a-01")) == ids
    audit = json.loads(central_support.central("audit", "list", "--db", database, "--kind",
                                               "retired-key-import", "--json").stdout)
    assert len(audit) == 1 and audit[0]["actor"]
    assert audit[0]["reason"] == "thẻ nhớ cuối / last stick, ticket 7"
    assert f"kiosk ql1a-01, signed with its signing key {old} retired " in audit[0]["subject"]
    assert "disk died, ticket 7" in audit[0]["subject"] and "200 entries" in audit[0]["subject"]


def test_a_manifest_holding_text_no_database_holds_is_refused_and_the_next_file_still_read(
        database, tmp_path, monkeypatch):
    """Anyone holding the centre's public key can write a manifest, and its kiosk id is
    looked up before the signature is checked (it names the key to check with). A NUL or a
    lone surrogate in it is refused as an unreadable manifest — not a traceback (no
    database encoding holds the surrogate) nor a storage error to report to the developer
    (PostgreSQL holds no NUL) — and the files after it are still read."""
    key_file = tmp_path / "central-backlog.key"
    with open_storage(database) as storage:
        public = open_key(storage, key_file, create=True).public_key()
    monkeypatch.setattr(backlog.Manifest, "to_json",  # ASCII JSON: "\ud800" as an escape
                        lambda self: json.dumps(dataclasses.asdict(self)).encode())
    files = [tmp_path / f"{name}.backlog" for name in ("nul", "surrogate", "unknown")]
    for path, kiosk_id in zip(files, ["ql1a\x00-01", "ql1a\ud800-01", "never-enrolled"],
                              strict=True):
        backlog.write_backlog(path, [], signing_key=Ed25519PrivateKey.generate(),
                              centre_key=public, kiosk_id=kiosk_id, checkpoint_id="CP-SYNC")
    proc = central_support.central("import", *map(str, files), "--db", database,
                                   "--backlog-key", str(key_file), check=False)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 1, proc.stderr
    for crafted in files[:2]:
        assert f"TỪ CHỐI / REFUSED {crafted}: không đọc được bản kê của tệp: bị từ chối / " \
               f"unreadable manifest: refused — không lượt nào" in proc.stderr, proc.stderr
    assert "kiosk never-enrolled is not enrolled at this centre" in proc.stderr


def test_after_a_reset_the_kiosk_registers_its_key_again_when_it_next_exports(
        central, exported, tmp_path):
    worker, _, _ = exported
    central_support.central("kiosks", "signing-key", worker.kiosk_id, "--reset", "--reason",
                            "disk replaced, ticket 43", "--db", central.db)
    online = kiosk_worker(worker.store.path.parent, worker.kiosk_id, worker.token, central.url)
    summary = online.export(tmp_path / "again.backlog")
    online.stop()
    assert summary.signing_key_registered and summary.entries == 700  # still pending
    assert importing(central, tmp_path / "again.backlog").accepted == 700


def test_a_new_enrolment_code_may_replace_the_key_and_the_audit_log_says_so(
        central, exported):
    """An enrolment code is the administrator's word that this machine is that kiosk: a
    re-installed kiosk enrolling again brings its new key, and the change is recorded."""
    import httpx

    from kiosk.central.enrol import enrolment_code
    from kiosk.enrolment import ENROL_PATH

    worker, _, _ = exported
    with open_storage(central.db) as storage:
        code = enrolment_code(storage, storage.kiosk(worker.kiosk_id), central.url)
    new_key = encode(Ed25519PrivateKey.generate().public_key())
    answer = httpx.post(central.url + ENROL_PATH,
                        json={"secret": code.secret, "signing_key": new_key})
    assert answer.status_code == 200 and answer.json()["backlog_key"]
    assert new_key in central_support.central("kiosks", "signing-key", worker.kiosk_id,
                                              "--db", central.db).stdout
    audit = json.loads(central_support.central("audit", "list", "--db", central.db,
                                               "--kind", "signing-key", "--json").stdout)
    mine = [r for r in audit if worker.kiosk_id in r["subject"]]
    assert mine[0]["channel"] == "api" and mine[0]["reason"] == "enrolment code redeemed"


def test_a_spoiled_copy_after_a_good_import_harms_nothing_already_imported(
        central, exported, tmp_path):
    worker, ids, path = exported
    assert importing(central, path).accepted == 700
    spoiled = tmp_path / "spoiled.backlog"
    spoiled.write_bytes(path.read_bytes())
    flip_a_byte_in_the_middle(spoiled)
    assert "cannot be decrypted" in importing(central, spoiled).error
    with open_storage(central.db) as storage:
        assert sorted(e["id"] for e in storage.entries(kiosk_id=worker.kiosk_id)) == ids
        assert storage.kiosk(worker.kiosk_id).entries == 700


def test_a_config_made_in_memory_keeps_the_keys_beside_its_store_not_in_the_working_folder(
        central, kiosk_id, tmp_path, monkeypatch):
    from tests.conftest import make_config

    elsewhere = tmp_path / "where-the-process-runs"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    config = make_config(tmp_path / "kiosk", kiosk={"id": kiosk_id, "checkpoint_id": "CP-SYNC"},
                         sync={"server_url": central.url, "token": central.enrol(kiosk_id)})
    worker = SyncWorker.from_config(config)
    assert worker.push_now().error is None  # nothing pending: the keys are exchanged
    worker.stop()
    assert (tmp_path / "kiosk" / "backlog-signing.key").exists()
    assert (tmp_path / "kiosk" / "centre-backlog.json").exists()
    assert list(elsewhere.iterdir()) == []


def test_keys_an_older_kiosk_recorded_over_the_bound_are_refused_alone_by_file_and_by_push(
        central, kiosk_id, tmp_path):
    """A kiosk program older than the key bound (protocol.MAX_KEY_CHARS) recorded a match
    key and a subject key longer than it. Imported from its backlog file, those two are
    refused naming the field and the bound, the rest stored; pushed later, the same two come
    back rejected (quarantined with the reason on the kiosk), the rest duplicate and
    acknowledged: nothing is left pending, nothing else is held back."""
    worker = connected_once(tmp_path / "kiosk", central, kiosk_id)
    ids = fill_backlog(worker.store.path, 5, kiosk_id=kiosk_id)
    too_long = protocol.MAX_KEY_CHARS + 1
    store = Store(worker.store.path)
    try:
        with store.transaction() as conn:
            conn.execute("UPDATE entries SET match_key = ? WHERE id = ?",
                         ("m:123456|" + "Ữ" * too_long + "|1990", ids[1]))
            conn.execute("UPDATE entries SET subject_key = ? WHERE id = ?",
                         ("doc:" + "9" * too_long, ids[3]))
    finally:
        store.close()
    path = tmp_path / "usb" / "old.backlog"
    assert worker.export(path).entries == 5
    imported = central_support.central("import", str(path), "--db", central.db, check=False)
    assert imported.returncode == 1, imported.stderr  # two of the file's entries refused
    assert "5 entries — 3 accepted" in imported.stdout
    limit = f"longer than {protocol.MAX_KEY_CHARS} characters"
    assert f"match_key: {limit}" in imported.stdout
    assert f"subject_key: {limit}" in imported.stdout
    assert sorted(central.stored_ids(kiosk_id)) == [ids[0], ids[2], ids[4]]

    online = kiosk_worker(worker.store.path.parent, kiosk_id, worker.token, central.url)
    summary = online.push_now()
    online.stop()
    worker.stop()
    assert (summary.accepted, summary.duplicate, summary.rejected, summary.remaining) == (
        0, 3, 2, 0)
    assert sync_states(worker.store.path) == {"acknowledged": 3, "rejected": 2}


# -- the centre's key, kept from the first time on ----------------------------------------
class _Impostor(TakingBacklogKeys):
    """Whatever answers at the kiosk's server_url (a spoofed name, a hotspot): the health
    check and the backlog-keys request as a centre would, with its own encryption key."""

    key: str

    def do_POST(self) -> None:
        asked = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self._answer({"centre_key": self.key, "signing_key": asked["signing_key"],
                      "signing_key_registered_at": "2026-12-01T00:00:00Z"})


def impostor(key: X25519PrivateKey) -> contextlib.AbstractContextManager[str]:
    """A plain HTTP server on 127.0.0.1 answering with ``key``; its URL."""
    return serving(type("Handler", (_Impostor,), {"key": encode(key.public_key())}))


def kiosk_cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kiosk.cli", "sync", *args, "--config",
                           str(config)], capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)


def test_a_server_offering_another_centre_key_gets_no_file_and_the_kept_key_stays(
        central, kiosk_id, tmp_path):
    """A kiosk that learnt its centre's key keeps it: whatever answers at server_url later
    with another key (plain HTTP can be spoofed) gets no file sealed to it; the export says
    both keys and the way out, the status shows it, and the real centre clears it."""
    folder = tmp_path / "kiosk"
    connected_once(folder, central, kiosk_id).stop()
    keys = KioskKeys(folder)
    kept = keys.centre_path.read_bytes()
    ids = fill_backlog(folder / "kiosk.db", 30, kiosk_id=kiosk_id)
    token = (folder / "config.toml").read_text().split('token = "')[1].split('"')[0]
    stranger = X25519PrivateKey.generate()
    stick = tmp_path / "usb" / "b.backlog"
    with impostor(stranger) as url:
        spoofed = kiosk_worker(folder, kiosk_id, token, url)
        with pytest.raises(BacklogError) as refused:
            spoofed.export(stick)
        spoofed.stop()
    real, strange = (fingerprint(centre_key(central).public_key()),
                     fingerprint(stranger.public_key()))
    said = str(refused.value)
    assert f"answers with encryption key {strange}, not the centre key {real}" in said
    assert f"trả lời bằng khoá mã hoá {strange}, không phải khoá {real}" in said
    assert "enrol the kiosk again with a new code from the centre (`kiosk enrol`" in said
    assert keys.centre_path.read_bytes() == kept
    assert not stick.exists() and not stick.with_name("b.backlog.part").exists()
    assert sync_states(folder / "kiosk.db") == {"pending": 30}
    status = kiosk_cli(folder / "config.toml", "status", "--offline")
    assert f"ALERT: the server at {url} answers with encryption key {strange}" in status.stdout

    online = kiosk_worker(folder, kiosk_id, token, central.url)  # the real centre again
    assert online.export(stick).entries == 30
    online.stop()
    assert importing(central, stick).accepted == len(ids)
    assert "ALERT" not in kiosk_cli(folder / "config.toml", "status", "--offline").stdout


def test_only_an_enrolment_code_replaces_the_kept_centre_key(tmp_path, caplog):
    keys = KioskKeys(tmp_path)
    first, second = (X25519PrivateKey.generate().public_key() for _ in range(2))
    keys.remember({"centre_key": encode(first)})
    with pytest.raises(CentreKeyChanged):
        keys.remember({"centre_key": encode(second)})
    assert keys.centre().centre_key.public_bytes_raw() == first.public_bytes_raw()
    caplog.set_level(logging.WARNING, logger="kiosk.sync.kiosk_keys")
    keys.remember({"centre_key": encode(second)}, enrolment=True)
    assert keys.centre().centre_key.public_bytes_raw() == second.public_bytes_raw()
    assert [r.getMessage() for r in caplog.records] == [  # in the journal, both languages
        f"khoá tệp tồn đọng của trung tâm đã đổi từ {fingerprint(first)} sang "
        f"{fingerprint(second)} theo mã đăng ký / the centre's backlog key changed from "
        f"{fingerprint(first)} to {fingerprint(second)} by enrolment"]


@pytest.mark.parametrize(("damage", "vi", "en", "english"), [
    ("a folder", "đường dẫn là một thư mục", "the path is a folder", "Is a directory"),
    ("{not json", "không phải câu trả lời đã lưu của trung tâm",
     "not a saved answer of the centre", "Expecting"),
    ("[" * 100_000, "không phải câu trả lời đã lưu của trung tâm",
     "not a saved answer of the centre", "nested too deeply"),
])
def test_a_kept_centre_key_file_that_cannot_be_read_is_said_in_words(
        tmp_path, caplog, damage, vi, en, english):
    """The file keeping the centre's key is a folder, or holds no saved answer (a damaged
    copy, or JSON nested past any parser's depth, which would end the sync cycle in a
    RecursionError): no key is kept (the centre is asked again), and the journal says why
    in Vietnamese and English; the system's or the parser's own words only at INFO (-v)."""
    keys = KioskKeys(tmp_path)
    if damage == "a folder":
        keys.centre_path.mkdir()
    else:
        keys.centre_path.write_text(damage, encoding="utf-8")
    caplog.set_level(logging.INFO, logger="kiosk.sync.kiosk_keys")
    assert keys.centre() is None
    [error] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert error.levelno == logging.ERROR
    said = error.getMessage()
    assert said.startswith(f"{keys.centre_path} không đọc được ({vi}") and \
        "sẽ hỏi lại khoá của trung tâm" in said, said
    assert f" / {keys.centre_path} unreadable ({en}" in said, said
    assert english not in said
    assert any(english in r.getMessage() for r in caplog.records if r.levelno == logging.INFO)


def test_a_kept_centre_key_damaged_by_one_character_is_not_sealed_to_and_is_fetched_again(
        central, kiosk_id, tmp_path, caplog):
    """One base64 character of centre-backlog.json's key changed (a bad sector): the file is
    still JSON and the key still a key, but not the centre's, and no longer the one whose
    fingerprint the file carries. Offline, the export refuses, naming the file as damaged
    and the way to get the key again, rather than writing a file the centre cannot open;
    nothing is written or marked. Connected once, the kiosk fetches the key again and its
    file is imported."""
    folder = tmp_path / "kiosk"
    worker = connected_once(folder, central, kiosk_id)
    keys = KioskKeys(folder)
    saved = json.loads(keys.centre_path.read_text())
    saved["centre_key"] = ("r" if saved["centre_key"][0] != "r" else "s") + saved["centre_key"][1:]
    keys.centre_path.write_text(json.dumps(saved), encoding="utf-8")
    ids = fill_backlog(folder / "kiosk.db", 4, kiosk_id=kiosk_id)
    stick = tmp_path / "usb" / "b.backlog"
    caplog.set_level(logging.ERROR, logger="kiosk.sync.kiosk_keys")
    with pytest.raises(BacklogError) as refused:
        worker.export(stick)
    worker.stop()
    said = str(refused.value)
    assert (f"The file {keys.centre_path} keeping the centre's key is damaged or unreadable: "
            "no file is exported") in said
    assert "connect to the centre once (`kiosk sync push`) or enrol the kiosk again" in said
    assert f"Tệp {keys.centre_path} giữ khoá của trung tâm bị hỏng" in said
    assert (f"{keys.centre_path} unreadable (damaged: the key in it has fingerprint "
            f"{fingerprint(encryption_public(saved['centre_key']))}, the file says "
            f"{saved['centre_key_fingerprint']})") in caplog.text
    assert not stick.exists() and not stick.with_name("b.backlog.part").exists()
    assert sync_states(folder / "kiosk.db") == {"pending": 4}

    online = kiosk_worker(folder, kiosk_id, worker.token, central.url)
    assert online.export(stick).entries == 4
    online.stop()
    assert KioskKeys(folder).centre().centre_key.public_bytes_raw() == raw(
        centre_key(central).public_key())
    assert importing(central, stick).accepted == len(ids)


def test_a_key_registered_first_with_the_kiosks_token_is_named_with_the_reset_step(
        central, kiosk_id, tmp_path):
    """Whoever used the kiosk's token first registered their own signing key: the kiosk's
    push still works, but its status names the conflict, and its export (the centre's key
    comes with the 409) writes the file and says the administrator's step; after it the
    file imports."""
    import httpx

    token = central.enrol(kiosk_id)
    usurper = Ed25519PrivateKey.generate().public_key()
    first = httpx.post(central.url + protocol.BACKLOG_KEYS_PATH,
                       json={"signing_key": encode(usurper)}, headers=protocol.bearer(token))
    assert first.status_code == 200
    config = write_config(tmp_path / "config.toml", kiosk_id=kiosk_id, server_url=central.url,
                          token=token)
    fill_backlog(tmp_path / "kiosk.db", 20, kiosk_id=kiosk_id)
    assert kiosk_cli(config, "push").returncode == 0
    own = KioskKeys(tmp_path).signing_key().public_key()
    status = kiosk_cli(config, "status", "--offline").stdout
    assert (f"ALERT: the centre holds another signing key ({fingerprint(usurper)}) for kiosk "
            f"{kiosk_id}, not this kiosk's {fingerprint(own)}") in status
    assert f"kiosk-central kiosks signing-key {kiosk_id} --reset --reason" in status

    later = fill_backlog(tmp_path / "kiosk.db", 5, kiosk_id=kiosk_id)
    export = kiosk_cli(config, "export", "--to", str(tmp_path / "b.backlog"))
    assert export.returncode == 0, export.stderr
    assert "Exported 5 entries" in export.stdout
    assert "Note: the centre holds another signing key" in export.stderr
    assert f"signing-key {kiosk_id} --set={encode(own)} --reason" in export.stderr
    assert "not known yet" not in export.stderr
    assert "it was not written by that kiosk" in importing(central, tmp_path / "b.backlog").error
    central_support.central("kiosks", "signing-key", kiosk_id, "--reset", "--reason",
                            "token misused, ticket 44", "--db", central.db)
    assert kiosk_cli(config, "push").returncode == 0  # registers its key, clears the alert
    assert "ALERT" not in kiosk_cli(config, "status", "--offline").stdout
    assert importing(central, tmp_path / "b.backlog").duplicate == len(later)


def enrol_again(config: Path, central, kiosk_id: str) -> None:
    """``kiosk enrol`` with a new code the centre made for ``kiosk_id`` (a re-enrolment)."""
    from kiosk.central.enrol import enrolment_code

    with open_storage(central.db) as storage:
        code = enrolment_code(storage, storage.kiosk(kiosk_id), central.url)
    enrolled = subprocess.run(
        [sys.executable, "-m", "kiosk.cli", "enrol", "--code", code.text(), "--config",
         str(config)], capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert enrolled.returncode == 0, enrolled.stdout + enrolled.stderr


def test_a_re_enrolment_clears_the_centre_key_alert_it_settles(central, kiosk_id, tmp_path):
    """The code replaces the kept centre key, so the alert about another key offered is
    over at once: not shown by the status (offline, as at a site without network) until
    the kiosk next reaches the centre, and its export is sealed to the code's key."""
    folder = tmp_path / "kiosk"
    connected_once(folder, central, kiosk_id).stop()
    token = (folder / "config.toml").read_text().split('token = "')[1].split('"')[0]
    with impostor(X25519PrivateKey.generate()) as url:
        spoofed = kiosk_worker(folder, kiosk_id, token, url)
        assert spoofed.push_now().error is None  # nothing pending: the keys are exchanged
        spoofed.stop()
    config = folder / "config.toml"
    assert "ALERT: the server at" in kiosk_cli(config, "status", "--offline").stdout

    enrol_again(config, central, kiosk_id)

    assert "ALERT" not in kiosk_cli(config, "status", "--offline").stdout
    fill_backlog(folder / "kiosk.db", 4, kiosk_id=kiosk_id)
    export = kiosk_cli(config, "export", "--to", str(tmp_path / "b.backlog"))
    assert export.returncode == 0, export.stderr
    assert importing(central, tmp_path / "b.backlog").accepted == 4


def test_a_re_enrolment_ends_a_signing_key_conflict_and_its_alert(central, kiosk_id, tmp_path):
    """Whoever used the kiosk's token first registered their key; the code's redemption
    registers this kiosk's own key in its place (the code is the administrator's word), so
    the conflict is over: the status no longer names it, an export made offline right
    after carries no note about it, and the centre imports the file."""
    import httpx

    token = central.enrol(kiosk_id)
    usurper = Ed25519PrivateKey.generate().public_key()
    assert httpx.post(central.url + protocol.BACKLOG_KEYS_PATH,
                      json={"signing_key": encode(usurper)},
                      headers=protocol.bearer(token)).status_code == 200
    config = write_config(tmp_path / "config.toml", kiosk_id=kiosk_id, server_url=central.url,
                          token=token)
    fill_backlog(tmp_path / "kiosk.db", 2, kiosk_id=kiosk_id)
    assert kiosk_cli(config, "push").returncode == 0
    assert "ALERT: the centre holds another signing key" in kiosk_cli(
        config, "status", "--offline").stdout

    enrol_again(config, central, kiosk_id)

    own = encode(KioskKeys(tmp_path).signing_key().public_key())
    assert own in central_support.central("kiosks", "signing-key", kiosk_id, "--db",
                                          central.db).stdout
    assert "ALERT" not in kiosk_cli(config, "status", "--offline").stdout
    fill_backlog(tmp_path / "kiosk.db", 3, kiosk_id=kiosk_id)
    offline = config.read_text().replace(central.url, OFFLINE)
    config.write_text(offline, encoding="utf-8")
    export = kiosk_cli(config, "export", "--to", str(tmp_path / "b.backlog"))
    assert export.returncode == 0, export.stderr
    assert "another signing key" not in export.stderr
    assert importing(central, tmp_path / "b.backlog").accepted == 3


def test_a_running_kiosks_export_stops_naming_a_conflict_a_re_enrolment_beside_it_settled(
        central, kiosk_id, tmp_path):
    """The kiosk is running when ``kiosk enrol`` redeems a new code beside it: its worker
    (the one it started with, the old token now refused by the centre) exports at once,
    before any restart, and the export carries no note about the conflict the code settled,
    as the status says none: both read the alert saved in the store, which the enrolment
    cleared, not a copy the worker kept."""
    import httpx

    token = central.enrol(kiosk_id)
    assert httpx.post(central.url + protocol.BACKLOG_KEYS_PATH, json={
        "signing_key": encode(Ed25519PrivateKey.generate().public_key())},
        headers=protocol.bearer(token)).status_code == 200
    running = kiosk_worker(tmp_path, kiosk_id, token, central.url)
    try:
        assert running.push_now().error is None  # nothing pending: the keys are exchanged
        fill_backlog(tmp_path / "kiosk.db", 3, kiosk_id=kiosk_id)
        before = running.export(tmp_path / "usb" / "before.backlog")
        assert before.note.code == "sync.export_refused_at_centre"
        assert before.note("en").startswith("Note: the centre holds another signing key")

        enrol_again(tmp_path / "config.toml", central, kiosk_id)

        fill_backlog(tmp_path / "kiosk.db", 2, kiosk_id=kiosk_id, seed=2)
        after = running.export(tmp_path / "usb" / "after.backlog")
    finally:
        running.stop()
    assert (after.note, after.keys_alert) == (None, None)
    assert "ALERT" not in kiosk_cli(tmp_path / "config.toml", "status", "--offline").stdout
    assert importing(central, tmp_path / "usb" / "after.backlog").accepted == 5


def test_an_export_with_a_signing_key_conflict_and_no_centre_key_is_refused_with_the_conflict(
        kiosk_id, tmp_path):
    """The centre said another signing key is held for this kiosk, and gave no centre key:
    no file can be sealed, and the refusal names the conflict and the administrator's step
    (after which the kiosk's next contact registers its key and learns the centre's), not
    "connect to the centre once", which the kiosk just did. Offline, the saved conflict
    refuses the same way; nothing is written or marked."""
    usurper = Ed25519PrivateKey.generate().public_key()
    held = usurper.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    own = KioskKeys(tmp_path).signing_key().public_key()
    fill_backlog(tmp_path / "kiosk.db", 6, kiosk_id=kiosk_id)
    stick = tmp_path / "usb" / "b.backlog"
    with centre_holding_another_signing_key(kiosk_id, held) as url:
        config = write_config(tmp_path / "config.toml", kiosk_id=kiosk_id, server_url=url,
                              token="t0ken")
        online = kiosk_cli(config, "export", "--to", str(stick))
    config.write_text(config.read_text().replace(url, OFFLINE), encoding="utf-8")
    offline = kiosk_cli(config, "export", "--to", str(stick))

    for refused in (online, offline):
        assert refused.returncode == 1, refused.stdout + refused.stderr
        assert (f"Export failed: the centre holds another signing key ({fingerprint(usurper)}) "
                f"for kiosk {kiosk_id}, not this kiosk's {fingerprint(own)}") in refused.stderr
        assert f"signing-key {kiosk_id} --set={encode(own)} --reason" in refused.stderr
        assert "not known yet" not in refused.stderr
    assert not stick.exists() and not stick.with_name("b.backlog.part").exists()
    assert sync_states(tmp_path / "kiosk.db") == {"pending": 6}
    assert "ALERT: the centre holds another signing key" in kiosk_cli(
        config, "status", "--offline").stdout


def test_entries_older_than_the_centres_retention_are_done_but_never_called_already_there(
        kiosk_id, tmp_path):
    """A kiosk offline longer than the centre keeps raw entries exports 30 scans of a month
    ago; the centre has been purged since. It cannot tell them from entries it purged, so it
    neither stores nor counts them and answers ``duplicate`` (the kiosk marks them done), but
    the import summary and the kiosk's push no longer call them "already at the centre":
    they are counted apart, with the retention cut they fell before."""
    from tests.sync_support import CentralServer

    centre = CentralServer(tmp_path / "centre")  # its own: the purge cuts the whole centre
    try:
        worker = connected_once(tmp_path / "kiosk", centre, kiosk_id)
        fill_backlog(worker.store.path, 30, kiosk_id=kiosk_id, start=time.time() - 30 * 86400)
        path = tmp_path / "usb" / "old.backlog"
        assert worker.export(path).entries == 30
        worker.stop()
        central_support.central("purge", "--days", "14",
                                "--reason", "test: a backlog past retention", "--db", centre.db)
        with open_storage(centre.db) as storage:
            cut = storage.optional_setting("entries_purged_before")
        assert cut is not None

        imported = central_support.central("import", str(path), "--db", centre.db).stdout
        assert "30 entries — 0 accepted, 0 duplicate, 0 rejected" in imported
        assert (f"30 lượt cũ hơn mốc lưu giữ ({cut}): không lưu, không tính / 30 entries "
                f"older than the retention cut ({cut}): not stored, not counted") in imported

        kiosk_worker(worker.store.path.parent, kiosk_id, worker.token, centre.url).stop()
        pushed = kiosk_cli(worker.store.path.parent / "config.toml", "push")  # back online
        assert pushed.returncode == 0, pushed.stderr
        assert "0 new, 0 already at the centre, 0 rejected; 0 still pending" in pushed.stdout
        assert (f"30 entries older than the retention cut ({cut}): not stored, not counted"
                in pushed.stdout)
        assert sync_states(worker.store.path) == {"acknowledged": 30}  # done, not resent
        assert centre.stored_ids(kiosk_id) == []
    finally:
        centre.stop()


def test_a_file_changed_mid_read_says_its_entries_past_retention_were_answered_not_stored(
        kiosk_id, tmp_path, monkeypatch, capsys):
    """A month-old backlog imported into a centre purged since, its file changed on disk
    after its first entries went in: the refusal says how many were answered, and those past
    the retention cut (all of them) apart — not that they "are stored"."""
    from kiosk.central.importer import report_cut_short
    from tests.sync_support import CentralServer

    centre = CentralServer(tmp_path / "centre")  # its own: the purge cuts the whole centre
    try:
        worker = connected_once(tmp_path / "kiosk", centre, kiosk_id)
        fill_backlog(worker.store.path, 700, kiosk_id=kiosk_id, start=time.time() - 30 * 86400)
        monkeypatch.setattr(backlog, "PART_BYTES", 16 * 1024)  # several parts from 700 entries
        path = tmp_path / "old.backlog"
        worker.export(path)
        worker.stop()
        assert len(_parts(path)[1]) > 3
        central_support.central("purge", "--days", "14",
                                "--reason", "test: a backlog past retention", "--db", centre.db)
        with open_storage(centre.db) as storage:
            cut = storage.optional_setting("entries_purged_before")

        header, parts = _parts(path)
        last_entries = len(header) + sum(map(len, parts[:-2])) + 20  # the manifest after

        def change_the_last_entries_once(done: int, total: int) -> None:
            if done == 100:  # the first batch is in; the reader is on its first part
                data = bytearray(path.read_bytes())
                data[last_entries] ^= 0x01
                path.write_bytes(bytes(data))

        result = importing(centre, path, batch_size=100, progress=change_the_last_entries_once)
        assert result.error is not None and "changed" in result.error, result.error
        answered = result.answered
        assert 100 <= answered < 700 and result.past_retention == answered
        assert centre.stored_ids(kiosk_id) == []

        report_cut_short(result)
        said = capsys.readouterr().err
        assert (f"the {answered} entries before that point were answered (0 accepted, 0 "
                f"duplicate, 0 rejected)") in said
        assert (f"{answered} entries older than the retention cut ({cut}): not stored, not "
                f"counted") in said
        assert "are stored" not in said
    finally:
        centre.stop()


def test_load_refusals_starts_its_progress_clock_before_the_load(central, kiosk_id, tmp_path,
                                                                  monkeypatch, capsys):
    """An answer of more than one part (a stick's backlog of days) shows a progress line:
    its bar was made at the end of the first part, so its first line's rate was that part
    over microseconds ("292,825,785/s"). The bar is now made before the load begins, its
    clock counting the file's reading and the first part: checked on the order of the
    calls (a rate is a timing), with the kiosk's real ProgressBar and load."""
    from kiosk.commandline import ProgressBar
    from kiosk.store import ANSWER_CHUNK_ROWS
    from kiosk.sync import commands, refusals

    folder = tmp_path / "kiosk"
    worker = connected_once(folder, central, kiosk_id)
    count = ANSWER_CHUNK_ROWS + 500  # two parts
    fill_backlog(worker.store.path, count, kiosk_id=kiosk_id)
    path = tmp_path / "usb" / "ql1a.backlog"
    assert worker.export(path).entries == count
    worker.stop()
    central_support.central("import", str(path), "--db", central.db)
    answer = path.with_name(path.name + refusals.SUFFIX)

    calls: list[str] = []
    bars: list[ProgressBar] = []

    class NotedBar(ProgressBar):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            calls.append("bar made")
            bars.append(self)

    real_load = refusals.load

    def noted_load(*args: Any, **kwargs: Any) -> refusals.Loaded:
        calls.append("load begins")
        return real_load(*args, **kwargs)

    monkeypatch.setattr(commands, "ProgressBar", NotedBar)
    monkeypatch.setattr(refusals, "load", noted_load)
    assert cli.main(["sync", "load-refusals", str(answer),
                     "--config", str(folder / "config.toml")]) == 0
    assert calls == ["bar made", "load begins"]
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith(f"{answer}: 80% {ANSWER_CHUNK_ROWS:,}/{count:,} entries")
    assert lines[-1].startswith(f"{answer}: 100% {count:,}/{count:,} entries")
    assert sync_states(folder / "kiosk.db") == {"acknowledged": count}
