"""The technician's live view of one scanner, and the settings it suggests. Pure.

``diagnostics_for(options)`` takes a device's config and returns its kind's live view (a
``Diagnostics``: ``SerialDiagnostics``, ``KeyDiagnostics``, ``HidrawDiagnostics``), fed
what the device really sends; each ``observe_*`` call returns display lines (raw bytes in
hex and text, or key events with the time since the previous one; then each decoded scan
with its payload kind), and ``suggestions()`` says what to change::

    diag = diagnostics_for(validate_device(0, {"type": "serial", "terminator": "CR", ...}))
    lines = diag.observe_bytes(b"]Q1001099012345|…\\r\\n", t)    # serial read / hidraw report
    lines = diag.observe_key(InputEvent(sec, usec, EV_KEY, KEY_A, 1))
    lines = diag.idle(t)           # nothing arrived until t: may end a scan on a gap
    lines = diag.finish()          # the view closes
    diag.suggestions()             # ["Ký tự kết thúc có vẻ là CRLF… / Terminator looks like CRLF…"]
    diag.scans                     # the Decoded scans so far

The decoding is the device's own (``decoders.build_decoder``), so the view shows exactly
what the kiosk would record. ``suggestions(device, status)`` (module level) gives advice
from a device's config and supervisor status alone (its kind's ``advice``), for screens
without a raw stream.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from typing import Any
from zoneinfo import ZoneInfo

from kiosk import RELEASED
from kiosk.devices import keycodes as e
from kiosk.devices.decoders import build_decoder
from kiosk.devices.keydecoder import KeyDecoder
from kiosk.devices.keymaps import LAYOUTS, layout
from kiosk.devices.kind import DeviceOptions
from kiosk.devices.registry import device_kind, load
from kiosk.devices.serial_framer import parse_bytes
from kiosk.devices.stream import AIM, Chunk, Decoded, InputEvent
from kiosk.enrolment import is_enrolment_code, masked
from kiosk.messages import LANGUAGES, Words, both, kind_name, text
from kiosk.payloads import Identity, Rejection, decode
from kiosk.payloads.names import double_encoded
from kiosk.scan import mask_document
from kiosk.timestamps import DEFAULT_TIMEZONE, card_day

BURST_GAP = 0.03
"""Serial bytes with a quiet line this long between them (an empty read that long after the
last read) belong to different bursts (what the scanner sent at once). A read that merely
came late is no quiet line (see ``serial_framer``)."""
KNOWN_KINDS = ("cccd", "pccovid", "hc1")
ENDINGS = ((b"\r\n", "CRLF"), (b"\r", "CR"), (b"\n", "LF"))
STX, ETX = b"\x02", b"\x03"
CONTROL_END = "control:"
"""A burst ending in one control byte other than CR, LF, ETX or NUL (the scanner's suffix
set to Tab, say): the ending's name is this and the byte's hex."""
CONTROL_NAMES = ("NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS", "HT", "LF", "VT",
                 "FF", "CR", "SO", "SI", "DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB",
                 "CAN", "EM", "SUB", "ESC", "FS", "GS", "RS", "US")
"""The ASCII control characters' names (0x00–0x1F), as scanner manuals call them."""
USUAL_BAUDRATES = (9600, 115200)
"""Serial scanners' usual rates: Zebra/Symbol 9600, Honeywell 115200 (domain §4.3)."""


def _printable(data: bytes) -> str:
    text = data.decode("utf-8", errors="replace")
    return "".join(c if c.isprintable() else "·" for c in text)


