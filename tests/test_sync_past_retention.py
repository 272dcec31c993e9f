"""Entries past the centre's retention cut, sent by the kiosk's own background sync (the usual
path for a kiosk back online after a long time): marked done, yet the centre holds none of
them, so the kiosk says so — a log line per batch, a saved fact that ``kiosk sync status``
shows, and ``kiosk run --until-done``'s last line — and a centre's cut is shown only when it
is a day. A real centre on 127.0.0.1 (or a spoofing one), real store files."""

from __future__ import annotations

import datetime as dt
import json
import logging
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

from kiosk import config as config_mod
from kiosk.central.backends import open_storage
from kiosk.sync.client import SyncClient
from kiosk.sync.worker import SyncWorker
from kiosk.timestamps import parse_utc
from tests import central_support
from tests.sync_support import (
    CentralServer,
    JsonAnswering,
    TakingEveryBatch,
    english,
    fill_backlog,
    serving,
    sync_states,
    wait_until,
    write_config,
)

MONTH_AGO = 30 * 86400


def purged_centre(tmp_path: Path, kiosk_id: str) -> tuple[CentralServer, str, str]:
    """A centre of its own (the purge cuts the whole centre) purged to 14 days, a kiosk
    enrolled: (centre, token, the cut)."""
    centre = CentralServer(tmp_path / "centre")
    token = centre.enrol(kiosk_id)
    central_support.central("purge", "--days", "14",
                            "--reason", "test: a backlog past retention", "--db", centre.db)
    with open_storage(centre.db) as storage:
        cut = storage.optional_setting("entries_purged_before")
    assert cut is not None
    return centre, token, cut


def sync_status(config: Path, *options: str) -> str:
    return subprocess.run([sys.executable, "-m", "kiosk.cli", "sync", "status", "--offline",
                           *options, "--config", str(config)], capture_output=True, text=True,
                          timeout=60, check=True, stdin=subprocess.DEVNULL).stdout


def test_the_background_sync_says_and_keeps_what_it_sent_past_the_centres_retention(
        tmp_path, caplog):
    """No one presses Sync: the background cycle sends 20 scans of a month ago to a centre
    purged since. They are marked done (never resent), and the kiosk's log says how many and
    the cut; ``kiosk sync status`` (and its JSON) keeps saying it afterwards, in another
    process, and the count adds up over later sends."""
    centre, token, cut = purged_centre(tmp_path, "k-bg")
    try:
        folder = tmp_path / "kiosk"
        folder.mkdir()
        fill_backlog(folder / "kiosk.db", 20, kiosk_id="k-bg", start=time.time() - MONTH_AGO)
        path = write_config(folder / "config.toml", kiosk_id="k-bg", server_url=centre.url,
                            token=token, enabled=True)
        caplog.set_level(logging.WARNING, logger="kiosk")
        worker = SyncWorker.from_config(config_mod.load(path), base_backoff_seconds=0.02)
        worker.start()
        try:
            wait_until(lambda: sync_states(folder / "kiosk.db") == {"acknowledged": 20}, 60)
        finally:
            worker.stop()
        assert centre.stored_ids("k-bg") == []
        said = [english(r.getMessage()) for r in caplog.records
                if "retention cut" in r.getMessage()]
        assert said and all(cut in line for line in said)
        assert sum(int(line.split()[1]) for line in said) == 20  # "sync: 20 entries older…"

        status = sync_status(path)
        assert f"20 entries sent older than the centre's retention cut ({cut}), not stored " \
               f"there; the last at " in status
        report = json.loads(sync_status(path, "--json"))
        assert report["past_retention_code"] == "sync.past_retention_saved"
        assert report["past_retention_params"]["count"] == 20
        assert report["past_retention_params"]["cutoff"] == cut

        fill_backlog(folder / "kiosk.db", 5, kiosk_id="k-bg", start=time.time() - MONTH_AGO)
        worker = SyncWorker.from_config(config_mod.load(path))
        try:
            assert worker.push_now().past_retention == 5
        finally:
            worker.stop()
        assert "25 entries sent older than the centre's retention cut" in sync_status(path)
    finally:
        centre.stop()


