"""Serial bytes → scans: framing, affixes, AIM symbology id, text encoding. Pure.

A serial scanner sends ``[prefix][AIM id][data][suffix][terminator]``; reads split that
anywhere, and several scans may arrive in one read. A scan ends at the terminator (CR, LF,
CRLF or custom bytes), or — with terminator "none" — when the line stays quiet longer than
``idle_gap_ms``. With CR or LF configured, stray CR/LF at a frame's ends (a scanner actually
sending CRLF) are dropped rather than recorded as payload.

A frame that did not end with its configured terminator is not a whole code. With a
terminator configured:

- a quiet line of ``idle_gap_ms`` ends a frame whose tail is a non-empty part of the
  terminator — CR or LF when a line ending (CR, LF, CRLF) is configured, else a prefix or
  suffix of the custom bytes: the many scanners sending only CR (or only LF) to the default
  CRLF are read whole, that part stripped;
- otherwise the framer waits for the terminator up to ``stream.CUT_WAIT`` (0.45 s, or
  ``idle_gap_ms`` if longer) of quiet line: a link stalling mid-code for less (300 ms) is
  joined into its one whole code. Past it, the frame ends "gap" and is marked ``cut``; so is
  a frame left when the device goes away ("end"). A scanner sending no terminator at all is
  then refused at every scan, the reason naming the setting (``kiosk devices watch`` says it
  at install: set ``terminator = "none"`` or the scanner's CR suffix);
- the frame right after a "gap" cut, when it begins within ``CUT_WAIT`` after the cut was
  declared, is marked cut too ("tail"): the rest of the stalled code, not a person.

A cut frame is delivered (shown, logged as a refused scan), never recorded as an entry: the
pipeline refuses ``Scan.cut`` "not read whole — scan again".

A chunk's time is when the read returned, not when its bytes arrived: a reader held up (a
busy CPU, a slow hand-off) finds the rest of a code waiting in the port and reads it late.
So with a terminator configured, only a quiet line the reader saw — an ``Idle`` tick, a read
that came back empty, proof that nothing arrived since the last read — ends a scan whose
terminator has not come (after the waits above); a late chunk never does, or one code would
be split into a truncated head and a tail. Without a terminator the gap is the only frame
end, so a late chunk still starts a new scan (recorded captures hold chunks only): such
scanners are framed by timing and a held-up reader can split or merge them — configure a terminator.

Then, in this order: the user prefix and suffix configured on the scanner are removed; a
leading AIM identifier (``]Q1``…) is removed and recorded as the symbology; a UTF-8
byte-order mark is removed. Payloads that are not UTF-8 are read with
``encoding_fallback`` (e.g. cp1258) and stored as UTF-8 ("none" keeps the bytes as they
are).

A frame that is line noise — what a port set to another baud rate than the scanner's reads:
NUL and control bytes among bytes no code page defines — is no code (``line_noise``). It is
delivered as it arrived, not read with the fallback (whose U+FFFD would keep its bytes
nowhere), marked ``cut`` "noise": the pipeline refuses it "not read whole — scan again",
its bytes kept in the refused log, and the technician's watch says to check the baud rate.
"""

from __future__ import annotations

import codecs
import unicodedata

from kiosk.devices.stream import (
    CUT_WAIT,
    Chunk,
    Decoded,
    InputEvent,
    after_cut,
    split_aim,
    trailing_junk,
)
from kiosk.messages import Words
from kiosk.schema import ConfigError

