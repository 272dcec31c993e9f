"""Wiring: one configured kiosk = store + pipeline + device supervisor (+ sync when enabled).

Front ends (headless console, Qt) get a started ``Kiosk`` and only subscribe to it.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.certificates.verdicts import Checker
from kiosk.config import Config, ConfigError, resolved
from kiosk.messages import LANGUAGES, WordedError, Words, both, text
from kiosk.pipeline import Pipeline, Policy
from kiosk.store import Store, StoreError
from kiosk.upkeep import RefusalLog

if TYPE_CHECKING:
    from kiosk.certificates.refresh import Stopping
    from kiosk.devices.supervisor import Supervisor
    from kiosk.sync.worker import SyncWorker

log = logging.getLogger(__name__)
MAINTENANCE_PERIOD_SECONDS = 3600.0
"""The retention purge runs this often, and the whole-file check when its day is over."""
LINK_STOP_SECONDS = 5.0
"""How long stopping the link to the centre waits for each of its threads (the sync worker,
the trust-list thread) in a request to a centre that does not answer; then it is left behind
and closes itself once that request ends."""


def said_once(code: str, **params: object) -> str:
    """The sentence ``code`` in both languages, each ending in its ``log.once``: a line
    logged once while the store's refusal stands."""
    return " / ".join(f"{text(code, language, **params)} {text('log.once', language)}"
                      for language in LANGUAGES)


def _say(refusals: RefusalLog, words: Words | None, code: str, **params: object) -> None:
    """Log the sentence ``code``, a maintenance job's failure in ``words``, in both
    languages: once while they are the store's refusal (:class:`RefusalLog`:
    :func:`said_once`), else every time."""
    why = refusals.standing(words)
    if why is None:
        log.error("%s", both(code, **params))
    elif refusals.first(why):
        log.error("%s", said_once(code, **params))


def policy_from(config: Config) -> Policy:
    return Policy(
        checkpoint_id=config.kiosk.checkpoint_id,
        kiosk_id=config.kiosk.id,
        duplicate_window_seconds=config.policy.duplicate_window_seconds,
        duplicate_policy=config.policy.duplicate_policy,
        default_direction=config.policy.default_direction,
        operator=config.kiosk.operator,
        certificate_policy=config.certificates.policy,
    )


def certificate_checker(config: Config) -> Checker:
    """The trust list file named in the config, re-read whenever it changes."""
    return Checker(max_age=dt.timedelta(days=config.certificates.max_age_days),
                   path=config.trust_list_path)


def link_key(config: Config) -> tuple[object, ...]:
    """What the sync worker was built from: when it changes, the worker is rebuilt. The
    token is read, not its file name: re-enrolling writes a new token to the same file."""
    if not config.sync.enabled:
        return (False,)
    from kiosk.sync.kiosk_keys import resolve_token

    return (config.sync, config.kiosk.id, config.kiosk.checkpoint_id, resolve_token(config))


def store_file_of(config: Config) -> Path:
    """The file ``[store] path`` names (links followed, a relative path as SQLite takes it).
    A path that loops is a ConfigError, in the words the enrolment's check uses for it."""
    return resolved(config.store_path)


class KioskStopping(WordedError, RuntimeError):
    """An apply after :meth:`Kiosk.stop` began: refused, in words a screen shows."""


def _link_stopping() -> Stopping:
    from kiosk.certificates.refresh import Stopping  # `kiosk scan` loads no trust-list code

    return Stopping()


@dataclass
class _Link:
    """The running link to the centre: its key, the trust-list thread and how to stop them."""

    key: tuple[object, ...] = (False,)
    stopping: Stopping = field(default_factory=_link_stopping)
    trust_list: threading.Thread | None = None
    unsubscribe: Callable[[], None] = lambda: None


