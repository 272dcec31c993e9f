"""Writes the capture files in this folder (run it to regenerate them; they are committed).

None of them was recorded from a scanner: no scanner hardware was available, so these
streams are synthesized from what scanners are
documented to send (docs: /work/shared/docs/domain.md §4; Honeywell HID POS report layout):
key timings of 1–4 ms per key with jitter, modifiers pressed around keys, NumLock toggles,
Alt+keypad codes, key-repeat noise, USB CDC 64-byte packet splits. The key tables here are
written out independently of kiosk/devices/keymaps.py on purpose, so a mistake in one is
caught by the other. The expected decodings are in expected.json. They are v1 captures
(kiosk/devices/captures.py): no quiet recorded, a replay guesses it from the gaps between
reads, as they were made to be read.

    .venv/bin/python tests/data/captures/generate.py
"""

from __future__ import annotations

import json
import random
from pathlib import Path

HERE = Path(__file__).parent
CCCD = "001099012345|123456789|Nguyễn Văn An|01021990|Nam|Số 1 Phố Huế, Hà Nội|10102021"
CCCD_2024 = ("048205000123|201234567|Lê Văn Tú|30121999|Nam|Thôn Phú Thượng, Hoà Vang, Đà Nẵng"
             "|04102024||||")
PCCOVID = "******012345|NGUYEN VAN AN|1990-**-**|0|162979388586171100|<1<00<0912345678"

US_PLAIN = "`1234567890-=qwertyuiop[]\\asdfghjkl;'zxcvbnm,./"
US_SHIFT = "~!@#$%^&*()_+QWERTYUIOP{}|ASDFGHJKL:\"ZXCVBNM<>?"
US_KEYS = [
    "GRAVE", "1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "MINUS", "EQUAL",
    "Q", "W", "E", "R", "T", "Y", "U", "I", "O", "P", "LEFTBRACE", "RIGHTBRACE", "BACKSLASH",
    "A", "S", "D", "F", "G", "H", "J", "K", "L", "SEMICOLON", "APOSTROPHE",
    "Z", "X", "C", "V", "B", "N", "M", "COMMA", "DOT", "SLASH",
]


class Typist:
    """Key events with scanner-like timing, written as capture lines."""

    def __init__(self, seed: int, start: float = 1716200000.0) -> None:
        self.rng = random.Random(seed)
        self.t = start
        self.lines: list[str] = []

    def event(self, code: str, value: int) -> None:
        self.lines.append(f"{self.t:.6f} EV_KEY KEY_{code} {value}")

    def wait(self, low: float, high: float) -> None:
        self.t += self.rng.uniform(low, high)

    def tap(self, code: str, *mods: str, repeat: bool = False) -> None:
        for mod in mods:
            self.event(mod, 1)
            self.wait(0.0003, 0.0008)
        self.event(code, 1)
        if repeat:
            self.wait(0.0005, 0.001)
            self.event(code, 2)
        self.wait(0.0008, 0.002)
        self.event(code, 0)
        for mod in reversed(mods):
            self.wait(0.0003, 0.0008)
            self.event(mod, 0)
        self.wait(0.001, 0.004)

    def alt_code(self, digits: str) -> None:
        self.event("LEFTALT", 1)
        self.wait(0.001, 0.002)
        for d in digits:
            self.tap(f"KP{d}")
        self.event("LEFTALT", 0)
        self.wait(0.001, 0.004)

    def us(self, char: str, keypad_digits: bool = False) -> None:
        if char == " ":
            self.tap("SPACE")
        elif keypad_digits and char.isdigit():
            self.tap(f"KP{char}")
        elif char in US_PLAIN:
            self.tap(US_KEYS[US_PLAIN.index(char)])
        else:
            self.tap(US_KEYS[US_SHIFT.index(char)], "LEFTSHIFT")


