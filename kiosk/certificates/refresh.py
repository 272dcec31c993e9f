"""A kiosk fetches the centre's trust list when online (``GET`` + ``If-None-Match``).

The centre serves the list in this project's own file format; the body is checked to be a
trust list and written with how it came (:class:`~kiosk.certificates.trustlist.Fetched`):
this kiosk's clock when it arrived, the centre's clock then (the answer's ``Date``) and the
centre's ETag, asked with ``If-None-Match`` next time; an answer "unchanged" (304) records
the arrival anew with its ``Date``. The list's age at arrival is counted from the centre's
import, and from its arrival when this kiosk's clock was behind the centre's then
(:meth:`~kiosk.certificates.trustlist.TrustList.counted_from`); from there, within the boot,
by the clock since boot (:class:`~kiosk.certificates.trustlist.Boot`). A list held without that
record (imported here, or fetched by an older version), or one whose record this kiosk's
clock stamped while wrong, is fetched whole, not asked about. The running kiosk's checker
sees the new file on its next HC1 scan.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.certificates import trustlist
from kiosk.clock import since_boot
from kiosk.messages import both, os_words

if TYPE_CHECKING:
    from kiosk.config import Config
    from kiosk.sync.client import SyncClient

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Refreshed:
    changed: bool
    signers: int | None
    """Signers in the list just fetched; None when unchanged."""


class Stopping(threading.Event):
    """Set to stop a link's trust-list thread. Setting it waits for a list being written:
    once :meth:`set` returns, no list that thread fetched is written (after an enrolment, the
    old centre's late answer would replace the new centre's list)."""

    def __init__(self) -> None:
        super().__init__()
        self.writing = threading.Lock()

    def set(self) -> None:
        super().set()
        with self.writing:  # a list being written now is written before this returns
            pass


def refresh(client: SyncClient, path: Path, stopping: Stopping | None = None) -> Refreshed:
    """Fetch the list unless unchanged; raises SyncError (network, 404: the centre holds
    none) or TrustListError (the centre sent something that is not a trust list). Once
    ``stopping`` is set, a list fetched is not written (reported unchanged)."""
    asked = _asked_etag(path)
    answer = client.trust_list(asked)
    arrived, reading = dt.datetime.now(dt.UTC), since_boot()
    stopping = Stopping() if stopping is None else stopping  # a one-off fetch: never set
    body = answer.body
    if body is None:  # unchanged: current as of the centre's Date, recorded as arrived now
        with stopping.writing:
            if not stopping.is_set():
                _arrived_again(path, asked, trustlist.Fetched(arrived, answer.centre_time,
                                                              asked or ""), reading)
        return Refreshed(False, None)
    fetched = trustlist.parse(body, source="centre")
    fetched.check_all()  # the centre's file is in the kiosk's own format: check it here
    fetched = _on_boot_clock(replace(fetched, fetched=trustlist.Fetched(
        arrived, answer.centre_time, trustlist.etag(body))), reading, _held(path))
    with stopping.writing:
        if stopping.is_set():
            log.info("trust list from the centre not written: its link has stopped")
            return Refreshed(False, None)
        trustlist.save(fetched, path)
    log.info("trust list from the centre: %d signers, imported %s (centre's clock %s)",
             len(fetched), fetched.imported_at.isoformat(),
             answer.centre_time.isoformat() if answer.centre_time else "not sent")
    return Refreshed(True, len(fetched))


def _arrived_again(path: Path, asked: str | None, fetched: trustlist.Fetched,
                   reading: tuple[str, float] | None) -> None:
    """Record the held list's arrival anew (the centre answered that it is unchanged), when
    it still is the list asked about: a record stamped by a clock behind and set right
    since, or under a wrong Date, is dated again (no longer aged by the step)."""
    held = _held(path)
    if held is None or held.fetched is None or held.fetched.etag != asked:
        return
    trustlist.save(_on_boot_clock(replace(held, fetched=fetched), reading, held), path)


def _on_boot_clock(arrived: trustlist.TrustList, reading: tuple[str, float] | None,
                   held: trustlist.TrustList | None) -> trustlist.TrustList:
    """The list just ``arrived`` with where its age began on this boot's clock
    (``reading``: :func:`~kiosk.clock.since_boot` at arrival): its arrival less its age then
    (:meth:`~kiosk.certificates.trustlist.TrustList.age_at_arrival`). The same list
    ``held`` from earlier in this boot keeps the older of its own and that: within a boot
    no answer of the centre makes a list younger than the clock since boot says, whatever
    the wall clock did since (set back by a hostile hand, under a replayed ``Date``)."""
    fetched = arrived.fetched
    assert fetched is not None
    if reading is None:
        return arrived
    age = arrived.age_at_arrival()
    began = [] if age is None else [reading[1] - age.total_seconds()]
    if (held is not None and held.fetched is not None and held.fetched.etag == fetched.etag
            and not _set_right_since(held, fetched, reading)):
        boot = held.fetched.boot
        began += [boot.counted_from] if boot is not None and boot.id == reading[0] else []
    if not began:
        return arrived
    return replace(arrived, fetched=replace(fetched, boot=trustlist.Boot(reading[0],
                                                                        min(began))))


def _set_right_since(held: trustlist.TrustList, fetched: trustlist.Fetched,
                     reading: tuple[str, float]) -> bool:
    """Whether ``held`` arrived in this boot with this kiosk's clock ahead of the centre's
    ``Date`` (:meth:`~kiosk.certificates.trustlist.Fetched.ahead`) and the clock has been set
    right since: it now agrees with the ``Date`` of the answer ``fetched``, and that Date
    moved on from the held one as the clock since boot did (a live centre's clock, not an
    answer replayed: its Date stands still). Then the held record counted the clock's error
    as the list's age, for the whole boot, and is not kept."""
    then, now = held.fetched, fetched
    assert then is not None
    boot, age = then.boot, held.age_at_arrival()
    centre_then, centre_now = then.centre_clock(), now.centre_clock()
    if (not then.ahead() or boot is None or boot.id != reading[0] or age is None
            or centre_then is None or centre_now is None
            or abs(now.at - centre_now) > trustlist.AHEAD_SLACK):
        return False
    elapsed = reading[1] - boot.counted_from - age.total_seconds()  # since held arrived
    return abs((centre_now - centre_then).total_seconds() - elapsed) <= (
        trustlist.AHEAD_SLACK.total_seconds())