class Kiosk:
    def __init__(self, config: Config) -> None:
        from kiosk.devices.supervisor import Supervisor  # `kiosk scan` needs only the above

        self.config = config
        self.store_file = store_file_of(config)
        """The file the store opened (links followed, a relative path as SQLite took it):
        the one file this kiosk writes scans to until it restarts."""
        self.store = Store(config.store_path, timezone=config.timezone)
        try:  # the file may be gone already (deleted since it was opened): StoreError
            checked = self.store.run_left_marked()  # read only: nothing written yet
            if checked:  # a power cut, a kill: checked before the first scan (and the mark)
                log.info("%s", both("app.log.checking_before_start", path=config.store_path))
                damage = self.store.verify()  # a damaged file takes no scan
                if damage:  # SQLite's English findings: for the log, not the screen
                    log.info("%s: the whole-file check found damage: %s", config.store_path,
                             damage)
                    raise StoreError("store.failed", path=config.store_path,
                                     detail=Words("sqlite.damaged"))
                self.store.clear_ended_runs()  # checked for: a run still going keeps its own
            stopped_cleanly = self.store.begin_run()
            if config.sync.token or config.sync.token_file:  # as every command's open_store
                self.store.note_configured(config.kiosk.id)
            self._check_owed = not ((checked or stopped_cleanly)
                                    and self.store.verified_recently())
            """The start owes a whole-file check beside scans, by the maintenance thread
            (:meth:`_check_whole_file`): after a clean stop with no check within a day, or
            when this run's mark, or the stamp of the check made here, was not written."""
        except BaseException:
            self.store.close()
            raise
        self.start_checked = threading.Event()
        """Set once the start's check has run (or could not), at once when none is owed."""
        if self._check_owed:
            log.info("%s", both("app.log.checking_at_start", path=config.store_path))
        else:
            self.start_checked.set()
        self.store.damage_met = self.found_damaged  # a scan's write meeting damage
        try:  # what fails from here closes the store (and its upkeep thread): nothing holds it
            self.pipeline = Pipeline(self.store, policy_from(config),
                                     certificate_checker(config))
            self.supervisor = Supervisor(config.devices, self.pipeline.submit)
            self._stopping = threading.Event()
            self._maintenance = threading.Thread(target=self._maintenance_loop,
                                                 name="maintenance", daemon=True)
            self._purge_refusals = RefusalLog(self.store.not_recording)
            self._check_refusals = RefusalLog(self.store.not_recording)
            self._started = False
            self.link_stop_seconds = LINK_STOP_SECONDS
            """How long stopping the link waits for each of its threads
            (:data:`LINK_STOP_SECONDS`)."""
            self._applying = threading.Lock()
            """One :meth:`apply` at a time (the screen runs them on a pool of two): two at
            once would both stop the same old supervisor and each start their own, the first
            left running unseen on the same serial ports. :meth:`stop` takes it too."""
            self._link, sync = self._new_link(config, link_key(config))
        except BaseException:
            self.store.close()
            raise
        self.sync: SyncWorker | None = sync
        """Background upload to the centre when ``[sync] enabled`` (API: kiosk/sync/worker.py)."""

    def _new_link(self, config: Config,
                  key: tuple[object, ...]) -> tuple[_Link, SyncWorker | None]:
        """The sync worker and, beside it, the centre's trust list fetched hourly: built, not
        started. Building opens the worker's own store connection, which may fail: it opens
        only the file the kiosk's store opened, never an empty one made where the store was
        deleted (it would send from that, not from the file the kiosk records in), nor a
        copy moved over it (it would share the store's log and corrupt both files)."""
        link = _Link(key=key)
        if not config.sync.enabled:
            return link, None
        from kiosk.certificates.refresh import keep_fresh
        from kiosk.sync.worker import SyncWorker  # needs the "sync" extra (requests)

        store = Store(config.store_path, timezone=config.timezone, create=False,  # its own
                      same_as=self.store.identity)
        store.damage_met = self.found_damaged  # its writes (acknowledgements) meeting damage
        try:
            sync = SyncWorker.from_config(config, store, devices=lambda: self.supervisor.status(),
                                          damage_found=self.found_damaged)
        except BaseException:  # e.g. its saved state unreadable: the connection is not kept
            store.close()
            raise
        link.trust_list = threading.Thread(
            target=keep_fresh, name="trust-list", args=(config, link.stopping), daemon=True)
        return link, sync

    def _start_link(self) -> None:
        if self.sync is not None:
            self._link.unsubscribe = self.pipeline.subscribe(self.sync.notify)
            self.sync.start()
        if self._link.trust_list is not None:
            self._link.trust_list.start()

    def _stop_link(self) -> None:
        self._link.stopping.set()
        self._link.unsubscribe()
        if self.sync is not None:
            self.sync.stop(self.link_stop_seconds)
        if self._link.trust_list is not None and self._link.trust_list.is_alive():
            self._link.trust_list.join(timeout=self.link_stop_seconds)

    def start(self) -> None:
        self._started = True
        self._start_link()
        self.supervisor.start()
        self._maintenance.start()

    def apply(self, config: Config,
              watch: Callable[[Supervisor], None] | None = None) -> Supervisor:
        """Take an edited config without a restart: devices restart, the policy applies from
        the next scan, and a changed link to the centre (an enrolment: new ids, address or
        token) restarts the sync worker. ``watch`` subscribes to the new supervisor before
        its devices start.

        The devices restart first, under the new policy, and the old link stops after them:
        that waits for its requests in flight while the scanners already take scans, with a
        centre that does not answer up to :attr:`link_stop_seconds` for the sync worker, then
        as long for the trust-list thread (5 s + 5 s); what is still in a request then is
        left behind: it saves no sync status and writes no trust list any more (a late
        answer still acknowledges its entries), and closes itself once its request ends.
        The new link starts once the old one has stopped, one sync worker at a time sending
        from the store, and apply returns.

        Another ``[store] path``, or one that cannot be followed, is refused (ConfigError)
        before anything is built: scans go on to the store opened at the start, and a new
        sync worker on the new file would send none of them. What else can fail (the new
        worker opening its store: StoreError, e.g. the file deleted) is built while the old
        parts run: if it raises, the kiosk goes on with its old config, devices and link, so
        a config it cannot take never leaves the checkpoint's scanners stopped. A second
        apply meanwhile waits, then applies its config on top of this one; a :meth:`stop`
        meanwhile waits for it, and it starts no new link (stop closes it). Once
        :meth:`stop` has begun, an apply starts nothing (its store is closed):
        KioskStopping."""
        with self._applying:
            if self._stopping.is_set():  # e.g. queued on the screen's pool during shutdown
                raise KioskStopping("config.kiosk_stopping")
            return self._apply(config, watch)

    def _apply(self, config: Config,
               watch: Callable[[Supervisor], None] | None) -> Supervisor:
        from kiosk.devices.supervisor import Supervisor

        store_file = store_file_of(config)
        if store_file != self.store_file:
            raise ConfigError("config.store_moved", old=self.store_file, new=store_file)
        policy, certificates = policy_from(config), certificate_checker(config)
        supervisor = Supervisor(config.devices, self.pipeline.submit)  # opens nothing yet
        key = link_key(config)
        link = self._new_link(config, key) if key != self._link.key else None
        self.supervisor.stop()  # a serial port has one reader: the old one lets go first
        self.config = config
        self.pipeline.policy, self.pipeline.certificates = policy, certificates
        self.supervisor = supervisor
        if watch is not None:
            watch(supervisor)
        supervisor.start()  # before the old link stops, which may wait for its centre
        if link is not None:
            self._stop_link()
            self._link, self.sync = link
            if self._started and not self._stopping.is_set():  # a stop waits: built, unstarted
                self._start_link()
        return supervisor

    def stop(self) -> None:
        """Stop every part and close the store. An apply in flight (waiting for the old link
        to stop, 5 s + 5 s at most) is waited for: it would otherwise replace the link after
        this stopped it, the new one left open on a kiosk whose store is closed. The stop is
        marked clean (:meth:`Store.end_run`) only once no check is owed: a stop during the
        start's check leaves it owed by the next start."""
        self._stopping.set()
        with self._applying:
            self.supervisor.stop()
            self._stop_link()
        if self._maintenance.is_alive():
            self._maintenance.join(timeout=5)
        if not self._check_owed:
            self.store.end_run()
        self.store.close()

    def _maintenance_loop(self) -> None:
        """A kiosk runs for weeks: :meth:`maintain` now and every hour."""
        while True:
            self.maintain()
            if self._stopping.wait(MAINTENANCE_PERIOD_SECONDS):
                return

    def found_damaged(self) -> None:
        """The store file was found damaged, by the daily check (:meth:`maintain`), by a
        read of the sync worker's own connection (its ``damage_found``), or by a write of
        either connection (a scan's, an acknowledgement: :attr:`Store.damage_met`): the
        kiosk's Store refuses every scan from now on (the card says ``store.damaged`` at
        once), and the worker's connection reads nothing more (it uploads no more, its
        heartbeat saying ``store_damaged``). Called from any of these threads, under a
        Store's lock for a write's: each only sets its Store's refusal."""
        self.store.found_damaged()
        sync = self.sync
        if sync is not None:
            sync.store.found_damaged()

    def maintain(self) -> None:
        """Check the whole file when the start owes it or once a day
        (:meth:`_check_whole_file`), then purge acknowledged entries past retention (the
        check first: a long purge must not put off the start's check); scans go on
        meanwhile, and damage found stops the store taking scans (each shows "cannot save").
        Each says once why the store refused it (deleted, replaced, damaged, a full disk),
        not every hour while that stands (:class:`RefusalLog`); any other failure is logged
        each time, with its trace when it is not in words."""
        self._check_whole_file()
        try:
            removed = self.store.purge(self.config.store.retention_days, stop=self._stopping)
        except StoreError as exc:  # refused in words: nothing to trace
            _say(self._purge_refusals, exc.words, "app.log.purge_not_run", reason=exc.words)
        except Exception:  # a failed purge must never stop scanning
            log.exception("%s", both("app.log.purge_failed"))
        else:
            self._purge_refusals.done()
            if removed:
                log.info("retention: removed %d acknowledged entries", removed)

    def _check_whole_file(self) -> None:
        """The whole-file check (``PRAGMA quick_check``), when owed or a day old, run in the
        maintenance thread beside scans: after a clean stop with no check within a day, and
        daily. On a 1 GB store it reads for ~14 s after a reboot (the page cache cold), longer
        on an SD card, and the officer must not face a blank screen meanwhile when no crash
        happened: the file is then as likely sound as at any hour of the daily check. A start
        after a clean stop, the last check less than a day old, owes none (the daily one goes
        on from its stamp).

        After an unclean stop (a power cut, a kill: the run's mark left set, or another run's
        mark) the start checks in ``Kiosk.__init__`` instead, before the first scan is
        written, and refuses a damaged file: beside scans is not safe then. SQLite refuses a
        write that reads a damaged page, but not one that takes a page from a damaged free
        list — the damage a power cut most likely leaves: a free-list entry naming a live
        page lets scans commit ("accepted") over another table's rows (docs/architecture.md).

        Damage found here stops the store taking scans from then on (:meth:`found_damaged`,
        the card "cannot save"). A check that could not run (another program's lock) stays
        owed: tried again at the next hour."""
        try:
            owed = self._check_owed or not self.store.verified_recently()
            damage = self.store.verify() if owed else None
        except StoreError as exc:  # the file gone, or the check could not run
            _say(self._check_refusals, exc.words, "app.log.check_not_run", reason=exc.words)
        except Exception:  # e.g. the store closed under it while the kiosk stops
            log.exception("%s", both("app.log.check_failed"))
        else:
            self._check_owed = False
            if not damage:
                self._check_refusals.done()
            else:  # the store now refuses for it, and so does the sync worker's connection
                self.found_damaged()
                _say(self._check_refusals, self.store.refusal(), "app.log.store_damaged",
                     findings=damage)
        finally:
            self.start_checked.set()
