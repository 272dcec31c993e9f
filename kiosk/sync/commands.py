"""``kiosk sync status | push | retry-rejected | discard-rejected | export``: the
sync operator's tools.

They work whether or not ``kiosk run`` is running: status comes from the store (the worker
of a running kiosk writes its last success/error there), pushes and exports use their own
connection, and the centre's idempotency makes a push racing the background worker
harmless (the loser's entries come back ``duplicate``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.commandline import (
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
    EXIT_USAGE,
    ProgressBar,
    Terminated,
    day_argument,
    examples,
    format_duration,
    load_config,
    moment_argument,
    open_store,
    output_path_argument,
    stop_on_term,
    whole_number_argument,
)
from kiosk.messages import (
    Number,
    Tallies,
    both,
    number,
    os_words,
    saved_text,
    saved_words,
    shown_name,
    text,
)

if TYPE_CHECKING:
    from kiosk.sync.worker import SyncWorker, Wait

log = logging.getLogger(__name__)

EXIT_FAILED = 1
REJECTED_SHOWN = 20
PUSH_MAX_WAIT_SECONDS = 300
"""The longest wait the centre may ask for (``Retry-After``) that an operator's push sits
through (``--max-wait``'s default; the sync screen's too): the background worker honours
any, up to six hours, but an operator is not kept at the screen for hours."""


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    sync = subparsers.add_parser(
        "sync", help="upload to the centre, export, rejected entries",
        description="The sync operator's tools; they work whether or not `kiosk run` runs.",
        **examples("kiosk sync status", "kiosk sync push",
                   "kiosk sync export --to /media/usb/ql1a-01.backlog"))
    sub = sync.add_subparsers(dest="sync_command", required=True)

    status = sub.add_parser(
        "status", parents=[common],
        help="pending and rejected entries, last upload, server reachable",
        **examples("kiosk sync status", "kiosk sync status --offline",
                   "kiosk sync status --json | jq '.pending, .server_reachable'"))
    status.add_argument("--offline", action="store_true", help="do not contact the server")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(func=cmd_status)

    push = sub.add_parser(
        "push", parents=[common], help="upload everything pending now",
        description="Upload everything pending now, with a progress line; exit code 1 when "
                    "something could not be sent (it stays pending).",
        **examples("kiosk sync push", "kiosk sync push --config /etc/checkpoint-kiosk/config.toml",
                   "kiosk sync push --kiosk-id ql1a-old --token-file ql1a-old.token"))
    push.add_argument("--max-wait", metavar="SECONDS", default=PUSH_MAX_WAIT_SECONDS,
                      type=whole_number_argument("--max-wait"),
                      help="the longest wait the centre may ask for (Retry-After) that this "
                           "push sits through, saying until when; a longer one stops it at "
                           "once, saying when to try again; also the longest it waits for "
                           "another process sending this kiosk's entries (default: "
                           "%(default)s; the running kiosk's own sync waits any)")
    push.add_argument("--kiosk-id", metavar="ID",
                      help="send the entries recorded under this other kiosk id (left by an "
                           "enrolment under a new id), as that kiosk, with --token-file: the "
                           "centre acknowledges them and they leave the pending set")
    push.add_argument("--token-file", metavar="FILE",
                      help="that kiosk's token (`kiosk-central kiosks token ID` prints it)")
    push.set_defaults(func=cmd_push)

    retry = sub.add_parser(
        "retry-rejected", parents=[common], help="queue the entries the centre rejected again",
        description="Queue the entries the centre rejected again. With --checkpoint: only "
                    "those refused for a checkpoint the centre did not register this kiosk "
                    "at, filed under the one it did (it must be [kiosk] checkpoint_id); what "
                    "each was recorded under stays in the store's audit log.",
        **examples('kiosk sync retry-rejected --operator "Trần Văn Bảo"',
                   'kiosk sync retry-rejected --checkpoint CP-QL1A --operator "Trần Văn Bảo"'))
    retry.add_argument("--operator", default="", help="who asks (written to the audit log)")
    retry.add_argument("--checkpoint", metavar="ID",
                       help="the checkpoint the centre registered this kiosk at: the entries "
                            "it refused as filed under another are filed under this one")
    retry.set_defaults(func=cmd_retry_rejected)

    resend = sub.add_parser(
        "resend", parents=[common],
        help="send again what the centre acknowledged since a time (a centre restored "
             "from a backup)",
        description="Put the entries the centre acknowledged at or after --since (the "
                    "centre's time; moved back by as much as the centre last measured this "
                    "kiosk's clock behind) back in the pending set, for the next push to send "
                    "again: after the centre's database was restored from a backup, it no "
                    "longer holds what it received since the backup was taken. The centre "
                    "answers those it still holds 'already at the centre'; the others it "
                    "stores. Only entries still in the store (acknowledged within "
                    "[store] retention_days) can be sent again. Written to the audit log.",
        **examples('kiosk sync resend --since 2026-12-05T22:00 --operator "Trần Văn Bảo"',
                   "kiosk sync resend --since 2026-12-05T15:00+00:00   # then: kiosk sync push"))
    resend.add_argument("--since", required=True, type=moment_argument, metavar="DAY|TIME",
                        help="acknowledged from this local day (YYYY-MM-DD) or time "
                             "(YYYY-MM-DDTHH:MM) on: the backup's time less an hour, as "
                             "the centre's warning gives it")
    resend.add_argument("--operator", default="", help="who asks (written to the audit log)")
    resend.set_defaults(func=cmd_resend)

    load = sub.add_parser(
        "load-refusals", parents=[common],
        help="load the centre's answer to an exported file: what it holds, what it refused",
        description="Read the FILE.refused `kiosk-central import` wrote beside a backlog "
                    "file: the entries the centre holds leave the pending set (as an "
                    "upload's answer takes them out; they are not exported again), and "
                    "those it refused, still waiting here, are marked refused with its "
                    "reasons: `kiosk sync status` lists them and `kiosk sync "
                    "retry-rejected` queues them again, with no network. Entries are "
                    "marked held only by an answer sealed with the receipt key this kiosk "
                    "kept of that export; a file that answers no backlog file this kiosk "
                    "exported, or was altered on the stick, changes nothing. Once loaded, "
                    "the file can be deleted (--delete does).",
        **examples("kiosk sync load-refusals /media/usb/ql1a-01.backlog.refused"))
    load.add_argument("file", metavar="FILE",
                      help="the .refused file from the centre (its answer)")
    load.add_argument("--operator", default="", help="who loads it (written to the audit log)")
    load.add_argument("--delete", action="store_true",
                      help="delete FILE once loaded: it names entry ids (scan times) in clear")
    load.set_defaults(func=cmd_load_refusals)

    discard = sub.add_parser(
        "discard-unenrolled", parents=[common],
        help="delete the test entries of a kiosk id no centre ever enrolled",
        description="Delete the pending entries recorded under a kiosk id no centre ever "
                    "enrolled (the sample config's kiosk-01: `kiosk scan` tried before "
                    "`kiosk enrol`, the demo device's codes): no token can send them, so "
                    "they would wait for ever. Without --yes it only counts them: check at "
                    "the centre (`kiosk-central kiosks list`) that no kiosk has the id. "
                    "Refused for this kiosk's configured id and for any id this store shows "
                    "enrolled: its enrolment, its use with a token (recorded at each open "
                    "with a token), an export or refusals file of it in the audit log, or an "
                    "entry of it exported, acknowledged or refused. Written to the audit "
                    "log. Exit code 1 when nothing was deleted.",
        **examples('kiosk sync discard-unenrolled --kiosk-id kiosk-01 --reason "test scans '
                   'before enrolment"',
                   'kiosk sync discard-unenrolled --kiosk-id kiosk-01 --reason "test scans '
                   'before enrolment" --yes --operator "Trần Văn Bảo"'))
    discard.add_argument("--kiosk-id", required=True, metavar="ID",
                         help="the kiosk id they were recorded under (`kiosk sync status` "
                              "names it)")
    _deletion_options(discard, "how many, where and when")
    discard.set_defaults(func=cmd_discard_unenrolled)

    hopeless = sub.add_parser(
        "discard-rejected", parents=[common],
        help="delete entries the centre refused that can never be fixed",
        description="Delete entries the centre refused that no retry will ever get accepted "
                    "(a test code, a garbled scan): the retention purge removes only "
                    "entries the centre acknowledged, so these would keep their names here "
                    "for ever. All refused entries, or only those of one of the centre's "
                    "reason codes (--code, as this command and `kiosk sync status --json` "
                    "show it) or scanned before a day (--before). Without --yes it only "
                    "counts them, per reason code: fix and `kiosk sync retry-rejected` any "
                    "the centre would take. Pending, sent and acknowledged entries are never "
                    "touched. Overwritten in the file, written to the audit log. Exit code 1 "
                    "when nothing was deleted.",
        **examples('kiosk sync discard-rejected --reason "test codes"',
                   'kiosk sync discard-rejected --reason "test codes" --code refusal.invalid '
                   '--yes --operator "Trần Văn Bảo"',
                   'kiosk sync discard-rejected --reason "clock years behind" --before '
                   '2026-12-01 --yes'))
    hopeless.add_argument("--code", metavar="CODE",
                          help="only those refused for this reason code (refusal.too_old, …)")
    hopeless.add_argument("--before", type=day_argument, metavar="YYYY-MM-DD",
                          help="only those scanned before this local day")
    _deletion_options(hopeless, "how many, why and when")
    hopeless.set_defaults(func=cmd_discard_rejected)

    export = sub.add_parser(
        "export", parents=[common],
        help="write the pending backlog to a file for the centre to import",
        description="Write every pending entry to a backlog file signed with this kiosk's key "
                    "and encrypted to the centre's (a USB stick for a site with no network); "
                    "they stay pending until the centre has them.",
        **examples("kiosk sync export --to /media/usb/ql1a-01.backlog",
                   "kiosk sync export --to ql1a-01.backlog --force   # replace an older file",
                   "kiosk sync export --kiosk-id ql1a-old --to /media/usb/ql1a-old.backlog"))
    export.add_argument("--to", required=True, metavar="FILE", type=output_path_argument,
                        help="file to write (into a folder that is there: a mounted stick)")
    export.add_argument("--force", action="store_true", help="replace an existing file")
    export.add_argument("--kiosk-id", metavar="ID",
                        help="write the entries recorded under this other kiosk id instead "
                             "(left pending by an enrolment under a new id: this kiosk's "
                             "token cannot send them; `kiosk sync status` names them)")
    export.set_defaults(func=cmd_export)


def cmd_status(args: argparse.Namespace) -> int:
    from kiosk.clock import age_words, clock_wrong_now
    from kiosk.config import plain_http_refusal
    from kiosk.store import never_enrolled
    from kiosk.sync.kiosk_keys import KioskKeys
    from kiosk.sync.status import (
        META_PREFIX,
        MetaKey,
        elsewhere_words,
        error_current,
        past_retention_text,
        saved_clock_offset,
        saved_time,
    )
    from kiosk.timestamps import parse_utc, utc_iso

    config = load_config(args.config)
    store = open_store(config, reading=True)
    lang = config.kiosk.language
    try:
        summary = store.outbox_summary()
        sent = store.sync_counts()["sent"]
        elsewhere = store.pending_elsewhere(config.kiosk.id)
        meta = store.meta(META_PREFIX)
        answered = store.last_answer_loaded()
        rejected = [{**row, **coded("sync_error", row["sync_error"], lang)}
                    for row in store.rejected_entries(REJECTED_SHOWN)]
    finally:
        store.close()
    tests = {kiosk: elsewhere[kiosk] for kiosk in never_enrolled(config, elsewhere)}
    # before the release: what is scanned now is filed on the wrong day, or refused as too old
    wrong = clock_wrong_now(config.timezone)
    reachable: bool | None = None
    server_error = ""
    # a plain http:// centre of another machine is never contacted: "unreachable" sent the
    # operator to check a network that works; the reason and its fix are config check's
    refused = plain_http_refusal(config.sync.server_url, config.sync.allow_plain_http)
    if not args.offline and refused is None:
        from kiosk.sync.client import SyncClient, SyncError

        client = SyncClient(config.sync.server_url, "",
                            timeout=min(5.0, config.sync.timeout_seconds),
                            allow_plain_http=config.sync.allow_plain_http)
        try:
            client.health()
            reachable = True
        except SyncError as exc:
            reachable, server_error = False, exc.text(lang)
        finally:
            client.close()

    def saved_stamp(key: MetaKey) -> str | None:
        """A saved time as the sync worker reads it (:func:`saved_time`), as stored text."""
        epoch = saved_time(meta, key)
        return None if epoch is None else utc_iso(epoch)

    report = {
        "pending": summary.pending, "sent": sent, "rejected": summary.rejected,
        "oldest_pending": summary.oldest_pending,
        "last_success": saved_stamp(MetaKey.LAST_SUCCESS),
        "last_answer_loaded": None if answered is None else {
            "at": answered[0], "held": answered[1]},
        **coded("last_error", meta.get(MetaKey.LAST_ERROR), lang),
        "last_error_at": saved_stamp(MetaKey.LAST_ERROR_AT),
        "last_error_current": error_current(
            meta.get(MetaKey.LAST_ERROR), meta.get(MetaKey.LAST_ERROR_OVER) == "1")
        if meta.get(MetaKey.LAST_ERROR) else None,
        **coded("alert", meta.get(MetaKey.ALERT), lang),
        **coded("backlog_keys_alert", meta.get(MetaKey.KEYS_ALERT), lang),
        **coded("past_retention", meta.get(MetaKey.PAST_RETENTION), lang),
        "clock_offset_seconds": saved_clock_offset(meta),
        "clock_wrong": None if wrong is None else {
            "now": utc_iso(wrong.now), "released": utc_iso(wrong.released)},
        "server_url": config.sync.server_url, "server_reachable": reachable,
        "server_not_contacted": None if refused is None else refused(lang),
        "background_sync": config.sync.enabled,
        "backlog_keys": KioskKeys.for_config(config).summary(),
        "rejected_entries": rejected,
        "pending_elsewhere": elsewhere,
        "pending_unenrolled": tests,
    }
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1, allow_nan=False))  # NaN is no JSON
        return 0

    def when(stamp: str | None) -> str:
        if not stamp:
            return text("sync.never", lang)
        moment = parse_utc(stamp)
        ago = age_words(moment, lambda age: format_duration(age.total_seconds()))
        return f"{moment.astimezone(config.timezone):%Y-%m-%d %H:%M:%S} ({ago(lang)})"

    line = "{:24} {}".format
    print(line(text("sync.pending", lang), number(summary.pending, lang)))
    if sent:
        print(line(text("sync.exported", lang), number(sent, lang)))
    print(line(text("sync.rejected", lang), number(summary.rejected, lang)))
    print(line(text("sync.oldest", lang),
               when(summary.oldest_pending) if summary.oldest_pending else
               text("sync.none", lang)))
    print(line(text("sync.last_success", lang), when(report["last_success"])))
    if answered is not None:  # a stick's round trip: no upload says it
        print(line(text("sync.last_answer", lang), text(
            "sync.last_answer_state", lang, when=when(answered[0]), held=Number(answered[1]))))
    if report["last_error"]:  # one an upload after it ended is said to be over
        print(line(text("sync.last_error", lang),
                   f"{when(report['last_error_at'])}: {report['last_error']}"
                   if report["last_error_current"] else text(
                       "sync.error_resolved", lang, when=when(report["last_error_at"]),
                       error=report["last_error"])))
    if report["past_retention"]:  # marked done, the centre holding none: said nowhere else
        print(line(text("sync.past_retention_title", lang),
                   past_retention_text(meta[MetaKey.PAST_RETENTION], lang, when)))
    if report["clock_offset_seconds"] is not None:
        print(line(text("sync.clock", lang), f"{report['clock_offset_seconds']:+.1f} s"))
    if wrong is not None:
        print(f"{text('sync.alert', lang)}: "
              f"{text('clock.wrong', lang, **wrong.times(config.timezone))}")
    state = (text("sync.not_contacted", lang, reason=refused) if refused is not None
             else "?" if reachable is None else text("sync.reachable", lang) if reachable
             else f"{text('sync.unreachable', lang)} ({server_error})")
    print(line(text("sync.server", lang), f"{config.sync.server_url} — {state}"))
    keys = report["backlog_keys"]
    print(line(text("sync.backlog_keys", lang), text(
        "sync.backlog_keys_state", lang, own=keys["signing_key"] or "–",
        registered=text("sync.key_registered" if keys["registered"] else
                        "sync.key_unconfirmed", lang),
        centre=keys["centre_key"] or "–")))
    if not config.sync.enabled:
        print(text("sync.sync_disabled", lang))
    for alert in (report["alert"], report["backlog_keys_alert"]):
        if alert:
            print(f"{text('sync.alert', lang)}: {alert}")
    if (stranded := elsewhere_words(elsewhere)) is not None:
        print(f"{text('sync.alert', lang)}: {stranded(lang)}")
    if tests:  # no token will ever send them: the way out is another
        print(f"{text('sync.alert', lang)}: " + text(
            "sync.pending_unenrolled", lang, first=next(iter(tests)),
            kiosks=Tallies(tests.items())))
    for row in rejected:
        print(f"  ✗ {row['id']}  {row['scanned_at']}  {row['device_id']}  {row['sync_error']}")
    if summary.rejected > len(rejected):
        print(f"  … +{number(summary.rejected - len(rejected), lang)}")
    return 0


def coded(name: str, saved: str | None, language: str) -> dict[str, Any]:
    """``name``: the saved sentence worded in ``language``, for people; ``name_code`` and
    ``name_params``: its catalogue code and parameters, for scripts (null for text saved as
    such: an older kiosk's, or a centre's reason without a code this kiosk knows)."""
    words = saved_words(saved) if saved else None
    plain = words.plain() if words is not None else {"code": None, "params": None}
    return {name: saved_text(saved, language) if saved else None,
            f"{name}_code": plain["code"], f"{name}_params": plain["params"]}


def _deletion_options(parser: argparse.ArgumentParser, counted: str) -> None:
    """``--reason``, ``--yes`` and ``--operator`` of a command that deletes entries for good:
    counted first (``counted``: what it says without ``--yes``), audited."""
    parser.add_argument("--reason", required=True,
                        help="why they are deleted (written to the audit log)")
    parser.add_argument("--yes", action="store_true",
                        help=f"delete them (without it: only say {counted})")
    parser.add_argument("--operator", default="",
                        help="who deletes them (written to the audit log)")


def _worker(args: argparse.Namespace, *, read_when_full: bool = False,
            token: str | None = None) -> tuple[SyncWorker, str]:
    """The worker on a store of its own, or the friendly exit if the store cannot be
    opened. ``read_when_full`` (an export): the store only read when the disk is too full
    to open it for writing (``open_store``): the file is written all the same, its entries
    not marked exported. ``token`` (``push --kiosk-id``): the worker is that other kiosk id
    of this store, sending with that id's token."""
    from kiosk.sync.worker import SyncWorker

    config = load_config(args.config)
    store = open_store(config, read_when_full=read_when_full)
    try:
        if token is None:
            return SyncWorker.from_config(config, store), config.kiosk.language
        store.note_configured(args.kiosk_id)  # its token in hand: a real id, never discarded
        first = store.pending(1, kiosk_id=args.kiosk_id)
        return SyncWorker.from_config(
            config, store, kiosk_id=args.kiosk_id, token=token, token_setting=args.token_file,
            checkpoint_id=first[0]["checkpoint_id"] if first else config.kiosk.checkpoint_id
        ), config.kiosk.language
    except BaseException:
        store.close()
        raise


