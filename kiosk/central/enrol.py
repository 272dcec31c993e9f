"""Enrolling kiosks: a one-time token per kiosk, of which the centre keeps only derivations.

The token is shown once. The centre stores its SHA-256 (to recognise it) and the backlog-file
key derived from it (to check exported files), so a copy of the central database is not
enough to upload as a kiosk.
"""

from __future__ import annotations

import secrets

from kiosk.central.storage import ID_RE, EnrolmentError, Kiosk, Storage
from kiosk.sync.protocol import backlog_file_key, token_hash


def new_token() -> str:
    return secrets.token_urlsafe(32)


def enrol_kiosk(storage: Storage, *, checkpoint_id: str, name: str,
                kiosk_id: str | None = None, checkpoint_name: str | None = None
                ) -> tuple[Kiosk, str]:
    """Create the checkpoint if needed and the kiosk; returns (kiosk, token to hand over)."""
    kiosk_id = kiosk_id or f"kiosk-{secrets.token_hex(4)}"
    for label, value in (("checkpoint id", checkpoint_id), ("kiosk id", kiosk_id)):
        if not ID_RE.fullmatch(value):
            raise EnrolmentError(f"{label} {value!r}: use 1-64 letters, digits, '.', '_' or "
                                 f"'-', starting with a letter or digit")
    if not name.strip():
        raise EnrolmentError("name: must not be empty")
    storage.add_checkpoint(checkpoint_id, checkpoint_name or checkpoint_id)
    token = new_token()
    kiosk = storage.add_kiosk(kiosk_id, checkpoint_id, name.strip(), token_hash(token),
                              backlog_file_key(token))
    return kiosk, token