def describe_payload(payload: bytes, timezone: ZoneInfo | None = None,
                     now: float | None = None, earliest_day: dt.date = RELEASED,
                     language: str | None = None, cut: str = "") -> str:
    """What the pipeline would make of a payload: its kind and who (the document number
    masked), or why it is refused. ``timezone``: the kiosk's configured zone, where a CCCD's
    dates must not be after ``now``'s date there — or ``earliest_day``, when the clock is
    behind it — as the pipeline checks them (``card_day``); None: the default zone.

    ``language``: for a screen, in its reader's words — the kind's name, or the refusal
    without the value it names (which may be the document number); an enrolment code as
    :func:`masked` shows it. None: as the terminal's ``kiosk devices watch`` shows it.
    ``cut``: the decoder saw the scan cut off (``Decoded.cut``): refused "not read whole —
    scan again" whatever it holds, as the pipeline refuses it."""
    result = Rejection("code_cut", f"cut_{cut}") if cut else _decode(payload, timezone,
                                                                       earliest_day, now)
    if isinstance(result, Identity):
        who = " ".join(p for p in (result.name or "", mask_document(result.document_number))
                       if p)
        kind = result.kind if language is None else kind_name(result.kind, language)
        return kind + (f": {who}" if who else "")
    if language is None:  # the terminal's: the reason in both languages, as its other lines
        detail = " / ".join(result.describe(language) for language in LANGUAGES)
        return f"refused/từ chối: {result.code}" + (f" ({detail})" if result.detail else "")
    if result.code == "enrolment_code":
        return _printable(masked(payload))
    return f"{text('rejected', language)}: {text(result.code, language, detail='')}"