def cmd_push(args: argparse.Namespace) -> int:
    from kiosk.sync.status import elsewhere_words

    token = None
    if args.kiosk_id or args.token_file:
        if not (args.kiosk_id and args.token_file):
            print(both("sync.push_other_needs_both"), file=sys.stderr)
            return EXIT_USAGE
        try:
            token = Path(args.token_file).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            reason = os_words(exc) if isinstance(exc, OSError) else exc.reason
            print(both("sync.push_token_unreadable", path=args.token_file, reason=reason),
                  file=sys.stderr)
            return EXIT_USAGE
    worker, lang = _worker(args, token=token)
    try:
        others = worker.store.pending_elsewhere(worker.kiosk_id)  # this token cannot send
        if (stranded := elsewhere_words(others.items())) is not None:
            print(stranded(lang), file=sys.stderr)
        pending = worker.state().pending - sum(others.values())
        if pending == 0:
            print(text("sync.nothing_pending", lang))
            _say_refused(worker.store.outbox_summary().rejected, lang)
            # "connect once" for files; this kiosk's own keys, not another id's (--kiosk-id)
            if token is None and (unknown := worker.learn_keys()) is not None:
                print(text("sync.push_keys_unknown", lang, reason=unknown), file=sys.stderr)
            return 0  # this push left nothing undone: older refusals are the doctor's
        bar = ProgressBar("push", pending)

        def progress(p: Any) -> None:
            bar.update(p.done, p.total)

        def waiting(wait: Wait) -> None:
            bar.finish()  # the progress line ended, the wait said below it
            say_wait(wait, lang)

        def another(pid: int) -> None:
            bar.finish()
            say_another_sending(pid, lang)

        try:
            summary = worker.push_now(progress, elsewhere=others, max_wait=args.max_wait,
                                      waiting=waiting, another=another)
        except KeyboardInterrupt:  # Ctrl-C, as a wait's words offer: no traceback
            bar.finish()
            left = worker.store.outbox_summary().pending - sum(others.values())
            print(text("sync.push_interrupted", lang, remaining=Number(left)), file=sys.stderr)
            return EXIT_INTERRUPTED
        bar.finish()
        refused = worker.store.outbox_summary().rejected
    finally:
        worker.stop()
    print(text("sync.push_done", lang, done=Number(summary.done), seconds=summary.seconds,
                     accepted=Number(summary.accepted), duplicate=Number(summary.duplicate),
                     rejected=Number(summary.rejected), remaining=Number(summary.remaining)))
    if summary.filed_at_arrival:  # held, but when they were made is not known
        print(text("sync.filed_at_arrival", lang, count=Number(summary.filed_at_arrival)))
    if summary.past_retention:  # marked done, yet not at the centre
        print(text("sync.past_retention", lang, count=Number(summary.past_retention),
                   cutoff=summary.retention_cut or ""))  # not said: worded without
    if summary.error:
        print(text("sync.push_failed", lang, error=summary.error), file=sys.stderr)
        return EXIT_FAILED
    _say_refused(refused, lang)
    return EXIT_FAILED if summary.rejected else 0


