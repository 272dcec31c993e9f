"""The types that cross every boundary: what a device hands in, what the pipeline hands out.

Kept free of Qt, hardware and database imports so devices, UI, sync and tests can all share
them without dragging each other in.
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kiosk.certificates.verdicts import Verdict
    from kiosk.messages import Words
    from kiosk.payloads import Identity

QR_MAX_CHARS = 7089
"""Largest payload a QR code can hold (version 40-L, numeric); anything longer is not a scan."""
QR_MAX_BYTES = 2953
"""Largest byte-mode payload (version 40-L): the bound for payloads that are not text."""


class Direction(enum.StrEnum):
    IN = "in"
    OUT = "out"


class Status(enum.StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Scan:
    """One read from one device, exactly as it arrived.

    ``payload`` is the raw bytes (never decoded text), so nothing a device cannot represent is
    lost before the payload decoders see it. Both clocks are taken at the moment of reading:
    the wall clock may jump, the monotonic one may not.
    """

    payload: bytes
    device_id: str = "manual"
    lane: str | None = None
    symbology: str = ""
    source: str = "replay"
    wall_time: float = field(default_factory=time.time)
    monotonic_ns: int = field(default_factory=time.monotonic_ns)
    cut: str = ""
    """Not a whole code: how the device's decoder saw it cut ("gap": its terminator never
    came, "end": the device went away mid-code, "tail": the rest of a code cut just before,
    "noise": line noise, a port at another baud rate than the scanner's;
    ``kiosk.devices.stream``). The pipeline refuses it "not read whole — scan again"."""
    sent: bytes = b""
    """The frame as the device sent it, when ``payload`` is its text re-encoded as UTF-8 (a
    serial frame not UTF-8, read in the code page ``sent_as``; bytes that code page does
    not define became U+FFFD): the entry keeps it (``extra``: ``sent_hex``, ``sent_as``)."""
    sent_as: str = ""


@dataclass(frozen=True)
class ScanResult:
    """What an officer is shown; produced only after the database said yes (or no)."""

    status: Status
    scan: Scan
    identity: Identity | None = None
    entry_id: str | None = None
    direction: Direction | None = None
    reason_code: str = ""
    words: Words | None = None
    """The reason as a code and parameters, worded where it is shown, in its reader's
    language (:meth:`reason_in`): the pipeline words nothing."""
    previous_wall_time: float | None = None
    recorded: bool = False
    certificate: Verdict | None = None
    """The certificate check of an HC1 code (also on a refusal under ``require-valid``)."""

    def reason_in(self, language: str) -> str:
        """The reason worded for a reader of ``language`` (whatever the kiosk's own is)."""
        return self.words(language) if self.words is not None else ""

    @property
    def names_nobody(self) -> bool:
        """Recorded as new from a code that names no person (kind ``other``: a URL, a
        product or venue code): the entry stands, but the officer must ask for an ID — the
        card says so in amber, the console in the same words, never "accepted" alone."""
        return (self.status is Status.ACCEPTED and self.identity is not None
                and self.identity.kind == "other")

    @property
    def display_document(self) -> str:
        """The document number as it may be shown on a screen anyone can read."""
        if self.identity is None:
            return ""
        return mask_document(self.identity.document_number)


def mask_document(number: str | None) -> str:
    """Keep the last four characters so an officer can tell people apart, hide the rest."""
    if not number:
        return ""
    visible = 4 if len(number) > 6 else 2
    return "•" * (len(number) - visible) + number[-visible:]