class Diagnostics:
    """What every kind's live view does: show each raw item, decode it with the device's own
    decoder, describe each scan, and learn advice from it. The kind's own part of the view
    (``DeviceKind.watch``) is a subclass: see ``SerialDiagnostics``, ``KeyDiagnostics``,
    ``HidrawDiagnostics``; ``diagnostics_for(options)`` picks it."""

    def __init__(self, options: Any) -> None:
        self.options = options
        """The device's typed options (``SerialOptions``, ``EvdevOptions``, …)."""
        self.decoder = build_decoder(options)
        self.scans: list[Decoded] = []
        self._advice: dict[str, Words] = {}
        self._last_t: float | None = None
        self._events: list[InputEvent] = []
        self._hidden = 0
        self.hid_last = False
        """Whether the last item observed was left out: part of an enrolment code."""
        self.timezone: ZoneInfo | None = None
        """The kiosk's configured zone, for a CCCD's dates (``diagnostics_for`` sets it)."""
        self.earliest_day: dt.date = RELEASED
        """The earliest the real date can be, for a CCCD's dates when the clock is behind
        (``diagnostics_for`` sets the running kiosk's)."""

    # -- observations --------------------------------------------------------------------
    def observe(self, item: InputEvent | Chunk) -> list[str]:
        if isinstance(item, InputEvent):
            return self.observe_key(item)
        return self.observe_bytes(item.data, item.t)

    def observe_bytes(self, data: bytes, t: float) -> list[str]:
        """A serial read or one hidraw report (its time says no quiet came before it: an
        ``idle`` tick does)."""
        gap = "" if self._last_t is None else f"+{(t - self._last_t) * 1000:7.1f} ms"
        self._last_t = t
        self._note_bytes(data)
        return self._fed(Chunk(t, data), f"{gap:>11}  {data.hex(' ')}  |{_printable(data)}|")

    def observe_key(self, event: InputEvent) -> list[str]:
        if event.type != e.EV_KEY and not (event.type == e.EV_SYN
                                           and event.code == e.SYN_DROPPED):
            return self._fed(event, None)  # LEDs, MSC_SCAN: not shown
        gap = "" if self._last_t is None else f"+{(event.t - self._last_t) * 1000:7.1f} ms"
        self._last_t = event.t
        self._events.append(event)
        name = e.BY_TYPE[e.EV_KEY].get(event.code, str(event.code))
        if event.type == e.EV_SYN:
            name = "SYN_DROPPED"
        arrow = {0: "↑", 1: "↓", 2: "(repeat)"}.get(event.value, str(event.value))
        return self._fed(event, f"{gap:>11}  {name} {arrow}")

    def idle(self, t: float) -> list[str]:
        self._quiet(t)
        return self._scans(self.decoder.idle(t))

    def finish(self) -> list[str]:
        self._quiet(None)
        return self._scans(self.decoder.finish()) + self._hidden_lines()

    def _fed(self, item: InputEvent | Chunk, line: str | None) -> list[str]:
        """Feed ``item`` to the decoder: its raw ``line`` (if any), then the scans it ended.

        While an enrolment code's input arrives (``hid_last``) the line is left out: its
        one-time secret must reach no terminal, screen or capture file. Once the code's scan
        ends, one line says how many reads were hidden."""
        before = self.decoder.pending()
        decoded = self.decoder.feed(item)
        self.hid_last = any(is_enrolment_code(payload) for payload in (
            before, self.decoder.pending(), *(scan.payload for scan in decoded)))
        if line is not None and self.hid_last:
            self._hidden += 1
        shown = [line] if line is not None and not self.hid_last else []
        return shown + self._scans(decoded)

    def _hidden_lines(self) -> list[str]:
        hidden, self._hidden = self._hidden, 0
        return [f"{'':>11}  {both('device.enrolment_hidden', count=hidden)}"] if hidden else []

    # -- the kind's own part ---------------------------------------------------------------
    def _note_bytes(self, data: bytes) -> None:
        """A read or report arrived (the kind may keep what it says about the device)."""

    def _quiet(self, t: float | None) -> None:
        """The reader saw nothing new until ``t`` (an ``Idle`` tick; None: the view ends)."""

    def _learn_kind(self, scan: Decoded, events: list[InputEvent]) -> None:
        """Advice only this kind can give from a scan (and the key events that made it)."""

    def _final_advice(self) -> None:
        """Advice from everything seen, given when the suggestions are asked for."""

    # -- scans ---------------------------------------------------------------------------
    def _scans(self, decoded: list[Decoded]) -> list[str]:
        lines = []
        for scan in decoded:
            self.scans.append(scan)
            events, self._events = self._events, []
            if scan.ended_by == "gap" and events:  # the event that revealed the gap is next's
                self._events = [events.pop()]
            self._learn(scan, events)
            number = len(self.scans)
            symbology = f", symbology {scan.symbology}" if scan.symbology else ""
            lines += self._hidden_lines()
            lines.append(f"== scan/quét {number}: {len(scan.payload)} bytes, ended by "
                         f"{scan.ended_by}{symbology}")
            lines.append(f"   {_printable(masked(scan.payload))[:200]}")
            made = describe_payload(scan.payload, self.timezone, earliest_day=self.earliest_day,
                                    cut=scan.cut)
            lines.append(f"   → {made}")
        return lines

    def _kind(self, payload: bytes) -> str:
        """The payload's kind as the kiosk would judge it, or "refused"."""
        result = _decode(payload, self.timezone, self.earliest_day)
        return result.kind if isinstance(result, Identity) else "refused"

    # -- advice --------------------------------------------------------------------------
    def _advise(self, topic: str, code: str, **params: object) -> None:
        """One suggestion per topic (the latest wins): ``advice.<code>`` in the catalogue."""
        self._advice[topic] = Words(f"advice.{code}", params)

    def _learn(self, scan: Decoded, events: list[InputEvent]) -> None:
        flags = scan.flags
        if "alt_codes" in flags:
            self._advise("alt_codes", "alt_codes")
        if "?" in scan.payload.decode("utf-8", "replace") and "alt_codes" in flags:
            self._advise("lost_letters", "lost_letters")
        if any(f.startswith("fallback:") or f == "not_utf8" for f in flags):
            self._advise("encoding", "encoding")
        if double_encoded(scan.payload.decode("utf-8", "replace")):
            self._advise("encoding", "double_encoded")
        if "events_dropped" in flags:
            self._advise("dropped", "dropped")
        if "incomplete" in flags:
            self._advise("incomplete", "incomplete")
        self._advise_gaps(scan)
        self._learn_kind(scan, events)

    def _advise_gaps(self, scan: Decoded) -> None:
        limit = self.options.idle_gap_ms / 1000
        if limit and scan.max_gap > 0.6 * limit:
            wanted = math.ceil(scan.max_gap * 200) * 10  # twice the gap, in 10 ms steps
            self._advise("gap", "gap", gap=f"{scan.max_gap * 1000:.0f}",
                         limit=f"{limit * 1000:.0f}", wanted=wanted)

    def suggestions(self, language: str | None = None) -> list[str]:
        """What to change, most useful first; bilingual "vi / en" unless a language is given."""
        self._final_advice()
        return [words.worded(language) for words in self._advice.values()]