def say_wait(wait: Wait, language: str) -> None:
    """A wait the centre asked for, on stderr, as ``kiosk sync push`` and ``kiosk run
    --until-done`` say it: else a push seems to hang for as long as the centre asks."""
    print(text("sync.push_waiting", language, waiting=wait.words()), file=sys.stderr,
          flush=True)


def say_another_sending(pid: int, language: str) -> None:
    """Another process sends this store's backlog, the push waiting for it: said, as
    ``kiosk sync push`` and ``kiosk run --until-done`` say it, else it seems to hang."""
    print(text("sync.push_another_sending", language, pid=pid or "?"), file=sys.stderr,
          flush=True)


def _say_refused(refused: int, language: str) -> None:
    """Entries the centre refused sitting in the store, said after every push: they are not
    at the centre and nothing sends them again by itself. A push that had entries refused
    exits EXIT_FAILED, as one that left entries pending (not everything it sent is at the
    centre); refusals of earlier pushes do not fail every later one (a refusal nobody can
    fix would fail it for good): ``kiosk doctor`` keeps naming them (docs/sync-operator.md)."""
    if refused:
        print(text("sync.push_left_refused", language, count=Number(refused)),
              file=sys.stderr)


def cmd_retry_rejected(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    lang = config.kiosk.language
    actor = args.operator or config.kiosk.operator or "operator"
    if args.checkpoint is not None and args.checkpoint != config.kiosk.checkpoint_id:
        print(text("sync.retry_checkpoint_not_configured", lang, given=args.checkpoint,
                   configured=config.kiosk.checkpoint_id, config=args.config), file=sys.stderr)
        return EXIT_USAGE  # nothing changed: the config is set right first
    store = open_store(config)
    try:
        if args.checkpoint is None:
            count = store.retry_rejected(actor)
        else:
            count = store.retry_other_checkpoint(args.checkpoint, actor)
        left = store.outbox_summary().rejected
    finally:
        store.close()
    if args.checkpoint is None:
        print(text("sync.retried", lang, count=count))
    else:
        print(text("sync.retried_checkpoint", lang, count=count, checkpoint=args.checkpoint))
    if left:
        print(text("sync.still_refused", lang, count=Number(left)))
    return 0


def cmd_resend(args: argparse.Namespace) -> int:
    """``kiosk sync resend --since``: :meth:`Store.resend_acknowledged` from a local day or
    time; the count said, and what the next push does with them.

    ``--since`` is the centre's time (its restored-database warning gives it), but the
    acknowledgements were stamped by this kiosk's clock: one the centre last measured behind
    (``sync.clock_offset_seconds``, past :data:`protocol.CLOCK_TOLERANCE_SECONDS`) stamped
    them that much earlier, so the time is moved back by as much — else an hour's margin
    misses every entry a kiosk 3 h slow uploaded after the backup. Sending too much is
    harmless (the centre answers ``duplicate``); a kiosk ahead keeps the time as given."""
    from kiosk.sync import protocol
    from kiosk.sync.status import META_PREFIX, saved_clock_offset
    from kiosk.timestamps import parse_utc, utc_iso

    config = load_config(args.config)
    lang = config.kiosk.language
    store = open_store(config)
    try:
        if isinstance(args.since, dt.datetime):
            moment = args.since if args.since.tzinfo else args.since.replace(
                tzinfo=store.timezone)
            since = utc_iso(moment.timestamp())
        else:
            since = store.day_bounds(args.since)[0]
        behind = saved_clock_offset(store.meta(META_PREFIX)) or 0.0
        if behind > protocol.CLOCK_TOLERANCE_SECONDS:
            print(text("sync.resend_clock_behind", lang, seconds=Number(behind)))
            since = utc_iso(parse_utc(since).timestamp() - behind)
        count = store.resend_acknowledged(since,
                                          args.operator or config.kiosk.operator or "operator")
        shown = parse_utc(since).astimezone(store.timezone).strftime("%Y-%m-%d %H:%M")
    finally:
        store.close()
    print(text("sync.resent", lang, count=Number(count), since=shown))
    return 0


def cmd_load_refusals(args: argparse.Namespace) -> int:
    """Load the centre's answer to a backlog file: its refusals, and the entries it holds,
    which leave the pending set once the answer proved keyed with the export's receipt key
    (:func:`kiosk.sync.refusals.load`, the sync screen's too)."""
    from kiosk.sync.kiosk_keys import KioskKeys
    from kiosk.sync.refusals import RefusalsError, load

    config = load_config(args.config)
    lang = config.kiosk.language
    store = open_store(config)
    # its clock started before the load: made at the first part's end, its first line's
    # rate was that part over microseconds ("292,825,785/s")
    bar = ProgressBar(shown_name(args.file), stream=sys.stderr)
    totals: list[int] = []  # drawn once it takes parts: a million ids, minutes

    def progress(done: int, total: int) -> None:
        totals[:] = [total]
        bar.update(done, total)

    try:
        loaded = load(store, args.file, args.operator or config.kiosk.operator or "operator",
                      KioskKeys.for_config(config), progress)
    except RefusalsError as exc:
        print(exc.text(lang), file=sys.stderr)
        return EXIT_FAILED
    finally:
        store.close()
        for total in totals:
            bar.update(total, total)
            bar.finish()
    for words in loaded.words():
        print(words(lang))
    return _dispose_of_answer(args.file, args.delete, lang)


def _dispose_of_answer(path: str, delete: bool, lang: str) -> int:
    """Once loaded, the answer has done its work and its refused ids (scan times) are in
    clear on a stick: delete it if asked, else say it may go."""
    name = shown_name(path)
    if not delete:
        print(text("sync.answer_deletable", lang, path=name))
        return 0
    try:
        os.remove(path)
    except OSError as exc:
        print(text("sync.answer_not_deleted", lang, path=name, reason=os_words(exc)(lang)),
              file=sys.stderr)
        return EXIT_FAILED
    print(text("sync.answer_deleted", lang, path=name))
    return 0


def cmd_discard_unenrolled(args: argparse.Namespace) -> int:
    """Counts first, the deletion only with --yes: test entries of an id no centre enrolled
    are the one kind of entry this kiosk ever deletes unsent, so it is asked for by name,
    with a reason, and refused wherever the store or the config shows a real enrolment."""
    from kiosk.commandline import audit_actor, local_time
    from kiosk.store import StoreError

    config = load_config(args.config)
    lang = config.kiosk.language
    if not args.reason.strip():
        print(text("sync.discard_needs_reason", lang), file=sys.stderr)
        return EXIT_USAGE
    sync = config.sync
    if args.kiosk_id == config.kiosk.id and (sync.enabled or sync.token or sync.token_file):
        print(text("sync.discard_configured", lang, kiosk=args.kiosk_id, config=args.config),
              file=sys.stderr)
        return EXIT_FAILED
    store = open_store(config, reading=not args.yes)
    try:
        found = store.unenrolled(args.kiosk_id)
        if found.enrolled is not None:
            print(text("store.discard_enrolled", lang, kiosk=args.kiosk_id,
                       evidence=text(f"store.enrolment_{found.enrolled}", lang)),
                  file=sys.stderr)
            return EXIT_FAILED
        if not found.count:
            print(text("sync.discard_none", lang, kiosk=args.kiosk_id))
            return EXIT_FAILED
        if not args.yes:
            print(text("sync.discard_preview", lang, count=Number(found.count),
                       kiosk=args.kiosk_id, first=local_time(found.first_at or "", store),
                       last=local_time(found.last_at or "", store), checkpoints=", ".join(
                           f"{checkpoint}: {number(count, lang)}"
                           for checkpoint, count in found.checkpoints.items())))
            return EXIT_FAILED
        try:
            done = store.discard_unenrolled(args.kiosk_id, audit_actor(args, config),
                                            args.reason.strip())
        except StoreError as exc:
            if exc.words.code != "store.discard_enrolled":
                raise
            print(exc.words(lang), file=sys.stderr)
            return EXIT_FAILED
    finally:
        store.close()
    print(text("sync.discard_done", lang, count=Number(done.count), kiosk=args.kiosk_id))
    return 0


def cmd_discard_rejected(args: argparse.Namespace) -> int:
    """Counts first, per reason code, the deletion only with --yes and a reason: refused
    entries never reached the centre, so deleting them loses them for good."""
    from kiosk.commandline import audit_actor, local_time

    config = load_config(args.config)
    lang = config.kiosk.language
    if not args.reason.strip():
        print(text("sync.discard_needs_reason", lang), file=sys.stderr)
        return EXIT_USAGE
    store = open_store(config, reading=not args.yes)
    try:
        before = store.day_bounds(args.before)[0] if args.before else None
        found = store.refused_to_discard(args.code, before)
        if not found.count:
            print(text("sync.discard_rejected_none", lang))
            return EXIT_FAILED
        if not args.yes:
            print(text("sync.discard_rejected_preview", lang, count=Number(found.count),
                       first=local_time(found.first_at or "", store),
                       last=local_time(found.last_at or "", store), codes=Tallies(
                           (code or text("sync.no_refusal_code", lang), count)
                           for code, count in found.codes.items())))
            return EXIT_FAILED
        done = store.discard_rejected(audit_actor(args, config), args.reason.strip(),
                                      args.code, before)
    finally:
        store.close()
    print(text("sync.discard_rejected_done", lang, count=Number(done.count)))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from kiosk.private_files import (
        OutputExists,
        existing_output,
        output_over_kept,
        output_over_store,
        refuse_special,
    )
    from kiosk.sync.backlog import BacklogError
    from kiosk.sync.backlog_keys import BadKey
    from kiosk.sync.kiosk_keys import kept_files

    config = load_config(args.config)
    lang = config.kiosk.language
    target = Path(args.to)
    if refusal := (output_over_store(target, config.store_path)  # even with --force
                   or output_over_kept(target, kept_files(config))):
        print(text("sync.export_failed", lang, error=refusal), file=sys.stderr)
        return EXIT_FAILED
    try:
        refuse_special(target)  # a backlog is a file: written whole, read back
    except OutputExists as exc:
        refusal = exc.words
    else:
        refusal = existing_output(target, force=args.force,
                                  example=f"{args.kiosk_id or config.kiosk.id}.backlog")
    if refusal:
        print(text("sync.export_failed", lang, error=refusal), file=sys.stderr)
        return EXIT_FAILED
    from kiosk.sync.status import elsewhere_words

    whose = args.kiosk_id or config.kiosk.id
    worker, _ = _worker(args, read_when_full=True)
    bar: ProgressBar | None = None
    try:
        others = worker.store.pending_elsewhere(whose)
        total = worker.state().pending - sum(others.values())
        stranded = elsewhere_words(others.items() if whose == config.kiosk.id else
                                   worker.store.pending_elsewhere(config.kiosk.id).items())
        if total == 0:
            print(text("sync.nothing_pending_of", lang, kiosk=whose) if args.kiosk_id else
                  text("sync.nothing_pending", lang))
            if stranded is not None and not args.kiosk_id:
                print(stranded(lang), file=sys.stderr)
            return 0
        bar = ProgressBar("export", total)
        with stop_on_term():  # a service stop or a timeout: the .part deleted, as on Ctrl-C
            summary = worker.export(target, progress=lambda done: bar.update(done, total),
                                    force=args.force, kiosk_id=whose)
        bar.finish()
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM: no traceback, nothing marked
        if bar is not None:
            bar.finish()
        part = target.with_name(target.name + ".part")
        print(text("cli.export_stopped_file", lang, path=part) if not part.exists()
              and not target.exists() else text("cli.export_stopped", lang), file=sys.stderr)
        return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED
    except BacklogError as exc:
        where = f"{exc.path}: " if exc.path else ""
        print(text("sync.export_failed", lang, error=where + exc.words(lang)), file=sys.stderr)
        return EXIT_FAILED
    except (BadKey, OutputExists) as exc:  # OutputExists: a file made there meanwhile
        print(text("sync.export_failed", lang, error=exc), file=sys.stderr)
        return EXIT_FAILED
    except OSError as exc:  # the system's words (English) only for -v
        log.info("%s", exc)
        print(text("sync.export_failed", lang, error=f"{exc.filename or target}: "
                                                     f"{os_words(exc)(lang)}"), file=sys.stderr)
        return EXIT_FAILED
    finally:
        worker.stop()
    if summary.not_marked is not None:  # the file is good: said as such, not "failed"
        print(summary.not_marked(lang), file=sys.stderr)
    else:
        print(text("sync.export_done", lang, entries=Number(summary.entries),
                   path=summary.path, size=Number(summary.bytes)))
    if summary.note is not None:
        print(summary.note(lang), file=sys.stderr)
    if stranded is not None and not args.kiosk_id:  # not in this file: said where they go
        print(stranded(lang), file=sys.stderr)
    return 0  # not_marked: a script seeing "failed" might delete the only copy

