"""Scan → ScanResult: decode, duplicate policy, direction, durable write, then tell listeners.

A scan its device saw cut off (``Scan.cut``: the cable pulled mid-code, a terminator that
never came, line noise from a wrong baud rate; ``kiosk.devices.stream``) is refused
``code_cut`` — "not read whole, scan again" — before it is decoded: logged with the refused
scans, never an entry.

The decision and the write happen in one ``BEGIN IMMEDIATE`` transaction, so two devices
scanning the same person at once cannot both be "first", and a result says "accepted" only
after COMMIT returned.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

from kiosk import RELEASED, messages
from kiosk.certificates.verdicts import Checker, Verdict
from kiosk.clock import WrongClock, elapsed, released_moment, suspended_seconds, wrong_clock
from kiosk.enrolment import is_enrolment_code
from kiosk.ids import boot_id, uuid7
from kiosk.listeners import Listeners
from kiosk.payloads import Identity, Rejection, decode, payload_key
from kiosk.payloads.manual import ManualEntry, decode_manual
from kiosk.scan import Direction, Scan, ScanResult, Status
from kiosk.store import INSIDE_WINDOW, LastMovement, Store, StoreError
from kiosk.timestamps import card_day, local_today, utc_iso

log = logging.getLogger(__name__)
_PLACEHOLDER_ID = "00000000-0000-7000-8000-000000000000"
"""A valid UUIDv7 standing for the id while the centre's rules are checked."""
Listener = Callable[[ScanResult], None]
_DIRECTIONS = {direction.value: direction for direction in Direction}
"""``Direction(text)`` as a dictionary look-up: the enum's call costs each scan ~0.5 µs."""


@functools.cache
def _entry_rules() -> ModuleType:
    """The centre's entry rules (``kiosk.sync.protocol``, msgspec): imported at the first
    scan, not at start, and looked up once (an import statement costs each scan ~1 µs)."""
    from kiosk.sync import protocol
    return protocol


@dataclass(frozen=True)
class Policy:
    checkpoint_id: str
    kiosk_id: str
    duplicate_window_seconds: int = 300
    duplicate_policy: str = "warn"
    default_direction: str = "in"
    operator: str = ""
    certificate_policy: str = "record"
    """"record": every HC1 entry is recorded with its verdict; "require-valid": only a valid
    one is recorded going in, while going out is recorded whatever its verdict."""


