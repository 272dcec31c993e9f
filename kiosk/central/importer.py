"""``kiosk-central import FILE...``: load backlog files that kiosks exported for sneakernet.

Each file is opened with the centre's backlog key and checked whole against its kiosk's
registered signing key before anything is stored (see :mod:`kiosk.sync.backlog`), then fed
through the same ``Storage.ingest_batch`` as network uploads: idempotent on entry id, so
importing a file twice, or a file whose entries also arrived over the network, stores each
entry once (the rest come back ``duplicate``).

A revoked kiosk's file is refused like its uploads, unless an administrator says
``--allow-revoked --reason "…"`` (entries a kiosk wrote before it was stolen may still be
needed); that import is written to the audit log, with its reason, before anything is
stored. Even then, an entry whose id (the kiosk's clock at the scan, UUIDv7) or
``scanned_at`` is at or after the revocation is refused: a thief holds the signing key, so
only the times can tell, and a thief who set the clock back still gets through.

A file signed with a key its kiosk no longer holds (replaced or cleared by an administrator,
or by an enrolment code: ``retired_signing_keys``) is checked against that key and refused
the same way, unless an administrator says ``--allow-retired-key --reason "…"`` (a disk
that died with its last stick on the way loses nothing); that import is audited, and
stores only the entries taken while the key was the kiosk's: from its registration (less
the clock tolerance) until its retirement. The old machine's key, if it turns up in other
hands, signs nothing new or backdated that is stored (but for a clock set back into that
span); a key retired ``--compromised`` is not kept at all.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.commandline import (
    EXIT_STORE,
    EXIT_USAGE,
    FileName,
    ProgressBar,
    examples,
    log_cause,
    open_central,
    whole_number_argument,
)
from kiosk.messages import Number, both, os_words, shown_name
from kiosk.messages import refusal as refusal_words

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    from kiosk.central.storage import Kiosk, RetiredSigningKey, Storage, StorageError
    from kiosk.sync.backlog import BacklogReader, Manifest
    from kiosk.sync.protocol import Refusal
    from kiosk.sync.refusals import HeldIds

log = logging.getLogger(__name__)

EXIT_REFUSED = 1
"""A file refused, or entries of a file refused: not everything on the stick is at the
centre (``kiosk sync push`` exits 1 alike when the centre refuses entries)."""
BATCH_SIZE = 2000
REASONS_SHOWN = 5
BUSY_ATTEMPTS = 5
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _held_ids() -> HeldIds:
    from kiosk.sync.refusals import HeldIds  # not at start-up: the command's --help

    return HeldIds()


@dataclass
class ImportResult:
    path: Path
    kiosk_id: str = ""
    entries: int = 0
    accepted: int = 0
    duplicate: int = 0
    """Already held (an earlier import or upload)."""
    past_retention: int = 0
    """Answered ``duplicate`` but not held: filed before ``retention_cut``, the latest purge's
    cutoff (:data:`protocol.PAST_RETENTION`), neither stored nor counted."""
    retention_cut: str | None = None
    rejected: int = 0
    filed_at_arrival: int = 0
    """Of ``accepted``, dated after the import by the kiosk's clock (it runs ahead): filed
    at the import, their time uncertain (:data:`protocol.FILED_AT_ARRIVAL`)."""
    after_revocation: int = 0
    """Refused before the ingest: taken at or after the kiosk's revocation (allowed import)."""
    revoked_at: str | None = None
    retired_key: RetiredSigningKey | None = None
    """The kiosk's retired signing key the file was signed with (None: its registered key)."""
    after_retirement: int = 0
    """Refused before the ingest: taken at or after that key was retired."""
    before_registration: int = 0
    """Refused before the ingest: taken before that key was registered (less the tolerance)."""
    reasons: Counter[tuple[str, str]] = field(default_factory=Counter)
    """How many entries the ingest rejected, by the refusal's code and the field it names
    (a key too long in two fields is two reasons)."""
    first_refusals: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    """The first answer of each of ``reasons``: the example its summary line words."""
    refused: list[dict[str, Any]] = field(default_factory=list)
    """The answers of the entries rejected or refused before the ingest, for the kiosk
    (:mod:`kiosk.sync.refusals`)."""
    held: HeldIds = field(default_factory=_held_ids)
    """The ids of the entries the centre holds (accepted, duplicate, past the retention
    cut), acknowledged to the kiosk in its answer (:mod:`kiosk.sync.refusals`): all of a
    file's but those refused, the one thing an import holds more of the larger its file
    (39 bytes an entry)."""
    past_retention_ids: list[str] = field(default_factory=list)
    """Those of ``held`` answered past the retention cut."""
    entries_sha256: str = ""
    """Of the file's entries, once its signature was checked (:mod:`kiosk.sync.refusals`
    keys its answer with it); empty before."""
    receipt_key: bytes = b""
    """The file's receipt key, once its signature was checked: the answer's acknowledgement
    is sealed under a key derived from it (:meth:`BacklogReader.receipt_key`)."""
    centre_id: str = ""
    """This centre's id (:func:`kiosk.central.backlog_key.centre_id`), named in the answer,
    once the file's signature was checked: the kiosk refuses an answer of another centre's."""
    error: str | None = None
    storage_error: StorageError | None = None
    """The store failed part-way: what was answered before stands (a re-import completes
    it), the files after are not attempted."""

    @property
    def answered(self) -> int:
        return self.accepted + self.duplicate + self.past_retention + self.rejected

    @property
    def complete(self) -> bool:
        """Whether every entry of the file was answered: not cut short."""
        return self.error is None and self.storage_error is None

    @property
    def not_stored(self) -> int:
        """Entries refused, by the ingest or before it: none of them is at the centre."""
        return (self.rejected + self.after_revocation + self.after_retirement
                + self.before_registration)


