"""Capture files: what a scanner sent, saved by ``kiosk devices watch --save`` and replayed
by a ``replay`` device (``format = "evdev" | "hidraw" | "serial"``) or watched again.

Plain UTF-8 text, one item per line, so a technician can send one by e-mail and anyone can
read it::

    # kiosk-capture v1 format=evdev
    # settings: {"layout": "us", "terminator": "enter", "idle_gap_ms": 100}
    # any other comment line is ignored
    1716200000.000000 EV_KEY KEY_LEFTSHIFT 1      (evdev: time, type, code, value)
    1716200000.001200 EV_KEY KEY_A 1
    12.503311 02 0d 5d 51 31 30 30 31 …           (hidraw: time, one report in hex;
                                                   serial: time, the bytes one read returned)

Times are seconds (any origin; only differences matter: they drive the gap logic). Types and
codes are Linux input names (``keycodes``) or numbers. ``settings`` are the device's decoding
options at capture time (layout, terminator, …), used again on replay so the capture
decodes as it did in the field.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from kiosk.devices import keycodes
from kiosk.devices.base import DeviceError
from kiosk.devices.kind import CaptureFormat, DeviceKind, DeviceOptions
from kiosk.devices.registry import device_kind, kinds
from kiosk.devices.stream import Chunk, Decoder, Idle, InputEvent, Item
from kiosk.messages import both, os_words
from kiosk.schema import ConfigError

MAGIC = "# kiosk-capture v1"
SETTINGS = "# settings:"
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
    items: list[InputEvent | Chunk] = field(default_factory=list)

    def options(self, device_id: str = "capture") -> DeviceOptions:
        """The device options the capture was made with (its kind's defaults elsewhere)."""
        kind, _ = _format(self.format)
        return kind.options(id=device_id, type=self.format, **self.settings)

    def played(self) -> Iterator[Item]:
        """Its items as the device gave them live: a capture holds what was read, never the
        empty reads between (the ``Idle`` ticks by which only a quiet line the reader saw
        ends a scan whose terminator or last report has not come), so each chunk follows
        the quiet the recorder saw up to it. Replayed without them, a capture whose
        terminator is not the configured one read as one scan of every code in it."""
        for item in self.items:
            if isinstance(item, Chunk):
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


def format_item(item: InputEvent | Chunk) -> str | None:
    """One capture line (None for items not worth keeping: SYN_REPORT separators)."""
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
        out.write(f"{MAGIC} format={options.type}\n")
        out.write(f"{SETTINGS} {json.dumps(decoding_settings(options))}\n")
        if comment:
            out.write(f"# {comment}\n")
        out.flush()
        self._hiding = False
        self._held: set[int] = set()
        """Keys down on the device; ``_kept``: keys down in what was written."""
        self._kept: set[int] = set()

    def write(self, item: InputEvent | Chunk, *, hidden: bool = False) -> None:
        """Keep ``item``; a ``hidden`` one (an enrolment code's input: its one-time secret)
        is not kept, a comment marks where it was. After hidden key events, the keys whose
        state they changed (a Shift pressed before, released during) are set right first,
        so the capture replays the rest as the device sent it."""
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

    def _line(self, line: str | None) -> None:
        if line is not None:
            self.out.write(line + "\n")
            self.out.flush()  # a technician may pull the plug at any time


def _track(held: set[int], item: InputEvent | Chunk) -> None:
    """Keep ``held`` (the keys down) up to date with ``item``."""
    if isinstance(item, InputEvent) and item.type == keycodes.EV_KEY and item.value in (0, 1):
        (held.add if item.value else held.discard)(item.code)


def _number(token: str, unknown: str) -> int:
    if token.lstrip("-").isdigit():
        return int(token)
    value = keycodes.CODES.get(token)
    if value is None:
        raise ValueError(both(unknown, token=repr(token)))
    return value


def parse_item(capture: CaptureFormat, line: str) -> InputEvent | Chunk:
    fields = line.split()
    if capture.items == "events":
        if len(fields) != 4:
            raise ValueError(both("capture.expected_event"))
        sec, _, frac = fields[0].partition(".")
        usec = int((frac + "000000")[:6]) if frac else 0
        return InputEvent(int(sec), usec, _number(fields[1], "capture.unknown_type"),
                          _number(fields[2], "capture.unknown_code"), int(fields[3]))
    if len(fields) < 2:
        raise ValueError(both("capture.expected_chunk"))
    return Chunk(float(fields[0]), bytes.fromhex("".join(fields[1:])))


def _settings(kind: DeviceKind, capture: CaptureFormat, text: str,
              where: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DeviceError(both("capture.settings_not_json", where=where, detail=exc.msg)
                          ) from None
    if not isinstance(data, dict):
        raise DeviceError(both("capture.settings_not_object", where=where))
    schema = kind.options.schema()
    out = {}
    for key, value in data.items():
        if key not in capture.settings:
            raise DeviceError(both("capture.unknown_setting", where=where, key=repr(key),
                                   kind=kind.name))
        try:
            out[key] = schema[key].check(f"{where}: {key}", value)
        except ConfigError as exc:
            raise DeviceError(str(exc)) from None
    return out


def read_capture(lines: Iterable[str], name: str = "capture") -> Capture:
    """Parse a capture; DeviceError names the line and what is wrong with it."""
    numbered = enumerate(lines, 1)
    first = next(numbered, None)
    if first is None:
        raise DeviceError(both("capture.empty", name=name))
    header = first[1].strip()
    if not header.startswith(MAGIC):
        raise DeviceError(both("capture.not_capture", where=f"{name}:1", magic=MAGIC))
    fmt = header.partition("format=")[2].split()[0] if "format=" in header else ""
    kind = capture_kinds().get(fmt)
    if kind is None or kind.capture is None:
        raise DeviceError(both("capture.bad_format", where=f"{name}:1",
                               kinds=", ".join(capture_kinds())))
    capture = Capture(fmt)
    for number, raw in numbered:
        line = raw.strip()
        where = f"{name}:{number}"
        if line.startswith(SETTINGS):
            capture.settings = _settings(kind, kind.capture, line[len(SETTINGS):], where)
        elif line and not line.startswith("#"):
            try:
                capture.items.append(parse_item(kind.capture, line))
            except ValueError as exc:
                raise DeviceError(f"{where}: {exc}") from None
    return capture


def load_capture(path: str | Path) -> Capture:
    try:
        with open(path, encoding="utf-8") as stream:
            return read_capture(stream, str(path))
    except OSError as exc:
        raise DeviceError(both("capture.unreadable", path=path, reason=os_words(exc))) from None
    except UnicodeDecodeError:
        raise DeviceError(both("capture.not_utf8", path=path)) from None