def cp1258_units(char: str) -> bytes:
    """A Vietnamese letter in cp1258: precomposed where the page has it, else base + tone."""
    try:
        return char.encode("cp1258")
    except UnicodeEncodeError:
        pass
    import unicodedata

    tones = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
    parts = unicodedata.normalize("NFD", char)
    base = "".join(c for c in parts if c not in tones)
    tone = "".join(c for c in parts if c in tones)
    return unicodedata.normalize("NFC", base).encode("cp1258") + tone.encode("cp1258")


def capture(name: str, fmt: str, settings: dict, lines: list[str], note: str) -> None:
    text = (f"# kiosk-capture v1 format={fmt}\n# settings: {json.dumps(settings)}\n"
            f"# {note}\n# SYNTHESIZED by tests/data/captures/generate.py from what such "
            f"scanners are documented to send; not recorded from a device\n"
            + "\n".join(lines) + "\n")
    (HERE / name).write_text(text, encoding="utf-8")


def evdev_captures() -> dict[str, list[str]]:
    expected: dict[str, list[str]] = {}

    # Datalogic-style: NumLock, ASCII typed, digits on the keypad, Vietnamese via Alt+0nnn
    # of cp1258 (scanner set to the Vietnamese code page): lossless, thanks to cp1258.
    k = Typist(1)
    k.tap("NUMLOCK")
    for char in CCCD:
        if char.isascii():
            k.us(char, keypad_digits=True)
        else:
            for byte in cp1258_units(char):
                k.alt_code(f"0{byte:03d}")
    k.tap("ENTER")
    capture("datalogic-cp1258-altcodes-cccd.evdev.log", "evdev",
            {"layout": "us", "terminator": "enter", "idle_gap_ms": 100,
             "ansi_codepage": "cp1258"}, k.lines,
            "US layout, keypad digits, Vietnamese letters as Alt+0nnn in cp1258")
    expected["datalogic-cp1258-altcodes-cccd.evdev.log"] = [CCCD]

    # The same scanner in "all characters as Alt codes" mode with cp1252: the Vietnamese
    # letters cp1252 lacks arrive as '?', as real scanners do.
    k = Typist(2)
    k.tap("NUMLOCK")
    lossy = CCCD.encode("cp1252", errors="replace").decode("cp1252")
    for byte in lossy.encode("cp1252"):
        k.alt_code(f"0{byte:03d}")
    k.tap("ENTER")
    k.wait(0.4, 0.6)
    k.alt_code("052")  # the domain example: Alt + KP0 KP5 KP2 = '4' (no leading 0: cp437)
    k.alt_code("0052")
    k.alt_code("130")  # cp437 130 = 'é'
    k.tap("ENTER")
    capture("datalogic-cp1252-lossy-cccd.evdev.log", "evdev",
            {"layout": "us", "terminator": "enter", "ansi_codepage": "cp1252"}, k.lines,
            "every character as Alt+0nnn (cp1252): Vietnamese letters lost as '?'")
    expected["datalogic-cp1252-lossy-cccd.evdev.log"] = [lossy, "44é"]

    # A scanner set to French AZERTY, on a kiosk whose own layout does not matter.
    azerty = {
        **{d: (d, "LEFTSHIFT") for d in "1234567890"},  # digits need Shift on AZERTY
        "*": ("BACKSLASH",), "|": ("6", "RIGHTALT"), "-": ("6",), "<": ("102ND",),
        " ": ("SPACE",), "A": ("Q", "LEFTSHIFT"), "N": ("N", "LEFTSHIFT"),
        "G": ("G", "LEFTSHIFT"), "U": ("U", "LEFTSHIFT"), "Y": ("Y", "LEFTSHIFT"),
        "E": ("E", "LEFTSHIFT"), "V": ("V", "LEFTSHIFT"), "c": ("C",), "r": ("R",),
        "p": ("P",), "e": ("E",),
    }
    k = Typist(3)
    for char in PCCOVID:
        key, *mods = azerty[char]
        k.tap(key, *mods)
    k.tap("ENTER")
    k.wait(0.5, 0.8)
    for char in "cr":
        k.tap(*azerty[char])
    k.tap("LEFTBRACE")  # dead circumflex…
    k.tap("E")          # …+ e = ê
    for char in "pe":
        k.tap(*azerty[char])
    k.tap("LEFTBRACE")  # dead circumflex…
    k.tap("SPACE")      # …+ space = ^
    k.tap("2", "LEFTSHIFT")
    k.tap("KPENTER")
    capture("azerty-pccovid.evdev.log", "evdev", {"layout": "fr-azerty"}, k.lines,
            "scanner set to French AZERTY: digits need Shift, | is AltGr+6, ^ is a dead key")
    expected["azerty-pccovid.evdev.log"] = [PCCOVID, "crêpe^2"]

    # German QWERTZ: z/y swapped, AltGr+Q = @, Shift+7 = /.
    qwertz = {
        "h": ("H",), "t": ("T",), "p": ("P",), "s": ("S",), "o": ("O",), "k": ("K",),
        "a": ("A",), "i": ("I",), "y": ("Z",), "e": ("E",), "v": ("V",), "n": ("N",),
        "q": ("Q",), "x": ("X",), "Z": ("Y", "LEFTSHIFT"), "4": ("4",), "2": ("2",),
        ":": ("DOT", "LEFTSHIFT"), "/": ("7", "LEFTSHIFT"), ".": ("DOT",),
        "?": ("MINUS", "LEFTSHIFT"), "=": ("0", "LEFTSHIFT"), "-": ("SLASH",),
        "&": ("6", "LEFTSHIFT"), "@": ("Q", "RIGHTALT"),
    }
    url = "https://tokhaiyte.vn/?q=Zy-42&x=@"
    k = Typist(4)
    for char in url:
        k.tap(*qwertz[char])
    k.tap("ENTER")
    capture("qwertz-url.evdev.log", "evdev", {"layout": "de-qwertz"}, k.lines,
            "scanner set to German QWERTZ")
    expected["qwertz-url.evdev.log"] = [url]

    # GS1 with Ctrl+] group separators; CapsLock left on by someone; one key repeat.
    k = Typist(5)
    k.tap("CAPSLOCK")
    for char in "0109506000134352":
        k.us(char)
    k.tap("RIGHTBRACE", "LEFTCTRL")  # GS
    for char in "10":
        k.us(char)
    for char in "abc":
        k.tap(char.upper(), repeat=char == "b")  # CapsLock: upper case without Shift
    k.tap("X", "LEFTSHIFT")  # Shift under CapsLock: lower case
    k.tap("ENTER")
    k.tap("CAPSLOCK")
    capture("gs1-ctrl-capslock-repeat.evdev.log", "evdev", {"layout": "us"}, k.lines,
            "GS1 element string, GS as Ctrl+], CapsLock on, a key-repeat event")
    expected["gs1-ctrl-capslock-repeat.evdev.log"] = ["0109506000134352\x1d10ABCx"]

    # Hex-dump mode: the raw UTF-8 bytes as hex digits, so Vietnamese survives keyboard mode.
    k = Typist(6)
    for char in CCCD_2024.encode("utf-8").hex().upper():
        k.us(char)
    k.tap("ENTER")
    capture("hexdump-cccd.evdev.log", "evdev", {"layout": "us", "hex_mode": True}, k.lines,
            "scanner sends payloads as hex digits")
    expected["hexdump-cccd.evdev.log"] = [CCCD_2024]

    # No terminator: scans separated only by the pause between people.
    k = Typist(7)
    scans = ["8938505974194", "SO-2024-001", "https://tokhaiyte.vn"]
    for text in scans:
        for char in text:
            k.us(char)
        k.wait(0.4, 0.9)
    capture("no-terminator-gap.evdev.log", "evdev",
            {"layout": "us", "terminator": "none", "idle_gap_ms": 100}, k.lines,
            "no suffix configured on the scanner: only the idle gap ends a scan")
    expected["no-terminator-gap.evdev.log"] = scans
    return expected