def test_what_another_process_adds_meanwhile_is_kept_by_the_kiosks_next_save(
        tmp_path, capsys):
    """The kiosk runs (its sync status read at its start: nothing past retention yet) while
    ``kiosk sync push``, another process, sends 5 month-old entries to a purged centre. The
    kiosk's own last push then sends 3 more: the saved total is 8, not the kiosk's 3 written
    over the other process's 5 (5 entries marked done, not at the centre, said nowhere). The
    kiosk's last line (``run --until-done``'s) still counts only the 3 it sent itself."""
    from kiosk.cli import send_the_rest

    centre, token, cut = purged_centre(tmp_path, "k-two")
    try:
        folder = tmp_path / "kiosk"
        folder.mkdir()
        path = write_config(folder / "config.toml", kiosk_id="k-two", server_url=centre.url,
                            token=token)
        kiosk = SyncWorker.from_config(config_mod.load(path))
        try:
            before = kiosk.state().past_retention_count  # as run --until-done reads it
            fill_backlog(folder / "kiosk.db", 5, kiosk_id="k-two", start=time.time() - MONTH_AGO)
            pushed = subprocess.run(
                [sys.executable, "-m", "kiosk.cli", "sync", "push", "--config", str(path)],
                capture_output=True, text=True, timeout=60, check=True,
                stdin=subprocess.DEVNULL).stdout
            assert f"5 entries older than the retention cut ({cut})" in pushed
            assert "5 entries sent older than the centre's retention cut" in sync_status(path)

            fill_backlog(folder / "kiosk.db", 3, kiosk_id="k-two", start=time.time() - MONTH_AGO)
            assert send_the_rest(kiosk, threading.Event(), "en", before) == 0
        finally:
            kiosk.stop()
        assert capsys.readouterr().err.strip().endswith(
            f"; 3 entries older than the retention cut ({cut}): not stored, not counted")
        assert centre.stored_ids("k-two") == []
    finally:
        centre.stop()
    assert sync_states(folder / "kiosk.db") == {"acknowledged": 8}
    status = sync_status(path)
    assert f"8 entries sent older than the centre's retention cut ({cut}), not stored " \
           f"there; the last at " in status, status
    report = json.loads(sync_status(path, "--json"))
    assert (report["past_retention_code"], report["past_retention_params"]["count"],
            report["past_retention_params"]["cutoff"]) == ("sync.past_retention_saved", 8, cut)


def test_an_addition_keeps_the_later_cut_day_and_time_whichever_process_saved_them(tmp_path):
    """Each answer adds to the total on disk the entries it moves out of pending: the cut
    and the time there stay when they are later than the answer's (another process answered
    by a centre purged further, or whose write came first though made later); a value no
    one can read (a hand edit) counts as none, as a worker's start reads it."""
    from kiosk.messages import Words, saved_words
    from kiosk.store import Store
    from kiosk.sync.status import MetaKey, past_retention_added

    store = Store(tmp_path / "kiosk.db")
    try:
        def answered(count: int, cut: str | None, at: str) -> dict[str, object]:
            ids = fill_backlog(store.path, count, kiosk_id="k-add", start=time.time() - MONTH_AGO)
            store.mark_synced(ids, {}, past_retention=ids, added={
                MetaKey.PAST_RETENTION: past_retention_added(cut, parse_utc(at).timestamp())})
            words = saved_words(store.meta(MetaKey.PAST_RETENTION)[MetaKey.PAST_RETENTION])
            assert words is not None and words.code == "sync.past_retention_saved"
            return words.params

        store.set_meta({MetaKey.PAST_RETENTION: Words("sync.past_retention_saved", {
            "count": 5, "cutoff": "2026-11-20", "at": "2026-12-02T05:00:00.000000Z"}).saved()})
        assert answered(3, "2026-11-18", "2026-12-02T04:59:59.000000+00:00") == {
            "count": 8, "cutoff": "2026-11-20", "at": "2026-12-02T05:00:00.000000Z"}
        assert answered(2, "2026-11-25", "2026-12-02T05:01:00.000000+00:00") == {
            "count": 10, "cutoff": "2026-11-25", "at": "2026-12-02T05:01:00.000000Z"}
        assert answered(1, None, "2026-12-02T05:02:00.000000+00:00") == {
            "count": 11, "cutoff": "2026-11-25", "at": "2026-12-02T05:02:00.000000Z"}
        store.set_meta({MetaKey.PAST_RETENTION: "eleven, more or less"})
        assert answered(4, None, "2026-12-02T05:03:00.000000+00:00") == {
            "count": 4, "cutoff": "", "at": "2026-12-02T05:03:00.000000Z"}
    finally:
        store.close()


