"""``kiosk enrol``: join the centre with the one-time code of ``kiosk-central kiosks add --qr``.

The code comes pasted (``--code``; ``--code -`` reads a line from standard input, which is
where a keyboard-wedge scanner types), or from the camera or an image/video file, read by
the kiosk's own camera decoder. Whatever would stop the enrolment being saved (a config the
write would refuse, a folder it may not write in, a token path that is no file) is refused
first, since the exchange spends the code. The secret is exchanged for the kiosk's token (retrying
while the centre cannot be reached), the token written to a 0600 file, and ``[kiosk]
id/checkpoint_id`` and ``[sync] enabled/server_url/token_file`` set in config.toml in one
validated write that keeps its comments; then the link is tested with the new token.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.commandline import (
    EXIT_FAILED,
    EXIT_USAGE,
    config_refusal,
    decimal_number_argument,
    examples,
    output_path_argument,
    whole_number_argument,
)
from kiosk.enrolment import EnrolmentCode, EnrolmentCodeError, is_enrolment_code, parse
from kiosk.messages import both

if TYPE_CHECKING:
    from kiosk.sync.kiosk_keys import KioskKeys


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    enrol = subparsers.add_parser(
        "enrol", parents=[common], help="join the centre with an enrolment QR code",
        description="Exchange the one-time enrolment code made by `kiosk-central kiosks add "
                    "--qr` for this kiosk's token and write the config. Exit code 2 when the "
                    "code or the config is wrong (checked before the code is used: fix it "
                    "and run again); 1 when the centre refuses the code or cannot be "
                    "reached, or the enrolment could not be saved once the code was used.",
        **examples("kiosk enrol --camera 0            # hold the QR up to the camera",
                   "kiosk enrol --camera enrol-qr.png  # or a photo / video of it",
                   "kiosk enrol --code -               # scan it with a keyboard scanner",
                   "kiosk enrol --code 'ckenrol:1?u=…'"))
    source = enrol.add_mutually_exclusive_group(required=True)
    source.add_argument("--code", help="the code's text; '-' reads one line from stdin")
    source.add_argument("--camera", metavar="SOURCE",
                        help="camera index, /dev/videoN, or an image or video file")
    enrol.add_argument("--seconds", type=decimal_number_argument("--seconds"), default=60.0,
                       help="how long to look at the camera (default: %(default)s)")
    enrol.add_argument("--token-file", type=output_path_argument,
                       help="where to write the token (default: sync-token beside the "
                            "config file)")
    enrol.add_argument("--tries", type=whole_number_argument("--tries", least=1), default=20,
                       help="attempts while the centre is unreachable (default: %(default)s)")
    enrol.add_argument("--retry-seconds",
                       type=decimal_number_argument("--retry-seconds", zero=True), default=15.0,
                       help="wait between attempts (default: %(default)s)")
    enrol.add_argument("--switch-centre", action="store_true",
                       help="follow a code for another centre than the one in the config "
                            "(its unsent entries then go to the new centre)")
    enrol.add_argument("--leave-pending", action="store_true",
                       help="enrol under another kiosk id although entries of the current one "
                            "are still pending (the new token cannot send them: they then "
                            "reach the centre only with `kiosk sync export --kiosk-id`)")
    enrol.add_argument("--allow-plain-http", action="store_true",
                       help="enrol at a plain http:// centre on another machine (a lab, a "
                            "VPN): the code's secret, the token and people's data then cross "
                            "the network unencrypted; sets [sync] allow_plain_http = true")
    enrol.set_defaults(func=cmd_enrol)


def cmd_enrol(args: argparse.Namespace) -> int:
    from kiosk.commandline import running_account
    from kiosk.config import ConfigError
    from kiosk.store import never_enrolled
    from kiosk.sync import enrolling
    from kiosk.sync.backlog_keys import BadKey
    from kiosk.sync.status import elsewhere_words

    try:
        code = parse(_code_text(args))
    except (OSError, RuntimeError) as exc:  # RuntimeError: the camera (none there, busy)
        if args.camera is None:
            print(both("enrol.bad_code", detail=exc), file=sys.stderr)
        else:  # not the code's fault: "not a valid enrolment code" sent one to the centre
            print(both("enrol.camera_failed", source=args.camera, detail=exc),
                  file=sys.stderr)
        return EXIT_USAGE
    except EnrolmentCodeError as exc:
        print(both("enrol.bad_code", detail=exc), file=sys.stderr)
        return EXIT_USAGE
    config_path = Path(args.config)
    token_path = Path(args.token_file) if args.token_file else None
    answer: dict | None = None
    try:
        current = enrolling.preflight(config_path, code, token_path,
                                      allow_plain_http=args.allow_plain_http)
        elsewhere = None if current is None else enrolling.linked_elsewhere(current.sync, code)
        if elsewhere is not None and not args.switch_centre:
            print(both("enrol.other_centre", server=code.server_url, current=elsewhere),
                  file=sys.stderr)
            print(both("enrol.switch_hint"), file=sys.stderr)
            return EXIT_FAILED
        behind = enrolling.left_behind(current, code) if current else {}
        left = elsewhere_words(behind)
        if left is not None and not args.leave_pending:  # asked before the code is spent
            tests = never_enrolled(current, behind)
            if len(tests) == len(behind):  # test scans: no new token for them would help
                print(both("enrol.pending_unenrolled", **left.params), file=sys.stderr)
                return EXIT_FAILED
            print(both("enrol.pending_left_behind", **left.params, old=current.kiosk.id,
                       new=code.kiosk_id), file=sys.stderr)
            print(both("enrol.leave_pending_hint"), file=sys.stderr)
            return EXIT_FAILED
        try:
            answer = _exchange(code, args, enrolling.keys_for(config_path, token_path))
        except (BadKey, OSError) as exc:
            print(both("enrol.bad_signing_key", detail=exc), file=sys.stderr)
            return EXIT_FAILED
        except enrolling.TRY_AGAIN:
            print(both("enrol.gave_up", tries=args.tries), file=sys.stderr)
            return EXIT_FAILED
        except enrolling.FINAL as exc:
            print(both("enrol.refused", detail=exc), file=sys.stderr)
            return EXIT_FAILED
        enrolled = enrolling.install(code, answer, config_path, token_path,
                                     allow_plain_http=args.allow_plain_http)
    except ConfigError as exc:
        print(config_refusal(args.config, exc), file=sys.stderr)
        # before the exchange: fix the config and run again, the code still works; after
        # it the code is spent, and running again cannot help
        return EXIT_USAGE if answer is None else EXIT_FAILED
    print(both("enrol.done", kiosk=answer["kiosk_id"], checkpoint=answer["checkpoint_id"],
               config=args.config))
    if enrolled.replays_off:
        print(both("enrol.replays_off", devices=", ".join(enrolled.replays_off)))
    if enrolled.title_cut is not None:
        print(both(enrolled.title_cut.code, **enrolled.title_cut.params))
    enrolling.record_enrolment(enrolled.config, {
        "kiosk": answer["kiosk_id"], "checkpoint": answer["checkpoint_id"],
        "server": code.server_url, "file": str(enrolled.config.source)}, running_account())
    problem = enrolling.link_problem(code.server_url, answer["token"],
                                     allow_plain_http=args.allow_plain_http)
    if problem is not None:
        print(both("enrol.link_failed", detail=problem), file=sys.stderr)
        return EXIT_FAILED
    print(both("enrol.link_ok"))
    if left is not None:  # --leave-pending: where they go now
        print(both(left.code, **left.params), file=sys.stderr)
    return 0


def _exchange(code: EnrolmentCode, args: argparse.Namespace, keys: KioskKeys) -> dict:
    """The centre's answer; an unreachable or busy centre is tried ``--tries`` times."""
    from kiosk.sync import enrolling

    for attempt in range(1, args.tries + 1):
        try:
            return enrolling.exchange(code, keys, allow_plain_http=args.allow_plain_http)
        except enrolling.TRY_AGAIN as exc:
            if attempt == args.tries:
                raise
            print(both("enrol.offline", detail=exc, seconds=f"{args.retry_seconds:g}"),
                  file=sys.stderr, flush=True)
            time.sleep(args.retry_seconds)
    raise AssertionError("unreachable")


def _code_text(args: argparse.Namespace) -> str:
    if args.code == "-":
        return sys.stdin.readline()
    if args.code is not None:
        return args.code
    return read_code_from_camera(args.camera, args.seconds)


def read_code_from_camera(source: str, seconds: float) -> str:
    """The first enrolment code the camera decoder reads from ``source`` (a still image,
    a video file to its end, or a camera for ``seconds``); EnrolmentCodeError if none."""
    import cv2

    from kiosk.devices.camera import open_capture
    from kiosk.devices.frames import FrameDecoder

    decoder = FrameDecoder()
    still = cv2.imread(source) if Path(source).is_file() else None
    frames = [still] if still is not None else None
    capture = None
    if frames is None:
        capture, _ = open_capture(source)
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            if capture is not None:
                ok, frame = capture.read()
                if not ok:
                    break
            elif frames:
                frame = frames.pop()
            else:
                break
            for reading in decoder.decode(frame).readings:
                if is_enrolment_code(reading.payload):
                    return reading.payload.decode("utf-8", "replace")
    finally:
        if capture is not None:
            capture.release()
    raise EnrolmentCodeError("enrolment.none_seen", source=source)
