"""Keyboard layouts as a scanner assumes them: evdev key code → character.

A keyboard-mode scanner turns each character into the key that types it *on the layout it
was set to*; to get the character back we must read the key with that same layout, not the
host's (an AZERTY host garbles a US scanner and vice versa). So the layout is a per-device
setting. Each layout lists its four main rows as strings — plain, with Shift, with AltGr
(sparse) — plus its dead keys (``^`` on AZERTY: typed as ``^`` then space).
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.devices import keycodes as e

ROWS: tuple[tuple[int, ...], ...] = (
    (e.KEY_GRAVE, e.KEY_1, e.KEY_2, e.KEY_3, e.KEY_4, e.KEY_5, e.KEY_6, e.KEY_7, e.KEY_8,
     e.KEY_9, e.KEY_0, e.KEY_MINUS, e.KEY_EQUAL),
    (e.KEY_Q, e.KEY_W, e.KEY_E, e.KEY_R, e.KEY_T, e.KEY_Y, e.KEY_U, e.KEY_I, e.KEY_O, e.KEY_P,
     e.KEY_LEFTBRACE, e.KEY_RIGHTBRACE, e.KEY_BACKSLASH),
    (e.KEY_A, e.KEY_S, e.KEY_D, e.KEY_F, e.KEY_G, e.KEY_H, e.KEY_J, e.KEY_K, e.KEY_L,
     e.KEY_SEMICOLON, e.KEY_APOSTROPHE),
    (e.KEY_102ND, e.KEY_Z, e.KEY_X, e.KEY_C, e.KEY_V, e.KEY_B, e.KEY_N, e.KEY_M, e.KEY_COMMA,
     e.KEY_DOT, e.KEY_SLASH),
)
NONE = "\x00"
"""Marks a row position that types nothing (e.g. Shift+² on AZERTY)."""

KEYPAD = {
    e.KEY_KP0: "0", e.KEY_KP1: "1", e.KEY_KP2: "2", e.KEY_KP3: "3", e.KEY_KP4: "4",
    e.KEY_KP5: "5", e.KEY_KP6: "6", e.KEY_KP7: "7", e.KEY_KP8: "8", e.KEY_KP9: "9",
    e.KEY_KPSLASH: "/", e.KEY_KPASTERISK: "*", e.KEY_KPMINUS: "-", e.KEY_KPPLUS: "+",
    e.KEY_KPEQUAL: "=", e.KEY_KPCOMMA: ",", e.KEY_KPDOT: ".",
}
KEYPAD_DIGITS = {code: char for code, char in KEYPAD.items() if char.isdigit()}
COMMON = {e.KEY_SPACE: " "}


@dataclass(frozen=True)
class Layout:
    name: str
    plain: dict[int, str]
    shifted: dict[int, str]
    altgr: dict[int, str]
    dead: frozenset[tuple[int, int]]
    """(key code, level) pairs that are dead keys; level 0 plain, 1 Shift, 2 AltGr."""
    keypad_decimal: str = "."

    @property
    def has_altgr(self) -> bool:
        """Right Alt is AltGr (a third level) rather than a second Alt key."""
        return bool(self.altgr)

    def char(self, code: int, shift: bool, altgr: bool) -> tuple[str | None, bool]:
        """The character ``code`` types, and whether it is a dead key (waits for the next)."""
        if code in KEYPAD:
            return (self.keypad_decimal if code == e.KEY_KPDOT else KEYPAD[code]), False
        if code in COMMON:
            return COMMON[code], False
        level = 2 if altgr else 1 if shift else 0
        table = (self.plain, self.shifted, self.altgr)[level]
        char = table.get(code)
        if char is None or char == NONE:
            return None, False
        return char, (code, level) in self.dead


def _layout(name: str, plain: tuple[str, ...], shifted: tuple[str, ...],
            altgr: dict[int, str] | None = None, dead: set[tuple[int, int]] | None = None,
            keypad_decimal: str = ".") -> Layout:
    def table(rows: tuple[str, ...]) -> dict[int, str]:
        out: dict[int, str] = {}
        for codes, chars in zip(ROWS, rows, strict=True):
            if len(codes) != len(chars):
                raise ValueError(f"layout {name}: row {chars!r} does not fit {len(codes)} keys")
            out.update(zip(codes, chars, strict=True))
        return out

    return Layout(name, table(plain), table(shifted), altgr or {}, frozenset(dead or ()),
                  keypad_decimal)


LAYOUTS: dict[str, Layout] = {
    "us": _layout(
        "us",
        ("`1234567890-=", "qwertyuiop[]\\", "asdfghjkl;'", "<zxcvbnm,./"),
        ("~!@#$%^&*()_+", "QWERTYUIOP{}|", 'ASDFGHJKL:"', ">ZXCVBNM<>?"),
    ),
    "uk": _layout(
        "uk",
        ("`1234567890-=", "qwertyuiop[]#", "asdfghjkl;'", "\\zxcvbnm,./"),
        ("¬!\"£$%^&*()_+", "QWERTYUIOP{}~", "ASDFGHJKL:@", "|ZXCVBNM<>?"),
        altgr={e.KEY_GRAVE: "¦", e.KEY_4: "€"},
    ),
    "fr": _layout(
        "fr",
        ("²&é\"'(-è_çà)=", "azertyuiop^$*", "qsdfghjklmù", "<wxcvbn,;:!"),
        (NONE + "1234567890°+", "AZERTYUIOP¨£µ", "QSDFGHJKLM%", ">WXCVBN?./§"),
        altgr={e.KEY_2: "~", e.KEY_3: "#", e.KEY_4: "{", e.KEY_5: "[", e.KEY_6: "|",
               e.KEY_7: "`", e.KEY_8: "\\", e.KEY_9: "^", e.KEY_0: "@", e.KEY_MINUS: "]",
               e.KEY_EQUAL: "}", e.KEY_E: "€", e.KEY_RIGHTBRACE: "¤"},
        dead={(e.KEY_LEFTBRACE, 0), (e.KEY_LEFTBRACE, 1), (e.KEY_2, 2), (e.KEY_7, 2)},
    ),
    "de": _layout(
        "de",
        ("^1234567890ß´", "qwertzuiopü+#", "asdfghjklöä", "<yxcvbnm,.-"),
        ("°!\"§$%&/()=?`", "QWERTZUIOPÜ*'", "ASDFGHJKLÖÄ", ">YXCVBNM;:_"),
        altgr={e.KEY_2: "²", e.KEY_3: "³", e.KEY_7: "{", e.KEY_8: "[", e.KEY_9: "]",
               e.KEY_0: "}", e.KEY_MINUS: "\\", e.KEY_Q: "@", e.KEY_E: "€",
               e.KEY_RIGHTBRACE: "~", e.KEY_102ND: "|", e.KEY_M: "µ"},
        dead={(e.KEY_GRAVE, 0), (e.KEY_EQUAL, 0), (e.KEY_EQUAL, 1)},
        keypad_decimal=",",
    ),
}
ALIASES = {"fr-azerty": "fr", "de-qwertz": "de", "gb": "uk", "us-qwerty": "us"}
LAYOUT_NAMES = (*LAYOUTS, *ALIASES)


def layout(name: str) -> Layout:
    try:
        return LAYOUTS[ALIASES.get(name, name)]
    except KeyError:
        raise ValueError(
            f"unknown keyboard layout {name!r} (known: {', '.join(LAYOUT_NAMES)})") from None


COMBINING = {"^": "\u0302", "¨": "\u0308", "´": "\u0301", "`": "\u0300", "~": "\u0303"}