def test_run_until_done_says_what_went_past_the_centres_retention_during_the_run(tmp_path):
    """``kiosk run --until-done`` with a month-old backlog: whether the background sync or
    the last push sent it, the last line says "everything sent" and, on the same line, how
    many of them the centre does not hold (past its retention cut)."""
    from tests.test_headless_until_done import SCANS, replay_kiosk, run_until_done

    centre, token, cut = purged_centre(tmp_path, "k-until")
    try:
        config = replay_kiosk(tmp_path, centre.url, token)
        fill_backlog(tmp_path / "kiosk.db", 12, kiosk_id="k-until",
                     start=time.time() - MONTH_AGO)
        proc = run_until_done(config)
        assert proc.returncode == 0, proc.stderr
        last = proc.stderr.strip().splitlines()
        line = next(line for line in last if "everything sent to the centre" in line)
        assert line.endswith(f"; 12 entries older than the retention cut ({cut}): not "
                             f"stored, not counted")
        assert len(centre.stored_ids("k-until")) == SCANS
    finally:
        centre.stop()
    assert "pending" not in sync_states(tmp_path / "kiosk.db")


# -- a centre's odd cut (plain HTTP can be spoofed) -----------------------------------------
IDS = [f"id-{i}" for i in range(3)]


@contextmanager
def centre_answering(cut: object) -> Iterator[SyncClient]:
    """A "centre" on 127.0.0.1 answering any batch of ``IDS``: the first ``duplicate`` with
    ``past_retention`` = ``cut``, the second plain ``duplicate``, the third ``accepted``."""
    body = {
        "batch_id": "b", "received_at": "2026-12-02T00:00:00Z", "clock_offset_seconds": 0,
        "results": [{"id": IDS[0], "status": "duplicate", "past_retention": cut},
                    {"id": IDS[1], "status": "duplicate"},
                    {"id": IDS[2], "status": "accepted"}]}

    class Answer(JsonAnswering):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self._answer(body)

    with serving(Answer) as url, closing(SyncClient(url, "t")) as client:
        yield client


@pytest.mark.parametrize("cut", [
    "<h1 style='font-size:300px'>PAID</h1><img src='file:///etc/hostname'>",
    "9" * 8_000_000, "2026-11-1", "2026-13-01", "20261118", "", 20261118, ["2026-11-18"],
    {"day": "2026-11-18"}])
def test_a_cut_that_is_no_day_is_shown_nowhere_and_the_entry_is_still_past_retention(cut):
    """Markup, a huge string, a malformed day or another type as the cut: the centre still
    said it does not hold the entry, so it is counted past retention (calling it "already at
    the centre" would hide that), but with no cut, which is worded without a date."""
    from kiosk.messages import text

    with centre_answering(cut) as client:
        answer = client.post_batch(b"{}", "identity", IDS)
    assert (answer.accepted, answer.duplicate, answer.past_retention) == (1, 1, IDS[:1])
    assert answer.held == IDS
    assert answer.retention_cut is None
    assert text("sync.past_retention", "en", count=1, cutoff=answer.retention_cut or "") == \
        "1 entries older than the retention cut: not stored, not counted"


def test_a_cut_that_is_a_day_is_kept_and_a_null_one_is_a_plain_duplicate():
    with centre_answering("2026-11-18") as client:
        answer = client.post_batch(b"{}", "identity", IDS)
    assert (answer.duplicate, answer.past_retention, answer.retention_cut) == \
        (1, IDS[:1], "2026-11-18")
    with centre_answering(None) as client:  # the member as absent: nothing said
        answer = client.post_batch(b"{}", "identity", IDS)
    assert (answer.duplicate, answer.past_retention, answer.retention_cut) == (2, [], None)


def test_a_cut_later_than_the_kiosks_tomorrow_is_no_cut_yet_and_the_entry_still_past_it():
    """A cut is a day the centre's purge has passed: one after the kiosk's tomorrow (UTC; a
    day allowed for a centre's clock a little ahead) is a broken or spoofing centre's, not
    said, as a cut that is no day; the entry still counts past retention."""
    today = dt.datetime.now(dt.UTC).date()
    with centre_answering((today + dt.timedelta(days=1)).isoformat()) as client:
        assert client.post_batch(b"{}", "identity", IDS).retention_cut == \
            (today + dt.timedelta(days=1)).isoformat()
    for cut in ((today + dt.timedelta(days=2)).isoformat(), "9999-12-31", "9999-W52-5"):
        with centre_answering(cut) as client:
            answer = client.post_batch(b"{}", "identity", IDS)
        assert (answer.duplicate, answer.past_retention, answer.retention_cut) == (1, IDS[:1], None)


