"""The centre's answer to a backlog file counts only from the kiosk's own centre
(docs/sync-operator.md, "Which centre answered").

A centre's backlog key says which files it can open, not which database it is: a staging
centre made with production's key file, or a second ``kiosk-central init --db`` given the
same key, opens the kiosk's file too, and seals an answer the kiosk's receipt key checks.
Loaded, that answer took out of the pending set entries the kiosk's own centre never
received: lost to it for good. So each centre has a random id (schema v48, printed by
``init``), given to kiosks with its backlog key and named, under the seal, in every answer;
``kiosk sync load-refusals`` refuses an answer naming another centre than the kiosk's, or
naming none (a staging centre on an earlier release), nothing acknowledged. A kiosk learns
the id only from its centre at ``server_url``: one that never learnt it takes no
acknowledgement from a file naming an id (a staging centre's would have stuck), and loads
a file naming none (its centre may be older than ids) as before, said so.

Real parts: the module's centre serving on 127.0.0.1, a second centre database made by
``kiosk-central init`` and given the same key file, the ``kiosk-central import`` and
``kiosk sync load-refusals`` commands, real kiosk stores; PostgreSQL where installed.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from kiosk.central.backends import open_storage
from kiosk.central.backlog_key import FILE_NAME
from kiosk.central.schema import CENTRE_ID_VERSION, MIGRATIONS
from kiosk.sync.backlog_keys import encode
from kiosk.sync.kiosk_keys import KioskKeys
from tests import central_support
from tests.sync_support import fill_backlog, sync_states
from tests.test_sync_backlog import connected_once, kiosk_cli, kiosk_worker
from tests.test_sync_receipts import connected_token, exports, sealed_with, with_mac


@pytest.fixture(autouse=True)
def stick_mounted(tmp_path: Path) -> None:
    (tmp_path / "usb").mkdir()


def centre_id(db: str) -> str:
    """The id the centre at ``db`` holds."""
    with open_storage(db) as storage:
        return storage.setting("centre_id")


def staging_centre(central, folder: Path, kiosk_id: str, where: Path) -> str:
    """A second centre database at ``where``, made by ``kiosk-central init``, that knows the
    kiosk of ``folder`` and its signing key (a technician tried the kiosk there): a staging
    centre run with production's key file. Its address."""
    where.mkdir()
    db = f"sqlite:///{where / 'central.db'}"
    central_support.central("init", "--db", db)
    central_support.enrol(db, kiosk_id, "CP-SYNC")
    central_support.central("kiosks", "signing-key", kiosk_id, "--db", db, "--set",
                            KioskKeys(folder).public_signing_key(), "--reason",
                            "thử máy ở trung tâm thử nghiệm / tried at staging")
    return db


def import_at(central, db: str, backlog: Path, answers: Path) -> Path:
    """``kiosk-central import`` of ``backlog`` into ``db`` with the centre's key file, its
    answer written into ``answers``: that answer."""
    answers.mkdir(exist_ok=True)
    key = Path(central.db_path).parent / FILE_NAME
    central_support.central("import", str(backlog), "--db", db, "--backlog-key", str(key),
                            "--refusals-to", str(answers))
    return answers / (backlog.name + ".refused")


def exported(central, folder: Path, kiosk_id: str, stick: Path, count: int) -> list[str]:
    """The kiosk of ``folder``, having reached the centre once (the first time asked), then
    scanned ``count`` entries offline and exported them to ``stick``: their ids."""
    worker = (kiosk_worker(folder, kiosk_id, connected_token(folder))
              if (folder / "config.toml").exists() else connected_once(folder, central, kiosk_id))
    try:
        ids = fill_backlog(worker.store.path, count, kiosk_id=kiosk_id, start=time.time() - 60)
        assert worker.export(stick).entries == count
    finally:
        worker.stop()
    return ids


def load(folder: Path, answer: Path):
    return kiosk_cli(folder / "config.toml", "load-refusals", str(answer))


def test_an_answer_from_another_centre_with_the_same_key_is_refused_and_nothing_acknowledged(
        central, kiosk_id, tmp_path):
    """The stick goes to the staging centre by mistake: its import stores the entries there
    and seals an answer the kiosk's receipt key checks. Loaded, it is refused naming both
    centres and what to do; the entries stay where they were, waiting. Imported at the
    kiosk's own centre, the same file's answer acknowledges them."""
    folder, stick = tmp_path / "kiosk", tmp_path / "usb" / "ql1a.backlog"
    ids = exported(central, folder, kiosk_id, stick, 5)
    staging = staging_centre(central, folder, kiosk_id, tmp_path / "staging")
    wrong = import_at(central, staging, stick, tmp_path / "staging-answers")

    refused = load(folder, wrong)
    assert refused.returncode == 1, refused.stdout
    assert sync_states(folder / "kiosk.db") == {"sent": 5}  # nothing acknowledged
    theirs, ours = centre_id(staging), centre_id(central.db)
    assert theirs != ours
    assert (f"{wrong} was written by centre {theirs}, not by this kiosk's centre ({ours}): "
            "the backlog file was imported into another database with the same key") \
        in refused.stderr
    assert "nothing changed, the entries stay pending" in refused.stderr
    assert central.stored_ids(kiosk_id) == []  # the kiosk's centre has none of them

    right = import_at(central, central.db, stick, tmp_path / "answers")
    loaded = load(folder, right)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.startswith(  # not "Marked 0 of the 0 entries … fix it, then retry"
        f"The centre refused none of the file's entries (kiosk {kiosk_id})\n"), loaded.stdout
    assert ("The centre confirms it holds 5 entries of the file: 5 left the pending set"
            in loaded.stdout)
    assert sync_states(folder / "kiosk.db") == {"acknowledged": 5}
    assert sorted(central.stored_ids(kiosk_id)) == ids