class Pipeline:
    def __init__(self, store: Store, policy: Policy, certificates: Checker | None = None
                 ) -> None:
        self.store = store
        self.policy = policy
        self.certificates = certificates or Checker()
        """Checks every HC1 code (with no trust list: "no trust list, not checked")."""
        self.boot_id = boot_id()
        self.suspended: Callable[[], float | None] = suspended_seconds
        """The seconds this kiosk has been suspended in the boot (:func:`_since`); a replay of
        recorded scans sets the machine it was recorded on."""
        self._listeners: Listeners[ScanResult] = Listeners("scan result")
        self._begun: Listeners[Scan] = Listeners("scan begun")
        self.operator_direction = policy.default_direction
        """What a "toggle" lane records: the officer's switch (in / out / auto)."""
        newest = store.newest_entry_time()
        self._released = released_moment(store.timezone)
        """The release's first moment here: surely past, and remembered from no clock (a
        certificate that expired before it is expired at 1970 too)."""
        self._earliest = self._released if newest is None else max(self._released, newest)
        """The earliest the real time can be: the release's first moment, the newest entry's
        time, then each recorded scan's; a certificate that started before it is not "not
        yet valid" (one issued this morning, before the newest scan, is valid at 1970)."""
        self._earliest_day = RELEASED if newest is None else max(
            RELEASED, dt.datetime.fromtimestamp(newest, store.timezone).date())
        """The earliest the real local date can be: that time's day; a card's dates are
        checked against the later of it and the scan's own day, so a clock far behind (1970)
        does not call every card "in the future". Only ever more lenient: a time remembered
        from a clock once ahead takes cards dated up to it, and never calls a certificate
        expired. Kept here, not queried per scan: one left behind by another writer only
        judges as before."""

    @property
    def earliest_day(self) -> dt.date:
        """The earliest the real local date can be: the technician's live view judges a
        card's dates by it too."""
        return self._earliest_day

    # -- listeners ------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """``listener(result)`` after every scan's result is final; returns unsubscribe."""
        return self._listeners.subscribe(listener)

    def subscribe_begun(self, listener: Callable[[Scan], object]) -> Callable[[], None]:
        """``listener(scan)`` as each scan is taken up, before it is decoded and written;
        its result (the same ``scan``) always follows, even when taking it failed in a way
        nobody foresaw (:meth:`_fault`: NOT RECORDED). A screen shows that one is being
        saved when the answer is slow to come (another program holding the store:
        seconds), rather than the last answer or READY meanwhile. Returns unsubscribe."""
        return self._begun.subscribe(listener)

    def wrong_clock(self, now: float) -> WrongClock | None:
        """Whether the wall clock (``now``: the time it reads) is surely wrong: before the
        release (:func:`kiosk.clock.wrong_clock`). Not behind the newest entry: that one may
        have been written by a clock since set right. No query: screens ask every 5 s."""
        return wrong_clock(now, self._released)

    # -- entry points ---------------------------------------------------------------------
    def submit(self, scan: Scan) -> ScanResult:
        """Thread-safe; called by every device thread. Never raises: a failure nobody
        foresaw is answered NOT RECORDED (:meth:`_fault`)."""
        self._begun.notify(scan)
        try:  # costs a scan nothing until something raises (Python 3.11's zero-cost try)
            if scan.cut and not is_enrolment_code(scan.payload):  # a device's fragment, not
                # a whole code: "scan again", never an entry (an enrolment code's, cut or not,
                # is refused as one by decode: its secret is kept nowhere)
                return self._finish(scan, Rejection("code_cut", f"cut_{scan.cut}"))
            # the scan's own date where the kiosk stands (the store's zone is the configured
            # one), or the earliest the real date can be when the clock is behind that
            decoded = decode(scan.payload, today=card_day(self.store.timezone, scan.wall_time,
                                                          self._earliest_day))
            if isinstance(decoded, Identity) and decoded.kind == "hc1":
                # Before the write lock: the signature check costs CPU, not the database.
                # at 1970 every certificate would be "not yet valid", and every expired one
                verdict = self.certificates.check(decoded.raw.decode("ascii", "replace"),
                                                  scan.wall_time, started_by=self._earliest,
                                                  surely_past=self._released)  # valid
                if verdict.proves_nothing:  # anyone can write a real person's names into
                    # one: keyed by the code itself, it moves no one else in or out, nor
                    # traces them
                    decoded = dataclasses.replace(decoded, subject_key=payload_key(decoded.raw))
                entering = None
                if self.policy.certificate_policy == "require-valid" and not verdict.valid:
                    entering = Rejection("certificate_not_valid",
                                         f"certificate_{verdict.status}")
                return self._finish(scan, decoded, verdict, entering)
            return self._finish(scan, decoded)
        except Exception:
            return self._fault(scan)

    def submit_manual(self, entry: ManualEntry, device_id: str = "manual") -> ScanResult:
        """As :meth:`submit`, for a manual entry: never raises."""
        scan = Scan(payload=entry.to_bytes(), device_id=device_id, source="manual")
        self._begun.notify(scan)
        try:
            return self._finish(scan, decode_manual(entry))
        except Exception:
            return self._fault(scan)

    def _fault(self, scan: Scan) -> ScanResult:
        """Taking ``scan`` raised what is not a :class:`StoreError` (a program's fault: a
        value SQLite cannot bind, a decoder's bug): it is answered like any scan, NOT
        RECORDED (``kiosk_fault``, worded for the officer; the trace in the log), and the
        listeners hear it. A scan taken up (:meth:`subscribe_begun`) always ends in an
        answer: the officer's card read ĐANG LƯU… / SAVING… until the next scan's answer,
        and the device thread only logged the trace. Its write, if it began, was rolled
        back (:meth:`Store.transaction`); its refusal is logged in the store as any other's
        when that can be written."""
        rejection = Rejection("kiosk_fault")
        log.error("%s", messages.both("pipeline.log.not_recorded", device=scan.device_id,
                                      reason=messages.Words("kiosk_fault")), exc_info=True)
        try:
            result = self._refuse(scan, rejection)
        except Exception:  # the refusal's log line is lost, never the answer
            log.error("%s", messages.both("pipeline.log.refused_not_logged",
                                          reason=messages.Words("kiosk_fault")), exc_info=True)
            result = self._result(Status.REJECTED, scan, None, code=rejection.code,
                                  detail=rejection.words)
        self._listeners.notify(result)
        return result

    def set_direction(self, direction: str) -> None:
        if direction not in ("in", "out", "auto"):
            raise ValueError(f"direction must be in, out or auto, not {direction!r}")
        self.operator_direction = direction

    # -- the decision ---------------------------------------------------------------------
    def _finish(self, scan: Scan, decoded: Identity | Rejection,
                verdict: Verdict | None = None, entering: Rejection | None = None
                ) -> ScanResult:
        """``entering``: why this scan may not be recorded going in (a certificate that is
        not valid under "require-valid"); going out it is recorded all the same, or the
        person would stay "inside" for ever."""
        row: dict[str, object] = {}
        if isinstance(decoded, Identity):
            checked = self._checked_row(scan, decoded, verdict)
            if isinstance(checked, Rejection):
                decoded = checked
            else:
                row = checked
        if isinstance(decoded, Rejection):
            result = self._refuse(scan, decoded)
        else:
            try:
                recorded = self._record(scan, decoded, row, entering)
            except StoreError as exc:
                log.error("%s", messages.both("pipeline.log.not_recorded",
                                              device=scan.device_id, reason=exc.words))
                if exc.__cause__ is not None:  # SQLite's own English: the log's -v only
                    log.info("scan from %s NOT recorded: %s", scan.device_id, exc.__cause__)
                result = self._result(Status.REJECTED, scan, decoded, code="storage_error",
                                      detail=exc.words)
            else:
                result = recorded if isinstance(recorded, ScanResult) else \
                    self._refuse(scan, recorded)
        if verdict is not None:
            result = dataclasses.replace(result, certificate=verdict)
        self._listeners.notify(result)
        return result

    def _refuse(self, scan: Scan, rejection: Rejection) -> ScanResult:
        try:
            self.store.insert_refused({
                "id": uuid7(), "scanned_at": utc_iso(scan.wall_time),
                "device_id": scan.device_id, "reason_code": rejection.code,
                "detail": rejection.detail,
                # an enrolment code's one-time secret is not kept anywhere on the kiosk
                "payload": b"" if rejection.code == "enrolment_code" else scan.payload,
                "boot_id": self.boot_id, "monotonic_ns": scan.monotonic_ns,
            })
        except StoreError as exc:  # the refusal is still shown; only its log line is lost
            log.error("%s", messages.both("pipeline.log.refused_not_logged",
                                          reason=exc.words))
            if exc.__cause__ is not None:  # SQLite's own English: -v only
                log.info("could not log refused scan: %s", exc.__cause__)
        return self._result(Status.REJECTED, scan, None, code=rejection.code,
                            detail=rejection.words)

    def _checked_row(self, scan: Scan, identity: Identity, verdict: Verdict | None
                     ) -> dict[str, object] | Rejection:
        """The entry as the store holds it (``extra`` and ``certificate`` as JSON text), or
        why the centre would refuse it. The centre's own entry rules
        (:func:`protocol.entry_row`) check the entry and give the row that is written, in
        one pass: an entry the centre would always reject (a NUL in a name, a 4,097-character
        address, a payload over 64 KiB) is refused here with the reason, never shown as
        accepted and then stuck in the kiosk's quarantine. The id, direction, status and
        duplicate link are placeholders of valid values: ``_record`` chooses them under the
        write lock (the id created there so ids follow commit order)."""
        protocol = _entry_rules()
        policy = self.policy
        entry = {
            "id": _PLACEHOLDER_ID,
            "checkpoint_id": policy.checkpoint_id,
            "kiosk_id": policy.kiosk_id,
            "device_id": scan.device_id,
            "lane": scan.lane,
            "direction": "in",
            "status": "accepted",
            "duplicate_of": None,
            "source": scan.source,
            "symbology": scan.symbology,
            "scanned_at": utc_iso(scan.wall_time),
            "monotonic_ns": scan.monotonic_ns,
            "boot_id": self.boot_id,
            "kind": identity.kind,
            "subject_key": identity.subject_key,
            "match_key": identity.match_key,
            "document_number": identity.document_number,
            "name": identity.name,
            "birth_date": identity.birth_date,
            "gender": identity.gender,
            "address": identity.address,
            "issue_date": identity.issue_date,
            "extra": ({**identity.extra, "sent_hex": scan.sent.hex(), "sent_as": scan.sent_as}
                      if scan.sent else identity.extra),  # nothing lost of a re-encoded frame
            "operator": policy.operator,
            "payload_b64": identity.raw,  # the bytes themselves: no base64 there and back
            "certificate": verdict.to_record() if verdict else None,
        }
        values, refusal = protocol.entry_row(entry, protocol.KioskEntry)
        if values is None:
            assert refusal is not None
            words = refusal.words()
            assert isinstance(words, messages.Words)  # the kiosk's catalogue knows its codes
            return Rejection("centre_rules", reason=words)
        # The rules check the plain fields without changing them: the entry becomes the row.
        del entry["payload_b64"]
        entry["extra"], entry["payload"], entry["certificate"] = values[-3:]
        return entry

    def _intended_direction(self, scan: Scan) -> str:
        lane = scan.lane if scan.lane in ("in", "out", "auto") else self.operator_direction
        return lane

    def _record(self, scan: Scan, identity: Identity, row: dict[str, object],
                entering: Rejection | None = None) -> ScanResult | Rejection:
        """Decide under the write lock and write ``row`` (this scan's own: filled in here);
        ``entering`` is returned, nothing written, when the scan would be recorded going in."""
        policy = self.policy
        with self.store.transaction() as conn:
            subject = identity.subject_key
            if identity.document_masked and identity.match_key:
                subject = self.store.subject_for_match(identity.match_key) or subject
            last = self.store.last_movement(subject, policy.checkpoint_id, self.boot_id)
            intended = self._intended_direction(scan)
            since = _since(last, scan, self.suspended)
            direction = _resolve(intended, last, since)
            duplicate = (
                last is not None
                and policy.duplicate_policy != "allow"
                and abs(since) < policy.duplicate_window_seconds
                and (intended == "auto" or direction == last.direction)
            )
            if duplicate:
                assert last is not None
                direction = last.direction
            if entering is not None and direction == "in":
                return entering  # nothing written: the transaction ends empty
            if duplicate and policy.duplicate_policy == "block":
                return self._result(Status.DUPLICATE, scan, identity, code="blocked_duplicate",
                                    direction=direction, previous=last, since=since)
            entry_id = uuid7()
            row.update(id=entry_id, direction=direction, subject_key=subject,
                       status="duplicate" if duplicate else "accepted",
                       duplicate_of=last.entry_id if duplicate and last else None)
            self.store.insert_entry(conn, row)
            # under the store's lock: two device threads cannot lose each other's update
            self._earliest = max(self._earliest, scan.wall_time)
            self._earliest_day = max(self._earliest_day,
                                     local_today(self.store.timezone, scan.wall_time))
        # COMMIT has returned: only now may anyone be told "accepted".
        status = Status.DUPLICATE if duplicate else Status.ACCEPTED
        return self._result(status, scan, identity, code=str(status), direction=direction,
                            previous=last if duplicate else None, since=since,
                            entry_id=entry_id)

    def _result(self, status: Status, scan: Scan, identity: Identity | None, *, code: str,
                detail: messages.Words | str = "", direction: str | None = None,
                previous: LastMovement | None = None, since: float = 0.0,
                entry_id: str | None = None) -> ScanResult:
        """``since``: seconds from ``previous`` to ``scan`` (:func:`_since`), as decided."""
        previous_ts = previous.scanned_at.timestamp() if previous else None
        minutes = round(max(0.0, since) / 60) if previous else 0
        return ScanResult(
            status=status,
            scan=scan,
            identity=identity,
            entry_id=entry_id,
            direction=_DIRECTIONS[direction] if direction else None,
            reason_code=code,
            words=messages.Words(code, {"minutes": minutes, "detail": detail}),
            previous_wall_time=previous_ts,
            recorded=entry_id is not None,
        )


