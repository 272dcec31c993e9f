"""Replay: payloads from a file or standard input, for demos, tests and field captures
sent in by technicians.

``format = "lines"``: one payload per line, its UTF-8 bytes; a line ``hex:…`` is raw bytes in
hex, for payloads that are not text. Blank lines are skipped.
``format = "evdev" | "hidraw" | "serial"``: a capture saved by ``kiosk devices watch --save``
(see ``captures``), decoded by the same decoder as the live device, with the settings
recorded in the capture.
``delay_ms`` paces the scans like a queue of people.
"""

from __future__ import annotations

import logging
import os
import select
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from kiosk.devices.base import DeviceError, Emit
from kiosk.devices.kinds.replay import ReplayOptions
from kiosk.messages import Words, both, hex_words, os_words
from kiosk.scan import Scan

log = logging.getLogger(__name__)


def parse_line(line: bytes, where: str) -> bytes | None:
    """One replay line (``where``: its file and number) → payload bytes; None for a blank
    line, or for a ``hex:`` line that is not hex (logged and skipped: one bad line must not
    stop, or restart, the file)."""
    line = line.rstrip(b"\r\n")
    if not line.strip():
        return None
    if line.startswith(b"hex:"):
        digits = line[4:].decode("ascii", "replace")
        try:
            return bytes.fromhex(digits)
        except ValueError:
            log.warning("%s", both("device.log.replay_bad_hex", where=where,
                                   value=repr(digits[:40]), problem=hex_words(digits)))
            return None
    return line


class ReplayDevice:
    def __init__(self, options: ReplayOptions) -> None:
        self.id = options.id
        self.lane = options.lane
        self.path = options.path
        self.delay = options.delay_ms / 1000
        self.loop = options.loop
        self.format = options.format

    def _open(self) -> BinaryIO:
        if self.path == "-":
            return sys.stdin.buffer
        try:
            return Path(self.path).open("rb")
        except OSError as exc:
            raise DeviceError("device.named", device=self.id, reason=Words(
                "replay.cannot_open", {"path": self.path, "reason": os_words(exc)})) from exc

    def payloads(self, stream: BinaryIO, stop: threading.Event) -> Iterator[bytes]:
        """Lines as they arrive; polls so that a quiet pipe never keeps ``stop`` waiting."""
        fd, pending, number = stream.fileno(), b"", 0
        while not stop.is_set():
            ready, _, _ = select.select([fd], [], [], 0.2)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            *lines, pending = (pending + chunk).split(b"\n")
            for line in lines:
                number += 1
                payload = parse_line(line, f"{self.path}:{number}")
                if payload is not None:
                    yield payload
        last = parse_line(pending, f"{self.path}:{number + 1}")
        if last is not None and not stop.is_set():
            yield last

    def run(self, emit: Emit, stop: threading.Event) -> None:
        if self.format != "lines":
            self._run_capture(emit, stop)
            return
        while not stop.is_set():
            stream = self._open()
            try:
                for payload in self.payloads(stream, stop):
                    if stop.is_set():
                        return
                    emit(Scan(payload=payload, device_id=self.id, lane=self.lane,
                              source="replay"))
                    if self.delay and stop.wait(self.delay):
                        return
            finally:
                if stream is not sys.stdin.buffer:
                    stream.close()
            if not self.loop or self.path == "-":
                return

    def _run_capture(self, emit: Emit, stop: threading.Event) -> None:
        # Captures need the decoders; plain lines do not.
        from kiosk.devices.captures import load_capture, read_capture
        from kiosk.devices.stream import Decoded, pump, to_scan

        capture = (read_capture(sys.stdin, "standard input") if self.path == "-"
                   else load_capture(self.path))
        if capture.format != self.format:
            raise DeviceError("device.named", device=self.id, reason=Words(
                "capture.wrong_format", {"path": self.path, "got": capture.format,
                                         "format": self.format}))

        def deliver(decoded: Decoded) -> None:
            if not stop.is_set():
                emit(to_scan(decoded, self.id, self.lane, "replay"))
                if self.delay:
                    stop.wait(self.delay)

        while not stop.is_set():
            try:
                decoder = capture.decoder()
            except ValueError as exc:
                raise DeviceError("device.named", device=self.id, reason=str(exc)) from None
            pump(capture.played(), decoder, deliver, stop)
            if not self.loop or self.path == "-":
                return