def import_file(storage: Storage, path: str | Path, centre_key: X25519PrivateKey, *,
                batch_size: int = BATCH_SIZE, allow_revoked: str | None = None,
                allow_retired: str | None = None,
                actor: str = "", progress: Callable[[int, int], None] | None = None
                ) -> ImportResult:
    """Verify one backlog file against its kiosk's registered key, then store its entries.

    A refused file (not sealed to ``centre_key``, unknown or revoked kiosk, bad signature,
    truncated, altered) stores nothing and comes back with ``error`` set, as does a file
    that changed while it was read (what was answered before stands); a storage failure
    comes back in ``storage_error`` (what was stored is kept and a re-import completes it),
    with what was answered before it, for the kiosk (``FILE.refused``).
    ``allow_revoked``: the reason for importing a revoked kiosk's file anyway, recorded in
    the audit log under ``actor`` once the file proved genuine, before anything is stored;
    its entries taken at or after the revocation are counted in ``after_revocation``, not
    stored. A file signed with a key the kiosk held before (``retired_key``: its disk
    replaced while the stick was on its way) is refused but with ``allow_retired``, the
    reason audited under ``actor`` the same way; even then only what it took while the key
    was held is stored: entries taken at or after the retirement are counted in
    ``after_retirement``, those before its registration in ``before_registration``.
    """
    from kiosk.central.backlog_key import centre_id
    from kiosk.central.storage import StorageError
    from kiosk.sync import protocol
    from kiosk.sync.backlog import BacklogError, BacklogReader
    from kiosk.sync.backlog_keys import fingerprint

    result = ImportResult(Path(path))
    try:
        with BacklogReader(path, centre_key) as reader:
            manifest = reader.manifest
            result.kiosk_id = manifest.kiosk_id
            # Before the signature is checked, since the claimed kiosk names the key to check
            # it with: the manifest's text was checked storable when the file was opened.
            kiosk = storage.kiosk(manifest.kiosk_id)
            if kiosk is None:
                raise BacklogError("unknown_kiosk", reader.path, kiosk=manifest.kiosk_id)
            if kiosk.revoked_at is not None and allow_revoked is None:
                raise BacklogError("revoked", reader.path, kiosk=kiosk.id, at=kiosk.revoked_at)
            held = storage.signing_key(kiosk.id)
            if held is None or fingerprint(held[0]) != manifest.signing_key:
                result.retired_key = storage.retired_signing_key(kiosk.id, manifest.signing_key)
            _verify(reader, kiosk.id, held[0] if held else None, result.retired_key)
            result.centre_id = centre_id(storage)  # before the digest: what an answer needs
            result.entries, result.entries_sha256 = manifest.entries, manifest.entries_sha256
            result.receipt_key = reader.receipt_key()
            retired = registered = None
            if result.retired_key is not None:
                from kiosk.central import audit

                if allow_retired is None:
                    raise BacklogError("retired_key", reader.path, kiosk=kiosk.id,
                                       fingerprint=result.retired_key.fingerprint,
                                       at=result.retired_key.retired_at,
                                       reason=result.retired_key.reason)
                retired = dt.datetime.fromisoformat(result.retired_key.retired_at)
                registered = _registered_bound(result.retired_key)
                audit.append_action(
                    storage, "retired-key-import", actor=actor, channel="cli", address=None,
                    reason=allow_retired,
                    subject=f"{shown_name(Path(path).name)}: kiosk {kiosk.id}, signed with its "
                            f"signing key {result.retired_key.fingerprint} retired "
                            f"{result.retired_key.retired_at} "
                            f"({result.retired_key.reason}), {manifest.entries} entries "
                            f"{manifest.first_id} … {manifest.last_id}, sha256 "
                            f"{manifest.entries_sha256}; entries taken at or after "
                            f"{result.retired_key.retired_at} or before "
                            f"{result.retired_key.registered_at} (id or scanned_at) refused")
            revoked = None
            if kiosk.revoked_at is not None:
                from kiosk.central import audit

                result.revoked_at = kiosk.revoked_at
                revoked = dt.datetime.fromisoformat(kiosk.revoked_at)
                audit.append_action(
                    storage, "revoked-import", actor=actor, channel="cli", address=None,
                    reason=allow_revoked or "",
                    subject=f"{shown_name(Path(path).name)}: kiosk {kiosk.id} (revoked "
                            f"{kiosk.revoked_at}), "
                            f"{manifest.entries} entries {manifest.first_id} … "
                            f"{manifest.last_id}, sha256 {manifest.entries_sha256}; entries "
                            f"taken at or after {kiosk.revoked_at} (id or scanned_at) refused")
            for batch in reader.batches(batch_size):
                if revoked is not None:
                    batch, dropped = _refuse(result, batch, lambda e: _taken_after(e, revoked),
                                             protocol.Refusal("after_revocation",
                                                              at=kiosk.revoked_at))
                    result.after_revocation += dropped
                if retired is not None and result.retired_key is not None:
                    batch, dropped = _refuse(
                        result, batch, lambda e: _taken_after(e, retired),
                        protocol.Refusal("after_retirement",
                                         fingerprint=result.retired_key.fingerprint,
                                         at=result.retired_key.retired_at))
                    result.after_retirement += dropped
                if registered is not None and result.retired_key is not None:
                    batch, dropped = _refuse(
                        result, batch, lambda e: _taken_before(e, registered),
                        protocol.Refusal("before_registration",
                                         fingerprint=result.retired_key.fingerprint,
                                         at=result.retired_key.registered_at))
                    result.before_registration += dropped
                answers = _ingest(storage, kiosk.id, kiosk.checkpoint_id, batch,
                                  _measured(manifest, kiosk)) if batch else []
                result.held.extend([answer["id"] for answer in answers
                                    if answer["status"] != protocol.REJECTED])
                for answer in answers:
                    if answer["status"] == protocol.ACCEPTED:
                        result.accepted += 1
                        result.filed_at_arrival += bool(answer.get(protocol.FILED_AT_ARRIVAL))
                    elif protocol.PAST_RETENTION in answer:
                        result.past_retention += 1
                        result.retention_cut = answer[protocol.PAST_RETENTION]
                        result.past_retention_ids.append(answer["id"])
                    elif answer["status"] == protocol.DUPLICATE:
                        result.duplicate += 1
                    else:
                        result.rejected += 1
                        params = answer.get("params")
                        reason = (str(answer.get("code", "")), str(
                            params.get("field", "") if isinstance(params, dict) else ""))
                        result.reasons[reason] += 1
                        result.first_refusals.setdefault(reason, answer)
                        result.refused.append(answer)
                if progress:
                    progress(result.answered + result.after_revocation
                             + result.after_retirement + result.before_registration,
                             manifest.entries)
    except BacklogError as exc:
        result.error = str(exc)
    except StorageError as exc:
        result.storage_error = exc
    return result


