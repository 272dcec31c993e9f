"""One decoding pass over one grayscale image, with each library, to the payload's exact bytes.

Why the care: a CCCD code is UTF-8 Vietnamese, often without an ECI marker. A library that
*guesses* an encoding for such a code (zbar picks Shift-JIS or Big5) turns "Lê Văn Tú" into
"Lﾃｪ Vﾄハ Tﾃｺ", and the original bytes cannot be recovered from its text. So:

- zxing-cpp: the result's ``bytes`` are the raw bytes of the data segments, never
  transcoded. The pass asks for the ``HexECI`` text as well, which is those bytes in the AIM
  ECI transmission protocol (``]Q2\\000026…``), to learn whether the code *declares* a
  character set. Without ECI the raw bytes are the payload (no guessing). With ECI each
  segment is transcoded from its declared set to UTF-8 (a declaration is authoritative);
  ECI 26 (UTF-8), ASCII, binary (899) and unknown ECIs keep their bytes as they are.
- zbar: run through libzbar's ``ZBAR_CFG_BINARY`` mode (zbar ≥ 0.23), which hands out the
  data bytes without zbar's encoding guess, so UTF-8 without ECI arrives intact. What zbar
  cannot tell us: whether the code carried an ECI, and it transcodes only some declared sets
  (ECI 3, Latin-1, becomes UTF-8; a Big5 or Shift-JIS declaration arrives in that set's
  bytes). pyzbar's own ``decode`` (text mode) is not used: its guessed text is lossy.

Every library call is wrapped: a stranger's code must never take the camera down.
"""

from __future__ import annotations

import ctypes
import logging
from dataclasses import dataclass

import numpy as np
import zxingcpp

from kiosk.messages import WordedError

log = logging.getLogger(__name__)

Point = tuple[int, int]
Outline = tuple[Point, ...]

QR_FORMATS = (zxingcpp.BarcodeFormat.QRCodeModel2, zxingcpp.BarcodeFormat.QRCodeModel1,
       zxingcpp.BarcodeFormat.MicroQRCode)
"""Every QR kind a person may hold up: Model 2 (almost all), the original Model 1 (old
printed codes, AIM id ]Q0) and Micro QR (small labels, ]Q1). rMQR is left out: no
checkpoint code uses it, and each extra kind is more chance of a false candidate."""
_BINARIZERS = {
    "local": zxingcpp.Binarizer.LocalAverage,
    "histogram": zxingcpp.Binarizer.GlobalHistogram,
}

# ECI assignment number → Python codec, for declared sets that are not UTF-8/ASCII/binary.
ECI_CODECS = {
    0: "cp437", 1: "latin-1", 2: "cp437", 3: "latin-1", 4: "iso8859-2", 5: "iso8859-3",
    6: "iso8859-4", 7: "iso8859-5", 8: "iso8859-6", 9: "iso8859-7", 10: "iso8859-8",
    11: "iso8859-9", 12: "iso8859-10", 13: "iso8859-11", 15: "iso8859-13",
    16: "iso8859-14", 17: "iso8859-15", 18: "iso8859-16", 20: "shift_jis", 21: "cp1250",
    22: "cp1251", 23: "cp1252", 24: "cp1256", 25: "utf-16-be", 28: "big5", 29: "gb18030",
    30: "euc-kr", 31: "gbk", 32: "gb18030", 33: "utf-16-le", 34: "utf-32-be",
    35: "utf-32-le",
}


@dataclass(frozen=True)
class Reading:
    """A code read from an image: its payload bytes, AIM symbology id (when known), outline."""

    payload: bytes
    symbology: str
    outline: Outline
    decoder: str


@dataclass(frozen=True)
class Candidate:
    """A QR code zxing located but could not read (checksum or format error)."""

    outline: Outline
    modules: int | None
    """Modules per side from the version it read (21 for version 1), None if unknown."""


@dataclass(frozen=True)
class ZxingPass:
    """What one zxing pass saw: codes it read, and QR-shaped things it found but could not read."""

    readings: list[Reading]
    candidates: list[Candidate]


def _modules(version: str) -> int | None:
    return 17 + 4 * int(version) if version.isdigit() and 1 <= int(version) <= 40 else None


def has_eci(aim: str) -> bool:
    """AIM ids ]Q2, ]Q4, ]Q6 mean the QR code carries ECI designators."""
    return aim[2:] in ("2", "4", "6")


def apply_eci(stream: bytes) -> tuple[bytes, str]:
    """AIM ECI transmission (``]Qn`` + data with ``\\nnnnnn`` switches) → (UTF-8-or-raw, id).

    Only a symbology modifier that signals ECI (2, 4, 6 for QR) makes backslashes special;
    ``\\\\`` is a literal backslash there. Segments in a declared set are transcoded to UTF-8;
    segments before any declaration, or in UTF-8/ASCII/binary/unknown sets, keep their bytes.
    """
    aim, data = stream[:3].decode("latin-1"), stream[3:]
    if not has_eci(aim):
        return data, aim
    out = bytearray()
    segment = bytearray()
    eci: int | None = None
    i = 0

    def flush() -> None:
        codec = ECI_CODECS.get(eci) if eci is not None else None
        if codec is None:
            out.extend(segment)
        else:
            try:
                out.extend(bytes(segment).decode(codec).encode("utf-8"))
            except (UnicodeDecodeError, LookupError):
                out.extend(segment)  # the declaration lied: keep what was there
        segment.clear()

    while i < len(data):
        byte = data[i]
        if byte == 0x5C and data[i + 1:i + 2] == b"\\":
            segment.append(0x5C)
            i += 2
        elif byte == 0x5C and data[i + 1:i + 7].isdigit() and len(data[i + 1:i + 7]) == 6:
            flush()
            eci = int(data[i + 1:i + 7])
            i += 7
        else:
            segment.append(byte)
            i += 1
    flush()
    return bytes(out), aim


