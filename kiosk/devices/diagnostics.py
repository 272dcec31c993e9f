"""The technician's live view of one scanner, and the settings it suggests. Pure.

``Diagnostics(options)`` takes a device's config (type serial / evdev / hidraw) and is fed
what the device really sends; each ``observe_*`` call returns display lines (raw bytes in
hex and text, or key events with the time since the previous one; then each decoded scan
with its payload kind), and ``suggestions()`` says what to change::

    diag = Diagnostics(validate_device(0, {"type": "serial", "terminator": "CR", ...}))
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

import math
from collections import Counter
from typing import Any

from kiosk.devices import keycodes as e
from kiosk.devices.decoders import build_decoder
from kiosk.devices.keydecoder import KeyDecoder
from kiosk.devices.keymaps import LAYOUTS, layout
from kiosk.devices.kind import DeviceOptions
from kiosk.devices.registry import device_kind
from kiosk.devices.serial_framer import AIM, parse_bytes
from kiosk.devices.stream import Chunk, Decoded, InputEvent
from kiosk.messages import Words, both
from kiosk.payloads import Identity, decode
from kiosk.scan import mask_document

BURST_GAP = 0.03
"""Serial bytes this far apart belong to different bursts (what the scanner sent at once)."""
KNOWN_KINDS = ("cccd", "pccovid", "hc1")
ENDINGS = ((b"\r\n", "CRLF"), (b"\r", "CR"), (b"\n", "LF"))


def _printable(data: bytes) -> str:
    text = data.decode("utf-8", errors="replace")
    return "".join(c if c.isprintable() else "·" for c in text)


def describe_payload(payload: bytes) -> str:
    """What the pipeline would make of a payload: its kind and who, or why it is refused."""
    result = decode(payload)
    if isinstance(result, Identity):
        who = " ".join(p for p in (result.name or "", mask_document(result.document_number))
                       if p)
        return f"{result.kind}" + (f": {who}" if who else "")
    return f"refused/từ chối: {result.code}" + (f" ({result.detail})" if result.detail else "")


class Diagnostics:
    def __init__(self, options: Any) -> None:
        self.options = options
        """The device's typed options (``SerialOptions``, ``EvdevOptions``, …)."""
        self.kind: str = options.type
        self.decoder = build_decoder(options)
        self.scans: list[Decoded] = []
        self._advice: dict[str, Words] = {}
        self._last_t: float | None = None
        self._burst = bytearray()
        self._endings: Counter[str] = Counter()
        self._events: list[InputEvent] = []
        self._report_sizes: Counter[int] = Counter()

    # -- observations --------------------------------------------------------------------
    def observe(self, item: InputEvent | Chunk) -> list[str]:
        if isinstance(item, InputEvent):
            return self.observe_key(item)
        return self.observe_bytes(item.data, item.t)

    def observe_bytes(self, data: bytes, t: float) -> list[str]:
        """A serial read or one hidraw report."""
        lines = self._close_burst(t)
        gap = "" if self._last_t is None else f"+{(t - self._last_t) * 1000:7.1f} ms"
        self._last_t = t
        if self.kind == "hidraw":
            self._report_sizes[len(data)] += 1
        else:
            self._burst += data
        lines.append(f"{gap:>11}  {data.hex(' ')}  |{_printable(data)}|")
        return lines + self._scans(self.decoder.feed(Chunk(t, data)))

    def observe_key(self, event: InputEvent) -> list[str]:
        if event.type != e.EV_KEY and not (event.type == e.EV_SYN
                                           and event.code == e.SYN_DROPPED):
            return self._scans(self.decoder.feed(event)) if self.kind == "evdev" else []
        gap = "" if self._last_t is None else f"+{(event.t - self._last_t) * 1000:7.1f} ms"
        self._last_t = event.t
        self._events.append(event)
        name = e.BY_TYPE[e.EV_KEY].get(event.code, str(event.code))
        if event.type == e.EV_SYN:
            name = "SYN_DROPPED"
        arrow = {0: "↑", 1: "↓", 2: "(repeat)"}.get(event.value, str(event.value))
        lines = [f"{gap:>11}  {name} {arrow}"]
        return lines + self._scans(self.decoder.feed(event))

    def idle(self, t: float) -> list[str]:
        lines = self._close_burst(t)
        return lines + self._scans(self.decoder.idle(t))

    def finish(self) -> list[str]:
        lines = self._close_burst(None)
        return lines + self._scans(self.decoder.finish())

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
            lines.append(f"== scan/quét {number}: {len(scan.payload)} bytes, ended by "
                         f"{scan.ended_by}{symbology}")
            lines.append(f"   {_printable(scan.payload)[:200]}")
            lines.append(f"   → {describe_payload(scan.payload)}")
        return lines

    def _close_burst(self, t: float | None) -> list[str]:
        """Serial: note how each burst of bytes ended (CR, LF, CRLF, nothing)."""
        if not self._burst or (t is not None and self._last_t is not None
                               and t - self._last_t <= BURST_GAP):
            return []
        burst = bytes(self._burst)
        self._burst.clear()
        ending = next((name for end, name in ENDINGS if burst.endswith(end)), "none")
        self._endings[ending] += 1
        return []

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
        if "events_dropped" in flags:
            self._advise("dropped", "dropped")
        if "incomplete" in flags:
            self._advise("incomplete", "incomplete")
        self._advise_gaps(scan)
        self._advise_terminator(scan)
        self._advise_hex(scan)
        if events and self.kind == "evdev":
            self._advise_layout(scan, events)
        if self.kind == "serial" and not self.options.strip_aim and AIM.match(
                scan.payload):
            self._advise("aim", "aim")

    def _advise_gaps(self, scan: Decoded) -> None:
        limit = self.options.idle_gap_ms / 1000
        if limit and scan.max_gap > 0.6 * limit:
            wanted = math.ceil(scan.max_gap * 200) * 10  # twice the gap, in 10 ms steps
            self._advise("gap", "gap", gap=f"{scan.max_gap * 1000:.0f}",
                         limit=f"{limit * 1000:.0f}", wanted=wanted)

    def _advise_terminator(self, scan: Decoded) -> None:
        configured = self.options.terminator
        if self.kind == "serial":
            self._advise_serial_terminator(configured)
            return
        if self.kind == "hidraw" and self.options.mode == "pos":
            return  # HID POS reports carry their own end (the "more follows" flag)
        if scan.ended_by == "gap" and configured in ("enter", "tab"):
            self._advise("terminator", "no_terminator_key", key=configured,
                         Key=configured.capitalize())
        for name, char in (("enter", "\r"), ("tab", "\t")):
            if configured != name and scan.payload.endswith(char.encode()):
                self._advise("terminator", "terminator_key", key=name, Key=name.capitalize())

    def _advise_serial_terminator(self, configured: str) -> None:
        if not self._endings:
            return
        ending, count = self._endings.most_common(1)[0]
        try:
            wanted = parse_bytes(configured)
        except ValueError:
            wanted = b""
        if ending == "none" and wanted not in (b"\r", b"\n", b"\r\n") and wanted:
            return  # a custom terminator (e.g. ETX) is not a line ending
        if (dict(ENDINGS).get(wanted) or "none") == ending and count == sum(
                self._endings.values()):
            return
        if ending == "none":
            self._advise("terminator", "no_terminator")
        else:
            self._advise("terminator", "terminator", ending=ending)

    def _advise_hex(self, scan: Decoded) -> None:
        if "bad_hex" in scan.flags:
            self._advise("hex", "hex_off")
            return
        if self.kind == "serial" or self.options.hex_mode:
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
        if _kind(scan.payload) in KNOWN_KINDS:
            return
        current = layout(self.options.layout).name
        for name in LAYOUTS:
            if name == current:
                continue
            decoder = KeyDecoder(name, self.options.terminator, 0, self.options.ansi_codepage,
                                 self.options.hex_mode)
            decoded = [d for ev in events for d in decoder.feed(ev)] + decoder.finish()
            if any(_kind(d.payload) in KNOWN_KINDS for d in decoded):
                self._advise("layout", "layout", name=name)
                return

    def _advise_report_mode(self) -> None:
        if self.kind != "hidraw" or not self._report_sizes:
            return
        size = self._report_sizes.most_common(1)[0][0]
        mode = self.options.mode
        if mode == "pos" and size in (8, 9):
            self._advise("mode", "mode_keyboard")
        elif mode == "keyboard" and size > 9:
            self._advise("mode", "mode_pos", size=size)

    def suggestions(self, language: str | None = None) -> list[str]:
        """What to change, most useful first; bilingual "vi / en" unless a language is given."""
        self._advise_report_mode()
        if self.kind == "serial":
            self._advise_serial_terminator(self.options.terminator)
        return [words(language) if language else both(words.code, **words.params)
                for words in self._advice.values()]


def _kind(payload: bytes) -> str:
    result = decode(payload)
    return result.kind if isinstance(result, Identity) else "refused"


def suggestions(device: DeviceOptions, status: Any) -> list[str]:
    """Advice from a device's config and its supervisor status (no raw stream needed)."""
    reason = getattr(status, "reason", "") or ""
    out = [reason] if getattr(status, "state", "") == "error" and reason else []
    kind = device_kind(device.type)
    if kind is not None and kind.advice is not None:
        out += kind.advice(device, status)
    return out