def _since(last: LastMovement | None, scan: Scan,
           suspended: Callable[[], float | None]) -> float:
    """Seconds from the person's last movement here to ``scan`` (0 without one). One of the
    running boot is timed by both clocks (:func:`elapsed`): a wall clock stepped an hour back
    between two reads of a card seconds apart must not make the second a new movement (auto:
    the person "out" while inside), nor one stepped forward; a night with the lid shut
    still counts as the night. An earlier boot's has the wall clock alone; when that clock
    reads before the movement (a flat RTC battery's 1970, a clock set back) the time since
    is unknown — taken as recent, a person in a week ago was recorded going out, and a
    real passage marked a double scan (refused under "block") — so it is neither: infinite.
    A lower bound (the newest entry's time) would rule in as much as it rules out."""
    if last is None:
        return 0.0
    wall = scan.wall_time - last.scanned_at.timestamp()
    if last.monotonic_ns is None:
        return wall if wall >= 0 else math.inf
    return elapsed(wall, (scan.monotonic_ns - last.monotonic_ns) / 1e9, suspended())


def _resolve(intended: str, last: LastMovement | None, since: float) -> str:
    """"auto": out if the person's last movement here, ``since`` seconds ago and within a
    day, was in; else in."""
    if intended != "auto":
        return intended
    recent = last is not None and since < INSIDE_WINDOW.total_seconds()
    return "out" if recent and last is not None and last.direction == "in" else "in"
