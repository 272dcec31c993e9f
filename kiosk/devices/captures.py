"""Capture files: what a scanner sent, saved by ``kiosk devices watch --save`` and replayed
by a ``replay`` device (``format = "evdev" | "hidraw" | "serial"``) or watched again.

Plain UTF-8 text, one item per line, so a technician can send one by e-mail and anyone can
read it. This docstring is the format's one description (docs/architecture.md and
docs/technician.md point here)::

    # kiosk-capture v2 format=evdev
    # settings: {"layout": "us", "terminator": "enter", "idle_gap_ms": 100}
    # any other comment line is ignored
    1716200000.000000 EV_KEY KEY_LEFTSHIFT 1      (evdev: time, type, code, value)
    1716200000.001200 EV_KEY KEY_A 1
    12.503311 02 0d 5d 51 31 30 30 31 …           (hidraw: time, one report in hex;
                                                   serial: time, the bytes one read returned)
    12.640000 idle                                (v2: the reader found nothing up to then)

Times are seconds (any origin; only differences matter: they drive the gap logic), in
digits from 0 to ``MOST_SECONDS`` (``12.503311``; no sign, exponent, ``nan`` or ``inf``; at
most 13 digits before the point). Types and codes are Linux input names (``keycodes``) or
numbers; numbers and values are whole, of at most ``MOST_DIGITS`` digits. ``settings`` are
the device's decoding options at capture time (layout, terminator, …), used again on replay
so the capture decodes as it did in the field.

A key event's time is the kernel's, when the key came; a read's (hidraw, serial) is when the
read returned, not when its bytes arrived: a reader held up finds the rest of a code waiting
and reads it late, so a gap between two reads is no proof that the line was quiet. The
decoders end a code whose terminator (or last HID POS report) has not come only on an
``Idle`` tick, a read that came back empty (``serial_framer``, ``hidreport``).
Reads and their quiet are timed by the monotonic clock, so in a capture of reads a time is
never before the line's above (one that is was altered or damaged, and is refused). Key
events and their quiet carry the wall clock, which may be set back while recording: there a
time may go back, and a replay decodes it as the kiosk did live.

- **v2** (what ``CaptureWriter`` writes): the quiet the recorder saw is in the file, an
  ``idle`` line — the last empty read before the next item, and the one after the last —
  and a replay gives ``Idle`` ticks there only, so it frames codes as the kiosk did live: a code
  whose second half was read late stays one scan.
- **v1** (older captures, and the synthesized ones in tests/data/captures): no ``idle``
  lines (one is refused). The quiet is guessed: every read is taken to follow a quiet line
  up to its own time, so a gap between reads longer than ``idle_gap_ms`` ends a code, as
  those captures always replayed. A reader held up while recording then shows one code as
  two scans (the watch says so when it opens such a capture); record it again to be sure.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from kiosk.devices import keycodes
from kiosk.devices.base import DeviceError
from kiosk.devices.kind import CaptureFormat, DeviceKind, DeviceOptions
from kiosk.devices.registry import device_kind, kinds
from kiosk.devices.stream import Chunk, Decoder, Idle, InputEvent, Item
from kiosk.json_depth import nested_too_deep
from kiosk.messages import WordedError, both, hex_words, os_words
from kiosk.schema import ConfigError

MAGIC = "# kiosk-capture"
VERSION = 2
"""The version written; ``read_capture`` reads ``VERSIONS``."""
VERSIONS = (1, 2)
QUIET = "idle"
"""An item line's second field marking the quiet the recorder saw (v2)."""
SETTINGS = "# settings:"
MOST_SECONDS = 10**12
"""The latest time a line may carry (the year 33,658 as a wall clock): with it, every gap
a decoder or the watch works out is a number a float and an int can hold."""
_SECONDS = re.compile(rf"[0-9]{{1,{len(str(MOST_SECONDS))}}}(\.[0-9]+)?", re.ASCII)
"""A line's time; the digits before the point are capped, as ``int`` refuses over 4,300 in
English."""
MOST_DIGITS = 10
"""The digits of an event's number: the kernel's are 16 or 32 bits (``-2147483648``)."""
_INTEGER = re.compile(rf"-?[0-9]{{1,{MOST_DIGITS}}}", re.ASCII)
"""An event's type, code or value written as a number: ``str.isdigit`` passes "²" or
"--5", and ``int`` refuses those, or over 4,300 digits, in English."""
_NUMERAL = re.compile(r"-?[0-9]", re.ASCII)
"""How a type or code written as a number starts (a name starts with a letter)."""
HIDDEN = "# an enrolment code's input was here, not kept (its one-time secret)"


