"""Serial bytes → scans: framing, affixes, AIM symbology id, text encoding. Pure.

A serial scanner sends ``[prefix][AIM id][data][suffix][terminator]``; reads split that
anywhere, and several scans may arrive in one read. A scan ends at the terminator (CR, LF,
CRLF or custom bytes) and/or when the line stays quiet longer than ``idle_gap_ms`` (for
scanners that send no terminator). With CR or LF configured, stray CR/LF at a frame's ends
(a scanner actually sending CRLF) are dropped rather than recorded as payload.

A chunk's time is when the read returned, not when its bytes arrived: a reader held up (a
busy CPU, a slow hand-off) finds the rest of a code waiting in the port and reads it late.
So with a terminator configured, only a quiet line the reader saw — an ``Idle`` tick, a read
that came back empty, proof that nothing arrived since the last read — ends a scan whose
terminator has not come; a late chunk never does, or one code would be split into a
truncated head and a tail. Without a terminator the gap is the only frame end, so a late
chunk still starts a new scan (recorded captures hold chunks only): such scanners are
framed by timing and a held-up reader can split or merge them — configure a terminator.

Then, in this order: the user prefix and suffix configured on the scanner are removed; a
leading AIM identifier (``]Q1``…) is removed and recorded as the symbology; a UTF-8
byte-order mark is removed. Payloads that are not UTF-8 are read with
``encoding_fallback`` (e.g. cp1258) and stored as UTF-8 ("none" keeps the bytes as they
are).
"""

from __future__ import annotations

import codecs
import re
import unicodedata

from kiosk.devices.stream import Chunk, Decoded, InputEvent
from kiosk.messages import Words
from kiosk.schema import ConfigError

TERMINATORS = {"CR": b"\r", "LF": b"\n", "CRLF": b"\r\n", "none": b""}
AIM = re.compile(rb"\][A-Za-z][0-9A-Za-z]")
BOM = b"\xef\xbb\xbf"
MAX_FRAME = 7089 * 4
"""Bytes without a terminator before we stop waiting for one (the largest QR code)."""


def parse_bytes(text: str) -> bytes:
    """Config text → bytes: a terminator name, or text with ``\\x03``-style escapes."""
    if text in TERMINATORS:
        return TERMINATORS[text]
    if text.upper() in TERMINATORS:
        return TERMINATORS[text.upper()]
    try:
        return codecs.escape_decode(text.encode("utf-8"))[0]
    except ValueError as exc:
        raise ConfigError("config.bad_bytes", value=repr(text),  # not Python's English
                          expected=Words("config.expect.terminator")) from exc


def check_encoding(name: str) -> str:
    """A text encoding the framer can decode any bytes with (``base64`` or ``rot13`` are
    codecs too, but would fail the first scan that is not UTF-8)."""
    if name != "none":
        try:
            bytes(range(256)).decode(name, errors="replace")
        except (LookupError, UnicodeError):
            raise ConfigError("config.bad_encoding", value=repr(name)) from None
    return name


class SerialFramer:
    def __init__(self, terminator: bytes = b"\r\n", idle_gap_ms: int = 80, prefix: bytes = b"",
                 suffix: bytes = b"", strip_aim: bool = True,
                 encoding_fallback: str = "cp1258") -> None:
        self.terminator = terminator
        self.gap = idle_gap_ms / 1000
        self.prefix = prefix
        self.suffix = suffix
        self.strip_aim = strip_aim
        self.fallback = check_encoding(encoding_fallback)
        self.buffer = bytearray()
        self.first_t = self.last_t = 0.0
        self.max_gap = 0.0

    def feed(self, item: InputEvent | Chunk) -> list[Decoded]:
        if not isinstance(item, Chunk):
            raise TypeError(f"SerialFramer takes Chunks, not {type(item).__name__}")
        out = [] if self.terminator else self.idle(item.t)  # see the module's docstring
        if not item.data:
            return out
        if self.buffer:
            self.max_gap = max(self.max_gap, item.t - self.last_t)
        else:
            self.first_t = item.t
        self.last_t = item.t
        self.buffer += item.data
        if self.terminator:
            while (end := self.buffer.find(self.terminator)) >= 0:
                frame = bytes(self.buffer[:end])
                del self.buffer[:end + len(self.terminator)]
                out += self._frame(frame, "terminator")
        if len(self.buffer) > MAX_FRAME:
            out += self._frame(bytes(self.buffer), "overflow")
            self.buffer.clear()
        return out

    def idle(self, t: float) -> list[Decoded]:
        if self.buffer and self.gap and t - self.last_t > self.gap:
            return self.finish("gap")
        return []

    def pending(self) -> bytes:
        return bytes(self.buffer)

    def finish(self, ended_by: str = "end") -> list[Decoded]:
        frame = bytes(self.buffer)
        self.buffer.clear()
        return self._frame(frame, ended_by) if frame else []

    def _frame(self, frame: bytes, ended_by: str) -> list[Decoded]:
        if self.terminator in (b"\r", b"\n"):
            # CR configured but CRLF sent (or LF/LFCR): the other half is not payload
            frame = frame.strip(b"\r\n")
        payload, symbology, flags = clean_frame(frame, self.prefix, self.suffix, self.strip_aim,
                                                self.fallback)
        decoded = Decoded(payload=payload, symbology=symbology, ended_by=ended_by,
                          first_t=self.first_t, last_t=self.last_t, max_gap=self.max_gap,
                          flags=frozenset(flags))
        self.max_gap = 0.0
        self.first_t = self.last_t
        return [decoded] if payload else []


def clean_frame(frame: bytes, prefix: bytes = b"", suffix: bytes = b"", strip_aim: bool = True,
                fallback: str = "cp1258") -> tuple[bytes, str, set[str]]:
    """One frame → (payload as UTF-8 where possible, AIM symbology, flags)."""
    flags: set[str] = set()
    if prefix and frame.startswith(prefix):
        frame = frame[len(prefix):]
        flags.add("prefix")
    if suffix and frame.endswith(suffix):
        frame = frame[:-len(suffix)]
        flags.add("suffix")
    symbology = ""
    if strip_aim and AIM.match(frame):
        symbology, frame = frame[:3].decode("ascii"), frame[3:]
    if frame.startswith(BOM):
        frame = frame[len(BOM):]
        flags.add("bom")
    try:
        frame.decode("utf-8")
    except UnicodeDecodeError:
        if fallback == "none":
            flags.add("not_utf8")
        else:
            text = unicodedata.normalize("NFC", frame.decode(fallback, errors="replace"))
            frame = text.encode("utf-8")
            flags.add(f"fallback:{fallback}")
    return frame, symbology, flags