def _refuse(result: ImportResult, batch: list[Any], taken: Callable[[Any], bool],
            refusal: Refusal) -> tuple[list[Any], int]:
    """The entries of ``batch`` not ``taken``, and how many were: each one taken is answered
    with ``refusal`` in ``result.refused``, so the kiosk learns it (``FILE.refused``)."""
    from kiosk.sync import protocol

    kept = []
    for entry in batch:
        if taken(entry):
            result.refused.append({"id": str(_member(entry, "id")), "status": protocol.REJECTED,
                                   **refusal.answer()})
        else:
            kept.append(entry)
    return kept, len(batch) - len(kept)


def _verify(reader: BacklogReader, kiosk_id: str, held: bytes | None,
            retired: RetiredSigningKey | None) -> None:
    """Check the file whole against the key its manifest names: the kiosk's registered
    key, or one it held before (``retired``). A refusal says which key failed: a retired
    one, the registered one the file names, or one this centre never held for the kiosk."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from kiosk.sync.backlog import BacklogError
    from kiosk.sync.backlog_keys import fingerprint

    key = retired.key if retired is not None else held
    if key is None:
        raise BacklogError("no_signing_key", reader.path, kiosk=kiosk_id)
    try:
        reader.verify(Ed25519PublicKey.from_public_bytes(key))
    except BacklogError as exc:
        if exc.words.code != "backlog.bad_signature":
            raise
        claimed = reader.manifest.signing_key
        if retired is not None:
            raise BacklogError("bad_retired_signature", reader.path, kiosk=kiosk_id,
                               claimed=claimed, at=retired.retired_at) from None
        if claimed != fingerprint(key):
            raise BacklogError("unknown_signing_key", reader.path, kiosk=kiosk_id,
                               registered=fingerprint(key), claimed=claimed) from None
        raise


def _taken_after(entry: Any, revoked: dt.datetime) -> bool:
    """Whether the kiosk's clock put ``entry`` at or after ``revoked``, by its id's time or
    its ``scanned_at``. A malformed id or time is left to the ingest, which names it."""
    return any(moment >= revoked for moment in _kiosk_times(entry))


def _registered_bound(key: RetiredSigningKey) -> dt.datetime | None:
    """The earliest time a retired key's entry may carry: its registration, less the clock
    tolerance (a kiosk's clock a little behind the centre's). None: registered when unknown."""
    from kiosk.central.localdays import CLOCK_TOLERANCE_SECONDS

    if key.registered_at is None:
        return None
    return dt.datetime.fromisoformat(key.registered_at) - \
        dt.timedelta(seconds=CLOCK_TOLERANCE_SECONDS)


def _taken_before(entry: Any, bound: dt.datetime) -> bool:
    """Whether the kiosk's clock put ``entry`` before ``bound``, by its id's time or its
    ``scanned_at``: a retired key signs nothing backdated to before the centre knew it."""
    return any(moment < bound for moment in _kiosk_times(entry))


def _kiosk_times(entry: Any) -> list[dt.datetime]:
    """The times the kiosk's clock gave ``entry``: its UUIDv7 id's and its ``scanned_at``,
    those readable."""
    from kiosk.ids import uuid7_time_ms
    from kiosk.sync import protocol

    entry_id = _member(entry, "id")
    scanned = protocol.parse_time(_member(entry, "scanned_at"))
    times = [scanned] if scanned is not None else []
    if protocol.is_uuid7(entry_id):
        times.append(_EPOCH + dt.timedelta(milliseconds=uuid7_time_ms(entry_id)))
    return times


def _member(entry: Any, name: str) -> Any:
    """A member of an entry as :meth:`BacklogReader.batches` hands it out: a
    :class:`protocol.Entry`, or a JSON object when one of its batch is not valid."""
    return entry.get(name) if isinstance(entry, dict) else getattr(entry, name, None)


def _measured(manifest: Manifest, kiosk: Kiosk) -> float | None:
    """The clock offset the centre last measured ``kiosk`` by over the network, if the file
    says the kiosk's clock as it was written (``manifest.clock``): off by more than the
    tolerance, its entries are filed at the later time and uncertain (docs/central.md, "A
    kiosk's clock in a backlog file"). None for a file of an older kiosk: filed as before."""
    return None if manifest.clock is None else kiosk.last_clock_offset


def _ingest(storage: Storage, kiosk_id: str, checkpoint_id: str,
            batch: list[Any], measured: float | None = None) -> list[dict[str, Any]]:
    """One transaction; waits out a busy database (the server writing) a few times."""
    from kiosk.central.storage import StorageBusy

    attempts = 0
    while True:
        received_at = dt.datetime.now(dt.UTC)
        try:
            return storage.ingest_batch(kiosk_id, batch, sent_at=None,  # clock unknown
                                        received_at=received_at, batch_id=str(uuid.uuid4()),
                                        checkpoint_id=checkpoint_id, time_window=True,
                                        measured_offset=measured)
        except StorageBusy as exc:
            attempts += 1
            if attempts >= BUSY_ATTEMPTS:
                raise
            time.sleep(exc.retry_after)


def cmd_import(args: argparse.Namespace) -> int:
    from kiosk.central.audit import AuditError, check_reason, command_actor
    from kiosk.central.backlog_key import CentreKeyError, key_path, open_key

    reason, actor = None, command_actor()  # audited: a revoked kiosk's, a retired key's
    if args.allow_revoked or args.allow_retired_key or args.reason:
        if not (args.allow_revoked or args.allow_retired_key):
            print(both("central.import.reason_alone"), file=sys.stderr)
            return EXIT_USAGE
        try:
            reason = check_reason(args.reason)
        except AuditError as exc:
            print(both("central.import.bad_reason", detail=exc), file=sys.stderr)
            return EXIT_USAGE
    refused = 0
    with open_central(args.db) as storage:
        try:
            centre_key = open_key(storage, key_path(args.backlog_key, args.db), create=False)
        except CentreKeyError as exc:
            print(f"{both('central.no_backlog_key')}: {exc}", file=sys.stderr)
            return EXIT_USAGE
        for number, name in enumerate(args.files):
            bar = ProgressBar(f"import {shown_name(Path(name).name)}")
            result = import_file(storage, name, centre_key, batch_size=args.batch_size,
                                 allow_revoked=reason if args.allow_revoked else None,
                                 allow_retired=reason if args.allow_retired_key else None,
                                 actor=actor,
                                 progress=bar.update)
            if result.storage_error is not None:
                log_cause(result.storage_error)  # SQLite's or PostgreSQL's own words: -v
                print(file=sys.stderr)  # below the progress bar
                print(both("central.import.storage_error", name=shown_name(name),
                           error=result.storage_error), file=sys.stderr)
                write_refusals(result, args.refusals_to)
                report_not_attempted(args.files[number + 1:])
                return EXIT_STORE
            if result.error:
                refused += 1
                report_cut_short(result)
                write_refusals(result, args.refusals_to)
                continue
            bar.finish()
            counts = {"name": shown_name(name), "kiosk": result.kiosk_id,
                      "entries": Number(result.entries),
                      "accepted": Number(result.accepted), "duplicate": Number(result.duplicate),
                      "rejected": Number(result.rejected)}
            if result.revoked_at is None:
                print(both("central.import.done", **counts))
            else:
                print(both("central.import.done_revoked", **counts, at=result.revoked_at,
                           after=Number(result.after_revocation)))
            if result.retired_key is not None:
                print("  " + both("central.import.retired_key", kiosk=result.kiosk_id,
                                  fingerprint=result.retired_key.fingerprint,
                                  at=result.retired_key.retired_at,
                                  after=Number(result.after_retirement),
                                  registered=result.retired_key.registered_at or "—",
                                  before=Number(result.before_registration)))
            if result.past_retention:  # "duplicate" to the ingest, yet not held
                print("  " + both("sync.past_retention", count=Number(result.past_retention),
                                  cutoff=result.retention_cut))
            if result.filed_at_arrival:  # the operator at the stick's site sets the clock
                print("  " + both("central.import.filed_at_arrival", kiosk=result.kiosk_id,
                                  count=Number(result.filed_at_arrival)))
            report_reasons(result)
            if result.not_stored:
                refused += 1
                print(both("central.import.entries_refused",
                           count=Number(result.not_stored)), file=sys.stderr)
            if not write_refusals(result, args.refusals_to):  # none refused: replaces
                refused += 1  # the kiosk cannot learn what the centre holds: not done
    return EXIT_REFUSED if refused else 0


def report_reasons(result: ImportResult) -> None:
    """Why the ingest rejected entries, one line per refusal code and field, most first: its
    count and its first entry's reason, worded from the code in both languages (the entries'
    own times differ: a line each hid the other reasons); past :data:`REASONS_SHOWN`, the
    rest named by code and field and summed."""
    groups = result.reasons.most_common()
    for reason_key, count in groups[:REASONS_SHOWN]:
        answer = result.first_refusals[reason_key]
        params = answer.get("params")
        reason = (refusal_words(reason_key[0], params) if isinstance(params, dict) else None) \
            or str(answer.get("reason", ""))
        print("  " + both("central.import.rejected", count=Number(count), reason=reason)
              if count > 1 else "  " + both("central.import.rejected_one", reason=reason))
    if len(groups) > REASONS_SHOWN:
        rest = groups[REASONS_SHOWN:]
        codes = ", ".join(f"{code} {name}".strip() for (code, name), _ in rest)
        print("  " + both("central.import.rejected_more", codes=codes,
                          count=Number(sum(count for _, count in rest))))


def write_refusals(result: ImportResult, folder: str | None) -> bool:
    """The answer for the kiosk: the refused entries' ids and reasons and the ids of those
    held, written beside the backlog file (or into ``folder``) and named: the way a site
    with no network learns of them (``kiosk sync load-refusals``), and lets the entries
    the centre holds leave its pending set. Written with none refused too, replacing an earlier
    import's file of the same name, which the latest import would contradict; for a file
    cut short (changed while read, the store failing), those answered before the stop, said
    to be only part. Not for a file refused before its signature was checked: its answer
    cannot be bound to it. An import cut short does not replace an earlier import's
    complete answer to the same file (a re-import failing at its first batch wrote an empty
    part over the refused entries). A write that fails (a full stick) is said with what to
    do, and is False: what was stored stands, but the kiosk learns none of it until the
    file is imported again."""
    from kiosk.sync import refusals

    if not result.entries_sha256:
        return True
    path = Path(folder or result.path.parent) / (result.path.name + refusals.SUFFIX)
    if not result.complete and refusals.answered_whole(path, result.entries_sha256,
                                                       result.receipt_key):
        print(both("central.import.refusals_kept", path=shown_name(str(path))),
              file=sys.stderr)
        return True
    try:
        refusals.write(path, kiosk_id=result.kiosk_id, entries_sha256=result.entries_sha256,
                       refused=result.refused, complete=result.complete, held=result.held,
                       past_retention=result.past_retention_ids,
                       retention_cut=result.retention_cut, receipt_key=result.receipt_key,
                       centre_id=result.centre_id)
    except OSError as exc:
        log.debug("the answer %s: %s", path, exc)  # the system's own words: -v
        print(both("central.import.refusals_unwritten", path=shown_name(str(path)),
                   reason=os_words(exc)), file=sys.stderr)
        return False
    if result.refused:
        print(both("central.import.refusals_written", path=shown_name(str(path)),
                   count=Number(len(result.refused)), held=Number(len(result.held))),
              file=sys.stderr)
    elif result.held:  # an empty one is for the kiosk only
        print(both("central.import.answer_written", path=shown_name(str(path)),
                   count=Number(len(result.held))))
    return True


def report_not_attempted(names: list[str]) -> None:
    """The files after a storage error, named to be imported again: the import stops there,
    since a store that failed one file (full disk, lost server, a lock held) would most
    likely fail the next, each after its own wait."""
    if names:
        print(both("central.import.not_attempted", count=len(names)), file=sys.stderr)
        for name in names:
            print(f"  {shown_name(name)}", file=sys.stderr)


def report_cut_short(result: ImportResult) -> None:
    """A refused file: why, and what was answered before (the file changed while it was
    read): entries past the retention cut were answered, yet not stored, so said apart."""
    outcome = both("central.import.nothing_stored") if not result.answered else \
        both("central.import.changed", answered=Number(result.answered),
             accepted=Number(result.accepted), duplicate=Number(result.duplicate),
             rejected=Number(result.rejected))
    print(f"{both('central.refused')} {result.error} — {outcome}", file=sys.stderr)
    if result.past_retention:
        print("  " + both("sync.past_retention", count=Number(result.past_retention),
                          cutoff=result.retention_cut or ""), file=sys.stderr)


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "import", parents=[common],
        help="load backlog files written by `kiosk sync export` (idempotent)",
        description="Open each backlog file with the centre's key and check it whole against "
                    "its kiosk's registered signing key, then store its entries; a refused "
                    "file stores nothing, and importing again is harmless. Exit code 1 if "
                    "any file or any entry was refused.",
        **examples("kiosk-central import /media/usb/ql1a-01.backlog",
                   "kiosk-central import --db sqlite:////var/lib/kiosk-central/central.db "
                   "/media/usb/*.backlog",
                   "kiosk-central import --allow-revoked --reason 'máy bị mất 12/3, dữ liệu "
                   "trước đó / stolen 12/3, entries before' old-kiosk.backlog",
                   "kiosk-central import --allow-retired-key --reason 'hỏng ổ đĩa, thẻ nhớ "
                   "cuối / disk died, its last stick, ticket 7' ql1a-01.backlog"))
    parser.add_argument("files", nargs="+", metavar="FILE", type=FileName,
                        help="backlog file(s)")
    parser.add_argument("--refusals-to", metavar="DIR",
                        help="where the refused entries' ids and reasons are written for "
                             "the kiosk, FILE.refused (default: beside each FILE, on the "
                             "stick)")
    parser.add_argument("--backlog-key", metavar="FILE",
                        help="the centre's backlog key (default: as for `serve`)")
    parser.add_argument("--allow-revoked", action="store_true",
                        help="import files of revoked kiosks too (needs --reason; written "
                             "to the audit log)")
    parser.add_argument("--allow-retired-key", action="store_true",
                        help="import files signed with a kiosk's retired signing key too "
                             "(needs --reason; written to the audit log): only their entries "
                             "taken while the key was the kiosk's are stored")
    parser.add_argument("--reason", help="why a revoked kiosk's file, or one signed with a "
                                         "retired key, is imported")
    parser.add_argument("--batch-size", type=whole_number_argument("--batch-size", least=1),
                        default=BATCH_SIZE,
                        help="entries per transaction (default: %(default)s)")
    parser.set_defaults(func=cmd_import)