class SerialDiagnostics(Diagnostics):
    """Serial: how each burst of bytes ends (CR, LF, CRLF, nothing) against the configured
    terminator, and an AIM id left in the payload. A burst ends on a quiet line the reader
    saw, never on a read that came late: a held-up reader's half code is no code without a
    terminator."""

    def __init__(self, options: Any) -> None:
        super().__init__(options)
        self._burst = bytearray()
        self._endings: Counter[str] = Counter()
        self._affixes: tuple[set[tuple[bytes, bytes]], set[tuple[bytes, bytes]]] = (set(),
                                                                                    set())
        """The leading control bytes whole scans had (b"": none), with the ``prefix`` that
        removes them; and the trailing ones, with the ``suffix``. Two are as many as mean
        "not the same": see ``_advise_affixes``."""
        self._bare_known = False
        """Whether a scan was a known code with those bytes removed."""
        self._noise = False
        """Whether a scan was line noise (``serial_framer.line_noise``): the baud rate."""
        try:
            self._line_bytes = set(b"\r\n" + parse_bytes(options.terminator))
        except ValueError:
            self._line_bytes = set(b"\r\n")

    def _note_bytes(self, data: bytes) -> None:
        self._burst += data

    def _quiet(self, t: float | None) -> None:
        if not self._burst or (t is not None and self._last_t is not None
                               and t - self._last_t <= BURST_GAP):
            return
        burst = bytes(self._burst).rstrip(b"\0")  # NUL padding after the terminator
        self._burst.clear()
        ending = next((name for end, name in ENDINGS if burst.endswith(end)), "none")
        if ending == "none" and burst.endswith(ETX):
            ending = "STX…ETX" if burst.startswith(STX) else "ETX"
        elif ending == "none" and burst and (0 < burst[-1] < 0x20 or burst[-1] == 0x7F):
            ending = CONTROL_END + f"{burst[-1]:02x}"  # a suffix set to Tab, EOT, GS…
        self._endings[ending] += 1

    def _learn_kind(self, scan: Decoded, events: list[InputEvent]) -> None:
        if "noise" in scan.flags:
            self._noise = True
            self._advice["baud"] = baud_advice(self.options)
        if not scan.cut:  # a cut scan may lack its suffix: no evidence either way
            lead, trail = self._control_run(scan.payload), self._control_run(
                scan.payload[::-1])[::-1]
            bare = scan.payload[len(lead):len(scan.payload) - len(trail)]
            for seen, run in zip(self._affixes, (
                    (lead, self._with_configured(lead, scan, "prefix")),
                    (trail, self._with_configured(trail, scan, "suffix"))), strict=True):
                if len(seen) < 2:
                    seen.add(run)
            if (lead or trail) and not self._bare_known:
                self._bare_known = self._kind(bare) in KNOWN_KINDS
        self._final_advice()
        if not self.options.strip_aim and AIM.match(scan.payload):
            self._advise("aim", "aim")

    def _control_run(self, payload: bytes) -> bytes:
        """The ASCII control bytes (C0, DEL) ``payload`` starts with, but CR, LF and the
        terminator's bytes (the terminator advice's)."""
        size = 0
        while size < len(payload) and (payload[size] < 0x20 or payload[size] == 0x7F) and \
                payload[size] not in self._line_bytes:
            size += 1
        return payload[:size]

    def _with_configured(self, run: bytes, scan: Decoded, affix: str) -> bytes:
        """The ``prefix``/``suffix`` that would remove ``run`` too: the one configured, when
        the scanner sent it (the run came after it, or before a suffix), and the run."""
        if not run or affix not in scan.flags:
            return run
        configured = parse_bytes(getattr(self.options, affix))
        return configured + run if affix == "prefix" else run + configured

    def _advise_affixes(self) -> None:
        """Every whole scan starts (or ends) with the same control bytes — STX, ETX, … — that
        no CCCD, PC-Covid or HC1 code has, and one scan at least is such a code without
        them: the scanner frames its codes, and ``prefix``/``suffix`` remove what it adds.
        A scan without them (the scanner's setting changed, or a code of another kind) takes
        the advice back: a binary code may hold anything, the kiosk records it as it is."""
        for runs, topic in zip(self._affixes, ("prefix", "suffix"), strict=True):
            run, setting = next(iter(runs)) if len(runs) == 1 else (b"", b"")
            if self._bare_known and run:
                self._advise(topic, topic, bytes=_named(run), setting=_setting(setting))
            else:
                self._advice.pop(topic, None)

    def _final_advice(self) -> None:
        self._advise_affixes()
        if self._noise:  # a line at the wrong rate garbles its endings too
            self._advice.pop("terminator", None)
            return
        if not self._endings:
            return
        ending = self._endings.most_common(1)[0][0]
        try:
            wanted = parse_bytes(self.options.terminator)
        except ValueError:
            wanted = b""
        if ending in ("ETX", "STX…ETX"):  # framed, with no line ending after it
            if not wanted.endswith(ETX):
                self._advise("terminator", "etx", terminator=_setting(ETX), prefix=Words(
                    "advice.etx_prefix", {"prefix": _setting(STX)}) if ending == "STX…ETX"
                    else "")
            return
        if ending.startswith(CONTROL_END):  # another end byte: "sends no terminator" misled
            end = bytes.fromhex(ending.removeprefix(CONTROL_END))
            if not wanted.endswith(end):
                self._advise("terminator", "control_end", bytes=_named(end),
                             terminator=_setting(end))
            return
        if ending == "none" and wanted not in (b"\r", b"\n", b"\r\n") and wanted:
            return  # a custom terminator (e.g. ETX) is not a line ending
        if (dict(ENDINGS).get(wanted) or "none") == ending:
            return  # most end as configured: a burst split mid-code is the gap advice's
        if ending == "none":
            self._advise("terminator", "no_terminator")
        else:
            self._advise("terminator", "terminator", ending=ending)