def test_the_kiosk_keeps_its_centres_id_and_the_centres_answer_names_it(
        central, kiosk_id, tmp_path):
    """Learnt with the centre's key at the kiosk's first contact, kept beside it; the
    centre's answer to the kiosk's file names the same id, under its seal, and is loaded
    with nothing more said about it."""
    folder, stick = tmp_path / "kiosk", tmp_path / "usb" / "ql1a.backlog"
    exported(central, folder, kiosk_id, stick, 3)
    ours = centre_id(central.db)
    assert re.fullmatch(r"[0-9a-f]{32}", ours)
    kept = json.loads((folder / "centre-backlog.json").read_text(encoding="utf-8"))
    assert kept["centre_id"] == ours
    status = json.loads(kiosk_cli(folder / "config.toml", "status", "--offline",
                                  "--json").stdout)
    assert status["backlog_keys"]["centre_id"] == ours

    answer = import_at(central, central.db, stick, tmp_path / "answers")
    assert json.loads(answer.read_text(encoding="utf-8"))["centre"] == ours
    loaded = load(folder, answer)
    assert loaded.returncode == 0, loaded.stderr
    assert sync_states(folder / "kiosk.db") == {"acknowledged": 3}
    assert "centre id" not in loaded.stdout


def older_than_ids(folder: Path, answer: Path, ids: list[str]) -> None:
    """Rewrite ``answer`` as a centre older than ids writes it: no ``centre`` member, sealed
    and mac'd as that centre would (it holds the receipt key too)."""
    record = exports(folder / "kiosk.db")[0]
    older = {key: value for key, value in json.loads(answer.read_text(encoding="utf-8")
                                                     ).items() if key != "centre"}
    answer.write_text(json.dumps(with_mac(sealed_with(
        bytes.fromhex(record["receipt_key"]), older, ids), record["sha256"])),
        encoding="utf-8")


def forget_centre_id(folder: Path) -> None:
    """centre-backlog.json as a release before centre ids kept it: the key, no id."""
    kept = folder / "centre-backlog.json"
    before_ids = {key: value for key, value in json.loads(kept.read_text(encoding="utf-8")
                                                          ).items() if key != "centre_id"}
    kept.write_text(json.dumps(before_ids), encoding="utf-8")


def test_an_answer_naming_no_centre_is_refused_by_a_kiosk_that_keeps_its_centres_id(
        central, kiosk_id, tmp_path):
    """The kiosk's centre names itself in its answers; one naming no centre was written by
    another database holding the same key on an earlier release (a staging centre left
    un-upgraded, given production's key file). Loaded, it is refused whole, naming the
    kiosk's centre: nothing acknowledged, nothing refused, the entries
    wait for the answer of the kiosk's centre."""
    folder, stick = tmp_path / "kiosk", tmp_path / "usb" / "ql1a.backlog"
    ids = exported(central, folder, kiosk_id, stick, 5)
    ours = centre_id(central.db)
    staging = staging_centre(central, folder, kiosk_id, tmp_path / "staging")
    answer = import_at(central, staging, stick, tmp_path / "staging-answers")
    older_than_ids(folder, answer, ids)

    refused = load(folder, answer)
    assert refused.returncode == 1, refused.stdout
    assert sync_states(folder / "kiosk.db") == {"sent": 5}
    assert central.stored_ids(kiosk_id) == []
    assert (f"{answer} names no centre, and this kiosk's centre ({ours}) names itself in its "
            "answers: the backlog file was imported into another database with the same "
            "key, on an earlier release") in refused.stderr
    assert "nothing changed, the entries stay pending" in refused.stderr


def test_an_answer_of_a_centre_older_than_ids_is_loaded_by_a_kiosk_that_kept_none(
        central, kiosk_id, tmp_path):
    """A kiosk that never learnt an id (its centre not yet upgraded, giving none) loads an
    answer naming none as before — refusing it would keep entries waiting that the centre
    holds — and the load says which centre wrote it could not be checked."""
    folder, stick = tmp_path / "kiosk", tmp_path / "usb" / "ql1a.backlog"
    ids = exported(central, folder, kiosk_id, stick, 4)
    forget_centre_id(folder)
    answer = import_at(central, central.db, stick, tmp_path / "answers")
    older_than_ids(folder, answer, ids)

    loaded = load(folder, answer)
    assert loaded.returncode == 0, loaded.stderr
    assert sync_states(folder / "kiosk.db") == {"acknowledged": 4}
    assert ("This file names no centre id (a centre not yet upgraded): that this kiosk's "
            "centre wrote it could not be checked; loaded as before") in loaded.stdout