def pos_reports(payload: bytes, aim: bytes = b"]Q1", size: int = 64) -> list[bytes]:
    room = size - 8
    chunks = [payload[i:i + room] for i in range(0, len(payload), room)] or [b""]
    reports = []
    for n, chunk in enumerate(chunks):
        more = 1 if n < len(chunks) - 1 else 0
        body = chunk.ljust(room, b"\0")
        reports.append(bytes([2, len(chunk)]) + aim + body + bytes([0x3F, 0, more]))
    return reports


def hidraw_captures() -> dict[str, list[str]]:
    expected: dict[str, list[str]] = {}
    rng = random.Random(8)
    t = 5012.0
    lines = []
    for payload in (CCCD, "STATUS", PCCOVID):
        if payload == "STATUS":  # a report with another id: not scan data
            lines.append(f"{t:.6f} " + bytes([4, 1, 0, 0, 0, 0, 0, 0]).hex(" "))
            t += 0.2
            continue
        for report in pos_reports(payload.encode("utf-8")):
            lines.append(f"{t:.6f} " + report.hex(" "))
            t += rng.uniform(0.001, 0.003)
        t += rng.uniform(0.5, 1.5)
    capture("honeywell-pos-cccd.hidraw.log", "hidraw", {"mode": "pos"}, lines,
            "Honeywell HID POS, 64-byte reports id 2, AIM ]Q1, multi-report scans")
    expected["honeywell-pos-cccd.hidraw.log"] = [CCCD, PCCOVID]

    # Boot keyboard read through hidraw: the domain example 04 00 62 60 5b = LeftAlt+KP0 KP8 KP3.
    reports = ["04 00 62 60 5b 00 00 00", "00 00 00 00 00 00 00 00",
               "02 00 06 00 00 00 00 00", "02 00 00 00 00 00 00 00",   # Shift+C
               "02 00 04 00 00 00 00 00", "02 00 00 00 00 00 00 00",   # Shift+A
               "02 00 11 00 00 00 00 00", "00 00 00 00 00 00 00 00",   # Shift+N
               "00 00 2d 00 00 00 00 00", "00 00 00 00 00 00 00 00",   # -
               "00 00 59 00 00 00 00 00", "00 00 00 00 00 00 00 00",   # KP1
               "00 00 28 00 00 00 00 00", "00 00 00 00 00 00 00 00"]   # Enter
    t = 77.5
    lines = []
    for report in reports:
        lines.append(f"{t:.6f} {report}")
        t += rng.uniform(0.002, 0.006)
    capture("bootkbd-altnumpad.hidraw.log", "hidraw", {"mode": "keyboard", "layout": "us"},
            lines, "boot-keyboard reports read raw: Alt+keypad, Shift, keypad digit, Enter")
    expected["bootkbd-altnumpad.hidraw.log"] = ["SCAN-1"]
    return expected


def serial_captures() -> dict[str, list[str]]:
    rng = random.Random(9)
    stream = (b"]Q1" + CCCD.encode("utf-8") + b"\r\n"
              + b"]Q1" + b"".join(cp1258_units(c) for c in CCCD_2024) + b"\r\n")
    t = 301.25
    lines = []
    for i in range(0, len(stream), 64):  # USB CDC delivers 64-byte packets
        lines.append(f"{t:.6f} " + stream[i:i + 64].hex(" "))
        t += rng.uniform(0.0005, 0.002)
    capture("zebra-serial-cccd.serial.log", "serial",
            {"terminator": "CRLF", "strip_aim": True, "encoding_fallback": "cp1258"}, lines,
            "USB-COM, AIM ]Q1, CRLF; the second scan from an old reader sending cp1258")
    return {"zebra-serial-cccd.serial.log": [CCCD, CCCD_2024]}


def main() -> None:
    expected = {**evdev_captures(), **hidraw_captures(), **serial_captures()}
    (HERE / "expected.json").write_text(
        json.dumps(expected, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