def baud_advice(options: Any) -> Words:
    """What to say of a serial device whose reads are line noise (``Decoded.cut`` "noise"):
    the rate it is set to, the usual ones, and another to try with ``--baud``."""
    baud = options.baudrate
    return Words("advice.baud", {"baud": baud, "usual": " / ".join(map(str, USUAL_BAUDRATES)),
                                 "other": next(r for r in USUAL_BAUDRATES if r != baud)})


def _named(data: bytes) -> str:
    """``b"\\x02"`` → ``STX (0x02)``: control bytes as a scanner's manual names them."""
    names = " ".join(CONTROL_NAMES[b] if b < 0x20 else "DEL" for b in data)
    return f"{names} ({' '.join(f'0x{b:02X}' for b in data)})"


def _setting(data: bytes) -> str:
    """The bytes as a config.toml string's inside (``parse_bytes``'s escapes, the backslash
    doubled as a TOML string wants it): ``b"\\x02"`` → ``\\\\x02``, for ``prefix = "\\\\x02"``."""
    return "".join(chr(b) if 0x20 <= b < 0x7F and b not in b'"\\' else f"\\\\x{b:02x}"
                   for b in data)


class KeyDiagnostics(Diagnostics):
    """Keyboard mode: the terminator key, hex-dump output, and (with the key events) whether
    another keyboard layout would read a known code."""

    def _learn_kind(self, scan: Decoded, events: list[InputEvent]) -> None:
        self._advise_terminator_key(scan)
        self._advise_hex(scan)
        if _UNICODE_ENTRY.search(scan.payload):
            self._advise("unicode_entry", "unicode_entry")
        if events:
            self._advise_layout(scan, events)
            self._advise_codepage(scan, events)

    def _advise_terminator_key(self, scan: Decoded) -> None:
        configured = self.options.terminator
        if scan.ended_by == "gap" and configured in ("enter", "tab"):
            self._advise("terminator", "no_terminator_key", key=configured,
                         Key=configured.capitalize())
        for name, char in (("enter", "\r"), ("tab", "\t")):
            if configured != name and scan.payload.endswith(char.encode()):
                self._advise("terminator", "terminator_key", key=name, Key=name.capitalize())

    def _advise_hex(self, scan: Decoded) -> None:
        if "bad_hex" in scan.flags:
            self._advise("hex", "hex_off")
            return
        if self.options.hex_mode:
            return
        text = scan.payload.decode("utf-8", "replace").strip()
        if len(text) >= 8 and len(text) % 2 == 0 and all(c in "0123456789abcdefABCDEF"
                                                          for c in text):
            try:
                bytes.fromhex(text).decode("utf-8")
            except (ValueError, UnicodeDecodeError):
                return
            self._advise("hex", "hex_on")

    def _advise_layout(self, scan: Decoded, events: list[InputEvent]) -> None:
        """If the configured layout reads the keys as junk but another reads a known code."""
        if self._kind(scan.payload) in KNOWN_KINDS:
            return
        current = layout(self.options.layout).name
        for name in LAYOUTS:
            if name == current:
                continue
            decoder = KeyDecoder(name, self.options.terminator, 0, self.options.ansi_codepage,
                                 self.options.hex_mode)
            decoded = [d for ev in events for d in decoder.feed(ev)] + decoder.finish()
            if any(self._kind(d.payload) in KNOWN_KINDS for d in decoded):
                self._advise("layout", "layout", name=name)
                return


    def _advise_codepage(self, scan: Decoded, events: list[InputEvent]) -> None:
        """Alt codes the configured ``ansi_codepage`` reads as junk (a name no card has, a
        gender neither Nam nor Nữ) and the other reads as a known code: the scanner types
        in that code page, which carries Vietnamese (cp1258) — so that is the setting, not
        "Vietnamese cannot pass"."""
        if "alt_codes" not in scan.flags or self._kind(scan.payload) in KNOWN_KINDS:
            return
        other = "cp1258" if self.options.ansi_codepage == "cp1252" else "cp1252"
        decoder = KeyDecoder(self.options.layout, self.options.terminator, 0, other,
                             self.options.hex_mode)
        decoded = [d for ev in events for d in decoder.feed(ev)] + decoder.finish()
        if any(self._kind(d.payload) in KNOWN_KINDS for d in decoded):
            self._advise("alt_codes", "ansi_codepage", page=other)