class _CentrePastRetention(TakingEveryBatch):
    """A "centre" on 127.0.0.1 answering every entry of a batch ``duplicate`` past the
    retention cut ``cut`` (a class attribute, changed between pushes)."""

    cut = "9999-12-31"

    def result(self, entry: str) -> dict[str, object]:
        return {"id": entry, "status": "duplicate", "past_retention": self.cut}


def test_a_centre_saying_a_cut_in_the_future_once_leaves_no_saved_cut_standing(tmp_path):
    """A misconfigured (or spoofed) centre once answers 5 entries past a cut of 9999-12-31:
    the kiosk's saved fact counts them but keeps no cut; a later answer's true cut is the
    one ``kiosk sync status`` says, not a day no purge has passed, pinned for good."""
    folder = tmp_path / "kiosk"
    folder.mkdir()
    handler = _CentrePastRetention.anew()
    true_cut = (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=14)).isoformat()
    with serving(handler) as url:
        path = write_config(folder / "config.toml", kiosk_id="k-cut", server_url=url,
                            token="t")

        def pushed(count: int, cut: str) -> dict[str, object]:
            """``count`` month-old entries pushed, answered past ``cut``: the saved fact as
            ``kiosk sync status --json`` reads it."""
            handler.cut = cut
            fill_backlog(folder / "kiosk.db", count, kiosk_id="k-cut",
                         start=time.time() - MONTH_AGO)
            worker = SyncWorker.from_config(config_mod.load(path))
            try:
                assert worker.push_now().past_retention == count
            finally:
                worker.stop()
            return json.loads(sync_status(path, "--json"))["past_retention_params"]

        assert pushed(5, "9999-12-31") | {"at": ""} == {"count": 5, "cutoff": "", "at": ""}
        assert pushed(3, true_cut) | {"at": ""} == {"count": 8, "cutoff": true_cut, "at": ""}
    assert f"8 entries sent older than the centre's retention cut ({true_cut})" in \
        sync_status(path)


@pytest.mark.parametrize(("language", "success", "title", "last"), [
    ("en", "Last success", "Past retention", "the last at"),
    ("vi", "Gửi thành công lần cuối", "Quá mốc lưu giữ", "lần gần nhất lúc")])
def test_kiosk_sync_status_gives_the_last_answers_time_as_the_times_beside_it(
        tmp_path, language, success, title, last):
    """The saved fact keeps its time as sortable UTC text to the microsecond (each addition
    compares it); ``kiosk sync status`` gives it as it gives the last success: in the
    kiosk's zone, with its age. Its JSON keeps the time as saved."""
    from kiosk.messages import Words
    from kiosk.store import Store
    from kiosk.sync.status import MetaKey
    from kiosk.timestamps import utc_iso

    at = utc_iso(time.time() - 3 * 86400 - 1800)  # "3 d 0 h ago", far from the next hour
    path = write_config(tmp_path / "config.toml", kiosk_id="k-at", language=language,
                        server_url="http://127.0.0.1:9", token="t")
    store = Store(tmp_path / "kiosk.db")
    try:
        store.set_meta({MetaKey.LAST_SUCCESS: at, MetaKey.PAST_RETENTION: Words(
            "sync.past_retention_saved", {"count": 5, "cutoff": "2026-11-18", "at": at}
        ).saved()})
    finally:
        store.close()
    lines = sync_status(path).splitlines()
    shown = next(line for line in lines if line.startswith(success)).removeprefix(
        success).strip()  # "2026-11-29 12:14:06 (3 d 0 h ago)": the kiosk's zone, its age
    local = parse_utc(at).astimezone(config_mod.load(path).timezone)
    assert shown.startswith(f"{local:%Y-%m-%d %H:%M:%S} (3 d 0 h")
    assert next(line for line in lines if line.startswith(title)).endswith(
        f"(2026-11-18), {'not stored there' if language == 'en' else 'trung tâm không lưu'}; "
        f"{last} {shown}")
    assert json.loads(sync_status(path, "--json"))["past_retention_params"]["at"] == at
