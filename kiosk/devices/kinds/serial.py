"""``serial``: scanners on RS-232 or a USB virtual COM port (raw bytes: UTF-8 survives)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from kiosk.devices import kind
from kiosk.messages import Words
from kiosk.schema import ConfigError, opt

NAME_MAX = 255
"""Bytes in one part of a path (Linux's NAME_MAX): a longer part names no file."""

BAUDRATES = (1200, 2400, 4800, 9600, 14400, 19200, 38400, 57600, 115200, 230400, 460800,
             921600)


@dataclass(frozen=True, kw_only=True)
class SerialOptions(kind.DeviceOptions):
    port: str = opt("", expected="config.expect.serial_port")
    usb: str = opt("", expected=kind.USB_EXPECTED)
    baudrate: int = opt(9600, choices=BAUDRATES)
    bytesize: int = opt(8, choices=(5, 6, 7, 8))
    parity: str = opt("N", choices=("N", "E", "O", "M", "S"))
    stopbits: float = opt(1.0, choices=(1.0, 1.5, 2.0))
    flow_control: str = opt("none", choices=("none", "rtscts", "xonxoff", "dsrdtr"))
    terminator: str = opt("CRLF", expected="config.expect.terminator")
    idle_gap_ms: int = opt(80, minimum=0, maximum=10_000)
    encoding_fallback: str = opt("cp1258", expected="config.expect.encoding")
    prefix: str = opt("")
    suffix: str = opt("")
    strip_aim: bool = opt(True)

    def check(self, path: str) -> None:
        """Where the scanner is, and bytes and an encoding the framer can use: refused by
        `kiosk config check`, not when the device starts."""
        from kiosk.devices.serial_framer import check_encoding, parse_bytes

        kind.check_location(self, path, ("port", "usb"))
        for key, check in (("terminator", parse_bytes), ("prefix", parse_bytes),
                           ("suffix", parse_bytes), ("encoding_fallback", check_encoding)):
            try:
                check(getattr(self, key))
            except ConfigError as exc:
                raise ConfigError("config.in_key", key=f"{path}.{key}",
                                  problem=exc.words) from None

    def unusable(self, path: str) -> ConfigError | None:
        problem = port_problem(self.port)
        if problem is None:
            return None
        return ConfigError("config.bad_serial_port", key=f"{path}.port", problem=problem)


def port_problem(port: str) -> Words | None:
    """Why ``port`` cannot be a serial port's path (None: it can, or it is empty), for the
    file check and the technician's form alike. A code scanned or typed into the field — a
    PC-Covid or CCCD code's "|", a URL — passed as a path and only ever read "not found";
    the kiosk opens a Linux path (pyserial's ``Serial``): no COM name or ``rfc2217://`` URL.
    Only what no device's name holds is refused: "|" and control characters, a space (udev
    writes "_" for one in a by-id name and splits a SYMLINK list at it, so it means a name
    copied from the label or ``lsusb``), a blank at the end. Not the UTF-8 udev keeps from a
    product string (``usb-Zebra®_Symbol_DS2208™-if00``), nor a hand-made link's punctuation.
    The value is not repeated: it may be a person's scanned code."""
    for position, character in enumerate(port, 1):
        blank = character == " " or (character.isspace() and position == len(port))
        if blank or character == "|" or unicodedata.category(character) == "Cc":
            return Words("config.port.blank" if blank else "config.port.character", {
                "character": repr(character), "position": position, "length": len(port)})
    if port and not port.startswith("/"):
        return Words("config.port.relative", {"length": len(port)})
    longest = max((len(part.encode()) for part in port.split("/")), default=0)
    if longest > NAME_MAX:
        return Words("config.port.name_too_long", {"bytes": longest, "limit": NAME_MAX})
    return None


def decoder(options: SerialOptions) -> Any:
    from kiosk.devices.serial_framer import SerialFramer, parse_bytes

    return SerialFramer(parse_bytes(options.terminator), options.idle_gap_ms,
                        parse_bytes(options.prefix), parse_bytes(options.suffix),
                        options.strip_aim, options.encoding_fallback)


def advice(options: SerialOptions, status: Any) -> list[Words]:
    out = kind.waiting_hint(status)
    if options.port.startswith("/dev/tty") and not options.usb:
        out.append(Words("device.ttyacm_renumbered"))
    return out


KIND = kind.DeviceKind(
    name="serial",
    options=SerialOptions,
    device="kiosk.devices.serial_port:SerialDevice",
    decoder=decoder,
    capture=kind.CaptureFormat("chunks", ("terminator", "idle_gap_ms", "prefix", "suffix",
                                     "strip_aim", "encoding_fallback")),
    watch="kiosk.devices.diagnostics:SerialDiagnostics",
    discovery=kind.Discovery("kiosk.devices.discovery:serial_ports",
                             Words("device.section.serial"), "tty",
                             ("/dev/tty*", "/dev/serial/*", "/dev/rfcomm*", "/dev/pts/*"), "port",
                             write=True, resolve="kiosk.devices.discovery:resolve_serial"),
    advice=advice,
)