_UNICODE_ENTRY = re.compile(rb"\x15[0-9a-fA-F]{2,6}")
"""Ctrl+U and a code point's hex digits: a scanner typing Ctrl+Shift+U Unicode entry (as
IBus/GTK take it), which a kiosk reading the keys itself gets as NAK and digits."""


class HidrawDiagnostics(KeyDiagnostics):
    """hidraw: the report size against the mode (8-byte reports are a keyboard); in keyboard
    mode, the keyboard advice (HID POS reports carry their own end and raw bytes)."""

    def __init__(self, options: Any) -> None:
        super().__init__(options)
        self._report_sizes: Counter[int] = Counter()

    def _note_bytes(self, data: bytes) -> None:
        self._report_sizes[len(data)] += 1

    def _learn_kind(self, scan: Decoded, events: list[InputEvent]) -> None:
        if self.options.mode == "keyboard":
            super()._learn_kind(scan, events)

    def _final_advice(self) -> None:
        if not self._report_sizes:
            return
        size = self._report_sizes.most_common(1)[0][0]
        if self.options.mode == "pos" and size in (8, 9):
            self._advise("mode", "mode_keyboard")
        elif self.options.mode == "keyboard" and size > 9:
            self._advise("mode", "mode_pos", size=size)


def diagnostics_for(options: DeviceOptions, timezone: ZoneInfo | None = None,
                    earliest_day: dt.date = RELEASED) -> Diagnostics:
    """The live view for a device, as its kind describes it (``DeviceKind.watch``);
    ``timezone``: the kiosk's configured zone, when a configuration is at hand;
    ``earliest_day``: the running kiosk's (``Pipeline.earliest_day``), when one is (a view's
    constructor takes the options alone: a plug-in's view keeps working)."""
    kind = device_kind(options.type)
    if kind is None or kind.watch is None:
        raise ValueError(f"no live view for device type {options.type!r}")
    view: Diagnostics = load(kind.watch)(options)
    view.timezone = timezone
    view.earliest_day = earliest_day
    return view


def _decode(payload: bytes, timezone: ZoneInfo | None, earliest_day: dt.date,
            now: float | None = None) -> Identity | Rejection:
    return decode(payload, today=card_day(timezone or ZoneInfo(DEFAULT_TIMEZONE), now,
                                          earliest_day))


def suggestions(device: DeviceOptions, status: Any, language: str | None = None) -> list[str]:
    """Advice from a device's config and its supervisor status (no raw stream needed), in
    ``language`` (None: in both)."""
    reason = getattr(status, "reason", None)
    out = [reason] if getattr(status, "state", "") == "error" and reason is not None else []
    kind = device_kind(device.type)
    if kind is not None and kind.advice is not None:
        out += kind.advice(device, status)
    return [words.worded(language) for words in out]