def test_a_kiosk_that_kept_no_centre_id_learns_it_from_its_centre_never_from_a_file(
        central, kiosk_id, tmp_path):
    """Enrolled before centres had ids and offline since, the kiosk knows its centre's key
    only. Its stick goes first to a staging centre holding production's key: the answer
    names the staging id, and is loaded without its acknowledgement — the entries stay
    pending, the load says why and what to do — and the staging id is not kept. Once the
    kiosk reaches its centre at server_url it keeps the real id: the staging answer is
    refused, naming the real centre, and the real centre's answer acknowledges."""
    folder, stick = tmp_path / "kiosk", tmp_path / "usb" / "ql1a.backlog"
    ids = exported(central, folder, kiosk_id, stick, 3)
    forget_centre_id(folder)
    staging = staging_centre(central, folder, kiosk_id, tmp_path / "staging")
    wrong = import_at(central, staging, stick, tmp_path / "staging-answers")

    loaded = load(folder, wrong)
    assert loaded.returncode == 0, loaded.stderr
    assert sync_states(folder / "kiosk.db") == {"sent": 3}  # none acknowledged
    theirs, ours = centre_id(staging), centre_id(central.db)
    assert (f"This file was written by centre {theirs}, but this kiosk does not know its "
            "centre's id yet (it learns it only from its centre at the server address): the "
            "entries the centre says it holds are not acknowledged, they stay pending and go "
            "in the next export; nothing is lost. Connect the kiosk to its centre once "
            "(`kiosk sync push`) or enrol it again with a code from its centre") in loaded.stdout
    assert KioskKeys(folder).centre().centre_id is None

    online = kiosk_worker(folder, kiosk_id, connected_token(folder), central.url)
    try:
        assert online.push_now().error is None  # the entries reach the real centre
    finally:
        online.stop()
    assert KioskKeys(folder).centre().centre_id == ours
    assert sorted(central.stored_ids(kiosk_id)) == ids

    second = tmp_path / "usb" / "ql1a-2.backlog"
    more = exported(central, folder, kiosk_id, second, 2)  # offline again
    refused = load(folder, import_at(central, staging, second, tmp_path / "staging-2"))
    assert refused.returncode == 1
    assert f"not by this kiosk's centre ({ours})" in refused.stderr
    right = load(folder, import_at(central, central.db, second, tmp_path / "answers"))
    assert right.returncode == 0, right.stderr
    assert sync_states(folder / "kiosk.db") == {"acknowledged": 5}
    assert sorted(central.stored_ids(kiosk_id)) == sorted(ids + more)


def test_another_id_from_the_centres_address_is_logged_and_the_kept_one_stays(tmp_path,
                                                                             caplog):
    """Whatever answers at ``server_url`` later with the same key but another id (a
    second database given the same key file) does not become the kiosk's centre: logged,
    naming both; an answer with no id (a centre not yet upgraded) keeps the one kept."""
    keys = KioskKeys(tmp_path)
    key = encode(X25519PrivateKey.generate().public_key())
    keys.remember({"centre_key": key, "centre_id": "a" * 32})

    keys.remember({"centre_key": key, "centre_id": "b" * 32})
    keys.remember({"centre_key": key})

    assert keys.centre().centre_id == "a" * 32
    assert (f"the centre answering at the server address has id {'b' * 32}, not the id "
            f"{'a' * 32} this kiosk keeps") in caplog.text


@pytest.mark.parametrize("engine", central_support.ENGINES)
def test_a_centre_from_before_ids_gets_one_when_init_upgrades_it(engine, tmp_path):
    """``kiosk-central init`` on a centre of schema v47 (its owner's upgrade) gives it a
    random id and says it; the next ``init`` keeps it. A new centre gets its own."""
    url = central_support.database_url(engine, tmp_path)
    with open_storage(url) as storage, storage._transaction() as tx:
        central_support.set_schema_version(storage, tx, CENTRE_ID_VERSION - 1)
    upgraded = central_support.central("init", "--db", url)
    assert f"from schema v{CENTRE_ID_VERSION - 1} to v{len(MIGRATIONS)}" in upgraded.stdout
    made = centre_id(url)
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert f"Centre id: {made} (kiosks keep it" in upgraded.stdout
    assert f"Mã trung tâm: {made}" in upgraded.stdout

    again = central_support.central("init", "--db", url)
    assert f"Centre id: {made}" in again.stdout
    assert centre_id(url) == made

    other = tmp_path / "other"
    other.mkdir()
    assert centre_id(central_support.database_url(engine, other)) != made