def capture_kinds() -> dict[str, DeviceKind]:
    """The kinds whose raw input can be captured (and replayed, and watched)."""
    return {name: kind for name, kind in kinds().items() if kind.capture is not None}


def _format(kind_name: str) -> tuple[DeviceKind, CaptureFormat]:
    kind = device_kind(kind_name)
    if kind is None or kind.capture is None or kind.decoder is None:
        raise ValueError(both("capture.cannot_capture", kind=kind_name,
                              kinds=", ".join(capture_kinds())))
    return kind, kind.capture


@dataclass
class Capture:
    format: str
    settings: dict[str, Any] = field(default_factory=dict)
    items: list[Item] = field(default_factory=list)
    """What was read, and (v2) the ``Idle`` ticks the recorder saw, in order."""
    version: int = VERSION
    """1: the items hold no quiet; it is guessed on replay (see the module's docstring)."""

    def options(self, device_id: str = "capture") -> DeviceOptions:
        """The device options the capture was made with (its kind's defaults elsewhere)."""
        kind, _ = _format(self.format)
        return kind.options(id=device_id, type=self.format, **self.settings)

    @property
    def quiet_guessed(self) -> bool:
        """Whether a replay guesses the quiet between reads (a v1 capture of reads)."""
        return self.version < 2 and any(isinstance(item, Chunk) for item in self.items)

    def played(self) -> Iterator[Item]:
        """Its items as the device gave them live. v2: with the ``Idle`` ticks recorded,
        and no others. v1 holds no quiet: each read is taken to follow a quiet line up to
        its own time (an ``Idle`` tick before it), so a scanner whose terminator is not the
        configured one still splits into its codes — and a read that came late splits a
        code (see the module's docstring). Key events carry the kernel's own times."""
        guessed = self.quiet_guessed
        for item in self.items:
            if guessed and isinstance(item, Chunk):
                yield Idle(item.t)
            yield item

    def decoder(self) -> Decoder:
        """A fresh decoder reading this capture as the device did in the field."""
        kind, _ = _format(self.format)
        assert kind.decoder is not None
        return kind.decoder(self.options())


def decoding_settings(options: DeviceOptions) -> dict[str, Any]:
    """The options that change how a capture decodes (what the header keeps)."""
    _, capture = _format(options.type)
    return {k: getattr(options, k) for k in capture.settings}


def _name(table: dict[int, str], number: int) -> str:
    return table.get(number, str(number))


def format_item(item: Item) -> str | None:
    """One capture line (None for items not worth keeping: SYN_REPORT separators)."""
    if isinstance(item, Idle):
        return f"{item.t:.6f} {QUIET}"
    if isinstance(item, Chunk):
        return f"{item.t:.6f} {item.data.hex(' ')}"
    if item.type == keycodes.EV_SYN and item.code == keycodes.SYN_REPORT:
        return None
    codes = keycodes.BY_TYPE.get(item.type, {})
    return (f"{item.sec}.{item.usec:06d} {_name(keycodes.EV, item.type)} "
            f"{_name(codes, item.code)} {item.value}")


