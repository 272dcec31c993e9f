"""The camera reads every QR kind a person may hold up — Model 2, Micro QR, and the original
Model 1 when zxing-cpp meets one — exactly, through the same decoder as every frame.

Micro QR images are drawn by segno (a real encoder) into a textured camera scene. No encoder
at hand writes QR Model 1 (segno and zxing-cpp both refuse), so Model 1 is covered by the
decoder asking zxing-cpp for it, which this test pins down."""

from __future__ import annotations

import io

import cv2
import numpy as np
import segno
import zxingcpp
from camera_support import CCCD, QR_PHOTOS, background, place

from kiosk.devices import qr_decoders
from kiosk.devices.frames import FrameDecoder


def micro_qr(text: str, scale: int = 6) -> np.ndarray:
    buffer = io.BytesIO()
    segno.make_micro(text).save(buffer, kind="png", scale=scale, border=2)
    return cv2.imdecode(np.frombuffer(buffer.getvalue(), np.uint8), cv2.IMREAD_GRAYSCALE)


def test_a_micro_qr_label_in_a_camera_frame_is_read_exactly():
    number = CCCD.split("|")[0]  # a document number: what fits on a Micro QR label
    frame = place(background(1280, 720), micro_qr(number), tilt_deg=8)
    readings = FrameDecoder(rescue_ms_per_s=None).decode(frame).readings
    assert [(r.payload, r.symbology) for r in readings] == [(number.encode(), "]Q1")]


def test_micro_qr_with_letters_keeps_its_bytes():
    frame = place(background(640, 480), micro_qr("HC1:AB"), tilt_deg=-5)
    assert [r.payload for r in qr_decoders.read_zxing(frame[:, :, 0]).readings] == [b"HC1:AB"]


def test_the_decoder_asks_zxing_for_model_1_model_2_and_micro_qr():
    asked = set(qr_decoders.QR_FORMATS)
    assert {zxingcpp.BarcodeFormat.QRCodeModel1, zxingcpp.BarcodeFormat.QRCodeModel2,
            zxingcpp.BarcodeFormat.MicroQRCode} == asked


def test_micro_qr_specks_in_real_photos_do_not_trigger_second_passes():
    """Real camera texture is full of Micro-QR-like specks zxing cannot read; only failed
    Model 2 detections may gate the second passes, so asking for Micro QR costs no rescue
    budget: the candidates are exactly those a Model-2-only pass finds."""
    photos = sorted(p for p in QR_PHOTOS.glob("*/*.webp"))
    assert photos
    extra_specks = 0
    for photo in photos:
        gray = cv2.imread(str(photo), cv2.IMREAD_GRAYSCALE)
        ours = len(qr_decoders.read_zxing(gray).candidates)
        model2 = zxingcpp.read_barcodes(gray, formats=zxingcpp.BarcodeFormat.QRCodeModel2,
                                        return_errors=True)
        assert ours == sum(1 for r in model2 if not r.valid), photo
        every = zxingcpp.read_barcodes(gray, formats=qr_decoders.QR_FORMATS,
                                       return_errors=True)
        extra_specks += sum(1 for r in every if not r.valid) - ours
    assert extra_specks > 0  # the specks are there, and were left out