TERMINATORS = {"CR": b"\r", "LF": b"\n", "CRLF": b"\r\n", "none": b""}
LINE_ENDINGS = (b"\r", b"\n", b"\r\n")
BOM = b"\xef\xbb\xbf"
CONTROLS = bytes(range(0x20))
TEXT_CONTROLS = b"\t\r\n"
CODE_CONTROLS = TEXT_CONTROLS + b"\x02\x03\x04\x1c\x1d\x1e\x1f"
"""Control bytes real codes carry inside: text's, STX/ETX/EOT framing, and the FS, GS, RS
and US separators of GS1 and ISO 15434 codes."""
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
        self.cut_wait = max(CUT_WAIT, self.gap)
        """Quiet line before a frame whose terminator has not come is declared cut."""
        self.prefix = prefix
        self.suffix = suffix
        self.strip_aim = strip_aim
        self.fallback = check_encoding(encoding_fallback)
        self.buffer = bytearray()
        self.first_t = self.last_t = 0.0
        self.max_gap = 0.0
        self.cut_at: float | None = None
        """The last byte's time of the frame just cut by the quiet line (the next may be its
        tail), else None."""
        self.tail = False
        """The frame being read began right after a cut: the rest of that code."""
        self.ended_t: float | None = None
        """The last byte's time of the frame its terminator just ended, else None."""

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
            self.tail = after_cut(self.cut_at, item.t, self.cut_wait)
            self.cut_at = None
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
        if not self.buffer or not self.gap:
            return []
        quiet = t - self.last_t
        if quiet > self.gap and self._trailing():
            return []
        if quiet > self.gap and (not self.terminator or self._terminator_part(self.buffer)):
            return self.finish("gap")
        if quiet > self.cut_wait:  # its terminator never came: cut (see the docstring)
            last_t = self.last_t
            out = self.finish("gap")
            self.cut_at = last_t
            return out
        return []

    def pending(self) -> bytes:
        return bytes(self.buffer)

    def finish(self, ended_by: str = "end") -> list[Decoded]:
        if self._trailing():
            return []
        frame = bytes(self.buffer)
        self.buffer.clear()
        return self._frame(frame, ended_by) if frame else []

    def _trailing(self) -> bool:
        """Drop what the scanner sent after the last terminator (``stream.trailing_junk``:
        NUL padding after CRLF); True if it did."""
        if not trailing_junk(bytes(self.buffer), self.first_t, self.ended_t, self.cut_wait):
            return False
        self.buffer.clear()
        self.max_gap = 0.0
        self.tail = False
        return True

    def _terminator_part(self, frame: bytes | bytearray) -> int:
        """How many bytes at ``frame``'s end are a non-empty part of the terminator (0: none):
        CR and LF when a line ending is configured, else a prefix or suffix of it."""
        if self.terminator in LINE_ENDINGS:
            return len(frame) - len(frame.rstrip(b"\r\n"))
        for size in range(len(self.terminator) - 1, 0, -1):
            if frame.endswith(self.terminator[:size]) or frame.endswith(self.terminator[-size:]):
                return size
        return 0

    def _frame(self, frame: bytes, ended_by: str) -> list[Decoded]:
        cut = ""
        if self.terminator and ended_by in ("gap", "end"):
            part = self._terminator_part(frame)
            if part:  # a scanner sending only part of the terminator: whole, part stripped
                frame = frame[:-part]
            else:
                cut = ended_by
        if self.tail and not cut:
            cut = "tail"
        self.tail = False
        if self.terminator in (b"\r", b"\n"):
            # CR configured but CRLF sent (or LF/LFCR): the other half is not payload
            frame = frame.strip(b"\r\n")
        payload, symbology, flags = clean_frame(frame, self.prefix, self.suffix, self.strip_aim,
                                                self.fallback)
        if "noise" in flags:  # the wrong baud rate explains a missing terminator too
            cut = "noise"
        recoded = f"fallback:{self.fallback}" in flags  # the frame itself kept beside
        decoded = Decoded(payload=payload, symbology=symbology, ended_by=ended_by,
                          first_t=self.first_t, last_t=self.last_t, max_gap=self.max_gap,
                          flags=frozenset(flags), cut=cut, sent=frame if recoded else b"",
                          sent_as=self.fallback if recoded else "")
        self.max_gap = 0.0
        self.first_t = self.last_t
        self.ended_t = self.last_t if ended_by == "terminator" else None
        return [decoded] if payload else []


def clean_frame(frame: bytes, prefix: bytes = b"", suffix: bytes = b"", strip_aim: bool = True,
                fallback: str = "cp1258") -> tuple[bytes, str, set[str]]:
    """One frame → (payload as UTF-8 where possible, AIM symbology, flags); line noise →
    (the frame as it arrived, "", {"noise"})."""
    if line_noise(frame, fallback):
        return frame, "", {"noise"}
    flags: set[str] = set()
    if prefix and frame.startswith(prefix):
        frame = frame[len(prefix):]
        flags.add("prefix")
    if suffix and frame.endswith(suffix):
        frame = frame[:-len(suffix)]
        flags.add("suffix")
    symbology = ""
    if strip_aim:
        symbology, frame = split_aim(frame)
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


def line_noise(frame: bytes, fallback: str = "cp1258") -> bool:
    """Whether ``frame`` is what a wrong baud rate makes of a code, not a code: a NUL inside
    it; or, not being UTF-8, both a control byte inside it (but tab, CR, LF and the
    separators and framing real codes carry: :data:`CODE_CONTROLS`) and a byte the
    ``fallback`` code page does not define (cp1258's 0x81, 0x8A, 0x8D–0x90, 0x9A, 0x9D,
    0x9E). Either alone is a code's: a GS1 or ISO 15434 code in cp1258 holds GS or RS, a
    serial device's STX…ETX may be followed by a checksum byte of any value. Control bytes
    at its ends are a scanner's framing (``prefix``/``suffix`` advice)."""
    inside = frame.strip(CONTROLS)
    if b"\0" in inside:
        return True
    try:
        frame.decode("utf-8")
    except UnicodeDecodeError:
        if fallback == "none" or not any(
                byte < 0x20 and byte not in CODE_CONTROLS for byte in inside):
            return False
        try:
            frame.decode(fallback)
        except UnicodeDecodeError:
            return True
    return False