def _outline(position: zxingcpp.Position) -> Outline:
    corners = (position.top_left, position.top_right, position.bottom_right,
               position.bottom_left)
    return tuple((int(p.x), int(p.y)) for p in corners)


def read_zxing(gray: np.ndarray, binarizer: str = "local") -> ZxingPass:
    """One zxing-cpp pass. Failed QR detections (checksum, format) come back as
    candidates: they say "a code is here", which is what gates the costlier second passes.
    Failed Micro QR detections do not: on real camera texture zxing finds many Micro-QR-like
    specks (16 more in the 50 photo frames at 1280×720, against 2 Model 2 candidates), and
    chasing them would spend the second passes' budget on noise."""
    try:
        results = zxingcpp.read_barcodes(
            gray, formats=QR_FORMATS, binarizer=_BINARIZERS[binarizer],
            text_mode=zxingcpp.TextMode.HexECI, return_errors=True)
    except Exception:  # a library fault on a stranger's image is a miss, not a crash
        log.debug("zxing failed on a frame", exc_info=True)
        return ZxingPass([], [])
    readings, candidates = [], []
    for result in results:
        try:
            outline = _outline(result.position)
            if not result.valid:
                if result.format != zxingcpp.BarcodeFormat.MicroQRCode:
                    # A symbol of invalid size has no version (``extra`` is None then).
                    version = (result.extra or {}).get("Version", "")
                    candidates.append(Candidate(outline, _modules(str(version))))
                continue
            stream = bytes.fromhex(result.text)
            aim = stream[:3].decode("latin-1")
            # Without ECI the raw segment bytes are the payload, exactly; with ECI, transcode.
            payload = apply_eci(stream)[0] if has_eci(aim) else result.bytes
        except Exception:  # one odd result must not hide the others
            log.debug("zxing result not usable", exc_info=True)
            continue
        readings.append(Reading(payload, aim, outline, "zxing"))
    return ZxingPass(readings, candidates)


class ZbarUnavailable(WordedError, RuntimeError):
    """libzbar is missing, or too old to hand out raw bytes (ZBAR_CFG_BINARY)."""


_ZBAR_CFG_ENABLE = 0
_ZBAR_CFG_BINARY = 4  # zbar.h: "don't convert binary data to text" (zbar ≥ 0.23)


def _zbar() -> object:
    try:
        from pyzbar import wrapper
    except ImportError as exc:  # pyzbar raises ImportError when libzbar0 is not installed
        raise ZbarUnavailable("camera.no_zbar", detail=exc) from exc
    return wrapper


def zbar_available() -> bool:
    try:
        read_zbar(np.full((8, 8), 255, np.uint8))
    except ZbarUnavailable:
        return False
    return True


def read_zbar(gray: np.ndarray) -> list[Reading]:
    """One zbar pass in binary mode (raw bytes, no encoding guess). Raises ZbarUnavailable."""
    z = _zbar()
    image = np.ascontiguousarray(gray, dtype=np.uint8)
    height, width = image.shape[:2]
    scanner = z.zbar_image_scanner_create()
    readings = []
    try:
        z.zbar_image_scanner_set_config(scanner, z.ZBarSymbol.NONE, _ZBAR_CFG_ENABLE, 0)
        z.zbar_image_scanner_set_config(scanner, z.ZBarSymbol.QRCODE, _ZBAR_CFG_ENABLE, 1)
        if z.zbar_image_scanner_set_config(scanner, z.ZBarSymbol.QRCODE, _ZBAR_CFG_BINARY, 1):
            raise ZbarUnavailable("camera.old_zbar")
        zimage = z.zbar_image_create()
        try:
            z.zbar_image_set_format(zimage, int.from_bytes(b"Y800", "little"))
            z.zbar_image_set_size(zimage, width, height)
            z.zbar_image_set_data(zimage, ctypes.c_void_p(image.ctypes.data), image.size, None)
            try:
                found = z.zbar_scan_image(scanner, zimage)
            except Exception:  # wrapped like every decoder call
                log.debug("zbar failed on a frame", exc_info=True)
                found = 0
            symbol = z.zbar_image_first_symbol(zimage) if found > 0 else None
            while symbol:
                data = ctypes.string_at(z.zbar_symbol_get_data(symbol),
                                        z.zbar_symbol_get_data_length(symbol))
                points = tuple(
                    (int(z.zbar_symbol_get_loc_x(symbol, i)),
                     int(z.zbar_symbol_get_loc_y(symbol, i)))
                    for i in range(z.zbar_symbol_get_loc_size(symbol)))
                readings.append(Reading(data, "", points, "zbar"))
                symbol = z.zbar_symbol_next(symbol)
        finally:
            z.zbar_image_destroy(zimage)
    finally:
        z.zbar_image_scanner_destroy(scanner)
    return readings
