"""Checkpoint QR kiosk."""