def _held(path: Path) -> trustlist.TrustList | None:
    """The list held now; None when there is none, or it is unreadable."""
    try:
        return trustlist.parse(path.read_bytes(), source=str(path))
    except (OSError, trustlist.TrustListError):
        return None


def _asked_etag(path: Path) -> str | None:
    """The ETag to ask the centre whether its list changed with: the one the list held came
    under, when it came from the centre while this kiosk's clock may have been right; else
    None (the whole list is fetched, and its arrival recorded anew)."""
    held = _held(path)  # none yet, or unreadable: fetched whole
    if held is None or held.fetched is None or held.fetched.clock_wrong():
        return None
    return held.fetched.etag


REFRESH_SECONDS = 3600.0
"""How often a kiosk with sync enabled asks the centre (a 304 costs a few hundred bytes)."""
RETRY_SECONDS = 300.0
"""How soon it asks again after a failure (offline, centre busy, no list at the centre)."""


def keep_fresh(config: Config, stopping: Stopping) -> None:
    """Refresh now, then every hour (five minutes after a failure) until ``stopping`` is set.
    Runs in its own thread beside the sync worker; never raises."""
    from kiosk.sync.client import SyncClient, SyncError
    from kiosk.sync.kiosk_keys import resolve_token

    client = SyncClient(config.sync.server_url, resolve_token(config),
                        timeout=config.sync.timeout_seconds,
                        allow_plain_http=config.sync.allow_plain_http)
    try:
        while True:
            wait = REFRESH_SECONDS
            try:
                refresh(client, config.trust_list_path, stopping)
            except (SyncError, trustlist.TrustListError, OSError) as exc:
                log.warning("%s", both("certificates.log.not_refreshed", reason=os_words(exc)
                                       if isinstance(exc, OSError) else exc))
                if isinstance(exc, OSError):  # the system's English: -v
                    log.info("trust list not refreshed from the centre: %s", exc)
                wait = RETRY_SECONDS
            if stopping.wait(wait):
                return
    finally:
        client.close()