class CaptureWriter:
    def __init__(self, out: TextIO, options: DeviceOptions, comment: str = "") -> None:
        _format(options.type)
        self.out = out
        out.write(f"{MAGIC} v{VERSION} format={options.type}\n")
        out.write(f"{SETTINGS} {json.dumps(decoding_settings(options))}\n")
        if comment:
            out.write(f"# {comment}\n")
        out.flush()
        self._hiding = False
        self._quiet: Idle | None = None
        """The last empty read since the last item: written before the next one."""
        self._held: set[int] = set()
        """Keys down on the device; ``_kept``: keys down in what was written."""
        self._kept: set[int] = set()

    def write(self, item: Item, *, hidden: bool = False) -> None:
        """Keep ``item``; a ``hidden`` one (an enrolment code's input: its one-time secret)
        is not kept, a comment marks where it was. After hidden key events, the keys whose
        state they changed (a Shift pressed before, released during) are set right first,
        so the capture replays the rest as the device sent it. Of the ``Idle`` ticks (the
        reader's empty reads, every few ms) the last before an item is kept: a decoder
        ends a code on the latest quiet it is told of, so the ones before add nothing."""
        if isinstance(item, Idle):
            self._quiet = item
            return
        quiet, self._quiet = self._quiet, None
        if quiet is not None and not (hidden and self._hiding):  # none inside a hidden code
            self._line(format_item(quiet))
        if hidden:
            if not self._hiding:
                self._line(HIDDEN)
            self._hiding = True
            _track(self._held, item)
            return
        if self._hiding:
            self._hiding = False
            for code in sorted(self._kept ^ self._held):
                self.write(InputEvent.at(item.t, keycodes.EV_KEY, code, int(code in self._held)))
        _track(self._held, item)
        _track(self._kept, item)
        self._line(format_item(item))

    def finish(self) -> None:
        """Write the quiet seen after the last item (the recording ends): a code whose end
        never came ended on it live, as it does on replay."""
        if self._quiet is not None:
            self._line(format_item(self._quiet))
            self._quiet = None

    def _line(self, line: str | None) -> None:
        if line is not None:
            self.out.write(line + "\n")
            self.out.flush()  # a technician may pull the plug at any time


class BadLine(WordedError, ValueError):
    """What is wrong with a capture's line, for :func:`read_capture` to say which line."""


def _track(held: set[int], item: InputEvent | Chunk) -> None:
    """Keep ``held`` (the keys down) up to date with ``item``."""
    if isinstance(item, InputEvent) and item.type == keycodes.EV_KEY and item.value in (0, 1):
        (held.add if item.value else held.discard)(item.code)


def _integer(token: str) -> int:
    """An event's number field; BadLine names what is wrong."""
    if not _INTEGER.fullmatch(token):
        raise BadLine("capture.bad_number", value=repr(token[:40]), digits=MOST_DIGITS)
    return int(token)


def _number(token: str, unknown: str) -> int:
    """An event's type or code: a number, or a name ``unknown`` says is none."""
    if _NUMERAL.match(token):
        return _integer(token)
    value = keycodes.CODES.get(token)
    if value is None:
        raise BadLine(unknown, token=repr(token[:40]))
    return value


def _seconds(token: str) -> float:
    """A line's time (see the module's docstring); ValueError names what is wrong."""
    if not _SECONDS.fullmatch(token) or float(token) > MOST_SECONDS:
        raise BadLine("capture.bad_time", time=repr(token[:40]), most=MOST_SECONDS)
    return float(token)


def parse_item(capture: CaptureFormat, line: str, version: int = VERSION) -> Item:
    fields = line.split()
    if len(fields) == 2 and fields[1] == QUIET:
        if version < 2:
            raise BadLine("capture.quiet_in_v1", quiet=QUIET, version=version)
        return Idle(_seconds(fields[0]))
    if capture.items == "events":
        if len(fields) != 4:
            raise BadLine("capture.expected_event")
        _seconds(fields[0])
        sec, _, frac = fields[0].partition(".")
        usec = int((frac + "000000")[:6]) if frac else 0
        return InputEvent(int(sec), usec, _number(fields[1], "capture.unknown_type"),
                          _number(fields[2], "capture.unknown_code"), _integer(fields[3]))
    if len(fields) < 2:
        raise BadLine("capture.expected_chunk")
    seconds, digits = _seconds(fields[0]), "".join(fields[1:])
    try:
        return Chunk(seconds, bytes.fromhex(digits))
    except ValueError:
        raise BadLine("capture.bad_hex", value=repr(digits[:40]),
                      problem=hex_words(digits)) from None


def _settings(kind: DeviceKind, capture: CaptureFormat, text: str,
              where: str) -> dict[str, Any]:
    if nested_too_deep(text.encode("utf-8", "surrogatepass")):
        raise DeviceError("capture.settings_too_deep", where=where)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DeviceError("capture.settings_not_json", where=where, detail=exc.msg) from None
    if not isinstance(data, dict):
        raise DeviceError("capture.settings_not_object", where=where)
    schema = kind.options.schema()
    out = {}
    for key, value in data.items():
        if key not in capture.settings:
            raise DeviceError("capture.unknown_setting", where=where, key=repr(key),
                              kind=kind.name)
        try:
            out[key] = schema[key].check(f"{where}: {key}", value)
        except ConfigError as exc:
            raise DeviceError(exc.words.code, **exc.words.params) from None
    return out


def read_capture(lines: Iterable[str], name: str = "capture") -> Capture:
    """Parse a capture; DeviceError names the line and what is wrong with it."""
    numbered = enumerate(lines, 1)
    first = next(numbered, None)
    if first is None:
        raise DeviceError("capture.empty", name=name)
    header = first[1].strip()
    if not header.startswith(f"{MAGIC} v"):
        raise DeviceError("capture.not_capture", where=f"{name}:1",
                          magic=f"{MAGIC} v{VERSION}")
    version = (header[len(MAGIC) + 2:].split() or [""])[0]
    if not (version.isascii() and version.isdigit() and int(version) in VERSIONS):
        raise DeviceError("capture.unknown_version", where=f"{name}:1",
                          version=repr(f"v{version}"),
                          versions=", ".join(f"v{v}" for v in VERSIONS))
    fmt = header.partition("format=")[2].split()[0] if "format=" in header else ""
    kind = capture_kinds().get(fmt)
    if kind is None or kind.capture is None:
        raise DeviceError("capture.bad_format", where=f"{name}:1",
                          kinds=", ".join(capture_kinds()))
    capture = Capture(fmt, version=int(version))
    monotonic = kind.capture.items == "chunks"  # reads: see the module's docstring
    latest = ""  # the latest item's line and time, as written
    for number, raw in numbered:
        line = raw.strip()
        where = f"{name}:{number}"
        if line.startswith(SETTINGS):
            capture.settings = _settings(kind, kind.capture, line[len(SETTINGS):], where)
        elif line and not line.startswith("#"):
            try:
                item = parse_item(kind.capture, line, capture.version)
                if monotonic and capture.items and item.t < capture.items[-1].t:
                    raise BadLine("capture.time_back", time=line.split()[0],
                                  before=latest)
                capture.items.append(item)
                latest = f"{number} ({line.split()[0]})"
            except ValueError as exc:
                raise DeviceError("capture.bad_line", where=where, problem=exc) from None
    return capture


def load_capture(path: str | Path) -> Capture:
    try:
        with open(path, encoding="utf-8") as stream:
            return read_capture(stream, str(path))
    except OSError as exc:
        raise DeviceError("capture.unreadable", path=path, reason=os_words(exc)) from None
    except UnicodeDecodeError:
        raise DeviceError("capture.not_utf8", path=path) from None
